"""Running one job: find it, take its subject's lock, claim it, build its context, run its flow, record
the outcome, release and hand over the next job of the same subject."""

from __future__ import annotations

import logging
import os
import time

from django.utils import timezone

from sync.engine.attempts import record_failure, record_success
from sync.engine.claim import job_claim, job_subject_busy, subject_waiters_wake
from sync.engine.context import connections_mark, context_for
from sync.flows import registry
from sync.locks import job_lock_key, subject_lock_release, subject_lock_try
from sync.models import JobAttempt, SyncJob

logger = logging.getLogger("sync.jobs")


def job_run(*, key: str) -> str:
    """Run one job (by idempotency key) if it is due and not already running. Returns what happened:
    missing, subject_busy, not_runnable, succeeded or failed."""
    job = SyncJob.objects.filter(idempotency_key=key).only("pk", "subject", "shop_id").first()
    if job is None:
        return "missing"
    job_id = job.pk
    lock_key = job_lock_key(job.shop_id, job.subject)
    if not subject_lock_try(lock_key):
        job_subject_busy(job_id)
        return "subject_busy"
    try:
        now = timezone.now()
        if not job_claim(job_id, now):
            return "not_runnable"
        job = SyncJob.objects.select_related("shop", "shop__odoo", "event").get(pk=job_id)
        attempt = JobAttempt.objects.create(
            job=job, number=job.attempts, started_at=now, worker_pid=os.getpid()
        )
        context = context_for(job)
        started = time.monotonic()
        log = logging.LoggerAdapter(logger, {"correlation_id": str(job.correlation_id), "job_id": job.pk})
        log.info("job %s %s attempt %s started [cid=%s]", job.pk, job.kind, job.attempts, job.correlation_id)
        try:
            flow = registry.get(job.kind)
            result = flow(job, context)
        except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded
            record_failure(job, attempt, context, exc, started)
            return "failed"
        record_success(job, attempt, context, result, started)
        connections_mark(job, context)
        log.info("job %s succeeded [cid=%s]", job.pk, job.correlation_id)
        return "succeeded"
    finally:
        subject_lock_release(lock_key)
        subject_waiters_wake(job.shop_id, job.subject, finished_job_id=job_id)
