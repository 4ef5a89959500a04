"""The sweep: hand over what needs a worker — jobs whose worker died (lease expired; dead once their budget
is spent, so a job that kills its worker every time cannot loop forever), retries due now, and queued jobs
that lost their queue entry — and open again snoozed problems whose date has passed. Safe to run anywhere,
any number of times; a job handed over is marked queued so that the next sweep does not hand it over again.
A webhook delivery no inbox pump has ingested within the stranded delay is ingested by the sweep itself
(sync/engine/ingest.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from sync.engine.config import stranded_after_seconds
from sync.engine.ingest import deliveries_ingest
from sync.engine.problems import Occurrence, problem_record_occurrence, problems_wake
from sync.engine.queue import job_key_enqueue
from sync.engine.queue_adapter import queue_length
from sync.models import JobAttempt, JobState, SyncJob

WORKER_LOST_MESSAGE = "the job stopped its worker on every attempt (timeout, memory or crash)"


@dataclass(frozen=True)
class SweepReport:
    abandoned: int
    due_retries: int
    stranded: int
    dead: int = 0
    problems_woken: int = 0
    deliveries_ingested: int = 0


def _worker_lost_dead(job: SyncJob, now: datetime) -> None:
    occurrence = Occurrence(
        fingerprint=f"worker_lost:{job.kind}",
        error_class="WorkerLost",
        error_code="worker_lost",
        error_key=job.kind,
        message=WORKER_LOST_MESSAGE,
        flow=job.flow,
    )
    problem = problem_record_occurrence(job=job, occurrence=occurrence, state=JobState.DEAD, now=now)
    SyncJob.objects.filter(pk=job.pk).update(
        state=JobState.DEAD,
        lease_expires_at=None,
        finished_at=now,
        updated_at=now,
        error_class=occurrence.error_class,
        error_code=occurrence.error_code,
        error_key=occurrence.error_key,
        error_message=occurrence.message,
        fingerprint=occurrence.fingerprint,
        problem=problem,
    )


def jobs_sweep(
    *,
    now: datetime | None = None,
    limit: int = 500,
    include_stranded: bool = True,
    wake_problems: bool = True,
) -> SweepReport:
    now = now or timezone.now()
    with transaction.atomic():
        abandoned_jobs = list(
            SyncJob.objects.filter(state=JobState.RUNNING, lease_expires_at__lt=now)
            .select_for_update(skip_locked=True)
            .only("pk", "attempts", "max_attempts", "kind", "flow", "shop_id", "subject", "subject_label")[
                :limit
            ]
        )
        abandoned = [job.pk for job in abandoned_jobs if job.attempts < job.max_attempts]
        exhausted = [job for job in abandoned_jobs if job.attempts >= job.max_attempts]
        if abandoned_jobs:
            JobAttempt.objects.filter(
                job_id__in=[job.pk for job in abandoned_jobs], outcome=JobAttempt.Outcome.RUNNING
            ).update(
                outcome=JobAttempt.Outcome.LOST,
                finished_at=now,
                error_class="WorkerLost",
                error_message="the worker stopped before finishing (lease expired)",
            )
        for job in exhausted:
            _worker_lost_dead(job, now)
        due = list(
            SyncJob.objects.filter(state=JobState.RETRYING, next_attempt_at__lte=now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        stranded: list[int] = []
        if include_stranded:
            # Only when the queue holds fewer entries than there are queued jobs: during a backlog every
            # queued job is simply waiting its turn and must not be enqueued a second time.
            queued = SyncJob.objects.filter(state=JobState.QUEUED).count()
            missing = queued - queue_length()
            if missing > 0:
                stranded_after = timedelta(seconds=stranded_after_seconds())
                stranded = list(
                    SyncJob.objects.filter(state=JobState.QUEUED, updated_at__lt=now - stranded_after)
                    .order_by("updated_at")
                    .select_for_update(skip_locked=True)
                    .values_list("pk", flat=True)[: min(limit, missing)]
                )
        handed_over = [*abandoned, *due, *stranded]
        for key in SyncJob.objects.filter(pk__in=handed_over).values_list("idempotency_key", flat=True):
            job_key_enqueue(key)
        if handed_over:
            SyncJob.objects.filter(pk__in=handed_over).update(
                state=JobState.QUEUED, next_attempt_at=None, lease_expires_at=None, updated_at=now
            )
    # A webhook delivery no inbox pump has ingested within the stranded delay (no worker running one):
    # ingested here, its job enqueued (sync/engine/ingest.py).
    ingested = (
        deliveries_ingest(limit=limit, received_before=now - timedelta(seconds=stranded_after_seconds()))
        if include_stranded
        else []
    )
    woken = problems_wake(now=now) if wake_problems else 0
    return SweepReport(
        abandoned=len(abandoned),
        due_retries=len(due),
        stranded=len(stranded),
        deliveries_ingested=sum(i.outcome not in ("busy", "missing") for i in ingested),
        dead=len(exhausted),
        problems_woken=woken,
    )
