"""Recording an attempt's outcome: the attempt row (duration, outcome, error, every external call), the
job's new state, and — when it parks or clears — its Problem, all in one transaction."""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any

from django.db import transaction
from django.utils import timezone

from opsconsole.core.errors import AuthError, BusinessRuleError, IntegrationError
from sync.engine.classify import FINANCE_CODES, Outcome, classify, fingerprint_for
from sync.engine.mappings import TABLE_FOR_CODE, mapping_version_current
from sync.engine.problems import Occurrence, problem_job_cleared, problem_record_occurrence
from sync.engine.queue import jobs_from_requests
from sync.flows.context import JobContext
from sync.models import PROBLEM_STATES, JobAttempt, JobState, SyncJob

logger = logging.getLogger("sync.jobs")


def _finish_attempt(
    attempt: JobAttempt, context: JobContext, started: float, outcome: str, exc: BaseException | None
) -> None:
    attempt.finished_at = timezone.now()
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.outcome = outcome
    attempt.external_calls = context.calls
    if exc is not None:
        attempt.error_class = type(exc).__name__
        attempt.error_message = str(exc)[:4000]
    attempt.save()


def record_success(
    job: SyncJob, attempt: JobAttempt, context: JobContext, result: dict[str, Any], started: float
) -> None:
    now = timezone.now()
    with transaction.atomic():
        if context.follow_ups:
            jobs_from_requests(shop=job.shop, requests=context.follow_ups)
        _finish_attempt(attempt, context, started, JobAttempt.Outcome.SUCCEEDED, None)
        SyncJob.objects.filter(pk=job.pk).update(
            state=JobState.SUCCEEDED,
            result=result,
            mapping_version=context.mapping_version,
            finished_at=now,
            lease_expires_at=None,
            next_attempt_at=None,
            error_class="",
            error_code="",
            error_key="",
            error_message="",
            error_context=None,
            fingerprint="",
            updated_at=now,
        )
        if job.problem_id is not None:
            problem_job_cleared(
                job=job, problem_id=job.problem_id, reason="Its last blocked job succeeded.", now=now
            )


def mapping_changed_meanwhile(job: SyncJob, context: JobContext, exc: BaseException) -> bool:
    """A missing mapping was approved while this attempt ran on the older version."""
    if not isinstance(exc, BusinessRuleError) or exc.code not in TABLE_FOR_CODE:
        return False
    used = context.mapping_version
    return used is not None and mapping_version_current(shop=job.shop) > used


def occurrence_of(job: SyncJob, exc: BaseException) -> Occurrence:
    code = getattr(exc, "code", "") or ("auth" if isinstance(exc, AuthError) else "")
    return Occurrence(
        fingerprint=fingerprint_for(job, exc),
        error_class=type(exc).__name__,
        error_code=code[:60],
        error_key=str(getattr(exc, "key", ""))[:255],
        message=str(exc)[:4000],
        flow=job.flow,
        finance=code in FINANCE_CODES,
    )


def record_failure(
    job: SyncJob, attempt: JobAttempt, context: JobContext, exc: BaseException, started: float
) -> Outcome:
    now = timezone.now()
    outcome = classify(job, exc, now)
    if outcome.state == JobState.NEEDS_ATTENTION and mapping_changed_meanwhile(job, context, exc):
        # The approval's replay has already looked for parked jobs: run again now rather than park.
        outcome = Outcome(JobState.RETRYING, JobAttempt.Outcome.RETRY, now)
    details: dict[str, Any] = dict(getattr(exc, "details", {}) or {})
    # A flow that wrote before it failed (booked, read back, different) says what it wrote.
    written = details.pop("result", None)
    if not isinstance(exc, IntegrationError):
        details["traceback"] = traceback.format_exception(exc)[-12:]
    if isinstance(exc, AuthError):
        context.note_auth_failure(exc)
    occurrence = occurrence_of(job, exc)
    with transaction.atomic():
        _finish_attempt(attempt, context, started, outcome.attempt_outcome, exc)
        problem_id = job.problem_id
        if outcome.state in PROBLEM_STATES:
            problem_id = problem_record_occurrence(
                job=job, occurrence=occurrence, state=outcome.state, now=now
            ).pk
        SyncJob.objects.filter(pk=job.pk).update(
            state=outcome.state,
            next_attempt_at=outcome.next_attempt_at,
            lease_expires_at=None,
            mapping_version=context.mapping_version,
            error_class=occurrence.error_class,
            error_code=occurrence.error_code,
            error_key=occurrence.error_key,
            error_message=occurrence.message,
            error_context=details or None,
            fingerprint=occurrence.fingerprint,
            finance=occurrence.finance,
            problem_id=problem_id,
            finished_at=now if outcome.state != JobState.RETRYING else None,
            updated_at=now,
            **({"result": written} if isinstance(written, dict) else {}),
        )
        if job.problem_id is not None and problem_id != job.problem_id:
            problem_job_cleared(
                job=job,
                problem_id=job.problem_id,
                reason="Its last blocked job now fails for another cause.",
                now=now,
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
    return outcome
