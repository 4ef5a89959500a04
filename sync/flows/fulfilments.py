"""Fulfilments: Odoo's deliveries become Shopify fulfilments, with tracking.

The stream ``pickings`` follows done ``stock.picking`` records of sale orders. A delivery (outgoing) asks
for a ``fulfillment.push`` job keyed by the picking AND its tracking (carrier, number, URL): a second read
of the same state makes no job, a tracking number set or changed later makes one that updates the
fulfilment (``fulfillmentTrackingInfoUpdate``). A return of a delivery asks for ``fulfillment.return``, which
cancels the delivery's fulfilment when everything came back (``fulfillmentCancel``), and parks otherwise.

Idempotent per picking: the ``Fulfilment`` row (unique per shop, picking and Shopify location) is written
*pending* before ``fulfillmentCreate`` (which takes no idempotency key in 2026-07) and completed after it.
A retry that finds a pending row looks among the order's fulfilments for the one it may have made before
dying, and adopts it instead of making a second. A backorder is a picking of its own: two partial
deliveries are two fulfilments. A delivery validated in Odoo *from* a Shopify fulfilment (a 3PL's,
sync/flows/fulfilments_in.py) is recognised and not pushed back.

Per-shop settings (keys of the SHOP mapping row): ``fulfilment_notify_customer`` (default false): Shopify
e-mails the customer on each fulfilment and tracking change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from opsconsole.core.errors import BusinessRuleError
from sync.connectors.odoo import ChangedRecord, MoveInfo
from sync.connectors.shopify.types import Fulfillment
from sync.flows.context import JobContext
from sync.flows.refunds import refund_return_ids
from sync.kinds import JobRequest
from sync.models import ExternalLink, Fulfilment, SyncJob
from sync.transforms.fulfilments import (
    ShippedLine,
    Tracking,
    kit_deliveries,
    line_difference,
    merge_shipped,
    plan_fulfilment,
    shipped_lines,
    tracking_for,
)
from sync.transforms.types import BundleRule, ShopMappings

STREAM = "pickings"
PICKING_FIELDS = (
    "name",
    "state",
    "sale_id",
    "picking_type_code",
    "carrier_id",
    "carrier_tracking_ref",
    "carrier_tracking_url",
    "return_id",
    "location_id",
    "date_done",
)


def _m2o(value: Any) -> tuple[int | None, str]:
    if isinstance(value, (list, tuple)) and value:
        return int(value[0]), str(value[1]) if len(value) > 1 else ""
    return None, ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def picking_input(record: ChangedRecord) -> dict[str, Any]:
    """What a job needs of a picking, as the stream read it."""
    v = record.values
    sale_id, sale_name = _m2o(v.get("sale_id"))
    _, carrier = _m2o(v.get("carrier_id"))
    location_id, location = _m2o(v.get("location_id"))
    return_of, _ = _m2o(v.get("return_id"))
    return {
        "id": record.id,
        "name": _text(v.get("name")),
        "sale_id": sale_id,
        "sale_name": sale_name,
        "type": _text(v.get("picking_type_code")),
        "carrier": carrier,
        "tracking_ref": _text(v.get("carrier_tracking_ref")),
        "tracking_url": _text(v.get("carrier_tracking_url")),
        "location_id": location_id,
        "location": location,
        "return_of": return_of,
        "date_done": _text(v.get("date_done")),
    }


def pickings_domain(mappings: ShopMappings) -> list[Any]:
    return [("sale_id", "!=", False), ("state", "=", "done")]


def pickings_handle(records: Sequence[ChangedRecord], mappings: ShopMappings) -> list[JobRequest]:
    """A done delivery → ``fulfillment.push`` (one per picking and tracking state); a done return of a
    delivery → ``fulfillment.return`` (one per return)."""
    requests = []
    for record in records:
        picking = picking_input(record)
        if not picking["sale_id"]:
            continue
        subject = f"odoo-order:{picking['sale_id']}"
        label = f"{picking['name']} ({picking['sale_name']})"
        if picking["return_of"]:
            requests.append(
                JobRequest(
                    kind="fulfillment.return",
                    idempotency_key=f"fulfillment:return:{mappings.shop_domain}:{record.id}",
                    subject=subject,
                    subject_label=label,
                    input={"picking": picking},
                )
            )
        elif picking["type"] == "outgoing":
            state = "|".join((picking["carrier"], picking["tracking_ref"], picking["tracking_url"]))
            digest = hashlib.blake2b(state.encode(), digest_size=6).hexdigest()
            requests.append(
                JobRequest(
                    kind="fulfillment.push",
                    idempotency_key=f"fulfillment:push:{mappings.shop_domain}:{record.id}:{digest}",
                    subject=subject,
                    subject_label=label,
                    input={"picking": picking},
                )
            )
    return requests


def _odoo_datetime(text: str) -> datetime | None:
    try:
        return datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _order_link(ctx: JobContext, sale_id: int | None) -> ExternalLink | None:
    if not sale_id:
        return None
    return ExternalLink.objects.filter(
        shop=ctx.shop, kind=ExternalLink.Kind.ORDER, odoo_model="sale.order", odoo_id=sale_id
    ).first()


def _notify(ctx: JobContext) -> bool:
    return bool(ctx.mappings.options.get("fulfilment_notify_customer", False))


def _tracking_of(row: Fulfilment) -> Tracking:
    return Tracking(company=row.tracking_company, number=row.tracking_number, url=row.tracking_url)


def _bundles(mappings: ShopMappings, skus: set[str]) -> dict[str, BundleRule]:
    """The rules of the bundles among ``skus`` (a delivery ships a kit, or a bundle's components)."""
    return {sku: rule for sku in sorted(skus) if isinstance(rule := mappings.bundles.get(sku), BundleRule)}


def fulfilment_push(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    picking = (job.input or {})["picking"]
    picking_id = int(picking["id"])
    link = _order_link(ctx, picking.get("sale_id"))
    if link is None:
        # A delivery of an order that did not come from this shop (another shop, a quotation made in Odoo).
        return {"outcome": "not_this_shops_order", "picking": picking["name"]}
    mappings = ctx.mappings
    tracking = tracking_for(
        carrier=picking["carrier"],
        number=picking["tracking_ref"],
        odoo_url=picking["tracking_url"],
        carriers=mappings.carriers,
    )
    rows = list(Fulfilment.objects.filter(shop=ctx.shop, odoo_picking_id=picking_id))
    if any(r.origin == Fulfilment.Origin.SHOPIFY for r in rows):
        # Validated in Odoo from a fulfilment made in Shopify (a 3PL): Shopify has it already.
        return {"outcome": "made_in_shopify", "picking": picking["name"]}
    rows = [r for r in rows if r.status != Fulfilment.Status.CANCELLED]
    if any(r.status == Fulfilment.Status.PENDING for r in rows):
        rows = _adopt_pending(ctx, link.shopify_id, rows)
    created = [r for r in rows if r.status == Fulfilment.Status.CREATED]
    if created:
        return _tracking_update(ctx, picking, created, tracking)

    with ctx.call("odoo", "picking_moves"):
        moves = ctx.odoo.picking_moves([picking_id]).get(picking_id, [])
    skus_by_product = {product: sku for sku, product in mappings.skus.items()}
    if not any(m.state == "done" and m.quantity for m in moves):
        return {"outcome": "nothing_shipped", "picking": picking["name"]}
    with ctx.call("shopify", "fulfillment_orders"):
        fulfillment_orders = ctx.shopify.fulfillment_orders(link.shopify_id)
    ordered = {
        str((foli.get("lineItem") or {}).get("sku") or "")
        for fo in fulfillment_orders
        for foli in fo["lineItems"]["nodes"]
    }
    bundles = _bundles(mappings, ordered)
    moves, kits = _kit_deliveries(ctx, picking, link, moves, bundles)
    shipped = merge_shipped(
        shipped_lines(moves, skus_by_product=skus_by_product, picking=picking["name"], bundles=bundles), kits
    )
    if not shipped:
        return {"outcome": "nothing_shipped", "picking": picking["name"]}
    by_odoo_location = {odoo: gid for gid, ids in mappings.locations.items() for odoo in ids}
    shopify_location = by_odoo_location.get(picking["location_id"] or 0)
    groups = plan_fulfilment(
        fulfillment_orders, shipped, location_id=shopify_location, location_label=picking["location"]
    )
    made = []
    for group in groups:
        row = _pending_row(ctx, picking, link, group.location_id, group.lines, tracking)
        with ctx.call("shopify", "fulfillmentCreate"):
            fulfillment = ctx.shopify.create_fulfillment_for(
                group.by_fulfillment_order(),
                tracking_company=tracking.company or None,
                tracking_number=tracking.number or None,
                tracking_url=tracking.url or None,
                notify_customer=_notify(ctx),
                subject=link.shopify_id,
            )
        _complete(row, fulfillment)
        made.append(fulfillment.id)
    return {
        "outcome": "fulfilled",
        "picking": picking["name"],
        "shopify_order_id": link.shopify_id,
        "fulfillments": made,
        "lines": {line.sku: line.quantity for line in shipped},
        "tracking": tracking.__dict__,
        "written_at": timezone.now().isoformat(),
    }


def _kit_deliveries(
    ctx: JobContext,
    picking: dict[str, Any],
    link: ExternalLink,
    moves: list[MoveInfo],
    bundles: dict[str, BundleRule],
) -> tuple[list[MoveInfo], list[ShippedLine]]:
    """Kits delivered as their components (Odoo with mrp): the whole kits Odoo counts delivered on the kit's
    line (``qty_delivered``, sale_mrp) less those already fulfilled; the components' moves are then not
    shipped lines of their own. Two more Odoo calls, only when a kit bundle's order shipped a product other
    than the one its line sold."""
    kit_products = {
        rule.product_id: sku for sku, rule in bundles.items() if rule.mode == "kit" and rule.product_id
    }
    if not kit_products or not any(m.sale_line_id and m.product_id not in kit_products for m in moves):
        return moves, []
    with ctx.call("odoo", "read_order"):
        order = ctx.odoo.read_order(int(picking["sale_id"]))
    kit_lines = {
        line.id: (kit_products[line.product_id], line.product_id, line.qty_delivered)
        for line in (order.lines if order else [])
        if line.product_id in kit_products
    }
    if not kit_lines:
        return moves, []
    fulfilled: dict[str, int] = {}
    earlier = (
        Fulfilment.objects.filter(
            shop=ctx.shop,
            origin=Fulfilment.Origin.ODOO,
            shopify_order_id=link.shopify_id,
            status__in=[Fulfilment.Status.CREATED, Fulfilment.Status.PENDING],
        )
        .exclude(odoo_picking_id=int(picking["id"]))
        .values_list("lines", flat=True)
    )
    for lines in earlier:
        for line in lines:
            fulfilled[line["sku"]] = fulfilled.get(line["sku"], 0) + int(line["quantity"])
    rest, kits = kit_deliveries(moves, kit_lines=kit_lines, fulfilled=fulfilled)
    return list(rest), kits


def _pending_row(
    ctx: JobContext,
    picking: dict[str, Any],
    link: ExternalLink,
    location: str,
    lines: Sequence[tuple[str, str, int]],
    tracking: Tracking,
) -> Fulfilment:
    """Written (and committed) before fulfillmentCreate: a retry after a lost answer knows to look."""
    try:
        with transaction.atomic():
            return Fulfilment.objects.create(
                shop=ctx.shop,
                origin=Fulfilment.Origin.ODOO,
                status=Fulfilment.Status.PENDING,
                shopify_order_id=link.shopify_id,
                shopify_location_id=location,
                odoo_order_id=picking.get("sale_id"),
                odoo_picking_id=int(picking["id"]),
                odoo_picking_name=picking["name"][:64],
                tracking_company=tracking.company[:255],
                tracking_number=tracking.number[:255],
                tracking_url=tracking.url[:1000],
                lines=[{"sku": sku, "line_item_id": li, "quantity": q} for sku, li, q in lines],
                picking_done_at=_odoo_datetime(picking.get("date_done") or ""),
            )
    except IntegrityError:
        raise BusinessRuleError(
            f"delivery {picking['name']} already has a fulfilment at {location}",
            code="fulfilment_exists",
            key="",
        ) from None


def _complete(row: Fulfilment, fulfillment: Fulfillment) -> None:
    row.shopify_fulfillment_id = fulfillment.id
    row.status = Fulfilment.Status.CREATED
    row.fulfilled_at = timezone.now()
    row.save(update_fields=["shopify_fulfillment_id", "status", "fulfilled_at", "updated_at"])


def _adopt_pending(ctx: JobContext, order_id: str, rows: list[Fulfilment]) -> list[Fulfilment]:
    """A previous attempt wrote a pending row and may have made the fulfilment before it died: adopt the
    order's fulfilment with the same lines that no row holds; forget the row if there is none."""
    with ctx.call("shopify", "order_fulfillments"):
        found = ctx.shopify.order_fulfillments(order_id)
    held = set(
        Fulfilment.objects.filter(shop=ctx.shop, shopify_order_id=order_id)
        .exclude(shopify_fulfillment_id="")
        .values_list("shopify_fulfillment_id", flat=True)
    )
    kept = []
    for row in rows:
        if row.status != Fulfilment.Status.PENDING:
            kept.append(row)
            continue
        want = sorted((line["line_item_id"], int(line["quantity"])) for line in row.lines)
        match = next(
            (
                f
                for f in found
                if f.id not in held and f.status.upper() == "SUCCESS" and sorted(f.line_items) == want
            ),
            None,
        )
        if match is None:
            row.delete()
            continue
        held.add(match.id)
        _complete(row, match)
        kept.append(row)
    return kept


def _tracking_update(
    ctx: JobContext, picking: dict[str, Any], rows: list[Fulfilment], tracking: Tracking
) -> dict[str, Any]:
    """The delivery's fulfilments exist: bring their tracking to Odoo's (nothing to do if it is the same)."""
    changed = [r for r in rows if _tracking_of(r) != tracking]
    if not changed:
        return {"outcome": "unchanged", "picking": picking["name"]}
    for row in changed:
        with ctx.call("shopify", "fulfillmentTrackingInfoUpdate"):
            ctx.shopify.update_fulfillment_tracking(
                row.shopify_fulfillment_id,
                company=tracking.company or None,
                numbers=[tracking.number] if tracking.number else [],
                urls=[tracking.url] if tracking.url else [],
                notify_customer=_notify(ctx),
            )
        row.tracking_company, row.tracking_number, row.tracking_url = (
            tracking.company[:255],
            tracking.number[:255],
            tracking.url[:1000],
        )
        row.save(update_fields=["tracking_company", "tracking_number", "tracking_url", "updated_at"])
    return {
        "outcome": "tracking_updated",
        "picking": picking["name"],
        "fulfillments": [r.shopify_fulfillment_id for r in changed],
        "tracking": tracking.__dict__,
    }


def fulfilment_return(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    """A return of a delivery: cancel the delivery's fulfilments when everything it shipped came back.
    Shopify cancels whole fulfilments only, so a partial return parks (record it as a Shopify return), and
    so does a cancellation Shopify refuses, with Shopify's message."""
    picking = (job.input or {})["picking"]
    order_link = ExternalLink.objects.filter(
        shop=ctx.shop, kind=ExternalLink.Kind.ORDER, odoo_model="sale.order", odoo_id=picking["sale_id"]
    ).first()
    if int(picking["id"]) in refund_return_ids(order_link):
        # Made by the refund flow for a Shopify refund with restock "return": Shopify already settled it.
        return {"outcome": "shopify_refund_return", "picking": picking["name"]}
    original = int(picking["return_of"])
    rows = list(
        Fulfilment.objects.filter(
            shop=ctx.shop,
            origin=Fulfilment.Origin.ODOO,
            odoo_picking_id=original,
            status=Fulfilment.Status.CREATED,
        )
    )
    if not rows:
        return {"outcome": "no_fulfilment", "picking": picking["name"]}
    return_id = int(picking["id"])
    with ctx.call("odoo", "picking_moves"):
        both = ctx.odoo.picking_moves([original, return_id])
    moves = both.get(return_id, [])
    skus_by_product = {product: sku for sku, product in ctx.mappings.skus.items()}
    shipped: dict[str, int] = {}
    for row in rows:
        for line in row.lines:
            shipped[line["sku"]] = shipped.get(line["sku"], 0) + int(line["quantity"])
    if _products_done(both.get(original, [])) == _products_done(moves):
        # Everything the delivery shipped came back, product by product: so did whatever it fulfilled (a
        # kit's components too, which make no Shopify line of their own).
        difference: dict[str, tuple[int, int]] = {}
    else:
        returned = {
            line.sku: line.quantity
            for line in shipped_lines(
                moves,
                skus_by_product=skus_by_product,
                picking=picking["name"],
                bundles=_bundles(ctx.mappings, set(shipped)),
            )
        }
        difference = line_difference(shipped, returned)
    if difference:
        detail = ", ".join(f"{sku}: shipped {s}, returned {o}" for sku, (s, o) in difference.items())
        raise BusinessRuleError(
            f"{picking['name']} returns part of {rows[0].odoo_picking_name} ({detail}); Shopify cancels "
            "whole fulfilments only: record the return in Shopify, then resolve",
            code="partial_return",
            key="",
            details={"difference": {k: list(v) for k, v in difference.items()}},
        )
    cancelled = []
    for row in rows:
        try:
            with ctx.call("shopify", "fulfillmentCancel"):
                ctx.shopify.cancel_fulfillment(row.shopify_fulfillment_id)
        except BusinessRuleError as exc:
            message = str(exc).split(": ", 1)[-1]
            raise BusinessRuleError(
                f"Shopify refused to cancel the fulfilment of {row.odoo_picking_name}: {message}",
                code="fulfilment_cancel_refused",
                key=message[:120],
                system="shopify",
            ) from exc
        row.status = Fulfilment.Status.CANCELLED
        row.note = f"cancelled: returned by {picking['name']}"
        row.save(update_fields=["status", "note", "updated_at"])
        cancelled.append(row.shopify_fulfillment_id)
    return {"outcome": "cancelled", "picking": picking["name"], "fulfillments": cancelled}


def _products_done(moves: Sequence[MoveInfo]) -> dict[int | str, Decimal]:
    """Done quantities of a picking's moves, per product (its name where a move has none)."""
    out: dict[int | str, Decimal] = {}
    for move in moves:
        if move.state == "done" and move.quantity:
            key: int | str = move.product_id or move.product_name
            out[key] = out.get(key, Decimal(0)) + move.quantity
    return out
