"""Fulfilments made outside Odoo — by a 3PL app or a person in the Shopify admin — arriving as
``fulfillments/create`` and ``fulfillments/update``: recorded (a ``Fulfilment`` row of origin ``shopify``)
and matched to the order's Odoo delivery.

Who ships is a per-shop setting (key ``shipping_owner`` of the SHOP mapping row):

- ``odoo`` (default): Odoo (or its warehouse) ships and opsconsole pushes its deliveries. A fulfilment made
  elsewhere is matched to a done delivery with the same quantities; when there is none, it parks on
  "fulfilled outside Odoo", naming per SKU what Shopify fulfilled and what Odoo delivered;
- ``shopify``: Shopify or its 3PL ships. The order's open delivery is validated in Odoo with the fulfilment's
  quantities (the rest stays on a backorder) and its tracking number; quantities Odoo has no open delivery
  for park on "fulfilment differs from Odoo's delivery", naming the difference.

Our own fulfilments come back as these webhooks too: recognised by their id (or, when the webhook outruns the
push recording it, by a pending push of the same order) and left alone, so nothing loops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from opsconsole.core.errors import BusinessRuleError, TransientError
from sync.connectors.odoo.types import PickingInfo
from sync.flows.cash import order_to_cash
from sync.flows.context import JobContext
from sync.flows.payloads import job_payload
from sync.models import ExternalLink, Fulfilment, SyncJob
from sync.transforms.fulfilments import line_difference

OWNERS = ("odoo", "shopify")


def _gid(payload: Mapping[str, Any]) -> str:
    return str(payload.get("admin_graphql_api_id") or f"gid://shopify/Fulfillment/{payload.get('id')}")


def _lines(payload: Mapping[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in payload.get("line_items") or []:
        sku = str(item.get("sku") or "")
        out[sku] = out.get(sku, 0) + int(item.get("quantity") or 0)
    return {sku: qty for sku, qty in out.items() if qty}


def _tracking(payload: Mapping[str, Any]) -> tuple[str, str, str]:
    numbers = payload.get("tracking_numbers") or (
        [payload["tracking_number"]] if payload.get("tracking_number") else []
    )
    urls = payload.get("tracking_urls") or ([payload["tracking_url"]] if payload.get("tracking_url") else [])
    return (
        str(payload.get("tracking_company") or ""),
        str(numbers[0] if numbers else ""),
        str(urls[0] if urls else ""),
    )


def _move_lines(picking: PickingInfo, skus_by_product: Mapping[int, str], *, done: bool) -> dict[str, int]:
    out: dict[str, int] = {}
    for move in picking.moves:
        if (move.state == "done") != done or move.state == "cancel":
            continue
        sku = skus_by_product.get(move.product_id or 0) or move.sku
        qty = move.quantity if done else move.demand
        out[sku] = out.get(sku, 0) + int(qty)
    return {sku: qty for sku, qty in out.items() if qty}


def _detail(difference: Mapping[str, tuple[int, int]]) -> str:
    return ", ".join(f"{sku}: Shopify {s}, Odoo {o}" for sku, (s, o) in difference.items())


def fulfilment_inbound(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    payload = job_payload(job)
    fulfillment_id = _gid(payload)
    order_id = str(payload.get("order_id") or "")
    status = str(payload.get("status") or "").lower()
    ours = Fulfilment.objects.filter(
        shop=ctx.shop, origin=Fulfilment.Origin.ODOO, shopify_fulfillment_id=fulfillment_id
    ).exists()
    if ours or _our_push_in_flight(ctx, order_id, _lines(payload)):
        return {"outcome": "ours", "fulfillment": fulfillment_id}
    link = ExternalLink.objects.filter(
        shop=ctx.shop, kind=ExternalLink.Kind.ORDER, shopify_id=order_id
    ).first()
    if link is None:
        # The order's own job has not booked it yet: retried, not parked (it usually comes within seconds).
        raise TransientError(f"order {order_id} is not in Odoo yet", system="odoo")
    company, number, url = _tracking(payload)
    lines = _lines(payload)
    values = {
        "origin": Fulfilment.Origin.SHOPIFY,
        "shopify_order_id": order_id,
        "shopify_location_id": f"gid://shopify/Location/{payload['location_id']}"
        if payload.get("location_id")
        else "",
        "odoo_order_id": link.odoo_id,
        "tracking_company": company[:255],
        "tracking_number": number[:255],
        "tracking_url": url[:1000],
        "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines.items()],
    }
    previous = (
        Fulfilment.objects.filter(shop=ctx.shop, shopify_fulfillment_id=fulfillment_id)
        .values_list("tracking_number", flat=True)
        .first()
    )
    row, _ = Fulfilment.objects.update_or_create(
        shop=ctx.shop,
        shopify_fulfillment_id=fulfillment_id,
        defaults=values,
        create_defaults={**values, "status": Fulfilment.Status.RECORDED},
    )
    if status == "cancelled":
        row.note = "cancelled in Shopify"
        row.save(update_fields=["note", "updated_at"])
        return {"outcome": "cancelled_in_shopify", "fulfillment": fulfillment_id}
    if row.status in (Fulfilment.Status.VALIDATED, Fulfilment.Status.MATCHED) and row.odoo_picking_id:
        return _invoice_if_delivered(ctx, link, _update_tracking_in_odoo(ctx, row, number, previous or ""))

    with ctx.call("odoo", "order_pickings"):
        pickings = ctx.odoo.order_pickings(link.odoo_id)
    skus_by_product = {product: sku for sku, product in ctx.mappings.skus.items()}
    owner = str(ctx.mappings.options.get("shipping_owner") or "odoo")
    if owner == "shopify":
        result = _validate_in_odoo(ctx, row, pickings, lines, skus_by_product, number)
        return _invoice_if_delivered(ctx, link, result)
    return _match_in_odoo(ctx, row, pickings, lines, skus_by_product)


def _invoice_if_delivered(ctx: JobContext, link: ExternalLink, result: dict[str, Any]) -> dict[str, Any]:
    """A shop invoicing on delivery invoices the order once this fulfilment has delivered the last of it.

    Shopify's ``orders/updated`` for the fulfilment may be handled before this job validated the delivery
    (the two webhooks arrive in any order), and then found nothing delivered yet: the invoice is made here,
    from Shopify's order as it is now (sync/flows/cash.py; idempotent, and nothing when already settled)."""
    if ctx.mappings.invoice_on != "delivered" or link.data.get("cancelled"):
        return result
    with ctx.call("shopify", "fetch_order"):
        current = ctx.shopify.fetch_order_rest(link.shopify_id)
    if current is None:
        return result
    link.refresh_from_db()
    return {**result, "cash": order_to_cash(ctx, dict(current), link)}


def _our_push_in_flight(ctx: JobContext, order_id: str, lines: Mapping[str, int]) -> bool:
    """The webhook of our own fulfillmentCreate can arrive before the push recorded the fulfilment's id."""
    for row in Fulfilment.objects.filter(
        shop=ctx.shop,
        origin=Fulfilment.Origin.ODOO,
        shopify_order_id=order_id,
        status=Fulfilment.Status.PENDING,
    ):
        if {line["sku"]: int(line["quantity"]) for line in row.lines} == dict(lines):
            return True
    return False


def _match_in_odoo(
    ctx: JobContext,
    row: Fulfilment,
    pickings: Sequence[PickingInfo],
    lines: Mapping[str, int],
    skus_by_product: Mapping[int, str],
) -> dict[str, Any]:
    taken = set(
        Fulfilment.objects.filter(shop=ctx.shop, odoo_picking_id__isnull=False)
        .exclude(pk=row.pk)
        .values_list("odoo_picking_id", flat=True)
    )
    done = [p for p in pickings if p.state == "done" and p.id not in taken]
    for picking in done:
        if not line_difference(lines, _move_lines(picking, skus_by_product, done=True)):
            _link(row, picking, Fulfilment.Status.MATCHED)
            return {"outcome": "matched", "picking": picking.name}
    delivered: dict[str, int] = {}
    for picking in done:
        for sku, qty in _move_lines(picking, skus_by_product, done=True).items():
            delivered[sku] = delivered.get(sku, 0) + qty
    difference = line_difference(lines, delivered)
    raise BusinessRuleError(
        f"Shopify fulfilment {row.shopify_fulfillment_id.rsplit('/', 1)[-1]} was made outside Odoo and no "
        f"Odoo delivery matches it ({_detail(difference)}); Odoo owns shipping for this shop: validate the "
        "delivery in Odoo, or set the shop's shipping_owner to shopify",
        code="fulfilled_outside_odoo",
        key="",
        details={"difference": {k: list(v) for k, v in difference.items()}},
    )


def _validate_in_odoo(
    ctx: JobContext,
    row: Fulfilment,
    pickings: Sequence[PickingInfo],
    lines: Mapping[str, int],
    skus_by_product: Mapping[int, str],
    number: str,
) -> dict[str, Any]:
    """Shopify (a 3PL) ships: validate the open delivery with the fulfilment's quantities and tracking."""
    open_pickings = [p for p in pickings if p.state not in ("done", "cancel")]
    for picking in open_pickings:
        waiting = _move_lines(picking, skus_by_product, done=False)
        if any(waiting.get(sku, 0) < qty for sku, qty in lines.items()):
            continue
        quantities: dict[int, Decimal] = {}
        left = dict(lines)
        for move in picking.moves:
            if move.state in ("done", "cancel"):
                continue
            sku = skus_by_product.get(move.product_id or 0) or move.sku
            take = min(left.get(sku, 0), int(move.demand))
            quantities[move.id] = Decimal(take)
            left[sku] = left.get(sku, 0) - take
        # Recorded against the picking BEFORE Odoo validates it: the stream that sees the done delivery
        # finds this row and pushes nothing back (sync/flows/fulfilments.py).
        _link(row, picking, Fulfilment.Status.RECORDED)
        with ctx.call("odoo", "validate_picking"):
            result = ctx.odoo.validate_picking(
                picking.id, quantities=quantities, backorder=True, tracking_ref=number or None
            )
        row.status = Fulfilment.Status.VALIDATED
        row.save(update_fields=["status", "updated_at"])
        return {
            "outcome": "validated",
            "picking": picking.name,
            "backorders": list(result.backorder_ids),
            "lines": dict(lines),
            "tracking_number": number,
        }
    waiting_all: dict[str, int] = {}
    for picking in open_pickings:
        for sku, qty in _move_lines(picking, skus_by_product, done=False).items():
            waiting_all[sku] = waiting_all.get(sku, 0) + qty
    difference = {
        sku: (qty, waiting_all.get(sku, 0)) for sku, qty in lines.items() if qty > waiting_all.get(sku, 0)
    }
    raise BusinessRuleError(
        f"Shopify fulfilment {row.shopify_fulfillment_id.rsplit('/', 1)[-1]} ships more than Odoo's open "
        f"deliveries wait for ({_detail(difference)}): check the order in Odoo, then replay",
        code="fulfilment_differs",
        key="",
        details={"difference": {k: list(v) for k, v in difference.items()}},
    )


def _update_tracking_in_odoo(ctx: JobContext, row: Fulfilment, number: str, previous: str) -> dict[str, Any]:
    """fulfillments/update of a fulfilment already matched: bring a new tracking number to the delivery."""
    if not number or number == previous:
        return {"outcome": "unchanged", "fulfillment": row.shopify_fulfillment_id}
    with ctx.call("odoo", "set_picking_tracking"):
        ctx.odoo.set_picking_tracking(int(row.odoo_picking_id or 0), number)
    return {"outcome": "tracking_to_odoo", "picking": row.odoo_picking_name, "tracking_number": number}


def _link(row: Fulfilment, picking: PickingInfo, status: str) -> None:
    with transaction.atomic():
        row.odoo_picking_id = picking.id
        row.odoo_picking_name = picking.name[:64]
        row.status = status
        row.picking_done_at = row.picking_done_at or timezone.now()
        row.save(
            update_fields=["odoo_picking_id", "odoo_picking_name", "status", "picking_done_at", "updated_at"]
        )
