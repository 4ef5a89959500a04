"""What the Odoo sale order should total after edits and refunds (``sale_order_totals``), whether Shopify's
order came as a webhook (refunds with their lines and adjustments) or was read through the Admin API (the
connector's REST shape: each refund with its total only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sync.transforms.orders import refund_taxes_known, sale_order_totals

D = Decimal


def _set(amount: str) -> dict[str, Any]:
    return {"shop_money": {"amount": amount, "currency_code": "EUR"}}


def _order(*refunds: dict[str, Any]) -> dict[str, Any]:
    # 100.00 ordered (tax excluded, 20 %), 30.00 of it refunded: 70.00 now, 11.67 tax now
    return {
        "taxes_included": False,
        "total_price": "100.00",
        "total_tax": "16.67",
        "current_total_price_set": _set("70.00"),
        "current_total_tax_set": _set("11.67"),
        "refunds": list(refunds),
    }


def test_a_webhooks_refund_is_added_back_line_by_line_with_its_tax() -> None:
    refund = {
        "refund_line_items": [{"subtotal_set": _set("20.83"), "total_tax_set": _set("4.17")}],
        "order_adjustments": [
            {"kind": "shipping_refund", "amount_set": _set("-4.17"), "tax_amount_set": _set("-0.83")}
        ],
    }
    assert sale_order_totals(_order(refund)) == (D("100.00"), D("16.67"))
    assert refund_taxes_known(_order(refund)) is True


def test_a_refund_read_through_the_api_is_added_back_whole_and_its_tax_is_unknown() -> None:
    refund = {"id": 1, "total_refunded_set": _set("30.00")}
    total, _ = sale_order_totals(_order(refund))
    assert total == D("100.00")
    assert refund_taxes_known(_order(refund)) is False


def test_a_shipping_refund_of_a_tax_included_order_is_added_back_with_its_tax() -> None:
    # 4.90 shipping (0.82 of it tax) refunded: Shopify states the adjustment before tax
    order = {
        "taxes_included": True,
        "current_total_price_set": _set("95.10"),
        "current_total_tax_set": _set("15.85"),
        "refunds": [
            {
                "refund_line_items": [],
                "order_adjustments": [
                    {"kind": "shipping_refund", "amount_set": _set("-4.08"), "tax_amount_set": _set("-0.82")}
                ],
            }
        ],
    }
    assert sale_order_totals(order) == (D("100.00"), D("16.67"))
