"""What people do with a problem: resolve, ignore, snooze (until a date or for N more occurrences), assign,
replay, note. Each checks the actor's permission, goes through the one status-change function
(sync/engine/problems.py, which writes the activity row) and writes an audit entry.

A person's decision acts on the problem's parked jobs as well: resolving or ignoring closes them (with the
person and the note), replaying puts them back on the queue. A snooze leaves them parked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from opsconsole.core.audit import audit_record
from opsconsole.core.permissions import allowed
from sync.engine.problems import problem_activity, problem_status_change
from sync.engine.replay import problem_jobs_replay
from sync.models import PROBLEM_STATES, JobState, Problem, ProblemActivity, SyncJob
from sync.selectors.access import shop_visible

Status = Problem.Status


def problem_can_act(user: Any, problem: Problem) -> bool:
    if not shop_visible(user, problem.shop_id):
        return False
    return allowed(user, "act_on_jobs") or (problem.finance and allowed(user, "act_on_finance"))


def _require_act(actor: Any, problem: Problem) -> None:
    if not problem_can_act(actor, problem):
        raise PermissionDenied(f"you may not act on problem {problem.pk}")


def _locked(problem: Problem) -> Problem:
    return Problem.objects.select_for_update().get(pk=problem.pk)


def _close(
    *, actor: Any, problem: Problem, note: str, status: str, job_state: str, action: str, request: Any
) -> int:
    _require_act(actor, problem)
    if not note.strip():
        raise ValidationError("say why in a note")
    now = timezone.now()
    with transaction.atomic():
        problem = _locked(problem)
        before = problem.status
        jobs = SyncJob.objects.filter(problem=problem, state__in=PROBLEM_STATES)
        job_ids = list(jobs.values_list("pk", flat=True))
        jobs.update(state=job_state, closed_by=actor, closed_note=note, finished_at=now, updated_at=now)
        problem_status_change(
            problem=problem,
            status=status,
            actor=actor,
            note=note,
            data={"jobs_closed": len(job_ids)},
            now=now,
        )
        audit_record(
            action=action,
            actor=actor,
            object_type="problem",
            object_id=problem.pk,
            summary=f"{problem.title}: {note}"[:500],
            before={"status": before, "job_ids": job_ids},
            after={"status": status, "jobs": job_state},
            request=request,
        )
    return len(job_ids)


def problem_resolve(*, actor: Any, problem: Problem, note: str, request: Any = None) -> int:
    """The cause is fixed (or the jobs were handled by hand): its parked jobs are closed as resolved. A new
    occurrence makes it regressed. Returns how many jobs were closed."""
    return _close(
        actor=actor,
        problem=problem,
        note=note,
        status=Status.RESOLVED,
        job_state=JobState.RESOLVED,
        action="problem.resolve",
        request=request,
    )


def problem_ignore(*, actor: Any, problem: Problem, note: str, request: Any = None) -> int:
    """These jobs should not be synced: its parked jobs are closed as ignored, and new occurrences are
    counted without opening it again. Returns how many jobs were closed."""
    return _close(
        actor=actor,
        problem=problem,
        note=note,
        status=Status.IGNORED,
        job_state=JobState.IGNORED,
        action="problem.ignore",
        request=request,
    )


def problem_snooze(
    *,
    actor: Any,
    problem: Problem,
    until: datetime | None = None,
    occurrences: int | None = None,
    note: str = "",
    request: Any = None,
) -> None:
    """Out of the queue until a date, or until ``occurrences`` more jobs park on it; its jobs stay parked."""
    _require_act(actor, problem)
    if (until is None) == (occurrences is None):
        raise ValidationError("snooze until a date or for a number of occurrences")
    if until is not None and until <= timezone.now():
        raise ValidationError("snooze until a time in the future")
    if occurrences is not None and occurrences < 1:
        raise ValidationError("snooze for at least one occurrence")
    with transaction.atomic():
        problem = _locked(problem)
        before = problem.status
        problem_status_change(
            problem=problem,
            status=Status.SNOOZED,
            actor=actor,
            note=note,
            snooze_until=until,
            snooze_remaining=occurrences,
        )
        summary = (
            f"snoozed until {until:%Y-%m-%d %H:%M}"
            if until is not None
            else f"snoozed for {occurrences} more"
        )
        audit_record(
            action="problem.snooze",
            actor=actor,
            object_type="problem",
            object_id=problem.pk,
            summary=f"{problem.title}: {summary}"[:500],
            before={"status": before},
            after={"until": until.isoformat() if until else None, "occurrences": occurrences},
            request=request,
        )


def problem_assign(*, actor: Any, problem: Problem, owner_id: int | None, request: Any = None) -> None:
    """Give the problem an owner (someone who may act on problems), or take it away (None)."""
    _require_act(actor, problem)
    owner = None
    if owner_id is not None:
        owner = get_user_model().objects.filter(pk=owner_id, is_active=True).first()
        if owner is None:
            raise ValidationError("no such user")
        if not (allowed(owner, "act_on_jobs") or allowed(owner, "act_on_finance")):
            raise ValidationError(f"{owner.get_username()} cannot act on problems")
    with transaction.atomic():
        problem = _locked(problem)
        before = problem.owner.get_username() if problem.owner else None
        after = owner.get_username() if owner else None
        problem_activity(
            problem=problem,
            kind=ProblemActivity.Kind.ASSIGNED,
            actor=actor,
            data={"from": before, "to": after},
            owner=owner,
        )
        audit_record(
            action="problem.assign",
            actor=actor,
            object_type="problem",
            object_id=problem.pk,
            summary=f"{problem.title}: owner {after or 'nobody'}"[:500],
            before={"owner": before},
            after={"owner": after},
            request=request,
        )


def problem_note(*, actor: Any, problem: Problem, note: str, request: Any = None) -> None:
    _require_act(actor, problem)
    if not note.strip():
        raise ValidationError("the note is empty")
    problem_activity(problem=problem, kind=ProblemActivity.Kind.NOTE, actor=actor, note=note)
    audit_record(
        action="problem.note",
        actor=actor,
        object_type="problem",
        object_id=problem.pk,
        summary=note[:500],
        request=request,
    )


def problem_replay(
    *, actor: Any, problem: Problem, job_ids: list[int] | None = None, request: Any = None
) -> list[int]:
    """Put the problem's parked jobs (all, or ``job_ids`` among them) back on the queue now. Once the last
    one succeeds, the engine resolves the problem. Returns the ids replayed."""
    _require_act(actor, problem)
    replayed = problem_jobs_replay(problems=[problem], actor=actor, job_ids=job_ids)
    audit_record(
        action="problem.replay",
        actor=actor,
        object_type="problem",
        object_id=problem.pk,
        summary=f"{problem.title}: replayed {len(replayed)} job(s)"[:500],
        after={"job_ids": replayed},
        request=request,
    )
    return replayed
