"""Reconciliation's state for alerts and metrics: open discrepancies and the latest run, per shop and kind.
Indexed reads only: open discrepancies by the ``(shop, kind, status)`` index, the latest run of each shop
and kind by ``(shop, kind, -created_at)`` (DISTINCT ON)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count

from reconciliation.models import Discrepancy, ReconciliationRun
from sync.models import ShopifyShop


@dataclass(frozen=True)
class KindState:
    shop_id: int
    shop_domain: str
    kind: str
    open_discrepancies: int
    last_run_status: str | None
    last_run_finished_at: datetime | None
    last_run_error: str


def reconciliation_state() -> list[KindState]:
    open_counts = {
        (row["shop_id"], row["kind"]): row["n"]
        for row in Discrepancy.objects.filter(status=Discrepancy.Status.OPEN)
        .values("shop_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    }
    latest = {
        (run.shop_id, run.kind): run
        for run in ReconciliationRun.objects.select_related("shop")
        .order_by("shop_id", "kind", "-created_at")
        .distinct("shop_id", "kind")
    }
    domains = {key: run.shop.domain for key, run in latest.items()}
    if set(open_counts) - set(latest):
        missing = {shop_id for shop_id, _ in set(open_counts) - set(latest)}
        names = dict(ShopifyShop.objects.filter(pk__in=missing).values_list("pk", "domain"))
        domains.update({key: names.get(key[0], str(key[0])) for key in open_counts if key not in domains})
    states = []
    for key in sorted(set(open_counts) | set(latest)):
        run = latest.get(key)
        states.append(
            KindState(
                shop_id=key[0],
                shop_domain=domains[key],
                kind=key[1],
                open_discrepancies=open_counts.get(key, 0),
                last_run_status=run.status if run else None,
                last_run_finished_at=run.finished_at if run else None,
                last_run_error=(run.error if run else "")[:300],
            )
        )
    return states
