"""Multi-currency, the flow half: which currency the job's order is booked in (sync/transforms/currency.py),
checked against Odoo, and kept on the order's link so that every later job of the order (edits, invoice,
payments, credit notes) books the same currency whatever the shop's rule says by then.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from opsconsole.core.errors import BusinessRuleError
from sync.connectors.shopify.types import OrderTransaction
from sync.flows.context import JobContext
from sync.models import ExternalLink
from sync.transforms.currency import (
    Booking,
    booked_mappings,
    booking_for,
    in_booked_currency,
    order_currencies,
)
from sync.transforms.orders import unwrap_order

#: The error code of a PRICELIST row whose Odoo pricelist is in another currency (or gone).
PRICELIST_CURRENCY_MISMATCH = "pricelist_currency_mismatch"


def link_booking(link: ExternalLink | None, order: Mapping[str, Any], ctx: JobContext) -> Booking | None:
    """How a booked order was booked: as its link says; a link from before bookings were recorded was
    booked in the shop currency. None: the order is not booked yet."""
    if link is None:
        return None
    recorded = link.data.get("booking")
    if isinstance(recorded, Mapping):
        return Booking.from_dict(recorded)
    shop, presented = order_currencies(order, ctx.mappings)
    return Booking(shop, shop, presented, "shop_money", ctx.mappings.pricelist_id)


def pricelist_verify(ctx: JobContext, booking: Booking) -> None:
    """The pricelist mapped for a presentment currency must be in that currency in Odoo (Odoo takes the
    order's currency from its pricelist): else the order parks before anything is written."""
    assert booking.pricelist_id is not None
    with ctx.call("odoo", "pricelist_currency"):
        currency = ctx.odoo.pricelist_currency(booking.pricelist_id)
    if currency is not None and currency.upper() == booking.currency:
        return
    found = f"is in {currency}" if currency else "does not exist in Odoo"
    raise BusinessRuleError(
        f"the Odoo pricelist {booking.pricelist_id} mapped for {booking.currency} {found}: orders presented "
        f"in {booking.currency} are booked in it, so it must be in {booking.currency}. Map a pricelist in "
        f"{booking.currency} (Mappings → Currency → pricelist), then replay.",
        code=PRICELIST_CURRENCY_MISMATCH,
        key=booking.currency,
        details={
            "pricelist_id": booking.pricelist_id,
            "pricelist_currency": currency,
            "currency": booking.currency,
        },
    )


def order_booking(ctx: JobContext, payload: Any, link: ExternalLink | None) -> Any:
    """Decide how the job's order is booked (once per job): as its link recorded, or by the shop's rule for
    a new order (its pricelist checked in Odoo). The job's mappings become the booked currency's, and the
    payload is answered in the booked currency (sync/transforms/currency.py ``in_booked_currency``)."""
    if ctx.booking is None:
        order = unwrap_order(payload)
        booking = link_booking(link, order, ctx)
        if booking is None:
            booking = booking_for(order, ctx.mappings)
            if booking.in_presentment:
                pricelist_verify(ctx, booking)
        ctx.book_in(booking, booked_mappings(ctx.mappings, booking))
    assert ctx.booking is not None
    return in_booked_currency(payload, ctx.booking)


def booked_amount(tx: OrderTransaction, currency: str, order_id: str) -> Decimal:
    """The transaction's amount in the currency the order is booked in (Shopify's ``amountSet`` has the shop
    and the presentment amount)."""
    for money in (tx.amount, tx.amount_presentment):
        if money.currency.upper() == currency.upper():
            return money.amount
    raise BusinessRuleError(
        f"Shopify transaction {tx.id} is in {tx.amount.currency} / {tx.amount_presentment.currency}, the "
        f"order is booked in {currency}",
        code="currency_mismatch",
        key=currency,
        details={"order_id": order_id, "transaction": tx.id},
    )
