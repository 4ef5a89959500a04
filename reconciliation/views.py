"""The finance console's Reconciliation screens: runs with their counts and a chart of matched and
unmatched orders over time, a run's page, the daily reports, and the discrepancy queue (assign, note,
resolve, re-open, re-run; audited). Every list exports to CSV, safe against spreadsheet formulas. Finance
acts (``act_on_finance``, checked again in the services); every console role reads."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET, require_POST

from opsconsole.core.csv_export import csv_response
from opsconsole.core.permissions import allowed
from opsconsole.core.roles import perm
from reconciliation.models import DailyReport, Discrepancy, Payout, ReconciliationRun
from reconciliation.selectors.payouts import payout_list
from reconciliation.selectors.runs import (
    CHART_H,
    CHART_W,
    DISCREPANCY_STATUSES,
    DiscrepancyFilters,
    daily_reports,
    discrepancy_codes,
    discrepancy_detail,
    discrepancy_list,
    open_discrepancy_count,
    run_chart,
    run_list,
)
from reconciliation.services import discrepancies as discrepancy_services
from reconciliation.services.runs import run_create, run_rerun
from sync.selectors.access import in_scope, shop_scope, shops_visible

DISCREPANCIES_CHANGED = "discrepancies-changed"
PAGE_SIZE = 50


def _view(codename: str = "view_console") -> Any:
    return permission_required(perm(codename), raise_exception=True)


def _int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _is_partial(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False)) and not request.htmx.boosted  # type: ignore[attr-defined]


def _finance_users() -> list[Any]:
    User = get_user_model()
    return list(
        User.objects.filter(
            Q(is_superuser=True)
            | Q(groups__permissions__codename="act_on_finance")
            | Q(user_permissions__codename="act_on_finance"),
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


# ---- runs --------------------------------------------------------------------------------------------


@_view()
@require_GET
def reconciliation(request: HttpRequest) -> HttpResponse:
    shop = _int(request.GET.get("shop"))
    kind = request.GET.get("kind", "")
    scope = shop_scope(request.user)
    runs = run_list(shop=shop, kind=kind, shops=scope)
    if request.GET.get("format") == "csv":
        return csv_response(
            "reconciliation-runs.csv",
            [
                "run",
                "shop",
                "kind",
                "trigger",
                "started_by",
                "window_start",
                "window_end",
                "status",
                "source",
                "shopify_orders",
                "matched",
                "unmatched",
                "missing_in_odoo",
                "backfilled",
                "differing",
                "missing_in_shopify",
                "error",
            ],
            (
                [
                    r.pk,
                    r.shop.domain,
                    r.kind,
                    r.trigger,
                    r.started_by_label,
                    r.window_start.isoformat(),
                    r.window_end.isoformat(),
                    r.status,
                    r.source,
                    *(
                        r.counts.get(k, "")
                        for k in (
                            "shopify_orders",
                            "matched",
                            "unmatched",
                            "missing_in_odoo",
                            "backfilled",
                            "differing",
                            "missing_in_shopify",
                        )
                    ),
                    r.error,
                ]
                for r in runs.iterator()
            ),
        )
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    today = datetime.now(UTC).date()
    context = {
        "title": "Reconciliation",
        "page": page,
        "runs": page.object_list,
        "query": query.urlencode(),
        "shop": shop,
        "kind": kind,
        "shops": shops_visible(request.user),
        "chart": run_chart(shop=shop, shops=scope),
        "chart_w": CHART_W,
        "chart_h": CHART_H,
        "reports": daily_reports(shop=shop, shops=scope),
        "open_discrepancies": open_discrepancy_count(shops=scope),
        "can_act": allowed(request.user, "act_on_finance"),
        "default_day": today - timedelta(days=1),
    }
    template = "reconciliation/index.html#runs" if _is_partial(request) else "reconciliation/index.html"
    return render(request, template, context)


@_view()
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    if not allowed(request.user, "act_on_finance"):
        raise PermissionDenied("starting a reconciliation run needs the finance role")
    shop = get_object_or_404(shops_visible(request.user), pk=_int(request.POST.get("shop")))
    first = parse_date(request.POST.get("since", "") or "")
    last = parse_date(request.POST.get("until", "") or "") or first
    if first is None or last is None or last < first or (last - first).days > 92:
        return render(
            request,
            "reconciliation/partials/_flash.html",
            {"message": "Give a first and last day (at most 93 days).", "level": "error"},
            status=400,
        )
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    kind = request.POST.get("kind", "orders")
    if kind not in ("orders", "integrity"):
        kind = "orders"
    run = run_create(shop=shop, kind=kind, window_start=start, window_end=end, user=request.user)
    if _is_partial(request):
        response = render(
            request,
            "reconciliation/partials/_flash.html",
            {"message": f"Run {run.pk} queued for {shop.domain}, {first} to {last}.", "level": "success"},
        )
        response["HX-Trigger"] = "runs-changed"
        return response
    return redirect("reconciliation-run", run_id=run.pk)


@_view()
@require_GET
def run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(
        in_scope(ReconciliationRun.objects.select_related("shop", "started_by"), shop_scope(request.user)),
        pk=run_id,
    )
    found = Discrepancy.objects.filter(Q(first_run=run) | Q(last_run=run)).select_related("assignee")
    counts = sorted(run.counts.items()) if isinstance(run.counts, dict) else []
    context = {
        "title": f"Run {run.pk}",
        "run": run,
        "counts": [(k, v) for k, v in counts if not isinstance(v, list)],
        "discrepancies": found.order_by("code", "subject")[:500],
        "can_act": allowed(request.user, "act_on_finance"),
    }
    return render(request, "reconciliation/run.html", context)


@_view()
@require_POST
def run_again(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(in_scope(ReconciliationRun.objects.all(), shop_scope(request.user)), pk=run_id)
    again = run_rerun(user=request.user, run=run)  # PermissionDenied → 403
    return redirect("reconciliation-run", run_id=again.pk)


@_view()
@require_GET
def report_page(request: HttpRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(
        in_scope(DailyReport.objects.select_related("shop"), shop_scope(request.user)), pk=report_id
    )
    return render(request, "reconciliation/report.html", {"title": f"Report {report.day}", "report": report})


# ---- discrepancies -----------------------------------------------------------------------------------


def _filters(request: HttpRequest) -> DiscrepancyFilters:
    status = request.GET.get("status", "open")
    assignee = request.GET.get("assignee", "")
    return DiscrepancyFilters(
        status=status if status in DISCREPANCY_STATUSES else "open",
        code=request.GET.get("code", "").strip()[:60],
        shop=_int(request.GET.get("shop")),
        assignee=assignee if assignee in ("me", "none") else "",
        q=request.GET.get("q", "").strip()[:120],
    )


@_view()
@require_GET
def discrepancies(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    rows = discrepancy_list(filters=filters, user=request.user, shops=shop_scope(request.user))
    if request.GET.get("format") == "csv":
        return csv_response(
            "discrepancies.csv",
            [
                "id",
                "shop",
                "code",
                "subject",
                "label",
                "shopify",
                "odoo",
                "amount_shopify",
                "amount_odoo",
                "currency",
                "status",
                "assignee",
                "times_seen",
                "first_seen",
                "last_seen",
            ],
            (
                [
                    d.pk,
                    d.shop.domain,
                    d.code,
                    d.subject,
                    d.label,
                    d.shopify_value,
                    d.odoo_value,
                    d.amount_shopify,
                    d.amount_odoo,
                    d.currency,
                    d.status,
                    d.assignee.get_username() if d.assignee else "",
                    d.times_seen,
                    d.first_seen.isoformat(),
                    d.last_seen.isoformat(),
                ]
                for d in rows.iterator()
            ),
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "title": "Discrepancies",
        "filters": filters,
        "page": page,
        "rows": page.object_list,
        "query": query.urlencode(),
        "codes": discrepancy_codes(),
        "shops": shops_visible(request.user),
        "statuses": [("open", "Open"), ("resolved", "Resolved"), ("all", "All")],
        "can_act": allowed(request.user, "act_on_finance"),
    }
    template = "reconciliation/discrepancies.html"
    if _is_partial(request):
        template += "#results"
    return render(request, template, context)


@_view()
@require_GET
def discrepancy_page(request: HttpRequest, discrepancy_id: int) -> HttpResponse:
    d = discrepancy_detail(discrepancy_id=discrepancy_id, shops=shop_scope(request.user))
    if d is None:
        raise Http404("no such discrepancy")
    return render(request, "reconciliation/discrepancy.html", _detail_context(request, d))


def _detail_context(request: HttpRequest, d: Discrepancy) -> dict[str, Any]:
    return {
        "title": f"{d.code} {d.label or d.subject}",
        "d": d,
        "activity": d.activity.select_related("actor", "run").all(),
        "can_act": allowed(request.user, "act_on_finance"),
        "finance_users": _finance_users(),
    }


@_view()
@require_POST
def discrepancy_act(request: HttpRequest, discrepancy_id: int) -> HttpResponse:
    d = get_object_or_404(
        in_scope(
            Discrepancy.objects.select_related("shop", "assignee", "last_run"), shop_scope(request.user)
        ),
        pk=discrepancy_id,
    )
    action = request.POST.get("action", "")
    note = (request.POST.get("note") or request.headers.get("HX-Prompt") or "").strip()[:2000]
    try:
        if action == "assign":
            wanted = _int(request.POST.get("assignee")) or request.user.pk
            who = get_object_or_404(get_user_model(), pk=wanted)
            discrepancy_services.discrepancy_assign(user=request.user, discrepancy=d, assignee=who, note=note)
        elif action == "note":
            discrepancy_services.discrepancy_note(user=request.user, discrepancy=d, note=note)
        elif action == "resolve":
            discrepancy_services.discrepancy_resolve(user=request.user, discrepancy=d, note=note)
        elif action == "reopen":
            discrepancy_services.discrepancy_reopen(user=request.user, discrepancy=d, note=note)
        elif action == "rerun":
            if d.last_run is None:
                raise ValueError("no run found this discrepancy")
            again = run_rerun(user=request.user, run=d.last_run)
            discrepancy_services.discrepancy_note_activity(
                discrepancy=d, action="rerun", note=f"run {again.pk} queued by {request.user.get_username()}"
            )
        else:
            raise ValueError(f"unknown action {action!r}")
    except ValueError as exc:
        return render(
            request,
            "reconciliation/partials/_flash.html",
            {"message": str(exc), "level": "error"},
            status=400,
        )
    d.refresh_from_db()
    if request.POST.get("from") == "page" or not _is_partial(request):
        if not _is_partial(request):
            return redirect("reconciliation-discrepancy", discrepancy_id=d.pk)
        response = render(request, "reconciliation/discrepancy.html#detail", _detail_context(request, d))
    else:
        response = render(
            request,
            "reconciliation/partials/_discrepancy_row.html",
            {"d": d, "can_act": True},
        )
    response["HX-Trigger"] = DISCREPANCIES_CHANGED
    return response


# ---- payouts -----------------------------------------------------------------------------------------

PAYOUT_STATUSES = [("", "All"), ("matched", "Matched"), ("variance", "Variance"), ("posted", "Posted")]


@_view()
@require_GET
def payouts(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    shop = _int(request.GET.get("shop"))
    since = parse_date(request.GET.get("since", "") or "")
    until = parse_date(request.GET.get("until", "") or "")
    rows = payout_list(status=status, shop=shop, since=since, until=until, shops=shop_scope(request.user))
    if request.GET.get("format") == "csv":
        return csv_response(
            "payouts.csv",
            [
                "payout",
                "shop",
                "issued",
                "shopify_status",
                "net",
                "currency",
                "expected_net",
                "difference",
                "fees",
                "status",
                "differences",
                "odoo_entry",
            ],
            (
                [
                    p.legacy_id,
                    p.shop.domain,
                    p.issued_at.isoformat(),
                    p.shopify_status,
                    p.net,
                    p.currency,
                    p.expected_net,
                    p.difference,
                    p.fees,
                    p.status,
                    " ".join(p.differences),
                    p.odoo_move_name,
                ]
                for p in rows.iterator()
            ),
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "title": "Payouts",
        "page": page,
        "rows": page.object_list,
        "query": query.urlencode(),
        "status": status,
        "shop": shop,
        "since": since,
        "until": until,
        "statuses": PAYOUT_STATUSES,
        "shops": shops_visible(request.user),
        "can_act": allowed(request.user, "act_on_finance"),
    }
    template = "reconciliation/payouts.html" + ("#results" if _is_partial(request) else "")
    return render(request, template, context)


@_view()
@require_POST
def payouts_run(request: HttpRequest) -> HttpResponse:
    if not allowed(request.user, "act_on_finance"):
        raise PermissionDenied("reconciling payouts needs the finance role")
    shop = get_object_or_404(shops_visible(request.user), pk=_int(request.POST.get("shop")))
    end = datetime.now(UTC) + timedelta(days=1)
    run = run_create(
        shop=shop, kind="payouts", window_start=end - timedelta(days=31), window_end=end, user=request.user
    )
    return redirect("reconciliation-run", run_id=run.pk)


@_view()
@require_GET
def payout_page(request: HttpRequest, payout_id: int) -> HttpResponse:
    payout = get_object_or_404(
        in_scope(Payout.objects.select_related("shop"), shop_scope(request.user)), pk=payout_id
    )
    if request.GET.get("format") == "csv":
        return csv_response(
            f"payout-{payout.legacy_id}.csv",
            [
                "transaction",
                "type",
                "order",
                "date",
                "amount",
                "fee",
                "net",
                "currency",
                "odoo",
                "odoo_amount",
                "match",
            ],
            (
                [
                    line.transaction_id,
                    line.type,
                    line.order_name,
                    line.transaction_date.isoformat(),
                    line.amount,
                    line.fee,
                    line.net,
                    line.currency,
                    line.odoo_label,
                    line.odoo_amount,
                    line.match,
                ]
                for line in payout.lines.all()
            ),
        )
    context = {
        "title": f"Payout {payout.legacy_id}",
        "payout": payout,
        "lines": payout.lines.all(),
    }
    return render(request, "reconciliation/payout.html", context)
