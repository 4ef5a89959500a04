"""Priorities: orders, cancellations, refunds, fulfilments and stock run ahead of catalogue, customers and
privacy, fairly between shops. A catalogue re-sync of 10,000 products (jobs queued as data, with their
queue entries) never delays an order by more than one claim cycle: the next entry any worker takes runs
the order, and the catalogue entry it took goes back to the end of the queue, so no job loses its entry."""

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
from sync.kinds import KINDS
from sync.models import JobState, SyncJob
from tests.factories import ShopifyShopFactory

RAN: list[str] = []


def _recording_flow(job: SyncJob, ctx: Any) -> dict[str, Any]:
    RAN.append(job.subject)
    return {"outcome": "done"}


@pytest.fixture(autouse=True)
def recording_flows(monkeypatch):
    for kind in ("catalogue.push", "order.upsert", "customer.upsert"):
        monkeypatch.setitem(registry.FLOWS, kind, _recording_flow)
    RAN.clear()
    yield RAN
    RAN.clear()


def _catalogue_resync(shop, products: int) -> None:
    """A re-sync's jobs and their queue entries, written as data (one INSERT ... generate_series)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO sync_syncjob (kind, flow, shop_id, idempotency_key, subject, subject_label, state,
                priority, attempts, max_attempts, correlation_id, error_class, error_code, error_key,
                error_message, fingerprint, finance, closed_note, created_at, updated_at)
            SELECT 'catalogue.push', 'catalogue', %s, 'resync:' || %s || ':' || g, 'product:' || g, '',
                'queued', 1, 0, 8, gen_random_uuid(), '', '', '', '', '', false, '', now(), now()
            FROM generate_series(1, %s) g
            """,
            [shop.pk, shop.pk, products],
        )
    keys = SyncJob.objects.filter(shop=shop, kind="catalogue.push").order_by("pk")
    OrmQ.objects.bulk_create(
        [queue_entry(k, group="catalogue") for k in keys.values_list("idempotency_key", flat=True)],
        batch_size=2000,
    )


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
    first = {k for k, v in KINDS.items() if v.priority == 0}
    later = {k for k, v in KINDS.items() if v.priority == 1}
    assert {"order.upsert", "order.cancel", "order.backfill", "refund.create", "stock.push"} <= first
    assert {"fulfillment.push", "fulfillment.inbound", "stock.level_update"} <= first
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
    assert customer.priority == 1
    order = _order(shop, 7)
    assert order.priority == 0

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
