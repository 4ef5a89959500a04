"""Running one job: find it, take its subject's lock, claim it, build its context, run its flow, record
the outcome, release and hand over the next job of the same subject.

Everything a job logs, and every connector call it makes, carries its correlation id (from the webhook
that created it), its shop, job id, kind and flow (opsconsole/core/correlation.py); the last line says
how it ended and how long it took."""

from __future__ import annotations

import os
import time

import structlog
from django.db import close_old_connections
from django.utils import timezone
from django_q.exceptions import TimeoutException

from opsconsole.core.correlation import log_context
from opsconsole.core.metrics import JOB_SECONDS, JOBS_FINISHED
from sync.engine.attempts import record_failure, record_success
from sync.engine.claim import job_claim, job_subject_busy, shop_turn_taken, subject_waiters_wake
from sync.engine.context import connections_mark, context_for
from sync.engine.ingest import deliveries_ingest_pending, delivery_ingest_key, delivery_reingest
from sync.engine.pick import job_pick_first
from sync.engine.queue import job_key_enqueue
from sync.flows import registry
from sync.flows.context import JobContext
from sync.kinds import INGEST_FAILED_KIND, SALE_TOPICS, lock_subject
from sync.locks import job_lock_key, subject_lock_release, subject_lock_try
from sync.models import RUNNABLE_STATES, JobAttempt, JobState, SyncJob

logger = structlog.get_logger("sync.jobs")

#: Flows that read the shop's stored deliveries: its deliveries not ingested yet are ingested before they
#: run (sync/engine/ingest.py), at most so many, of these topics (None: all), and, when strict, the job
#: waits (retrying) while any received before its attempt began is still not ingested. A redaction must
#: see every stored body of its shop: strict, so that one another worker is ingesting at that moment, or
#: one beyond the first 5,000 of a backlog, is not missed. A stock push counts the sales Odoo has not
#: booked yet: the order deliveries waiting for a worker are ingested first, a bounded number of them, so
#: that a backlog of thousands never holds a stock change back; while some still wait, the push lowers
#: Shopify's stock but holds back raises (sync/flows/stock.py ``sales_uncounted``).
INGEST_FIRST: dict[str, tuple[int, tuple[str, ...] | None, bool]] = {
    "privacy": (5000, None, True),
    "stock": (100, SALE_TOPICS, False),
}

_RUN_FIELDS = ("pk", "subject", "shop_id", "correlation_id", "flow", "kind", "priority")


def job_run(*, key: str) -> str:
    """Run one job (by idempotency key) if it is due and not already running. Returns what happened:
    missing, subject_busy, not_runnable, succeeded or failed; for a webhook's entry whose delivery the
    worker parks instead of making a job: quarantined, unhandled or purged."""
    job = SyncJob.objects.filter(idempotency_key=key).only(*_RUN_FIELDS, "state", "next_attempt_at").first()
    if job is None:
        # A webhook's entry comes before its job: the worker ingests the stored delivery first
        # (sync/engine/ingest.py); a delivery it parks (unreadable, mismatched, unhandled) has nothing to run.
        ingested = delivery_ingest_key(key)
        if ingested.job_id is None or ingested.outcome != "stored":
            return ingested.outcome
        job = (
            SyncJob.objects.filter(pk=ingested.job_id).only(*_RUN_FIELDS, "state", "next_attempt_at").first()
        )
        if job is None:
            return "missing"
    due = job.state in RUNNABLE_STATES and (
        job.next_attempt_at is None or job.next_attempt_at <= timezone.now()
    )
    earlier = job_pick_first(shop_id=job.shop_id, priority=job.priority, due=due)
    if earlier is not None:
        # A stock push is due while this entry names an order, an order while it names a catalogue or
        # customer job, or another shop's turn has come: run that one now and put this entry back at the
        # end of the queue (sync/engine/pick.py).
        job_key_enqueue(key)
        picked = SyncJob.objects.filter(pk=earlier.pk).only(*_RUN_FIELDS).first()
        if picked is None:
            return "missing"
        job = picked
    with log_context(
        correlation_id=str(job.correlation_id),
        job_id=job.pk,
        shop=job.shop_id,
        flow=job.flow,
        kind=job.kind,
    ):
        return _run(job)


def _run(job: SyncJob) -> str:
    job_id = job.pk
    # A stock level update runs under the shop's stock lock, one at a time with its pushes (kinds.py).
    locked = lock_subject(job.kind, job.subject)
    lock_key = job_lock_key(job.shop_id, locked)
    if not subject_lock_try(lock_key):
        job_subject_busy(job_id)
        return "subject_busy"
    try:
        now = timezone.now()
        if not job_claim(job_id, now):
            return "not_runnable"
        shop_turn_taken(job.shop_id, now)
        job = SyncJob.objects.select_related("shop", "shop__odoo", "event").get(pk=job_id)
        attempt = JobAttempt.objects.create(
            job=job, number=job.attempts, started_at=now, worker_pid=os.getpid()
        )
        context = context_for(job)
        started = time.monotonic()
        logger.info("job.started", attempt=job.attempts)
        try:
            if job.flow in INGEST_FIRST:
                limit, topics, strict = INGEST_FIRST[job.flow]
                deliveries_ingest_pending(
                    shop_id=job.shop_id, limit=limit, topics=topics, strict_before=now if strict else None
                )
            flow = delivery_reingest if job.kind == INGEST_FAILED_KIND else registry.for_job(job)
            result = flow(job, context)
        except TimeoutException as exc:
            # django-q2's task timeout (Q_CLUSTER["timeout"]): the task is stopped wherever it hung and its
            # worker process is replaced once this returns. What it did is unknown (a call may have written
            # without our seeing the answer): the attempt says so, and the job is handed to the sweeper.
            _timed_out(job, attempt, context, exc, started)
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded
            outcome = record_failure(job, attempt, context, exc, started)
            _count(job.flow, str(outcome.state), started)
            logger.info(
                "job.finished",
                attempt=job.attempts,
                outcome=str(outcome.state),
                error=type(exc).__name__,
                duration_ms=round((time.monotonic() - started) * 1000, 1),
            )
            return "failed"
        record_success(job, attempt, context, result, started)
        connections_mark(job, context)
        _count(job.flow, "succeeded", started)
        logger.info(
            "job.finished",
            attempt=job.attempts,
            outcome="succeeded",
            duration_ms=round((time.monotonic() - started) * 1000, 1),
        )
        return "succeeded"
    finally:
        subject_lock_release(lock_key)
        subject_waiters_wake(job.shop_id, locked, finished_job_id=job_id)


def _timed_out(
    job: SyncJob, attempt: JobAttempt, context: JobContext, exc: TimeoutException, started: float
) -> None:
    """A timed-out attempt is lost, visibly: its row names the timeout and the calls it had begun (a flow
    treats a lost attempt as one that may have written), and the job's lease ends now, so that the next
    sweep hands it over instead of waiting for the lease. If the database cannot be reached (the timeout
    struck a query), the attempt stays running and the lease's expiry hands the job over as for a killed
    worker."""
    now = timezone.now()
    duration = time.monotonic() - started
    logger.warning(
        "job.timed_out", attempt=job.attempts, error=str(exc), duration_ms=round(duration * 1000, 1)
    )
    try:
        close_old_connections()
        JobAttempt.objects.filter(pk=attempt.pk, outcome=JobAttempt.Outcome.RUNNING).update(
            outcome=JobAttempt.Outcome.LOST,
            finished_at=now,
            duration_ms=int(duration * 1000),
            error_class=type(exc).__name__,
            error_message=f"the task timed out and its worker process was replaced: {exc}"[:4000],
            external_calls=context.calls,
        )
        SyncJob.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts).update(
            lease_expires_at=now, updated_at=now
        )
    except Exception:  # the lease hands the job over all the same
        logger.exception("job.timed_out_unrecorded", attempt=job.attempts)
    JOBS_FINISHED.labels(flow=job.flow, outcome="timed_out").inc()


def _count(flow: str, outcome: str, started: float) -> None:
    JOBS_FINISHED.labels(flow=flow, outcome=outcome).inc()
    JOB_SECONDS.labels(flow=flow).observe(time.monotonic() - started)
