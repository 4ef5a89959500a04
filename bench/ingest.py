"""Ingest and pipeline benchmark: ``python bench/ingest.py`` (or ``make bench``).

1. Webhook ingest under gunicorn (4 workers, gthread as gunicorn.conf.py runs them) at concurrency 32:
   requests per second and p50 / p99
   latency of ``POST /webhooks/shopify`` (HMAC, then the delivery's row in one INSERT; parsing,
   validation, the job and its queue entry are a worker's inbox pump's: sync/engine/ingest.py), side by
   side in the same run with ``POST /bench/bare``, the same Django stack inserting one row. Both get the
   same body: Shopify's published orders/create payload (~17 KB compact), the same server, warmed up, in
   interleaved rounds; the ratio printed is the median of the rounds' own ratios. Beside it, the CPU time
   the server (gunicorn workers and their PostgreSQL backends, from /proc) spent per request: other work
   on a shared machine moves requests per second far more than it moves that.
2. Pipeline: orders placed in the Shopify sandbox, delivered as signed webhooks to the same server, run by
   a real django-q2 cluster against the Odoo sandbox. Orders per second from placement to confirmed Odoo
   order, and Odoo calls per order from the Odoo sandbox's own counters, in steady state (a known
   customer, mappings and Odoo clients warm).

It uses its own database (``<DATABASE_URL's name>_bench``, or ``opsconsole_bench`` on the embedded server),
dropped and created at the start. Absolute numbers depend on the machine; the ratio to the baseline in the
same run is the figure to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "bench-client-secret"
SHOP = "demo.myshopify.com"
PORT = 8911
REFERENCE_ORDER = ROOT / "tests" / "transforms" / "data" / "app-js-2025-01-order.json"


# ------------------------------------------------------------------------------------------- database


def bench_database_url(suffix: str = "_bench") -> str:
    """A fresh database (dropped and created) named after DATABASE_URL's with ``suffix``: a benchmark that
    may run beside another (bench/peak.py beside its e2e test) passes its own suffix."""
    import psycopg

    base = os.environ.get("DATABASE_URL")
    if base:
        parts = urlsplit(base)
        admin = urlunsplit(parts._replace(path="/postgres"))
        name = (parts.path.lstrip("/") or "opsconsole") + suffix
        url = urlunsplit(parts._replace(path=f"/{name}"))
        conninfo = admin
    else:
        from opsconsole.embedded_pg import database_settings

        socket_dir = str(database_settings()["HOST"])
        name = f"opsconsole{suffix}"
        url = f"postgres://postgres@{quote(socket_dir, safe='')}/{name}"
        conninfo = f"host={socket_dir} user=postgres dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("OPSCONSOLE_HTTPS", "0")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, body bytea NOT NULL, "
            "received_at timestamptz NOT NULL DEFAULT now())"
        )


# ------------------------------------------------------------------------------------------------ load


def signed(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def order_body(i: int, template: dict) -> bytes:  # type: ignore[type-arg]
    oid = 9_000_000_000 + i
    order = {**template, "id": oid, "admin_graphql_api_id": f"gid://shopify/Order/{oid}", "name": f"#B{i}"}
    return json.dumps(order, separators=(",", ":")).encode()


def prepared(
    *,
    requests: int,
    webhook: bool,
    template: dict,  # type: ignore[type-arg]
    offset: int,
) -> list[tuple[bytes, dict[str, str]]]:
    """Every request's body and headers, made (and signed) before the clock starts: the load generator
    shares the machine with the server, so its own work must not be charged to one endpoint."""
    out = []
    for i in range(requests):
        body = order_body(offset + i, template)
        headers = {"Content-Type": "application/json"}
        if webhook:
            headers.update(
                {
                    "X-Shopify-Topic": "orders/create",
                    "X-Shopify-Shop-Domain": SHOP,
                    "X-Shopify-API-Version": "2026-07",
                    "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                    "X-Shopify-Event-Id": str(uuid.uuid4()),
                    "X-Shopify-Triggered-At": "2026-11-22T10:00:00Z",
                    "X-Shopify-Hmac-Sha256": signed(body),
                }
            )
        out.append((body, headers))
    return out


async def load(url: str, batch: list[tuple[bytes, dict[str, str]]], *, concurrency: int) -> dict[str, float]:
    import aiohttp

    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    pending = iter(batch)

    async def worker(session: aiohttp.ClientSession) -> None:
        for body, headers in pending:
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                statuses[response.status] += 1
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(batch) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "ok": statuses.get(200, 0),
        "errors": sum(n for s, n in statuses.items() if s != 200),
    }


def start_gunicorn(url: str, workers: int, port: int = PORT) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "OPSCONSOLE_HTTPS": "0",
    }
    log = open(Path(tempfile.gettempdir()) / "opsconsole-bench-gunicorn.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "opsconsole.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--backlog",
            "2048",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    import urllib.request

    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def cpu_seconds(pid: int, *, reaped: bool = False) -> float | None:
    """CPU seconds (user + system) process ``pid`` used so far; with ``reaped``, plus those of its children
    that ended and were waited for (the kernel adds them to the parent's count when it reaps them)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def backend_pids() -> list[int]:
    """The PostgreSQL client backends of the benchmark's database but our own connection's."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        return [pid for (pid,) in cursor.fetchall()]


def server_cpu(server_pid: int) -> dict[int, float]:
    """CPU seconds used so far by each gunicorn worker (children of ``server_pid``) and each PostgreSQL
    backend of the benchmark's database but our own (Linux /proc, PostgreSQL on this host): the work of
    serving, which other work on the machine barely changes, unlike requests per second."""
    pids = list(worker_pids(server_pid)) + backend_pids()
    return {pid: cpu for pid in pids if (cpu := cpu_seconds(pid)) is not None}


def cpu_used(before: dict[int, float], after: dict[int, float], only: set[int] | None = None) -> float:
    """CPU seconds between two snapshots (a process that ended in between is not counted; one that started
    counts from zero), of the processes in ``only`` when given."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items() if only is None or pid in only)


def _parents() -> dict[int, int]:
    """Every process's parent (Linux /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    return parents


def worker_pids(server_pid: int) -> set[int]:
    """The gunicorn workers (children of the arbiter)."""
    return {pid for pid, parent in _parents().items() if parent == server_pid}


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by process ``root`` and all its descendants, those that ended and were
    reaped included: the difference of two readings is the tree's CPU in between however its processes came
    and went (gunicorn and django-q2 recycle their workers). One that ended unreaped, or whose parent ended
    first, is missed."""
    parents = _parents()
    tree, grown = {root}, True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grown = bool(more)
    return sum(cpu for pid in tree if (cpu := cpu_seconds(pid, reaped=True)) is not None)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


# -------------------------------------------------------------------------------------------- pipeline


def run_pipeline(url: str, *, orders: int, warmup: int) -> dict[str, float]:
    from django.db import close_old_connections

    from bench.harness import connect_shop, start_cluster
    from sandbox.odoo.testing import odoo_sandbox
    from sandbox.shopify.testing import running_sandbox
    from sync.engine.sweep import jobs_sweep
    from sync.models import JobAttempt, JobState, SyncJob

    work = Path(tempfile.mkdtemp(prefix="opsconsole-bench-"))
    with (
        odoo_sandbox(work / "odoo", version=19, seed=True) as odoo,
        running_sandbox(data_dir=work / "shopify") as sb,
    ):
        sb.control.settings(
            restore_rate=1000, maximum=10000
        )  # a Plus shop: Shopify's bucket is not the limit
        connect_shop(odoo, sb, f"http://127.0.0.1:{PORT}/webhooks/shopify")
        cluster = start_cluster(work / "worker.log", DATABASE_URL=url, OPSCONSOLE_Q_WORKERS="2")
        try:
            customer = sb.control.create_customer(
                email="bench.customer@example.net", first_name="Bench", last_name="Customer"
            )
            options = {
                "customer_id": customer["id"],
                "skus": ["MERINOTE-M-NAVY", "CERAMICM-SAND"],
                "quantity": 1,
                "shipping": "STANDARD",
                "discount_code": None,
                "automatic_discount": False,
                "gift_card": False,
                "presentment_currency": "EUR",
            }

            def succeeded() -> int:
                close_old_connections()
                jobs_sweep()
                return SyncJob.objects.filter(kind="order.upsert", state=JobState.SUCCEEDED).count()

            def wait_for(n: int, timeout: float) -> None:
                deadline = time.monotonic() + timeout
                while succeeded() < n:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"pipeline stalled; see {work}")
                    time.sleep(0.1)

            sb.control.generate_orders(count=warmup, **options)
            wait_for(warmup, 300)
            time.sleep(1.0)  # let the warm-up's other topics (customers/update, ...) finish
            wait_for(warmup, 60)
            odoo.control.reset_counters()
            first_job = SyncJob.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            started = time.perf_counter()
            sb.control.generate_orders(count=orders, **options)
            wait_for(warmup + orders, 600)
            elapsed = time.perf_counter() - started
            time.sleep(1.0)
            jobs_sweep()
            counters = odoo.control.counters()
            order_attempts = JobAttempt.objects.filter(job__kind="order.upsert", job__pk__gt=first_job)
            trips = sum(sum(c.get("round_trips", 0) for c in a.external_calls) for a in order_attempts)
        finally:
            stop(cluster)
    return {
        "orders": orders,
        "seconds": elapsed,
        "orders_per_s": orders / elapsed,
        "odoo_calls_per_order": counters["total"] / orders,
        "order_job_round_trips": trips / orders,
        # the order's own look-up, create and confirm (a look-up only after an attempt that may have written)
        "create_confirm_per_order": sum(
            counters["calls"].get("sale.order", {}).get(m, 0)
            for m in ("search_read", "web_save", "create", "action_confirm")
        )
        / orders,
        "calls": counters["calls"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=500, help="requests per endpoint before the rounds")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--skip-pipeline", action="store_true")
    parser.add_argument(
        "--body",
        choices=["reference", "small"],
        default="reference",
        help="Shopify's published order (~17 KB) or a minimal order (~0.5 KB)",
    )
    args = parser.parse_args()

    url = bench_database_url()
    setup_django(url)
    from sync.models import OdooConnection, ShopifyShop

    odoo = OdooConnection.objects.create(
        name="bench", url="http://127.0.0.1:9", database="x", login="x", secret="x"
    )
    ShopifyShop.objects.create(
        domain=SHOP,
        admin_url="http://127.0.0.1:9",
        api_version="2026-07",
        access_token="x",
        client_secret=SECRET,
        odoo=odoo,
    )
    template = json.loads(REFERENCE_ORDER.read_text())
    if args.body == "small":
        template = {
            k: template[k]
            for k in (
                "email",
                "created_at",
                "updated_at",
                "currency",
                "total_price",
                "subtotal_price",
                "total_tax",
                "financial_status",
                "taxes_included",
            )
        }
        template["line_items"] = [{"sku": "MERINOTE-M-NAVY", "quantity": 1, "price": "39.00"}]
    server = start_gunicorn(url, args.workers)
    try:
        base = f"http://127.0.0.1:{PORT}"
        endpoints = (
            ("bare view (1 insert)", "/bench/bare", False),
            ("POST /webhooks/shopify", "/webhooks/shopify", True),
        )
        load_before = os.getloadavg()
        # Warm-up: every worker process and thread opens its database connection, imports and caches.
        for n, (_, path, webhook) in enumerate(endpoints):
            batch = prepared(requests=args.warmup, webhook=webhook, template=template, offset=n * 10_000_000)
            asyncio.run(load(f"{base}{path}", batch, concurrency=args.concurrency))
        # Rounds: both endpoints back to back, the order alternating (ABBA), so that a machine that speeds
        # up or slows down (other work on it) affects both alike; the figure is the median of the rounds'
        # own ratios, which one disturbed round cannot move much.
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in endpoints}
        ratios: list[float] = []
        for round_ in range(args.rounds):
            order = endpoints if round_ % 2 == 0 else endpoints[::-1]
            this: dict[str, float] = {}
            for name, path, webhook in order:
                offset = (round_ + 2) * 20_000_000 + (webhook and 10_000_000)
                batch = prepared(requests=args.requests, webhook=webhook, template=template, offset=offset)
                cpu_before = server_cpu(server.pid)
                r = asyncio.run(load(f"{base}{path}", batch, concurrency=args.concurrency))
                cpu_after = server_cpu(server.pid)
                r["cpu_ms"] = cpu_used(cpu_before, cpu_after) / len(batch) * 1000
                web = cpu_used(cpu_before, cpu_after, worker_pids(server.pid))
                r["web_cpu_ms"] = web / len(batch) * 1000
                rounds[name].append(r)
                this[name] = r["rps"]
            ratios.append(this["POST /webhooks/shopify"] / this["bare view (1 insert)"])
        load_after = os.getloadavg()
        cpu_ratios = [
            b["cpu_ms"] / h["cpu_ms"]
            for b, h in zip(rounds["bare view (1 insert)"], rounds["POST /webhooks/shopify"], strict=True)
        ]
        size = len(order_body(0, template))
        print(
            f"\nWebhook ingest: gunicorn {args.workers} workers as gunicorn.conf.py runs them (gthread), "
            f"concurrency {args.concurrency}, body {size} bytes; {args.warmup} warm-up requests each, then "
            f"{args.rounds} rounds of {args.requests} requests each, alternating which goes first"
        )
        print(
            f"{'endpoint':<26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'200s':>7}{'errors':>8}{'CPU ms':>8}"
            f"{'of it web':>10}"
            "   (medians of the rounds)"
        )
        for name, rs in rounds.items():
            print(
                f"{name:<26}{statistics.median(r['rps'] for r in rs):>9.0f}"
                f"{statistics.median(r['p50_ms'] for r in rs):>9.1f}"
                f"{statistics.median(r['p99_ms'] for r in rs):>9.1f}"
                f"{sum(r['ok'] for r in rs):>7.0f}{sum(r['errors'] for r in rs):>8.0f}"
                f"{statistics.median(r['cpu_ms'] for r in rs):>8.2f}"
                f"{statistics.median(r['web_cpu_ms'] for r in rs):>10.2f}"
            )
        print(
            f"{'ratio webhook / bare':<26}{statistics.median(ratios):>9.2f}   (target >= 0.80; median of the "
            f"rounds' ratios; rounds: {' '.join(f'{r:.2f}' for r in ratios)})"
        )
        print(
            f"{'CPU per request bare / webhook':<26}{statistics.median(cpu_ratios):>9.2f}   (gunicorn workers"
            f" and their PostgreSQL backends; rounds: {' '.join(f'{r:.2f}' for r in cpu_ratios)})"
        )
        print(
            "load average (1, 5, 15 min) before: "
            + ", ".join(f"{x:.2f}" for x in load_before)
            + "; after: "
            + ", ".join(f"{x:.2f}" for x in load_after)
        )

        if not args.skip_pipeline:
            from sync.models import InboundEvent, SyncJob

            InboundEvent.objects.all().delete()
            SyncJob.objects.all().delete()
            from django_q.models import OrmQ

            OrmQ.objects.all().delete()
            ShopifyShop.objects.all().delete()
            OdooConnection.objects.all().delete()
            p = run_pipeline(url, orders=args.orders, warmup=3)
            print(
                f"\nPipeline: {p['orders']} orders, webhook → confirmed Odoo sale order, 2 queue workers, "
                "Odoo sandbox 19 over JSON-RPC"
            )
            print(f"{'orders per second':<34}{p['orders_per_s']:>8.2f}   ({p['seconds']:.1f} s)")
            print(
                f"{'Odoo calls per order (counters)':<34}{p['odoo_calls_per_order']:>8.2f}   "
                "(all models, invoice and payment included)"
            )
            print(f"{'order job round trips per order':<34}{p['order_job_round_trips']:>8.2f}")
            print(
                f"{'sale.order look-up+create+confirm':<34}{p['create_confirm_per_order']:>8.2f}   "
                "(target 2: create and confirm)"
            )
            print(
                "Odoo calls by model.method: "
                + ", ".join(
                    f"{m}.{meth}={n}" for m, v in sorted(p["calls"].items()) for meth, n in sorted(v.items())
                )
            )
    finally:
        stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
