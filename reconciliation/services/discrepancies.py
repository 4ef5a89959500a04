"""Discrepancies as a run records them (found, found again, cleared) and as people act on them (assign,
note, resolve, re-open), each change with an activity row and, for people, an audit entry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from opsconsole.core.audit import audit_record
from opsconsole.core.permissions import require
from reconciliation.matchers.orders import Finding
from reconciliation.models import Discrepancy, DiscrepancyActivity, ReconciliationRun


def _values(finding: Finding) -> dict[str, Any]:
    return {
        "label": finding.label[:120],
        "shopify_value": finding.shopify_value[:255],
        "odoo_value": finding.odoo_value[:255],
        "amount_shopify": finding.amount_shopify,
        "amount_odoo": finding.amount_odoo,
        "currency": finding.currency[:3],
        "details": finding.details,
        "occurred_at": finding.occurred_at,
    }


def discrepancies_record(*, run: ReconciliationRun, findings: Iterable[Finding]) -> list[Discrepancy]:
    """Record a page of findings of ``run``: new ones are created ("found"), known ones updated (a resolved
    one that comes back is open again: "found again"). One row per shop, code and subject, whatever the
    number of runs."""
    findings = list(findings)
    if not findings:
        return []
    now = timezone.now()
    out: list[Discrepancy] = []
    with transaction.atomic():
        existing = {
            (d.code, d.subject): d
            for d in Discrepancy.objects.select_for_update().filter(
                shop_id=run.shop_id, subject__in={f.subject for f in findings}
            )
        }
        for finding in findings:
            current = existing.get((finding.code, finding.subject))
            if current is None:
                current = Discrepancy.objects.create(
                    shop_id=run.shop_id,
                    kind=run.kind,
                    code=finding.code,
                    subject=finding.subject,
                    first_run=run,
                    last_run=run,
                    first_seen=now,
                    last_seen=now,
                    **_values(finding),
                )
                existing[(finding.code, finding.subject)] = current
                DiscrepancyActivity.objects.create(discrepancy=current, action="found", run=run)
            elif current.last_run_id != run.pk:
                reopened = current.status == Discrepancy.Status.RESOLVED
                for key, value in _values(finding).items():
                    setattr(current, key, value)
                current.last_run = run
                current.last_seen = now
                current.times_seen += 1
                if reopened:
                    current.status = Discrepancy.Status.OPEN
                    current.resolved_at = None
                current.save()
                if reopened:
                    DiscrepancyActivity.objects.create(discrepancy=current, action="found_again", run=run)
            out.append(current)
    return out


def discrepancies_clear(
    *, run: ReconciliationRun, codes: Iterable[str], since: datetime, until: datetime
) -> int:
    """Resolve the open discrepancies of ``codes`` whose subject falls in the run's window and that the run
    did not find again (the cause was fixed). Returns how many."""
    stale = Discrepancy.objects.filter(
        shop_id=run.shop_id,
        code__in=list(codes),
        status=Discrepancy.Status.OPEN,
        occurred_at__gte=since,
        occurred_at__lt=until,
    ).exclude(last_run=run)
    now = timezone.now()
    cleared = 0
    with transaction.atomic():
        for d in stale.select_for_update():
            d.status = Discrepancy.Status.RESOLVED
            d.resolved_at = now
            d.save(update_fields=["status", "resolved_at"])
            DiscrepancyActivity.objects.create(
                discrepancy=d, action="cleared", run=run, note=f"run {run.pk} no longer finds it"
            )
            cleared += 1
    return cleared


def discrepancy_note_activity(
    *, discrepancy: Discrepancy, action: str, note: str = "", run: ReconciliationRun | None = None
) -> None:
    DiscrepancyActivity.objects.create(discrepancy=discrepancy, action=action, note=note, run=run)


# ---- people ------------------------------------------------------------------------------------------


def _act(user: Any, discrepancy: Discrepancy, action: str, note: str, **changes: Any) -> Discrepancy:
    require(user, "act_on_finance")
    before = {k: str(getattr(discrepancy, k)) for k in changes}
    with transaction.atomic():
        for key, value in changes.items():
            setattr(discrepancy, key, value)
        if changes:
            discrepancy.save(update_fields=list(changes))
        DiscrepancyActivity.objects.create(discrepancy=discrepancy, actor=user, action=action, note=note)
        audit_record(
            action=f"discrepancy.{action}",
            actor=user,
            object_type="discrepancy",
            object_id=discrepancy.pk,
            summary=f"{discrepancy.code} {discrepancy.subject}: {action}" + (f" ({note})" if note else ""),
            before=before or None,
            after={k: str(v) for k, v in changes.items()} or None,
        )
    return discrepancy


def discrepancy_assign(*, user: Any, discrepancy: Discrepancy, assignee: Any, note: str = "") -> Discrepancy:
    return _act(user, discrepancy, "assigned", note or f"to {assignee.get_username()}", assignee=assignee)


def discrepancy_note(*, user: Any, discrepancy: Discrepancy, note: str) -> Discrepancy:
    if not note.strip():
        raise ValueError("a note needs text")
    return _act(user, discrepancy, "note", note.strip())


def discrepancy_resolve(*, user: Any, discrepancy: Discrepancy, note: str) -> Discrepancy:
    if not note.strip():
        raise ValueError("resolving needs a note saying why")
    return _act(
        user,
        discrepancy,
        "resolved",
        note.strip(),
        status=Discrepancy.Status.RESOLVED,
        resolved_at=timezone.now(),
    )


def discrepancy_reopen(*, user: Any, discrepancy: Discrepancy, note: str = "") -> Discrepancy:
    return _act(user, discrepancy, "reopened", note, status=Discrepancy.Status.OPEN, resolved_at=None)
