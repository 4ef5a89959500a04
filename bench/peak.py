"""Flash-sale benchmark: ``python bench/peak.py`` (defaults: the full figures of issue 18, 3,000 orders a
minute for 10 minutes, 1,000 Odoo stock changes a minute, 150 ms per Odoo call, 16 queue workers).

Everything is real and over HTTP: the Shopify stand-in's own order generator places the orders and delivers
them as signed webhooks (with its own retries) to gunicorn; a django-q2 cluster of ``--workers`` workers
ingests them and writes the sale orders into the Odoo stand-in, which answers every call ``--odoo-latency-ms``
late (its latency fault). At the same time the bench writes ``--stock-per-minute`` stock changes into the
Odoo stand-in, which the same cluster's stock-out flow reads (its change streams) and pushes to Shopify.

It prints, for the run and for a baseline run in the same invocation:

- p50 / p95 from Shopify's order ``created_at`` to the order's ``order.upsert`` job succeeding (the sale
  order created and confirmed in Odoo);
- p50 / p95 from an Odoo stock write to the end of the first push that began after it and brought the SKU
  in line in Shopify (set it, or found it right: under a backlog Shopify rightly stays lower than Odoo by
  the sales Odoo has not booked, and nothing needs setting), and to the end of the first that set it;
- the backlog's peak (queued and retrying jobs; deliveries stored but not yet ingested) and the drain time
  from the sale's end until no delivery is pending in Shopify, none waits to be ingested and no job is
  queued, running or retrying;
- orders booked per minute: the sale's orders over the time from its first to its last ``order.upsert``
  success (the pipeline's wall-clock throughput);
- CPU seconds spent from the sale's start to the drain's end (Linux /proc, user + system, processes that
  ended and were reaped included) by the gunicorn processes, the django-q2 cluster (all its processes), the
  PostgreSQL backends of the bench database (sampled every second or so: a backend that ends loses its
  last moments) and, together, the two stand-ins (subprocesses) and the bench process with its own
  database backend; and ours per order, (web + queue workers + PostgreSQL) / orders. Beside the wall clock
  it tells whether a run was bound by the machine's cores or by Odoo's latency;
- Shopify cost points the app spent (the stand-in's own usage counters) and Odoo calls (its counters);
- lost and duplicated orders counted in Odoo: every sale.order read back by ``client_order_ref`` and
  compared with the orders Shopify made (target: 0 and 0). An order not in Odoo that is still on its way
  (a delivery pending in Shopify or stored but not ingested, or its ``order.upsert`` job queued, retrying
  or running, or finished after the read) is counted as still queued, not lost: only a run that did not
  drain has any.

The baseline is the same run with 0 ms Odoo latency (``--no-baseline`` skips it): the orders and stock
changes are the same, so the difference is what Odoo's slowness costs; what remains is the pipeline's own.

Each run is a child process on its own database (``<DATABASE_URL's name>_peak``, dropped and created: not
the other benchmarks' ``_bench``, so that it can run beside them or tests/e2e/test_peak.py) and fresh
stand-ins. ``--json-out FILE`` writes the results (tests/e2e/test_peak.py reads them).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import connect_shop, start_cluster  # noqa: E402
from bench.ingest import (  # noqa: E402
    backend_pids,
    bench_database_url,
    cpu_seconds,
    cpu_used,
    setup_django,
    start_gunicorn,
    stop,
    tree_cpu,
)

#: Orders placed and waited for before the measured sale (clients, customers and mappings warm).
WARMUP_ORDERS = 3
#: The Odoo stock the bench starts every mapped SKU with, so that no order runs short.
START_STOCK = 100_000


@dataclass
class Scenario:
    orders_per_minute: float
    minutes: float
    stock_per_minute: float
    odoo_latency_ms: float
    workers: int
    web_workers: int = 4
    seed: int = 18
    drain_timeout: float = 1800.0


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


class CpuMeter:
    """CPU seconds used from its creation to ``finish()`` by the parts of a run: process trees (a root pid and
    all its descendants, reaped ones included), the PostgreSQL backends of the bench database (``sample()``
    reads them; one that ended counts up to its last sample, one that started counts from zero) and this
    process with its own backends."""

    def __init__(self, trees: dict[str, int]) -> None:
        self.trees = trees
        self.started = time.monotonic()
        self.start = {name: tree_cpu(pid) for name, pid in trees.items()}
        self.own_start = cpu_seconds(os.getpid()) or 0.0
        self.backends_start = self._backends()
        self.backends = dict(self.backends_start)
        self.own_backends_start = self._own_backend()
        self.own_backends = dict(self.own_backends_start)

    @staticmethod
    def _backends() -> dict[int, float]:
        return {pid: cpu for pid in backend_pids() if (cpu := cpu_seconds(pid)) is not None}

    @staticmethod
    def _own_backend() -> dict[int, float]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        cpu = cpu_seconds(pid)
        return {} if cpu is None else {pid: cpu}

    def sample(self) -> None:
        self.backends.update(self._backends())
        self.own_backends.update(self._own_backend())

    def finish(self) -> dict[str, float]:
        self.sample()
        used = {name: tree_cpu(pid) - self.start[name] for name, pid in self.trees.items()}
        used["postgresql"] = cpu_used(self.backends_start, self.backends)
        used["bench"] = (cpu_seconds(os.getpid()) or 0.0) - self.own_start
        used["bench"] += cpu_used(self.own_backends_start, self.own_backends)
        used["seconds"] = time.monotonic() - self.started
        return used


def _order_id(body: bytes | str) -> str:
    """The Shopify order id an order webhook's body is about."""
    try:
        payload = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(payload, dict):
        return ""
    edit = payload.get("order_edit")
    return str(edit.get("order_id", "") if isinstance(edit, dict) else payload.get("id", ""))


def _wait(condition: Any, timeout: float, what: str, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(interval)


def run(s: Scenario) -> dict[str, Any]:
    from django.db import close_old_connections
    from django.db.models import Count, Q

    from sandbox.odoo.testing import odoo_sandbox
    from sandbox.shopify.testing import free_port, running_sandbox
    from sync.engine.clients import odoo_client_for
    from sync.engine.mappings import mappings_for_shop
    from sync.engine.sweep import jobs_sweep
    from sync.models import InboundEvent, JobAttempt, JobState, OdooChangeCursor, StockLevel, SyncJob

    rng = random.Random(s.seed)
    work = Path(tempfile.mkdtemp(prefix="opsconsole-bench-peak-"))
    port = free_port()
    server = start_gunicorn(os.environ["DATABASE_URL"], s.web_workers, port=port)
    try:
        with (
            odoo_sandbox(work / "odoo", version=19, seed=True) as odoo,
            running_sandbox(data_dir=work / "shopify") as sb,
        ):
            # A Plus shop's bucket: a flash sale is a Plus shop's event (the points spent are counted all
            # the same).
            sb.control.settings(restore_rate=1000, maximum=10000)
            shop = connect_shop(odoo, sb, f"http://127.0.0.1:{port}/webhooks/shopify")
            skus = sorted(mappings_for_shop(shop=shop).skus)
            odoo.control.request(
                "POST",
                "stock",
                {"items": [{"sku": k, "quantity": START_STOCK, "location": "WH/Stock"} for k in skus]},
            )
            cluster = start_cluster(
                work / "worker.log",
                OPSCONSOLE_Q_WORKERS=str(s.workers),
                OPSCONSOLE_STOCK_OUT="1",
                OPSCONSOLE_CHANGES_TICKER="1",
            )
            try:
                busy_states = [JobState.QUEUED, JobState.RUNNING, JobState.RETRYING]

                meter: CpuMeter | None = None  # from the sale's start

                def backlog() -> dict[str, int]:
                    close_old_connections()
                    jobs_sweep()  # what the scheduler's tick does
                    if meter is not None:
                        meter.sample()
                    return {
                        "queued": SyncJob.objects.filter(
                            state__in=[JobState.QUEUED, JobState.RETRYING]
                        ).count(),
                        "running": SyncJob.objects.filter(state=JobState.RUNNING).count(),
                        "waiting": InboundEvent.objects.filter(ingested_at__isnull=True).count(),
                    }

                def quiet() -> bool:
                    if sb.control.health()["pending_deliveries"]:
                        return False
                    return not any(backlog().values())

                def succeeded(ids: list[int]) -> int:
                    close_old_connections()
                    return (
                        SyncJob.objects.filter(
                            kind="order.upsert",
                            state=JobState.SUCCEEDED,
                            subject__in=[f"order:{i}" for i in ids],
                        )
                        .values("subject")
                        .distinct()
                        .count()
                    )

                # Warm-up: the first full stock sync, then a few orders through the whole pipeline.
                _wait(
                    lambda: (
                        StockLevel.objects.filter(shop=shop, sku__in=skus, pushed=START_STOCK).count()
                        >= len(skus)
                    ),
                    600,
                    "the first full stock sync",
                )
                options: dict[str, Any] = {
                    "discount_code": None,
                    "automatic_discount": False,
                    "gift_card": False,
                    "shipping": "STANDARD",
                }
                made: dict[int, float] = {}  # Shopify order id -> created_at (epoch)
                warm = sb.control.generate_orders(count=WARMUP_ORDERS, seed=s.seed, **options)
                made.update({int(o["id"]): _epoch(o["created_at"]) for o in warm})
                _wait(lambda: succeeded(list(made)) >= len(made) and quiet(), 600, "the warm-up orders")

                # The sale.
                if s.odoo_latency_ms > 0:
                    odoo.control.add_fault("latency", ms=s.odoo_latency_ms)
                odoo.control.reset_counters()
                sb.control.settings(reset_usage=True)
                first_job = SyncJob.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                assert odoo.process is not None
                meter = CpuMeter(
                    {
                        "web": server.pid,
                        "workers": cluster.pid,
                        "odoo": odoo.process.pid,
                        "shopify": sb.process.pid,
                    }
                )
                total_orders = round(s.orders_per_minute * s.minutes)
                total_changes = round(s.stock_per_minute * s.minutes)
                duration = s.minutes * 60.0
                writes: list[tuple[str, float]] = []
                peak = {"queued": 0, "running": 0, "waiting": 0}
                placed = changed = batch_no = 0
                started = time.time()
                next_sample = started
                while placed < total_orders or changed < total_changes:
                    elapsed = time.time() - started
                    due_orders = min(total_orders, int(elapsed / duration * total_orders) + 1)
                    due_changes = min(total_changes, int(elapsed / duration * total_changes) + 1)
                    if due_orders > placed:
                        batch_no += 1
                        got = sb.control.generate_orders(
                            count=due_orders - placed, seed=s.seed * 1_000_003 + batch_no, **options
                        )
                        made.update({int(o["id"]): _epoch(o["created_at"]) for o in got})
                        placed = due_orders
                    if due_changes > changed:
                        items: list[dict[str, Any]] = [
                            {
                                "sku": rng.choice(skus),
                                "quantity": rng.randint(START_STOCK // 2, START_STOCK - 1),
                                "location": "WH/Stock",
                            }
                            for _ in range(due_changes - changed)
                        ]
                        odoo.control.request("POST", "stock", {"items": items})
                        at = time.time()
                        writes.extend((str(item["sku"]), at) for item in items)
                        changed = due_changes
                    if time.time() >= next_sample:
                        for key, value in backlog().items():
                            peak[key] = max(peak[key], value)
                        next_sample = time.time() + 1.0
                    time.sleep(0.1)
                sale_end = time.time()

                # The drain: nothing pending in Shopify, nothing waiting, no job queued or running.
                def drained() -> bool:
                    if sb.control.health()["pending_deliveries"]:
                        return False
                    now = backlog()
                    for key, value in now.items():
                        peak[key] = max(peak[key], value)
                    return not any(now.values())

                drained_ok = True
                try:
                    _wait(drained, s.drain_timeout, "the drain", interval=0.5)
                    drain_s = time.time() - sale_end
                except RuntimeError:
                    drained_ok = False
                    drain_s = float("nan")
                # Stock: both streams read again after the last write, then quiet, before latencies are read.
                if drained_ok:
                    mark = datetime.fromtimestamp(time.time(), UTC)
                    try:
                        _wait(
                            lambda: (
                                OdooChangeCursor.objects.filter(
                                    shop=shop, stream__in=["stock.quant", "stock.move"], polled_at__gt=mark
                                ).count()
                                == 2
                            ),
                            300,
                            "a read of both stock streams",
                        )
                        _wait(drained, 300, "quiet after the last stock read")
                    except RuntimeError:  # reported as not drained, with what was measured
                        drained_ok = False
                cpu = meter.finish()
                usage = sb.control.shop().get("api_usage") or {"points": 0, "calls": 0, "operations": {}}
                counters = odoo.control.counters()
                odoo.control.clear_faults()

                # Order latency: Shopify's created_at to the first order.upsert success of the order.
                done_at: dict[str, float] = {}
                for subject, finished in (
                    SyncJob.objects.filter(kind="order.upsert", state=JobState.SUCCEEDED)
                    .exclude(finished_at=None)
                    .order_by("finished_at")
                    .values_list("subject", "finished_at")
                ):
                    if finished is not None:
                        done_at.setdefault(subject, finished.timestamp())
                sale_ids = [i for i in made if i not in {int(o["id"]) for o in warm}]
                order_lat = [done_at[f"order:{i}"] - made[i] for i in sale_ids if f"order:{i}" in done_at]
                booked = sorted(done_at[f"order:{i}"] for i in sale_ids if f"order:{i}" in done_at)
                booked_span = booked[-1] - booked[0] if booked else 0.0
                # Stock latency: each write to the first push that began after it and set the SKU. A push's
                # result is what its latest attempt set, also an attempt that set the falls and held the
                # raises back behind uncounted sales (sync/flows/stock.py), so that attempt's times count.
                # "In line": the first push that began after the write and compared the SKU with Shopify
                # (set it, or found it right: under a backlog of unbooked sales Shopify rightly stays lower
                # than Odoo, and nothing is set), from its ``checked_skus``. "First set": the first that set
                # it.
                pushes = []
                for job in SyncJob.objects.filter(kind="stock.push", pk__gt=first_job):
                    if not job.result or not (job.result.get("set_skus") or job.result.get("checked_skus")):
                        continue
                    attempt = JobAttempt.objects.filter(job=job).order_by("-number").first()
                    if attempt is not None and attempt.finished_at is not None:
                        pushes.append(
                            (
                                attempt.started_at.timestamp(),
                                attempt.finished_at.timestamp(),
                                set(job.result.get("set_skus") or ()),
                                set(job.result.get("checked_skus") or ()),
                            )
                        )
                held_attempts = JobAttempt.objects.filter(
                    job__kind="stock.push", job__pk__gt=first_job, error_message__contains="held back"
                ).count()
                pushes.sort()
                stock_lat: list[float] = []
                stock_set_lat: list[float] = []
                for sku, at in writes:
                    end = next((e for b, e, _, checked in pushes if b >= at and sku in checked), None)
                    if end is not None:
                        stock_lat.append(end - at)
                    end = next((e for b, e, set_, _ in pushes if b >= at and sku in set_), None)
                    if end is not None:
                        stock_set_lat.append(end - at)

                # Lost and duplicated, counted in Odoo itself.
                refs = [str(i) for i in made]
                read_at = datetime.fromtimestamp(time.time(), UTC)
                rows = odoo_client_for(shop.odoo).execute(
                    "sale.order",
                    "search_read",
                    domain=[("client_order_ref", "in", refs)],
                    fields=["client_order_ref", "state"],
                )
                per_ref: dict[str, int] = {}
                for row in rows:
                    per_ref[str(row["client_order_ref"])] = per_ref.get(str(row["client_order_ref"]), 0) + 1
                missing = {r for r in refs if r not in per_ref}
                # Not in Odoo but on its way: looked for from the pipeline's start to its end, so that an
                # order moving on meanwhile is met again further down.
                on_the_way: set[str] = set()
                if missing:
                    for status in ("pending", "sending", "held"):
                        on_the_way |= {
                            _order_id(d["body"])
                            for d in sb.control.deliveries(status=status)
                            if d["topic"].startswith("orders/")
                        }
                    on_the_way |= {
                        _order_id(bytes(raw))
                        for raw in InboundEvent.objects.filter(
                            ingested_at__isnull=True, topic__startswith="orders/"
                        )
                        .values_list("raw_body", flat=True)
                        .iterator()
                    }
                    on_the_way |= {
                        subject.split(":", 1)[1]
                        for subject in SyncJob.objects.filter(
                            kind="order.upsert", subject__in=[f"order:{r}" for r in missing]
                        )
                        .filter(Q(state__in=busy_states) | Q(finished_at__gt=read_at))
                        .values_list("subject", flat=True)
                    }
                still_queued = sorted(missing & on_the_way)
                lost = sorted(missing - on_the_way)
                duplicated = sorted(r for r, n in per_ref.items() if n > 1)
                parked = (
                    SyncJob.objects.filter(
                        kind="order.upsert",
                        subject__in=[f"order:{r}" for r in lost],
                        state__in=[JobState.NEEDS_ATTENTION, JobState.DEAD],
                    )
                    .values("subject")
                    .distinct()
                    .count()
                )
                jobs_total = SyncJob.objects.filter(pk__gt=first_job).count()
                jobs_by_kind = {
                    row["kind"]: row["n"]
                    for row in SyncJob.objects.filter(pk__gt=first_job)
                    .values("kind")
                    .annotate(n=Count("pk"))
                    .order_by("kind")
                }
                still_busy = SyncJob.objects.filter(state__in=busy_states).count()
            finally:
                stop(cluster)
    finally:
        stop(server)
    return {
        "scenario": asdict(s),
        "orders": len(sale_ids),
        "orders_checked": len(refs),
        "stock_changes": len(writes),
        "sale_seconds": sale_end - started,
        "order_latency_n": len(order_lat),
        "order_p50": statistics.median(order_lat) if order_lat else float("nan"),
        "order_p95": _pct(order_lat, 0.95),
        "order_max": max(order_lat) if order_lat else float("nan"),
        "orders_booked_per_minute": len(booked) / booked_span * 60 if booked_span > 0 else float("nan"),
        "stock_latency_n": len(stock_lat),
        "stock_p50": statistics.median(stock_lat) if stock_lat else float("nan"),
        "stock_p95": _pct(stock_lat, 0.95),
        "stock_set_latency_n": len(stock_set_lat),
        "stock_set_p50": statistics.median(stock_set_lat) if stock_set_lat else float("nan"),
        "stock_set_p95": _pct(stock_set_lat, 0.95),
        "stock_pushes": len(pushes),
        "stock_raises_held": held_attempts,
        "backlog_peak_queued": peak["queued"],
        "backlog_peak_running": peak["running"],
        "backlog_peak_waiting": peak["waiting"],
        "drained": drained_ok,
        "drain_seconds": drain_s,
        "still_busy": still_busy,
        "jobs": jobs_total,
        "shopify_points": usage["points"],
        "shopify_calls": usage["calls"],
        "shopify_operations": usage["operations"],
        "odoo_calls": counters["total"],
        "odoo_calls_by_method": {
            f"{model}.{method}": n
            for model, per in sorted(counters["calls"].items())
            for method, n in sorted(per.items())
        },
        "jobs_by_kind": jobs_by_kind,
        "cpu_web_s": cpu["web"],
        "cpu_workers_s": cpu["workers"],
        "cpu_postgresql_s": cpu["postgresql"],
        "cpu_standins_s": cpu["odoo"] + cpu["shopify"],
        "cpu_bench_s": cpu["bench"],
        "cpu_standins_bench_s": cpu["odoo"] + cpu["shopify"] + cpu["bench"],
        "cpu_seconds": cpu["seconds"],
        "cpu_ms_per_order": (
            (cpu["web"] + cpu["workers"] + cpu["postgresql"]) * 1000 / len(sale_ids)
            if sale_ids
            else float("nan")
        ),
        "odoo_orders_found": len(rows),
        "lost": len(lost),
        "lost_ids": lost[:20],
        "lost_parked": parked,
        "still_queued": len(still_queued),
        "still_queued_ids": still_queued[:20],
        "duplicated": len(duplicated),
        "duplicated_ids": duplicated[:20],
        "work_dir": str(work),
    }


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


# ------------------------------------------------------------------------------------------ reporting


ROWS: tuple[tuple[str, str, str], ...] = (
    ("orders placed by Shopify", "orders", "{:.0f}"),
    ("stock changes written in Odoo", "stock_changes", "{:.0f}"),
    ("sale lasted (s)", "sale_seconds", "{:.0f}"),
    ("webhook -> Odoo order p50 (s)", "order_p50", "{:.2f}"),
    ("webhook -> Odoo order p95 (s)", "order_p95", "{:.2f}"),
    ("webhook -> Odoo order max (s)", "order_max", "{:.2f}"),
    ("orders booked per minute", "orders_booked_per_minute", "{:.0f}"),
    ("stock change -> Shopify in line p50 (s)", "stock_p50", "{:.2f}"),
    ("stock change -> Shopify in line p95 (s)", "stock_p95", "{:.2f}"),
    ("stock changes measured in line", "stock_latency_n", "{:.0f}"),
    ("stock change -> first set p50 (s)", "stock_set_p50", "{:.2f}"),
    ("stock change -> first set p95 (s)", "stock_set_p95", "{:.2f}"),
    ("stock changes measured set", "stock_set_latency_n", "{:.0f}"),
    ("stock pushes measured", "stock_pushes", "{:.0f}"),
    ("push attempts holding raises back", "stock_raises_held", "{:.0f}"),
    ("backlog peak: queued jobs", "backlog_peak_queued", "{:.0f}"),
    ("backlog peak: deliveries not ingested", "backlog_peak_waiting", "{:.0f}"),
    ("drain after the sale (s)", "drain_seconds", "{:.1f}"),
    ("Shopify cost points spent", "shopify_points", "{:.0f}"),
    ("Shopify API calls", "shopify_calls", "{:.0f}"),
    ("Odoo calls", "odoo_calls", "{:.0f}"),
    ("CPU s: web", "cpu_web_s", "{:.1f}"),
    ("CPU s: queue workers", "cpu_workers_s", "{:.1f}"),
    ("CPU s: PostgreSQL", "cpu_postgresql_s", "{:.1f}"),
    ("CPU s: stand-ins + bench", "cpu_standins_bench_s", "{:.1f}"),
    ("our CPU ms per order", "cpu_ms_per_order", "{:.1f}"),
    ("orders checked in Odoo", "orders_checked", "{:.0f}"),
    ("still queued, not in Odoo yet", "still_queued", "{:.0f}"),
    ("LOST in Odoo (target 0)", "lost", "{:.0f}"),
    ("DUPLICATED in Odoo (target 0)", "duplicated", "{:.0f}"),
)


def report(results: list[dict[str, Any]], labels: list[str]) -> str:
    lines = [f"{'':40}" + "".join(f"{label:>18}" for label in labels)]
    for title, key, fmt in ROWS:
        lines.append(f"{title:40}" + "".join(f"{fmt.format(r[key]):>18}" for r in results))
    for label, r in zip(labels, results, strict=True):
        if r["lost"] or r["duplicated"] or r["still_queued"] or not r["drained"]:
            lines.append(
                f"{label}: lost {r['lost_ids']} ({r['lost_parked']} parked as needing attention), "
                f"still queued {r['still_queued_ids']}, duplicated {r['duplicated_ids']}, "
                f"drained {r['drained']}; see {r['work_dir']}"
            )
        total = sum(r[k] for k in ("cpu_web_s", "cpu_workers_s", "cpu_postgresql_s", "cpu_standins_bench_s"))
        lines.append(
            f"{label}: CPU s of the stand-ins {r['cpu_standins_s']:.1f} (subprocesses), of the bench "
            f"{r['cpu_bench_s']:.1f} (its process and database connection); all parts {total:.1f} CPU s in "
            f"{r['cpu_seconds']:.0f} s of sale and drain on {os.cpu_count()} cores "
            f"({total / (r['cpu_seconds'] * (os.cpu_count() or 1)):.0%} of them)"
        )
        lines.append(
            f"{label}: {r['order_latency_n']} order and {r['stock_latency_n']} stock latencies measured; "
            f"Shopify operations {r['shopify_operations']}"
        )
        lines.append(f"{label}: jobs by kind {r['jobs_by_kind']}")
        lines.append(f"{label}: Odoo calls by method {r['odoo_calls_by_method']}")
    return "\n".join(lines)


def _stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C (either, once), so the finally blocks stop the stand-ins, gunicorn and
    the cluster this process started instead of leaving them running (SIGTERM's default handler ends the
    process on the spot)."""

    def stop(signum: int, frame: Any) -> None:
        # once: a second Ctrl-C or the parent's SIGTERM must not interrupt the stopping itself
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def child(s: Scenario, out: Path) -> int:
    _stop_on_sigterm()
    setup_django(bench_database_url("_peak"))
    out.write_text(json.dumps(run(s)))
    return 0


def run_in_child(s: Scenario) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = Path(f.name)
    command = [sys.executable, __file__, "--child", json.dumps(asdict(s)), "--json-out", str(out)]
    proc = subprocess.Popen(command, cwd=ROOT)
    try:
        try:
            returncode = proc.wait()
        except BaseException:
            # Ctrl-C or SIGTERM here: the child stops what it started (its own SIGTERM handler) before we go
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise
        if returncode:
            raise subprocess.CalledProcessError(returncode, command)
        return json.loads(out.read_text())  # type: ignore[no-any-return]
    finally:
        out.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders-per-minute", type=float, default=3000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--stock-per-minute", type=float, default=1000)
    parser.add_argument("--odoo-latency-ms", type=float, default=150)
    parser.add_argument("--workers", type=int, default=16, help="django-q2 workers")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--drain-timeout", type=float, default=1800, help="seconds")
    parser.add_argument("--no-baseline", action="store_true", help="skip the 0 ms Odoo latency baseline")
    parser.add_argument("--json-out", type=Path, help="write the results as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    _stop_on_sigterm()
    if args.child:
        return child(Scenario(**json.loads(args.child)), args.json_out)

    scenario = Scenario(
        orders_per_minute=args.orders_per_minute,
        minutes=args.minutes,
        stock_per_minute=args.stock_per_minute,
        odoo_latency_ms=args.odoo_latency_ms,
        workers=args.workers,
        web_workers=args.web_workers,
        seed=args.seed,
        drain_timeout=args.drain_timeout,
    )
    runs = [(f"Odoo {scenario.odoo_latency_ms:.0f} ms", scenario)]
    if not args.no_baseline:
        runs.append(("baseline 0 ms", Scenario(**{**asdict(scenario), "odoo_latency_ms": 0})))
    results = [run_in_child(s) for _, s in runs]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"\nFlash sale ({stamp}): {scenario.orders_per_minute:.0f} orders/min for {scenario.minutes:g} min, "
        f"{scenario.stock_per_minute:.0f} Odoo stock changes/min, {scenario.workers} queue workers, "
        f"{scenario.web_workers} gunicorn workers"
    )
    if len(runs) > 1:
        print(
            "Baseline: the same orders and stock changes with 0 ms Odoo latency, so the difference is what "
            "Odoo's latency costs and the rest is the pipeline's own."
        )
    vacuum = _autovacuum()
    print(
        f"PostgreSQL autovacuum: {vacuum}"
        + (
            " (a server run so does not remove the dead entries each ingested delivery leaves in the inbox's "
            "index; production keeps it on: docs/deployment.md)"
            if vacuum == "off"
            else ""
        )
    )
    print(report(results, [label for label, _ in runs]))
    if args.json_out:
        args.json_out.write_text(json.dumps(results))
    return 0 if all(r["lost"] == 0 and r["duplicated"] == 0 and r["drained"] for r in results) else 1


def _autovacuum() -> str:
    """The server's autovacuum setting (the embedded server's is PostgreSQL's default, on)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "on (embedded server)"
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW autovacuum").fetchone()
    return str(row[0]) if row else "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
