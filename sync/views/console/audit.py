"""Audit log: read-only and filterable. There is no view that changes or deletes an entry."""

from __future__ import annotations

import json
from datetime import date

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET

from sync.selectors.access import shop_scope
from sync.selectors.audit import AuditFilters, audit_actions, audit_actors, audit_list, audit_object_types
from sync.transforms.privacy import limit_depth
from sync.views.console.common import console_view, page_or_partial

PAGE_SIZE = 50


def _pretty(value: object) -> str:
    return json.dumps(limit_depth(value), indent=2, default=str) if value is not None else ""


def _date(value: str) -> date | None:
    """A filter date, or None when missing or impossible (a 31st of February was a 500)."""
    try:
        return parse_date(value) if value else None
    except ValueError:
        return None


@console_view("view_audit_log")
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    filters = AuditFilters(
        actor=request.GET.get("actor", "").strip(),
        action=request.GET.get("action", "").strip(),
        object_type=request.GET.get("object_type", "").strip(),
        object_id=request.GET.get("object_id", "").strip(),
        since=_date(request.GET.get("since", "")),
        until=_date(request.GET.get("until", "")),
        q=request.GET.get("q", "").strip()[:120],
        only_actor_id=request.user.pk if shop_scope(request.user) is not None else None,
    )
    page = Paginator(audit_list(filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "entry": entry,
            "before": _pretty(entry.before),
            "after": _pretty(entry.after),
        }
        for entry in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "title": "Audit log",
        "filters": filters,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "actions": audit_actions(only_actor_id=filters.only_actor_id),
        "actors": audit_actors(only_actor_id=filters.only_actor_id),
        "object_types": audit_object_types(),
    }
    return page_or_partial(request, "sync/audit.html", context, "results")
