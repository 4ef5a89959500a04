"""Job explorer: a filtered list; a job's attempts, masked payload (reveal is audited), links and ids."""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from opsconsole.core.permissions import allowed
from sync.kinds import flow_groups
from sync.models import JobState, SyncJob
from sync.selectors.access import shop_scope
from sync.selectors.jobs import (
    AGES,
    JobFilters,
    job_detail,
    job_kinds,
    job_links,
    job_list,
    shops_for_filters,
)
from sync.selectors.money import order_money_timeline
from sync.services import console as console_services
from sync.transforms.privacy import limit_depth, mask_payload
from sync.views.console.common import (
    PROBLEMS_CHANGED,
    can_act,
    console_view,
    flash,
    int_or_none,
    page_or_partial,
    trigger,
)

PAGE_SIZE = 50


class CappedPaginator(Paginator):
    """Counts at most ``CAP`` + 1 jobs (``COUNT(*)`` over a ``LIMIT``): an exact count of a year of jobs
    costs a scan of millions of rows on every page; past the cap the page says "more than 10000"."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return int(self.object_list[: self.CAP + 1].count())  # type: ignore[attr-defined]

    @property
    def capped(self) -> bool:
        return self.count > self.CAP


def _filters(request: HttpRequest) -> JobFilters:
    return JobFilters(
        flow=request.GET.get("flow", ""),
        state=request.GET.get("state", ""),
        shop=int_or_none(request.GET.get("shop")),
        kind=request.GET.get("kind", ""),
        age=request.GET.get("age", "") if request.GET.get("age", "") in AGES else "",
        q=request.GET.get("q", "").strip()[:120],
        shops=shop_scope(request.user),
    )


@console_view()
@require_GET
def jobs(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    paginator = CappedPaginator(job_list(filters=filters), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "title": "Jobs",
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "flows": flow_groups(),
        "states": JobState.choices,
        "shops": shops_for_filters(shops=shop_scope(request.user)),
        "kinds": job_kinds(),
        "ages": list(AGES),
    }
    return page_or_partial(request, "sync/jobs.html", context, "results")


def _payload_of(job: SyncJob) -> Any:
    if job.event is not None:
        return job.event.payload
    return (job.input or {}).get("payload")


def _pretty(value: Any) -> str:
    return json.dumps(limit_depth(value), indent=2, sort_keys=False, default=str)


def _job(request: HttpRequest, job_id: int) -> SyncJob:
    """The job, or 404 (also for a job of a shop the user is not given)."""
    try:
        return job_detail(job_id=job_id, shops=shop_scope(request.user))
    except SyncJob.DoesNotExist:
        raise Http404("no such job") from None


@console_view()
@require_GET
def job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    payload = _payload_of(job)
    context = {
        "title": f"Job {job.pk}",
        "job": job,
        "attempts": list(job.attempt_set.all()),
        "links": job_links(job=job),
        # Deliveries folded into this job (coalescing) or echoing its push: stored, each named here.
        "folded": list(
            job.folded_deliveries.order_by("-pk").values("topic", "webhook_id", "handled_as", "received_at")[
                :50
            ]
        ),
        "folded_count": job.folded_deliveries.count(),
        "money": order_money_timeline(job=job),
        "payload_json": _pretty(mask_payload(payload)) if payload is not None else "",
        "revealed": False,
        "input_json": _pretty(mask_payload({k: v for k, v in (job.input or {}).items() if k != "payload"}))
        if job.input
        else "",
        "result_json": _pretty(job.result) if job.result else "",
        "context_json": _pretty(mask_payload(job.error_context)) if job.error_context else "",
        "can_reveal": allowed(request.user, "reveal_customer_data") and payload is not None,
        "can_act": can_act(request.user, finance=job.finance),
        "replayable": job.state
        in (JobState.NEEDS_ATTENTION, JobState.DEAD, JobState.RETRYING, JobState.RESOLVED, JobState.IGNORED),
    }
    return page_or_partial(request, "sync/job.html", context, "job_live")


@console_view()
@require_POST
def job_reveal(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    if not allowed(request.user, "reveal_customer_data"):
        raise PermissionDenied("revealing customer data needs the reveal permission")
    payload = console_services.payload_reveal(actor=request.user, job=job, request=request)
    return render(
        request,
        "sync/job.html#payload",
        {"job": job, "payload_json": _pretty(payload), "revealed": True, "can_reveal": True},
    )


@console_view()
@require_POST
def job_replay(request: HttpRequest, job_id: int) -> HttpResponse:
    """Replay one job; answers with the re-rendered row (in a group) or a notice (on the job's page)."""
    job = _job(request, job_id)
    if not can_act(request.user, finance=job.finance):
        raise PermissionDenied("your role cannot replay this job")
    try:
        count = console_services.jobs_replay(actor=request.user, job_ids=[job.pk], request=request)
    except ValidationError as exc:
        return flash(request, " ".join(exc.messages), "error")
    job.refresh_from_db()
    if request.POST.get("render") == "row":
        response = render(
            request, "sync/partials/_job_row.html", {"job": job, "can_act": True, "replayed": count}
        )
    else:
        response = flash(request, "Replay queued." if count else "Nothing to replay: the job is not stuck.")
    return trigger(response, PROBLEMS_CHANGED)
