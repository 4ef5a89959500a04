"""Claiming a job: one conditional UPDATE, so that a task delivered twice runs the job once, and the
subject's advisory lock, so that two jobs of one order never run at once (sync/locks.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from sync.engine.config import lease_seconds
from sync.engine.queue import job_key_enqueue
from sync.kinds import kinds_locked_by
from sync.models import JobState, ShopifyShop, SyncJob


def job_claim(job_id: int, now: datetime) -> bool:
    """Take the job if it is due (queued or retrying) or abandoned (running with an expired lease)."""
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


def shop_turn_taken(shop_id: int, now: datetime) -> None:
    """The shop has just been served: the next turn among shops waiting at one priority goes to another
    (sync/engine/pick.py). One UPDATE by primary key."""
    ShopifyShop.objects.filter(pk=shop_id).update(jobs_claimed_at=now)


def job_subject_busy(job_id: int) -> None:
    """Another job of the same subject runs now: try again shortly, without spending an attempt (the
    holder hands it over when it finishes). A retry already scheduled later keeps its backoff."""
    soon = timezone.now() + timedelta(seconds=1)
    SyncJob.objects.filter(pk=job_id, state__in=[JobState.QUEUED, JobState.RETRYING]).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=soon)
    ).update(state=JobState.RETRYING, next_attempt_at=soon)


def subject_waiters_wake(shop_id: int, subject: str, *, finished_job_id: int) -> None:
    """Hand over, at once, the jobs of this subject that found it busy while this one ran (they were set
    to retry a second later); a job in a real backoff of its own is not due so soon and keeps waiting —
    the job that just finished least of all, whatever its backoff (a short Retry-After included).
    One indexed SELECT per job, nearly always empty; a job woken twice is claimed once."""
    soon = timezone.now() + timedelta(seconds=1.5)
    # The jobs of other subjects that run under this one's lock (stock level updates under "stock").
    sharing = kinds_locked_by(subject)
    same_lock = Q(subject=subject) | Q(kind__in=sharing) if sharing else Q(subject=subject)
    waiting = list(
        SyncJob.objects.filter(same_lock, shop_id=shop_id, state=JobState.RETRYING, next_attempt_at__lte=soon)
        .exclude(pk=finished_job_id)
        .values_list("pk", "idempotency_key")
    )
    if waiting:
        SyncJob.objects.filter(pk__in=[pk for pk, _ in waiting], state=JobState.RETRYING).update(
            state=JobState.QUEUED, next_attempt_at=None, updated_at=timezone.now()
        )
        for _, key in waiting:
            job_key_enqueue(key)
