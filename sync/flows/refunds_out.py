"""Refunds, Odoo → Shopify: a credit note posted in Odoo for a Shopify order becomes a Shopify refund.

The stream ``credit_notes`` follows posted customer credit notes (``account.move`` of type ``out_refund``)
from the moment it starts (a credit note posted before is never refunded by us). Each asks for one
``refund.push`` job, keyed by the credit note. The job finds the sale order the credit note is for (its
``invoice_origin``, or that of the invoice it reverses), and does nothing unless the order came from this
shop. The refund it makes (transforms/refunds_out.py): the credited units of the order's line items,
``RETURN`` at the mapped Shopify location for what the warehouse took back (done returns not yet restocked
by a refund), ``NO_RESTOCK`` for the rest; the credited shipping; and the credit note's total given back
through the order's payments, within what each has left (read from Shopify first). Shopify's refund is read
back: its ``totalRefundedSet`` must equal the credit note's total to the cent, or the job parks as the
finance problem ``refund_mismatch`` naming both. A refund Shopify refuses (more than is refundable, a
gateway error, any userError) parks as the finance problem ``refund_refused`` with Shopify's message.

Loop-safe with the inbound flow (sync/flows/refunds.py), in both directions:

- a credit note the inbound flow made (its ref names the Shopify refund, and it is linked to it) is never
  pushed back;
- the refund we make is linked to the credit note (``ExternalLink`` of kind ``refund``, origin ``odoo``)
  before our hold on the order is let go: the ``refunds/create`` delivery it causes is a job of the same
  order, which cannot run before (the order's subject lock) and then finds the link and does nothing. A
  worker that dies between ``refundCreate`` and the link leaves the attempt ``pending`` on the order's link:
  the delivery waits for it (retries), and the job, run again, replays ``refundCreate`` with the same
  ``@idempotent`` key, gets the same refund back from Shopify and links it.

Idempotent per credit note: the job's key; the link; Shopify's idempotency key (one per credit note and
attempt after a refusal, so that a person's replay after fixing the cause is a new request).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from opsconsole.core.errors import BusinessRuleError
from sync.connectors.odoo import ChangedRecord, InvoiceInfo, PickingInfo
from sync.connectors.shopify.types import OrderMoney, RefundLine
from sync.flows.context import JobContext
from sync.flows.refunds import refund_return_ids
from sync.kinds import JobRequest
from sync.locks import job_lock_key, subject_lock
from sync.models import ExternalLink, SyncJob
from sync.transforms.refunds_out import (
    CreditLine,
    OrderLineItem,
    Payment,
    RefundPlan,
    Returned,
    plan_refund_out,
    returned_not_restocked,
)
from sync.transforms.types import ShopMappings

STREAM = "credit_notes"
CREDIT_NOTE_FIELDS = (
    "name",
    "move_type",
    "state",
    "amount_total",
    "invoice_origin",
    "reversed_entry_id",
    "ref",
)
#: The inbound flow's reversal reason (transforms/refunds.py ``RefundDraft.reason``), which Odoo writes into
#: the credit note's ref: such a credit note came from a Shopify refund.
INBOUND_MARK = "shopify refund "
CENT = Decimal("0.01")
#: Shopify's idempotency keys of our refunds: a UUID derived from the shop, the credit note and the attempt.
KEY_NAMESPACE = uuid.UUID("4f0f5a52-7c0e-4d6b-9a57-3f1c3f9a0b21")


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def _m2o_id(value: Any) -> int | None:
    if isinstance(value, (list, tuple)) and value:
        return int(value[0])
    return int(value) if isinstance(value, int) and value else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def made_by_inbound(ref: str) -> bool:
    return INBOUND_MARK in ref


def credit_notes_domain(mappings: ShopMappings) -> list[Any]:
    return [("move_type", "=", "out_refund"), ("state", "=", "posted")]


def credit_notes_handle(records: Sequence[ChangedRecord], mappings: ShopMappings) -> list[JobRequest]:
    """A posted credit note → one ``refund.push`` (one per credit note, however often it is read); none for
    a credit note the inbound refund flow made."""
    requests = []
    for record in records:
        v = record.values
        if _text(v.get("move_type")) != "out_refund" or _text(v.get("state")) != "posted":
            continue
        if made_by_inbound(_text(v.get("ref"))):
            continue
        name = _text(v.get("name"))
        requests.append(
            JobRequest(
                kind="refund.push",
                idempotency_key=f"refund:push:{mappings.shop_domain}:{record.id}",
                subject=f"odoo-credit-note:{record.id}",
                subject_label=f"{name} ({_text(v.get('invoice_origin'))})"[:120],
                input={
                    "credit_note": {
                        "id": record.id,
                        "name": name,
                        "amount_total": str(v.get("amount_total") or 0),
                        "invoice_origin": _text(v.get("invoice_origin")),
                        "reversed_entry_id": _m2o_id(v.get("reversed_entry_id")),
                    }
                },
            )
        )
    return requests


# --- the job ---------------------------------------------------------------------------------------


def _order_name(ctx: JobContext, credit: InvoiceInfo) -> str:
    if credit.invoice_origin:
        return credit.invoice_origin
    if credit.reversed_entry_id:
        with ctx.call("odoo", "read_invoice"):
            invoice = ctx.odoo.read_invoice(credit.reversed_entry_id)
        if invoice is not None:
            return invoice.invoice_origin
    return ""


def _returns(ctx: JobContext, pickings: Sequence[PickingInfo], link: ExternalLink) -> list[Returned]:
    """Done returns of the order's deliveries, except those the inbound flow made for Shopify refunds."""
    made_for_shopify = refund_return_ids(link)
    skus = set(ctx.mappings.skus.values())
    out = []
    for picking in pickings:
        if picking.state != "done" or not picking.return_of or picking.id in made_for_shopify:
            continue
        for move in picking.moves:
            if move.state == "done" and move.product_id in skus and move.quantity > 0:
                out.append(Returned(move.product_id, picking.location_dest_id, int(move.quantity)))
    return out


def _restocked_before(link: ExternalLink) -> dict[int, int]:
    done: dict[int, int] = {}
    for record in (link.data.get("refunds_out") or {}).values():
        if record.get("status") == "created":
            for product, units in (record.get("returned") or {}).items():
                done[int(product)] = done.get(int(product), 0) + int(units)
    return done


def _payments(money: OrderMoney) -> list[Payment]:
    refunded: dict[str, tuple[Decimal, Decimal]] = {}
    for t in money.transactions:
        if t.kind == "REFUND" and t.status == "SUCCESS" and t.parent_id:
            shop, pres = refunded.get(t.parent_id, (Decimal(0), Decimal(0)))
            refunded[t.parent_id] = (shop + t.amount.amount, pres + t.amount_presentment.amount)
    out = []
    for t in money.transactions:
        if t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS":
            shop, pres = refunded.get(t.id, (Decimal(0), Decimal(0)))
            out.append(
                Payment(
                    t.id,
                    t.gateway or "",
                    t.amount.amount - shop,
                    t.amount_presentment.amount - pres,
                )
            )
    return out


def _save_record(link: ExternalLink, credit_id: int, record: dict[str, Any]) -> None:
    out = dict(link.data.get("refunds_out") or {})
    out[str(credit_id)] = record
    link.data = {**link.data, "refunds_out": out}
    link.save(update_fields=["data", "synced_at"])


def _key(shop_domain: str, credit_id: int, refusals: int) -> str:
    return str(uuid.uuid5(KEY_NAMESPACE, f"{shop_domain}:refund:{credit_id}:{refusals}"))


def note_for(credit: InvoiceInfo) -> str:
    """The refund's note: names the credit note (and is how a ``refunds/create`` of ours is told apart
    while its link is not written yet)."""
    return f"Odoo credit note {credit.name}"


def refund_push(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    note_input = (job.input or {})["credit_note"]
    credit_id = int(note_input["id"])
    with ctx.call("odoo", "read_invoice"):
        credit = ctx.odoo.read_invoice(credit_id)
    if credit is None or credit.move_type != "out_refund" or credit.state != "posted":
        return {"outcome": "not_posted", "credit_note_id": credit_id}
    result: dict[str, Any] = {"credit_note_id": credit_id, "credit_note": credit.name}
    if made_by_inbound(credit.ref):
        return {**result, "outcome": "made_from_shopify_refund"}
    linked = ExternalLink.objects.filter(
        shop=ctx.shop, kind=ExternalLink.Kind.REFUND, odoo_model="account.move", odoo_id=credit_id
    ).first()
    if linked is not None:
        origin = linked.data.get("origin")
        outcome = "already_refunded" if origin == "odoo" else "made_from_shopify_refund"
        return {**result, "outcome": outcome, "shopify_refund_id": linked.shopify_id}
    order_name = _order_name(ctx, credit)
    if not order_name:
        return {**result, "outcome": "no_sale_order"}
    with ctx.call("odoo", "find_order_by_name"):
        order = ctx.odoo.find_order_by_name(order_name)
    link = (
        ExternalLink.objects.filter(
            shop=ctx.shop, kind=ExternalLink.Kind.ORDER, odoo_model="sale.order", odoo_id=order.id
        ).first()
        if order is not None
        else None
    )
    if link is None:
        # A credit note of an order that did not come from this shop (another shop, a sale made in Odoo).
        return {**result, "outcome": "not_this_shops_order", "sale_order": order_name}
    # Hold the order (the lock its jobs run under) until the refund is linked: its refunds/create waits.
    with subject_lock(job_lock_key(ctx.shop.pk, f"order:{link.shopify_id}")):
        link.refresh_from_db()
        return _push(ctx, credit, link, result)


def _push(ctx: JobContext, credit: InvoiceInfo, link: ExternalLink, result: dict[str, Any]) -> dict[str, Any]:
    credit_id = credit.id
    inbound = {
        str(rid): r
        for rid, r in (link.data.get("refunds") or {}).items()
        if r.get("credit_note_id") == credit_id
    }
    if inbound:
        return {**result, "outcome": "made_from_shopify_refund", "shopify_refund_id": next(iter(inbound))}
    record: dict[str, Any] = dict((link.data.get("refunds_out") or {}).get(str(credit_id)) or {})
    order_id = link.shopify_id
    with ctx.call("odoo", "move_lines"):
        lines = ctx.odoo.move_lines(credit_id)
    with ctx.call("odoo", "order_pickings"):
        pickings = ctx.odoo.order_pickings(link.odoo_id)
    with ctx.call("shopify", "fetch_order"):
        order = ctx.shopify.fetch_order_rest(order_id)
    with ctx.call("shopify", "order_money"):
        money = ctx.shopify.order_money(order_id)
    if order is None or money is None:
        raise BusinessRuleError(
            f"Shopify has no order {order_id} for credit note {credit.name}",
            code="shopify_order_not_found",
            details={"order_id": order_id, "credit_note": credit.name},
        )
    mappings = ctx.mappings
    returned = returned_not_restocked(_returns(ctx, pickings, link), _restocked_before(link))
    plan = plan_refund_out(
        total=credit.amount_total,
        lines=[
            CreditLine(line.product_id, line.name, line.quantity, line.price_unit)
            for line in lines
            if line.display_type == "product"
        ],
        line_items=[
            OrderLineItem(str(li["id"]), str(li.get("sku") or ""), int(li.get("current_quantity") or 0))
            for li in order.get("line_items") or []
        ],
        skus_by_product={product: sku for sku, product in mappings.skus.items()},
        shipping_products=frozenset(t.product_id for t in mappings.shipping.values()),
        returned=returned,
        shopify_locations={odoo: gid for gid, ids in mappings.locations.items() for odoo in ids},
        payments=_payments(money),
    )
    refusals = int(record.get("refusals") or 0)
    key = _key(ctx.mappings.shop_domain, credit_id, refusals)
    note = note_for(credit)
    record.update(
        status="pending",
        key=key,
        note=note,
        credit_note=credit.name,
        amount=_money(credit.amount_total),
        refusals=refusals,
        started_at=timezone.now().isoformat(),
    )
    _save_record(link, credit_id, record)  # committed before Shopify is asked: a retry knows to replay
    presentment = order.get("presentment_currency") or money.total.currency
    try:
        with ctx.call("shopify", "refundCreate"):
            refund = ctx.shopify.create_refund(
                order_id,
                lines=[
                    RefundLine(x.line_item_id, x.quantity, x.restock_type, x.location_id) for x in plan.lines
                ],
                shipping_amount=plan.shipping if plan.shipping > 0 else None,
                note=note,
                currency=presentment if presentment != money.total.currency else None,
                transactions=[
                    {
                        "orderId": money.id,
                        "parentId": t.parent_id,
                        "amount": _money(t.amount_presentment),
                        "gateway": t.gateway,
                        "kind": "REFUND",
                    }
                    for t in plan.transactions
                ],
                idempotency_key=key,
            )
    except BusinessRuleError as exc:
        if exc.system != "shopify":
            raise
        message = str(exc).split(": ", 1)[-1]
        record.update(status="refused", refusals=refusals + 1, message=message[:500])
        _save_record(link, credit_id, record)
        refundable = sum((p.left for p in _payments(money)), Decimal(0))
        raise BusinessRuleError(
            f"Shopify refused the refund of credit note {credit.name} ({_money(credit.amount_total)} "
            f"{money.total.currency}) on order {money.name}, which has {_money(refundable)} left to refund: "
            f"{message}",
            code="refund_refused",
            key=message[:120],
            system="shopify",
            details={
                "order_id": order_id,
                "credit_note": credit.name,
                "credit_note_total": _money(credit.amount_total),
                "shopify_refundable": _money(refundable),
                "shopify_message": message,
                "userErrors": exc.details.get("userErrors"),
            },
        ) from exc
    with transaction.atomic():
        ExternalLink.objects.update_or_create(
            shop=ctx.shop,
            kind=ExternalLink.Kind.REFUND,
            shopify_id=str(refund.legacy_id),
            defaults={
                "odoo_model": "account.move",
                "odoo_id": credit_id,
                "label": credit.name[:120],
                "data": {"origin": "odoo", "order_id": order_id, "idempotency_key": key},
            },
        )
        record.update(
            status="created",
            refund_id=str(refund.legacy_id),
            shopify_total=_money(refund.total.amount),
            returned={str(k): v for k, v in plan.returned.items()},
        )
        _save_record(link, credit_id, record)
    result.update(_result(plan, refund.legacy_id, refund.total.amount, order_id, key))
    _verify(credit, refund.total.amount, refund.legacy_id, money.name)
    return result


def _result(plan: RefundPlan, refund_id: int, total: Decimal, order_id: str, key: str) -> dict[str, Any]:
    return {
        "outcome": "refunded",
        "shopify_order_id": order_id,
        "shopify_refund_id": str(refund_id),
        "shopify_total": _money(total),
        "odoo_total": _money(plan.total),
        "lines": [
            {"sku": x.sku, "quantity": x.quantity, "restock": x.restock_type, "location": x.location_id}
            for x in plan.lines
        ],
        "shipping": _money(plan.shipping),
        "transactions": [
            {"parent": t.parent_id, "gateway": t.gateway, "amount": _money(t.amount)}
            for t in plan.transactions
        ],
        "money_only": list(plan.money_only),
        "idempotency_key": key,
        "written_at": timezone.now().isoformat(),
    }


def _verify(credit: InvoiceInfo, shopify_total: Decimal, refund_id: int, order_name: str) -> None:
    """Shopify's refund must give back what the credit note credits, to the cent."""
    if shopify_total.quantize(CENT) == credit.amount_total.quantize(CENT):
        return
    difference = shopify_total - credit.amount_total
    raise BusinessRuleError(
        f"Shopify refund {refund_id} of order {order_name} gave back {_money(shopify_total)}, Odoo credit "
        f"note {credit.name} credits {_money(credit.amount_total)}: a difference of {_money(difference)}",
        code="refund_mismatch",
        details={
            "refund_id": str(refund_id),
            "credit_note": credit.name,
            "shopify_total": _money(shopify_total),
            "odoo_total": _money(credit.amount_total),
            "difference": _money(difference),
        },
    )
