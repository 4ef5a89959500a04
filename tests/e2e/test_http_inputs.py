"""Bad input over real HTTP to the live server: each gets the right answer and nothing is lost.

The Django-test-client versions are in tests/sync/test_webhook_inbox.py; these add what only a real socket
shows: bodies larger than their Content-Length says, chunked bodies, and an oversized body that must be
refused before it is read.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import socket
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from sync.engine.ingest import deliveries_ingest
from sync.models import InboundEvent, JobState, RejectedDelivery, SyncJob
from sync.services.inbox import shop_cache_clear
from tests.factories import ShopifyShopFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECRET = "http-test-secret"
DOMAIN = "http-test.myshopify.com"


@pytest.fixture
def endpoint(live_server):
    shop_cache_clear()
    ShopifyShopFactory(domain=DOMAIN, client_secret=SECRET)
    yield f"{live_server.url}/webhooks/shopify"
    shop_cache_clear()


def headers_for(body: bytes, **overrides: str) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Shop-Domain": DOMAIN,
        "X-Shopify-API-Version": "2026-07",
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Hmac-Sha256": base64.b64encode(
            hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
        ).decode(),
    }
    headers.update(overrides)
    return {k: v for k, v in headers.items() if v != "<omit>"}


def raw_post(
    url: str, head: dict[str, str], body: bytes, *, content_length: int | None = None, chunked: bool = False
) -> int:
    """Send exactly these bytes and return the status code (the server may close early)."""
    parts = urlsplit(url)
    lines = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in head.items()]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        payload = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    else:
        lines.append(f"Content-Length: {len(body) if content_length is None else content_length}")
        payload = body
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        with contextlib.suppress(OSError):  # the server may answer and close before reading it all (413)
            sock.sendall(payload)
        answer = sock.recv(4096).decode(errors="replace")
    return int(answer.split(" ", 2)[1])


ORDER = json.dumps(
    {"id": 4242, "name": "#4242", "line_items": [], "updated_at": "2026-11-20T10:00:00Z"}
).encode()


def ingest() -> list[str]:
    """What a worker's inbox pump does: ingest the stored deliveries not ingested yet, oldest first."""
    return [i.outcome for i in deliveries_ingest()]


def test_a_good_delivery_over_http_is_stored_and_becomes_its_job(endpoint):
    response = requests.post(endpoint, data=ORDER, headers=headers_for(ORDER), timeout=10)

    assert response.status_code == 200 and response.json() == {"status": "stored"}
    assert bytes(InboundEvent.objects.get().raw_body) == ORDER
    assert ingest() == ["stored"]
    assert SyncJob.objects.get().state == JobState.QUEUED


@pytest.mark.parametrize(
    ("case", "overrides", "reason"),
    [
        ("bad HMAC", {"X-Shopify-Hmac-Sha256": "AAAA"}, "bad_signature"),
        ("missing HMAC", {"X-Shopify-Hmac-Sha256": "<omit>"}, "bad_signature"),
        ("missing shop", {"X-Shopify-Shop-Domain": "<omit>"}, "unknown_shop"),
    ],
)
def test_unauthenticated_deliveries_are_401_and_recorded(endpoint, case, overrides, reason):
    response = requests.post(endpoint, data=ORDER, headers=headers_for(ORDER, **overrides), timeout=10)

    assert response.status_code == 401
    assert list(RejectedDelivery.objects.values_list("reason", flat=True)) == [reason]
    assert InboundEvent.objects.count() == 0


def test_one_changed_byte_is_401(endpoint):
    head = headers_for(ORDER)

    response = requests.post(endpoint, data=ORDER.replace(b"4242", b"4243"), headers=head, timeout=10)

    assert response.status_code == 401
    assert InboundEvent.objects.count() == 0


def test_an_oversized_body_is_refused_before_it_is_read(endpoint, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 64 * 1024
    body = b'{"id": 1, "note": "' + b"x" * (512 * 1024) + b'"}'

    status = raw_post(endpoint, headers_for(body), body)

    assert status == 413
    rejected = RejectedDelivery.objects.get()
    assert (rejected.reason, rejected.body_bytes) == ("too_large", len(body))
    assert InboundEvent.objects.count() == 0


def test_a_body_longer_than_its_content_length_is_cut_there_and_fails_the_signature(endpoint):
    body = ORDER + b" " * 4000

    status = raw_post(endpoint, headers_for(body), body, content_length=len(ORDER) // 2)

    assert status == 401  # only the declared bytes were read: their HMAC is not the header's
    assert RejectedDelivery.objects.get().reason == "bad_signature"
    assert InboundEvent.objects.count() == 0


def test_a_chunked_body_without_a_length_is_refused_not_half_read(endpoint):
    status = raw_post(endpoint, headers_for(ORDER), ORDER, chunked=True)

    # Django reads no body without a Content-Length; Shopify always sends one. The refusal is on record.
    assert status == 401
    assert RejectedDelivery.objects.get().reason == "bad_signature"


@pytest.mark.parametrize(
    ("case", "body", "error"),
    [
        ("malformed JSON", b'{"id": 1,', "not valid JSON"),
        ("invalid UTF-8", b'{"id": "\xff"}', "not valid UTF-8"),
    ],
)
def test_signed_unreadable_bodies_are_kept_and_quarantined_with_a_200(endpoint, case, body, error):
    response = requests.post(endpoint, data=body, headers=headers_for(body), timeout=10)

    assert response.status_code == 200 and response.json() == {"status": "stored"}
    assert ingest() == ["quarantined"]
    event = InboundEvent.objects.get()
    assert bytes(event.raw_body) == body and error in event.parse_error
    assert SyncJob.objects.get().state == JobState.NEEDS_ATTENTION
