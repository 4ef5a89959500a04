"""Webhook delivery by the sandbox: signing, headers, retry schedule, subscription removal, faults."""

from __future__ import annotations

import itertools
import json

from sandbox.shopify.webhooks import RETRY_DELAYS
from sync.connectors.shopify import verify_webhook
from sync.connectors.shopify.webhooks import missing_headers


def test_a_webhook_signed_by_the_sandbox_verifies_and_a_one_byte_change_does_not(fresh, client, receiver):
    # given a subscription to orders/create
    client.create_webhook_subscription("ORDERS_CREATE", receiver.url)
    # when an order is generated
    order = fresh.control.generate_orders(count=1, seed=3)[0]
    got = receiver.wait_for(lambda r: len(r) == 1)[0]
    # then the delivery verifies with the connector and carries Shopify's headers
    assert verify_webhook(got.body, got.headers["X-Shopify-Hmac-Sha256"], [fresh.client_secret]) is True
    assert missing_headers(got.headers) == []
    assert got.headers["X-Shopify-Topic"] == "orders/create"
    assert got.headers["X-Shopify-Shop-Domain"] == "demo.myshopify.com"
    assert got.headers["X-Shopify-API-Version"] == "2026-07"
    assert got.headers["X-Shopify-Event-Id"] != ""
    assert got.headers["X-Shopify-Triggered-At"] != ""
    assert json.loads(got.body)["id"] == order["id"]
    # and a body changed by one byte does not verify, nor does a wrong secret
    tampered = bytearray(got.body)
    tampered[10] ^= 0x01
    assert (
        verify_webhook(bytes(tampered), got.headers["X-Shopify-Hmac-Sha256"], [fresh.client_secret]) is False
    )
    assert verify_webhook(got.body, got.headers["X-Shopify-Hmac-Sha256"], ["another-secret"]) is False


def test_during_a_secret_rotation_the_old_secret_signs_until_the_grace_period_ends(fresh, client, receiver):
    # given a rotated secret with a one-hour grace period
    client.create_webhook_subscription("CUSTOMERS_UPDATE", receiver.url)
    fresh.control.rotate_secret("new-secret", grace_seconds=3600)
    customer = fresh.control.customers()[0]
    # when a customer changes now and again after the grace period
    fresh.control.update_customer(customer["id"], note="first")
    first = receiver.wait_for(lambda r: len(r) == 1)[0]
    fresh.control.advance_clock(3601)
    fresh.control.update_customer(customer["id"], note="second")
    second = receiver.wait_for(lambda r: len(r) == 2)[1]
    # then the first is signed with the old secret and the second with the new one
    assert (
        verify_webhook(first.body, first.headers["X-Shopify-Hmac-Sha256"], ["sandbox-client-secret"]) is True
    )
    assert verify_webhook(second.body, second.headers["X-Shopify-Hmac-Sha256"], ["new-secret"]) is True
    # and a verifier that knows both secrets accepts both
    both = ["new-secret", "sandbox-client-secret"]
    assert [verify_webhook(r.body, r.headers["X-Shopify-Hmac-Sha256"], both) for r in (first, second)] == [
        True,
        True,
    ]


def test_failed_deliveries_are_retried_eight_times_on_the_schedule_then_the_subscription_is_removed(
    fresh, client, receiver
):
    # given a receiver that always fails
    receiver.status = 500
    client.create_webhook_subscription("ORDERS_CREATE", receiver.url)
    fresh.control.generate_orders(count=1, seed=5)
    receiver.wait_for(lambda r: len(r) == 1)
    # when the sandbox clock passes each retry delay (once the sandbox has recorded the attempt before it:
    # the receiver sees a request before the sandbox has its answer and schedules the retry)
    for n, delay in enumerate(RETRY_DELAYS, start=2):
        fresh.control.wait_for_deliveries(lambda d, n=n: len(d[0]["attempts"]) == n - 1)
        fresh.control.advance_clock(delay)
        receiver.wait_for(lambda r, n=n: len(r) == n)
    # then there were 1 + 8 attempts with the original payload and webhook id, spaced by the schedule
    delivery = fresh.control.wait_for_deliveries(lambda d: d[0]["status"] == "failed")[0]
    stamps = [a["at_ts"] for a in delivery["attempts"]]
    gaps = [round(b - a) for a, b in itertools.pairwise(stamps)]
    assert len(delivery["attempts"]) == 9
    assert [a["status_code"] for a in delivery["attempts"]] == [500] * 9
    assert all(gap >= delay for gap, delay in zip(gaps, RETRY_DELAYS, strict=True))
    assert sum(RETRY_DELAYS) == 4 * 3600
    assert len({r.headers["X-Shopify-Webhook-Id"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    # and the subscription is gone, which the connector notices and repairs
    assert client.list_webhook_subscriptions() == []
    assert client.missing_webhook_topics(receiver.url, ["ORDERS_CREATE"]) == ["ORDERS_CREATE"]
    assert fresh.control.subscriptions()["removed"][0]["reason"] == "delivery failures"
    receiver.status = 200
    repaired = client.ensure_webhook_subscriptions(receiver.url, ["ORDERS_CREATE"])
    assert [s.topic for s in repaired.created] == ["ORDERS_CREATE"]
    assert [s.topic for s in client.list_webhook_subscriptions()] == ["ORDERS_CREATE"]


def test_a_delivery_that_succeeds_on_a_retry_stops_retrying(fresh, client, receiver):
    # given a receiver that fails twice then succeeds
    receiver.statuses = [503, 302]
    client.create_webhook_subscription("ORDERS_CREATE", receiver.url)
    fresh.control.generate_orders(count=1, seed=6)
    receiver.wait_for(lambda r: len(r) == 1)
    # when the clock passes two retry delays (each once the sandbox has recorded the failed attempt)
    fresh.control.wait_for_deliveries(lambda d: len(d[0]["attempts"]) == 1)
    fresh.control.advance_clock(RETRY_DELAYS[0])
    receiver.wait_for(lambda r: len(r) == 2)
    fresh.control.wait_for_deliveries(lambda d: len(d[0]["attempts"]) == 2)
    fresh.control.advance_clock(RETRY_DELAYS[1])
    receiver.wait_for(lambda r: len(r) == 3)
    # then the third attempt delivered it (a redirect counts as a failure) and the subscription stays
    delivery = fresh.control.wait_for_deliveries(lambda d: d[0]["status"] == "delivered")[0]
    assert [a["status_code"] for a in delivery["attempts"]] == [503, 302, 200]
    assert len(client.list_webhook_subscriptions()) == 1


def test_duplicate_fault_delivers_the_same_webhook_twice(fresh, client, receiver):
    client.create_webhook_subscription("ORDERS_CREATE", receiver.url)
    fresh.control.delivery_fault("duplicate", count=1)
    fresh.control.generate_orders(count=1, seed=7)
    got = receiver.wait_for(lambda r: len(r) == 2)
    assert got[0].headers["X-Shopify-Webhook-Id"] == got[1].headers["X-Shopify-Webhook-Id"]
    assert got[0].headers["X-Shopify-Event-Id"] == got[1].headers["X-Shopify-Event-Id"]
    assert got[0].body == got[1].body


def test_concurrent_duplicate_fault_sends_both_copies_together(fresh, client, receiver):
    client.create_webhook_subscription("ORDERS_CREATE", receiver.url)
    fresh.control.delivery_fault("concurrent_duplicate", count=1)
    fresh.control.generate_orders(count=1, seed=8)
    got = receiver.wait_for(lambda r: len(r) == 2)
    log = fresh.control.wait_for_deliveries(lambda d: [x["status"] for x in d] == ["delivered", "delivered"])
    assert got[0].headers["X-Shopify-Webhook-Id"] == got[1].headers["X-Shopify-Webhook-Id"]
    assert [x["faults"] for x in log] == [["concurrent_duplicate"], ["concurrent_duplicate"]]


def test_reorder_fault_delivers_the_newer_event_first(fresh, client, receiver):
    client.create_webhook_subscription("ORDERS_CREATE", receiver.url)
    fresh.control.delivery_fault("reorder", batch=2)
    first, second = fresh.control.generate_orders(count=2, seed=9)
    got = receiver.wait_for(lambda r: len(r) == 2)
    assert [json.loads(r.body)["id"] for r in got] == [second["id"], first["id"]]


def test_delay_fault_holds_the_delivery_until_the_sandbox_clock_passes_it(fresh, client, receiver):
    client.create_webhook_subscription("ORDERS_CREATE", receiver.url)
    fresh.control.delivery_fault("delay", delay_seconds=7200)
    fresh.control.generate_orders(count=1, seed=10)
    assert fresh.control.deliveries()[0]["status"] == "pending"
    assert receiver.requests == []
    fresh.control.advance_clock(7200)
    got = receiver.wait_for(lambda r: len(r) == 1)
    assert got[0].headers["X-Shopify-Topic"] == "orders/create"


def test_drop_fault_loses_the_delivery_but_the_order_is_in_the_api(fresh, client, receiver):
    client.create_webhook_subscription("ORDERS_CREATE", receiver.url)
    client.create_webhook_subscription("ORDERS_PAID", receiver.url)
    fresh.control.delivery_fault("drop", topic="orders/create")
    order = fresh.control.generate_orders(count=1, seed=11)[0]
    receiver.wait_for(lambda r: len(r) == 1)
    log = fresh.control.deliveries(topic="orders/create")
    assert [d["status"] for d in log] == ["dropped"]
    assert [r.headers["X-Shopify-Topic"] for r in receiver.requests] == ["orders/paid"]
    assert [o.legacy_id for o in client.list_orders()] == [order["id"]]


def test_each_subscription_gets_its_own_delivery_of_one_event(fresh, client, receiver):
    client.create_webhook_subscription("ORDERS_CREATE", receiver.url)
    client.create_webhook_subscription("ORDERS_CREATE", receiver.url + "?second")
    fresh.control.generate_orders(count=1, seed=12)
    got = receiver.wait_for(lambda r: len(r) == 2)
    assert len({r.headers["X-Shopify-Webhook-Id"] for r in got}) == 2
    assert len({r.headers["X-Shopify-Event-Id"] for r in got}) == 1


def test_the_delivery_log_records_every_attempt_and_its_answer(fresh, client, receiver):
    receiver.statuses = [500]
    client.create_webhook_subscription("ORDERS_CREATE", receiver.url)
    fresh.control.generate_orders(count=1, seed=13)
    fresh.control.wait_for_deliveries(lambda d: len(d) == 1 and len(d[0]["attempts"]) == 1)
    fresh.control.advance_clock(RETRY_DELAYS[0])
    log = fresh.control.wait_for_deliveries(lambda d: d[0]["status"] == "delivered")
    assert [(a["status_code"], a["response_body"]) for a in log[0]["attempts"]] == [(500, "ok"), (200, "ok")]
    assert log[0]["retries"] == 1


def test_an_unreachable_endpoint_is_a_failed_attempt_with_the_error(fresh, client):
    client.create_webhook_subscription("ORDERS_CREATE", "http://127.0.0.1:9/nothing-listens-here")
    fresh.control.generate_orders(count=1, seed=14)
    log = fresh.control.wait_for_deliveries(lambda d: len(d) == 1 and len(d[0]["attempts"]) == 1)
    assert log[0]["attempts"][0]["status_code"] is None
    assert log[0]["attempts"][0]["error"].startswith("ConnectionError")
    assert log[0]["status"] == "pending"
