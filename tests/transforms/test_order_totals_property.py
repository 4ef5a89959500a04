"""Cent-exact totals across many random orders, and how often the exact booking is impossible."""

from __future__ import annotations

import random
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsconsole.core.errors import BusinessRuleError
from sync.transforms import order_to_odoo
from tests.transforms.builders import (
    CENT,
    TAX_COMBOS,
    LineSpec,
    OrderSpec,
    ShippingSpec,
    build_order,
    mappings_for,
    random_spec,
)


@st.composite
def line_specs(draw: st.DrawFn) -> LineSpec:
    price = Decimal(draw(st.integers(1, 100_000))) * CENT
    quantity = draw(st.integers(1, 30))
    gross_cents = int(price * quantity / CENT)
    discount = Decimal(draw(st.one_of(st.just(0), st.integers(0, gross_cents)))) * CENT
    return LineSpec(
        price, quantity, discount, draw(st.sampled_from(TAX_COMBOS)), sku=f"SKU-{draw(st.integers(1, 5))}"
    )


@st.composite
def order_specs(draw: st.DrawFn) -> OrderSpec:
    shipping = []
    if draw(st.booleans()):
        price = Decimal(draw(st.integers(0, 5_000))) * CENT
        discount = Decimal(draw(st.integers(0, int(price / CENT)))) * CENT
        shipping.append(ShippingSpec(price, discount, draw(st.sampled_from(TAX_COMBOS))))
    return OrderSpec(draw(st.lists(line_specs(), min_size=1, max_size=6)), shipping, draw(st.booleans()))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=order_specs(), rounding=st.sampled_from(["round_per_line", "round_globally"]))
def test_odoo_books_what_shopify_charged_to_the_cent_or_the_order_parks(spec, rounding):
    # given an order whose totals Shopify computed (tax per line, rounded half up)
    order = build_order(spec)

    # when
    try:
        draft = order_to_odoo(order, mappings_for(tax_rounding=rounding))
    except BusinessRuleError as error:
        # then either it parks as a total mismatch that names both amounts
        assert error.code == "total_mismatch"
        assert f"Shopify charged {Decimal(order['total_price'])} EUR" in error.message
        return

    # or Odoo's computed totals are Shopify's, to the cent
    totals = draft.expected_totals
    assert totals.amount_total == Decimal(order["total_price"])
    assert totals.amount_tax == Decimal(order["total_tax"])
    product_lines = [line for line in draft.lines if line.kind == "product"]
    for index, line_spec in enumerate(spec.lines):
        parts = [line for line in product_lines if line.shopify_line_id == str(9000 + index)]
        assert 1 <= len(parts) <= 2
        assert sum(p.quantity for p in parts) == line_spec.quantity
        assert sum(p.subtotal for p in parts) == line_spec.price * line_spec.quantity - line_spec.discount
        assert all(p.price_unit == p.price_unit.quantize(CENT) and p.price_unit >= 0 for p in parts)


def mismatch_rate(*, taxes_included: bool, rounding: str, orders: int = 2000, seed: int = 20250301) -> float:
    rng = random.Random(seed)
    mappings = mappings_for(tax_rounding=rounding)
    parked = 0
    for _ in range(orders):
        try:
            order_to_odoo(build_order(random_spec(rng, taxes_included=taxes_included)), mappings)
        except BusinessRuleError as error:
            assert error.code == "total_mismatch"
            parked += 1
    return parked / orders


def test_with_per_line_rounding_a_mismatch_is_rare():
    # measured on 2000 seeded orders each: 0.0 % tax-excluded, about 0.1 % tax-included (two included
    # taxes on an odd-cent split, where no exact split rounds both taxes as Shopify did)
    assert mismatch_rate(taxes_included=False, rounding="round_per_line") == 0
    assert mismatch_rate(taxes_included=True, rounding="round_per_line") < 0.005


def test_with_global_rounding_in_odoo_a_mismatch_is_common():
    # Shopify rounds tax per line; an Odoo company on round_globally rounds the sum: about 15 % of
    # multi-line orders differ by a cent or more. That is a configuration finding, not noise.
    assert 0.05 < mismatch_rate(taxes_included=False, rounding="round_globally") < 0.3
