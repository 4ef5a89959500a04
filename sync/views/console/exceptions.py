"""Exceptions: the problems (one per shop and cause), newest seen first; a problem's page with its error,
suggested fix, parked jobs and activity timeline; replay / resolve / ignore / snooze / assign / note."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from opsconsole.core.permissions import allowed
from sync.engine.mappings import TABLE_FOR_CODE
from sync.kinds import flow_groups
from sync.models import Problem
from sync.selectors.access import shop_scope
from sync.selectors.jobs import AGES, jobs_progress, shops_for_filters
from sync.selectors.problems import (
    PROBLEM_STATUSES,
    ProblemFilters,
    open_problem_count,
    problem_by_fingerprint,
    problem_detail,
    problem_error_classes,
    problem_list,
    problem_owner_choices,
    problem_parked_jobs,
    problem_sample_job,
    problem_timeline,
)
from sync.services import problems as problem_services
from sync.transforms.privacy import mask_payload
from sync.views.console.common import (
    PROBLEMS_CHANGED,
    can_act,
    console_view,
    flash,
    ids_from,
    int_or_none,
    page_or_partial,
    parse_until,
    trigger,
)

STATUS_LABELS = {
    "open": "Open",
    "regressed": "Regressed",
    "snoozed": "Snoozed",
    "ignored": "Ignored",
    "resolved": "Resolved",
    "all": "All",
}


def _filters(request: HttpRequest) -> ProblemFilters:
    status = request.GET.get("status", "open")
    return ProblemFilters(
        flow=request.GET.get("flow", ""),
        error_class=request.GET.get("error_class", ""),
        shop=int_or_none(request.GET.get("shop")),
        status=status if status in PROBLEM_STATUSES else "open",
        age=request.GET.get("age", "") if request.GET.get("age", "") in AGES else "",
        q=request.GET.get("q", "").strip()[:120],
        finance=request.GET.get("finance") == "1",
        shops=shop_scope(request.user),
    )


@console_view()
@require_GET
def exceptions(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    problems = problem_list(filters=filters)
    context = {
        "title": "Exceptions",
        "filters": filters,
        "problems": problems,
        "total_jobs": sum(p.blocked for p in problems),  # type: ignore[attr-defined]
        "flows": flow_groups(),
        "shops": shops_for_filters(shops=shop_scope(request.user)),
        "error_classes": problem_error_classes(),
        "statuses": [(s, STATUS_LABELS[s]) for s in PROBLEM_STATUSES],
        "ages": list(AGES),
        "can_act_any": can_act(request.user, finance=True),
        "user_can_ops": can_act(request.user),
    }
    return page_or_partial(request, "sync/exceptions.html", context, "results")


def suggested_fix(*, code: str, key: str, shop_id: int | None) -> dict[str, Any] | None:
    """What fixes a problem, and the link that starts the fix."""
    if code in TABLE_FOR_CODE and key:
        table = TABLE_FOR_CODE[code]
        query = urlencode({"shop": shop_id or "", "table": table, "key": key})
        return {
            "text": f"Map {table.replace('_', ' ')} {key} to its Odoo record. Once approved, every blocked "
            "job replays automatically.",
            "label": f"Propose mapping for {key}",
            "url": f"{reverse('mapping-propose')}?{query}",
            "kind": "mapping",
        }
    if code == "auth":
        return {
            "text": "Odoo refused the stored credentials. Update the connection; parked jobs resume when the "
            "connection works again.",
            "label": "Open connections",
            "url": reverse("connections"),
            "kind": "connection",
        }
    if code in ("total_mismatch", "tax_mismatch"):
        return {
            "text": "Odoo would book a different total than Shopify charged. Check the tax mapping and the "
            "Odoo tax rounding of the shop's company; finance decides whether a rounding rule applies.",
            "label": "Open shop mappings",
            "url": f"{reverse('mappings')}?{urlencode({'shop': shop_id or '', 'table': 'shop'})}",
            "kind": "finance",
        }
    return None


def _problem(request: HttpRequest, problem_id: int) -> Problem:
    """The problem, or 404 (also for a problem of a shop the user is not given)."""
    try:
        return problem_detail(problem_id=problem_id, shops=shop_scope(request.user))
    except Problem.DoesNotExist:
        raise Http404("no such problem") from None


def _problem_context(request: HttpRequest, problem: Problem) -> dict[str, Any]:
    sample = problem_sample_job(problem=problem)
    may_act = problem_services.problem_can_act(request.user, problem)
    return {
        "title": problem.title,
        "problem": problem,
        "jobs": problem_parked_jobs(problem=problem),
        "timeline": problem_timeline(problem=problem),
        "sample": sample,
        "context_json": json.dumps(mask_payload(sample.error_context or {}), indent=2, default=str)
        if sample
        else "",
        "fix": suggested_fix(code=problem.error_code, key=problem.error_key, shop_id=problem.shop_id),
        "can_act": may_act,
        "can_propose": allowed(request.user, "propose_mapping"),
        "owners": problem_owner_choices() if may_act else [],
    }


@console_view()
@require_GET
def problem_page(request: HttpRequest, problem_id: int) -> HttpResponse:
    problem = _problem(request, problem_id)
    return page_or_partial(request, "sync/problem.html", _problem_context(request, problem), "problem_live")


@console_view()
@require_GET
def problem_by_fp(request: HttpRequest) -> HttpResponse:
    """Links from before problems were records (``/exceptions/group/?fp=...``) lead to the problem."""
    problem = problem_by_fingerprint(fingerprint=request.GET.get("fp", ""), shops=shop_scope(request.user))
    if problem is None:
        raise Http404("no such problem")
    return HttpResponseRedirect(reverse("problem", args=[problem.pk]))


ACTIONS = ("replay", "resolve", "ignore", "snooze", "assign", "note")


def _act(request: HttpRequest, problem: Problem, action: str) -> HttpResponse:
    note = str(request.POST.get("note", ""))
    if action == "replay":
        scope = request.POST.get("scope", "selected")
        job_ids = None if scope == "group" else ids_from(request.POST.getlist("job_ids"))
        if job_ids == []:
            return flash(request, "Select at least one job, or choose all parked jobs.", "error")
        replayed = problem_services.problem_replay(
            actor=request.user, problem=problem, job_ids=job_ids, request=request
        )
        return render(
            request,
            "sync/partials/_progress.html",
            {
                "progress": jobs_progress(job_ids=replayed),
                "ids": ",".join(map(str, replayed)),
                "count": len(replayed),
            },
        )
    if action == "snooze":
        until = parse_until(request.POST.get("until", ""))
        occurrences = int_or_none(request.POST.get("occurrences"))
        if until is None and occurrences is None:
            return flash(request, "Pick a date, or a number of occurrences, to snooze for.", "error")
        problem_services.problem_snooze(
            actor=request.user,
            problem=problem,
            until=until,
            occurrences=None if until is not None else occurrences,
            note=note,
            request=request,
        )
        when = f"until {until:%d %b %Y %H:%M}" if until is not None else f"for {occurrences} more occurrences"
        return flash(request, f"Snoozed {when}.")
    if action == "assign":
        owner_id = int_or_none(request.POST.get("owner"))
        problem_services.problem_assign(
            actor=request.user, problem=problem, owner_id=owner_id, request=request
        )
        return flash(request, "Owner changed.")
    if action == "note":
        problem_services.problem_note(actor=request.user, problem=problem, note=note, request=request)
        return flash(request, "Note added.")
    close = problem_services.problem_resolve if action == "resolve" else problem_services.problem_ignore
    count = close(actor=request.user, problem=problem, note=note, request=request)
    verb = "Resolved" if action == "resolve" else "Ignored"
    return flash(request, f"{verb}; {count} parked job{'s' if count != 1 else ''} closed.")


@console_view()
@require_POST
def problem_act(request: HttpRequest, problem_id: int) -> HttpResponse:
    """One action on a problem (one service call); row and bulk replays act on its parked jobs."""
    problem = _problem(request, problem_id)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return flash(request, "Choose an action.", "error")
    if not problem_services.problem_can_act(request.user, problem):
        raise PermissionDenied("your role cannot act on this problem")
    try:
        response = _act(request, problem, action)
    except ValidationError as exc:
        return flash(request, " ".join(exc.messages), "error")
    return trigger(response, PROBLEMS_CHANGED)


@console_view()
@require_GET
def replay_progress(request: HttpRequest) -> HttpResponse:
    job_ids = ids_from([request.GET.get("ids", "")])[:5000]
    progress = jobs_progress(job_ids=job_ids)
    response = render(
        request, "sync/partials/_progress.html", {"progress": progress, "ids": ",".join(map(str, job_ids))}
    )
    if progress["waiting"] == 0 and progress["retrying"] == 0:
        return trigger(response, PROBLEMS_CHANGED)
    return response


@console_view()
@require_GET
def problems_badge(request: HttpRequest) -> HttpResponse:
    return render(
        request, "sync/partials/_badge.html", {"count": open_problem_count(shops=shop_scope(request.user))}
    )
