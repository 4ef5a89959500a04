"""Priorities: stock runs first, then orders, cancellations, refunds and fulfilments, then catalogue,
customers and privacy, fairly between shops. A catalogue re-sync of 10,000 products (jobs queued as data,
with their queue entries) never delays an order by more than one claim cycle: the next entry any worker
takes runs the order, and the catalogue entry it took goes back to the end of the queue, so no job loses
its entry. A stock change goes ahead of a backlog of orders the same way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from sync.engine.queue import JobSpec, job_create
from sync.engine.queue_adapter import queue_entry
from sync.engine.run import job_run
from sync.flows import registry
from sync.kinds import KINDS, kind_priority
from sync.models import JobState, SyncJob
from tests.factories import ShopifyShopFactory

RAN: list[str] = []


def _recording_flow(job: SyncJob, ctx: Any) -> dict[str, Any]:
    RAN.append(job.subject)
    return {"outcome": "done"}


@pytest.fixture(autouse=True)
def recording_flows(monkeypatch):
    for kind in ("catalogue.push", "order.upsert", "customer.upsert", "stock.push", "stock.level_update"):
        monkeypatch.setitem(registry.FLOWS, kind, _recording_flow)
    RAN.clear()
    yield RAN
    RAN.clear()


def _backlog(shop, count: int, *, kind: str, subject: str) -> None:
    """Jobs of one kind and their queue entries, written as data (one INSERT ... generate_series); subjects
    ``<subject>:1`` ... ``<subject>:<count>``."""
    flow = KINDS[kind].flow
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO sync_syncjob (kind, flow, shop_id, idempotency_key, subject, subject_label, state,
                priority, attempts, max_attempts, correlation_id, error_class, error_code, error_key,
                error_message, fingerprint, finance, closed_note, created_at, updated_at)
            SELECT %s, %s, %s, 'backlog:' || %s || ':' || %s || ':' || g, %s || ':' || g, '',
                'queued', %s, 0, 8, gen_random_uuid(), '', '', '', '', '', false, '', now(), now()
            FROM generate_series(1, %s) g
            """,
            [kind, flow, shop.pk, kind, shop.pk, subject, kind_priority(kind, flow), count],
        )
    keys = SyncJob.objects.filter(shop=shop, kind=kind).order_by("pk")
    OrmQ.objects.bulk_create(
        [queue_entry(k, group=flow) for k in keys.values_list("idempotency_key", flat=True)],
        batch_size=2000,
    )


def _catalogue_resync(shop, products: int) -> None:
    """A re-sync's jobs and their queue entries."""
    _backlog(shop, products, kind="catalogue.push", subject="product")


def _order(shop, n: int) -> SyncJob:
    job, _ = job_create(
        spec=JobSpec(
            kind="order.upsert",
            flow="orders",
            shop=shop,
            idempotency_key=f"webhook:{shop.pk}:order-{n}",
            subject=f"order:{n}",
        )
    )
    return job


def _claim_cycle() -> str:
    """One worker's turn: take the oldest queue entry and run what it names (or what goes first)."""
    entry = OrmQ.objects.order_by("pk").first()
    assert entry is not None
    key = SignedPackage.loads(entry.payload)["args"][0]
    entry.delete()
    return job_run(key=key)


def test_kinds_have_the_priorities_of_the_issue():
    by_priority: dict[int, set[str]] = {}
    for kind, spec in KINDS.items():
        by_priority.setdefault(spec.priority, set()).add(kind)
    assert sorted(by_priority) == [0, 1, 2, 3]
    first, levels, orders, later = (by_priority[p] for p in (0, 1, 2, 3))
    assert first == {"stock.push", "stock.check_sku"}
    assert levels == {"stock.level_update"}
    assert {"order.upsert", "order.cancel", "order.backfill", "refund.create", "refund.push"} <= orders
    assert {"fulfillment.push", "fulfillment.inbound", "shop.uninstalled"} <= orders
    assert {"catalogue.push", "catalogue.shopify_update", "customer.upsert", "customer.push"} <= later


def test_a_catalogue_resync_of_10000_products_never_delays_an_order_by_more_than_one_claim_cycle():
    shop = ShopifyShopFactory()
    other_shop = ShopifyShopFactory()
    _catalogue_resync(shop, 10_000)
    assert OrmQ.objects.count() == 10_000

    # the re-sync runs
    for _ in range(3):
        assert _claim_cycle() == "succeeded"
    assert RAN == ["product:1", "product:2", "product:3"]

    # when orders arrive (one, then two of two shops together) behind 9,997 catalogue entries
    for arrivals, turns in (([(shop, 1)], [0]), ([(shop, 2), (other_shop, 3)], [1, 0])):
        orders = [_order(s, n) for s, n in arrivals]
        # (of two shops, the one the re-sync has not just served goes first: sync/engine/pick.py)
        for order in [orders[i] for i in turns]:
            # then each runs in the very next claim cycle
            RAN.clear()
            assert _claim_cycle() == "succeeded"
            assert [order.subject] == RAN
        for order in orders:
            order.refresh_from_db()
            assert order.state == JobState.SUCCEEDED
        # and the re-sync goes on after them
        RAN.clear()
        assert _claim_cycle() == "succeeded"
        assert RAN[0].startswith("product:")

    # and no catalogue job lost its queue entry: every one still queued is named by one
    queued = set(
        SyncJob.objects.filter(kind="catalogue.push", state=JobState.QUEUED).values_list(
            "idempotency_key", flat=True
        )
    )
    named = [SignedPackage.loads(p)["args"][0] for p in OrmQ.objects.values_list("payload", flat=True)]
    assert queued <= set(named)
    assert len(queued) == 10_000 - 5
    # the orders' own entries, taken later, find their jobs done
    assert job_run(key=f"webhook:{shop.pk}:order-1") == "not_runnable"


def test_orders_go_first_fairly_between_shops():
    busy_shop = ShopifyShopFactory()
    quiet_shop = ShopifyShopFactory()
    _catalogue_resync(busy_shop, 10)
    # the busy shop has a job running now and three orders waiting; the quiet shop's one order came last
    running = _order(busy_shop, 100)
    SyncJob.objects.filter(pk=running.pk).update(
        state=JobState.RUNNING, lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    waiting = [_order(busy_shop, n) for n in (101, 102, 103)]
    quiet = _order(quiet_shop, 200)
    assert quiet.pk > max(w.pk for w in waiting)

    assert _claim_cycle() == "succeeded"  # a catalogue entry, taken first

    assert RAN == ["order:200"]  # the quiet shop's order went before the busy shop's older ones


def test_a_customer_job_waits_for_an_order_but_an_order_never_waits_for_a_customer_job():
    shop = ShopifyShopFactory()
    customer, _ = job_create(
        spec=JobSpec(
            kind="customer.upsert",
            flow="customers",
            shop=shop,
            idempotency_key="customer-1",
            subject="customer:1",
        )
    )
    assert customer.priority == 3
    order = _order(shop, 7)
    assert order.priority == 2

    assert _claim_cycle() == "succeeded"  # the customer's entry was first: the order ran
    assert RAN == ["order:7"]
    assert _claim_cycle() == "not_runnable"  # the order's own entry: nothing left to do for it
    assert _claim_cycle() == "succeeded"  # the customer's entry, put back at the end
    assert RAN == ["order:7", "customer:1"]


def test_a_shop_with_a_backlog_of_orders_takes_turns_with_a_shop_whose_orders_came_after():
    # given a shop with 30 orders queued, then a second shop's three orders, all of one priority
    busy_shop = ShopifyShopFactory()
    quiet_shop = ShopifyShopFactory()
    backlog = [_order(busy_shop, n) for n in range(1, 31)]
    later = [_order(quiet_shop, n) for n in (101, 102, 103)]
    assert max(j.pk for j in backlog) < min(j.pk for j in later)

    # when one worker takes six queue entries (all of them the busy shop's)
    for _ in range(6):
        assert _claim_cycle() == "succeeded"

    # then the shops took turns: the quiet shop's orders did not wait behind the backlog
    assert RAN == ["order:1", "order:101", "order:3", "order:102", "order:5", "order:103"]
    # and the busy shop's orders passed over kept their entries (put back at the end of the queue)
    queued = set(
        SyncJob.objects.filter(shop=busy_shop, state=JobState.QUEUED).values_list(
            "idempotency_key", flat=True
        )
    )
    named = [SignedPackage.loads(p)["args"][0] for p in OrmQ.objects.values_list("payload", flat=True)]
    assert len(queued) == 27
    assert queued <= set(named)
    # once the quiet shop has nothing due, the backlog runs on in queue order, nothing put back
    entries = OrmQ.objects.count()
    RAN.clear()
    assert _claim_cycle() == "succeeded"
    assert RAN == ["order:7"]
    assert OrmQ.objects.count() == entries - 1


def _stock_job(shop, key: str, *, kind: str = "stock.push", subject: str = "stock") -> SyncJob:
    job, _ = job_create(
        spec=JobSpec(kind=kind, flow="stock", shop=shop, idempotency_key=key, subject=subject)
    )
    return job


def test_a_stock_change_goes_ahead_of_a_backlog_of_1000_orders_within_one_claim_cycle():
    # given a shop with 1,000 orders queued (a flash sale's backlog), then Odoo's stock of a SKU changes
    shop = ShopifyShopFactory()
    _backlog(shop, 1000, kind="order.upsert", subject="order")
    push = _stock_job(shop, "stock:push:1")
    assert push.priority < SyncJob.objects.filter(kind="order.upsert").first().priority  # type: ignore[union-attr]

    # when a worker takes the next queue entry (the oldest order's)
    assert _claim_cycle() == "succeeded"

    # then it ran the stock push, not the order, and the orders go on after it
    assert RAN == ["stock"]
    push.refresh_from_db()
    assert push.state == JobState.SUCCEEDED
    assert _claim_cycle() == "succeeded"
    assert RAN[0] == "stock" and RAN[1].startswith("order:")
    # and the order entry passed over kept its place: every queued order is still named by an entry
    named = {SignedPackage.loads(p)["args"][0] for p in OrmQ.objects.values_list("payload", flat=True)}
    queued = set(
        SyncJob.objects.filter(kind="order.upsert", state=JobState.QUEUED).values_list(
            "idempotency_key", flat=True
        )
    )
    assert len(queued) == 999
    assert queued <= named


def test_while_a_stock_job_runs_the_others_of_its_shop_are_passed_over_for_orders():
    # given a stock push running now (under the shop's stock lock), an order, and a stock level update
    # waiting for the push
    shop = ShopifyShopFactory()
    running = _stock_job(shop, "stock:push:running")
    SyncJob.objects.filter(pk=running.pk).update(
        state=JobState.RUNNING, lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    OrmQ.objects.all().delete()
    order = _order(shop, 9)
    level = _stock_job(shop, "stock:level:1", kind="stock.level_update", subject="level:1")

    # when a worker takes the order's entry
    assert _claim_cycle() == "succeeded"

    # then it ran the order: the level update waits for the running push, untouched (not taken only to
    # find the lock held)
    assert RAN == ["order:9"]
    order.refresh_from_db()
    level.refresh_from_db()
    assert (order.state, level.state, level.attempts) == (JobState.SUCCEEDED, JobState.QUEUED, 0)

    # and once the push has finished, the level update goes ahead of the next order
    SyncJob.objects.filter(pk=running.pk).update(state=JobState.SUCCEEDED, lease_expires_at=None)
    _order(shop, 10)
    RAN.clear()
    while OrmQ.objects.exists() and not RAN:
        _claim_cycle()
    assert RAN == ["level:1"]


def test_a_stock_push_goes_ahead_of_shopify_stock_level_changes_that_came_before_it():
    # given Shopify's stock level changes waiting (a sale brings one per item sold), then an Odoo stock
    # change's push
    shop = ShopifyShopFactory()
    levels = [
        _stock_job(shop, f"stock:level:{n}", kind="stock.level_update", subject=f"level:{n}")
        for n in range(5)
    ]
    _stock_job(shop, "stock:push:odoo")
    assert max(lv.pk for lv in levels) < SyncJob.objects.get(idempotency_key="stock:push:odoo").pk

    # when a worker takes the next queue entry (the first level change's)
    assert _claim_cycle() == "succeeded"

    # then the push ran first: the stock lock is not held by the level changes ahead of it
    assert RAN == ["stock"]
