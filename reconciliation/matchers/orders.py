"""Order completeness as pure functions: Shopify's orders of a window against Odoo's sale orders, one page
at a time (so that a month of a busy shop streams through in bounded memory). No I/O: the service reads
both systems and hands the values in; these functions say what differs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

#: Discrepancy codes of order completeness.
MISSING_IN_ODOO = "order_missing_in_odoo"
MISSING_IN_SHOPIFY = "order_missing_in_shopify"
CANCELLED_IN_SHOPIFY_ONLY = "order_cancelled_in_shopify_only"
CANCELLED_IN_ODOO_ONLY = "order_cancelled_in_odoo_only"
TOTAL_DIFFERS = "order_total_differs"
DUPLICATE_IN_ODOO = "order_duplicate_in_odoo"

ORDER_CODES = (
    MISSING_IN_ODOO,
    MISSING_IN_SHOPIFY,
    CANCELLED_IN_SHOPIFY_ONLY,
    CANCELLED_IN_ODOO_ONLY,
    TOTAL_DIFFERS,
    DUPLICATE_IN_ODOO,
)


@dataclass(frozen=True)
class ShopifyOrder:
    order_id: str  # the numeric id, which is the Odoo sale order's client_order_ref
    name: str
    created_at: datetime
    updated_at: datetime
    cancelled: bool
    total: Decimal  # in the shop's currency
    currency: str
    # The same total in the currency the customer saw (Shopify's presentmentMoney); an order booked in its
    # presentment currency (sync/transforms/currency.py) is compared with it.
    presentment_total: Decimal | None = None
    presentment_currency: str = ""

    def total_in(self, currency: str) -> Decimal | None:
        """Shopify's total in ``currency`` when Shopify states it in that currency (None otherwise)."""
        if currency == self.currency:
            return self.total
        if currency == self.presentment_currency and self.presentment_total is not None:
            return self.presentment_total
        return None


@dataclass(frozen=True)
class OdooOrder:
    odoo_id: int
    name: str
    ref: str  # client_order_ref
    state: str  # draft | sent | sale | cancel
    total: Decimal
    currency: str
    created_at: datetime | None = None

    @property
    def cancelled(self) -> bool:
        return self.state == "cancel"


@dataclass(frozen=True)
class Finding:
    """One difference: its code, the order it is about, and both sides' values as text."""

    code: str
    subject: str  # "order:<shopify id>"
    label: str
    shopify_value: str = ""
    odoo_value: str = ""
    amount_shopify: Decimal | None = None
    amount_odoo: Decimal | None = None
    currency: str = ""
    occurred_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class PageResult:
    checked: int = 0
    matched: int = 0
    findings: list[Finding] = field(default_factory=list)
    missing: list[ShopifyOrder] = field(default_factory=list)  # to backfill


def _money(value: Decimal, currency: str) -> str:
    return f"{value:.2f} {currency}".strip()


def match_orders_page(
    shopify_orders: Iterable[ShopifyOrder],
    odoo_by_ref: Mapping[str, list[OdooOrder]],
    *,
    tolerance: Decimal = Decimal("0.00"),
) -> PageResult:
    """Compare one page of Shopify orders with the Odoo sale orders found for their references.

    A matched order agrees on being cancelled or not and, when not cancelled, on its total to the cent
    (``tolerance`` is 0 unless finance configured otherwise). Odoo's total is in the currency the order is
    booked in: the shop's, or the one Shopify presented it in, and it is compared with Shopify's total in
    that currency; a currency Shopify did not state the order in is a total difference naming both."""
    result = PageResult()
    for order in shopify_orders:
        result.checked += 1
        subject = f"order:{order.order_id}"
        candidates = odoo_by_ref.get(order.order_id, [])
        if not candidates:
            result.missing.append(order)
            result.findings.append(
                Finding(
                    MISSING_IN_ODOO,
                    subject,
                    order.name,
                    shopify_value=_money(order.total, order.currency)
                    + (" (cancelled)" if order.cancelled else ""),
                    odoo_value="no sale order",
                    amount_shopify=order.total,
                    currency=order.currency,
                    occurred_at=order.created_at,
                )
            )
            continue
        live = [c for c in candidates if not c.cancelled] or candidates
        odoo = live[0]
        before = len(result.findings)
        if sum(1 for c in candidates if not c.cancelled) > 1:
            result.findings.append(
                Finding(
                    DUPLICATE_IN_ODOO,
                    subject,
                    order.name,
                    shopify_value="1 order",
                    odoo_value=", ".join(c.name for c in live),
                    currency=order.currency,
                    occurred_at=order.created_at,
                    details={"odoo_ids": [c.odoo_id for c in live]},
                )
            )
        if order.cancelled and not odoo.cancelled:
            result.findings.append(
                Finding(
                    CANCELLED_IN_SHOPIFY_ONLY,
                    subject,
                    order.name,
                    shopify_value="cancelled",
                    odoo_value=f"{odoo.name} {odoo.state}",
                    currency=order.currency,
                    occurred_at=order.created_at,
                    details={"odoo_id": odoo.odoo_id},
                )
            )
        elif odoo.cancelled and not order.cancelled:
            result.findings.append(
                Finding(
                    CANCELLED_IN_ODOO_ONLY,
                    subject,
                    order.name,
                    shopify_value="open",
                    odoo_value=f"{odoo.name} cancelled",
                    currency=order.currency,
                    occurred_at=order.created_at,
                    details={"odoo_id": odoo.odoo_id},
                )
            )
        elif not order.cancelled and (
            (expected := order.total_in(odoo.currency)) is None or abs(odoo.total - expected) > tolerance
        ):
            shopify_total = expected if expected is not None else order.total
            shopify_currency = odoo.currency if expected is not None else order.currency
            result.findings.append(
                Finding(
                    TOTAL_DIFFERS,
                    subject,
                    order.name,
                    shopify_value=_money(shopify_total, shopify_currency),
                    odoo_value=_money(odoo.total, odoo.currency),
                    amount_shopify=shopify_total,
                    amount_odoo=odoo.total,
                    currency=shopify_currency,
                    occurred_at=order.created_at,
                    details={
                        "odoo_id": odoo.odoo_id,
                        "difference": str(odoo.total - shopify_total),
                        "odoo_currency": odoo.currency,
                    },
                )
            )
        if len(result.findings) == before:
            result.matched += 1
    return result


def odoo_only(odoo_orders: Iterable[OdooOrder], shopify_known: Mapping[str, bool]) -> list[Finding]:
    """Odoo sale orders whose reference Shopify does not know (``shopify_known[ref]`` is False)."""
    return [
        Finding(
            MISSING_IN_SHOPIFY,
            f"order:{o.ref}",
            o.name,
            shopify_value="no order",
            odoo_value=f"{o.name} {o.state} {_money(o.total, o.currency)}",
            amount_odoo=o.total,
            currency=o.currency,
            occurred_at=o.created_at,
            details={"odoo_id": o.odoo_id},
        )
        for o in odoo_orders
        if not shopify_known.get(o.ref, False)
    ]
