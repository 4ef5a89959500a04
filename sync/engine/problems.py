"""Problems: one record per shop and cause, changed only here, each change with its activity row.

Sentry's issue model (``sentry/issues/status_change.py``): ``problem_status_change`` is the one function that
changes a problem's status, for a person (through sync/services/problems.py, which checks permissions and
audits) and for the engine alike; ``problem_activity`` is the one writer underneath it that applies a change
and records it. The engine's rules:

- A job parks (needs attention, or dead once its budget is spent): ``problem_record_occurrence`` finds or
  creates the shop's problem for the job's fingerprint, counts the occurrence and links the job.
  An ignored problem stays ignored (counted); a resolved one comes back as regressed; a snoozed one opens
  again once its date has passed or its remaining occurrences are used up.
- A job of the problem succeeds (a replay worked) and no other job of it is blocked any more:
  ``problem_job_cleared`` resolves it.
- A snooze date passes: ``problems_wake`` (run by the sweep) opens the problem again.

All of it runs inside the caller's transaction, with the problem's row locked, so that two workers parking
or clearing jobs of one problem at once are serialised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from sync.models import PROBLEM_STATES, JobState, Problem, ProblemActivity, SyncJob

Status = Problem.Status
Kind = ProblemActivity.Kind

#: Statuses the exception queue shows (with snoozed problems whose date has passed).
OPEN_STATUSES = (Status.OPEN, Status.REGRESSED)
#: Job states in which a job still depends on its problem's cause being fixed.
BLOCKED_STATES = (*PROBLEM_STATES, JobState.QUEUED, JobState.RETRYING, JobState.RUNNING)


@dataclass(frozen=True)
class Occurrence:
    """What the engine knows about one parked job's failure."""

    fingerprint: str
    error_class: str
    error_code: str
    error_key: str
    message: str
    flow: str
    finance: bool = False


def problem_title(code: str, key: str, error_class: str, message: str) -> str:
    """A problem's title, from its first occurrence."""
    odoo_message = message.split(": ", 1)[1] if message.startswith("Odoo ") and ": " in message else message
    first_line = odoo_message.strip().splitlines()[0][:120] if odoo_message.strip() else ""
    titles = {
        "unknown_sku": "Unknown SKU {key}",
        "missing_sku": "Line item without SKU",
        "unknown_tax": "Unmapped tax {key}",
        "unknown_shipping_method": "Unmapped shipping method {key}",
        "unknown_gateway": "Unmapped payment gateway {key}",
        "unknown_location": "Unmapped location {key}",
        "shop_not_mapped": "Shop not mapped to an Odoo company",
        "total_mismatch": "Order total differs from Shopify",
        "tax_mismatch": "Tax differs from Shopify",
        "currency_mismatch": "Currency {key} does not match the shop",
        "auth": "Odoo refused our credentials",
        "odoo_validation": "Odoo validation error on {key}: {line}",
        "odoo_user_error": "Odoo refused {key}: {line}",
        "odoo_missing_record": "Odoo record missing for {key}: {line}",
        "odoo_model_missing": "Odoo model missing for {key}: {line}",
        "odoo_access": "Odoo does not allow {key}",
        "odoo_http_refused": "Odoo refused {key}: {line}",
        "order_confirm_refused": "Odoo refused to confirm the order: {line}",
        "order_cancel_refused": "Odoo refused to cancel the order: {line}",
        "order_update_refused": "Odoo refused to update the order: {line}",
        "cancel_after_delivery": "Cancelled in Shopify after Odoo delivered it",
        "shopify_cancel_refused": "Shopify refused to cancel a held order ({key})",
        "order_risky_after_confirmation": "Order became risky after confirmation ({key})",
        "order_release_refused": "A released order could not be confirmed ({key})",
        "odoo_order_missing": "The linked Odoo order is gone",
        "shopify_order_missing": "The Shopify order no longer exists",
        "unreadable_payload": "Unreadable webhook delivery ({key})",
        "unhandled_topic": "No flow handles topic {key}",
        "ingest_failed": "A webhook delivery could not be ingested ({key})",
        "unknown_carrier": "Unmapped carrier {key}",
        "fulfilment_quantity": "Shopify has nothing open to fulfil for a delivery at {key}",
        "fractional_quantity": "Odoo shipped a fraction of {key}",
        "unknown_product": "A delivered Odoo product has no SKU ({key})",
        "partial_return": "A delivery returned in part: Shopify cancels whole fulfilments",
        "fulfilment_cancel_refused": "Shopify refused to cancel a fulfilment: {key}",
        "fulfilment_exists": "A delivery already has a fulfilment at this location",
        "customer_duplicate": "Shopify refused a customer: {key}",
        "customer_refused": "Shopify refused a customer update: {key}",
        "fulfilled_outside_odoo": "Fulfilled in Shopify, but no Odoo delivery matches",
        "fulfilment_differs": "A Shopify fulfilment ships more than Odoo's open delivery",
        "app_uninstalled": "App uninstalled from {key}: outbound paused",
        "topic_mismatch": "Webhook body does not fit its topic ({key}): not acted on",
        "stale_delivery": "Webhook delivery too old to act on ({key})",
        "cancel_not_confirmed": "Cancellation Shopify does not confirm: not acted on",
        "redact_mismatch": "Redaction request our records disagree with: not acted on",
        "worker_lost": "The job stops its worker ({key})",
    }
    if code in titles:
        return titles[code].format(key=key, line=first_line)[:300]
    if code:
        return f"{code.replace('_', ' ').capitalize()}{f' {key}' if key else ''}"[:300]
    return (f"{error_class or 'Error'}: {message[:80]}" if message else (error_class or "Error"))[:300]


# ------------------------------------------------------------------------------------ the one writer


def problem_activity(
    *,
    problem: Problem,
    kind: str,
    actor: Any = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
    **changes: Any,
) -> ProblemActivity:
    """Apply ``changes`` to the problem and record the change as one activity row (actor None: the engine).
    Every change of a problem goes through here."""
    now = now or timezone.now()
    with transaction.atomic():
        if changes:
            for name, value in changes.items():
                setattr(problem, name, value)
            problem.save(update_fields=list(changes))
        return ProblemActivity.objects.create(
            problem=problem,
            at=now,
            kind=kind,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            note=note[:4000],
            data=data or {},
        )


def problem_status_change(
    *,
    problem: Problem,
    status: str,
    actor: Any = None,
    note: str = "",
    snooze_until: datetime | None = None,
    snooze_remaining: int | None = None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> ProblemActivity:
    """The one function that changes a problem's status, for a person or the engine."""
    now = now or timezone.now()
    snoozed = status == Status.SNOOZED
    details = {"from": problem.status, "to": status, **(data or {})}
    if snoozed and snooze_until is not None:
        details["until"] = snooze_until.isoformat()
    if snoozed and snooze_remaining is not None:
        details["occurrences"] = snooze_remaining
    return problem_activity(
        problem=problem,
        kind=Kind.STATUS,
        actor=actor,
        note=note,
        data=details,
        now=now,
        status=status,
        status_changed_at=now,
        snooze_until=snooze_until if snoozed else None,
        snooze_remaining=snooze_remaining if snoozed else None,
    )


# ------------------------------------------------------------------------------------ engine events


def _problem_for(job: SyncJob, occurrence: Occurrence, now: datetime) -> tuple[Problem, bool]:
    """The shop's problem for this cause, locked; created (and so locked) by the first occurrence. Two
    first occurrences at once: the second waits on the unique index, then finds the first's row."""
    problem, created = Problem.objects.get_or_create(
        shop_id=job.shop_id,
        fingerprint=occurrence.fingerprint,
        defaults={
            "title": problem_title(
                occurrence.error_code, occurrence.error_key, occurrence.error_class, occurrence.message
            ),
            "error_class": occurrence.error_class,
            "error_code": occurrence.error_code,
            "error_key": occurrence.error_key,
            "message": occurrence.message,
            "flow": occurrence.flow,
            "finance": occurrence.finance,
            "first_seen": now,
            "last_seen": now,
            "status_changed_at": now,
        },
    )
    if not created:
        problem = Problem.objects.select_for_update().get(pk=problem.pk)
    return problem, created


def problem_record_occurrence(
    *,
    job: SyncJob,
    occurrence: Occurrence,
    state: str = JobState.NEEDS_ATTENTION,
    now: datetime | None = None,
) -> Problem:
    """A job parked on a cause: count it on the shop's problem (created on the first occurrence) and apply
    the status rules. The caller links the job (``SyncJob.problem``) in the same transaction."""
    now = now or timezone.now()
    job_data = {"job": job.pk, "subject": job.subject_label or job.subject}
    with transaction.atomic():
        problem, created = _problem_for(job, occurrence, now)
        if created:
            problem_activity(problem=problem, kind=Kind.FIRST_SEEN, data=job_data, now=now)
        else:
            problem.times_seen += 1
            problem.first_seen = min(problem.first_seen, now)
            problem.last_seen = max(problem.last_seen, now)
            problem.message = occurrence.message
            problem.finance = problem.finance or occurrence.finance
            changed = ["times_seen", "first_seen", "last_seen", "message", "finance"]
            if problem.status == Status.SNOOZED and problem.snooze_remaining is not None:
                problem.snooze_remaining = max(problem.snooze_remaining - 1, 0)
                changed.append("snooze_remaining")
            problem.save(update_fields=changed)
            if problem.status == Status.RESOLVED:
                problem_status_change(
                    problem=problem,
                    status=Status.REGRESSED,
                    note="A cause marked resolved came back.",
                    data=job_data,
                    now=now,
                )
            elif problem.status == Status.SNOOZED and _snooze_over(problem, now):
                problem_status_change(
                    problem=problem,
                    status=Status.OPEN,
                    note=_snooze_end_note(problem),
                    data=job_data,
                    now=now,
                )
        problem_activity(
            problem=problem,
            kind=Kind.JOB_PARKED,
            data={**job_data, "state": state},
            note="counted; the problem stays ignored" if problem.status == Status.IGNORED else "",
            now=now,
        )
    return problem


def _snooze_over(problem: Problem, now: datetime) -> bool:
    if problem.snooze_remaining is not None and problem.snooze_remaining <= 0:
        return True
    return problem.snooze_until is not None and problem.snooze_until <= now


def _snooze_end_note(problem: Problem) -> str:
    if problem.snooze_remaining is not None and problem.snooze_remaining <= 0:
        return "The snooze's occurrences are used up."
    return "The snooze ended."


def problem_job_cleared(*, job: SyncJob, problem_id: int, reason: str, now: datetime | None = None) -> bool:
    """A job of the problem no longer depends on its cause (it succeeded, or fails for another cause now).
    When no job of the problem is blocked any more, the engine resolves it. Returns whether it did."""
    now = now or timezone.now()
    with transaction.atomic():
        problem = Problem.objects.select_for_update().filter(pk=problem_id).first()
        if problem is None or problem.status not in (*OPEN_STATUSES, Status.SNOOZED):
            return False
        # The row lock serialises this with the other jobs of the problem: a job that finished meanwhile on
        # another worker committed before we got the lock, and this query sees it.
        still_blocked = (
            SyncJob.objects.filter(problem_id=problem_id, state__in=BLOCKED_STATES)
            .exclude(pk=job.pk)
            .exists()
        )
        if still_blocked:
            return False
        problem_status_change(
            problem=problem,
            status=Status.RESOLVED,
            note=reason,
            data={"job": job.pk, "subject": job.subject_label or job.subject},
            now=now,
        )
    return True


def problems_wake(*, now: datetime | None = None, limit: int = 200) -> int:
    """Open again the snoozed problems whose date has passed (run by the sweep). Returns how many."""
    now = now or timezone.now()
    woken = 0
    with transaction.atomic():
        due = Problem.objects.filter(status=Status.SNOOZED, snooze_until__lte=now).select_for_update(
            skip_locked=True
        )
        for problem in due[:limit]:
            problem_status_change(problem=problem, status=Status.OPEN, note="The snooze ended.", now=now)
            woken += 1
    return woken
