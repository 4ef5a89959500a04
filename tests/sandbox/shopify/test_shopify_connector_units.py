"""Connector pieces without a sandbox: webhook verification, the throttle and its in-memory store, the REST
shape. (The database-backed store the engine passes in: tests/sync/engine/test_throttle_store.py.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import signal

import pytest

from sandbox.shopify.testing import running_sandbox
from sync.connectors.shopify import InMemoryThrottleStore, Throttle, compute_hmac, verify_webhook
from sync.connectors.shopify.types import ThrottleStatus
from sync.connectors.shopify.webhooks import missing_headers, topic_enum

BODY = b'{"id":820982911946154508,"email":"jon@example.com"}'


def _sign(body, secret):
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_verify_accepts_the_signature_of_the_raw_body():
    assert compute_hmac(BODY, "s3cret") == _sign(BODY, "s3cret")
    assert verify_webhook(BODY, _sign(BODY, "s3cret"), ["s3cret"]) is True


def test_verify_rejects_a_one_byte_change_a_wrong_secret_and_malformed_headers():
    header = _sign(BODY, "s3cret")
    assert verify_webhook(BODY[:-1] + b"}" + b" ", header, ["s3cret"]) is False
    assert verify_webhook(BODY.replace(b"jon", b"jom"), header, ["s3cret"]) is False
    assert verify_webhook(BODY, header, ["other"]) is False
    assert verify_webhook(BODY, None, ["s3cret"]) is False
    assert verify_webhook(BODY, "", ["s3cret"]) is False
    assert verify_webhook(BODY, "not base64!!", ["s3cret"]) is False
    assert verify_webhook(BODY, header.lower(), ["s3cret"]) is False
    assert verify_webhook(BODY, header, []) is False


def test_verify_accepts_old_and_new_secret_during_a_rotation():
    secrets = ["new-secret", "old-secret"]
    assert verify_webhook(BODY, _sign(BODY, "old-secret"), secrets) is True
    assert verify_webhook(BODY, _sign(BODY, "new-secret"), secrets) is True
    assert verify_webhook(BODY, _sign(BODY, "older-secret"), secrets) is False


def test_required_headers_are_matched_case_insensitively():
    headers = {
        "x-shopify-hmac-sha256": "a",
        "X-Shopify-Topic": "orders/create",
        "x-shopify-shop-domain": "d",
        "X-SHOPIFY-API-VERSION": "2026-07",
    }
    assert missing_headers(headers) == ["x-shopify-webhook-id"]
    assert topic_enum("inventory_levels/update") == "INVENTORY_LEVELS_UPDATE"


def test_throttle_passes_when_the_bucket_is_unknown_or_full():
    store = InMemoryThrottleStore()
    sleeps = []
    throttle = Throttle(store, clock=lambda: 100.0, sleep=sleeps.append)
    assert throttle.acquire("s", 50) == 0.0
    store.record("s", ThrottleStatus(1000, 1000, 100), now=100.0)
    assert throttle.acquire("s", 50) == 0.0
    assert store.state("s").available == 950
    assert sleeps == []


def test_throttle_waits_for_the_points_to_leak_back():
    # given a bucket with 10 of the 60 points a call needs, restoring 100 per second
    now = [100.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    store = InMemoryThrottleStore()
    store.record("s", ThrottleStatus(1000, 10, 100), now=100.0)
    throttle = Throttle(store, clock=lambda: now[0], sleep=sleep)
    # when a 60-point call is acquired
    waited = throttle.acquire("s", 60)
    # then it waited 0.5 s (+ a small margin) once and then spent the points
    assert sleeps == [pytest.approx(0.55)]
    assert waited == pytest.approx(0.55)
    assert store.state("s").available == pytest.approx(5.0)


def test_throttle_never_asks_for_more_than_the_bucket_holds():
    store = InMemoryThrottleStore()
    store.record("s", ThrottleStatus(100, 100, 50), now=0.0)
    throttle = Throttle(store, clock=lambda: 0.0, sleep=lambda _s: None)
    assert throttle.acquire("s", 5000) == 0.0
    assert store.state("s").available == 0.0


def test_drain_empties_the_bucket():
    store = InMemoryThrottleStore()
    store.record("s", ThrottleStatus(100, 100, 50), now=0.0)
    store.drain("s", now=0.0)
    assert store.reserve("s", 10, now=0.0) == pytest.approx(0.2)


def test_running_sandbox_stops_its_process_and_removes_its_temporary_data():
    with running_sandbox() as sb:
        pid_alive = sb.process.poll() is None
        data_dir = sb.data_dir
        assert sb.control.health()["shops"] == ["demo.myshopify.com"]
    assert pid_alive is True
    assert sb.process.returncode in (0, -signal.SIGTERM)
    assert not data_dir.exists()


class _RecordingTransport:
    def __init__(self):
        self.calls = []

    def execute(self, query, variables=None, *, estimate=None):
        from sync.connectors.shopify.types import GraphQLResponse

        self.calls.append((query, variables))
        quantities = variables["input"]["quantities"]
        changes = [
            {
                "name": "available",
                "delta": 1,
                "quantityAfterChange": q["quantity"],
                "item": {"id": q["inventoryItemId"]},
                "location": {"id": q["locationId"]},
            }
            for q in quantities
        ]
        data = {
            "inventorySetQuantities": {
                "inventoryAdjustmentGroup": {
                    "id": f"g{len(self.calls)}",
                    "reason": "correction",
                    "changes": changes,
                },
                "userErrors": [],
            }
        }
        return GraphQLResponse(data, None, "2026-07", None, 1)


def test_inventory_quantities_are_sent_in_batches_of_250_with_derived_keys():
    from sync.connectors.shopify import ShopifyClient, ShopifyConfig
    from sync.connectors.shopify.types import InventorySet

    transport = _RecordingTransport()
    client = ShopifyClient(ShopifyConfig("d.myshopify.com", "t", "2026-07"), transport=transport)  # type: ignore[arg-type]
    items = [InventorySet(f"gid://shopify/InventoryItem/{n}", "1", n, 0) for n in range(260)]
    first = client.set_inventory_quantities(items, idempotency_key="job-42")
    again = client.set_inventory_quantities(items, idempotency_key="job-42")
    sizes = [len(v["input"]["quantities"]) for _q, v in transport.calls]
    assert sizes == [250, 10, 250, 10]
    assert [r.idempotency_key for r in first] == [r.idempotency_key for r in again]
    assert len({r.idempotency_key for r in first}) == 2
    # the key travels as the @idempotent directive's variable; the document text never changes
    assert [v["idempotencyKey"] for _q, v in transport.calls[:2]] == [r.idempotency_key for r in first]
    assert all("@idempotent(key: $idempotencyKey)" in q for q, _v in transport.calls)
    assert transport.calls[0][1]["input"]["quantities"][0]["locationId"] == "gid://shopify/Location/1"
