"""Order completeness benchmark: ``python bench/reconcile.py [--days 1 7 30] [--per-day 10000]``.

A shop taking 10,000 orders a day, reconciled for 1, 7 and 30 days (about 300,000 orders for the month)
through the real service (reconciliation/services/orders.py: matchers, discrepancy rows, backfill jobs, the
database) with the data generated rather than placed in the stand-ins, which would take hours to hold a
month of orders. The generated Shopify side behaves as the connector does: ``ordersCount`` says AT_LEAST
past 10,000, so every window here goes through the bulk export, whose JSONL lines are produced as text and
parsed by the connector's own parser, one line at a time; the Odoo side answers ``search_read`` pages.
About 0.3 % of the orders differ (missing in Odoo, total differs, cancelled in Shopify only) and one Odoo
order a day is unknown to Shopify, so the writes a real month causes are in the figures.

Each window runs in a fresh process: wall time and the process's CPU time (the steadier figure on a shared
machine), per 1,000 orders, and memory: the peak resident set during the run (Linux VmHWM, reset just
before it) and its growth over the resident set at the start of the run, after Django is loaded.
Linear time and bounded memory mean: time per 1,000 orders stays flat across windows, and the growth does
not follow the window's size.

It uses its own database (``<DATABASE_URL's name>_reconcile_bench``), dropped and created at the start.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DAY0 = datetime(2026, 10, 1, tzinfo=UTC)
ID0 = 6_000_000_000
ODOO_ONLY_REF0 = 9_000_000_000


def database_url() -> str:
    import psycopg

    base = os.environ.get("DATABASE_URL")
    if not base:
        raise SystemExit("set DATABASE_URL (PostgreSQL) for the benchmark's own database")
    parts = urlsplit(base)
    name = (parts.path.lstrip("/") or "opsconsole") + "_reconcile_bench"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("OPSCONSOLE_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    import django

    django.setup()


# --------------------------------------------------------------------------------- generated systems


class Shop:
    """The month's orders, as a function of their index: nothing is held in memory."""

    def __init__(self, per_day: int):
        self.per_day = per_day
        self.step = 86400 / per_day

    def index_range(self, since: datetime, until: datetime) -> range:
        first = max(0, int(-(-(since - DAY0).total_seconds() // self.step)))
        last = int(-(-(until - DAY0).total_seconds() // self.step))
        return range(first, last)

    def created(self, i: int) -> datetime:
        return DAY0 + timedelta(seconds=i * self.step)

    @staticmethod
    def total(i: int) -> Decimal:
        return Decimal(1999 + (i * 37) % 20000) / 100

    @staticmethod
    def shopify_cancelled(i: int) -> bool:
        return i % 4001 == 7 or i % 211 == 3  # the first: Odoo does not know (a discrepancy)

    @staticmethod
    def odoo_missing(i: int) -> bool:
        return i % 997 == 0

    @staticmethod
    def odoo_total(i: int) -> Decimal:
        return Shop.total(i) + (Decimal("0.01") if i % 1999 == 5 else 0)

    @staticmethod
    def odoo_state(i: int) -> str:
        return "cancel" if (i % 211 == 3) else "sale"


class FakeShopify:
    def __init__(self, shop: Shop):
        self.shop = shop
        self.window: tuple[datetime, datetime] | None = None

    def orders_count(self, *, created_at_min: datetime, query: str, limit: int) -> Any:
        from sync.connectors.shopify.types import OrdersCount

        until = datetime.fromisoformat(query.split("'")[1])
        count = len(self.shop.index_range(created_at_min, until))
        return OrdersCount(limit, "AT_LEAST") if count >= limit else OrdersCount(count, "EXACT")

    def start_orders_export(self, *, since: datetime, until: datetime) -> Any:
        self.window = (since, until)
        return self._operation("RUNNING")

    def bulk_operation(self, operation_id: str) -> Any:
        return self._operation("COMPLETED")

    def _operation(self, status: str) -> Any:
        from sync.connectors.shopify.types import BulkOperation

        return BulkOperation(
            "gid://shopify/BulkOperation/1",
            status,
            "QUERY",
            None,
            DAY0,
            None,
            0,
            0,
            None,
            "https://storage.example/export.jsonl",
            None,
            "",
        )

    def exported_orders(self, operation: Any) -> Iterator[Any]:
        from sync.connectors.shopify.client import _order_ref

        assert self.window is not None
        for i in self.shop.index_range(*self.window):
            created = self.shop.created(i).isoformat().replace("+00:00", "Z")
            line = json.dumps(
                {
                    "id": f"gid://shopify/Order/{ID0 + i}",
                    "legacyResourceId": str(ID0 + i),
                    "name": f"#{100000 + i}",
                    "createdAt": created,
                    "updatedAt": created,
                    "cancelledAt": created if self.shop.shopify_cancelled(i) else None,
                    "displayFinancialStatus": "PAID",
                    "totalPriceSet": {
                        "shopMoney": {"amount": str(self.shop.total(i)), "currencyCode": "EUR"}
                    },
                }
            )
            yield _order_ref(json.loads(line))  # the connector's parser, one JSONL line at a time

    def order_refs(self, order_ids: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for order_id in order_ids:
            number = int(order_id)
            out[f"gid://shopify/Order/{number}"] = None if number >= ODOO_ONLY_REF0 else object()
        return out

    def ensure_webhook_subscriptions(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the bench shop has no callback URL")


class FakeOdoo:
    """Odoo's sale orders: one per Shopify order (but the missing ones), plus one a day Shopify lacks;
    ids follow creation, so that a creation window is an id range."""

    def __init__(self, shop: Shop):
        self.shop = shop
        self.calls = 0

    def _row(self, i: int) -> Any:
        from sync.connectors.odoo import SaleOrderSummary

        if i < 0:  # an Odoo-only order of day -i - 1
            day = -i - 1
            created = DAY0 + timedelta(days=day, hours=12)
            return SaleOrderSummary(
                10_000_000 + day,
                f"SX{day}",
                str(ODOO_ONLY_REF0 + day),
                "sale",
                Decimal("10.00"),
                "EUR",
                created.strftime("%Y-%m-%d %H:%M:%S"),
            )
        return SaleOrderSummary(
            i + 1,
            f"S{i:07d}",
            str(ID0 + i),
            self.shop.odoo_state(i),
            self.shop.odoo_total(i),
            "EUR",
            self.shop.created(i).strftime("%Y-%m-%d %H:%M:%S"),
        )

    def sale_orders_by_refs(self, refs: Any) -> list[Any]:
        self.calls += 1
        return [self._row(int(r) - ID0) for r in refs if not self.shop.odoo_missing(int(r) - ID0)]

    def sale_orders_created(
        self, *, since: str, until: str, company_id: Any, after_id: int, limit: int
    ) -> list[Any]:
        self.calls += 1
        start = datetime.strptime(since, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        end = datetime.strptime(until, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        window = self.shop.index_range(start, end)
        rows = []
        # Shopify orders' Odoo rows (ids 1..), then the Odoo-only ones (ids from 10,000,000).
        first = max(window.start, after_id) if after_id < 10_000_000 else window.stop
        for i in range(first, window.stop):
            if len(rows) == limit:
                return rows
            if not self.shop.odoo_missing(i):
                rows.append(self._row(i))
        days = range(
            int((start - DAY0).total_seconds() // 86400), int(-(-(end - DAY0).total_seconds() // 86400))
        )
        for day in days:
            if len(rows) == limit:
                break
            row = self._row(-day - 1)
            if row.id > after_id and since <= row.create_date < until:
                rows.append(row)
        return rows


# --------------------------------------------------------------------------------------------- runs


def reset_peak() -> None:
    """Linux: make the process's peak resident set (VmHWM) start again from its current size."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def child(days: int, per_day: int) -> dict[str, Any]:
    from reconciliation.models import Discrepancy, ReconciliationRun
    from reconciliation.services.orders import orders_reconcile
    from sync.models import ShopifyShop, SyncJob

    shop_row = ShopifyShop.objects.get()
    Discrepancy.objects.all().delete()
    ReconciliationRun.objects.all().delete()
    SyncJob.objects.all().delete()
    run = ReconciliationRun.objects.create(
        shop=shop_row,
        kind="orders",
        trigger="schedule",
        window_start=DAY0,
        window_end=DAY0 + timedelta(days=days),
        status="running",
    )
    shop = Shop(per_day)
    odoo = FakeOdoo(shop)
    import gc

    gc.collect()
    reset_peak()
    baseline_kb = status_kb("VmRSS")
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    counts = orders_reconcile(run=run, shopify=FakeShopify(shop), odoo=odoo, company_id=1)
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    peak_kb = status_kb("VmHWM")
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return {
        "days": days,
        "orders": counts.shopify_orders,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "cpu_ms_per_1000": round(cpu * 1_000_000 / max(counts.shopify_orders, 1), 1),
        "ms_per_1000": round(seconds * 1_000_000 / max(counts.shopify_orders, 1), 1),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "growth_mb": round((peak_kb - baseline_kb) / 1024, 1),
        "odoo_calls": odoo.calls,
        "matched": counts.matched,
        "missing_in_odoo": counts.missing_in_odoo,
        "backfilled": counts.backfilled,
        "differing": counts.as_dict()["differing"],
        "missing_in_shopify": counts.missing_in_shopify,
        "discrepancy_rows": Discrepancy.objects.count(),
        "backfill_jobs": SyncJob.objects.filter(kind="order.backfill").count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, nargs="*", default=[1, 7, 30])
    parser.add_argument("--per-day", type=int, default=10_000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        setup_django(args.url)
        print(json.dumps(child(args.child, args.per_day)))
        return 0

    url = database_url()
    setup_django(url)
    from django.core.management import call_command

    from sync.models import MappingTable
    from sync.services.mappings import MappingRow, mapping_apply
    from tests.factories import ShopifyShopFactory

    call_command("migrate", verbosity=0)
    shop = ShopifyShopFactory(domain="bench.myshopify.com", admin_url="https://bench.example")
    mapping_apply(
        shop=shop, rows=[MappingRow(MappingTable.SHOP, "shop", {"company_id": 1, "currency": "EUR"})]
    )

    print(f"order completeness, {args.per_day:,} orders a day, bulk export path, one process per window")
    print(
        f"{'days':>5} {'orders':>9} {'seconds':>8} {'ms/1000':>8} {'CPU s':>7} {'CPU ms/1000':>11} "
        f"{'peak RSS':>9} {'growth':>7} "
        f"{'Odoo calls':>10} {'missing':>8} {'differing':>9} {'Odoo only':>9}"
    )
    for days in args.days:
        out = (
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(days),
                    "--per-day",
                    str(args.per_day),
                    "--url",
                    url,
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        r = json.loads(out)
        print(
            f"{r['days']:>5} {r['orders']:>9,} {r['seconds']:>8.1f} {r['ms_per_1000']:>8.1f} "
            f"{r['cpu_seconds']:>7.1f} {r['cpu_ms_per_1000']:>11.1f} "
            f"{r['peak_rss_mb']:>7.1f}MB {r['growth_mb']:>5.1f}MB {r['odoo_calls']:>10,} "
            f"{r['missing_in_odoo']:>8,} {r['differing']:>9,} {r['missing_in_shopify']:>9,}"
        )
        assert r["backfill_jobs"] == r["backfilled"] == r["missing_in_odoo"], r
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
