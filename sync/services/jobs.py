"""The job engine: create, claim, run, classify, retry, park, sweep. SyncJob rows are the truth;
django-q2 only carries job ids.

- A job's queue entry is written in the same transaction as the job (the ORM broker lives in our
  database), so neither exists without the other; the sweeper covers what a crash can still leave.
- A worker claims a job with one conditional UPDATE, so a task delivered twice runs the job once.
- Jobs of one subject (one Shopify order, one customer) never run at the same time: the worker holds a
  PostgreSQL advisory lock on the subject while it runs; a second job of that subject waits its turn.
- Errors are classified by the taxonomy in opsconsole/core/errors.py: transient → retry with capped
  exponential backoff and full jitter (honouring Retry-After); business → needs_attention at once with a
  fingerprint; auth → needs_attention as an auth problem, resumed when the connection works again;
  contract and unknown errors → retried within the budget, then dead.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from opsconsole.core.errors import (
    AuthError,
    BusinessRuleError,
    ContractError,
    IntegrationError,
    RateLimited,
    TransientError,
)
from sync.models import JobAttempt, JobState, ShopifyShop, SyncJob

logger = logging.getLogger("sync.jobs")

TASK = "sync.tasks.run_job"


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def retry_base_seconds() -> float:
    return _setting("SYNC_RETRY_BASE_SECONDS", 30)


def retry_cap_seconds() -> float:
    return _setting("SYNC_RETRY_CAP_SECONDS", 3600)


def lease_seconds() -> float:
    return _setting("SYNC_LEASE_SECONDS", 300)


# --------------------------------------------------------------------------------------------- creation


@dataclass(frozen=True)
class JobSpec:
    kind: str
    flow: str
    shop: ShopifyShop
    idempotency_key: str
    subject: str
    subject_label: str = ""
    event_id: int | None = None
    input: dict[str, Any] | None = None
    source_updated_at: datetime | None = None


def _job_values(spec: JobSpec) -> dict[str, Any]:
    return {
        "kind": spec.kind,
        "flow": spec.flow,
        "shop": spec.shop,
        "subject": spec.subject,
        "subject_label": spec.subject_label,
        "event_id": spec.event_id,
        "input": spec.input,
        "source_updated_at": spec.source_updated_at,
        "max_attempts": int(_setting("SYNC_MAX_ATTEMPTS", 8)),
    }


def job_create(*, spec: JobSpec) -> tuple[SyncJob, bool]:
    """Create the job and its queue entry in one transaction; an existing key returns that job."""
    with transaction.atomic():
        job, created = SyncJob.objects.get_or_create(
            idempotency_key=spec.idempotency_key, defaults=_job_values(spec)
        )
        if created:
            job_enqueue(job=job)
    return job, created


def job_enqueue(*, job: SyncJob) -> None:
    """Put the job on the queue, in the current transaction (ORM broker on the same database). The queue
    carries the job's idempotency key (unique, known before the row exists) and nothing else."""
    key = job.idempotency_key
    async_task(TASK, key, task_name=f"job {key}"[:100], q_options={"group": job.flow})


def queue_package(job_key: str, *, group: str) -> str:
    """The signed package ``async_task(TASK, job_key)`` would put on the queue, built without writing it, so
    that the webhook path can insert it in the same SQL statement as its event and job (one round trip).
    tests/sync/test_queue_package.py checks it against django-q2's own and a real worker runs it."""
    from django_q.conf import Conf
    from django_q.humanhash import uuid
    from django_q.signing import SignedPackage

    tag = uuid()
    task: dict[str, Any] = {
        "id": tag[1],
        "name": f"job {job_key}"[:100],
        "func": TASK,
        "args": (job_key,),
        "group": group,
    }
    if Conf.CACHED:
        task["cached"] = Conf.CACHED
    if Conf.SYNC:
        task["sync"] = Conf.SYNC
    if Conf.ACK_FAILURES:
        task["ack_failure"] = Conf.ACK_FAILURES
    task["kwargs"] = {}
    task["started"] = timezone.now()
    return SignedPackage.dumps(task)  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------------ claim


def subject_lock_key(subject: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock (hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(subject.encode(), digest_size=8).digest(), "big", signed=True)


def _try_subject_lock(key: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        return bool(cursor.fetchone()[0])


@contextmanager
def subject_lock(key: int) -> Iterator[None]:
    """Wait for the subject's advisory lock (for work that must not run twice at once inside a job)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        _release_subject_lock(key)


def _release_subject_lock(key: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def _claim(job_id: int, now: datetime) -> bool:
    runnable = Q(state__in=[JobState.QUEUED, JobState.RETRYING]) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    abandoned = Q(state=JobState.RUNNING, lease_expires_at__lt=now)
    claimed = SyncJob.objects.filter(Q(pk=job_id) & (runnable | abandoned)).update(
        state=JobState.RUNNING,
        attempts=F("attempts") + 1,
        lease_expires_at=now + timedelta(seconds=lease_seconds()),
        updated_at=now,
    )
    return claimed == 1


# -------------------------------------------------------------------------------------------------- run


@dataclass
class Outcome:
    state: str
    attempt_outcome: str
    next_attempt_at: datetime | None = None


def backoff_seconds(attempt: int, *, retry_after: float | None = None) -> float:
    """Capped exponential backoff with full jitter; never sooner than the server's Retry-After."""
    ceiling = min(retry_cap_seconds(), retry_base_seconds() * (2 ** max(0, attempt - 1)))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def fingerprint_for(job: SyncJob, exc: BaseException) -> str:
    if isinstance(exc, AuthError):
        return f"auth:{exc.system or 'unknown'}:shop{job.shop_id}"
    if isinstance(exc, BusinessRuleError):
        return f"{exc.code}:{exc.key}" if exc.key else f"{exc.code}:{job.kind}"
    return f"{type(exc).__name__}:{job.kind}"


def classify(job: SyncJob, exc: BaseException, now: datetime) -> Outcome:
    if isinstance(exc, BusinessRuleError | AuthError):
        return Outcome(JobState.NEEDS_ATTENTION, JobAttempt.Outcome.PARKED)
    retryable = isinstance(exc, TransientError | ContractError) or not isinstance(exc, IntegrationError)
    if retryable and job.attempts < job.max_attempts:
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        when = now + timedelta(seconds=backoff_seconds(job.attempts, retry_after=retry_after))
        return Outcome(JobState.RETRYING, JobAttempt.Outcome.RETRY, when)
    return Outcome(JobState.DEAD, JobAttempt.Outcome.DEAD)


def job_run(*, key: str) -> str:
    """Run one job (by idempotency key) if it is due and not already running. Returns what happened."""
    from sync.flows import registry
    from sync.flows.context import JobContext

    job = SyncJob.objects.filter(idempotency_key=key).only("pk", "subject", "shop_id").first()
    if job is None:
        return "missing"
    job_id = job.pk
    lock_key = subject_lock_key(f"{job.shop_id}:{job.subject}")
    if not _try_subject_lock(lock_key):
        # Another job of the same order runs now: try again shortly, without spending an attempt (the
        # holder's follow-up sweep picks it up). A retry already scheduled later keeps its backoff.
        soon = timezone.now() + timedelta(seconds=1)
        SyncJob.objects.filter(pk=job_id, state__in=[JobState.QUEUED, JobState.RETRYING]).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=soon)
        ).update(state=JobState.RETRYING, next_attempt_at=soon)
        return "subject_busy"
    try:
        now = timezone.now()
        if not _claim(job_id, now):
            return "not_runnable"
        job = SyncJob.objects.select_related("shop", "shop__odoo", "event").get(pk=job_id)
        attempt = JobAttempt.objects.create(
            job=job, number=job.attempts, started_at=now, worker_pid=os.getpid()
        )
        context = JobContext(job=job)
        started = time.monotonic()
        log = logging.LoggerAdapter(logger, {"correlation_id": str(job.correlation_id), "job_id": job.pk})
        log.info("job %s %s attempt %s started [cid=%s]", job.pk, job.kind, job.attempts, job.correlation_id)
        try:
            spec = registry.get(job.kind)
            result = spec.run(job, context)
        except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded
            _record_failure(job, attempt, context, exc, started)
            return "failed"
        _record_success(job, attempt, context, result, started)
        _mark_connections(job, context)
        log.info("job %s succeeded [cid=%s]", job.pk, job.correlation_id)
        return "succeeded"
    finally:
        _release_subject_lock(lock_key)
        _wake_subject_waiters(job.shop_id, job.subject)


def _wake_subject_waiters(shop_id: int, subject: str) -> None:
    """Hand over, at once, the jobs of this subject that found it busy while this one ran (they were set
    to retry a second later); a job in a real backoff of its own is not due so soon and keeps waiting.
    One indexed SELECT per job, nearly always empty; a job woken twice is claimed once."""
    soon = timezone.now() + timedelta(seconds=1.5)
    waiting = list(
        SyncJob.objects.filter(
            shop_id=shop_id, subject=subject, state=JobState.RETRYING, next_attempt_at__lte=soon
        ).values_list("pk", "idempotency_key")
    )
    if waiting:
        SyncJob.objects.filter(pk__in=[pk for pk, _ in waiting], state=JobState.RETRYING).update(
            state=JobState.QUEUED, next_attempt_at=None, updated_at=timezone.now()
        )
        for _, key in waiting:
            async_task(TASK, key, task_name=f"job {key}"[:100])


def _finish_attempt(
    attempt: JobAttempt, context: Any, started: float, outcome: str, exc: BaseException | None
) -> None:
    attempt.finished_at = timezone.now()
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.outcome = outcome
    attempt.external_calls = context.calls
    if exc is not None:
        attempt.error_class = type(exc).__name__
        attempt.error_message = str(exc)[:4000]
    attempt.save()


def _mark_connections(job: SyncJob, context: Any) -> None:
    from sync.services.health import connection_success_mark

    systems = {call["system"] for call in context.calls if call.get("ok")}
    shopify = context.__dict__.get("shopify")  # only if the job built a Shopify client
    connection_success_mark(
        odoo_id=job.shop.odoo_id if "odoo" in systems else None,
        shop_id=job.shop_id if "shopify" in systems or shopify is not None else None,
        shopify_client=shopify,
    )


def _record_success(
    job: SyncJob, attempt: JobAttempt, context: Any, result: dict[str, Any], started: float
) -> None:
    with transaction.atomic():
        _finish_attempt(attempt, context, started, JobAttempt.Outcome.SUCCEEDED, None)
        SyncJob.objects.filter(pk=job.pk).update(
            state=JobState.SUCCEEDED,
            result=result,
            mapping_version=context.mapping_version,
            finished_at=timezone.now(),
            lease_expires_at=None,
            next_attempt_at=None,
            error_class="",
            error_code="",
            error_key="",
            error_message="",
            error_context=None,
            fingerprint="",
            updated_at=timezone.now(),
        )


def _mapping_changed_meanwhile(job: SyncJob, context: Any, exc: BaseException) -> bool:
    from sync.services.mappings import TABLE_FOR_CODE, mapping_version_current

    if not isinstance(exc, BusinessRuleError) or exc.code not in TABLE_FOR_CODE:
        return False
    used = context.mapping_version
    return used is not None and mapping_version_current(shop=job.shop) > used


def _record_failure(
    job: SyncJob, attempt: JobAttempt, context: Any, exc: BaseException, started: float
) -> None:
    now = timezone.now()
    outcome = classify(job, exc, now)
    if outcome.state == JobState.NEEDS_ATTENTION and _mapping_changed_meanwhile(job, context, exc):
        # The missing mapping was approved while this attempt ran on the older version: the approval's
        # replay has already looked for parked jobs, so run again now rather than park.
        outcome = Outcome(JobState.RETRYING, JobAttempt.Outcome.RETRY, now)
    details: dict[str, Any] = dict(getattr(exc, "details", {}) or {})
    if not isinstance(exc, IntegrationError):
        details["traceback"] = traceback.format_exception(exc)[-12:]
    if isinstance(exc, AuthError):
        context.note_auth_failure(exc)
    with transaction.atomic():
        _finish_attempt(attempt, context, started, outcome.attempt_outcome, exc)
        SyncJob.objects.filter(pk=job.pk).update(
            state=outcome.state,
            next_attempt_at=outcome.next_attempt_at,
            lease_expires_at=None,
            mapping_version=context.mapping_version,
            error_class=type(exc).__name__,
            error_code=getattr(exc, "code", "") or ("auth" if isinstance(exc, AuthError) else ""),
            error_key=getattr(exc, "key", "")[:255],
            error_message=str(exc)[:4000],
            error_context=details or None,
            fingerprint=fingerprint_for(job, exc)[:300],
            finance=getattr(exc, "code", "") in FINANCE_CODES,
            finished_at=now if outcome.state != JobState.RETRYING else None,
            updated_at=now,
        )
    logger.warning(
        "job %s %s attempt %s: %s %s -> %s [cid=%s]",
        job.pk,
        job.kind,
        job.attempts,
        type(exc).__name__,
        exc,
        outcome.state,
        job.correlation_id,
    )


FINANCE_CODES = frozenset({"total_mismatch", "tax_mismatch", "currency_mismatch"})


# --------------------------------------------------------------------------------------------- replays


def jobs_requeue(
    *,
    job_ids: list[int] | None = None,
    fingerprint: str | None = None,
    states: tuple[str, ...] = (JobState.NEEDS_ATTENTION, JobState.DEAD, JobState.RETRYING),
) -> int:
    """Put jobs back on the queue now (a replay). Permission checks live in the console's services."""
    now = timezone.now()
    query = SyncJob.objects.filter(state__in=states)
    if job_ids is not None:
        query = query.filter(pk__in=job_ids)
    if fingerprint is not None:
        query = query.filter(fingerprint=fingerprint)
    count = 0
    with transaction.atomic():
        for job in query.select_for_update(skip_locked=True):
            SyncJob.objects.filter(pk=job.pk).update(
                state=JobState.QUEUED,
                next_attempt_at=None,
                snoozed_until=None,
                max_attempts=max(job.max_attempts, job.attempts + int(_setting("SYNC_MAX_ATTEMPTS", 8))),
                updated_at=now,
            )
            job_enqueue(job=job)
            count += 1
    return count


# --------------------------------------------------------------------------------------------- sweeper


@dataclass(frozen=True)
class SweepReport:
    abandoned: int
    due_retries: int
    stranded: int
    dead: int = 0


def jobs_sweep(
    *, now: datetime | None = None, limit: int = 500, include_stranded: bool = True
) -> SweepReport:
    """Re-enqueue what needs a worker: jobs whose worker died (lease expired; dead once their budget is
    spent, so a job that kills its worker every time cannot loop forever), retries due now, and queued
    jobs that lost their queue entry. Safe to run anywhere, any number of times; a job handed over is
    marked queued so that the next sweep does not hand it over again."""
    from django_q.models import OrmQ

    now = now or timezone.now()
    with transaction.atomic():
        abandoned_rows = list(
            SyncJob.objects.filter(state=JobState.RUNNING, lease_expires_at__lt=now)
            .select_for_update(skip_locked=True)
            .values_list("pk", "attempts", "max_attempts", "kind")[:limit]
        )
        abandoned = [pk for pk, attempts, budget, _ in abandoned_rows if attempts < budget]
        exhausted = [(pk, kind) for pk, attempts, budget, kind in abandoned_rows if attempts >= budget]
        if abandoned_rows:
            JobAttempt.objects.filter(
                job_id__in=[row[0] for row in abandoned_rows], outcome=JobAttempt.Outcome.RUNNING
            ).update(
                outcome=JobAttempt.Outcome.LOST,
                finished_at=now,
                error_class="WorkerLost",
                error_message="the worker stopped before finishing (lease expired)",
            )
        for pk, kind in exhausted:
            SyncJob.objects.filter(pk=pk).update(
                state=JobState.DEAD,
                lease_expires_at=None,
                finished_at=now,
                updated_at=now,
                error_class="WorkerLost",
                error_code="worker_lost",
                error_key=kind,
                error_message="the job stopped its worker on every attempt (timeout, memory or crash)",
                fingerprint=f"worker_lost:{kind}",
            )
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
            missing = queued - OrmQ.objects.count()
            if missing > 0:
                stranded_after = timedelta(seconds=_setting("SYNC_STRANDED_AFTER_SECONDS", 300))
                stranded = list(
                    SyncJob.objects.filter(state=JobState.QUEUED, updated_at__lt=now - stranded_after)
                    .order_by("updated_at")
                    .select_for_update(skip_locked=True)
                    .values_list("pk", flat=True)[: min(limit, missing)]
                )
        handed_over = [*abandoned, *due, *stranded]
        for key in SyncJob.objects.filter(pk__in=handed_over).values_list("idempotency_key", flat=True):
            async_task(TASK, key, task_name=f"job {key}"[:100])
        if handed_over:
            SyncJob.objects.filter(pk__in=handed_over).update(
                state=JobState.QUEUED, next_attempt_at=None, lease_expires_at=None, updated_at=now
            )
    return SweepReport(
        abandoned=len(abandoned), due_retries=len(due), stranded=len(stranded), dead=len(exhausted)
    )
