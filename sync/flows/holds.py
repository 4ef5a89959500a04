"""A person's decision on a held order (sync/flows/risk.py), carried out as a job of the order's subject, so
that it runs after, never alongside, the order's own jobs.

``order.release``: the quotation is confirmed in Odoo (once: a confirmed order is not confirmed again) and
order to cash proceeds as for any order, from Shopify's current state of the order.

``order.risk_cancel`` (outbound): the order is cancelled in Shopify with ``orderCancel`` — reason ``FRAUD``,
``restock: true``, and refunded to the original payment methods (``refundMethod {
originalPaymentMethodsRefund: true }``): money kept from a fraudulent order comes back as a chargeback, with
its fee, so it is given back at once. A held order was never invoiced in Odoo: Shopify's refund reaches the
refund flow, which takes it off the cancelled quotation (sync/flows/refunds.py) and books no money.

``orderCancel`` only starts a job in Shopify: the order is read back until Shopify reports it cancelled, and
only then is the Odoo quotation cancelled. Shopify's userErrors park the job on ``shopify_cancel_refused``
with Shopify's message, Odoo untouched. The ``orders/cancelled`` webhook that follows finds the order
cancelled already (sync/flows/orders.py ``order_cancel``).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from opsconsole.core.errors import BusinessRuleError, TransientError
from sync.connectors.odoo import OrderUpdate
from sync.flows.cash import order_to_cash
from sync.flows.context import JobContext
from sync.flows.orders import _current_state, _order_link, odoo_datetime, order_cancel_in_odoo
from sync.models import OrderHold, SyncJob
from sync.transforms.orders import should_confirm
from sync.transforms.timestamps import parse_shopify_timestamp

Status = OrderHold.Status

#: orderCancel's arguments for a risky order (see the module's docstring for why).
CANCEL_REASON = "FRAUD"
CANCEL_REFUND = True
CANCEL_RESTOCK = True


def _hold(job: SyncJob, ctx: JobContext) -> OrderHold:
    hold_id = int((job.input or {}).get("hold_id") or 0)
    hold = OrderHold.objects.filter(pk=hold_id, shop=ctx.shop).first()
    if hold is None:
        raise BusinessRuleError(
            f"the held order of job {job.pk} is no longer recorded",
            code="order_hold_missing",
            details={"hold_id": hold_id},
        )
    return hold


def _link(ctx: JobContext, hold: OrderHold) -> Any:
    link = _order_link(ctx, hold.shopify_order_id)
    if link is None:
        raise BusinessRuleError(
            f"Shopify order {hold.label or hold.shopify_order_id} is held, but its Odoo order is not linked",
            code="odoo_order_missing",
            details={"order_id": hold.shopify_order_id, "odoo_order_id": hold.odoo_order_id},
        )
    return link


def order_release(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    hold = _hold(job, ctx)
    order_id = hold.shopify_order_id
    link = _link(ctx, hold)
    if link.data.get("cancelled"):
        OrderHold.objects.filter(pk=hold.pk).update(status=Status.CANCELLED, updated_at=timezone.now())
        return {"outcome": "already_cancelled", "odoo_order_id": link.odoo_id}
    current = _current_state(ctx, order_id)  # Shopify's order now: its payment status for order to cash
    if current.get("cancelled_at"):
        # Cancelled in Shopify meanwhile: its orders/cancelled job cancels the Odoo order.
        return {"outcome": "cancelled_in_shopify", "odoo_order_id": link.odoo_id}
    with ctx.call("odoo", "read_order"):
        info = ctx.odoo.read_order(link.odoo_id, with_lines=False)
    if info is None or info.state not in ("draft", "sale"):
        raise BusinessRuleError(
            f"held order {hold.label or order_id} was released, but its Odoo order {link.odoo_id} is "
            f"{'gone' if info is None else info.state}: nothing was confirmed",
            code="order_release_refused",
            key=info.state if info is not None else "missing",
            details={"order_id": order_id, "odoo_order_id": link.odoo_id},
        )
    confirmed = False
    if info.state == "draft" and should_confirm(current, ctx.mappings):
        with ctx.call("odoo", "confirm_order"):
            ctx.odoo.confirm_order(link.odoo_id)
        confirmed = True
        processed_at = parse_shopify_timestamp(current.get("processed_at"))
        if processed_at is not None:
            # As at booking: the sale happened when Shopify processed it, not when it was released.
            with ctx.call("odoo", "update_order"):
                ctx.odoo.update_order(link.odoo_id, OrderUpdate(date_order=odoo_datetime(processed_at)))
    OrderHold.objects.filter(pk=hold.pk).update(status=Status.RELEASED, updated_at=timezone.now())
    result: dict[str, Any] = {
        "outcome": "released",
        "odoo_order_id": link.odoo_id,
        "confirmed": confirmed,
        "state_before": info.state,
    }
    if info.state == "draft" and not confirmed:
        # Not paid yet: confirmed by the order's update once Shopify's payment status confirms it.
        result["waiting"] = f"financial status {current.get('financial_status') or 'unknown'}"
        return result
    result["cash"] = order_to_cash(ctx, current, link)
    return result


def order_risk_cancel(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    hold = _hold(job, ctx)
    order_id = hold.shopify_order_id
    label = hold.label or order_id
    link = _link(ctx, hold)
    with ctx.call("shopify", "order_cancellation"):
        state = ctx.shopify.order_cancellation(order_id)
    if state is None:
        raise BusinessRuleError(
            f"Shopify order {label} no longer exists",
            code="shopify_order_missing",
            details={"order_id": order_id},
        )
    asked = dict(link.data.get("risk_cancel") or {})
    sent = False
    if state.cancelled_at is None:
        if asked.get("requested_at"):
            raise TransientError(
                f"Shopify has not finished cancelling order {label} (orderCancel sent "
                f"{asked['requested_at']}): read again later",
                system="shopify",
            )
        actor = (job.input or {}).get("actor") or "a person"
        try:
            with ctx.call("shopify", "cancel_order"):
                ctx.shopify.cancel_order(
                    order_id,
                    reason=CANCEL_REASON,
                    refund=CANCEL_REFUND,
                    restock=CANCEL_RESTOCK,
                    staff_note=f"Risky order cancelled by {actor} in opsconsole (job {job.pk})"[:255],
                )
        except BusinessRuleError as exc:
            if exc.system != "shopify":
                raise
            raise BusinessRuleError(
                f"Shopify refused to cancel order {label}: {exc.message}. Nothing was changed in Odoo; the "
                "order stays held.",
                code="shopify_cancel_refused",
                key=exc.code,
                system="shopify",
                details={"order_id": order_id, "userErrors": exc.details.get("userErrors", [])},
            ) from None
        sent = True
        link.data = {**link.data, "risk_cancel": {"requested_at": timezone.now().isoformat(), "job": job.pk}}
        link.save(update_fields=["data", "synced_at"])
        with ctx.call("shopify", "order_cancellation"):
            state = ctx.shopify.order_cancellation(order_id)
        if state is None or state.cancelled_at is None:
            raise TransientError(
                f"Shopify accepted orderCancel for order {label} but does not report it cancelled yet",
                system="shopify",
            )
    odoo = "already_cancelled"
    if not link.data.get("cancelled"):
        order_cancel_in_odoo(ctx, {"id": order_id, "name": label}, link)
        odoo = "cancelled"
    OrderHold.objects.filter(pk=hold.pk).update(status=Status.CANCELLED, updated_at=timezone.now())
    return {
        "outcome": "cancelled",
        "odoo_order_id": link.odoo_id,
        "odoo": odoo,
        "shopify": "cancelled" if sent else "already_cancelled",
        "shopify_cancelled_at": state.cancelled_at.isoformat(),
        "cancel_reason": state.cancel_reason,
        "refund": CANCEL_REFUND,
        "restock": CANCEL_RESTOCK,
    }
