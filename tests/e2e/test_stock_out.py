"""Stock out end to end: Odoo's stock changes reach Shopify through both stand-ins over HTTP, read by the
change streams of a real worker (its ticker thread) and pushed by its jobs; Shopify's sales flow into Odoo
as orders at the same time. This module runs its own worker with stock out on and a 2-second cycle."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sync.engine import changes
from sync.engine.clients import shopify_client_for
from sync.engine.mappings import mappings_for_shop
from sync.models import JobState, OdooChangeCursor, StockLevel, SyncJob
from sync.services.stock import stock_resync
from tests.e2e.conftest import ROOT, Worker
from tests.support.pipeline import STREAM_WORKER_ENV, WORKER_ENV, Pipeline
from tests.support.processes import LOG_DIR, process_env, wait_for

pytestmark = pytest.mark.e2e

MAIN = "Main Warehouse"
CITY = "City Store"
STOCK_WORKER_ENV = {
    **WORKER_ENV,
    **STREAM_WORKER_ENV,
    "OPSCONSOLE_STOCK_OUT": "1",
    "OPSCONSOLE_CHANGES_CYCLE_SECONDS": "stock.quant=2,stock.move=2",
}


class StockWorker(Worker):
    def start(self) -> subprocess.Popen[bytes]:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = open(LOG_DIR / "e2e-stock-worker.log", "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=process_env(**STOCK_WORKER_ENV),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self.proc


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker) -> Iterator[Worker]:  # type: ignore[no-untyped-def]
    w = StockWorker()
    w.start()
    yield w
    w.stop()


@pytest.fixture
def stock(pipeline: Pipeline) -> Pipeline:
    """The pipeline once the worker has started the stock streams and pushed the seed's stock."""
    # The worker's ticker makes cursors for new shops once a minute; this shop is new in every test.
    changes._ensured_at.clear()
    changes.cursors_ensure()
    wait_for(
        lambda: (
            OdooChangeCursor.objects.filter(shop=pipeline.shop, stream="stock.quant")
            .exclude(write_date="")
            .exists()
            or None
        ),
        timeout=60,
        message="the stock streams to start",
    )
    # A full re-sync, so that every test starts with Shopify equal to Odoo (the seed's own quants may or
    # may not fall in the first read's overlap window).
    stock_resync(shop=pipeline.shop)
    quiet(pipeline)
    return pipeline


def quiet(p: Pipeline, timeout: float = 120) -> None:
    """Wait until no job of the shop is queued, running or retrying (stock and orders alike)."""

    def done() -> bool | None:
        p.sweep()
        busy = SyncJob.objects.filter(
            shop=p.shop, state__in=[JobState.QUEUED, JobState.RUNNING, JobState.RETRYING]
        ).exists()
        return None if busy else True

    wait_for(done, timeout=timeout, interval=0.3, message="the shop's jobs to settle")


def settled(p: Pipeline) -> None:
    """Quiet, and both stock streams read again since (so no Odoo change is still waiting to be read), and
    quiet again: what a person would call "nothing going on"."""
    quiet(p)
    mark = timezone.now()
    wait_for(
        lambda: (
            OdooChangeCursor.objects.filter(
                shop=p.shop, stream__in=["stock.quant", "stock.move"], polled_at__gt=mark
            ).count()
            == 2
            or None
        ),
        timeout=60,
        message="a read of both stock streams",
    )
    quiet(p)


def agree(p: Pipeline, skus: list[str]) -> bool | None:
    settled(p)
    return shopify(p, skus) == odoo(p, skus) or None


def locations(p: Pipeline) -> dict[str, str]:
    return {loc.id: loc.name for loc in shopify_client_for(p.shop).locations()}


def shopify(p: Pipeline, skus: list[str]) -> dict[str, dict[str, int]]:
    names = locations(p)
    found = shopify_client_for(p.shop).inventory_levels_by_sku(skus, list(names))
    return {sku: {names[g]: q for g, q in found[sku].available.items()} for sku in skus}


def odoo(p: Pipeline, skus: list[str]) -> dict[str, dict[str, int]]:
    """Odoo's available to sell per SKU: WH/Stock (and its children but City Store) for Main Warehouse,
    City Store for City Store (no safety stock or allocation in these tests)."""
    out = {sku: {MAIN: 0, CITY: 0} for sku in skus}
    for q in p.rpc.env["stock.quant"].search_read(
        [("product_id.default_code", "in", skus), ("location_id.usage", "=", "internal")],
        ["product_id", "location_id", "quantity", "reserved_quantity"],
    ):
        sku = q["product_id"][1].split("]", 1)[0].lstrip("[")
        where = CITY if q["location_id"][1].endswith("City Store") else MAIN
        out[sku][where] += int(q["quantity"] - q["reserved_quantity"])
    return {sku: {k: max(0, v) for k, v in by.items()} for sku, by in out.items()}


def set_stock(p: Pipeline, items: list[tuple[str, float]]) -> None:
    """Quantities at WH/Stock, all in one control call (one burst of Odoo writes)."""
    p.odoo.control.request(
        "POST", "stock", {"items": [{"sku": s, "quantity": q, "location": "WH/Stock"} for s, q in items]}
    )


def pushes_since(p: Pipeline, after_pk: int) -> list[dict[str, Any]]:
    close_old_connections()
    return [
        j.result
        for j in SyncJob.objects.filter(
            shop=p.shop, kind="stock.push", pk__gt=after_pk, state=JobState.SUCCEEDED
        )
        if j.result and j.result.get("outcome") != "coalesced"
    ]


def last_pk() -> int:
    return SyncJob.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_an_odoo_change_reaches_shopify_in_one_read_and_one_push(stock):
    # given
    before = last_pk()
    # when
    set_stock(stock, [("NOTEBOOK-BLACK", 41)])
    # then
    wait_for(
        lambda: shopify(stock, ["NOTEBOOK-BLACK"])["NOTEBOOK-BLACK"][MAIN] == 41 or None,
        timeout=60,
        message="Shopify's value",
    )
    quiet(stock)
    results = [r for r in pushes_since(stock, before) if r["set"]]
    assert len(results) == 1 and results[0]["mutations"] == 1
    level = StockLevel.objects.get(
        shop=stock.shop, sku="NOTEBOOK-BLACK", location__in=list(locations(stock)), pushed=41
    )
    assert (level.on_hand, level.target) == (41, 41)


def test_300_changes_over_50_skus_are_at_most_two_mutations(stock):
    # given
    skus = sorted(mappings_for_shop(shop=stock.shop).skus)[:50]
    assert len(skus) == 50
    before = last_pk()
    # when: 300 Odoo writes in one burst, 6 per SKU
    set_stock(stock, [(skus[n % 50], 200 + n) for n in range(300)])
    wait_for(
        lambda: shopify(stock, skus[-1:])[skus[-1]][MAIN] == 200 + 299 or None,
        timeout=90,
        message="the last value",
    )
    quiet(stock)
    # then
    assert sum(r["mutations"] for r in pushes_since(stock, before)) <= 2
    assert {s: v[MAIN] for s, v in shopify(stock, skus).items()} == {
        s: 200 + 250 + n for n, s in enumerate(skus)
    }


def test_odoo_down_for_five_scaled_minutes_then_caught_up(stock):
    # given: Odoo is down for 5 s (five minutes at the tests' 60x backoff scale)
    stock.odoo.control.add_fault("down", seconds=5)
    # when: stock changes in Odoo meanwhile (written by the control API, which the fault does not stop)
    set_stock(stock, [("NOTEBOOK-BLACK", 17), ("CERAMICM-SAND", 9)])
    # then: it arrives once Odoo is back, and nothing was lost or dead
    wait_for(
        lambda: (
            {s: v[MAIN] for s, v in shopify(stock, ["NOTEBOOK-BLACK", "CERAMICM-SAND"]).items()}
            == {"NOTEBOOK-BLACK": 17, "CERAMICM-SAND": 9}
            or None
        ),
        timeout=120,
        message="the values after Odoo's outage",
    )
    quiet(stock)
    assert not SyncJob.objects.filter(shop=stock.shop, flow="stock", state=JobState.DEAD).exists()
    cursor = OdooChangeCursor.objects.get(shop=stock.shop, stream="stock.quant")
    assert cursor.failures == 0


def test_a_sale_during_a_push_ends_with_odoos_available_to_sell(stock):
    # given
    sku = "CERAMICM-SAND"
    set_stock(stock, [(sku, 50)])
    wait_for(lambda: shopify(stock, [sku])[sku][MAIN] == 50 or None, timeout=60, message="50 in Shopify")
    # when: Shopify sells 3 while Odoo receives 20 more (the push sets from what it last saw: a stale compare)
    stock.generate_orders(1, skus=[sku], quantity=3, seed=21)
    set_stock(stock, [(sku, 70)])
    # then: when quiet, the order is in Odoo (3 reserved) and Shopify shows 67
    wait_for(lambda: agree(stock, [sku]), timeout=180, message="agreement when quiet")
    assert shopify(stock, [sku]) == odoo(stock, [sku]) == {sku: {MAIN: 67, CITY: 0}}


SKUS = ["NOTEBOOK-BLACK", "CERAMICM-SAND", "MERINOTE-M-NAVY"]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("odoo"), st.sampled_from(SKUS), st.integers(20, 80)),
        st.tuples(st.just("sale"), st.sampled_from(SKUS), st.integers(1, 3)),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=steps, seed=st.integers(0, 10_000))
def test_any_interleaving_of_odoo_changes_and_shopify_sales_ends_equal(stock, ops, seed):
    # when: Odoo's stock changes and Shopify's sales interleave
    for n, (kind, sku, qty) in enumerate(ops):
        if kind == "odoo":
            set_stock(stock, [(sku, qty)])
        else:
            stock.generate_orders(1, skus=[sku], quantity=qty, seed=seed + n)
    # then: when quiet, Shopify's available equals Odoo's available to sell for every SKU and location
    wait_for(lambda: agree(stock, SKUS), timeout=180, message="agreement when quiet")
    settled(stock)
    assert shopify(stock, SKUS) == odoo(stock, SKUS)
