"""The webhook inbox: verify the signature, store the delivery as received (raw body and headers) in one
INSERT, dedupe, and answer Shopify. A worker's inbox pump parses it and makes its job
(sync/engine/ingest.py)."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from opsconsole.core.correlation import correlation_id
from sync.connectors.shopify.webhooks import verify_webhook
from sync.engine.queue_adapter import delivery_insert_sql
from sync.models import RejectedDelivery, ShopifyShop

logger = logging.getLogger("sync.inbox")
security_log = logging.getLogger("opsconsole.security")

HEADER_NAMES = {
    "topic": "x-shopify-topic",
    "hmac": "x-shopify-hmac-sha256",
    "shop": "x-shopify-shop-domain",
    "api_version": "x-shopify-api-version",
    "webhook_id": "x-shopify-webhook-id",
    "event_id": "x-shopify-event-id",
    "triggered_at": "x-shopify-triggered-at",
}


@dataclass(frozen=True)
class ShopSecrets:
    shop_id: int
    secrets: tuple[str, ...]


#: Longest header value kept, logged or cached (a shop domain is at most 255 characters).
HEADER_MAX_CHARS = 255
#: Domains (known or not) whose look-up is cached; the least recently used goes first.
SHOP_CACHE_MAX = 256
_shop_cache: OrderedDict[str, tuple[float, ShopSecrets | None]] = OrderedDict()
_shop_cache_lock = threading.Lock()
_SHOP_CACHE_SECONDS = 10.0


def headers_capped(headers: dict[str, str]) -> dict[str, str]:
    """Every header value cut to HEADER_MAX_CHARS before anything logs, stores or caches it."""
    return {name: value[:HEADER_MAX_CHARS] for name, value in headers.items()}


def shop_secrets(domain: str) -> ShopSecrets | None:
    """The active shop's client secrets (current and, during a rotation, previous), cached briefly in a
    cache of at most SHOP_CACHE_MAX domains."""
    now = time.monotonic()
    with _shop_cache_lock:
        cached = _shop_cache.get(domain)
        if cached and now - cached[0] < _SHOP_CACHE_SECONDS:
            _shop_cache.move_to_end(domain)
            return cached[1]
    shop = ShopifyShop.objects.filter(domain=domain, active=True).first()
    value = None
    if shop is not None:
        secrets = tuple(s for s in (shop.client_secret, shop.previous_client_secret) if s)
        value = ShopSecrets(shop_id=shop.pk, secrets=secrets)
    with _shop_cache_lock:
        _shop_cache[domain] = (now, value)
        _shop_cache.move_to_end(domain)
        while len(_shop_cache) > SHOP_CACHE_MAX:
            _shop_cache.popitem(last=False)
    return value


def shop_cache_size() -> int:
    return len(_shop_cache)


def shop_cache_clear() -> None:
    _shop_cache.clear()


def record_rejection(
    *, reason: str, headers: dict[str, str], body: bytes | None, size: int | None, remote_addr: str | None
) -> int:
    """Record a refused delivery: one row per reason, address (and shop, for a bad signature) and hour,
    counted. Logged when its row is new and at each power of ten, so that a flood neither grows the table
    per request nor the log. Returns how many this row has counted."""
    headers = headers_capped(headers)
    now = timezone.now()
    shop = headers.get("shop", "").strip().lower() if reason == RejectedDelivery.Reason.BAD_SIGNATURE else ""
    key = f"{reason}|{remote_addr or ''}|{shop}|{now:%Y-%m-%dT%H}"
    values: dict[str, Any] = {
        "at": now,
        "last_at": now,
        "count": 1,
        "bucket": hashlib.sha256(key.encode()).hexdigest(),
        "reason": reason,
        "shop_domain": headers.get("shop", ""),
        "topic": headers.get("topic", "")[:100],
        "webhook_id": headers.get("webhook_id", "")[:100],
        "remote_addr": remote_addr,
        "body_sha256": hashlib.sha256(body).hexdigest() if body is not None else "",
        "body_bytes": size,
    }
    table = RejectedDelivery._meta.db_table
    columns = ", ".join(values)
    # Fixed column names from our own model; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(values))}) "  # noqa: S608
        f"ON CONFLICT (bucket) DO UPDATE SET count = {table}.count + 1, last_at = EXCLUDED.last_at "
        "RETURNING count"
    )
    guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with guard, connection.cursor() as cursor:
        cursor.execute(sql, list(values.values()))
        (count,) = cursor.fetchone()
    if count == 1 or str(count).strip("0") == "1":
        security_log.warning(
            "webhook rejected: %s shop=%r topic=%r from %s (%d this hour)",
            reason,
            headers.get("shop", "")[:100],
            headers.get("topic", "")[:100],
            remote_addr,
            count,
        )
    return int(count)


@dataclass(frozen=True)
class Receipt:
    status: int
    outcome: str  # stored | duplicate | rejected:<reason>
    event_id: int | None = None


def webhook_receive(*, headers: dict[str, str], body: bytes, remote_addr: str | None) -> Receipt:
    """Verify and store one delivery, as received. ``headers`` maps our short names (HEADER_NAMES) to
    values. A worker's inbox pump ingests it (sync/engine/ingest.py)."""
    headers = headers_capped(headers)
    domain = headers.get("shop", "").strip().lower()
    shop = shop_secrets(domain) if domain else None
    if shop is None:
        record_rejection(
            reason=RejectedDelivery.Reason.UNKNOWN_SHOP,
            headers=headers,
            body=body,
            size=len(body),
            remote_addr=remote_addr,
        )
        return Receipt(401, "rejected:unknown_shop")
    if not verify_webhook(body, headers.get("hmac", ""), shop.secrets):
        record_rejection(
            reason=RejectedDelivery.Reason.BAD_SIGNATURE,
            headers=headers,
            body=body,
            size=len(body),
            remote_addr=remote_addr,
        )
        return Receipt(401, "rejected:bad_signature")

    topic = headers.get("topic", "")
    # Without a webhook id (Shopify always sends one) the topic and body identify the delivery.
    webhook_id = (
        headers.get("webhook_id") or f"sha256:{hashlib.sha256(topic.encode() + b'|' + body).hexdigest()}"
    )[:100]
    cid = correlation_id()  # the request's (CorrelationIdMiddleware): the job carries it on
    values = {
        "shop_id": shop.shop_id,
        "topic": topic[:100],
        "webhook_id": webhook_id,
        "event_id": headers.get("event_id", "")[:100],
        "triggered_at": _datetime(headers.get("triggered_at")),
        "api_version": headers.get("api_version", "")[:20],
        "headers": {k: v for k, v in headers.items() if k != "hmac"},
        "raw_body": body,
        "correlation_id": uuid.UUID(cid) if cid else None,
        "received_at": timezone.now(),
    }
    # ingested_at stays empty: the worker's (sync/engine/ingest.py)
    event_pk = _insert_event(values)
    if event_pk is None:
        # Same X-Shopify-Webhook-Id or Event-Id already stored: a duplicate delivery. Answer 200, do nothing.
        return Receipt(200, "duplicate")
    return Receipt(200, "stored", event_pk)


def _datetime(value: str | None) -> datetime | None:
    """An ISO timestamp, or None when it is missing or impossible (such as a 31st of February)."""
    if not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _insert_event(values: dict[str, Any]) -> int | None:
    """Insert the delivery as received, in ONE statement and one round trip: ``INSERT ... ON CONFLICT DO
    NOTHING RETURNING id``, so that a duplicate (same webhook id, or same topic and event id) writes
    nothing and returns None. No job and no queue entry: the inbox pump of a worker ingests it
    (sync/engine/ingest.py). The INSERT comes from sync/engine/queue_adapter.py (``delivery_insert_sql``:
    no model instance, the constant columns prepared once), which checks at start-up that it is still what
    Django would write for an InboundEvent with these values."""
    event_sql, event_params = delivery_insert_sql(values)
    # Only a Django-compiled INSERT is spliced in; every value is a parameter.
    sql = f"{event_sql} ON CONFLICT DO NOTHING RETURNING id"
    # In autocommit (a web request) the statement is its own transaction. Inside a caller's transaction
    # (tests, scripts) a savepoint keeps an error from poisoning the outer one.
    guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with guard, connection.cursor() as cursor:
        cursor.execute(sql, event_params)
        row = cursor.fetchone()
    return None if row is None else int(row[0])
