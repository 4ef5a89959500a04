"""app/uninstalled pauses a shop's outbound jobs until it is connected again; a parked delivery of a topic no
flow handled runs the topic's flow once one exists."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from sync.engine.ingest import delivery_ingest
from sync.engine.queue import JobSpec, job_create
from sync.engine.run import job_run
from sync.flows import registry
from sync.kinds import KINDS, TOPIC_KINDS, JobKind
from sync.models import InboundEvent, JobState, Problem, ShopifyShop, SyncJob
from sync.services.connections import shopify_connect
from sync.services.inbox import webhook_receive
from tests.factories import ShopifyShopFactory
from tests.sync.test_webhook_inbox import sign


@pytest.fixture
def outbound_kind(monkeypatch):
    monkeypatch.setitem(
        KINDS, "test.outbound", JobKind("test.outbound", "test", "Test push", direction="outbound")
    )
    monkeypatch.setitem(registry.FLOWS, "test.outbound", lambda job, ctx: {"outcome": "pushed"})


def _job(shop: ShopifyShop, kind: str, key: str, **extra) -> SyncJob:  # type: ignore[no-untyped-def]
    job, _ = job_create(
        spec=JobSpec(kind=kind, flow="test", shop=shop, idempotency_key=key, subject=f"x:{key}", **extra)
    )
    return job


def _deliver(shop: ShopifyShop, topic: str, payload: dict) -> int | None:  # type: ignore[type-arg]
    body = json.dumps(payload).encode()
    headers = {
        "topic": topic,
        "shop": shop.domain,
        "hmac": sign(body, shop.client_secret),
        "webhook_id": f"w-{topic}-{payload['id']}",
        "api_version": "2026-07",
        "triggered_at": timezone.now().isoformat(),  # app/uninstalled is acted on only when fresh
    }
    receipt = webhook_receive(headers=headers, body=body, remote_addr="127.0.0.1")
    assert receipt.event_id is not None
    return delivery_ingest(event_id=receipt.event_id).job_id  # what the inbox pump does


def test_app_uninstalled_marks_the_shop_and_parks_outbound_jobs_until_it_is_connected_again(outbound_kind):
    shop = ShopifyShopFactory(client_secret="s3cret")
    uninstall = SyncJob.objects.get(pk=_deliver(shop, "app/uninstalled", {"id": 1, "domain": shop.domain}))
    push = _job(shop, "test.outbound", "push:1")
    inbound = _job(shop, "test.flow", "in:1")

    # when the uninstall job runs, then the shop is marked once
    assert uninstall.kind == "shop.uninstalled"
    assert job_run(key=uninstall.idempotency_key) == "succeeded"
    shop.refresh_from_db()
    assert shop.uninstalled_at is not None
    # and an outbound job parks on "app uninstalled" without calling Shopify; inbound work goes on
    assert job_run(key=push.idempotency_key) == "failed"
    assert job_run(key=inbound.idempotency_key) == "succeeded"
    push.refresh_from_db()
    assert (push.state, push.fingerprint) == (JobState.NEEDS_ATTENTION, f"app_uninstalled:{shop.domain}")
    assert (
        Problem.objects.get(pk=push.problem_id).title
        == f"App uninstalled from {shop.domain}: outbound paused"
    )

    # when the shop is connected again with a new token, then the mark goes and the parked job is replayed
    shopify_connect(
        domain=shop.domain, token="shpat_new", client_secret="s3cret", api_version="2026-07", odoo=shop.odoo
    )
    shop.refresh_from_db()
    push.refresh_from_db()
    assert shop.uninstalled_at is None and push.state == JobState.QUEUED
    assert job_run(key=push.idempotency_key) == "succeeded"


def test_a_parked_unhandled_delivery_parks_again_on_replay_and_runs_the_new_flow_once_one_exists(monkeypatch):
    shop = ShopifyShopFactory(client_secret="s3cret")
    job = SyncJob.objects.get(pk=_deliver(shop, "collections/update", {"id": 5, "title": "Summer"}))
    SyncJob.objects.filter(pk=job.pk).update(state=JobState.QUEUED)

    # a replay with no flow for the topic yet: parked again on the same problem
    assert job_run(key=job.idempotency_key) == "failed"
    job.refresh_from_db()
    assert (job.state, job.fingerprint) == (JobState.NEEDS_ATTENTION, "unhandled_topic:collections/update")
    assert Problem.objects.get().times_seen == 2

    # a release adds a kind for the topic: the replay runs its flow on the stored delivery
    seen: list[object] = []
    monkeypatch.setitem(
        KINDS, "collection.sync", JobKind("collection.sync", "test", "C", ("collections/update",))
    )
    monkeypatch.setitem(TOPIC_KINDS, "collections/update", KINDS["collection.sync"])
    monkeypatch.setitem(
        registry.FLOWS,
        "collection.sync",
        lambda j, ctx: seen.append(j.event.payload) or {"outcome": "synced"},
    )
    SyncJob.objects.filter(pk=job.pk).update(state=JobState.QUEUED)
    assert job_run(key=job.idempotency_key) == "succeeded"
    assert seen == [InboundEvent.objects.get().payload] == [{"id": 5, "title": "Summer"}]
