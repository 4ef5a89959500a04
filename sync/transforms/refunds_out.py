"""An Odoo credit note -> the Shopify refund that gives the same money back. Pure: no I/O.

A credit note posted in Odoo for a Shopify order (a return handled in the warehouse, a goodwill credit)
becomes one ``refundCreate``:

- its product lines whose product is a mapped SKU on the order refund those line items, as many units as
  the credit note credits; the units the warehouse took back (done returns of the order's deliveries that
  no refund has restocked yet) are ``RETURN`` at the Shopify location mapped to the return's destination,
  the rest ``NO_RESTOCK`` (the goods stay with the customer, or never came back);
- its shipping lines (a mapped delivery product) refund that much of the shipping, in the order's price
  basis (as an Odoo ``price_unit``);
- every other line (a goodwill product, a line of a product not on the order) moves money only;
- the money is the credit note's total, given back through the order's payments (``transactions``, each to
  its parent sale or capture, Shopify Payments first, never beyond what a payment has left): Shopify's
  refund totals its transactions, so the refund gives back exactly what the credit note credits. What the
  payments cannot hold is put on the last one anyway: Shopify refuses it, and its message goes to finance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from opsconsole.core.errors import BusinessRuleError

ZERO = Decimal("0")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class CreditLine:
    """A line of the credit note (``account.move.line`` with ``display_type`` product)."""

    product_id: int | None
    name: str
    quantity: Decimal
    price_unit: Decimal  # the order's price basis: tax included when its taxes are included


@dataclass(frozen=True)
class OrderLineItem:
    """A Shopify line item, with what is left to refund of it."""

    line_item_id: str
    sku: str
    refundable: int


@dataclass(frozen=True)
class Returned:
    """Units of a product the warehouse took back at an Odoo location, not yet restocked in Shopify."""

    product_id: int
    odoo_location_id: int | None
    quantity: int


@dataclass(frozen=True)
class Payment:
    """A successful sale or capture of the order and what it has left to refund (shop money, and the
    presentment money the transactions are given in)."""

    id: str  # gid://shopify/OrderTransaction/...
    gateway: str
    left: Decimal
    left_presentment: Decimal


@dataclass(frozen=True)
class PlannedLine:
    line_item_id: str
    sku: str
    quantity: int
    restock_type: str  # RETURN | NO_RESTOCK
    location_id: str | None = None  # Shopify location gid, for RETURN
    odoo_location_id: int | None = None


@dataclass(frozen=True)
class PlannedTransaction:
    parent_id: str
    gateway: str
    amount: Decimal  # shop money
    amount_presentment: Decimal


@dataclass(frozen=True)
class RefundPlan:
    total: Decimal  # what the refund must give back (the credit note's total)
    lines: tuple[PlannedLine, ...]
    shipping: Decimal  # shipping refunded, in the order's price basis (0: none)
    transactions: tuple[PlannedTransaction, ...]
    money_only: tuple[str, ...] = ()  # credit note lines that move money only (their names)
    over: Decimal = ZERO  # what the order's payments have not left to refund (Shopify will refuse it)
    returned: Mapping[int, int] = field(default_factory=dict)  # product id -> units restocked by this refund


def _units(line: CreditLine) -> int:
    units = line.quantity.to_integral_value()
    if units != line.quantity or units <= 0:
        raise BusinessRuleError(
            f"credit note line {line.name!r} credits {line.quantity} units: a Shopify refund refunds whole "
            "units of a line item",
            code="refund_out_quantity",
            key="",
            details={"line": line.name, "quantity": str(line.quantity)},
        )
    return int(units)


def _allocate(total: Decimal, payments: Sequence[Payment]) -> tuple[tuple[PlannedTransaction, ...], Decimal]:
    """Split ``total`` over the payments, Shopify Payments first; the part none can hold goes on the last."""
    ordered = sorted(payments, key=lambda p: p.gateway != "shopify_payments")
    out: list[PlannedTransaction] = []
    left = total
    for payment in ordered:
        if left <= 0:
            break
        if payment.left <= 0:
            continue
        take = min(payment.left, left)
        rate = payment.left_presentment / payment.left
        presentment = (
            payment.left_presentment
            if take == payment.left
            else (take * rate).quantize(CENT, rounding=ROUND_HALF_UP)
        )
        out.append(PlannedTransaction(payment.id, payment.gateway, take, presentment))
        left -= take
    over = max(left, ZERO)
    if over > 0 and ordered:
        last = ordered[-1]
        if out and out[-1].parent_id == last.id:
            tx = out.pop()
            out.append(
                PlannedTransaction(tx.parent_id, tx.gateway, tx.amount + over, tx.amount_presentment + over)
            )
        else:
            out.append(PlannedTransaction(last.id, last.gateway, over, over))
    return tuple(out), over


def plan_refund_out(
    *,
    total: Decimal,
    lines: Sequence[CreditLine],
    line_items: Sequence[OrderLineItem],
    skus_by_product: Mapping[int, str],
    shipping_products: frozenset[int],
    returned: Sequence[Returned],
    shopify_locations: Mapping[int, str],
    payments: Sequence[Payment],
) -> RefundPlan:
    """The refund that gives back ``total`` for these credit note lines (see the module's docstring).

    ``shopify_locations``: Odoo stock location id -> Shopify location gid (the LOCATION mapping)."""
    if total <= 0:
        raise BusinessRuleError(
            f"the credit note totals {total}: there is nothing to give back",
            code="refund_out_nothing",
            key="",
        )
    if not payments:
        raise BusinessRuleError(
            "the Shopify order has no successful payment to give the money back through",
            code="refund_refused",
            key="no_payment",
        )
    items = {item.sku: item for item in line_items}
    left_to_refund = {item.line_item_id: item.refundable for item in line_items}
    back: dict[int, list[list[int | None]]] = {}
    for r in returned:
        if r.quantity > 0:
            back.setdefault(r.product_id, []).append([r.odoo_location_id, r.quantity])
    planned: list[PlannedLine] = []
    money_only: list[str] = []
    restocked: dict[int, int] = {}
    shipping = ZERO
    for line in lines:
        if line.product_id is not None and line.product_id in shipping_products:
            shipping += line.price_unit * line.quantity
            continue
        sku = skus_by_product.get(line.product_id) if line.product_id is not None else None
        item = items.get(sku) if sku else None
        if item is None or sku is None or line.product_id is None:
            money_only.append(line.name)
            continue
        units = _units(line)
        if units > left_to_refund[item.line_item_id]:
            # Shopify refunds no more units than are left on the line item: the rest is money only.
            units = left_to_refund[item.line_item_id]
            money_only.append(line.name)
        if units <= 0:
            continue
        left_to_refund[item.line_item_id] -= units
        for entry in back.get(line.product_id, []):
            location, available = entry[0], int(entry[1] or 0)
            take = min(units, available)
            if take <= 0:
                continue
            gid = shopify_locations.get(location) if location is not None else None
            if gid is None:
                raise BusinessRuleError(
                    f"{sku}: {take} returned to Odoo location {location}, which no Shopify location maps "
                    "to: map it (Mappings → locations) so that the return restocks there, then replay",
                    code="unknown_location",
                    key=str(location),
                    details={"sku": sku, "odoo_location_id": location},
                )
            planned.append(PlannedLine(item.line_item_id, sku, take, "RETURN", gid, location))
            restocked[line.product_id] = restocked.get(line.product_id, 0) + take
            entry[1] = available - take
            units -= take
        if units > 0:
            planned.append(PlannedLine(item.line_item_id, sku, units, "NO_RESTOCK"))
    transactions, over = _allocate(total, payments)
    return RefundPlan(
        total=total,
        lines=tuple(planned),
        shipping=shipping.quantize(CENT, rounding=ROUND_HALF_UP),
        transactions=transactions,
        money_only=tuple(money_only),
        over=over,
        returned=restocked,
    )


def returned_not_restocked(returns: Sequence[Returned], already: Mapping[int, int]) -> list[Returned]:
    """The returns less the units Shopify refunds already restocked, product by product (oldest first)."""
    used = dict(already)
    out = []
    for r in returns:
        take = min(used.get(r.product_id, 0), r.quantity)
        used[r.product_id] = used.get(r.product_id, 0) - take
        if r.quantity - take > 0:
            out.append(Returned(r.product_id, r.odoo_location_id, r.quantity - take))
    return out
