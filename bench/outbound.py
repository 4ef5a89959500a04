"""Outbound (stock out) benchmark: ``python bench/outbound.py``.

Both stand-ins, a real django-q2 worker with its change ticker (stock streams on their default 10-second
cycle), a shop of ``--skus`` mapped SKUs (the demo catalogue plus generated ones) at two Shopify locations,
and the Shopify stand-in on the Standard plan's budget (100 points per second, a 1,000-point bucket). After
the first full sync, ``--changes`` Odoo stock changes spread over the SKUs are written at ``--rate`` per
minute, and it prints side by side:

- Shopify API points spent by the stock flow for those changes, against one ``inventorySetQuantities`` per
  change (the naive design, priced at what one single-quantity mutation costs in the same stand-in);
- p50 / p95 from the Odoo write to Shopify holding a value computed from it (the first push whose Odoo
  read came after the write, finished), and the worst;
- Odoo calls per cycle (the Odoo stand-in's own counters over the run, by model and method).

It uses its own database (``<DATABASE_URL's name>_bench``), dropped and created at the start, like
bench/ingest.py. Absolute figures depend on the machine.
"""

from __future__ import annotations

import argparse
import http.server
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import connect_shop, start_cluster  # noqa: E402
from bench.ingest import bench_database_url, setup_django, stop  # noqa: E402

CYCLE_SECONDS = 10.0


class _Discard(http.server.BaseHTTPRequestHandler):
    """Shopify's webhook deliveries (our own pushes' echoes) answered 200 and dropped: the benchmark
    measures the push path, not the inbox."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _discard_server() -> tuple[http.server.ThreadingHTTPServer, int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Discard)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def _extra_products(
    odoo_client: Any, shopify_client: Any, locations: list[str], count: int
) -> dict[str, int]:
    """``count`` more products in both systems (Odoo product + Shopify product stocked at every location)."""
    from sync.connectors.shopify.client import gid

    made: dict[str, int] = {}
    for n in range(count):
        sku = f"BENCH-{n:04d}"
        created = odoo_client.execute(
            "product.product",
            "create",
            vals_list=[{"name": f"Bench {n}", "default_code": sku, "type": "consu", "is_storable": True}],
        )
        made[sku] = int(created[0] if isinstance(created, list) else created)
        data = shopify_client.graphql(
            "mutation P($input: ProductSetInput!) { productSet(input: $input, synchronous: true) {"
            " product { variants(first: 1) { nodes { inventoryItem { id } } } }"
            " userErrors { field message } } }",
            {
                "input": {
                    "title": f"Bench {n}",
                    "productOptions": [{"name": "Title", "values": [{"name": "Default Title"}]}],
                    "variants": [
                        {
                            "optionValues": [{"optionName": "Title", "name": "Default Title"}],
                            "price": "10.00",
                            "sku": sku,
                        }
                    ],
                }
            },
            estimate=20,
        )
        item = data["productSet"]["product"]["variants"]["nodes"][0]["inventoryItem"]["id"]
        stocked = shopify_client.inventory_levels_by_sku([sku], locations).get(sku)
        for loc in locations:
            if stocked is None or gid("Location", loc) not in stocked.available:
                shopify_client.activate_inventory(item, loc, available=0)
    return made


def run(*, skus: int, changes: int, rate: float, seed: int) -> dict[str, Any]:
    from django.db import close_old_connections

    from sandbox.odoo.testing import odoo_sandbox
    from sandbox.shopify.testing import running_sandbox
    from sync.engine.clients import odoo_client_for, shopify_client_for
    from sync.engine.mappings import mappings_for_shop
    from sync.engine.sweep import jobs_sweep
    from sync.models import JobAttempt, JobState, MappingTable, StockLevel, SyncJob
    from sync.services.mappings import MappingRow, mapping_apply

    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="opsconsole-bench-outbound-"))
    discard, discard_port = _discard_server()
    with (
        odoo_sandbox(work / "odoo", version=19, seed=True) as odoo,
        running_sandbox(data_dir=work / "shopify") as sb,
    ):
        sb.control.settings(restore_rate=1000, maximum=10000)  # set-up is not measured
        shop = connect_shop(odoo, sb, f"http://127.0.0.1:{discard_port}/webhooks/shopify")
        mapped = dict(mappings_for_shop(shop=shop).skus)
        locations = list(mappings_for_shop(shop=shop).locations)
        extra = _extra_products(
            odoo_client_for(shop.odoo), shopify_client_for(shop), locations, max(0, skus - len(mapped))
        )
        mapping_apply(
            shop=shop,
            rows=[
                MappingRow(MappingTable.SKU, sku, {"product_id": pid, "name": sku})
                for sku, pid in extra.items()
            ],
        )
        all_skus = sorted(mappings_for_shop(shop=shop).skus)[:skus]
        odoo.control.request(
            "POST",
            "stock",
            {"items": [{"sku": s, "quantity": 500, "location": "WH/Stock"} for s in all_skus]},
        )
        cluster = start_cluster(work / "worker.log", OPSCONSOLE_Q_WORKERS="2", OPSCONSOLE_STOCK_OUT="1")

        def busy() -> bool:
            close_old_connections()
            jobs_sweep()
            return SyncJob.objects.filter(
                shop=shop, state__in=[JobState.QUEUED, JobState.RUNNING, JobState.RETRYING]
            ).exists()

        def wait(condition: Any, timeout: float, what: str) -> None:
            deadline = time.monotonic() + timeout
            while not condition():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{what} did not happen; see {work}")
                time.sleep(0.5)

        try:
            # The first full sync: every SKU pushed at both locations.
            wait(
                lambda: (
                    StockLevel.objects.filter(shop=shop, sku__in=all_skus, pushed=500).count()
                    >= len(all_skus)
                    and not busy()
                ),
                600,
                "the first full sync",
            )
            time.sleep(CYCLE_SECONDS + 2)
            wait(lambda: not busy(), 120, "quiet")
            # Measured: the Standard plan's budget from here on.
            sb.control.settings(plan="basic", restore_rate=100, maximum=1000, reset_usage=True)
            odoo.control.reset_counters()
            first_job = SyncJob.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            writes: list[tuple[str, float]] = []
            per_second = rate / 60.0
            started = time.time()
            sent = 0
            while sent < changes:
                due = int((time.time() - started) * per_second) + 1
                batch = []
                while sent < min(due, changes):
                    sku = all_skus[sent % len(all_skus)] if sent < len(all_skus) else rng.choice(all_skus)
                    batch.append({"sku": sku, "quantity": rng.randint(100, 499), "location": "WH/Stock"})
                    sent += 1
                if batch:
                    odoo.control.request("POST", "stock", {"items": batch})
                    now = time.time()
                    writes.extend((item["sku"], now) for item in batch)
                time.sleep(0.2)
            written = time.time() - started
            time.sleep(CYCLE_SECONDS + 2)
            wait(lambda: not busy(), 600, "the pushes")
            elapsed = time.time() - started
            usage = sb.control.shop()["api_usage"]
            counters = odoo.control.counters()
            # The naive design's price: one single-quantity inventorySetQuantities per change.
            level = StockLevel.objects.filter(shop=shop, sku=all_skus[0]).first()
            assert level is not None
            sb.control.settings(reset_usage=True)
            from sync.connectors.shopify.types import InventorySet

            shopify_client_for(shop).set_inventory_quantities(
                [
                    InventorySet(
                        level.inventory_item_id, level.location, level.pushed or 0, level.shopify_available
                    )
                ]
            )
            one_mutation = sb.control.shop()["api_usage"]["points"]
            # Latency: each write to the first push whose attempt began after it and that set the SKU.
            pushes = []
            for job in SyncJob.objects.filter(
                shop=shop, kind="stock.push", pk__gt=first_job, state=JobState.SUCCEEDED
            ):
                if not job.result or not job.result.get("set_skus") or job.finished_at is None:
                    continue
                attempt = JobAttempt.objects.filter(job=job).order_by("-number").first()
                if attempt is None:
                    continue
                pushes.append(
                    (attempt.started_at.timestamp(), job.finished_at.timestamp(), set(job.result["set_skus"]))
                )
            pushes.sort()
            latencies = []
            for sku, at in writes:
                done = next((end for begin, end, set_ in pushes if begin >= at and sku in set_), None)
                if done is not None:
                    latencies.append(done - at)
            push_jobs = SyncJob.objects.filter(shop=shop, kind="stock.push", pk__gt=first_job)
            results = [j.result or {} for j in push_jobs]
        finally:
            stop(cluster)
            discard.shutdown()
    cycles = max(1.0, elapsed / CYCLE_SECONDS)
    latencies.sort()
    return {
        "skus": len(all_skus),
        "changes": changes,
        "rate": rate,
        "written_s": written,
        "elapsed_s": elapsed,
        "points": usage["points"],
        "operations": usage["operations"],
        "one_mutation_points": one_mutation,
        "naive_points": one_mutation * changes,
        "mutations": sum(r.get("mutations", 0) for r in results),
        "push_jobs": sum(1 for r in results if r.get("outcome") != "coalesced"),
        "coalesced": sum(1 for r in results if r.get("outcome") == "coalesced"),
        "stale_rounds": sum(r.get("stale_rounds", 0) for r in results),
        "latency_n": len(latencies),
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
        "max": latencies[-1] if latencies else float("nan"),
        "odoo_calls": counters["total"],
        "odoo_calls_per_cycle": counters["total"] / cycles,
        "odoo_by_call": counters.get("calls", {}),
        "cycles": cycles,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=1000.0, help="changes per minute")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = bench_database_url()
    setup_django(url)
    r = run(skus=args.skus, changes=args.changes, rate=args.rate, seed=args.seed)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"Stock out: {r['changes']} Odoo changes over {r['skus']} SKUs x 2 locations"
        f" at {r['rate']:.0f}/min ({stamp})"
    )
    print(f"{'':38}{'stock flow':>14}{'1 mutation/change':>20}")
    print(f"{'Shopify API points':38}{r['points']:>14.0f}{r['naive_points']:>20.0f}")
    print(
        f"{'  ratio (target <= 1/25 = 0.040)':38}{r['points'] / max(1, r['naive_points']):>14.3f}{1:>20.3f}"
    )
    print(f"{'inventorySetQuantities calls':38}{r['mutations']:>14}{r['changes']:>20}")
    print(f"{'write -> Shopify p50 (s)':38}{r['p50']:>14.1f}")
    print(f"{'write -> Shopify p95 (s) (target < 30)':38}{r['p95']:>14.1f}")
    print(f"{'write -> Shopify max (s)':38}{r['max']:>14.1f}")
    print(f"{'Odoo calls per 10 s cycle':38}{r['odoo_calls_per_cycle']:>14.1f}")
    print(
        f"pushes {r['push_jobs']} (+{r['coalesced']} coalesced), stale rounds {r['stale_rounds']}, "
        f"latencies measured {r['latency_n']}, written in {r['written_s']:.0f} s,"
        f" quiet after {r['elapsed_s']:.0f} s"
    )
    print(f"Shopify operations: {r['operations']}")
    print(f"Odoo calls: {r['odoo_by_call']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
