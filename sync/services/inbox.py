"""The webhook inbox: verify, store, dedupe, and create the job, all before answering Shopify."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from opsconsole.core.correlation import correlation_id
from sync.connectors.shopify.webhooks import verify_webhook
from sync.engine.config import max_attempts
from sync.engine.problems import Occurrence, problem_record_occurrence
from sync.engine.queue import task_enqueue
from sync.engine.queue_adapter import TASK, insert_sql, orm_broker, queue_entry, task_name
from sync.kinds import QUARANTINE_FLOW, QUARANTINE_KIND, UNHANDLED_TOPIC_KIND, kind_for_topic
from sync.models import InboundEvent, JobState, RejectedDelivery, ShopifyShop, SyncJob
from sync.transforms.topics import freshness_problem, topic_shape_problem

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
    outcome: str  # stored | duplicate | quarantined | rejected:<reason>
    event_id: int | None = None
    job_id: int | None = None


def _strict_json(raw: bytes) -> tuple[Any, str]:
    def no_constants(name: str) -> Any:
        raise ValueError(f"non-standard JSON constant {name}")

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"body is not valid UTF-8: {exc}"
    try:
        return json.loads(text, parse_constant=no_constants), ""
    except (ValueError, RecursionError) as exc:
        return None, f"body is not valid JSON: {str(exc)[:300]}"


def _subject(topic: str, payload: Any) -> tuple[str, str, datetime | None]:
    """(subject id, label, updated_at) of a payload, for per-order serialisation and ordering."""
    if not isinstance(payload, dict):
        return "", "", None
    if topic == "orders/edited" and isinstance(payload.get("order_edit"), dict):
        subject_id, label = str(payload["order_edit"].get("order_id", "")), "order edit"
    elif topic.startswith("orders/"):
        subject_id, label = str(payload.get("id", "")), str(payload.get("name", ""))
    elif topic.startswith("fulfillments/"):
        subject_id, label = str(payload.get("order_id", "")), f"fulfilment {payload.get('id', '')}"
    elif topic.startswith("refunds/"):
        subject_id, label = str(payload.get("order_id", "")), f"refund {payload.get('id', '')}"
    elif topic.startswith("customers/") and isinstance(payload.get("customer"), dict):
        subject_id, label = str(payload["customer"].get("id", "")), "customer"
    elif topic.startswith("customers/"):
        subject_id, label = str(payload.get("id", "")), "customer"
    else:
        subject_id, label = str(payload.get("id", "")), ""
    updated = payload.get("updated_at")
    return subject_id, label, _datetime(updated)


def _datetime(value: Any) -> datetime | None:
    """An ISO timestamp, or None when it is missing or impossible (such as a 31st of February)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


#: \u0000 or a surrogate escape in the raw text: only then is the parsed payload walked (rarely).
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89abAB][0-9a-fA-F]{2})")


def _unstorable_text(value: Any) -> bool:
    """True if a string anywhere in the payload holds U+0000 or a lone surrogate: valid JSON for Python, but
    text PostgreSQL's jsonb refuses (or the payload is too deep to look through)."""
    try:
        return _unstorable(value)
    except RecursionError:
        return True


def _unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    return False


def webhook_receive(*, headers: dict[str, str], body: bytes, remote_addr: str | None) -> Receipt:
    """Verify and store one delivery. ``headers`` maps our short names (HEADER_NAMES) to values."""
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
    payload, parse_error = _strict_json(body)
    if not parse_error and not isinstance(payload, dict):
        parse_error = f"body is JSON but not an object ({type(payload).__name__})"
    if not topic:
        parse_error = parse_error or "the X-Shopify-Topic header is missing"
    # Without a webhook id (Shopify always sends one) the topic and body identify the delivery.
    webhook_id = (
        headers.get("webhook_id") or f"sha256:{hashlib.sha256(topic.encode() + b'|' + body).hexdigest()}"
    )
    triggered_at = _datetime(headers.get("triggered_at"))
    subject_id, label, updated_at = _subject(topic, payload) if not parse_error else ("", "", None)
    kind = kind_for_topic(topic) if not parse_error else None

    if not parse_error and _SUSPECT_ESCAPE.search(body) and _unstorable_text(payload):
        # Valid JSON, but PostgreSQL's jsonb cannot hold U+0000 or a lone surrogate: keep the raw body.
        parse_error = "body contains \\u0000 or an unpaired surrogate escape, which jsonb cannot store"
    # Shopify signs the body, not the topic: a body must fit its topic (and a destructive one be fresh)
    # before a job is made, or it is quarantined for a person and never acted on.
    mismatch: tuple[str, str] | None = None
    if not parse_error and kind is not None:
        if problem := topic_shape_problem(topic, payload, shop_domain=domain):
            mismatch = ("topic_mismatch", f"the body does not fit the topic {topic}: {problem}")
        elif problem := freshness_problem(
            topic,
            triggered_at,
            now=timezone.now(),
            window=timedelta(hours=settings.WEBHOOK_DESTRUCTIVE_MAX_AGE_HOURS),
        ):
            mismatch = ("stale_delivery", f"a {topic} delivery too old to act on: {problem}")
    event = InboundEvent(
        shop_id=shop.shop_id,
        topic=topic[:100],
        webhook_id=webhook_id[:100],
        event_id=headers.get("event_id", "")[:100],
        triggered_at=triggered_at,
        api_version=headers.get("api_version", "")[:20],
        headers={k: v for k, v in headers.items() if k != "hmac"},
        raw_body=body,
        parse_error=parse_error,
        subject_id=subject_id[:64],
        payload_updated_at=updated_at,
    )
    try:
        if parse_error:
            with transaction.atomic():
                event.save()
                job_id: int | None = _quarantine(event, parse_error)
            return Receipt(200, "quarantined", event.pk, job_id)
        if mismatch is not None:
            event.payload = payload
            with transaction.atomic():
                event.save()
                job_id = _quarantine(event, mismatch[1], code=mismatch[0])
            security_log.warning("webhook quarantined: %s shop=%r topic=%r", mismatch[0], domain, topic[:100])
            return Receipt(200, "quarantined", event.pk, job_id)
        if kind is None:
            # A topic no flow handles: stored, and in front of a person at once ("no flow handles topic X"),
            # never silently ignored. A replay runs the topic's flow once one exists.
            event.payload = payload
            with transaction.atomic():
                event.save()
                job_id = _unhandled(event, subject_id=subject_id, label=label)
            return Receipt(200, "unhandled", event.pk, job_id)
        job = SyncJob(
            kind=kind.kind,
            flow=kind.flow,
            shop_id=shop.shop_id,
            idempotency_key=f"webhook:{shop.shop_id}:{webhook_id}"[:255],
            subject=f"{_subject_kind(topic)}:{subject_id}",
            subject_label=label[:120],
            source_updated_at=updated_at or triggered_at,
            max_attempts=max_attempts(),
            priority=kind.priority,
        )
        cid = correlation_id()  # the request's (CorrelationIdMiddleware): the job carries it on
        if cid:
            job.correlation_id = uuid.UUID(cid)
        event_pk, job_pk = _insert_event_job_and_queue_entry(event, job, raw_json=body.decode("utf-8"))
    except IntegrityError:
        # Same X-Shopify-Webhook-Id or Event-Id already stored: a duplicate delivery. Answer 200, do nothing.
        return Receipt(200, "duplicate")
    except DataError as exc:
        # PostgreSQL refused a value we could not foresee: keep the raw delivery for a person, answer 200.
        event.payload = None
        event.parse_error = f"PostgreSQL refused the payload: {str(exc).splitlines()[0][:300]}"
        try:
            with transaction.atomic():
                event.save()
                job_id = _quarantine(event, event.parse_error)
        except IntegrityError:
            return Receipt(200, "duplicate")
        return Receipt(200, "quarantined", event.pk, job_id)
    logger.info(
        "received %s %s for %s: event %s, job %s [cid=%s]",
        topic,
        webhook_id,
        domain,
        event_pk,
        job_pk,
        job.correlation_id,
    )
    return Receipt(200, "stored", event_pk, job_pk)


def _insert_event_job_and_queue_entry(event: InboundEvent, job: SyncJob, *, raw_json: str) -> tuple[int, int]:
    """Insert the event, its job and (ORM broker) the job's queue entry in ONE statement: atomic like a
    transaction, one round trip to PostgreSQL instead of five (BEGIN, three INSERTs, COMMIT). The parsed
    payload is the raw text cast to jsonb rather than re-serialised in Python. The INSERTs and the queue
    entry come from sync/engine/queue_adapter.py, which checks at start-up that they are still what Django
    and django-q2 would write. With the Redis broker the statement inserts the event and the job, and the
    job is pushed to Redis once that has committed (sync/engine/queue.py)."""
    event.payload = RawSQL("%s::jsonb", [raw_json])
    job.event_id = RawSQL("SELECT id FROM ev", [])  # type: ignore[assignment]
    event_sql, event_params = insert_sql(event)
    job_sql, job_params = insert_sql(job)
    in_database = orm_broker()
    if in_database:
        entry_sql, entry_params = insert_sql(queue_entry(job.idempotency_key, group=job.flow))
    else:
        entry_sql, entry_params = "SELECT 0 AS id", []
    # Only Django-compiled INSERTs are spliced in; every value is a parameter.
    sql = (
        f"WITH ev AS ({event_sql} RETURNING id), jb AS ({job_sql} RETURNING id), "  # noqa: S608
        f"qe AS ({entry_sql}{' RETURNING id' if in_database else ''}) "
        "SELECT (SELECT id FROM ev), (SELECT id FROM jb), (SELECT id FROM qe)"
    )
    # In autocommit (a web request) the statement is its own transaction. Inside a caller's transaction
    # (tests, scripts) a savepoint keeps a duplicate's IntegrityError from poisoning the outer one.
    guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with guard, connection.cursor() as cursor:
        cursor.execute(sql, [*event_params, *job_params, *entry_params])
        event_pk, job_pk, _ = cursor.fetchone()
    if not in_database:
        # After the commit (at once in autocommit); a push lost here is enqueued again by the sweeper.
        task_enqueue(TASK, job.idempotency_key, task_name=task_name(job.idempotency_key), group=job.flow)
    return int(event_pk), int(job_pk)


def _subject_kind(topic: str) -> str:
    if topic.startswith(("orders/", "refunds/", "fulfillments/")):
        return "order"
    if topic.startswith("customers/"):
        return "customer"
    return topic.split("/")[0]


_QUARANTINE_MESSAGES = {
    "unreadable_payload": "Shopify sent a correctly signed delivery that cannot be read: {reason}",
    "topic_mismatch": "A correctly signed delivery was not acted on, {reason}. Shopify signs only the body, "
    "so this may be a captured body re-sent under another topic.",
    "stale_delivery": "A correctly signed delivery was not acted on, {reason}. Check in Shopify whether it "
    "still applies before doing by hand what it asks.",
}


def _quarantine(event: InboundEvent, reason: str, *, code: str = "unreadable_payload") -> int:
    """A signed delivery we cannot read, or must not act on: keep it, and put it in front of a person at
    once (a job parked on the problem ``code`` of its topic: "unreadable payload", "topic mismatch",
    "stale delivery")."""
    job_id = _park(
        event,
        kind=QUARANTINE_KIND,
        subject=f"event:{event.pk}",
        label=event.topic or "unknown topic",
        code=code,
        message=_QUARANTINE_MESSAGES[code].format(reason=reason),
    )
    logger.warning("quarantined delivery %s (%s): %s", event.webhook_id, event.topic, reason)
    return job_id


def _unhandled(event: InboundEvent, *, subject_id: str, label: str) -> int:
    """A delivery of a topic no flow handles: a job parked on the problem "no flow handles topic X"."""
    job_id = _park(
        event,
        kind=UNHANDLED_TOPIC_KIND,
        subject=f"{_subject_kind(event.topic)}:{subject_id}" if subject_id else f"event:{event.pk}",
        label=label or event.topic,
        code="unhandled_topic",
        message=f"no flow handles topic {event.topic}: the delivery is stored, nothing was done with it",
    )
    logger.warning("no flow handles topic %s (delivery %s)", event.topic, event.webhook_id)
    return job_id


def _park(event: InboundEvent, *, kind: str, subject: str, label: str, code: str, message: str) -> int:
    now = timezone.now()
    cid = correlation_id()
    job = SyncJob.objects.create(
        **({"correlation_id": uuid.UUID(cid)} if cid else {}),
        kind=kind,
        flow=QUARANTINE_FLOW,
        shop_id=event.shop_id,
        event=event,
        idempotency_key=f"event:{event.pk}",
        subject=subject[:120],
        subject_label=label[:120],
        state=JobState.NEEDS_ATTENTION,
        error_class="BusinessRuleError",
        error_code=code,
        error_key=event.topic,
        error_message=message,
        fingerprint=f"{code}:{event.topic or 'no-topic'}",
        finished_at=now,
    )
    occurrence = Occurrence(
        fingerprint=job.fingerprint,
        error_class=job.error_class,
        error_code=job.error_code,
        error_key=job.error_key,
        message=message,
        flow=QUARANTINE_FLOW,
    )
    problem = problem_record_occurrence(job=job, occurrence=occurrence, now=now)
    SyncJob.objects.filter(pk=job.pk).update(problem=problem)
    return job.pk
