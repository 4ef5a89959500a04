"""Fulfilments, pure: what an Odoo delivery shipped, which Shopify fulfilment order lines it fulfils, and
the tracking Shopify gets; and, the other way, how a fulfilment made outside Odoo differs from the delivery.

No I/O: the flow (sync/flows/fulfilments.py) reads the picking's moves and the order's fulfilment orders and
hands them here.

Facts of the Admin API (2026-07) this follows:

- ``fulfillmentCreate`` takes ``lineItemsByFulfillmentOrder``; all the fulfilment orders of one call must be
  assigned to one location ("All fulfillment orders must be assigned to a single location"), so a delivery
  whose lines sit at two locations is two fulfilments;
- only fulfilment orders with status OPEN or IN_PROGRESS can be fulfilled, and at most each line's
  ``remainingQuantity``; quantities are whole numbers;
- ``trackingInfo.company`` should be one of Shopify's tracking company names (Shopify then builds the link);
  ``url`` only with ``number``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from opsconsole.core.errors import BusinessRuleError
from sync.transforms.types import BundleRule, CarrierTarget

FULFILLABLE = ("OPEN", "IN_PROGRESS")


@dataclass(frozen=True)
class ShippedLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class FulfilmentGroup:
    """One ``fulfillmentCreate``: fulfilment order lines at one Shopify location."""

    location_id: str  # Location gid
    items: tuple[tuple[str, str, int], ...]  # (fulfilment order, its line item, quantity)
    lines: tuple[tuple[str, str, int], ...]  # (sku, line item gid, quantity), for the record

    def by_fulfillment_order(self) -> list[dict[str, Any]]:
        """The ``lineItemsByFulfillmentOrder`` input."""
        grouped: dict[str, list[dict[str, Any]]] = {}
        for fo_id, foli_id, quantity in self.items:
            grouped.setdefault(fo_id, []).append({"id": foli_id, "quantity": quantity})
        return [
            {"fulfillmentOrderId": fo, "fulfillmentOrderLineItems": items} for fo, items in grouped.items()
        ]


@dataclass(frozen=True)
class Tracking:
    company: str = ""
    number: str = ""
    url: str = ""


def _whole(quantity: Decimal | float | int, sku: str) -> int:
    value = Decimal(str(quantity))
    if value != value.to_integral_value():
        raise BusinessRuleError(
            f"Odoo shipped {value} of {sku}: Shopify fulfils whole units only",
            code="fractional_quantity",
            key=sku,
        )
    return int(value)


def shipped_lines(
    moves: Iterable[Any],
    *,
    skus_by_product: Mapping[int, str],
    picking: str = "",
    bundles: Mapping[str, BundleRule] | None = None,
) -> list[ShippedLine]:
    """What a done delivery shipped, per SKU (moves are ``MoveInfo``-like: product_id, sku, quantity, state).
    The SKU is the Shopify SKU the product is mapped to, else the product's internal reference.

    ``bundles``: the order's bundle SKUs with their rules (sync/transforms/bundles.py). A kit shipped is its
    bundle; components shipped count as whole bundles (as many as every component's quantity allows, the
    rest stays as the components' own SKUs, which Shopify has no line for unless sold apart)."""
    by_product: dict[int, Decimal] = {}
    described: dict[int, tuple[str, str]] = {}  # product -> (its internal reference, its name)
    totals: dict[str, Decimal] = {}
    for move in moves:
        if move.state != "done" or not move.quantity:
            continue
        quantity = Decimal(str(move.quantity))
        if not move.product_id:
            if not move.sku:
                raise BusinessRuleError(
                    f"delivery {picking} shipped {move.product_name!r}, which has no SKU Shopify knows",
                    code="unknown_product",
                    key="",
                )
            totals[move.sku] = totals.get(move.sku, Decimal(0)) + quantity
            continue
        by_product[move.product_id] = by_product.get(move.product_id, Decimal(0)) + quantity
        described.setdefault(move.product_id, (move.sku or "", move.product_name or ""))
    for sku, rule in (bundles or {}).items():
        if rule.mode == "kit":
            if rule.product_id is not None and rule.product_id in by_product:
                totals[sku] = totals.get(sku, Decimal(0)) + by_product.pop(rule.product_id)
            continue
        units = min(
            (by_product.get(c.product_id, Decimal(0)) // c.quantity for c in rule.components),
            default=Decimal(0),
        )
        if units > 0:
            totals[sku] = totals.get(sku, Decimal(0)) + units
            for c in rule.components:
                by_product[c.product_id] -= units * c.quantity
    for product_id, quantity in by_product.items():
        if quantity <= 0:
            continue
        code, name = described[product_id]
        sku = skus_by_product.get(product_id) or code
        if not sku:
            raise BusinessRuleError(
                f"delivery {picking} shipped {name!r}, which has no SKU Shopify knows",
                code="unknown_product",
                key=str(product_id),
            )
        totals[sku] = totals.get(sku, Decimal(0)) + quantity
    return [ShippedLine(sku, _whole(qty, sku)) for sku, qty in totals.items() if qty > 0]


def plan_fulfilment(
    fulfillment_orders: Sequence[Mapping[str, Any]],
    shipped: Sequence[ShippedLine],
    *,
    location_id: str | None,
    location_label: str = "",
) -> list[FulfilmentGroup]:
    """The fulfilments that ship ``shipped``: one per Shopify location. With ``location_id`` (the delivery's
    Odoo location is mapped to that Shopify location) only fulfilment orders assigned there are used, so that
    stock leaving one warehouse never fulfils another location's order; without, every open fulfilment order.
    Anything Shopify has no open quantity for is refused, naming the SKUs and quantities."""
    open_fos = [fo for fo in fulfillment_orders if fo.get("status") in FULFILLABLE]
    if location_id:
        open_fos = [fo for fo in open_fos if _fo_location(fo) == location_id]
    wanted = {line.sku: line.quantity for line in shipped}
    by_location: dict[str, tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]] = {}
    for fo in open_fos:
        for foli in fo["lineItems"]["nodes"]:
            sku = (foli.get("lineItem") or {}).get("sku") or ""
            need = wanted.get(sku, 0)
            take = min(need, int(foli.get("remainingQuantity") or 0))
            if take <= 0:
                continue
            items, lines = by_location.setdefault(_fo_location(fo), ([], []))
            items.append((fo["id"], foli["id"], take))
            lines.append((sku, foli["lineItem"]["id"], take))
            wanted[sku] = need - take
    left = {sku: qty for sku, qty in wanted.items() if qty > 0}
    if left:
        where = f" at {location_label or location_id}" if location_id else ""
        detail = ", ".join(f"{qty} x {sku}" for sku, qty in sorted(left.items()))
        raise BusinessRuleError(
            f"Odoo shipped {detail} that Shopify has no open fulfilment order line for{where}",
            code="fulfilment_quantity",
            key=location_label or location_id or "any location",
            details={"left": left},
        )
    return [
        FulfilmentGroup(location_id=loc, items=tuple(items), lines=tuple(lines))
        for loc, (items, lines) in by_location.items()
    ]


def _fo_location(fo: Mapping[str, Any]) -> str:
    return str((((fo.get("assignedLocation") or {}).get("location")) or {}).get("id") or "")


def tracking_for(
    *, carrier: str, number: str, odoo_url: str, carriers: Mapping[str, CarrierTarget]
) -> Tracking:
    """Shopify's tracking info for an Odoo carrier and tracking reference. A carrier Odoo names but the
    carrier table does not map is refused (one problem per carrier); no carrier is no company."""
    company, url = "", ""
    if carrier:
        target = carriers.get(carrier)
        if target is None:
            raise BusinessRuleError(
                f"Odoo's carrier {carrier!r} has no Shopify tracking company in the carrier mapping",
                code="unknown_carrier",
                key=carrier,
            )
        company = target.company
        if number and target.url:
            url = target.url.replace("{number}", number)
    if number and odoo_url:
        url = odoo_url
    return Tracking(company=company, number=number, url=url if number else "")


def line_difference(shopify: Mapping[str, int], odoo: Mapping[str, int]) -> dict[str, tuple[int, int]]:
    """SKU → (Shopify's quantity, Odoo's quantity) wherever they differ."""
    return {
        sku: (shopify.get(sku, 0), odoo.get(sku, 0))
        for sku in sorted(set(shopify) | set(odoo))
        if shopify.get(sku, 0) != odoo.get(sku, 0)
    }


def kit_deliveries(
    moves: Iterable[Any],
    *,
    kit_lines: Mapping[int, tuple[str, int, Decimal]],
    fulfilled: Mapping[str, int],
) -> tuple[list[Any], list[ShippedLine]]:
    """A kit sold on an Odoo line with mrp installed is delivered as its components' moves, each carrying the
    kit's line as ``sale_line_id`` (mrp explodes the phantom bill of materials); Shopify has one line, the
    bundle's. ``kit_lines``: sale line id → (bundle SKU, kit product, the line's ``qty_delivered``, which
    Odoo's sale_mrp counts in whole kits: every component delivered less returned). ``fulfilled``: what
    Shopify already has fulfilled of each bundle SKU (our earlier fulfilments of the order).

    Returns the moves that are not a kit's components (for :func:`shipped_lines`) and the whole kits now
    to fulfil: the line's delivered kits less those fulfilled. A partial kit (not every component shipped
    yet) is nothing to fulfil, not a quantity Shopify lacks; a move of the kit product itself (Odoo without
    mrp) is left to :func:`shipped_lines`."""
    rest, component_lines = [], set()
    for move in moves:
        line = kit_lines.get(move.sale_line_id) if getattr(move, "sale_line_id", None) else None
        if line is not None and move.product_id != line[1]:
            component_lines.add(move.sale_line_id)
            continue
        rest.append(move)
    totals: dict[str, Decimal] = {}
    for line_id in sorted(component_lines):
        sku, _, delivered = kit_lines[line_id]
        totals[sku] = totals.get(sku, Decimal(0)) + delivered
    kits = []
    for sku, delivered in totals.items():
        new = _whole(delivered, sku) - int(fulfilled.get(sku, 0))
        if new > 0:
            kits.append(ShippedLine(sku, new))
    return rest, kits


def merge_shipped(*parts: Sequence[ShippedLine]) -> list[ShippedLine]:
    """Shipped lines of several sources, one per SKU."""
    totals: dict[str, int] = {}
    for part in parts:
        for line in part:
            totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return [ShippedLine(sku, qty) for sku, qty in totals.items() if qty > 0]
