"""Console benchmark with a year of data: ``python bench/console.py [--jobs 3000000] [--deliveries 3000000]
[--problems 10000] [--repeat 20]``.

p50 / p95 of the dashboard, the exception queue, the job list, a job search and a problem's page, first on
an empty database (one shop each, one problem, one job), then after a generator has filled the same database
with a year of a busy shop's data: jobs, webhook deliveries (inbox rows, each with its job) and problems,
written by PostgreSQL itself (INSERT ... SELECT generate_series: 3 million rows in about a minute), and
ANALYZEd. Requests go through the whole Django stack in-process (test client, logged-in superuser), so the
figures are the server's time without the network.

It uses its own database (``<DATABASE_URL's name>_console_bench``), dropped and created at the start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHOPS = ("bench-a.myshopify.com", "bench-b.myshopify.com", "bench-c.myshopify.com")


def database_url() -> str:
    import psycopg

    base = os.environ.get("DATABASE_URL")
    if not base:
        raise SystemExit("set DATABASE_URL (PostgreSQL) for the benchmark's own database")
    parts = urlsplit(base)
    name = (parts.path.lstrip("/") or "opsconsole") + "_console_bench"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("OPSCONSOLE_HTTPS", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed_minimum() -> None:
    """What the empty database holds: the shops, one problem and its one parked job."""
    from django.utils import timezone

    from sync.models import OdooConnection, Problem, ShopifyShop, SyncJob

    odoo = OdooConnection.objects.create(
        name="bench", url="http://127.0.0.1:9", database="x", login="x", secret="x"
    )
    for domain in SHOPS:
        ShopifyShop.objects.create(
            domain=domain,
            admin_url="http://127.0.0.1:9",
            api_version="2026-07",
            access_token="x",
            client_secret="x",
            odoo=odoo,
        )
    shop = ShopifyShop.objects.order_by("pk").first()
    now = timezone.now()
    problem = Problem.objects.create(
        shop=shop,
        fingerprint="seed|missing_product_mapping|SKU-0",
        title="No product mapping for SKU-0",
        error_class="BusinessRuleError",
        error_code="missing_product_mapping",
        error_key="SKU-0",
        message="no product mapping for SKU-0",
        flow="orders",
        status="open",
        first_seen=now,
        last_seen=now,
        status_changed_at=now,
    )
    SyncJob.objects.create(
        kind="order.upsert",
        flow="orders",
        shop=shop,
        idempotency_key="seed:1",
        subject="order:1",
        subject_label="#1",
        state="needs_attention",
        problem=problem,
        error_code="missing_product_mapping",
        error_key="SKU-0",
    )


GENERATE = [
    # Problems: one cause each (unique per shop); a third open, the rest resolved / ignored / snoozed.
    """
    INSERT INTO sync_problem (shop_id, fingerprint, title, error_class, error_code, error_key, message, flow,
        finance, status, times_seen, first_seen, last_seen, snooze_until, snooze_remaining,
        status_changed_at)
    SELECT s.ids[1 + g %% array_length(s.ids, 1)], 'gen|missing_product_mapping|SKU-' || g,
        'No product mapping for SKU-' || g, 'BusinessRuleError', 'missing_product_mapping', 'SKU-' || g,
        'no product mapping for SKU-' || g, (ARRAY['orders','stock','customers','catalogue'])[1 + g %% 4],
        g %% 50 = 0, (ARRAY['open','resolved','resolved','ignored','snoozed','resolved'])[1 + g %% 6],
        1 + g %% 40, now() - interval '365 days' * random(), now() - interval '30 days' * random(),
        CASE WHEN g %% 6 = 4 THEN now() + interval '7 days' END, NULL, now() - interval '30 days' * random()
    FROM generate_series(1, %(problems)s) g, (SELECT array_agg(id ORDER BY id) ids FROM sync_shopifyshop) s
    """,
    # Webhook deliveries: the inbox rows, spread over a year, each ingested by a worker when received (a small
    # body: the size is not what is measured).
    """
    INSERT INTO sync_inboundevent (shop_id, topic, webhook_id, event_id, triggered_at, api_version, headers,
        raw_body, payload, parse_error, subject_id, payload_updated_at, received_at, ingested_at,
        correlation_id, ingest_failures, ingest_retry_at, ingest_error, purged_at, handled_as)
    SELECT s.ids[1 + g %% array_length(s.ids, 1)], t.topic, 'wh-' || g, 'ev-' || g, at, '2026-07',
        '{}'::jsonb,
        convert_to('{"id":' || (6000000000 + g) || '}', 'UTF8'),
        jsonb_build_object('id', 6000000000 + g, 'name', '#' || g), '', (6000000000 + g)::text, at, at, at,
        NULL, 0, NULL, '', NULL, ''
    FROM generate_series(1, %(deliveries)s) g
    CROSS JOIN LATERAL (SELECT now() - interval '365 days' * (1 - g::float / %(deliveries)s) AS at) a
    CROSS JOIN LATERAL (SELECT (ARRAY['orders/create','orders/updated','inventory_levels/update',
        'customers/update','orders/create'])[1 + g %% 5] AS topic) t,
        (SELECT array_agg(id ORDER BY id) ids FROM sync_shopifyshop) s
    """,
    # Jobs: one per delivery while there are deliveries, then jobs made by streams (stock, catalogue);
    # 98 % succeeded, the rest parked on a problem, dead, retrying or queued.
    """
    INSERT INTO sync_syncjob (kind, flow, shop_id, event_id, idempotency_key, subject, subject_label, input,
        state, priority, attempts, max_attempts, next_attempt_at, lease_expires_at, correlation_id,
        mapping_version, source_updated_at, error_class, error_code, error_key, error_message, error_context,
        fingerprint, finance, result, problem_id, closed_note, created_at, updated_at, finished_at)
    SELECT k.kind, k.flow, s.ids[1 + g %% array_length(s.ids, 1)],
        CASE WHEN g <= %(deliveries)s THEN g + e.first - 1 END, 'gen:' || g,
        k.subject_kind || ':' || (6000000000 + g), CASE WHEN k.flow = 'orders' THEN '#' || g ELSE '' END,
        NULL, st.state, CASE WHEN k.flow IN ('catalogue', 'customers') THEN 1 ELSE 0 END,
        1, 8, CASE WHEN st.state = 'retrying' THEN now() + interval '5 minutes' END, NULL,
        gen_random_uuid(), 1, at,
        CASE WHEN st.parked THEN 'BusinessRuleError' ELSE '' END,
        CASE WHEN st.parked THEN 'missing_product_mapping' ELSE '' END,
        CASE WHEN st.parked THEN 'SKU-' || (1 + g %% %(problems)s) ELSE '' END,
        CASE WHEN st.parked THEN 'no product mapping' ELSE '' END, NULL, '', false,
        CASE WHEN st.state = 'succeeded' AND k.flow = 'orders' THEN jsonb_build_object('outcome', 'created',
            'odoo_order_id', g, 'odoo_order_name', 'S' || lpad(g::text, 7, '0')) END,
        CASE WHEN st.parked THEN p.first + g %% %(problems)s END, '', at, at,
        CASE WHEN st.state = 'succeeded' THEN at + interval '2 seconds' END
    FROM generate_series(1, %(jobs)s) g
    CROSS JOIN LATERAL (SELECT now() - interval '365 days' * (1 - g::float / %(jobs)s) AS at) a
    CROSS JOIN LATERAL (SELECT * FROM (VALUES
        (0, 'order.upsert', 'orders', 'order'), (1, 'order.upsert', 'orders', 'order'),
        (2, 'stock.level_update', 'stock', 'sku'), (3, 'customer.upsert', 'customers', 'customer'),
        (4, 'order.upsert', 'orders', 'order'), (5, 'catalogue.push', 'catalogue', 'product'))
        v(n, kind, flow, subject_kind) WHERE v.n = g %% 6) k
    CROSS JOIN LATERAL (SELECT CASE WHEN g %% 1000 < 980 THEN 'succeeded' WHEN g %% 1000 < 990
        THEN 'needs_attention' WHEN g %% 1000 < 993 THEN 'dead' WHEN g %% 1000 < 996 THEN 'retrying'
        WHEN g %% 1000 < 998 THEN 'resolved' ELSE 'queued' END AS state) st0
    CROSS JOIN LATERAL (SELECT st0.state, st0.state IN ('needs_attention', 'dead') AS parked) st,
        (SELECT array_agg(id ORDER BY id) ids FROM sync_shopifyshop) s,
        (SELECT coalesce(min(id), 0) AS first FROM sync_inboundevent WHERE webhook_id LIKE 'wh-%%') e,
        (SELECT coalesce(min(id), 0) AS first FROM sync_problem WHERE fingerprint LIKE 'gen|%%') p
    """,
]


def generate(*, jobs: int, deliveries: int, problems: int) -> float:
    from django.db import connection

    started = time.perf_counter()
    params = {"jobs": jobs, "deliveries": min(deliveries, jobs), "problems": max(problems, 1)}
    extra_deliveries = deliveries - params["deliveries"]
    with connection.cursor() as cursor:
        for sql in GENERATE:
            cursor.execute(sql, params)
        if extra_deliveries > 0:  # more deliveries than jobs: the rest without a job of their own
            cursor.execute(
                GENERATE[1].replace("'wh-' || g", "'wh-x' || g").replace("'ev-' || g", "'ev-x' || g"),
                {**params, "deliveries": extra_deliveries},
            )
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def pages() -> dict[str, str]:
    from sync.models import Problem, SyncJob

    problem = Problem.objects.filter(status="open").order_by("-times_seen", "pk").first()
    searched = (
        SyncJob.objects.filter(flow="orders", state="succeeded")
        .order_by("-pk")
        .values("subject_label")
        .first()
    )
    label = (searched or {}).get("subject_label") or "#1"
    return {
        "dashboard": "/",
        "exceptions": "/exceptions/",
        "jobs list": "/jobs/",
        f"job search ({label})": f"/jobs/?q={label.replace('#', '%23')}",
        "problem page": f"/exceptions/{problem.pk}/" if problem else "/exceptions/",
    }


def measure(repeat: int) -> dict[str, tuple[float, float, int]]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    user_model = get_user_model()
    user = user_model.objects.filter(username="bench").first() or user_model.objects.create_superuser(
        "bench", "bench@example.net", "bench-password"
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    figures: dict[str, tuple[float, float, int]] = {}
    # the deployed manifest storage needs collectstatic; the bench serves static names as they are
    plain = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain):
        for name, path in pages().items():
            figures[name.split(" (")[0]] = _timed(client, path, repeat)
    return figures


def _timed(client: Any, path: str, repeat: int) -> tuple[float, float, int]:
    status = client.get(path).status_code  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        status = response.status_code
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return (statistics.median(times), p95, status)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=3_000_000)
    parser.add_argument("--deliveries", type=int, default=None, help="default: as many as jobs")
    parser.add_argument("--problems", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    deliveries = args.jobs if args.deliveries is None else args.deliveries

    setup_django(database_url())
    seed_minimum()
    empty = measure(args.repeat)
    seconds = generate(jobs=args.jobs, deliveries=deliveries, problems=args.problems)
    full = measure(args.repeat)

    print(
        f"Console pages, {args.repeat} requests each, in-process (Django test client), p50 / p95 in ms; "
        f"generated {args.jobs:,} jobs, {deliveries:,} webhook deliveries, {args.problems:,} problems "
        f"in {seconds:.0f} s"
    )
    print(f"{'page':<14}{'empty p50':>11}{'empty p95':>11}{'full p50':>11}{'full p95':>11}{'status':>8}")
    for name, (p50, p95, status) in full.items():
        e50, e95, _ = empty[name]
        print(f"{name:<14}{e50:>11.1f}{e95:>11.1f}{p50:>11.1f}{p95:>11.1f}{status:>8}")
    print("target: p95 under 300 ms with a year of data")
    return 0


if __name__ == "__main__":
    sys.exit(main())
