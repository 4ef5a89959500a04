"""What ops decide about an order held for its risk (sync/flows/risk.py): release it or cancel it. Each
checks the actor's role (``act_on_jobs``: ops and integration admins) and shop, records the decision on the
hold, audits it, and makes the job that carries it out (sync/flows/holds.py) — once per order and decision:
a second click, or a second person, gets the same job, so an order is confirmed (or cancelled) once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from opsconsole.core.audit import audit_record
from opsconsole.core.permissions import allowed
from sync.engine.queue import JobSpec, job_create
from sync.kinds import KINDS
from sync.models import OrderHold, SyncJob
from sync.selectors.access import shop_visible

Status = OrderHold.Status

#: decision → (job kind, the hold's status while its job runs, audit action)
DECISIONS: dict[str, tuple[str, str, str]] = {
    "release": ("order.release", Status.RELEASING, "order.hold_release"),
    "cancel": ("order.risk_cancel", Status.CANCELLING, "order.hold_cancel"),
}


def order_hold_can_act(user: Any, hold: OrderHold) -> bool:
    return allowed(user, "act_on_jobs") and shop_visible(user, hold.shop_id)


def order_hold_decide(*, actor: Any, hold: OrderHold, decision: str, request: Any = None) -> SyncJob:
    """Release or cancel a held order. The same decision again returns its job; the other one, once a
    decision is taken, is refused (a ValidationError saying what was decided)."""
    if not order_hold_can_act(actor, hold):
        raise PermissionDenied("you may not release or cancel held orders of this shop")
    if decision not in DECISIONS:
        raise ValidationError(f"unknown decision {decision!r}")
    kind, status, action = DECISIONS[decision]
    with transaction.atomic():
        hold = OrderHold.objects.select_for_update().select_related("shop").get(pk=hold.pk)
        if hold.status != Status.HELD:
            if hold.decision_job is not None and hold.decision_job.kind == kind:
                return hold.decision_job  # decided so already: its job, not a second one
            order = hold.label or hold.shopify_order_id
            raise ValidationError(f"order {order} is not held any more: {hold.get_status_display()}")
        job, _ = job_create(
            spec=JobSpec(
                kind=kind,
                flow=KINDS[kind].flow,
                shop=hold.shop,
                idempotency_key=f"hold:{decision}:{hold.shop_id}:{hold.shopify_order_id}",
                subject=f"order:{hold.shopify_order_id}",
                subject_label=f"{hold.label} ({decision})"[:120],
                input={
                    "hold_id": hold.pk,
                    "order_id": hold.shopify_order_id,
                    "actor": actor.get_username(),
                },
            )
        )
        before = {"status": hold.status, "recommendation": hold.recommendation}
        hold.status = status
        hold.decided_by = actor
        hold.decided_at = timezone.now()
        hold.decision_job = job
        hold.save(update_fields=["status", "decided_by", "decided_at", "decision_job", "updated_at"])
        audit_record(
            action=action,
            actor=actor,
            object_type="order_hold",
            object_id=hold.pk,
            summary=f"{decision} held order {hold.label or hold.shopify_order_id} of {hold.shop.domain} "
            f"(Shopify recommended {hold.recommendation}; job {job.pk})",
            before=before,
            after={"status": status, "job": job.pk},
            request=request,
        )
    return job
