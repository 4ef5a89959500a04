import base64
import hashlib
import hmac
import json
import threading
import uuid
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ

from sync.engine import ingest as ingest_module
from sync.engine.ingest import deliveries_ingest, delivery_ingest, inbox_pump
from sync.engine.queue import JobSpec, job_create
from sync.engine.replay import problem_jobs_replay
from sync.engine.run import job_run
from sync.engine.sweep import jobs_sweep
from sync.flows import registry
from sync.flows.payloads import job_payload
from sync.flows.stock import pending_sales
from sync.models import InboundEvent, JobState, Problem, RejectedDelivery, SyncJob
from sync.selectors.jobs import job_search_q
from sync.services.inbox import shop_cache_clear
from tests.factories import ShopifyShopFactory
from tests.support.processes import wait_for

SECRET = "test-client-secret"
ORDER = {
    "id": 820982911946154508,
    "name": "#1001",
    "updated_at": "2026-11-20T10:00:00-05:00",
    "line_items": [],
}


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def deliver(
    client,
    body: bytes,
    *,
    topic="orders/create",
    shop="demo.myshopify.com",
    webhook_id=None,
    event_id=None,
    signature=None,
    **extra,
):
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-API-Version": "2026-01",
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": "2026-11-20T15:00:00.000Z",
        "X-Shopify-Hmac-Sha256": sign(body) if signature is None else signature,
    }
    headers = {k: v for k, v in headers.items() if v is not None and v != "<omit>"}
    headers.update(extra)
    return client.post("/webhooks/shopify", data=body, content_type="application/json", headers=headers)


def ingest() -> list[str]:
    """What a worker's inbox pump does: ingest the stored deliveries not ingested yet, oldest first."""
    return [i.outcome for i in deliveries_ingest()]


@pytest.fixture(autouse=True)
def shop(db):
    shop_cache_clear()
    yield ShopifyShopFactory(domain="demo.myshopify.com", client_secret=SECRET)
    shop_cache_clear()


def body_of(payload) -> bytes:
    return json.dumps(payload).encode()


def test_a_signed_order_is_stored_raw_before_the_answer_and_made_a_job_with_its_entry_by_the_pump(
    client, shop
):
    body = body_of(ORDER)

    response = deliver(client, body, webhook_id="wh-1", event_id="ev-1")

    # before the answer: the delivery as received, and nothing else
    assert response.status_code == 200 and response.json() == {"status": "stored"}
    event = InboundEvent.objects.get()
    assert (event.shop, event.topic, event.webhook_id, event.event_id) == (
        shop,
        "orders/create",
        "wh-1",
        "ev-1",
    )
    assert bytes(event.raw_body) == body
    assert (event.payload, event.ingested_at, SyncJob.objects.count(), OrmQ.objects.count()) == (
        None,
        None,
        0,
        0,
    )

    # the inbox pump parses it and makes the job with its queue entry, once
    assert ingest() == ["stored"]
    assert ingest() == []
    assert delivery_ingest(event_id=event.pk).outcome == "ingested_before"
    event.refresh_from_db()
    assert event.payload == ORDER and event.ingested_at is not None
    assert event.subject_id == "820982911946154508"
    assert "hmac" not in event.headers and event.headers["api_version"] == "2026-01"
    job = SyncJob.objects.get()
    assert (job.kind, job.state, job.event, job.subject) == (
        "order.upsert",
        JobState.QUEUED,
        event,
        "order:820982911946154508",
    )
    assert job.idempotency_key == f"webhook:{shop.pk}:wh-1"
    assert OrmQ.objects.count() == 1
    assert OrmQ.objects.get().task["args"] == (job.idempotency_key,)


def test_a_duplicate_delivery_answers_200_and_creates_nothing(client):
    body = body_of(ORDER)
    deliver(client, body, webhook_id="wh-1", event_id="ev-1")

    same_delivery = deliver(client, body, webhook_id="wh-1", event_id="ev-1")
    same_event_new_delivery = deliver(client, body, webhook_id="wh-2", event_id="ev-1")
    ingest()

    assert same_delivery.status_code == 200 and same_delivery.json() == {"status": "duplicate"}
    assert same_event_new_delivery.status_code == 200 and same_event_new_delivery.json() == {
        "status": "duplicate"
    }
    assert (InboundEvent.objects.count(), SyncJob.objects.count(), OrmQ.objects.count()) == (1, 1, 1)


@pytest.mark.django_db(transaction=True)
def test_five_concurrent_copies_of_one_delivery_make_one_event_and_one_job():
    shop_cache_clear()
    ShopifyShopFactory(domain="demo.myshopify.com", client_secret=SECRET)
    body = body_of(ORDER)
    answers: list[int] = []
    barrier = threading.Barrier(5)

    def send():
        barrier.wait()
        answers.append(deliver(Client(), body, webhook_id="wh-same", event_id="ev-same").status_code)
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ingest()

    assert answers == [200] * 5
    assert (InboundEvent.objects.count(), SyncJob.objects.count(), OrmQ.objects.count()) == (1, 1, 1)


@pytest.mark.parametrize(
    ("case", "kwargs"),
    [
        ("wrong secret", {"signature": sign(b'{"id": 1}', "someone-else")}),
        (
            "hex instead of base64",
            {"signature": hmac.new(SECRET.encode(), body_of(ORDER), hashlib.sha256).hexdigest()},
        ),
        ("missing signature", {"signature": "<omit>"}),
        ("empty signature", {"signature": ""}),
    ],
)
def test_a_bad_signature_is_401_logged_and_enqueues_nothing(client, case, kwargs):
    response = deliver(client, body_of(ORDER), **kwargs)

    assert response.status_code == 401
    rejected = RejectedDelivery.objects.get()
    assert rejected.reason == "bad_signature" and rejected.shop_domain == "demo.myshopify.com"
    assert (InboundEvent.objects.count(), SyncJob.objects.count(), OrmQ.objects.count()) == (0, 0, 0)


def test_one_changed_byte_fails_verification(client):
    body = body_of(ORDER)
    signature = sign(body)
    tampered = body.replace(b"#1001", b"#1002")

    response = deliver(client, tampered, signature=signature)

    assert response.status_code == 401
    assert InboundEvent.objects.count() == 0


def test_an_unknown_or_missing_shop_is_401(client):
    unknown = deliver(client, body_of(ORDER), shop="stranger.myshopify.com")
    missing = deliver(client, body_of(ORDER), shop="<omit>")

    assert (unknown.status_code, missing.status_code) == (401, 401)
    # the same refusal from the same address within the hour is one row, counted
    assert list(RejectedDelivery.objects.values_list("reason", "count")) == [("unknown_shop", 2)]
    assert InboundEvent.objects.count() == 0


def test_the_previous_client_secret_still_verifies_during_a_rotation(client, shop):
    shop.previous_client_secret = SECRET
    shop.client_secret = "rotated-secret"
    shop.save()
    shop_cache_clear()

    old = deliver(client, body_of(ORDER), signature=sign(body_of(ORDER), SECRET))
    new = deliver(
        client, body_of({**ORDER, "id": 2}), signature=sign(body_of({**ORDER, "id": 2}), "rotated-secret")
    )

    assert (old.status_code, new.status_code) == (200, 200)
    assert InboundEvent.objects.count() == 2


def test_an_oversized_body_is_413_without_storing_it(client, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1024
    body = body_of({**ORDER, "note": "x" * 5000})

    response = deliver(client, body)

    assert response.status_code == 413
    assert RejectedDelivery.objects.get().reason == "too_large"
    assert InboundEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("case", "body", "error"),
    [
        ("malformed JSON", b'{"id": 1, "name": ', "not valid JSON"),
        ("invalid UTF-8", b'{"id": 1, "name": "\xff\xfe"}', "not valid UTF-8"),
        ("NaN", b'{"id": NaN}', "not valid JSON"),
        ("a JSON array", b"[1, 2]", "not an object"),
        ("a byte-order mark", b'\xef\xbb\xbf{"id": 1}', "not valid JSON"),
    ],
)
def test_a_signed_but_unreadable_body_is_stored_answered_200_and_quarantined(client, case, body, error):
    response = deliver(client, body)

    assert response.status_code == 200 and response.json() == {"status": "stored"}
    assert ingest() == ["quarantined"]
    event = InboundEvent.objects.get()
    assert bytes(event.raw_body) == body
    assert event.payload is None and error in event.parse_error
    job = SyncJob.objects.get()
    assert job.state == JobState.NEEDS_ATTENTION
    assert job.fingerprint == "unreadable_payload:orders/create"
    assert OrmQ.objects.count() == 0


def test_a_signed_body_without_a_topic_is_quarantined(client):
    response = deliver(client, body_of(ORDER), topic="<omit>")

    assert response.status_code == 200
    assert ingest() == ["quarantined"]
    assert SyncJob.objects.get().fingerprint == "unreadable_payload:no-topic"


def test_a_topic_no_flow_handles_is_stored_and_parked_on_one_problem_per_topic(client, shop):
    # given two deliveries of a topic no job kind handles (a subscription made outside opsconsole)
    first = deliver(client, body_of({"id": 7, "title": "Summer"}), topic="collections/update")
    second = deliver(client, body_of({"id": 8, "title": "Winter"}), topic="collections/update")
    assert ingest() == ["unhandled", "unhandled"]

    # then both are stored and answered 200, each with a job parked at once on ONE problem, never silently
    assert [first.status_code, second.status_code] == [200, 200]
    assert first.json() == {"status": "stored"}
    assert InboundEvent.objects.filter(topic="collections/update").count() == 2
    jobs = list(SyncJob.objects.order_by("pk"))
    assert [(j.kind, j.state, j.error_code, j.fingerprint) for j in jobs] == [
        (
            "inbox.unhandled_topic",
            JobState.NEEDS_ATTENTION,
            "unhandled_topic",
            "unhandled_topic:collections/update",
        )
    ] * 2
    assert jobs[0].error_message.startswith("no flow handles topic collections/update")
    problem = Problem.objects.get()
    assert (problem.shop_id, problem.title, problem.times_seen) == (
        shop.pk,
        "No flow handles topic collections/update",
        2,
    )
    assert {j.problem_id for j in jobs} == {problem.pk}
    assert OrmQ.objects.count() == 0  # nothing for a worker to do until a person replays


def test_a_signed_body_with_an_escaped_nul_is_kept_raw_and_quarantined(client):
    # valid JSON for Python, but PostgreSQL's jsonb refuses \u0000
    body = b'{"id": 5, "note": "a\\u0000b", "updated_at": "2026-11-20T10:00:00Z"}'

    response = deliver(client, body)

    assert response.status_code == 200 and response.json() == {"status": "stored"}
    assert ingest() == ["quarantined"]
    event = InboundEvent.objects.get()
    assert bytes(event.raw_body) == body and "\\u0000" in event.parse_error
    assert SyncJob.objects.get().state == JobState.NEEDS_ATTENTION


def test_the_stored_delivery_is_logged_with_its_jobs_correlation_id(client, caplog):
    caplog.set_level("INFO", logger="sync.inbox")

    deliver(client, body_of(ORDER), webhook_id="wh-cid")
    ingest()

    job = SyncJob.objects.get()
    assert f"job {job.pk} [cid={job.correlation_id}]" in caplog.text


def test_a_lone_surrogate_escape_is_kept_raw_and_quarantined_not_a_500(client):
    body = b'{"id": 6, "note": "\\ud83d", "updated_at": "2026-11-20T10:00:00Z"}'

    response = deliver(client, body)

    assert response.status_code == 200 and response.json() == {"status": "stored"}
    assert ingest() == ["quarantined"]
    assert bytes(InboundEvent.objects.get().raw_body) == body


def test_an_escaped_backslash_before_u0000_is_ordinary_text(client):
    body = b'{"id": 7, "line_items": [], "note": "C:\\\\u0000dir", "updated_at": "2026-11-20T10:00:00Z"}'

    response = deliver(client, body)

    assert response.json() == {"status": "stored"}
    assert ingest() == ["stored"]
    assert InboundEvent.objects.get().payload["note"] == "C:\\u0000dir"


def test_without_a_webhook_id_two_topics_with_the_same_body_are_two_deliveries(client):
    body = body_of(ORDER)

    first = deliver(client, body, topic="orders/create", webhook_id="<omit>", event_id="<omit>")
    second = deliver(client, body, topic="orders/updated", webhook_id="<omit>", event_id="<omit>")

    assert (first.json(), second.json()) == ({"status": "stored"}, {"status": "stored"})
    assert InboundEvent.objects.count() == 2
    assert ingest() == ["stored", "stored"]


def test_an_impossible_timestamp_is_stored_without_it(client):
    body = body_of({**ORDER, "updated_at": "2026-02-31T10:00:00Z"})

    response = deliver(client, body, **{"X-Shopify-Triggered-At": "2026-13-01T00:00:00Z"})

    assert response.json() == {"status": "stored"}
    assert ingest() == ["stored"]
    event = InboundEvent.objects.get()
    assert (event.payload_updated_at, event.triggered_at) == (None, None)


def test_the_response_carries_the_correlation_id_the_job_was_given(client):
    response = deliver(client, body_of(ORDER), webhook_id="wh-cid-response")
    ingest()

    job = SyncJob.objects.get()
    assert response["X-Correlation-ID"] == str(job.correlation_id)


def test_a_callers_uuid_correlation_id_is_kept_and_anything_else_replaced(client):
    given = str(uuid.uuid4())

    kept = deliver(client, body_of(ORDER), webhook_id="wh-cid-kept", **{"X-Correlation-ID": given})
    replaced = deliver(
        client, body_of({**ORDER, "id": 2}), webhook_id="wh-cid-bad", **{"X-Correlation-ID": "x {evil}"}
    )
    ingest()

    assert kept["X-Correlation-ID"] == given
    assert str(SyncJob.objects.get(idempotency_key__endswith="wh-cid-kept").correlation_id) == given
    assert str(uuid.UUID(replaced["X-Correlation-ID"])) == replaced["X-Correlation-ID"]


# ------------------------------------------------------------------ topic confusion and freshness

REDACT = {
    "shop_id": 954889,
    "shop_domain": "demo.myshopify.com",
    "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
    "orders_to_redact": [299938, 280263],
}


def _recent(hours: float = 0) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


@pytest.mark.parametrize(
    "topic",
    [
        "orders/cancelled",
        "customers/redact",
        "shop/redact",
        "customers/update",
        "app/uninstalled",
        "refunds/create",
        "products/update",
        "inventory_levels/update",
        "fulfillments/create",
    ],
)
def test_an_order_body_under_another_topic_is_quarantined_without_a_job_of_that_topic(client, topic):
    response = deliver(client, body_of(ORDER), topic=topic, **{"X-Shopify-Triggered-At": _recent()})

    assert response.status_code == 200 and response.json() == {"status": "stored"}
    assert ingest() == ["quarantined"]
    job = SyncJob.objects.get()
    assert (job.kind, job.state, job.error_code, job.fingerprint) == (
        "inbox.unreadable",
        JobState.NEEDS_ATTENTION,
        "topic_mismatch",
        f"topic_mismatch:{topic}",
    )
    assert job.problem.title == f"Webhook body does not fit its topic ({topic}): not acted on"
    assert InboundEvent.objects.get().payload == ORDER


def test_a_redaction_for_another_shop_is_quarantined(client):
    body = body_of({**REDACT, "shop_domain": "other.myshopify.com"})

    response = deliver(client, body, topic="customers/redact", **{"X-Shopify-Triggered-At": _recent()})

    assert response.json() == {"status": "stored"}
    assert ingest() == ["quarantined"]
    assert SyncJob.objects.get().error_code == "topic_mismatch"


@pytest.mark.parametrize(
    ("triggered", "status", "kind"),
    [
        (lambda: _recent(hours=1), "stored", "privacy.customer_redact"),
        (lambda: _recent(hours=23), "stored", "privacy.customer_redact"),
        (lambda: _recent(hours=25), "quarantined", "inbox.unreadable"),
        (lambda: "", "quarantined", "inbox.unreadable"),
    ],
)
def test_a_destructive_topic_is_acted_on_only_within_its_freshness_window(client, triggered, status, kind):
    response = deliver(
        client, body_of(REDACT), topic="customers/redact", **{"X-Shopify-Triggered-At": triggered()}
    )

    assert response.json() == {"status": "stored"}
    assert ingest() == [status]
    job = SyncJob.objects.get()
    assert job.kind == kind
    if status == "quarantined":
        assert (job.error_code, job.problem.title) == (
            "stale_delivery",
            "Webhook delivery too old to act on (customers/redact)",
        )


def test_the_freshness_window_is_configurable(client, settings):
    settings.WEBHOOK_DESTRUCTIVE_MAX_AGE_HOURS = 72

    response = deliver(
        client, body_of(REDACT), topic="customers/redact", **{"X-Shopify-Triggered-At": _recent(hours=48)}
    )

    assert response.json() == {"status": "stored"}
    assert ingest() == ["stored"]


# ------------------------------------------------------------------ bounded: headers, rejections, cache


def test_a_flood_of_rejections_with_huge_headers_is_one_counted_row_and_a_few_short_log_lines(client, caplog):
    huge = "x" * 7000 + ".myshopify.com"

    for _ in range(120):
        response = deliver(client, body_of(ORDER), shop=huge, REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 401
    for _ in range(3):
        deliver(client, body_of(ORDER), signature="bad", REMOTE_ADDR="198.51.100.7")

    rows = list(RejectedDelivery.objects.order_by("id").values_list("reason", "count", "shop_domain"))
    assert [(reason, count) for reason, count, _ in rows] == [("unknown_shop", 120), ("bad_signature", 3)]
    assert all(len(domain) <= 255 for _, _, domain in rows)
    security = [r.getMessage() for r in caplog.records if r.name == "opsconsole.security"]
    # logged when the row is new and at 10 and 100: three lines for 120 refusals, each short
    assert len([m for m in security if "unknown_shop" in m]) == 3
    assert max(len(m) for m in security) < 400


def test_the_shop_cache_is_bounded(client):
    from sync.services import inbox

    for i in range(inbox.SHOP_CACHE_MAX + 50):
        inbox.shop_secrets(f"shop-{i}.myshopify.com")

    assert inbox.shop_cache_size() == inbox.SHOP_CACHE_MAX


# ------------------------------------------------------------------ the worker's half: never lost, once


def test_a_delivery_no_pump_ingested_is_ingested_by_the_sweep_after_the_stranded_delay_once(client, shop):
    # given a stored delivery and no worker pumping the inbox
    deliver(client, body_of(ORDER), webhook_id="wh-waiting")

    # when the sweeper runs before, and after, the stranded delay
    early = jobs_sweep(now=timezone.now())
    later = jobs_sweep(now=timezone.now() + timedelta(minutes=10))
    again = jobs_sweep(now=timezone.now() + timedelta(minutes=20))

    # then the later sweep made its job, with its queue entry, once
    assert (early.deliveries_ingested, later.deliveries_ingested, again.deliveries_ingested) == (0, 1, 0)
    job = SyncJob.objects.get()
    assert job.idempotency_key == f"webhook:{shop.pk}:wh-waiting"
    assert [e.task["args"] for e in OrmQ.objects.all()] == [(job.idempotency_key,)]


@pytest.mark.django_db(transaction=True)
def test_the_inbox_pump_of_a_worker_ingests_deliveries_as_they_are_stored():
    # given a worker's inbox pump running in its thread
    shop_cache_clear()
    shop = ShopifyShopFactory(domain="demo.myshopify.com", client_secret=SECRET)
    stop = threading.Event()
    pump = threading.Thread(target=inbox_pump, args=(stop,))
    pump.start()
    try:
        # when two deliveries are stored
        for n in (1, 2):
            deliver(Client(), body_of({**ORDER, "id": n}), webhook_id=f"wh-pump-{n}")

        # then each becomes its job, with its queue entry
        jobs = wait_for(
            lambda: list(SyncJob.objects.order_by("pk")) if SyncJob.objects.count() == 2 else None,
            timeout=30,
            message="the pump to make both jobs",
        )
    finally:
        stop.set()
        pump.join(timeout=10)
    assert not pump.is_alive()
    assert [j.idempotency_key for j in jobs] == [f"webhook:{shop.pk}:wh-pump-{n}" for n in (1, 2)]
    assert OrmQ.objects.count() == 2
    assert not InboundEvent.objects.filter(ingested_at__isnull=True).exists()
    shop_cache_clear()


def test_deliveries_a_worker_host_s_pump_left_waiting_are_ingested_by_the_next_worker_before_its_job(
    client, shop, monkeypatch, settings
):
    # given a flash sale the pump has fallen behind: a customer's update and two orders stored seconds ago
    # (the customer's first), one order just now, and a job in the queue (any kind)
    settings.INBOX_HELP_BATCH = 2
    monkeypatch.setitem(registry.FLOWS, "order.upsert", lambda job, ctx: {"outcome": "done"})
    deliver(client, _customer(7, "2026-11-20T10:00:00Z"), topic="customers/update", webhook_id="wh-late-1")
    for n in (2, 3):
        deliver(client, body_of({**ORDER, "id": n}), webhook_id=f"wh-late-{n}")
    for n in (1, 2, 3):
        InboundEvent.objects.filter(webhook_id=f"wh-late-{n}").update(
            received_at=timezone.now() - timedelta(seconds=20 - n)
        )
    deliver(client, body_of({**ORDER, "id": 4}), webhook_id="wh-now")
    job_create(
        spec=JobSpec(
            kind="order.upsert", flow="orders", shop=shop, idempotency_key="queued", subject="order:9"
        )
    )

    # when a worker takes the job's entry
    from sync import tasks

    assert tasks.run_job("queued") == "succeeded"

    # then, before the job, it ingested overdue deliveries, as many as its batch: the orders' first (their
    # sales count for stock, and the customer's update coalesces), and left the one received just now
    waiting = InboundEvent.objects.filter(ingested_at__isnull=True).order_by("received_at")
    assert list(waiting.values_list("webhook_id", flat=True)) == ["wh-late-1", "wh-now"]
    assert set(SyncJob.objects.filter(event__isnull=False).values_list("subject", flat=True)) == {
        "order:2",
        "order:3",
    }
    # and the next worker takes the customer's, still not the fresh one
    job_create(
        spec=JobSpec(kind="order.upsert", flow="orders", shop=shop, idempotency_key="next", subject="order:8")
    )
    assert tasks.run_job("next") == "succeeded"
    assert list(waiting.values_list("webhook_id", flat=True)) == ["wh-now"]
    assert SyncJob.objects.filter(kind="customer.upsert", subject="customer:7").count() == 1


@pytest.mark.django_db(transaction=True)
def test_pumps_ingesting_at_once_take_different_deliveries_and_make_one_job_each():
    # given 60 stored deliveries
    shop_cache_clear()
    ShopifyShopFactory(domain="demo.myshopify.com", client_secret=SECRET)
    for n in range(60):
        deliver(Client(), body_of({**ORDER, "id": n + 1}), webhook_id=f"wh-many-{n}")

    # when three pumps ingest at once, each until none is left
    outcomes: list[list[str]] = [[], [], []]

    def pump(mine: list[str]) -> None:
        try:
            while done := deliveries_ingest(limit=5):
                mine.extend(i.outcome for i in done)
        finally:
            connection.close()

    threads = [threading.Thread(target=pump, args=(mine,)) for mine in outcomes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    # then each delivery was taken by exactly one of them (none passed over as busy, none met twice) and
    # became exactly one job
    assert sorted(o for mine in outcomes for o in mine) == ["stored"] * 60
    assert SyncJob.objects.count() == 60
    assert SyncJob.objects.values("event_id").distinct().count() == 60
    assert not InboundEvent.objects.filter(ingested_at__isnull=True).exists()
    shop_cache_clear()


def test_an_entry_of_a_webhook_job_key_written_before_its_job_ingests_that_delivery(
    client, shop, monkeypatch
):
    # given a delivery stored with a queue entry named after its job's key (a request of the version that
    # wrote one), not yet ingested
    deliver(client, body_of(ORDER), webhook_id="wh-entry")
    ran: list[str] = []
    monkeypatch.setitem(registry.FLOWS, "order.upsert", lambda job, ctx: ran.append(job.subject) or {})

    # when a worker takes that entry
    assert job_run(key=f"webhook:{shop.pk}:wh-entry") == "succeeded"

    # then it ingested the delivery and ran its job in the same turn, writing no second entry
    assert ran == [f"order:{ORDER['id']}"]
    assert OrmQ.objects.count() == 0


def test_a_destructive_delivery_is_judged_fresh_by_when_it_was_received_not_when_a_worker_got_to_it(
    client, monkeypatch
):
    # given a redaction triggered 23 hours ago, received now, and ingested by a worker three hours later
    response = deliver(
        client, body_of(REDACT), topic="customers/redact", **{"X-Shopify-Triggered-At": _recent(hours=23)}
    )
    assert response.json() == {"status": "stored"}

    class ThreeHoursLater:
        @staticmethod
        def now() -> datetime:
            return timezone.now() + timedelta(hours=3)

    monkeypatch.setattr(ingest_module, "timezone", ThreeHoursLater)

    # then it is acted on
    assert ingest() == ["stored"]
    assert SyncJob.objects.get().kind == "privacy.customer_redact"


def _order_then_its_customers_redaction(client) -> str:
    """An order of customer 191167, stored and not ingested, then the customer's redaction, ingested: the
    redaction job's key."""
    deliver(client, body_of({**ORDER, "customer": {"id": 191167}}), webhook_id="wh-order")
    deliver(
        client,
        body_of(REDACT),
        topic="customers/redact",
        webhook_id="wh-redact",
        **{"X-Shopify-Triggered-At": _recent()},
    )
    redact = delivery_ingest(event_id=InboundEvent.objects.get(webhook_id="wh-redact").pk)
    assert redact.outcome == "stored"
    return SyncJob.objects.get(pk=redact.job_id).idempotency_key


def test_a_privacy_job_ingests_its_shops_waiting_deliveries_before_it_runs(client, monkeypatch):
    # given an order of the customer, stored but not yet ingested, and the customer's redaction
    redact_key = _order_then_its_customers_redaction(client)
    seen: list[list[tuple[str, bool]]] = []

    def redaction(job, ctx):  # what the flow finds of the shop's stored deliveries when it runs
        rows = InboundEvent.objects.order_by("pk").values_list("subject_id", "ingested_at")
        seen.append([(subject, ingested is not None) for subject, ingested in rows])
        return {"outcome": "redacted"}

    monkeypatch.setitem(registry.FLOWS, "privacy.customer_redact", redaction)

    # when a worker runs the redaction before the pump got to the order
    assert job_run(key=redact_key) == "succeeded"

    # then the order's delivery was ingested before the flow looked: its customer is there to find
    assert seen == [[(str(ORDER["id"]), True), ("191167", True)]]
    assert InboundEvent.objects.get(webhook_id="wh-order").payload["customer"] == {"id": 191167}
    assert SyncJob.objects.filter(kind="order.upsert").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_privacy_job_waits_for_a_delivery_another_worker_is_ingesting_rather_than_run_without_it(
    client, monkeypatch
):
    # given an order of the customer, stored, that another pump has claimed and not committed yet (its row
    # locked by another connection), and the customer's redaction
    import psycopg

    redact_key = _order_then_its_customers_redaction(client)
    ran: list[str] = []
    monkeypatch.setitem(
        registry.FLOWS,
        "privacy.customer_redact",
        lambda job, ctx: ran.append("ran") or {"outcome": "redacted"},
    )
    order_pk = InboundEvent.objects.get(webhook_id="wh-order").pk
    db = connection.settings_dict
    other = psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"])
    try:
        other.execute("SELECT id FROM sync_inboundevent WHERE id = %s FOR UPDATE", [order_pk])

        # when a worker runs the redaction
        assert job_run(key=redact_key) == "failed"

        # then the flow did not run without that body: the job waits for it, saying why
        assert ran == []
        job = SyncJob.objects.get(idempotency_key=redact_key)
        assert job.state == JobState.RETRYING
        assert "1 stored deliveries of this shop are not ingested yet" in job.error_message
    finally:
        other.rollback()
        other.close()
    # and once the other worker let go, the retry ingests it and runs
    SyncJob.objects.filter(idempotency_key=redact_key).update(next_attempt_at=None)
    assert job_run(key=redact_key) == "succeeded"
    assert ran == ["ran"]
    assert InboundEvent.objects.get(pk=order_pk).ingested_at is not None


def test_an_order_with_a_quantity_that_is_not_a_number_is_still_ingested_and_counts_no_units_for_it(client):
    # given an order whose first line's quantity is not a number (Shopify sends integers; a body can differ)
    order = {**ORDER, "line_items": [{"sku": "A", "quantity": "two"}, {"sku": "B", "quantity": 2}]}
    deliver(client, body_of(order), webhook_id="wh-odd")
    # when it is ingested
    outcomes = ingest()
    # then it became its order job (the order's own flow judges its lines), and its units per SKU count
    # nothing for that line rather than failing every stock push that sums them
    assert outcomes == ["stored"]
    assert InboundEvent.objects.get(webhook_id="wh-odd").sale_lines == {"A": 0, "B": 2}


def test_a_stock_job_counts_the_sales_of_orders_still_waiting_for_a_worker(client, shop, monkeypatch):
    # given an order of 3 units of a SKU, stored but not yet ingested
    order = {**ORDER, "line_items": [{"sku": "MERINOTE-M-NAVY", "quantity": 3}]}
    deliver(client, body_of(order), webhook_id="wh-sale")
    stock_job, _ = job_create(
        spec=JobSpec(kind="stock.push", flow="stock", shop=shop, idempotency_key="stock-1", subject="sku:1")
    )
    seen: list[dict[str, int]] = []

    def push(job, ctx):  # what the stock flow would hold back for sales Odoo has not booked yet
        seen.append(pending_sales(shop_id=shop.pk, skus=["MERINOTE-M-NAVY"]))
        return {"outcome": "pushed"}

    monkeypatch.setitem(registry.FLOWS, "stock.push", push)

    # when a worker runs the stock job before the order's entry
    assert job_run(key=stock_job.idempotency_key) == "succeeded"

    # then the order's sale was counted, from the units per SKU its ingest stored
    assert seen == [{"MERINOTE-M-NAVY": 3}]
    assert InboundEvent.objects.get(webhook_id="wh-sale").sale_lines == {"MERINOTE-M-NAVY": 3}


def test_a_delivery_whose_ingest_fails_stays_waiting_and_holds_back_none_after_it(client, monkeypatch):
    # given two stored deliveries, the first of which cannot be ingested now (a fault in our own code)
    deliver(client, body_of({**ORDER, "id": 1}), webhook_id="wh-fails")
    deliver(client, body_of({**ORDER, "id": 2}), webhook_id="wh-fine")
    classify = ingest_module._classify

    def failing(event, **kwargs):
        if event.webhook_id == "wh-fails":
            raise RuntimeError("a fault")
        return classify(event, **kwargs)

    monkeypatch.setattr(ingest_module, "_classify", failing)

    # when the pump runs
    outcomes = ingest()

    # then the second became its job and the first stays waiting, to be tried again
    assert outcomes == ["failed", "stored"]
    assert list(SyncJob.objects.values_list("subject", flat=True)) == ["order:2"]
    assert list(
        InboundEvent.objects.filter(ingested_at__isnull=True).values_list("webhook_id", flat=True)
    ) == ["wh-fails"]
    monkeypatch.undo()
    assert ingest() == []  # it waits out its back-off
    InboundEvent.objects.filter(webhook_id="wh-fails").update(ingest_retry_at=timezone.now())
    assert ingest() == ["stored"]


def test_a_delivery_whose_ingest_always_fails_backs_off_then_is_parked_and_replayable(client, monkeypatch):
    # given a stored delivery that cannot be ingested (a fault in our own code), every time
    deliver(client, body_of({**ORDER, "id": 1}), webhook_id="wh-fails")
    classify = ingest_module._classify

    def failing(event, **kwargs):
        raise RuntimeError("a fault in our code")

    monkeypatch.setattr(ingest_module, "_classify", failing)
    event = InboundEvent.objects.get()

    # when the pump tries it: each failure is counted, and the next try waits out a growing back-off
    for failures in range(1, ingest_module.INGEST_MAX_FAILURES):
        assert ingest() == ["failed"]
        event.refresh_from_db()
        assert (event.ingest_failures, event.ingested_at) == (failures, None)
        assert event.ingest_error == "RuntimeError: a fault in our code"
        assert event.ingest_retry_at > timezone.now()
        assert ingest() == []  # not tried again before its time
        InboundEvent.objects.filter(pk=event.pk).update(ingest_retry_at=timezone.now())  # time passes
    waits = [ingest_module.ingest_backoff(n) for n in range(1, ingest_module.INGEST_MAX_FAILURES)]
    assert waits == sorted(set(waits))  # each wait longer than the one before

    # then the last failure parks it in front of a person with the error, and the pump stops trying it
    assert ingest() == ["quarantined"]
    assert ingest() == []
    event.refresh_from_db()
    assert event.ingest_failures == ingest_module.INGEST_MAX_FAILURES and event.ingested_at is not None
    parked = SyncJob.objects.get()
    assert (parked.kind, parked.state, parked.fingerprint) == (
        "inbox.ingest_failed",
        JobState.NEEDS_ATTENTION,
        "ingest_failed:orders/create",
    )
    assert "RuntimeError: a fault in our code" in parked.error_message
    problem = Problem.objects.get()
    assert problem.title == "A webhook delivery could not be ingested (orders/create)"
    assert parked.problem_id == problem.pk

    # when the fault is fixed and a person replays it
    monkeypatch.setattr(ingest_module, "_classify", classify)
    assert problem_jobs_replay(problems=[problem]) == [parked.pk]
    assert job_run(key=parked.idempotency_key) == "succeeded"

    # then the delivery became its order job, once
    order_job = SyncJob.objects.exclude(pk=parked.pk).get()
    assert (order_job.kind, order_job.subject, order_job.event_id) == ("order.upsert", "order:1", event.pk)
    assert SyncJob.objects.get(pk=parked.pk).state == JobState.SUCCEEDED


# ------------------------------------------------------------------------------------------- coalescing


def _customer(customer_id: int, updated_at: str, **values) -> bytes:
    return body_of(
        {"id": customer_id, "email": "ada@example.com", "updated_at": updated_at, "orders_count": 1, **values}
    )


def test_updates_of_one_customer_while_its_job_waits_fold_into_it_and_the_newest_is_worked_from(client, shop):
    # given: three updates of one customer (the newest delivered second) and one of another, none run yet
    for n, updated in enumerate(["10:00", "10:20", "10:10"]):
        deliver(
            client,
            _customer(7, f"2026-11-20T{updated}:00Z", orders_count=n + 1),
            topic="customers/update",
            webhook_id=f"c7-{n}",
        )
    deliver(client, _customer(8, "2026-11-20T10:00:00Z"), topic="customers/update", webhook_id="c8")
    # when
    outcomes = ingest()
    # then: one job per customer, one queue entry each, and every delivery names the job that handles it
    assert outcomes == ["stored", "coalesced", "coalesced", "stored"]
    job = SyncJob.objects.get(subject="customer:7")
    assert SyncJob.objects.filter(kind="customer.upsert").count() == 2 and OrmQ.objects.count() == 2
    handled = {
        e.webhook_id: (e.handled_by_id, e.handled_as) for e in InboundEvent.objects.filter(subject_id="7")
    }
    assert handled == {"c7-0": (None, ""), "c7-1": (job.pk, "coalesced"), "c7-2": (job.pk, "coalesced")}
    assert job.event.webhook_id == "c7-0"
    folded = InboundEvent.objects.get(webhook_id="c7-1")
    assert delivery_ingest(event_id=folded.pk).job_id == job.pk
    assert list(SyncJob.objects.filter(job_search_q("c7-2"))) == [job]
    # the job works from the newest of its deliveries by the customer's updated_at
    assert job_payload(job)["orders_count"] == 2


def test_a_delivery_for_a_subject_whose_job_already_runs_makes_a_job_of_its_own(client, shop):
    # given: a customer's job, claimed by a worker
    deliver(client, _customer(7, "2026-11-20T10:00:00Z"), topic="customers/update", webhook_id="c7-0")
    assert ingest() == ["stored"]
    running = SyncJob.objects.get()
    SyncJob.objects.filter(pk=running.pk).update(state=JobState.RUNNING)
    # when: a newer update arrives while it runs (it may have read the older one already)
    deliver(client, _customer(7, "2026-11-20T10:05:00Z"), topic="customers/update", webhook_id="c7-1")
    # then
    assert ingest() == ["stored"]
    assert SyncJob.objects.filter(subject="customer:7").count() == 2


def test_a_delivery_of_a_subject_another_pump_folds_now_waits_for_the_next_claim_and_holds_back_none(
    client, shop
):
    # given: an update of customer 7 and an order, stored; and another pump folding a delivery of customer
    # 7 right now (its lock held by another connection)
    import psycopg

    from sync.locks import subject_lock_key

    deliver(client, _customer(7, "2026-11-20T10:00:00Z"), topic="customers/update", webhook_id="c7-0")
    deliver(client, body_of(ORDER), webhook_id="o-1")
    db = connection.settings_dict
    other = psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"], autocommit=True
    )
    try:
        key = subject_lock_key(f"fold:{shop.pk}:customer.upsert:customer:7")
        other.execute("SELECT pg_advisory_lock(%s)", [key])
        # when this pump ingests: it does not wait for the other (two batches folding subjects in opposite
        # orders would deadlock); a wait would end in a lock timeout here
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '3s'")
        outcomes = ingest()
        # then the customer's delivery is left waiting for a later claim, and the order after it went on
        assert outcomes == ["busy", "stored"]
        assert list(
            InboundEvent.objects.filter(ingested_at__isnull=True).values_list("webhook_id", flat=True)
        ) == ["c7-0"]
        # the other pump is done (unlocked and answered: closing alone ends its session a moment later)
        other.execute("SELECT pg_advisory_unlock(%s)", [key])
    finally:
        other.close()
    # and the next claim ingests it
    assert ingest() == ["stored"]
    assert SyncJob.objects.filter(subject="customer:7").count() == 1


def test_orders_are_never_folded_together(client, shop):
    # given: two updates of one order, neither run yet (an order's job acts on each change)
    deliver(client, body_of(ORDER), topic="orders/updated", webhook_id="o-1")
    deliver(
        client,
        body_of({**ORDER, "updated_at": "2026-11-20T11:00:00-05:00"}),
        topic="orders/updated",
        webhook_id="o-2",
    )
    # then
    assert ingest() == ["stored", "stored"]
    assert SyncJob.objects.filter(subject=f"order:{ORDER['id']}").count() == 2
