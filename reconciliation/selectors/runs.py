"""What the Reconciliation screens read: runs, the matched / unmatched series, discrepancies, reports."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from reconciliation.matchers.orders import ORDER_CODES
from reconciliation.models import DailyReport, Discrepancy, ReconciliationRun
from sync.selectors.access import in_scope

DISCREPANCY_STATUSES = ("open", "resolved", "all")


def run_list(
    *, shop: int | None = None, kind: str = "", shops: Collection[int] | None = None
) -> QuerySet[ReconciliationRun]:
    """``shops``: the shops the user is given (None: every shop), as every selector here takes it."""
    runs = in_scope(
        ReconciliationRun.objects.select_related("shop", "started_by").order_by("-created_at", "-pk"), shops
    )
    if shop:
        runs = runs.filter(shop_id=shop)
    if kind:
        runs = runs.filter(kind=kind)
    return runs


@dataclass(frozen=True)
class ChartBar:
    run: ReconciliationRun
    matched: int
    unmatched: int
    x: float
    width: float
    matched_y: float
    matched_h: float
    unmatched_y: float
    unmatched_h: float


CHART_W, CHART_H = 600.0, 140.0


def run_chart(
    *, shop: int | None = None, limit: int = 30, shops: Collection[int] | None = None
) -> list[ChartBar]:
    """Matched and unmatched orders of the last ``limit`` finished order runs, oldest first, as bars of an
    SVG the server draws (no script: the console's policy allows none inline)."""
    runs = list(
        run_list(shop=shop, kind="orders", shops=shops).filter(status=ReconciliationRun.Status.SUCCEEDED)[
            :limit
        ]
    )[::-1]
    if not runs:
        return []
    top = max(max(int(r.counts.get("shopify_orders", 0)), 1) for r in runs)
    slot = CHART_W / max(len(runs), 1)
    bars = []
    for index, run in enumerate(runs):
        matched = int(run.counts.get("matched", 0))
        unmatched = int(run.counts.get("unmatched", 0))
        mh = CHART_H * matched / top
        uh = CHART_H * unmatched / top
        bars.append(
            ChartBar(
                run,
                matched,
                unmatched,
                x=round(index * slot + slot * 0.15, 1),
                width=round(slot * 0.7, 1),
                matched_y=round(CHART_H - mh, 1),
                matched_h=round(mh, 1),
                unmatched_y=round(CHART_H - mh - uh, 1),
                unmatched_h=round(uh, 1),
            )
        )
    return bars


@dataclass(frozen=True)
class DiscrepancyFilters:
    status: str = "open"
    code: str = ""
    shop: int | None = None
    assignee: str = ""  # "", "me", "none"
    q: str = ""


def discrepancy_list(
    *, filters: DiscrepancyFilters, user: Any = None, shops: Collection[int] | None = None
) -> QuerySet[Discrepancy]:
    rows = in_scope(
        Discrepancy.objects.select_related("shop", "assignee", "last_run").order_by("-last_seen", "-pk"),
        shops,
    )
    if filters.status in ("open", "resolved"):
        rows = rows.filter(status=filters.status)
    if filters.code:
        rows = rows.filter(code=filters.code)
    if filters.shop:
        rows = rows.filter(shop_id=filters.shop)
    if filters.assignee == "me" and user is not None:
        rows = rows.filter(assignee=user)
    elif filters.assignee == "none":
        rows = rows.filter(assignee__isnull=True)
    if filters.q:
        rows = rows.filter(Q(subject__icontains=filters.q) | Q(label__icontains=filters.q))
    return rows


def discrepancy_codes() -> list[str]:
    known = set(Discrepancy.objects.values_list("code", flat=True).distinct())
    return sorted(known | set(ORDER_CODES))


def discrepancy_detail(*, discrepancy_id: int, shops: Collection[int] | None = None) -> Discrepancy | None:
    return (
        in_scope(Discrepancy.objects.select_related("shop", "assignee", "first_run", "last_run"), shops)
        .filter(pk=discrepancy_id)
        .first()
    )


def daily_reports(
    *, shop: int | None = None, limit: int = 14, shops: Collection[int] | None = None
) -> list[DailyReport]:
    reports = in_scope(DailyReport.objects.select_related("shop").order_by("-day", "shop__domain"), shops)
    if shop:
        reports = reports.filter(shop_id=shop)
    return list(reports[:limit])


def open_discrepancy_count(*, shops: Collection[int] | None = None) -> int:
    return in_scope(Discrepancy.objects.filter(status=Discrepancy.Status.OPEN), shops).count()
