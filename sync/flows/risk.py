"""Risky orders: Shopify's risk assessment, read before an order is confirmed in Odoo.

An order whose recommendation (``Order.risk.recommendation``) is ``CANCEL`` or ``INVESTIGATE`` is booked as a
quotation and held there: not confirmed, so neither invoiced and paid by order to cash (sync/flows/cash.py)
nor reserved in stock, until a person releases it (``order.release``) or cancels it in Shopify and Odoo
(``order.risk_cancel``, sync/flows/holds.py). The shop's ``hold_risky`` (SHOP mapping row, on by default)
turns holding off.

When: once per order that would be confirmed (one Shopify query; no Odoo call), for a new order before it is
written to Odoo, so that a failed read retries with nothing booked. Shopify assesses
asynchronously, so the assessment may change after booking, and every change reaches us as
``orders/updated``:

- a held order is read again on each update: still risky, its facts are refreshed; ``ACCEPT`` now, the hold
  is cleared (audited as the system's decision) and the order is confirmed as any other;
- an order already confirmed that becomes risky is never unconfirmed (it may be invoiced, paid, picked):
  the job parks on ``order_risky_after_confirmation`` for a person, once per new recommendation.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from opsconsole.core.audit import audit_record
from opsconsole.core.errors import BusinessRuleError
from sync.connectors.shopify.types import OrderRisk
from sync.flows.context import JobContext
from sync.models import ExternalLink, OrderHold

#: Shopify's recommendations that hold an order for a person.
RISKY = frozenset({"CANCEL", "INVESTIGATE"})
Status = OrderHold.Status
#: A person has decided to release it (or Shopify's new assessment cleared it): it is confirmed.
GO = (Status.RELEASING, Status.RELEASED, Status.CLEARED)


def risk_facts(risk: OrderRisk) -> list[dict[str, Any]]:
    """The assessments as stored on the hold and shown to ops (provider None: Shopify's own)."""
    return [
        {
            "risk_level": a.risk_level,
            "provider": a.provider or "Shopify",
            "facts": [{"description": d, "sentiment": s} for d, s in a.facts],
        }
        for a in risk.assessments
    ]


def risk_read(ctx: JobContext, order_id: str) -> OrderRisk | None:
    with ctx.call("shopify", "order_risk"):
        return ctx.shopify.order_risk(order_id)


class Unread:
    """The risk has not been read yet (``order_hold_check`` reads it)."""


UNREAD = Unread()


def risk_needed(ctx: JobContext, order_id: str) -> bool:
    """Whether confirming the order needs Shopify's assessment: holding is on and nobody decided yet (or the
    order is held and to be evaluated again)."""
    hold = OrderHold.objects.filter(shop=ctx.shop, shopify_order_id=order_id).first()
    if hold is not None:
        return hold.status == Status.HELD
    return ctx.mappings.hold_risky


def _held(hold: OrderHold) -> dict[str, Any]:
    return {"status": hold.status, "recommendation": hold.recommendation, "hold_id": hold.pk}


def order_hold_check(
    ctx: JobContext,
    *,
    order_id: str,
    odoo_id: int,
    label: str,
    risk: OrderRisk | Unread | None = UNREAD,
) -> dict[str, Any] | None:
    """Called where the order would be confirmed: None to confirm it, else why it stays a quotation (for the
    job's result; order to cash is not run for it either). ``risk``: the assessment read already (a new
    order's is read before it is written to Odoo, so that a failed read retries with nothing written)."""
    hold = OrderHold.objects.filter(shop=ctx.shop, shopify_order_id=order_id).first()
    if hold is not None and hold.status in GO:
        return None
    if hold is not None and hold.status != Status.HELD:
        return _held(hold)  # being cancelled, or cancelled: never confirmed
    if hold is None and not ctx.mappings.hold_risky:
        return None
    if isinstance(risk, Unread):
        risk = risk_read(ctx, order_id)
    if risk is None:
        return None  # Shopify has no such order: the paths that read the order say so
    if hold is None:
        if risk.recommendation not in RISKY:
            return None
        hold, _ = OrderHold.objects.get_or_create(
            shop=ctx.shop,
            shopify_order_id=order_id,
            defaults={
                "label": label[:120],
                "odoo_order_id": odoo_id,
                "recommendation": risk.recommendation,
                "assessments": risk_facts(risk),
            },
        )
        return _held(hold)
    if risk.recommendation == "ACCEPT":
        # Shopify has assessed it again and accepts it: the hold is cleared unless a person decided first.
        if OrderHold.objects.filter(pk=hold.pk, status=Status.HELD).update(
            status=Status.CLEARED,
            recommendation=risk.recommendation,
            assessments=risk_facts(risk),
            decided_at=timezone.now(),
            decision_job=ctx.job,
        ):
            audit_record(
                action="order.hold_cleared",
                object_type="order_hold",
                object_id=hold.pk,
                summary=f"order {hold.label or order_id} of {ctx.shop.domain}: Shopify now recommends ACCEPT "
                f"(was {hold.recommendation}); released by job {ctx.job.pk}",
                before={"status": Status.HELD, "recommendation": hold.recommendation},
                after={"status": Status.CLEARED, "recommendation": risk.recommendation},
            )
            return None
        hold.refresh_from_db()
        return None if hold.status in GO else _held(hold)
    OrderHold.objects.filter(pk=hold.pk, status=Status.HELD).update(
        recommendation=risk.recommendation, assessments=risk_facts(risk), updated_at=timezone.now()
    )
    hold.recommendation = risk.recommendation
    return _held(hold)


def order_risk_recheck(ctx: JobContext, *, order_id: str, link: ExternalLink) -> BusinessRuleError | None:
    """An order Odoo has confirmed already, on an update: if Shopify now recommends cancelling or
    investigating it, the error to park the job on (once per new recommendation; a replay finds it told)."""
    hold = OrderHold.objects.filter(shop=ctx.shop, shopify_order_id=order_id).first()
    if not ctx.mappings.hold_risky or (hold is not None and hold.status in GO):
        return None  # holding is off, or a person (or Shopify) has released it already
    risk = risk_read(ctx, order_id)
    if risk is None or risk.recommendation not in RISKY:
        return None
    told = (link.data.get("risk") or {}).get("flagged")
    if told == risk.recommendation:
        return None
    facts = risk_facts(risk)
    link.data = {**link.data, "risk": {"flagged": risk.recommendation, "assessments": facts}}
    link.save(update_fields=["data", "synced_at"])
    negative = [f["description"] for a in facts for f in a["facts"] if f["sentiment"] == "NEGATIVE"]
    return BusinessRuleError(
        f"Shopify now recommends {risk.recommendation} for order {link.label or order_id}, which Odoo has "
        f"already confirmed (sale order {link.odoo_id}); it was not unconfirmed. "
        f"{'Risk facts: ' + '; '.join(negative) + '. ' if negative else ''}"
        "Check the order; if it is fraud, cancel it in Shopify (the cancellation reaches Odoo), then "
        "resolve this job.",
        code="order_risky_after_confirmation",
        key=risk.recommendation,
        details={
            "order_id": order_id,
            "odoo_order_id": link.odoo_id,
            "recommendation": risk.recommendation,
            "assessments": facts,
        },
    )
