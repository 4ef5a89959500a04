"""The Redis broker (OPSCONSOLE_Q_BROKER=redis://...): a job is pushed only once its transaction commits,
and a push lost after the commit is enqueued again by the sweeper. Marked ``redis``; needs the machine's
Redis (tests/support/redis_queue.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_q.models import OrmQ

from sync.engine import queue as queue_module
from sync.engine.ingest import deliveries_ingest
from sync.engine.queue import JobSpec, job_create
from sync.engine.sweep import jobs_sweep
from sync.models import InboundEvent, JobState, SyncJob
from tests.factories import ShopifyShopFactory
from tests.support.redis_queue import redis_queue

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rq():  # type: ignore[no-untyped-def]
    with redis_queue() as queue:
        yield queue


def _spec(shop, key: str) -> JobSpec:  # type: ignore[no-untyped-def]
    return JobSpec(kind="test.flow", flow="test", shop=shop, idempotency_key=key, subject=f"order:{key}")


def test_a_job_is_pushed_to_redis_only_when_its_transaction_commits(rq):
    shop = ShopifyShopFactory()

    with transaction.atomic():
        job_create(spec=_spec(shop, "redis:1"))
        inside = rq.length()

    assert inside == 0
    assert rq.job_keys() == ["redis:1"]
    assert OrmQ.objects.count() == 0


def test_a_rolled_back_job_is_never_pushed(rq):
    shop = ShopifyShopFactory()

    with pytest.raises(RuntimeError), transaction.atomic():
        job_create(spec=_spec(shop, "redis:2"))
        raise RuntimeError("the caller's transaction fails")

    assert (SyncJob.objects.count(), rq.length()) == (0, 0)


def test_a_push_lost_after_the_commit_is_enqueued_again_by_the_sweeper_once(rq, monkeypatch):
    # given Redis refuses the push of a job that committed (a crash between the commit and the push)
    shop = ShopifyShopFactory()

    def refused() -> None:
        raise ConnectionError("Redis went away")

    monkeypatch.setattr(queue_module, "_redis_broker", refused)
    job_create(spec=_spec(shop, "redis:3"))
    monkeypatch.undo()
    assert (SyncJob.objects.get().state, rq.length()) == (JobState.QUEUED, 0)

    # when the sweeper runs before, and after, the stranded delay
    early = jobs_sweep(now=timezone.now())
    later = jobs_sweep(now=timezone.now() + timedelta(minutes=10))
    again = jobs_sweep(now=timezone.now() + timedelta(minutes=20))

    # then the job is back on the queue once, and stays once
    assert (early.stranded, later.stranded, again.stranded) == (0, 1, 0)
    assert rq.job_keys() == ["redis:3"]


def test_a_backlog_waiting_in_redis_is_not_enqueued_twice(rq):
    shop = ShopifyShopFactory()
    for n in range(3):
        job_create(spec=_spec(shop, f"redis:backlog:{n}"))

    report = jobs_sweep(now=timezone.now() + timedelta(minutes=10))

    assert report.stranded == 0
    assert rq.length() == 3


def _post_order(client, webhook_id: str):  # type: ignore[no-untyped-def]
    import base64
    import hashlib
    import hmac
    import json

    body = json.dumps(
        {"id": 77, "name": "#77", "updated_at": "2026-11-20T10:00:00Z", "line_items": []}
    ).encode()
    signature = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
    return client.post(
        "/webhooks/shopify",
        data=body,
        content_type="application/json",
        headers={
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": "redis.myshopify.com",
            "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Event-Id": f"ev-{webhook_id}",
            "X-Shopify-Triggered-At": timezone.now().isoformat(),
        },
    )


@pytest.fixture
def redis_shop():  # type: ignore[no-untyped-def]
    from sync.services.inbox import shop_cache_clear

    shop_cache_clear()
    yield ShopifyShopFactory(domain="redis.myshopify.com", client_secret="s3cret")
    shop_cache_clear()


def test_a_webhook_stores_its_delivery_and_the_pump_pushes_its_job_after_the_commit(rq, client, redis_shop):
    response = _post_order(client, "wh-redis-1")

    # the request stored the delivery and pushed nothing
    assert response.status_code == 200 and response.json() == {"status": "stored"}
    event = InboundEvent.objects.get()
    assert (rq.length(), OrmQ.objects.count()) == (0, 0)
    # the inbox pump makes the job and pushes it once that has committed
    assert [i.outcome for i in deliveries_ingest()] == ["stored"]
    job = SyncJob.objects.get()
    assert (job.idempotency_key, job.event) == (f"webhook:{redis_shop.pk}:wh-redis-1", event)
    assert rq.job_keys() == [job.idempotency_key]
    assert OrmQ.objects.count() == 0
