"""An Odoo credit note → the Shopify refund that gives the same money back: lines, restock, shipping and the
money through the order's payments."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from opsconsole.core.errors import BusinessRuleError
from sync.transforms.refunds_out import (
    CreditLine,
    OrderLineItem,
    Payment,
    PlannedLine,
    PlannedTransaction,
    Returned,
    plan_refund_out,
    returned_not_restocked,
)

TEE, MUG, SHIP, GOODWILL = 11, 12, 90, 91
WAREHOUSE, STORE = 8, 9
LOC_WAREHOUSE = "gid://shopify/Location/1"
SALE = "gid://shopify/OrderTransaction/500"
GIFT = "gid://shopify/OrderTransaction/501"


def _plan(lines, *, total, returned=(), payments=None, items=None):
    return plan_refund_out(
        total=D(total),
        lines=lines,
        line_items=items or [OrderLineItem("101", "TEE-M", 3), OrderLineItem("102", "MUG", 2)],
        skus_by_product={TEE: "TEE-M", MUG: "MUG"},
        shipping_products=frozenset({SHIP}),
        returned=returned,
        shopify_locations={WAREHOUSE: LOC_WAREHOUSE},
        payments=payments or [Payment(SALE, "shopify_payments", D("100.00"), D("100.00"))],
    )


def test_returned_units_restock_at_the_mapped_location_and_the_rest_do_not():
    # given a credit note of 2 tees (1 came back to the warehouse), a mug and the shipping
    lines = [
        CreditLine(TEE, "Tee", D("2"), D("20.00")),
        CreditLine(MUG, "Mug", D("1"), D("12.50")),
        CreditLine(SHIP, "Standard", D("1"), D("4.90")),
    ]

    # when it is planned
    plan = _plan(lines, total="57.40", returned=[Returned(TEE, WAREHOUSE, 1)])

    # then 1 tee is a RETURN at the warehouse's Shopify location, 1 tee and the mug are not restocked
    assert plan.lines == (
        PlannedLine("101", "TEE-M", 1, "RETURN", LOC_WAREHOUSE, WAREHOUSE),
        PlannedLine("101", "TEE-M", 1, "NO_RESTOCK"),
        PlannedLine("102", "MUG", 1, "NO_RESTOCK"),
    )
    assert plan.shipping == D("4.90")
    assert plan.transactions == (PlannedTransaction(SALE, "shopify_payments", D("57.40"), D("57.40")),)
    assert (plan.over, dict(plan.returned), plan.money_only) == (D("0"), {TEE: 1}, ())


def test_a_goodwill_credit_moves_money_only():
    plan = _plan([CreditLine(GOODWILL, "Goodwill", D("1"), D("5.00"))], total="5.00")
    assert (plan.lines, plan.shipping, plan.money_only) == ((), D("0.00"), ("Goodwill",))
    assert [t.amount for t in plan.transactions] == [D("5.00")]


def test_the_money_goes_to_shopify_payments_first_within_what_each_payment_has_left():
    payments = [
        Payment(GIFT, "gift_card", D("30.00"), D("30.00")),
        Payment(SALE, "shopify_payments", D("20.00"), D("18.00")),
    ]
    plan = _plan([CreditLine(GOODWILL, "Goodwill", D("1"), D("45.00"))], total="45.00", payments=payments)
    assert plan.transactions == (
        PlannedTransaction(SALE, "shopify_payments", D("20.00"), D("18.00")),
        PlannedTransaction(GIFT, "gift_card", D("25.00"), D("25.00")),
    )
    assert plan.over == D("0")


def test_more_than_the_payments_have_left_is_put_on_the_last_for_shopify_to_refuse():
    plan = _plan(
        [CreditLine(GOODWILL, "Goodwill", D("1"), D("130.00"))],
        total="130.00",
        payments=[Payment(SALE, "shopify_payments", D("100.00"), D("100.00"))],
    )
    assert plan.transactions == (PlannedTransaction(SALE, "shopify_payments", D("130.00"), D("130.00")),)
    assert plan.over == D("30.00")


def test_units_beyond_what_the_line_item_has_left_are_money_only():
    plan = _plan([CreditLine(MUG, "Mug", D("3"), D("12.50"))], total="37.50")
    assert plan.lines == (PlannedLine("102", "MUG", 2, "NO_RESTOCK"),)
    assert plan.money_only == ("Mug",)


def test_a_return_to_an_unmapped_location_parks_and_a_fraction_of_a_unit_is_refused():
    with pytest.raises(BusinessRuleError) as unmapped:
        _plan([CreditLine(TEE, "Tee", D("1"), D("20"))], total="20", returned=[Returned(TEE, STORE, 1)])
    with pytest.raises(BusinessRuleError) as fraction:
        _plan([CreditLine(TEE, "Tee", D("0.5"), D("20"))], total="10")
    assert (unmapped.value.code, unmapped.value.key) == ("unknown_location", str(STORE))
    assert fraction.value.code == "refund_out_quantity"


def test_returns_already_restocked_by_earlier_refunds_are_not_restocked_again():
    returns = [Returned(TEE, WAREHOUSE, 1), Returned(TEE, WAREHOUSE, 2), Returned(MUG, WAREHOUSE, 1)]
    assert returned_not_restocked(returns, {TEE: 2}) == [
        Returned(TEE, WAREHOUSE, 1),
        Returned(MUG, WAREHOUSE, 1),
    ]
