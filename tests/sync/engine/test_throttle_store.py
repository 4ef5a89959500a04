"""The Shopify cost bucket every worker shares through the database: the store the engine passes to the
connector (which knows no table), and the clients the engine builds use it."""

from datetime import UTC, datetime

import pytest

from sync.connectors.shopify.types import ThrottleStatus
from sync.engine.clients import clients_reset, shopify_client_for
from sync.engine.throttle_store import DatabaseThrottleStore
from sync.models import ShopifyRateLimitState
from tests.factories import ShopifyShopFactory


def test_database_store_shares_the_bucket_between_workers(db):
    # given two workers' stores and a bucket Shopify reported at 30 of 100, restoring 10 per second
    first, second = DatabaseThrottleStore(), DatabaseThrottleStore()
    t0 = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    first.record("demo.myshopify.com", ThrottleStatus(100, 30, 10), now=t0)
    # when both reserve 20 points at the same moment
    a = first.reserve("demo.myshopify.com", 20, now=t0)
    b = second.reserve("demo.myshopify.com", 20, now=t0)
    # then only the first gets them; the second must wait 1 s for the 10 missing points
    assert a == 0.0
    assert b == pytest.approx(1.0)
    row = ShopifyRateLimitState.objects.get(shop_domain="demo.myshopify.com")
    assert (row.available, row.maximum, row.restore_rate) == (10.0, 100.0, 10.0)
    assert second.reserve("unknown.myshopify.com", 20, now=t0) == 0.0


def test_drain_empties_the_shared_bucket(db):
    store = DatabaseThrottleStore()
    t0 = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    store.record("d.myshopify.com", ThrottleStatus(100, 100, 50), now=t0)

    store.drain("d.myshopify.com", now=t0)

    assert store.reserve("d.myshopify.com", 10, now=t0) == pytest.approx(0.2)


def test_the_clients_the_engine_builds_share_the_database_bucket(db):
    clients_reset()
    shop = ShopifyShopFactory()

    client = shopify_client_for(shop)

    assert isinstance(client.transport.throttle.store, DatabaseThrottleStore)
    clients_reset()
