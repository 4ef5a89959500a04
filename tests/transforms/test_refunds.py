"""Shopify refunds -> the credit note's lines (pure, no database)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from opsconsole.core.errors import BusinessRuleError
from sync.transforms.refunds import NoteLine, plan_credit_note, refund_from_shopify, with_tip_given_back
from sync.transforms.types import RoundingAdjustment, ShippingTarget, ShopMappings

D = Decimal
SHIP = 90
TAX = 7


def _mappings(**overrides: Any) -> ShopMappings:
    values: dict[str, Any] = {
        "shop_domain": "demo.myshopify.com",
        "version": 1,
        "currency": "EUR",
        "company_id": 1,
        "pricelist_id": None,
        "skus": {"TEE": 10, "MUG": 11},
        "taxes": {"VAT 20%|0.2": TAX},
        "shipping": {"STANDARD": ShippingTarget(SHIP)},
        "gateways": {"shopify_payments": 3},
        "confirm_on": frozenset({"paid"}),
    }
    values.update(overrides)
    return ShopMappings(**values)


def _money(amount: str) -> dict[str, Any]:
    return {"shop_money": {"amount": amount, "currency_code": "EUR"}}


def _payload(
    lines: list[tuple[str, int, str, str, str]], *, adjustments=(), transactions=()
) -> dict[str, Any]:
    return {
        "id": 501,
        "order_id": 77,
        "admin_graphql_api_id": "gid://shopify/Refund/501",
        "refund_line_items": [
            {
                "line_item_id": 1000 + i,
                "quantity": qty,
                "restock_type": restock,
                "subtotal_set": _money(sub),
                "total_tax_set": _money(tax),
                "line_item": {"id": 1000 + i, "sku": sku},
            }
            for i, (sku, qty, sub, tax, restock) in enumerate(lines)
        ],
        "order_adjustments": list(adjustments),
        "transactions": [
            {
                "id": 900 + i,
                "admin_graphql_api_id": f"gid://shopify/OrderTransaction/{900 + i}",
                "kind": "refund",
                "status": status,
                "gateway": "shopify_payments",
                "amount": amount,
                "currency": "EUR",
            }
            for i, (amount, status) in enumerate(transactions)
        ],
    }


def test_refunded_units_are_taken_from_the_odoo_lines_a_cent_apart_so_that_the_amounts_add_up() -> None:
    # given a line of 3 tees for 10.00 booked as 1 at 3.34 and 2 at 3.33, and Shopify refunding 2 for 6.67
    draft = refund_from_shopify(
        _payload([("TEE", 2, "6.67", "1.33", "return")], transactions=[("8.00", "success")]),
        _mappings(),
        taxes_included=False,
    )
    lines = [NoteLine(1, 10, D(1), D("3.34"), (TAX,)), NoteLine(2, 10, D(2), D("3.33"), (TAX,))]
    # when
    plan = plan_credit_note(
        draft,
        lines,
        shipping_products=frozenset({SHIP}),
        adjustment_product_id=None,
        tax_rates={TAX: D("0.2")},
    )
    rounded = plan_credit_note(
        draft,
        lines,
        shipping_products=frozenset({SHIP}),
        adjustment_product_id=None,
        tax_rates={TAX: D("0.2")},
        rounding=RoundingAdjustment(product_id=66, max_amount=D("0.05")),
    )
    # then one unit of each (6.67), but Odoo rounds each line's tax (0.67 + 0.67) where Shopify took 1.33 of
    # the line's 2.00: Odoo's credit note would be 8.01 for Shopify's 8.00 ...
    assert plan.keep == {1: (D(1), D("3.34")), 2: (D(1), D("3.33"))}
    assert plan.remove == () and plan.problems == () and plan.add == ()
    assert (plan.expected_total, draft.total) == (D("8.01"), D("8.00"))
    assert draft.quantities("return") == {10: 2}
    # ... unless finance approved a rounding rule, which books the cent as a tax-free line
    assert [(a.product_id, a.price_unit) for a in rounded.add] == [(66, D("-0.01"))]
    assert rounded.expected_total == D("8.00")


def test_a_tax_included_shipping_refund_keeps_the_gross_price_on_the_shipping_line() -> None:
    adjustment = {
        "kind": "shipping_refund",
        "amount_set": _money("-4.08"),
        "tax_amount_set": _money("-0.82"),
    }
    draft = refund_from_shopify(
        _payload([], adjustments=[adjustment], transactions=[("4.90", "success"), ("4.90", "failure")]),
        _mappings(),
        taxes_included=True,
    )
    lines = [NoteLine(1, 10, D(3), D("12.00"), (TAX,)), NoteLine(2, SHIP, D(1), D("4.90"), (TAX,))]
    plan = plan_credit_note(
        draft,
        lines,
        shipping_products=frozenset({SHIP}),
        adjustment_product_id=None,
        tax_rates={TAX: D("0.2")},
    )
    assert (draft.shipping, draft.total) == (D("4.90"), D("4.90"))  # the failed transaction gave nothing back
    assert plan.keep == {2: (D(1), D("4.90"))} and plan.remove == (1,)
    assert plan.expected_total == D("4.90")


def test_a_refund_discrepancy_needs_the_shops_adjustment_product() -> None:
    adjustment = {"kind": "refund_discrepancy", "amount_set": _money("-2.50"), "tax_amount_set": _money("0")}
    draft = refund_from_shopify(
        _payload([("MUG", 1, "10.00", "2.00", "no_restock")], adjustments=[adjustment]),
        _mappings(),
        taxes_included=False,
    )
    lines = [NoteLine(1, 11, D(1), D("10.00"), (TAX,))]
    without = plan_credit_note(
        draft, lines, shipping_products=frozenset(), adjustment_product_id=None, tax_rates={TAX: D("0.2")}
    )
    with_product = plan_credit_note(
        draft, lines, shipping_products=frozenset(), adjustment_product_id=55, tax_rates={TAX: D("0.2")}
    )
    assert draft.computed_total == D("14.50")
    assert without.expected_total == D("12.00") and "refund discrepancy 2.50" in without.problems[0]
    assert [(a.product_id, a.price_unit) for a in with_product.add] == [(55, D("2.50"))]
    assert with_product.expected_total == D("14.50") and with_product.problems == ()


def test_more_units_refunded_than_invoiced_is_named() -> None:
    draft = refund_from_shopify(
        _payload([("MUG", 2, "20.00", "4.00", "cancel")]), _mappings(), taxes_included=False
    )
    plan = plan_credit_note(
        draft,
        [NoteLine(1, 11, D(1), D("10.00"), (TAX,))],
        shipping_products=frozenset(),
        adjustment_product_id=None,
        tax_rates={TAX: D("0.2")},
    )
    assert plan.problems and "the invoice has fewer" in plan.problems[0]


def test_an_unmapped_refunded_sku_is_unknown_sku() -> None:
    with pytest.raises(BusinessRuleError) as err:
        refund_from_shopify(
            _payload([("HAT", 1, "5.00", "1.00", "no_restock")]), _mappings(), taxes_included=False
        )
    assert (err.value.code, err.value.key) == ("unknown_sku", "HAT")


def test_duties_given_back_are_a_tax_free_line_on_the_duties_product() -> None:
    # given Shopify refunding a mug (10.00 + 2.00 tax) and its duty of 1.30, 13.30 through the card
    payload = _payload([("MUG", 1, "10.00", "2.00", "no_restock")], transactions=[("13.30", "success")])
    payload["duties"] = [{"duty_id": 4, "amount_set": _money("1.30")}]
    payload["total_duties_set"] = _money("1.30")
    draft = refund_from_shopify(payload, _mappings(), taxes_included=False)
    # the invoice's lines: the mug and the order's duties line (product 60), copied by the reversal
    lines = [NoteLine(1, 11, D(1), D("10.00"), (TAX,)), NoteLine(2, 60, D(1), D("2.60"))]

    plan = plan_credit_note(
        draft,
        lines,
        shipping_products=frozenset(),
        adjustment_product_id=55,
        tax_rates={TAX: D("0.2")},
        duties_product_id=60,
    )
    unmapped = plan_credit_note(
        draft, lines, shipping_products=frozenset(), adjustment_product_id=55, tax_rates={TAX: D("0.2")}
    )

    assert (draft.duties, draft.computed_total, draft.total) == (D("1.30"), D("13.30"), D("13.30"))
    assert plan.keep == {1: (D(1), D("10.00"))} and plan.remove == (2,)
    assert [(a.product_id, a.quantity, a.price_unit, a.tax_ids) for a in plan.add] == [
        (60, D(1), D("1.30"), ())
    ]
    assert (plan.expected_total, plan.problems) == (D("13.30"), ())
    assert unmapped.expected_total == D("12.00")
    assert unmapped.problems == (
        "duties given back 1.30: no product is mapped (SHOP row key duties_product_id)",
    )


def test_duties_given_back_are_summed_from_the_refunds_duties_when_it_states_no_total() -> None:
    payload = _payload([])
    payload["duties"] = [
        {"duty_id": 4, "amount_set": _money("1.30")},
        {"duty_id": 5, "amount_set": _money("0.45")},
    ]

    assert refund_from_shopify(payload, _mappings(), taxes_included=False).duties == D("1.75")


def test_money_beyond_the_items_is_the_tip_up_to_what_is_left_of_it_the_rest_a_discrepancy() -> None:
    # given a refund of 6.00 with no items: Shopify's refund discrepancy of -6.00
    adjustment = {"kind": "refund_discrepancy", "amount_set": _money("-6.00"), "tax_amount_set": _money("0")}
    draft = refund_from_shopify(
        _payload([], adjustments=[adjustment], transactions=[("6.00", "success")]),
        _mappings(),
        taxes_included=False,
    )

    # when the order has 4.50 of its tip left to give back
    split = with_tip_given_back(draft, D("4.50"))
    plan = plan_credit_note(
        split,
        [NoteLine(1, 11, D(1), D("10.00"), (TAX,)), NoteLine(2, 61, D(1), D("4.50"))],
        shipping_products=frozenset(),
        adjustment_product_id=55,
        tax_rates={TAX: D("0.2")},
        tip_product_id=61,
    )

    # then 4.50 is the tip, on the tip product, and 1.50 stays a discrepancy on the adjustment product
    assert (split.tip, split.discrepancy, split.computed_total) == (D("4.50"), D("1.50"), D("6.00"))
    assert sorted((a.product_id, a.price_unit) for a in plan.add) == [(55, D("1.50")), (61, D("4.50"))]
    assert (plan.expected_total, plan.problems, plan.remove) == (D("6.00"), (), (1, 2))
    # and without a tip left (or with less given back than the items are worth) nothing moves to the tip
    assert with_tip_given_back(draft, D(0)) == draft
    less = refund_from_shopify(
        _payload(
            [],
            adjustments=[{**adjustment, "amount_set": _money("2.00")}],
            transactions=[("0.00", "success")],
        ),
        _mappings(),
        taxes_included=False,
    )
    assert with_tip_given_back(less, D("4.50")) == less


def test_a_line_refunded_over_several_refunds_is_never_credited_beyond_what_the_invoice_has_left() -> None:
    # given 8 tees for 0.04 booked as 4 at 0.01 and 4 at 0.00, and three Shopify refunds of the line: 3 tees
    # for 0.02, 3 more for 0.02 (Shopify rounds each refund's share on its own), then 1 for 0.01
    lines = [NoteLine(1, 10, D(4), D("0.01")), NoteLine(2, 10, D(4), D("0.00"))]

    def plan(units: int, amount: str, credited: dict[tuple[int, Decimal], Decimal]) -> Any:
        draft = refund_from_shopify(
            _payload([("TEE", units, amount, "0.00", "no_restock")], transactions=[(amount, "success")]),
            _mappings(),
            taxes_included=False,
        )
        return plan_credit_note(
            draft,
            lines,
            shipping_products=frozenset(),
            adjustment_product_id=None,
            tax_rates={},
            credited=credited,
        )

    first = plan(3, "0.02", {})
    assert first.keep == {1: (D(2), D("0.01")), 2: (D(1), D("0.00"))} and first.problems == ()
    # when the second refund is planned knowing what the first credit note took
    second = plan(3, "0.02", {(10, D("0.01")): D(2), (10, D("0.00")): D(1)})
    # then it takes the two units at 0.01 left, not units the first credit note took already
    assert second.keep == {1: (D(2), D("0.01")), 2: (D(1), D("0.00"))} and second.problems == ()
    # and the third, with only units at 0.00 left, takes one of those: the cent Shopify's rounding gave
    # beyond the line is a problem for finance to see (without a rounding rule), never a unit taken twice
    third = plan(1, "0.01", {(10, D("0.01")): D(4), (10, D("0.00")): D(2)})
    assert third.keep == {2: (D(1), D("0.00"))}
    assert third.problems == ("product 10: no split of the Odoo lines adds up to 0.01",)
    assert third.expected_total == D("0.00")
    # and a fourth refund of more units than are left says so
    fourth = plan(3, "0.00", {(10, D("0.01")): D(4), (10, D("0.00")): D(3)})
    assert fourth.keep == {} and fourth.problems == (
        "product 10: 3 refunded, the invoice has fewer left after its earlier credit notes",
    )
