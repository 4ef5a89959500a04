"""Dashboard reads: per-flow counts and latency, backlog age, the throughput chart, connection health."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Min, Q, Sum
from django.db.models.functions import Coalesce, Extract
from django.utils import timezone

from opsconsole.core.models import WorkerHeartbeat
from sync.kinds import flow_groups, subscription_topics
from sync.models import (
    RUNNABLE_STATES,
    Fulfilment,
    InboundEvent,
    JobState,
    OdooConnection,
    RejectedDelivery,
    ShopifyRateLimitState,
    ShopifyShop,
    SyncJob,
)
from sync.selectors.access import ShopScope, in_scope
from sync.selectors.problems import open_problem_stats
from sync.transforms.verify import BOOKED_MISMATCH

WINDOWS: dict[str, timedelta] = {"1h": timedelta(hours=1), "24h": timedelta(hours=24)}


class PercentileCont(Aggregate):
    """PostgreSQL ``percentile_cont(p) WITHIN GROUP (ORDER BY expr)``."""

    function = "percentile_cont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, percentile: float, **extra: Any) -> None:
        super().__init__(expression, percentile=float(percentile), **extra)


def ms_text(ms: float | None) -> str:
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return f"{ms / 60_000:.1f} min"


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


@dataclass
class FlowMetrics:
    flow: str
    received: int = 0
    succeeded: int = 0
    retrying: int = 0
    needs_attention: int = 0
    dead: int = 0
    # written to Odoo, read back, and Odoo's totals are not Shopify's: parked, counted apart from success
    booked_different: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    oldest_waiting_seconds: float | None = None

    @property
    def p50_text(self) -> str:
        return ms_text(self.p50_ms)

    @property
    def p95_text(self) -> str:
        return ms_text(self.p95_ms)

    @property
    def oldest_text(self) -> str:
        return age_text(self.oldest_waiting_seconds)

    @property
    def problems(self) -> int:
        return self.needs_attention + self.dead

    @property
    def success_rate(self) -> float | None:
        done = self.succeeded + self.needs_attention + self.dead
        return None if done == 0 else 100.0 * self.succeeded / done


@dataclass
class DashboardMetrics:
    window: str
    since: datetime
    flows: list[FlowMetrics]
    totals: FlowMetrics
    open_problems: int = 0
    open_groups: int = 0
    # Odoo delivery validated (its date_done, whole seconds) → the fulfilment accepted by Shopify.
    fulfilment_p50_ms: float | None = None
    fulfilment_p95_ms: float | None = None

    @property
    def fulfilment_text(self) -> str:
        return f"{ms_text(self.fulfilment_p50_ms)} / {ms_text(self.fulfilment_p95_ms)}"


def fulfilment_latency_ms(since: datetime, shops: ShopScope = None) -> tuple[float | None, float | None]:
    """p50 and p95 from a delivery's validation in Odoo to its fulfilment in Shopify, for fulfilments pushed
    since ``since`` (the fulfilments flow has no webhook to measure from)."""
    seconds = Extract(F("fulfilled_at") - F("picking_done_at"), "epoch")
    row = (
        in_scope(Fulfilment.objects.all(), shops)
        .filter(origin=Fulfilment.Origin.ODOO, fulfilled_at__gte=since, picking_done_at__isnull=False)
        .aggregate(p50=PercentileCont(seconds, 0.5), p95=PercentileCont(seconds, 0.95))
    )
    return (
        None if row["p50"] is None else max(0.0, row["p50"]) * 1000,
        None if row["p95"] is None else max(0.0, row["p95"]) * 1000,
    )


def _latency_ms(since: datetime, shops: ShopScope = None) -> dict[str, tuple[float | None, float | None]]:
    """p50 and p95 from the webhook's arrival to the job's finish, for jobs that succeeded since ``since``."""
    seconds = Extract(F("finished_at") - F("event__received_at"), "epoch")
    rows = (
        in_scope(SyncJob.objects.all(), shops)
        .filter(state=JobState.SUCCEEDED, finished_at__gte=since, event__isnull=False)
        .values("flow")
        .annotate(p50=PercentileCont(seconds, 0.5), p95=PercentileCont(seconds, 0.95))
        .order_by()
    )
    return {
        r["flow"]: (
            None if r["p50"] is None else r["p50"] * 1000,
            None if r["p95"] is None else r["p95"] * 1000,
        )
        for r in rows
    }


def _overall_latency_ms(since: datetime, shops: ShopScope = None) -> tuple[float | None, float | None]:
    seconds = Extract(F("finished_at") - F("event__received_at"), "epoch")
    row = (
        in_scope(SyncJob.objects.all(), shops)
        .filter(state=JobState.SUCCEEDED, finished_at__gte=since, event__isnull=False)
        .aggregate(p50=PercentileCont(seconds, 0.5), p95=PercentileCont(seconds, 0.95))
    )
    return (
        None if row["p50"] is None else row["p50"] * 1000,
        None if row["p95"] is None else row["p95"] * 1000,
    )


def oldest_waiting(*, now: datetime | None = None, shops: ShopScope = None) -> dict[str, float]:
    """Per flow, the age in seconds of the oldest job waiting for a worker (queued or retrying)."""
    now = now or timezone.now()
    rows = (
        in_scope(SyncJob.objects.all(), shops)
        .filter(state__in=RUNNABLE_STATES)
        .values("flow")
        .annotate(oldest=Min("created_at"))
        .order_by()
    )
    return {r["flow"]: (now - r["oldest"]).total_seconds() for r in rows}


def dashboard_metrics(
    *, window: str = "1h", now: datetime | None = None, shops: ShopScope = None
) -> DashboardMetrics:
    """Counts per flow for jobs created in the window, latency for jobs finished in it."""
    now = now or timezone.now()
    since = now - WINDOWS.get(window, WINDOWS["1h"])
    counts = (
        in_scope(SyncJob.objects.all(), shops)
        .filter(created_at__gte=since)
        .values("flow")
        .annotate(
            received=Count("pk"),
            succeeded=Count("pk", filter=Q(state=JobState.SUCCEEDED)),
            retrying=Count("pk", filter=Q(state=JobState.RETRYING)),
            needs_attention=Count("pk", filter=Q(state=JobState.NEEDS_ATTENTION)),
            dead=Count("pk", filter=Q(state=JobState.DEAD)),
            booked_different=Count(
                "pk", filter=Q(state=JobState.NEEDS_ATTENTION, error_code=BOOKED_MISMATCH)
            ),
        )
        .order_by()
    )
    by_flow: dict[str, FlowMetrics] = {name: FlowMetrics(flow=name) for name in flow_groups()}
    for row in counts:
        metrics = by_flow.setdefault(row["flow"], FlowMetrics(flow=row["flow"]))
        for name in ("received", "succeeded", "retrying", "needs_attention", "dead", "booked_different"):
            setattr(metrics, name, row[name])
    for flow_name, (p50, p95) in _latency_ms(since, shops).items():
        metrics = by_flow.setdefault(flow_name, FlowMetrics(flow=flow_name))
        metrics.p50_ms, metrics.p95_ms = p50, p95
    fulfilment_p50, fulfilment_p95 = fulfilment_latency_ms(since, shops)
    if fulfilment_p50 is not None:
        metrics = by_flow.setdefault("fulfilments", FlowMetrics(flow="fulfilments"))
        metrics.p50_ms, metrics.p95_ms = fulfilment_p50, fulfilment_p95
    waiting = oldest_waiting(now=now, shops=shops)
    for flow_name, age in waiting.items():
        by_flow.setdefault(flow_name, FlowMetrics(flow=flow_name)).oldest_waiting_seconds = age

    rows = [by_flow[name] for name in sorted(by_flow)]
    totals = FlowMetrics(flow="all")
    for metrics in rows:
        for name in ("received", "succeeded", "retrying", "needs_attention", "dead", "booked_different"):
            setattr(totals, name, getattr(totals, name) + getattr(metrics, name))
    totals.p50_ms, totals.p95_ms = _overall_latency_ms(since, shops)
    totals.oldest_waiting_seconds = max(waiting.values()) if waiting else None

    open_stats = open_problem_stats(now=now, shops=shops)
    return DashboardMetrics(
        window=window if window in WINDOWS else "1h",
        since=since,
        flows=rows,
        totals=totals,
        open_problems=open_stats.jobs,
        open_groups=open_stats.problems,
        fulfilment_p50_ms=fulfilment_p50,
        fulfilment_p95_ms=fulfilment_p95,
    )


# ------------------------------------------------------------------------------------------------ chart


@dataclass
class Bucket:
    start: datetime
    succeeded: int = 0
    failed: int = 0  # retrying, needs attention or dead
    other: int = 0  # queued, running, resolved, ignored

    @property
    def total(self) -> int:
        return self.succeeded + self.failed + self.other


@dataclass
class Series:
    window: str
    step: timedelta
    buckets: list[Bucket] = field(default_factory=list)

    @property
    def peak(self) -> int:
        return max((b.total for b in self.buckets), default=0)


SERIES_STEPS: dict[str, tuple[timedelta, int]] = {
    "1h": (timedelta(minutes=5), 12),
    "24h": (timedelta(hours=1), 24),
}


def throughput_series(*, window: str = "1h", now: datetime | None = None, shops: ShopScope = None) -> Series:
    """Jobs received per time bucket, split by how they ended up (one GROUP BY over the flow-time index)."""
    now = now or timezone.now()
    step, count = SERIES_STEPS.get(window, SERIES_STEPS["1h"])
    step_seconds = int(step.total_seconds())
    end_epoch = (int(now.timestamp()) // step_seconds + 1) * step_seconds
    start_epoch = end_epoch - step_seconds * count
    start = datetime.fromtimestamp(start_epoch, tz=UTC)
    buckets = [Bucket(start=start + step * i) for i in range(count)]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT floor((extract(epoch FROM created_at) - %s) / %s)::int AS bucket,
                   count(*) FILTER (WHERE state = 'succeeded'),
                   count(*) FILTER (WHERE state IN ('retrying', 'needs_attention', 'dead')),
                   count(*) FILTER (WHERE state NOT IN ('succeeded', 'retrying', 'needs_attention', 'dead'))
              FROM sync_syncjob
             WHERE created_at >= %s AND (%s OR shop_id = ANY(%s))
             GROUP BY 1
            """,
            [start_epoch, step_seconds, start, shops is None, sorted(shops or ())],
        )
        for index, succeeded, failed, other in cursor.fetchall():
            if 0 <= index < count:
                buckets[index].succeeded = succeeded
                buckets[index].failed = failed
                buckets[index].other = other
    return Series(window=window if window in SERIES_STEPS else "1h", step=step, buckets=buckets)


# ---------------------------------------------------------------------------------------- health


@dataclass
class ShopHealth:
    shop: ShopifyShop
    rate_available: float | None
    rate_maximum: float | None
    rate_updated_at: datetime | None
    topics_present: list[str]
    topics_missing: list[str]

    @property
    def headroom_percent(self) -> int | None:
        if self.rate_available is None or not self.rate_maximum:
            return None
        return round(100 * self.rate_available / self.rate_maximum)

    @property
    def status(self) -> str:
        if not self.shop.active:
            return "inactive"
        if self.shop.uninstalled_at is not None:
            return "uninstalled"
        if self.topics_missing and self.shop.webhooks_checked_at is not None:
            return "warn"
        if self.shop.deprecation_warning:
            return "warn"
        return "ok" if self.shop.last_success_at else "unknown"


@dataclass
class OdooHealth:
    connection: OdooConnection

    @property
    def major_version(self) -> int | None:
        head = (self.connection.server_version or "").split(".")[0]
        digits = "".join(ch for ch in head if ch.isdigit())
        return int(digits) if digits else None

    @property
    def status(self) -> str:
        if not self.connection.active:
            return "inactive"
        if self.connection.auth_failed_at is not None:
            return "bad"
        last_ok, last_bad = self.connection.last_success_at, self.connection.last_error_at
        if last_bad and (last_ok is None or last_bad > last_ok):
            return "warn"
        return "ok" if last_ok else "unknown"


@dataclass
class Health:
    shops: list[ShopHealth]
    odoo: list[OdooHealth]
    worker_seen_at: datetime | None
    inbox_last_hour: int
    rejected_last_day: int


def required_topics() -> tuple[str, ...]:
    return subscription_topics()


def connection_health(*, now: datetime | None = None, shops: ShopScope = None) -> Health:
    now = now or timezone.now()
    limits = {state.shop_domain: state for state in ShopifyRateLimitState.objects.all()}
    topics = required_topics()
    rows = []
    visible = list(in_scope(ShopifyShop.objects.select_related("odoo").order_by("domain"), shops, "pk"))
    for shop in visible:
        state = limits.get(shop.domain)
        present = [t for t in topics if t in set(shop.webhook_topics or [])]
        rows.append(
            ShopHealth(
                shop=shop,
                rate_available=state.available if state else None,
                rate_maximum=state.maximum if state else None,
                rate_updated_at=state.updated_at if state else None,
                topics_present=present,
                topics_missing=[t for t in topics if t not in present],
            )
        )
    beat = WorkerHeartbeat.objects.order_by("-seen_at").first()
    return Health(
        shops=rows,
        odoo=[
            OdooHealth(connection=c)
            for c in in_scope(OdooConnection.objects.order_by("name"), shops, "shops__pk").distinct()
        ],
        worker_seen_at=beat.seen_at if beat else None,
        inbox_last_hour=in_scope(InboundEvent.objects.all(), shops)
        .filter(received_at__gte=now - timedelta(hours=1))
        .count(),
        rejected_last_day=in_scope(
            RejectedDelivery.objects.all(),
            None if shops is None else [s.domain for s in visible],
            "shop_domain",
        )
        .filter(at__gte=now - timedelta(hours=24))
        .aggregate(n=Coalesce(Sum("count"), 0))["n"],
    )
