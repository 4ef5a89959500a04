"""Gift cards sold as order lines and bundles (kit or components) in the order transform, and the bundle
price split, exact to the currency's quantum."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsconsole.core.errors import BusinessRuleError
from sync.transforms import order_to_odoo
from sync.transforms.bundles import (
    bundle_rule_parse,
    components_from_text,
    components_text,
    split_amount,
)
from sync.transforms.money import quantum
from sync.transforms.refunds import refund_from_shopify
from sync.transforms.types import BundleComponent, BundleRule
from tests.transforms.builders import CENT, TAX_COMBOS, LineSpec, OrderSpec, build_order, mappings_for

GIFT_PRODUCT = 900
KIT = 950


def _gift_card_order() -> dict:
    order = build_order(
        OrderSpec(
            [
                LineSpec(Decimal("39.00"), 2, Decimal(0), ("VAT 20%",)),
                LineSpec(Decimal("50.00"), 1, Decimal(0), ()),
            ]
        )
    )
    gift = order["line_items"][1]
    gift.update(
        gift_card=True, sku=None, title="Gift card", name="Gift card - 50 EUR", requires_shipping=False
    )
    return order


def test_a_gift_card_line_is_booked_on_the_gift_card_product_and_the_order_stays_exact() -> None:
    # given an order of a taxed product and a 50.00 gift card
    order = _gift_card_order()
    # when
    draft = order_to_odoo(order, mappings_for(gift_card_product_id=GIFT_PRODUCT))
    # then the card is one line of the gift-card product, untaxed, and Odoo's totals are Shopify's
    [card] = [line for line in draft.lines if line.kind == "gift_card"]
    assert (card.product_id, card.quantity, card.price_unit, card.tax_ids) == (
        GIFT_PRODUCT,
        1,
        Decimal("50.00"),
        (),
    )
    assert card.shopify_line_id == str(order["line_items"][1]["id"])
    assert [line.product_id for line in draft.lines if line.kind == "product"] == [101]
    assert draft.expected_totals.matches
    assert draft.expected_totals.amount_total == Decimal(order["total_price"]) == Decimal("143.60")


def test_the_graphql_flag_marks_a_gift_card_too() -> None:
    order = _gift_card_order()
    gift = order["line_items"][1]
    del gift["gift_card"]
    gift["isGiftCard"] = True
    draft = order_to_odoo(order, mappings_for(gift_card_product_id=GIFT_PRODUCT))
    assert [line.product_id for line in draft.lines if line.kind == "gift_card"] == [GIFT_PRODUCT]


def test_without_a_gift_card_product_the_order_parks_and_is_never_booked_as_a_product() -> None:
    # given a gift card whose SKU happens to be mapped to an ordinary product
    order = _gift_card_order()
    order["line_items"][1]["sku"] = "SKU-2"
    # when / then
    with pytest.raises(BusinessRuleError) as raised:
        order_to_odoo(order, mappings_for())
    assert (raised.value.code, raised.value.key) == ("gift_card_not_mapped", "shop")
    assert "gift_card_product_id" in raised.value.message
    assert raised.value.details["missing"] == {"gift_card_not_mapped": ["shop"]}


def _bundle_order(
    price: str, quantity: int = 1, discount: str = "0", taxes: tuple[str, ...] = ("VAT 20%",)
) -> dict:
    order = build_order(
        OrderSpec(
            [
                LineSpec(Decimal(price), quantity, Decimal(discount), taxes, sku="BUNDLE-1"),
                LineSpec(Decimal("10.00"), 1, Decimal(0), ("VAT 20%",)),
            ]
        )
    )
    return order


RATIO = BundleRule(
    mode="components",
    split="ratio",
    components=(
        BundleComponent(product_id=501, quantity=1, ratio=Decimal(1), name="Mug"),
        BundleComponent(product_id=502, quantity=2, ratio=Decimal(1), name="Beans"),
        BundleComponent(product_id=503, quantity=1, ratio=Decimal(1), name="Card"),
    ),
)


def _bundle_lines(draft, ref: str) -> list:
    return [line for line in draft.lines if line.shopify_line_id == ref]


def test_a_kit_bundle_is_one_line_of_the_kit_product() -> None:
    order = _bundle_order("49.90", quantity=2, discount="5.00")
    draft = order_to_odoo(order, mappings_for(bundles={"BUNDLE-1": BundleRule(mode="kit", product_id=KIT)}))
    lines = _bundle_lines(draft, str(order["line_items"][0]["id"]))
    assert {line.product_id for line in lines} == {KIT}
    assert sum(line.subtotal for line in lines) == Decimal("94.80")
    assert draft.expected_totals.matches


def test_a_bundle_by_ratio_is_split_with_the_remainder_on_the_last_component() -> None:
    # given a bundle of 100.00 split in three equal shares (33.33, 33.33, 33.34), taxed 20 %
    order = _bundle_order("100.00")
    # when
    draft = order_to_odoo(order, mappings_for(bundles={"BUNDLE-1": RATIO}))
    # then each component is booked at its share, the parts add up to the line, and the order is exact
    lines = _bundle_lines(draft, str(order["line_items"][0]["id"]))
    by_product: dict[int, Decimal] = {}
    for line in lines:
        by_product[line.product_id] = by_product.get(line.product_id, Decimal(0)) + line.subtotal
    assert sum(by_product.values()) == Decimal("100.00")
    assert sum(line.quantity for line in lines if line.product_id == 502) == 2
    assert all(line.tax_ids == (200,) and line.kind == "bundle_component" for line in lines)
    assert "Beans x2" in next(line.name for line in lines if line.product_id == 502)
    # Odoo's per-line rounding of 33.33/33.33/33.34 at 20 % is 6.67 * 3 = 20.01, Shopify charged 20.00: a cent
    # of amount moved between parts keeps the tax Shopify's
    assert draft.expected_totals.matches
    assert draft.expected_totals.amount_tax == Decimal(order["total_tax"])
    assert all(abs(amount - Decimal("33.33")) <= Decimal("0.05") for amount in by_product.values())


def test_a_bundle_by_list_price_is_split_by_the_list_prices_times_quantities() -> None:
    rule = BundleRule(
        mode="components",
        split="list_price",
        components=(
            BundleComponent(product_id=501, quantity=1, list_price=Decimal("16.00")),
            BundleComponent(product_id=502, quantity=2, list_price=Decimal("12.00")),
        ),
    )
    # 40.00 split 16 : 24 -> 16.00 and 24.00, untaxed
    order = _bundle_order("40.00", taxes=())
    draft = order_to_odoo(order, mappings_for(bundles={"BUNDLE-1": rule}))
    lines = _bundle_lines(draft, str(order["line_items"][0]["id"]))
    assert [(line.product_id, line.quantity, line.price_unit) for line in lines] == [
        (501, 1, Decimal("16.00")),
        (502, 2, Decimal("12.00")),
    ]
    assert draft.expected_totals.matches


def test_a_list_price_bundle_whose_prices_are_unknown_parks() -> None:
    rule = BundleRule(
        mode="components", split="list_price", components=(BundleComponent(501, 1), BundleComponent(502, 1))
    )
    with pytest.raises(BusinessRuleError) as raised:
        order_to_odoo(_bundle_order("40.00"), mappings_for(bundles={"BUNDLE-1": rule}))
    assert (raised.value.code, raised.value.key) == ("bundle_rule_invalid", "BUNDLE-1")
    assert "list price of product 501" in raised.value.message


def test_a_bundle_row_that_does_not_parse_parks_its_orders_naming_why() -> None:
    with pytest.raises(BusinessRuleError) as raised:
        order_to_odoo(
            _bundle_order("40.00"), mappings_for(bundles={"BUNDLE-1": "mode must be kit or components"})
        )
    assert (raised.value.code, raised.value.key) == ("bundle_rule_invalid", "BUNDLE-1")
    assert "mode must be kit or components" in raised.value.message


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"mode": "kit"}, "product_id must be a whole number"),
        ({"mode": "bundle"}, "mode must be kit or components"),
        ({"mode": "components", "components": []}, "components must be a non-empty list"),
        (
            {"mode": "components", "components": [{"product_id": 1, "quantity": 1}]},
            "the ratio split needs a ratio",
        ),
        (
            {"mode": "components", "split": "list_price", "components": [{"product_id": 1, "quantity": 0}]},
            "component 1 quantity must be a positive whole number",
        ),
        (
            {"mode": "components", "components": [{"product_id": 1, "ratio": "-1"}]},
            "component 1 ratio must be a positive number",
        ),
        (
            {
                "mode": "components",
                "split": "list_price",
                "components": [{"product_id": 1}, {"product_id": 1}],
            },
            "a product is listed twice",
        ),
        (
            {"mode": "components", "split": "weight", "components": [{"product_id": 1}]},
            "split must be ratio or list_price",
        ),
    ],
)
def test_bad_bundle_rules_are_refused_naming_the_fault(value: dict, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        bundle_rule_parse(value)


def test_the_console_components_text_reads_back_what_it_shows() -> None:
    components = components_from_text("12x1@3; 15x2@1 ; 7")
    assert components == [
        {"product_id": 12, "quantity": 1, "ratio": "3"},
        {"product_id": 15, "quantity": 2, "ratio": "1"},
        {"product_id": 7, "quantity": 1},
    ]
    assert components_from_text(components_text(components)) == components
    with pytest.raises(ValueError, match="write product_id x quantity"):
        components_from_text("mug x 1")


# --- properties ------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    decimals=st.sampled_from([0, 2, 3]),  # JPY, EUR, KWD
    units=st.integers(0, 10**9),
    weights=st.lists(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**6), places=2, allow_nan=False),
        min_size=1,
        max_size=8,
    ),
)
def test_split_parts_always_add_up_to_the_amount_to_the_quantum(
    decimals: int, units: int, weights: list[Decimal]
) -> None:
    parts = split_amount(units, weights)
    assert sum(parts) == units
    assert all(p >= 0 for p in parts)
    q = quantum(decimals)
    assert sum((p * q for p in parts), Decimal(0)) == units * q
    # every part but the last is its exact share rounded down
    whole = sum(weights, Decimal(0))
    for part, weight in zip(parts[:-1], weights[:-1], strict=True):
        assert part <= units * weight / whole < part + 1


@st.composite
def bundle_orders(draw: st.DrawFn) -> tuple[dict, BundleRule]:
    price = Decimal(draw(st.integers(1, 50_000))) * CENT
    quantity = draw(st.integers(1, 5))
    gross = int(price * quantity / CENT)
    discount = Decimal(draw(st.one_of(st.just(0), st.integers(0, gross)))) * CENT
    taxes = draw(st.sampled_from(TAX_COMBOS))
    included = draw(st.booleans())
    components = tuple(
        BundleComponent(
            product_id=600 + n, quantity=draw(st.integers(1, 4)), ratio=Decimal(draw(st.integers(1, 100)))
        )
        for n in range(draw(st.integers(1, 5)))
    )
    order = build_order(OrderSpec([LineSpec(price, quantity, discount, taxes, sku="BUNDLE-1")], [], included))
    return order, BundleRule(mode="components", split="ratio", components=components)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=bundle_orders(), rounding=st.sampled_from(["round_per_line", "round_globally"]))
def test_component_lines_add_up_to_the_bundle_line_and_the_order_is_exact_or_parks(case, rounding) -> None:
    order, rule = case
    line = order["line_items"][0]
    net = Decimal(line["price"]) * line["quantity"] - sum(
        (Decimal(a["amount"]) for a in line["discount_allocations"]), Decimal(0)
    )
    try:
        draft = order_to_odoo(order, mappings_for(tax_rounding=rounding, bundles={"BUNDLE-1": rule}))
    except BusinessRuleError as error:
        assert error.code == "total_mismatch"
        return
    lines = _bundle_lines(draft, str(line["id"]))
    assert sum((x.subtotal for x in lines), Decimal(0)) == net
    assert all(x.price_unit >= 0 and x.price_unit == x.price_unit.quantize(CENT) for x in lines)
    for component in rule.components:
        assert sum(x.quantity for x in lines if x.product_id == component.product_id) == (
            component.quantity * line["quantity"]
        )
    assert draft.expected_totals.amount_total == Decimal(order["total_price"])
    assert draft.expected_totals.amount_tax == Decimal(order["total_tax"])


def test_tax_balancing_keeps_a_three_way_split_exact() -> None:
    # 100.00 at 20 %: Shopify 20.00; a naive 33.33 / 33.33 / 33.34 split is 20.01 in Odoo, rounded per line
    rule = BundleRule(
        mode="components",
        split="ratio",
        components=tuple(BundleComponent(501 + n, 1, Decimal(1)) for n in range(3)),
    )
    order = _bundle_order("100.00")
    draft = order_to_odoo(order, mappings_for(bundles={"BUNDLE-1": rule}))
    assert draft.expected_totals.matches
    lines = _bundle_lines(draft, str(order["line_items"][0]["id"]))
    assert [x.subtotal for x in lines] != [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    taxes = sum(
        ((x.subtotal * Decimal("0.2")).quantize(CENT, ROUND_HALF_UP) for x in lines),
        Decimal(0),
    )
    assert taxes == Decimal("20.00")
    assert sum((x.subtotal for x in lines), Decimal(0)) == Decimal("100.00")


# --- refunds ---------------------------------------------------------------------------------------


def _refund(item: dict) -> dict:
    return {
        "id": 501,
        "order_id": 77,
        "refund_line_items": [
            {
                "line_item_id": 1000,
                "quantity": 1,
                "restock_type": "no_restock",
                "subtotal_set": {"shop_money": {"amount": "50.00", "currency_code": "EUR"}},
                "total_tax_set": {"shop_money": {"amount": "0.00", "currency_code": "EUR"}},
                "line_item": {"id": 1000, **item},
            }
        ],
        "order_adjustments": [],
        "transactions": [],
    }


def test_a_refunded_gift_card_credits_the_gift_card_product_and_a_kit_the_kit() -> None:
    mappings = mappings_for(
        gift_card_product_id=GIFT_PRODUCT, bundles={"BUNDLE-1": BundleRule(mode="kit", product_id=KIT)}
    )
    [card] = refund_from_shopify(
        _refund({"sku": None, "gift_card": True}), mappings, taxes_included=False
    ).lines
    assert (card.product_id, card.subtotal) == (GIFT_PRODUCT, Decimal("50.00"))
    [kit] = refund_from_shopify(_refund({"sku": "BUNDLE-1"}), mappings, taxes_included=False).lines
    assert kit.product_id == KIT


def test_a_refunded_bundle_booked_as_components_is_left_to_a_person() -> None:
    with pytest.raises(BusinessRuleError) as raised:
        refund_from_shopify(
            _refund({"sku": "BUNDLE-1"}), mappings_for(bundles={"BUNDLE-1": RATIO}), taxes_included=False
        )
    assert (raised.value.code, raised.value.key) == ("bundle_refund_by_hand", "BUNDLE-1")
