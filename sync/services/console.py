"""What people do in the console. Every function checks the actor's permission and writes an audit entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from opsconsole.core.audit import audit_record
from opsconsole.core.permissions import allowed, require
from sync.models import PROBLEM_STATES, JobState, MappingChange, ShopifyShop, SyncJob
from sync.services.jobs import jobs_requeue
from sync.services.mappings import MappingRow, mapping_apply


def _can_act_on(user: Any, job: SyncJob) -> bool:
    return allowed(user, "act_on_jobs") or (job.finance and allowed(user, "act_on_finance"))


def _actionable(user: Any, job_ids: list[int]) -> list[SyncJob]:
    jobs = list(SyncJob.objects.filter(pk__in=job_ids))
    if not jobs:
        return []
    refused = [job.pk for job in jobs if not _can_act_on(user, job)]
    if refused:
        raise PermissionDenied(f"you may not act on job(s) {', '.join(map(str, refused))}")
    return jobs


def jobs_replay(*, actor: Any, job_ids: list[int], request: Any = None) -> int:
    if not allowed(actor, "act_on_jobs") and not allowed(actor, "act_on_finance"):
        raise PermissionDenied("replaying jobs needs the ops or finance role")
    jobs = _actionable(actor, job_ids)
    count = jobs_requeue(
        job_ids=[job.pk for job in jobs],
        states=(*PROBLEM_STATES, JobState.RETRYING, JobState.RESOLVED, JobState.IGNORED),
    )
    audit_record(
        action="job.replay",
        actor=actor,
        object_type="sync_job",
        object_id=",".join(str(j.pk) for j in jobs)[:128],
        summary=f"replayed {count} job(s)",
        after={"job_ids": [j.pk for j in jobs]},
        request=request,
    )
    return count


def problem_replay(*, actor: Any, fingerprint: str, request: Any = None) -> int:
    ids = list(
        SyncJob.objects.filter(fingerprint=fingerprint, state__in=PROBLEM_STATES).values_list("pk", flat=True)
    )
    return jobs_replay(actor=actor, job_ids=ids, request=request) if ids else 0


def _close(*, actor: Any, job_ids: list[int], state: str, note: str, action: str, request: Any) -> int:
    if not note.strip():
        raise ValidationError("say why in a note")
    jobs = _actionable(actor, job_ids)
    now = timezone.now()
    with transaction.atomic():
        count = SyncJob.objects.filter(pk__in=[j.pk for j in jobs], state__in=PROBLEM_STATES).update(
            state=state, closed_by=actor, closed_note=note, finished_at=now, updated_at=now
        )
        audit_record(
            action=action,
            actor=actor,
            object_type="sync_job",
            object_id=",".join(str(j.pk) for j in jobs)[:128],
            summary=note[:500],
            before={"states": {j.pk: j.state for j in jobs}},
            after={"state": state},
            request=request,
        )
    return count


def jobs_resolve(*, actor: Any, job_ids: list[int], note: str, request: Any = None) -> int:
    return _close(
        actor=actor,
        job_ids=job_ids,
        state=JobState.RESOLVED,
        note=note,
        action="job.resolve",
        request=request,
    )


def jobs_ignore(*, actor: Any, job_ids: list[int], note: str, request: Any = None) -> int:
    return _close(
        actor=actor, job_ids=job_ids, state=JobState.IGNORED, note=note, action="job.ignore", request=request
    )


def jobs_snooze(*, actor: Any, job_ids: list[int], until: datetime, request: Any = None) -> int:
    if until <= timezone.now():
        raise ValidationError("snooze until a time in the future")
    jobs = _actionable(actor, job_ids)
    count = SyncJob.objects.filter(pk__in=[j.pk for j in jobs], state__in=PROBLEM_STATES).update(
        snoozed_until=until, updated_at=timezone.now()
    )
    audit_record(
        action="job.snooze",
        actor=actor,
        object_type="sync_job",
        object_id=",".join(str(j.pk) for j in jobs)[:128],
        summary=f"snoozed until {until:%Y-%m-%d %H:%M}",
        after={"until": until.isoformat()},
        request=request,
    )
    return count


def payload_reveal(*, actor: Any, job: SyncJob, request: Any = None) -> dict[str, Any] | None:
    require(actor, "reveal_customer_data")
    audit_record(
        action="payload.reveal",
        actor=actor,
        object_type="sync_job",
        object_id=job.pk,
        summary=f"revealed the customer data of job {job.pk} ({job.subject_label or job.subject})",
        request=request,
    )
    return job.event.payload if job.event is not None else (job.input or {}).get("payload")


# ------------------------------------------------------------------------------------------- mappings


def mapping_propose(
    *, actor: Any, shop: ShopifyShop, rows: list[MappingRow], summary: str, request: Any = None
) -> MappingChange:
    require(actor, "propose_mapping")
    if not rows:
        raise ValidationError("a change needs at least one row")
    change = MappingChange.objects.create(
        shop=shop,
        summary=summary[:300],
        proposed_by=actor,
        rows=[{"table": r.table, "key": r.key, "value": r.value} for r in rows],
    )
    audit_record(
        action="mapping.propose",
        actor=actor,
        object_type="mapping_change",
        object_id=change.pk,
        summary=summary[:500],
        after={"rows": change.rows},
        request=request,
    )
    return change


def mapping_approve(*, actor: Any, change: MappingChange, note: str = "", request: Any = None) -> int:
    require(actor, "approve_mapping")
    with transaction.atomic():
        change = MappingChange.objects.select_for_update().get(pk=change.pk)
        if change.state != MappingChange.State.PROPOSED:
            raise ValidationError(f"this change is already {change.state}")
        if change.proposed_by_id == actor.pk:
            raise PermissionDenied("a change must be approved by someone other than its proposer")
        rows = [MappingRow(table=r["table"], key=r["key"], value=r["value"]) for r in change.rows]
        version = mapping_apply(shop=change.shop, rows=rows, change=change)
        change.state = MappingChange.State.APPROVED
        change.decided_by = actor
        change.decided_at = timezone.now()
        change.decision_note = note
        change.version = version
        change.save()
        audit_record(
            action="mapping.approve",
            actor=actor,
            object_type="mapping_change",
            object_id=change.pk,
            summary=f"approved '{change.summary}' as mapping version {version}",
            after={"version": version},
            request=request,
        )
    return version


def mapping_reject(*, actor: Any, change: MappingChange, note: str, request: Any = None) -> None:
    require(actor, "approve_mapping")
    with transaction.atomic():
        change = MappingChange.objects.select_for_update().get(pk=change.pk)
        if change.state != MappingChange.State.PROPOSED:
            raise ValidationError(f"this change is already {change.state}")
        if change.proposed_by_id == actor.pk:
            raise PermissionDenied("a change must be rejected by someone other than its proposer")
        change.state = MappingChange.State.REJECTED
        change.decided_by = actor
        change.decided_at = timezone.now()
        change.decision_note = note
        change.save()
        audit_record(
            action="mapping.reject",
            actor=actor,
            object_type="mapping_change",
            object_id=change.pk,
            summary=note[:500],
            request=request,
        )
