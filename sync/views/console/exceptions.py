"""Exceptions: problems grouped by fingerprint; a group's jobs, error and fix; replay / resolve / ignore /
snooze for one job, a selection, or the whole group."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from opsconsole.core.permissions import allowed
from sync.flows.registry import flows
from sync.models import PROBLEM_STATES, SyncJob
from sync.selectors.jobs import (
    AGES,
    PROBLEM_STATUSES,
    ProblemFilters,
    jobs_progress,
    problem_count,
    problem_error_classes,
    problem_group_for,
    problem_group_jobs,
    problem_groups,
    shops_for_filters,
)
from sync.services import console as console_services
from sync.services.mappings import TABLE_FOR_CODE
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


def _filters(request: HttpRequest) -> ProblemFilters:
    status = request.GET.get("status", "open")
    return ProblemFilters(
        flow=request.GET.get("flow", ""),
        error_class=request.GET.get("error_class", ""),
        shop=int_or_none(request.GET.get("shop")),
        status=status if status in PROBLEM_STATUSES else "open",
        age=request.GET.get("age", "") if request.GET.get("age", "") in AGES else "",
        q=request.GET.get("q", "").strip()[:120],
    )


@console_view()
@require_GET
def exceptions(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    groups = problem_groups(filters=filters)
    context = {
        "title": "Exceptions",
        "filters": filters,
        "groups": groups,
        "total_jobs": sum(g.count for g in groups),
        "flows": flows(),
        "shops": shops_for_filters(),
        "error_classes": problem_error_classes(),
        "statuses": [(s, s.replace("_", " ").capitalize()) for s in PROBLEM_STATUSES],
        "ages": list(AGES),
        "can_act_any": can_act(request.user, finance=True),
        "user_can_ops": can_act(request.user),
    }
    return page_or_partial(request, "sync/exceptions.html", context, "results")


def suggested_fix(*, code: str, key: str, shop_id: int | None) -> dict[str, Any] | None:
    """What fixes a group, and the link that starts the fix."""
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


def _group_context(request: HttpRequest, fingerprint: str) -> dict[str, Any]:
    group = problem_group_for(fingerprint=fingerprint)
    if group is None:
        group = problem_group_for(fingerprint=fingerprint, status="resolved") or problem_group_for(
            fingerprint=fingerprint, status="ignored"
        )
    jobs = problem_group_jobs(fingerprint=fingerprint)
    sample = jobs[0] if jobs else SyncJob.objects.filter(fingerprint=fingerprint).order_by("-pk").first()
    if group is None and sample is None:
        raise Http404("no such problem")
    return {
        "title": group.title if group else "Problem cleared",
        "fingerprint": fingerprint,
        "group": group,
        "jobs": jobs,
        "sample": sample,
        "context_json": json.dumps(mask_payload(sample.error_context or {}), indent=2, default=str)
        if sample
        else "",
        "fix": suggested_fix(
            code=sample.error_code if sample else "",
            key=sample.error_key if sample else "",
            shop_id=sample.shop_id if sample else None,
        ),
        "can_act": can_act(request.user, finance=bool(group and group.finance)),
        "can_propose": allowed(request.user, "propose_mapping"),
    }


@console_view()
@require_GET
def problem_detail(request: HttpRequest) -> HttpResponse:
    fingerprint = request.GET.get("fp", "")
    if not fingerprint:
        raise Http404("no problem given")
    context = _group_context(request, fingerprint)
    partial = request.GET.get("part", "group_live")
    return page_or_partial(
        request, "sync/problem.html", context, partial if partial in ("group_live",) else "group_live"
    )


ACTIONS = ("replay", "resolve", "ignore", "snooze")


@console_view()
@require_POST
def problem_act(request: HttpRequest) -> HttpResponse:
    """One bulk action on the selected jobs or the whole group (one service call)."""
    fingerprint = request.POST.get("fp", "")
    action = request.POST.get("action", "")
    scope = request.POST.get("scope", "selected")
    if action not in ACTIONS:
        return flash(request, "Choose an action.", "error")
    if not can_act(request.user, finance=True):
        raise PermissionDenied("your role cannot act on problems")
    if scope == "group":
        job_ids = list(
            SyncJob.objects.filter(fingerprint=fingerprint, state__in=PROBLEM_STATES).values_list(
                "pk", flat=True
            )
        )
    else:
        job_ids = ids_from(request.POST.getlist("job_ids"))
    if not job_ids:
        return flash(request, "Select at least one job, or choose the whole group.", "error")
    note = request.POST.get("note", "")
    try:
        if action == "replay":
            count = console_services.jobs_replay(actor=request.user, job_ids=job_ids, request=request)
            response = render(
                request,
                "sync/partials/_progress.html",
                {
                    "progress": jobs_progress(job_ids=job_ids),
                    "ids": ",".join(map(str, job_ids)),
                    "count": count,
                },
            )
        elif action == "snooze":
            until = parse_until(request.POST.get("until", ""))
            if until is None:
                return flash(request, "Pick the date to snooze until.", "error")
            count = console_services.jobs_snooze(
                actor=request.user, job_ids=job_ids, until=until, request=request
            )
            response = flash(
                request, f"Snoozed {count} job{'s' if count != 1 else ''} until {until:%d %b %Y %H:%M}."
            )
        else:
            close = console_services.jobs_resolve if action == "resolve" else console_services.jobs_ignore
            count = close(actor=request.user, job_ids=job_ids, note=note, request=request)
            verb = "Resolved" if action == "resolve" else "Ignored"
            response = flash(request, f"{verb} {count} job{'s' if count != 1 else ''}.")
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
    return render(request, "sync/partials/_badge.html", {"count": problem_count()})
