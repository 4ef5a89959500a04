"""Ingesting a stored delivery: the worker's half of the webhook inbox.

The request (sync/services/inbox.py) verifies the signature, stores the raw body with its headers in one
INSERT and answers; it writes no job and no queue entry. The inbox pump, a thread of every worker
(``inbox_pump``, settings.WORKER_THREADS), takes the deliveries not ingested yet, oldest first, and
ingests each once (claimed in batches with ``FOR UPDATE SKIP LOCKED``, so that pumps take different ones,
each in a savepoint of its batch's transaction, and marked ``ingested_at``): it parses
and validates the body, stores the parsed payload (the raw text cast to jsonb), and creates the job with
its queue entry in the same transaction (ORM broker; pushed on commit with Redis), or parks a delivery it
cannot read or must not act on (quarantine: unreadable, topic mismatch, stale) or that no flow handles,
in front of a person, exactly as the inbox did before answering until now. The pump looks again at once
while deliveries wait, and after ``OPSCONSOLE_INBOX_PUMP_SECONDS`` (0.2) when none does: one query on a
partial index that holds only the waiting ones. When the pump falls behind (a flash sale), every queue
worker ingests a batch of the deliveries waiting longer than ``OPSCONSOLE_INBOX_OVERDUE_SECONDS`` before
its job (``deliveries_overdue_ingest``). The sweep (sync/engine/sweep.py) ingests a delivery that
waited longer than the stranded delay (no pump running), and a privacy or stock job ingests its shop's
waiting deliveries before it runs (sync/engine/run.py), so that it sees every stored body and every sale
on its way. A queue entry named after a webhook job's key whose job does not exist yet (written by the
request before the pump) ingests that delivery in the worker that takes it (``delivery_ingest_key``).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DataError, close_old_connections, connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from opsconsole.core.errors import TransientError
from sync.engine.config import inbox_help_batch, inbox_overdue_seconds, inbox_pump_seconds, max_attempts
from sync.engine.problems import Occurrence, problem_record_occurrence
from sync.engine.queue import job_enqueue
from sync.flows.payloads import job_event
from sync.flows.stock import SALE_LINES_SQL
from sync.kinds import (
    INGEST_FAILED_KIND,
    ORDER_TOPICS,
    QUARANTINE_FLOW,
    QUARANTINE_KIND,
    SALE_TOPICS,
    UNHANDLED_TOPIC_KIND,
    kind_for_topic,
)
from sync.locks import subject_lock_key
from sync.models import InboundEvent, JobState, StockLevel, SyncJob
from sync.transforms.topics import freshness_problem, topic_shape_problem

logger = logging.getLogger("sync.inbox")
security_log = logging.getLogger("opsconsole.security")

WEBHOOK_KEY_PREFIX = "webhook:"

#: A delivery whose ingest failed this often (a fault of ours, each time) is parked for a person.
INGEST_MAX_FAILURES = 5


def ingest_backoff(failures: int) -> timedelta:
    """How long a delivery whose ingest failed ``failures`` times waits before the pump tries it again."""
    return timedelta(seconds=min(2**failures, 300))


def delivery_job_key(shop_id: int, webhook_id: str) -> str:
    """The idempotency key of the job a delivery becomes (and of its queue entry, written with it)."""
    return f"{WEBHOOK_KEY_PREFIX}{shop_id}:{webhook_id}"[:255]


@dataclass(frozen=True)
class Ingested:
    # stored (a job made) | coalesced (folded into a waiting job) | echo (our own push's, credited to it) |
    # unchanged (a customer as a job already applied it) | quarantined | unhandled | purged |
    # ingested_before | busy | failed | missing
    outcome: str
    event_id: int | None = None
    job_id: int | None = None


def delivery_ingest_key(key: str) -> Ingested:
    """Ingest the stored delivery a webhook job key names (``webhook:<shop id>:<webhook id>``)."""
    _, shop_id, webhook_id = [*key.split(":", 2), "", ""][:3]
    if not key.startswith(WEBHOOK_KEY_PREFIX) or not shop_id.isdigit():
        return Ingested("missing")
    # The worker holds this key's entry: the job needs no other.
    return _ingest(InboundEvent.objects.filter(shop_id=int(shop_id), webhook_id=webhook_id), enqueue=False)


def delivery_ingest(*, event_id: int) -> Ingested:
    """Ingest one stored delivery (once: a second call returns what the first made), its job enqueued."""
    return _ingest(InboundEvent.objects.filter(pk=event_id), enqueue=True)


def deliveries_ingest(
    *,
    limit: int = 100,
    shop_id: int | None = None,
    received_before: datetime | None = None,
    backing_off: bool = False,
    topics: Sequence[str] | None = None,
) -> list[Ingested]:
    """Ingest deliveries not ingested yet, oldest first, at most ``limit``, in batches of ``INGEST_BATCH``:
    each batch claims the oldest deliveries no other pump holds (``FOR UPDATE SKIP LOCKED``, so that pumps
    and workers ingesting at once take different ones and none waits) and ingests each in a savepoint of
    one transaction. One whose ingest fails (``failed``: logged, counted, tried again after
    ``ingest_backoff``, parked for a person after ``INGEST_MAX_FAILURES``) holds back none after it; one of
    a subject another pump is folding right now (``busy``) stays waiting for the next claim. Neither is
    taken again by this call. ``backing_off``: those waiting out a back-off are taken too. Returns what
    became of each."""
    query = InboundEvent.objects.filter(ingested_at__isnull=True)
    if not backing_off:
        query = query.filter(Q(ingest_retry_at__isnull=True) | Q(ingest_retry_at__lte=timezone.now()))
    if shop_id is not None:
        query = query.filter(shop_id=shop_id)
    if received_before is not None:
        query = query.filter(received_at__lt=received_before)
    if topics is not None:
        query = query.filter(topic__in=list(topics))
    done: list[Ingested] = []
    passed: list[int] = []  # failed or busy in this call: not claimed again by it
    while len(done) < limit:
        batch = _ingest_batch(
            query.exclude(pk__in=passed) if passed else query, size=min(INGEST_BATCH, limit - len(done))
        )
        if not batch:
            break
        passed += [i.event_id for i in batch if i.outcome in ("failed", "busy") and i.event_id is not None]
        done.extend(batch)
    return done


#: Deliveries claimed and ingested in one transaction: the claim's index scan and the commit are shared.
INGEST_BATCH = 25


class _FoldBusy(Exception):
    """Another transaction folds a delivery of the same subject now: this one waits for a later claim."""


def _ingest_batch(query: QuerySet[InboundEvent], *, size: int) -> list[Ingested]:
    """Claim up to ``size`` of the oldest deliveries of ``query`` that no other pump holds and ingest each in
    its own savepoint, so that one that fails undoes nothing of the others. A failure of the claim or of
    the transaction itself (the database gone) is raised, and nothing of the batch is kept."""
    done: list[Ingested] = []
    with transaction.atomic():
        events = list(query.order_by("received_at").select_for_update(skip_locked=True)[:size])
        for event in events:
            try:
                with transaction.atomic():
                    done.append(_classify(event, enqueue=True, wait=False))
            except _FoldBusy:
                done.append(Ingested("busy", event.pk))
            except Exception as exc:  # one delivery must not stop the inbox: counted, tried again, parked
                logger.exception(
                    "ingesting delivery %s failed; it stays waiting and is tried again", event.pk
                )
                done.append(_ingest_failed(event.pk, exc))
    return done


def deliveries_overdue_ingest(*, now: datetime | None = None) -> int:
    """Ingest up to ``inbox_help_batch`` deliveries that have waited longer than ``inbox_overdue_seconds``:
    an order's own deliveries first (``ORDER_TOPICS``), then any, oldest first. Every worker calls this
    before the job its queue entry names (sync/tasks.py): under a flash sale the pump, one thread per
    worker host, falls behind the deliveries coming in, and a delivery not ingested is a sale no stock push
    can count (its raises are held back: sync/flows/stock.py) and an order the console does not show as
    queued. Deliveries younger than that are left to the pump. Returns how many it ingested."""
    now = now or timezone.now()
    before = now - timedelta(seconds=inbox_overdue_seconds())
    waiting = InboundEvent.objects.filter(ingested_at__isnull=True, received_at__lt=before).filter(
        Q(ingest_retry_at__isnull=True) | Q(ingest_retry_at__lte=now)
    )
    if not waiting.exists():
        return 0
    # An order's own deliveries first (``ORDER_TOPICS``); the rest of the batch, the oldest of any topic.
    batch = inbox_help_batch()
    done = deliveries_ingest(limit=batch, received_before=before, topics=ORDER_TOPICS)
    if len(done) < batch:
        done += deliveries_ingest(limit=batch - len(done), received_before=before)
    return sum(i.outcome not in ("failed", "busy") for i in done)


def _ingest_failed(pk: int, exc: Exception) -> Ingested:
    """Count a failed ingest: the delivery waits out a back-off, and after ``INGEST_MAX_FAILURES`` is
    parked in front of a person with the error (a replay ingests it again), rather than looping."""
    now = timezone.now()
    with transaction.atomic():
        event = InboundEvent.objects.filter(pk=pk, ingested_at__isnull=True).select_for_update().first()
        if event is None:  # ingested meanwhile by another pump
            return Ingested("failed", pk)
        event.ingest_failures += 1
        event.ingest_error = f"{type(exc).__name__}: {exc}"[:2000]
        if event.ingest_failures < INGEST_MAX_FAILURES:
            event.ingest_retry_at = now + ingest_backoff(event.ingest_failures)
            event.save(update_fields=["ingest_failures", "ingest_error", "ingest_retry_at"])
            return Ingested("failed", pk)
        event.ingested_at, event.ingest_retry_at = now, None
        event.save(update_fields=["ingest_failures", "ingest_error", "ingest_retry_at", "ingested_at"])
        job_id = _park(
            event,
            kind=INGEST_FAILED_KIND,
            subject=f"event:{event.pk}",
            label=event.topic or "unknown topic",
            code="ingest_failed",
            message=(
                f"the delivery could not be ingested {event.ingest_failures} times, last with "
                f"{event.ingest_error}. It is stored; replay it once the fault is fixed."
            ),
            key=f"ingest-failed:{event.pk}",
        )
    logger.error("parked delivery %s after %s failed ingests", event.webhook_id, event.ingest_failures)
    return Ingested("quarantined", pk, job_id)


def delivery_reingest(job: SyncJob, ctx: Any) -> dict[str, Any]:
    """What a replayed ``inbox.ingest_failed`` job runs: ingest its delivery again, as the pump would have
    (its job made and enqueued, or parked as unreadable...). A failure fails this job, which is retried and
    parks like any other; the delivery stays as it was."""
    if job.event_id is None:
        raise RuntimeError(f"job {job.pk} names no stored delivery")
    with transaction.atomic():
        event = InboundEvent.objects.select_for_update().get(pk=job.event_id)
        made = SyncJob.objects.filter(event_id=event.pk).exclude(kind=INGEST_FAILED_KIND)
        if event.ingested_at is not None and made.exists():
            return {"outcome": "ingested_before", "event": event.pk}
        event.ingest_retry_at = None
        result = _classify(event, enqueue=True)
    return {"outcome": result.outcome, "event": event.pk, "job": result.job_id}


def deliveries_ingest_pending(
    *,
    shop_id: int,
    limit: int = 5000,
    topics: Sequence[str] | None = None,
    strict_before: datetime | None = None,
) -> int:
    """Ingest the shop's deliveries not ingested yet, oldest first, at most ``limit`` (of ``topics`` only,
    when given): a privacy or stock job runs this before it looks at the shop's stored bodies. Returns how
    many it ingested; raises when one failed, so that the job is tried again rather than run without it.
    ``strict_before``: also raises (``TransientError``, the job tried again) while any of the shop's
    deliveries received before it is still not ingested: one another pump holds at this moment, or one
    beyond ``limit``."""
    done = deliveries_ingest(limit=limit, shop_id=shop_id, backing_off=True, topics=topics)
    failed = [i.event_id for i in done if i.outcome == "failed"]
    if failed:
        raise RuntimeError(f"stored deliveries {failed} of this shop could not be ingested yet")
    if strict_before is not None:
        left = InboundEvent.objects.filter(
            shop_id=shop_id, ingested_at__isnull=True, received_at__lt=strict_before
        ).count()
        if left:
            raise TransientError(
                f"{left} stored deliveries of this shop are not ingested yet (another worker is ingesting "
                "them, or more were waiting than one attempt ingests); this job needs every stored body, "
                "so it waits for them and is tried again"
            )
    return sum(i.outcome not in ("busy", "missing") for i in done)


def inbox_pump(stop: threading.Event) -> None:
    """The loop every worker runs in a thread (settings.WORKER_THREADS): ingest waiting deliveries until the
    worker stops; at once again while some wait, after ``OPSCONSOLE_INBOX_PUMP_SECONDS`` when none does."""
    interval = inbox_pump_seconds()
    while not stop.is_set():
        try:
            close_old_connections()
            done = deliveries_ingest()
        except Exception:  # the pump must outlive a database hiccup: logged, tried again
            logger.exception("the inbox pump failed; trying again")
            done = []
        if not any(i.outcome not in ("busy", "failed") for i in done):
            stop.wait(interval)


def _ingest(query: QuerySet[InboundEvent], *, enqueue: bool, skip_locked: bool = False) -> Ingested:
    with transaction.atomic():
        event = query.select_for_update(skip_locked=skip_locked).first()
        if event is None:
            return Ingested("busy" if skip_locked and query.exists() else "missing")
        if event.ingested_at is not None:
            job_id = SyncJob.objects.filter(event=event).order_by("pk").values_list("pk", flat=True).first()
            return Ingested("ingested_before", event.pk, job_id or event.handled_by_id)
        return _classify(event, enqueue=enqueue)


#: ``SALE_LINES_SQL`` of a body's text, parsed once: constant SQL, the body a parameter.
_SALE_LINES_OF_TEXT = f"(SELECT {SALE_LINES_SQL.format(payload='x.p')} FROM (SELECT %s::jsonb AS p) x)"  # noqa: S608


def _correlation(event: InboundEvent) -> dict[str, Any]:
    # The request's correlation id (CorrelationIdMiddleware), stored with the delivery: the job carries it on.
    return {"correlation_id": event.correlation_id} if event.correlation_id else {}


def _classify(event: InboundEvent, *, enqueue: bool, wait: bool = True) -> Ingested:
    """Parse, validate and act on one delivery, in the caller's transaction (its row locked). ``wait``:
    wait for another transaction folding a delivery of the same subject (else ``_FoldBusy`` is raised)."""
    now = timezone.now()
    event.ingested_at = now
    if event.purged_at is not None:
        # Erased (shop/redact) before it was ingested: nothing left to act on.
        event.save(update_fields=["ingested_at"])
        return Ingested("purged", event.pk)
    body = bytes(event.raw_body)
    topic = event.topic
    domain = str(event.headers.get("shop", "")).strip().lower() if isinstance(event.headers, dict) else ""
    payload, parse_error = _strict_json(body)
    if not parse_error and not isinstance(payload, dict):
        parse_error = f"body is JSON but not an object ({type(payload).__name__})"
    if not topic:
        parse_error = parse_error or "the X-Shopify-Topic header is missing"
    subject_id, label, updated_at = _subject(topic, payload) if not parse_error else ("", "", None)
    kind = kind_for_topic(topic) if not parse_error else None
    if not parse_error and _SUSPECT_ESCAPE.search(body) and _unstorable_text(payload):
        # Valid JSON, but PostgreSQL's jsonb cannot hold U+0000 or a lone surrogate: keep the raw body.
        parse_error = "body contains \\u0000 or an unpaired surrogate escape, which jsonb cannot store"
    # Shopify signs the body, not the topic: a body must fit its topic (and a destructive one be fresh when
    # it was received) before a job is made, or it is quarantined for a person and never acted on.
    mismatch: tuple[str, str] | None = None
    if not parse_error and kind is not None:
        if problem := topic_shape_problem(topic, payload, shop_domain=domain):
            mismatch = ("topic_mismatch", f"the body does not fit the topic {topic}: {problem}")
        elif problem := freshness_problem(
            topic,
            event.triggered_at,
            now=event.received_at or now,
            window=timedelta(hours=settings.WEBHOOK_DESTRUCTIVE_MAX_AGE_HOURS),
        ):
            mismatch = ("stale_delivery", f"a {topic} delivery too old to act on: {problem}")
    event.subject_id = subject_id[:64]
    event.payload_updated_at = updated_at
    fields = ["ingested_at", "subject_id", "payload_updated_at", "parse_error"]
    if not parse_error:
        try:
            text = body.decode("utf-8")
            # An order's units per SKU, summed once here for every stock push that counts unbooked sales.
            sold = {"sale_lines": RawSQL(_SALE_LINES_OF_TEXT, [text])} if topic in SALE_TOPICS else {}  # noqa: S611
            with transaction.atomic():
                # The raw text cast to jsonb rather than re-serialised in Python.
                InboundEvent.objects.filter(pk=event.pk).update(
                    payload=RawSQL("%s::jsonb", [text]),
                    **sold,
                    **{name: getattr(event, name) for name in fields},
                )
        except DataError as exc:
            # PostgreSQL refused a value we could not foresee: keep the raw delivery for a person.
            parse_error = f"PostgreSQL refused the payload: {str(exc).splitlines()[0][:300]}"
            event.subject_id, event.payload_updated_at = "", None
        else:
            event.payload = payload
    if parse_error:
        event.parse_error = parse_error
        event.save(update_fields=fields)
        return Ingested("quarantined", event.pk, _quarantine(event, parse_error))
    if mismatch is not None:
        security_log.warning("webhook quarantined: %s shop=%r topic=%r", mismatch[0], domain, topic[:100])
        return Ingested("quarantined", event.pk, _quarantine(event, mismatch[1], code=mismatch[0]))
    if kind is None:
        # A topic no flow handles: stored, and in front of a person at once ("no flow handles topic X"),
        # never silently ignored. A replay runs the topic's flow once one exists.
        return Ingested("unhandled", event.pk, _unhandled(event, subject_id=subject_id, label=label))
    subject = _job_subject(topic, payload, subject_id)
    if kind.coalesce and (handled := _fold(event, kind.kind, subject, payload, wait=wait)) is not None:
        return handled
    job = SyncJob.objects.create(
        **_correlation(event),
        kind=kind.kind,
        flow=kind.flow,
        shop_id=event.shop_id,
        event=event,
        idempotency_key=delivery_job_key(event.shop_id, event.webhook_id),
        subject=subject,
        subject_label=label[:120],
        source_updated_at=updated_at or event.triggered_at,
        max_attempts=max_attempts(),
        priority=kind.priority,
    )
    if enqueue:
        job_enqueue(job=job)  # in this transaction (ORM broker), or once it commits (Redis)
    logger.info(
        "received %s %s for %s: event %s, job %s [cid=%s]",
        topic,
        event.webhook_id,
        domain,
        event.pk,
        job.pk,
        job.correlation_id,
    )
    return Ingested("stored", event.pk, job.pk)


# ------------------------------------------------------------------------------------------- coalescing

#: Kinds whose deliveries our own writes echo back, and how to tell (``_own_echo``).
LEVEL_UPDATE_KIND = "stock.level_update"


def _fold(
    event: InboundEvent, kind: str, subject: str, payload: dict[str, Any], *, wait: bool = True
) -> Ingested | None:
    """Coalescing: a delivery of a kind that acts on its subject's current state (``JobKind.coalesce``)
    makes no job when one of its subject is still waiting (queued or retrying, not running): it is folded
    into that job (``handled_by``, ``handled_as="coalesced"``), which reads the newest of its deliveries
    when it runs (sync/flows/payloads.py ``job_event``). Shopify's echo of the stock our push set makes no
    job either: it is credited to the push (``handled_as="echo"``). Either way the delivery stays stored
    and names the job that handled it (the deliveries list, the job search). None: make a job."""
    key = subject_lock_key(f"fold:{event.shop_id}:{kind}:{subject}")
    with connection.cursor() as cursor:
        # Two pumps ingesting two deliveries of one subject at once fold them into one job, not two. A batch
        # (``_ingest_batch``) does not wait: two batches folding subjects in different orders would deadlock.
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        else:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
            if not cursor.fetchone()[0]:
                raise _FoldBusy(key)
    # A job being claimed now (its row locked) is skipped: the delivery makes a job of its own.
    waiting = (
        SyncJob.objects.select_for_update(skip_locked=True)
        .filter(
            shop_id=event.shop_id,
            kind=kind,
            subject=subject,
            state__in=[JobState.QUEUED, JobState.RETRYING],
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if waiting is not None:
        return _handled(event, waiting, "coalesced")
    if kind == LEVEL_UPDATE_KIND and (pusher := _own_echo(event, payload)) is not None:
        return _handled(event, pusher, "echo")
    if kind == CUSTOMER_KIND and (applier := _customer_unchanged(event, payload)) is not None:
        return _handled(event, applier, "unchanged")
    return None


CUSTOMER_KIND = "customer.upsert"
CUSTOMER_TOPICS = ("customers/create", "customers/update")
#: What Shopify changes in a customer with each of its orders, and Odoo does not hold: the customers/update
#: each order brings differs from the customer's last delivery in these alone.
CUSTOMER_ORDER_FIELDS = frozenset(
    {"orders_count", "total_spent", "last_order_id", "last_order_name", "updated_at"}
)
#: A customer job's outcomes after which Odoo holds the payload it worked from.
CUSTOMER_APPLIED = frozenset({"created", "linked", "updated", "unchanged"})


def _customer_unchanged(event: InboundEvent, payload: dict[str, Any]) -> int | None:
    """The customer job that already applied this very customer, when the delivery differs from the one
    that job worked from only in the fields each order changes (``CUSTOMER_ORDER_FIELDS``) and is not older
    than it: the job it would make could only end ``unchanged``. None: make a job. Looks at the customer's
    last delivery before this one and the job that handled it (succeeded, having applied its payload)."""
    last = (
        InboundEvent.objects.filter(
            shop_id=event.shop_id, subject_id=event.subject_id, topic__in=CUSTOMER_TOPICS, pk__lt=event.pk
        )
        .order_by("-pk")
        .only("pk", "handled_by_id", "purged_at")
        .first()
    )
    if last is None or last.purged_at is not None:
        return None
    applier = (
        SyncJob.objects.filter(Q(event_id=last.pk) | Q(pk=last.handled_by_id or 0), kind=CUSTOMER_KIND)
        .select_related("event")
        .order_by("pk")
        .first()
    )
    if applier is None or applier.state != JobState.SUCCEEDED:
        return None
    if (applier.result or {}).get("outcome") not in CUSTOMER_APPLIED:
        return None
    applied = job_event(applier)
    if applied is None or not isinstance(applied.payload, dict) or applied.purged_at is not None:
        return None
    if applied.payload_updated_at and (
        event.payload_updated_at is None or event.payload_updated_at < applied.payload_updated_at
    ):
        return None  # older than what was applied: a job records it as stale

    def held(customer: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in customer.items() if k not in CUSTOMER_ORDER_FIELDS}

    return applier.pk if held(applied.payload) == held(payload) else None


def _handled(event: InboundEvent, job_id: int, how: str) -> Ingested:
    InboundEvent.objects.filter(pk=event.pk).update(handled_by_id=job_id, handled_as=how)
    logger.info("delivery %s (%s) %s, handled by job %s", event.webhook_id, event.topic, how, job_id)
    return Ingested(how, event.pk, job_id)


def _own_echo(event: InboundEvent, payload: dict[str, Any]) -> int | None:
    """The push job whose value this ``inventory_levels/update`` reports back (Shopify's available equals
    what that job set last for the item at the location, and the delivery is not older than one applied
    already), after noting Shopify's value as the level update's flow would (sync/flows/stock.py); None
    when it is anything else (a sale, a change made in Shopify), which a job must look at."""
    available = payload.get("available")
    if not isinstance(available, int) or isinstance(available, bool):
        return None
    item = f"gid://shopify/InventoryItem/{payload.get('inventory_item_id')}"
    location = f"gid://shopify/Location/{payload.get('location_id')}"
    level = (
        StockLevel.objects.filter(
            shop_id=event.shop_id,
            inventory_item_id=item,
            location=location,
            pushed=available,
            pushed_job_id__isnull=False,
        )
        .only("pk", "pushed_job_id", "shopify_updated_at")
        .first()
    )
    if level is None or level.pushed_job_id is None:
        return None
    updated_at = event.payload_updated_at
    if updated_at and level.shopify_updated_at and updated_at < level.shopify_updated_at:
        return None  # older than what was applied: the job records it as stale
    if not SyncJob.objects.filter(pk=level.pushed_job_id).exists():
        return None  # the push is gone (retention): a job of its own, rather than a link to nothing
    noted = StockLevel.objects.filter(
        pk=level.pk, pushed=available, pushed_job_id=level.pushed_job_id
    ).update(
        shopify_available=available,
        shopify_seen_at=timezone.now(),
        shopify_updated_at=updated_at or level.shopify_updated_at,
    )
    return level.pushed_job_id if noted else None


def _job_subject(topic: str, payload: dict[str, Any], subject_id: str) -> str:
    """A job's subject: ``order:<id>``, ``customer:<id>``...; a stock level's is its item at its location
    (``inventory_levels:<item id>:<location id>``), what its deliveries coalesce on."""
    if topic.startswith("inventory_levels/"):
        return f"inventory_levels:{payload.get('inventory_item_id', '')}:{payload.get('location_id', '')}"[
            :120
        ]
    return f"{_subject_kind(topic)}:{subject_id}"[:120]


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
    elif topic.startswith("inventory_levels/"):
        # Searchable by the inventory item's id; the job's subject adds the location (``_job_subject``).
        subject_id, label = str(payload.get("inventory_item_id", "")), "stock level"
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


def _park(
    event: InboundEvent, *, kind: str, subject: str, label: str, code: str, message: str, key: str = ""
) -> int:
    now = timezone.now()
    job = SyncJob.objects.create(
        **_correlation(event),
        kind=kind,
        flow=QUARANTINE_FLOW,
        shop_id=event.shop_id,
        event=event,
        idempotency_key=key or f"event:{event.pk}",
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
