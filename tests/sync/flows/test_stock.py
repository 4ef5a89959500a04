"""Stock out (sync/flows/stock.py) through both stand-ins over HTTP; jobs run inline in the test (the
end-to-end tests in tests/e2e/test_stock_out.py run them on a real worker).

Odoo's seeded stock is all in WH/Stock, mapped to Shopify's "Main Warehouse"; "City Store" maps to
WH/Stock/City Store (a child of WH/Stock), so a quant counts for its nearest mapped location only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.db import close_old_connections

from sandbox.odoo.testing import odoo_sandbox
from sandbox.shopify.testing import running_sandbox
from sync.connectors.shopify.types import InventorySet
from sync.engine import changes
from sync.engine import run as run_module
from sync.engine.clients import clients_reset, shopify_client_for
from sync.engine.mappings import mapping_entries, mappings_for_shop
from sync.engine.run import job_run
from sync.flows import stock as stock_module
from sync.kinds import SALE_TOPICS
from sync.models import InboundEvent, JobState, MappingTable, Problem, StockLevel, SyncJob
from sync.selectors.jobs import job_search_q
from sync.services.mappings import MappingRow, mapping_apply
from tests.support.pipeline import Pipeline, build_pipeline
from tests.support.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

MAIN = "Main Warehouse"
CITY = "City Store"


@pytest.fixture(scope="module")
def shopify_sb(tmp_path_factory):  # type: ignore[no-untyped-def]
    with running_sandbox(data_dir=tmp_path_factory.mktemp("shopify-stock"), clock_speed=1.0) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def odoo_sb(tmp_path_factory):  # type: ignore[no-untyped-def]
    with odoo_sandbox(tmp_path_factory.mktemp("odoo-stock"), version=19, seed=True) as sandbox:
        yield sandbox


@pytest.fixture
def p(transactional_db, live_server, shopify_sb, odoo_sb) -> Iterator[Pipeline]:  # type: ignore[no-untyped-def]
    changes._ensured_at.clear()
    pipeline = build_pipeline(
        shopify=shopify_sb,
        odoo=odoo_sb,
        live_url=live_server.url,
        restart_worker=lambda: None,
        kill_worker=lambda: None,
    )
    for stream in ("stock.quant", "stock.move"):
        assert poll(pipeline, stream).outcome == "started"
        poll(pipeline, stream)  # the seed's own quants, within the overlap window: a first push of everything
    run_stock_jobs(pipeline)
    yield pipeline
    odoo_sb.control.clear_faults()
    shopify_sb.control.clear_faults()
    clients_reset()


def poll(p: Pipeline, stream: str = "stock.quant") -> changes.PollReport:
    close_old_connections()
    return changes.changes_poll(shop_id=p.shop.pk, stream_name=stream)


def run_stock_jobs(p: Pipeline, *, kinds: tuple[str, ...] = ("stock.",), rounds: int = 50) -> list[SyncJob]:
    """Run every runnable stock job (and the follow-ups they ask for) in this process, now."""
    ran: list[SyncJob] = []
    for _ in range(rounds):
        close_old_connections()
        runnable = [
            j
            for j in SyncJob.objects.filter(
                shop=p.shop, state__in=[JobState.QUEUED, JobState.RETRYING]
            ).order_by("pk")
            if j.kind.startswith(kinds)
        ]
        if not runnable:
            break
        for job in runnable:
            SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=None)
            job_run(key=job.idempotency_key)
            ran.append(job)
    return [SyncJob.objects.get(pk=j.pk) for j in ran]


def location_ids(p: Pipeline) -> dict[str, str]:
    return {loc.name: loc.id for loc in shopify_client_for(p.shop).locations()}


def shopify_available(p: Pipeline, sku: str) -> dict[str, int]:
    names = {gid: name for name, gid in location_ids(p).items()}
    found = shopify_client_for(p.shop).inventory_levels_by_sku([sku], list(names))[sku]
    return {names[gid]: qty for gid, qty in found.available.items()}


def set_odoo(p: Pipeline, sku: str, quantity: float, location: str = "WH/Stock") -> None:
    p.odoo.control.set_stock(sku, quantity, location)


def odoo_available(p: Pipeline, sku: str) -> int:
    quants = p.rpc.env["stock.quant"].search_read(
        [("product_id.default_code", "=", sku), ("location_id", "child_of", location_id(p, "WH/Stock"))],
        ["quantity", "reserved_quantity", "location_id"],
    )
    return int(
        sum(q["quantity"] - q["reserved_quantity"] for q in quants if "City Store" not in q["location_id"][1])
    )


def location_id(p: Pipeline, complete_name: str) -> int:
    return next(
        r["id"]
        for r in p.rpc.env["stock.location"].search_read([], ["complete_name"])
        if r["complete_name"] == complete_name
    )


def apply_mapping(p: Pipeline, table: str, key: str, **values: Any) -> None:
    current = next(e.value for e in mapping_entries(shop=p.shop) if e.table == table and e.key == key)
    mapping_apply(shop=p.shop, rows=[MappingRow(table, key, {**current, **values})])


def push_results(jobs: list[SyncJob]) -> list[dict[str, Any]]:
    return [
        j.result
        for j in jobs
        if j.kind == "stock.push" and j.result and j.result.get("outcome") != "coalesced"
    ]


def level_deliveries(p: Pipeline, item: str, location: str, **match: Any) -> list[InboundEvent]:
    """The ingested ``inventory_levels/update`` deliveries of one inventory item at one location."""
    close_old_connections()
    numeric = item.rsplit("/", 1)[-1]
    available = match.pop("available", None)
    found = InboundEvent.objects.filter(
        shop=p.shop,
        topic="inventory_levels/update",
        subject_id=numeric,
        payload__location_id=int(location_ids(p)[location].rsplit("/", 1)[-1]),
        ingested_at__isnull=False,
        **match,
    ).order_by("pk")
    if available is not None:
        found = found.filter(payload__available=available)
    return list(found)


def test_changes_of_one_stock_level_while_its_job_waits_are_one_job_naming_every_delivery(p):
    # given: Shopify's value of one item at Main Warehouse changed three times by someone else, while no
    # job runs
    main = location_ids(p)[MAIN]
    level = StockLevel.objects.get(shop=p.shop, sku="NOTEBOOK-BLACK", location=main)
    item, before = (
        level.inventory_item_id,
        InboundEvent.objects.order_by("-pk").values_list("pk", flat=True)[0],
    )
    current = shopify_available(p, "NOTEBOOK-BLACK")[MAIN]
    # when
    for value in (97, 98, 99):
        shopify_client_for(p.shop).set_inventory_quantities([InventorySet(item, main, value, current)])
        current = value
    wait_for(
        lambda: (
            p.ingest_here() or len([d for d in level_deliveries(p, item, MAIN) if d.pk > before]) == 3 or None
        ),
        timeout=30,
        message="the three inventory_levels/update deliveries",
    )
    # then: one job, which names every delivery (its own, and the two folded into it)
    deliveries = [d for d in level_deliveries(p, item, MAIN) if d.pk > before]
    subject = f"inventory_levels:{item.rsplit('/', 1)[-1]}:{main.rsplit('/', 1)[-1]}"
    jobs = list(SyncJob.objects.filter(shop=p.shop, kind="stock.level_update", subject=subject))
    assert len(jobs) == 1
    job = jobs[0]
    assert job.event_id == deliveries[0].pk
    assert [(d.handled_by_id, d.handled_as) for d in deliveries[1:]] == [(job.pk, "coalesced")] * 2
    for delivery in deliveries:
        assert list(SyncJob.objects.filter(job_search_q(delivery.webhook_id))) == [job]
    # when: the job runs
    ran = {j.pk: j for j in run_stock_jobs(p)}
    # then: it worked from the newest delivery (99: Shopify's value, so its compare-and-set held at once)
    # and brought Shopify back to Odoo's truth
    result = ran[job.pk].result or {}
    assert (ran[job.pk].state, result["outcome"], result["stale_rounds"]) == (
        JobState.SUCCEEDED,
        "reasserted",
        0,
    )
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == odoo_available(p, "NOTEBOOK-BLACK")


def test_the_echo_of_our_own_push_makes_no_job_and_is_credited_to_the_push(p):
    # given
    main = location_ids(p)[MAIN]
    set_odoo(p, "NOTEBOOK-BLACK", 33)
    poll(p)
    pushes = [j for j in run_stock_jobs(p) if j.kind == "stock.push" and (j.result or {}).get("set")]
    assert len(pushes) == 1
    item = StockLevel.objects.get(shop=p.shop, sku="NOTEBOOK-BLACK", location=main).inventory_item_id
    adjustments = len(p.shopify.control.inventory_adjustments(p.shop.domain))
    # when: Shopify's inventory_levels/update for the value we set arrives
    wait_for(
        lambda: p.ingest_here() or level_deliveries(p, item, MAIN, available=33) or None,
        timeout=30,
        message="our push's echo",
    )
    echoes = level_deliveries(p, item, MAIN, available=33)
    # then: no job, the delivery names the push, and nothing was asked of Shopify
    assert [(e.handled_by_id, e.handled_as) for e in echoes] == [(pushes[0].pk, "echo")]
    assert not SyncJob.objects.filter(event__in=echoes).exists()
    assert list(SyncJob.objects.filter(job_search_q(echoes[0].webhook_id))) == [pushes[0]]
    level = StockLevel.objects.get(shop=p.shop, sku="NOTEBOOK-BLACK", location=main)
    assert (level.shopify_available, level.pushed, level.pushed_job_id) == (33, 33, pushes[0].pk)
    run_stock_jobs(p)
    assert len(p.shopify.control.inventory_adjustments(p.shop.domain)) == adjustments


def test_an_odoo_stock_change_is_pushed_as_available_to_sell_per_location(p):
    # given
    set_odoo(p, "NOTEBOOK-BLACK", 37)
    set_odoo(p, "NOTEBOOK-BLACK", 5, "WH/Stock/City Store")
    # when
    report = poll(p)
    jobs = run_stock_jobs(p)
    # then: WH/Stock's quant counts for Main Warehouse only, City Store's for City Store
    assert report.jobs == 1
    assert shopify_available(p, "NOTEBOOK-BLACK") == {MAIN: 37, CITY: 5}
    assert [j.state for j in jobs if j.kind == "stock.push"] == [JobState.SUCCEEDED]
    level = StockLevel.objects.get(shop=p.shop, sku="NOTEBOOK-BLACK", location=location_ids(p)[MAIN])
    assert (level.on_hand, level.reserved, level.target, level.pushed, level.shopify_available) == (
        37,
        0,
        37,
        37,
        37,
    )


def test_safety_stock_and_allocation_are_held_back(p):
    # given: 3 units of safety stock for the SKU, 2 allocated to another channel at Main Warehouse
    apply_mapping(p, MappingTable.SKU, "NOTEBOOK-BLACK", safety_stock=3)
    apply_mapping(p, MappingTable.LOCATION, location_ids(p)[MAIN], allocation=2)
    set_odoo(p, "NOTEBOOK-BLACK", 20)
    # when
    poll(p)
    run_stock_jobs(p)
    # then
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == 15


def test_a_sale_in_shopify_during_a_push_is_not_overwritten(p):
    # given: Shopify and Odoo agree at 30
    set_odoo(p, "NOTEBOOK-BLACK", 30)
    poll(p)
    run_stock_jobs(p)
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == 30
    # when: a sale of 2 in Shopify (its order not yet in Odoo) while Odoo receives 10 more
    order = p.generate_orders(1, skus=["NOTEBOOK-BLACK"], quantity=2, seed=5)[0]
    wait_for(
        lambda: p.ingest_here() or p.order_jobs(order["id"], "order.upsert") or None,
        timeout=30,
        message="the order's job",
    )
    set_odoo(p, "NOTEBOOK-BLACK", 40)
    poll(p)
    jobs = run_stock_jobs(p, kinds=("stock.push",))
    # then: the compare-and-set was refused once, both sides were read again, and the sale stays
    [result] = push_results(jobs)
    assert result["stale_rounds"] == 1
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == 38
    # and when the order reaches Odoo (it reserves 2), Shopify equals Odoo's available to sell
    run_stock_jobs(p, kinds=("order.",))
    poll(p)
    poll(p, "stock.move")
    run_stock_jobs(p)
    assert odoo_available(p, "NOTEBOOK-BLACK") == 38
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == 38


def test_behind_a_backlog_of_order_deliveries_a_push_lowers_at_once_and_raises_only_once_they_are_counted(
    p, monkeypatch
):
    # given: Shopify and Odoo agree at 30 for two SKUs
    other = next(s for s in sorted(mappings_for_shop(shop=p.shop).skus) if s != "NOTEBOOK-BLACK")
    for sku in ("NOTEBOOK-BLACK", other):
        set_odoo(p, sku, 30)
    poll(p)
    run_stock_jobs(p)
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == shopify_available(p, other)[MAIN] == 30
    # and a sale of 2 in Shopify whose delivery is stored but not ingested: a backlog beyond what a push
    # ingests first (none, here)
    monkeypatch.setitem(run_module.INGEST_FIRST, "stock", (0, SALE_TOPICS, False))
    p.generate_orders(1, skus=["NOTEBOOK-BLACK"], quantity=2, seed=7)
    wait_for(
        lambda: stock_module.sales_uncounted(shop_id=p.shop.pk) or None, timeout=30, message="the sale stored"
    )
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == 28
    # when Odoo receives 10 more of the sold SKU and the other one falls to 4
    set_odoo(p, "NOTEBOOK-BLACK", 40)
    set_odoo(p, other, 4)
    poll(p)
    jobs = run_stock_jobs(p, kinds=("stock.push",), rounds=1)
    # then the fall is in Shopify at once, and the raise is held back (it would give back the 2 units sold
    # in the sale nobody has counted yet: 40 for 38 in truth); the push says so and is retried
    assert shopify_available(p, other)[MAIN] == 4
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == 28
    [push] = [j for j in jobs if j.kind == "stock.push" and j.state != JobState.SUCCEEDED]
    assert push.state == JobState.RETRYING
    assert "raise(s) held back (NOTEBOOK-BLACK)" in push.error_message
    assert "1 order deliveries" in push.error_message
    assert push.result is not None and other in push.result["set_skus"]  # what it did set is on record
    assert other in push.result["checked_skus"] and "NOTEBOOK-BLACK" not in push.result["checked_skus"]
    # and once the sale is counted, the retry raises it to Odoo's truth less that sale
    p.ingest_here()
    run_stock_jobs(p, kinds=("stock.push",))
    push.refresh_from_db()
    assert push.state == JobState.SUCCEEDED
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == 38


def test_a_sale_of_one_sku_during_a_push_of_many_holds_back_only_that_sku(p):
    # given: Shopify and Odoo agree at 30 for three SKUs
    skus = [
        "NOTEBOOK-BLACK",
        *[s for s in sorted(mappings_for_shop(shop=p.shop).skus) if s != "NOTEBOOK-BLACK"][:2],
    ]
    for sku in skus:
        set_odoo(p, sku, 30)
    poll(p)
    run_stock_jobs(p)
    assert {s: shopify_available(p, s)[MAIN] for s in skus} == dict.fromkeys(skus, 30)
    before = len(p.shopify.control.inventory_adjustments())
    # when a sale of 2 of the first in Shopify (the value we hold for it is stale now) while Odoo receives 10
    # more of each, and one push sets all three
    order = p.generate_orders(1, skus=[skus[0]], quantity=2, seed=11)[0]
    wait_for(
        lambda: p.ingest_here() or p.order_jobs(order["id"], "order.upsert") or None,
        timeout=30,
        message="the order's job",
    )
    for sku in skus:
        set_odoo(p, sku, 40)
    poll(p)
    jobs = run_stock_jobs(p, kinds=("stock.push",))
    # then Shopify refused the batch for the one SKU that moved; the two others were sent again at once
    # without it, and the one that moved was read again and set in the next round, its sale kept
    [result] = push_results(jobs)
    assert result["stale_rounds"] == 1
    item = {
        s: StockLevel.objects.get(
            shop=p.shop, sku=s, location=location_ids(p)[MAIN]
        ).inventory_item_id.rsplit("/", 1)[-1]
        for s in skus
    }
    ours = [
        {str(c["item_id"]) for c in g["changes"]}
        for g in p.shopify.control.inventory_adjustments()[before:]
        if str(g.get("reference") or "").startswith("gid://opsconsole/SyncJob/")
    ]
    assert ours == [{item[skus[1]], item[skus[2]]}, {item[skus[0]]}]
    assert [shopify_available(p, s)[MAIN] for s in skus] == [38, 40, 40]


def test_a_sku_still_moving_after_the_last_round_goes_to_a_push_of_its_own_and_the_rest_is_done(
    p, monkeypatch
):
    # given: Shopify and Odoo agree at 30 for two SKUs, and a push has one compare-and-set round (so the
    # SKU a sale moves is still moving when the rounds run out, as in a shop selling fast)
    skus = [
        "NOTEBOOK-BLACK",
        next(s for s in sorted(mappings_for_shop(shop=p.shop).skus) if s != "NOTEBOOK-BLACK"),
    ]
    for sku in skus:
        set_odoo(p, sku, 30)
    poll(p)
    run_stock_jobs(p)
    monkeypatch.setattr(stock_module, "MAX_ROUNDS", 1)
    order = p.generate_orders(1, skus=[skus[0]], quantity=2, seed=13)[0]
    wait_for(
        lambda: p.ingest_here() or p.order_jobs(order["id"], "order.upsert") or None,
        timeout=30,
        message="the order's job",
    )
    # when Odoo receives 10 more of each and one push runs
    for sku in skus:
        set_odoo(p, sku, 40)
    poll(p)
    first = run_stock_jobs(p, kinds=("stock.push",), rounds=1)
    # then the push succeeded with what it set, and handed the SKU that moved to a push of its own
    [push] = [j for j in first if j.kind == "stock.push" and (j.result or {}).get("outcome") != "coalesced"]
    assert push.state == JobState.SUCCEEDED
    assert push.result["moving_skus"] == [skus[0]]
    assert push.result["checked_skus"] == [skus[1]]
    assert shopify_available(p, skus[1])[MAIN] == 40
    follow_up = SyncJob.objects.get(idempotency_key=f"stock:moving:{push.pk}:1")
    assert follow_up.input == {"skus": [skus[0]], "refresh": True}
    # and that push sets it, its sale kept
    run_stock_jobs(p, kinds=("stock.push",))
    follow_up.refresh_from_db()
    assert follow_up.state == JobState.SUCCEEDED
    assert shopify_available(p, skus[0])[MAIN] == 38


def test_a_burst_of_300_changes_over_50_skus_is_at_most_two_mutations(p):
    # given
    skus = sorted(mappings_for_shop(shop=p.shop).skus)[:50]
    assert len(skus) == 50
    for n in range(300):
        set_odoo(p, skus[n % 50], 100 + n)
    # when
    poll(p)
    poll(p, "stock.move")
    jobs = run_stock_jobs(p, kinds=("stock.push",))
    # then
    assert sum(r["mutations"] for r in push_results(jobs)) <= 2
    for n, sku in enumerate(skus[:5]):
        assert shopify_available(p, sku)[MAIN] == 100 + 250 + n


def test_an_unmapped_sku_sold_in_shopify_is_one_problem(p):
    # given: BEANIE-RUST is in both systems but not mapped
    set_odoo(p, "BEANIE-RUST", 12)
    poll(p)
    run_stock_jobs(p)
    set_odoo(p, "BEANIE-RUST", 13)
    poll(p)
    run_stock_jobs(p)
    # then
    problems = Problem.objects.filter(shop=p.shop, fingerprint="unknown_sku:BEANIE-RUST")
    assert problems.count() == 1
    assert (
        SyncJob.objects.filter(shop=p.shop, kind="stock.check_sku", state=JobState.NEEDS_ATTENTION).count()
        == 1
    )


def in_line_at(p: Pipeline, sku: str, quantity: int) -> str:
    """Odoo and Shopify agreeing at ``quantity`` of ``sku`` at MAIN, our push's echo seen; its item's id."""
    set_odoo(p, sku, quantity)
    poll(p)
    run_stock_jobs(p)
    item = StockLevel.objects.get(shop=p.shop, sku=sku, location=location_ids(p)[MAIN]).inventory_item_id
    wait_for(
        lambda: (
            p.ingest_here() or level_deliveries(p, item, MAIN, available=quantity, handled_as="echo") or None
        ),
        timeout=30,
        message="our push's echo",
    )
    run_stock_jobs(p)
    return item


def set_in_shopify_admin(p: Pipeline, item: str, value: int, was: int) -> None:
    """Someone sets ``value`` at MAIN in Shopify's admin; its ``inventory_levels/update`` made a job."""
    shopify_client_for(p.shop).set_inventory_quantities(
        [InventorySet(item, location_ids(p)[MAIN], value, was)]
    )
    wait_for(
        lambda: (
            p.ingest_here()
            or SyncJob.objects.filter(
                shop=p.shop, kind="stock.level_update", event__payload__available=value
            ).exists()
            or None
        ),
        timeout=30,
        message="the inventory_levels/update delivery",
    )


def test_shopify_raised_by_hand_is_brought_back_to_odoos_truth(p):
    # given
    item = in_line_at(p, "NOTEBOOK-BLACK", 30)
    # when: someone sets 99 in Shopify's admin
    set_in_shopify_admin(p, item, 99, was=30)
    jobs = run_stock_jobs(p)
    # then
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == 30
    assert any(j.result and j.result.get("outcome") == "reasserted" for j in jobs)


def test_a_fall_in_shopify_seen_moments_ago_is_raised_back_only_on_the_retry_once_no_order_explains_it(p):
    # given: Shopify and Odoo agree at 30, our push's echo seen
    item = in_line_at(p, "NOTEBOOK-BLACK", 30)
    # when: Shopify's stock falls to 26 and its inventory_levels/update arrives before any order (a sale's
    # orders/create may follow it: Shopify sends the two separately)
    set_in_shopify_admin(p, item, 26, was=30)
    [job] = run_stock_jobs(p, rounds=1)
    # then the first attempt does not give the 4 units back: it says why and is tried again
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == 26
    assert job.kind == "stock.level_update" and job.state == JobState.RETRYING
    assert "held back (NOTEBOOK-BLACK)" in job.error_message
    assert "the order that sold the units may not have reached us" in job.error_message
    # and when no order came by its retry, the fall is drift: Odoo's truth is asserted again
    [job] = run_stock_jobs(p, rounds=1)
    assert job.state == JobState.SUCCEEDED and job.result["outcome"] == "reasserted"
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == 30


def test_odoo_down_delays_a_push_and_loses_nothing(p):
    # given
    set_odoo(p, "NOTEBOOK-BLACK", 21)
    poll(p)
    p.odoo.control.add_fault("down")
    # when
    jobs = run_stock_jobs(p, rounds=1)
    # then
    assert {j.state for j in jobs} == {JobState.RETRYING}
    p.odoo.control.clear_faults()
    run_stock_jobs(p)
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == 21


def test_the_signed_wake_only_brings_the_next_read_forward(p):
    # given
    from django.utils import timezone

    from sync.models import OdooChangeCursor
    from sync.services.stock import odoo_wake_path

    OdooChangeCursor.objects.filter(shop=p.shop).update(due_at=timezone.now() + timezone.timedelta(hours=1))
    path = odoo_wake_path(shop=p.shop)
    # when
    forged = requests.post(
        f"{p.callback_url.rsplit('/webhooks', 1)[0]}{path[:-3]}xyz", json={"quantity": 999}, timeout=30
    )
    woken = requests.post(
        f"{p.callback_url.rsplit('/webhooks', 1)[0]}{path}", json={"quantity": 999}, timeout=30
    )
    # then
    assert forged.status_code == 401
    assert (woken.status_code, woken.json()) == (200, {"woken": 2})
    due = OdooChangeCursor.objects.filter(shop=p.shop, stream__in=["stock.quant", "stock.move"])
    assert all(c.due_at <= timezone.now() for c in due)
    assert not SyncJob.objects.filter(shop=p.shop, state=JobState.QUEUED, kind="stock.push").exists()


def test_a_resync_of_one_sku_reads_shopify_and_asserts_odoos_truth(p):
    # given: Shopify's value changed behind our back (no webhook reaches us for it)
    from sync.connectors.shopify.types import InventorySet
    from sync.services.stock import stock_resync

    main = location_ids(p)[MAIN]
    level = StockLevel.objects.get(shop=p.shop, sku="NOTEBOOK-BLACK", location=main)
    shopify_client_for(p.shop).set_inventory_quantities(
        [InventorySet(level.inventory_item_id, main, 77, level.shopify_available)]
    )
    # when
    job = stock_resync(shop=p.shop, skus=["NOTEBOOK-BLACK"])
    run_stock_jobs(p, kinds=("stock.push",))
    # then
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == level.target


def test_peak_mode_holds_back_the_buffer_and_shortens_the_cycle(p):
    # given: a peak buffer of 4 per SKU and location
    from django.utils import timezone

    from sync.models import OdooChangeCursor
    from sync.services.stock import stock_peak_set

    shop_row = next(e.value for e in mapping_entries(shop=p.shop) if e.table == MappingTable.SHOP)
    mapping_apply(shop=p.shop, rows=[MappingRow(MappingTable.SHOP, "shop", {**shop_row, "peak_buffer": 4})])
    set_odoo(p, "NOTEBOOK-BLACK", 30)
    poll(p)
    run_stock_jobs(p)
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == 30
    # when
    stock_peak_set(shop=p.shop, on=True)
    run_stock_jobs(p)
    report = poll(p)
    # then
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == 26
    cursor = OdooChangeCursor.objects.get(shop=p.shop, stream="stock.quant")
    assert report.outcome == "read"
    assert (cursor.due_at - timezone.now()).total_seconds() <= 2.0
    # and off: the buffer is given back
    stock_peak_set(shop=p.shop, on=False)
    run_stock_jobs(p)
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == 30


def test_shopify_throttled_delays_a_push_and_loses_nothing(p):
    # given: Shopify answers 429 to every call for a while (more than the connector's own retries)
    set_odoo(p, "NOTEBOOK-BLACK", 23)
    poll(p)
    p.shopify.control.api_fault("429", count=100, retry_after=1)
    # when
    jobs = run_stock_jobs(p, kinds=("stock.push",), rounds=1)
    # then: the push waits for its retry, nothing set, nothing parked or dead
    assert {j.state for j in jobs} == {JobState.RETRYING}
    assert "RateLimited" in jobs[0].error_class
    p.shopify.control.clear_faults()
    run_stock_jobs(p, kinds=("stock.push",))
    assert shopify_available(p, "NOTEBOOK-BLACK")[MAIN] == 23
    assert not SyncJob.objects.filter(
        shop=p.shop, kind="stock.push", state__in=[JobState.DEAD, JobState.NEEDS_ATTENTION]
    ).exists()
