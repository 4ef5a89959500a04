"""Replays: jobs back on the queue now, with a fresh retry budget. Who may replay is checked by the
services (sync/services/problems.py, sync/services/console.py); the engine replays for approved mappings
and recovered connections as well."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from sync.engine.config import max_attempts
from sync.engine.problems import problem_activity
from sync.engine.queue import job_enqueue
from sync.models import PROBLEM_STATES, JobState, Problem, ProblemActivity, SyncJob


def jobs_requeue(
    *,
    job_ids: list[int],
    states: tuple[str, ...] = (JobState.NEEDS_ATTENTION, JobState.DEAD, JobState.RETRYING),
) -> list[int]:
    """Put these jobs (those in ``states``) back on the queue now. Returns the ids requeued."""
    now = timezone.now()
    requeued: list[int] = []
    with transaction.atomic():
        for job in SyncJob.objects.filter(pk__in=job_ids, state__in=states).select_for_update(
            skip_locked=True
        ):
            SyncJob.objects.filter(pk=job.pk).update(
                state=JobState.QUEUED,
                next_attempt_at=None,
                max_attempts=max(job.max_attempts, job.attempts + max_attempts()),
                updated_at=now,
            )
            job_enqueue(job=job)
            requeued.append(job.pk)
    return requeued


def problem_jobs_replay(
    *, problems: list[Problem], actor: Any = None, note: str = "", job_ids: list[int] | None = None
) -> list[int]:
    """Replay the parked jobs of these problems (or only ``job_ids`` among them), with an activity row on
    each problem that had any. ``actor`` None: the engine (an approved mapping, a recovered connection)."""
    by_problem: dict[int, list[int]] = {}
    query = SyncJob.objects.filter(problem__in=problems, state__in=PROBLEM_STATES)
    if job_ids is not None:
        query = query.filter(pk__in=job_ids)
    for pk, problem_id in query.values_list("pk", "problem_id"):
        by_problem.setdefault(problem_id, []).append(pk)
    replayed: list[int] = []
    with transaction.atomic():
        requeued = set(jobs_requeue(job_ids=[pk for pks in by_problem.values() for pk in pks]))
        for problem in problems:
            done = sorted(set(by_problem.get(problem.pk, [])) & requeued)
            if done:
                problem_activity(
                    problem=problem,
                    kind=ProblemActivity.Kind.REPLAYED,
                    actor=actor,
                    note=note,
                    data={"jobs": done[:200], "count": len(done)},
                )
                replayed += done
    return replayed
