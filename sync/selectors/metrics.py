"""The state ``GET /metrics`` reads from the database at each scrape (opsconsole/core/metrics.py has the
event counters). Every query is served by an index or is an estimate: no whole table is counted.

- jobs by flow and state, for the states that wait for a worker or a person (queued, running, retrying,
  needs_attention, dead): the ``(state, created_at)`` index; with the oldest waiting job per flow;
- open problems by error class and by status: one row per cause, the ``(status, last_seen)`` index;
- Shopify rate-limit headroom per shop: one row per shop, restored to now;
- worker heartbeats: one row per worker;
- stored webhook deliveries: PostgreSQL's estimate (``pg_class.reltuples``); the oldest one waiting for a
  worker's inbox pump: one entry of a partial index that holds only those.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from opsconsole.core.models import WorkerHeartbeat
from sync.kinds import flow_groups
from sync.models import InboundEvent, JobState, Problem, ShopifyRateLimitState, SyncJob

WAITING = (JobState.QUEUED, JobState.RETRYING)
QUEUE_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING)
ATTENTION_STATES = (JobState.NEEDS_ATTENTION, JobState.DEAD)
OPEN_PROBLEM = (Problem.Status.OPEN, Problem.Status.REGRESSED)


def _age(now: datetime, then: datetime) -> float:
    return max((now - then).total_seconds(), 0.0)


class DatabaseState(Collector):
    def collect(self) -> Iterable[Metric]:
        now = timezone.now()
        depth = GaugeMetricFamily(
            "opsconsole_queue_depth",
            "Jobs waiting for or held by a worker, by flow and state.",
            labels=["flow", "state"],
        )
        attention = GaugeMetricFamily(
            "opsconsole_jobs_needing_attention",
            "Jobs parked for a person (needs_attention) or dead, by flow.",
            labels=["flow", "state"],
        )
        oldest = GaugeMetricFamily(
            "opsconsole_oldest_waiting_job_seconds",
            "Age of the oldest queued or retrying job, by flow.",
            labels=["flow"],
        )
        rows = (
            SyncJob.objects.filter(state__in=(*QUEUE_STATES, *ATTENTION_STATES))
            .values("flow", "state")
            .annotate(n=Count("pk"), first=Min("created_at"))
            .order_by("flow", "state")
        )
        # Every flow group has its series (zero when idle), so that a rule on it sees 0, not "absent".
        seen: dict[str, dict[str, tuple[int, datetime]]] = {flow: {} for flow in flow_groups()}
        for row in rows:
            seen.setdefault(row["flow"], {})[row["state"]] = (row["n"], row["first"])
        for flow, states in sorted(seen.items()):
            for state in QUEUE_STATES:
                depth.add_metric([flow, state], states.get(state, (0, now))[0])
            for state in ATTENTION_STATES:
                attention.add_metric([flow, state], states.get(state, (0, now))[0])
            firsts = [states[s][1] for s in WAITING if s in states]
            oldest.add_metric([flow], _age(now, min(firsts)) if firsts else 0.0)
        yield depth
        yield attention
        yield oldest

        by_class = GaugeMetricFamily(
            "opsconsole_problems_open",
            "Open (or regressed) problems, by error class.",
            labels=["error_class"],
        )
        for error_class, n in (
            Problem.objects.filter(status__in=OPEN_PROBLEM)
            .values_list("error_class")
            .annotate(n=Count("pk"))
            .order_by("error_class")
        ):
            by_class.add_metric([error_class], n)
        yield by_class
        by_status = GaugeMetricFamily(
            "opsconsole_problems", "Problems (one per shop and cause), by status.", labels=["status"]
        )
        statuses = dict(Problem.objects.values_list("status").annotate(n=Count("pk")).order_by())
        for status in Problem.Status.values:
            by_status.add_metric([status], statuses.get(status, 0))
        yield by_status

        available = GaugeMetricFamily(
            "opsconsole_shopify_rate_limit_available",
            "Shopify GraphQL cost points available now (restored since the last answer), by shop.",
            labels=["shop"],
        )
        headroom = GaugeMetricFamily(
            "opsconsole_shopify_rate_limit_headroom_ratio",
            "Share of the shop's Shopify cost bucket available now (0 to 1).",
            labels=["shop"],
        )
        for bucket in ShopifyRateLimitState.objects.order_by("shop_domain"):
            points = min(
                bucket.maximum, bucket.available + bucket.restore_rate * _age(now, bucket.updated_at)
            )
            available.add_metric([bucket.shop_domain], points)
            headroom.add_metric([bucket.shop_domain], points / bucket.maximum if bucket.maximum else 0.0)
        yield available
        yield headroom

        heartbeat = GaugeMetricFamily(
            "opsconsole_worker_heartbeat_age_seconds",
            "Seconds since each worker last beat.",
            labels=["worker"],
        )
        for beat in WorkerHeartbeat.objects.order_by("name"):
            heartbeat.add_metric([beat.name], _age(now, beat.seen_at))
        yield heartbeat

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass",
                [InboundEvent._meta.db_table],
            )
            row = cursor.fetchone()
        yield GaugeMetricFamily(
            "opsconsole_inbox_events_estimate",
            "Webhook deliveries stored in the inbox (PostgreSQL's estimate, updated by ANALYZE).",
            value=float(row[0]) if row else 0.0,
        )
        # The oldest delivery no inbox pump has ingested yet (sync/engine/ingest.py): one entry of the
        # partial index inbound_event_pending_idx, which holds only those.
        waiting = InboundEvent.objects.filter(ingested_at__isnull=True).aggregate(oldest=Min("received_at"))
        yield GaugeMetricFamily(
            "opsconsole_inbox_oldest_waiting_seconds",
            "Age of the oldest stored webhook delivery not yet parsed into its job by a worker (0: none).",
            value=_age(now, waiting["oldest"]) if waiting["oldest"] else 0.0,
        )
