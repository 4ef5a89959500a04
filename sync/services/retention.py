"""Retention: what we keep, and for how long. Run daily (schedule ``sync.retention``) and on demand.

- Raw webhook bodies and parsed payloads (customer data) are purged after
  ``OPSCONSOLE_RETENTION_PAYLOAD_DAYS`` (default 30) — unless a job of the delivery is still open (queued,
  running, retrying, parked or dead: a replay would need the payload); those are kept and counted. The
  delivery's row stays (topic, ids, times, outcome) with an empty body, marked ``purged_at``.
- A job's own input payload (jobs made without a delivery) and data-request exports: the same window.
- Refused deliveries: deleted after ``OPSCONSOLE_RETENTION_REJECTED_DAYS`` (default 90).
- Audit entries: deleted after ``OPSCONSOLE_RETENTION_AUDIT_DAYS`` (default 730).

Each run is a ``RetentionRun`` row (its counts show on the dashboard) and an audit entry.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from opsconsole.core.audit import audit_record
from opsconsole.core.models import AuditEntry
from sync.models import (
    InboundEvent,
    JobState,
    PrivacyRequest,
    RejectedDelivery,
    RetentionRun,
    SyncJob,
)

#: Job states in which a job may still run again, and so still needs its payload.
OPEN_JOB_STATES = (
    JobState.QUEUED,
    JobState.RUNNING,
    JobState.RETRYING,
    JobState.NEEDS_ATTENTION,
    JobState.DEAD,
)
BATCH = 500


def _in_batches(query: object, update: dict[str, object]) -> int:
    total = 0
    while True:
        ids = list(query.values_list("pk", flat=True)[:BATCH])  # type: ignore[attr-defined]
        if not ids:
            return total
        with transaction.atomic():
            total += query.model.objects.filter(pk__in=ids).update(**update)  # type: ignore[attr-defined]


def retention_purge(*, now: datetime | None = None) -> RetentionRun:
    now = now or timezone.now()
    run = RetentionRun.objects.create(started_at=now)
    payload_cutoff = now - timedelta(days=settings.RETENTION_PAYLOAD_DAYS)
    open_jobs = SyncJob.objects.filter(event=OuterRef("pk"), state__in=OPEN_JOB_STATES)
    # A delivery not ingested yet (sync/engine/ingest.py) is still to be acted on, like one with an open job.
    old = InboundEvent.objects.filter(received_at__lt=payload_cutoff, ingested_at__isnull=False).exclude(
        Q(raw_body=b"") & Q(payload__isnull=True)
    )
    run.payloads_kept_for_jobs = old.filter(Exists(open_jobs)).count()
    run.payloads_purged = _in_batches(
        old.exclude(Exists(open_jobs)), {"raw_body": b"", "payload": None, "purged_at": now}
    )
    run.job_inputs_purged = 0
    for job in (
        SyncJob.objects.filter(created_at__lt=payload_cutoff, input__has_key="payload")
        .exclude(state__in=OPEN_JOB_STATES)
        .only("pk", "input")
        .iterator()
    ):
        SyncJob.objects.filter(pk=job.pk).update(
            input={k: v for k, v in (job.input or {}).items() if k != "payload"}
        )
        run.job_inputs_purged += 1
    run.exports_purged = PrivacyRequest.objects.filter(
        created_at__lt=payload_cutoff, export__isnull=False
    ).update(export=None)
    run.rejected_deleted, _ = RejectedDelivery.objects.filter(
        at__lt=now - timedelta(days=settings.RETENTION_REJECTED_DAYS)
    ).delete()
    run.audit_deleted, _ = AuditEntry.objects.filter(
        at__lt=now - timedelta(days=settings.RETENTION_AUDIT_DAYS)
    ).delete()
    run.finished_at = timezone.now()
    run.save()
    audit_record(
        action="retention.purge",
        object_type="retention_run",
        object_id=run.pk,
        summary=f"retention: {run.payloads_purged} payload(s) purged ({run.payloads_kept_for_jobs} kept for "
        f"open jobs), {run.job_inputs_purged} job input(s), {run.exports_purged} export(s), "
        f"{run.rejected_deleted} refused deliveries and {run.audit_deleted} audit entries deleted",
        after={
            "payloads_purged": run.payloads_purged,
            "payloads_kept_for_jobs": run.payloads_kept_for_jobs,
            "job_inputs_purged": run.job_inputs_purged,
            "exports_purged": run.exports_purged,
            "rejected_deleted": run.rejected_deleted,
            "audit_deleted": run.audit_deleted,
        },
    )
    return run


def retention_last_run() -> RetentionRun | None:
    return RetentionRun.objects.filter(finished_at__isnull=False).first()
