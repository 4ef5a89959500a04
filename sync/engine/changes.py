"""Following Odoo's changes for the outbound flows: one cursor per shop and stream (sync/flows/streams.py),
read on the stream's cycle or at once when woken, each new record handed to the stream, which asks for jobs.

Reading by ``write_date``
-------------------------
Odoo has no change feed; ``write_date`` is the cursor. It is not a clean one (API-NOTES I): Odoo 19 stores
whole seconds, 18 keeps microseconds but answers to the second, and a record written by a long transaction
commits after records written later, with the earlier ``write_date``. So:

- only ``write_date >= since`` is asked for (never ``=`` or ``>``, which mean different things on 18 and
  19), ordered by (write_date, id);
- every read starts ``overlap_seconds`` before the newest ``write_date`` read so far, so that a late commit is
  read on a later cycle; what was read already is recognised by (id, write_date, digest of the values read)
  kept in the cursor for the overlap window, and skipped. A record changed twice within one second is
  delivered twice if its values differ (the digest), once if they do not (nothing to do);
- a page is full when it holds ``page_size`` records; the next page starts at the last page's newest second
  (reading that second again, de-duplicated), or, when a whole page falls in one second, pages through that
  second by id and then goes on from the next second — so that no number of records written in one second
  stalls or skips the stream.

Each page's jobs and the cursor's new position are written in one transaction: a crash between pages reads
the rest again (jobs are made once per idempotency key). One reader per shop and stream at a time (an
advisory lock); a failure (Odoo down, refused credentials) keeps the cursor where it was and reads again
after a backoff: a change is delayed, never lost.

Scheduling: ``changes_tick`` (run every second by the ticker thread in every worker, sync/tasks.py) puts due
streams on the queue once (a conditional UPDATE of ``queued_at``); a read still waiting in the queue after
``changes_poll_overdue_seconds`` (behind a backlog of jobs) is run by the next worker that takes any entry,
ahead of its job (``polls_overdue_run``); ``changes_wake`` makes a stream due now
(an Odoo automation rule calling our endpoint, a person's "read now"). A wake during a read is kept: the read
ends by scheduling the next one only if nobody woke the stream meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from opsconsole.core.errors import AuthError, IntegrationError
from sync.connectors.odoo import ChangedRecord
from sync.engine.classify import backoff_seconds
from sync.engine.clients import odoo_client_for
from sync.engine.config import changes_cycle_seconds, changes_poll_overdue_seconds, changes_tick_seconds
from sync.engine.mappings import mappings_for_shop
from sync.engine.queue import jobs_from_requests, task_enqueue
from sync.flows import streams
from sync.kinds import JobRequest
from sync.locks import subject_lock_key, subject_lock_release, subject_lock_try
from sync.models import OdooChangeCursor, ShopifyShop

logger = logging.getLogger("sync.changes")

POLL_TASK = "sync.tasks.changes_poll"
ODOO_FORMAT = "%Y-%m-%d %H:%M:%S"
#: A read queued longer ago than this is assumed lost (its worker died) and queued again.
QUEUED_STALE_SECONDS = 300
#: At most this many pages per read; the rest is read at once by the next one.
MAX_PAGES = 20
#: A failing stream is read again after a backoff capped here.
FAILURE_BACKOFF_CAP_SECONDS = 300.0


def shift(write_date: str, seconds: float) -> str:
    """``write_date`` (Odoo's text) moved by ``seconds``, in Odoo's text."""
    moved = datetime.strptime(write_date[:19], ODOO_FORMAT) + timedelta(seconds=seconds)
    return moved.strftime(ODOO_FORMAT)


def odoo_now() -> str:
    """Our clock in Odoo's text (UTC); only where Odoo has no record to tell its own time."""
    return datetime.now(UTC).strftime(ODOO_FORMAT)


def record_token(record: ChangedRecord) -> str:
    """What identifies one state of a record: its write_date and a digest of the values read."""
    digest = hashlib.blake2b(
        json.dumps(record.values, sort_keys=True, default=str).encode(), digest_size=8
    ).hexdigest()
    return f"{record.write_date}|{digest}"


@dataclass(frozen=True)
class PollReport:
    shop_id: int
    stream: str
    outcome: str  # read | started | busy | disabled | failed | served (by another worker)
    pages: int = 0
    records: int = 0  # new records handed to the stream
    jobs: int = 0  # jobs made (an existing idempotency key makes none)
    write_date: str = ""
    more: bool = False  # stopped at MAX_PAGES; read again at once
    error: str = ""


def _company_context(company_id: int | None) -> dict[str, Any] | None:
    return {"allowed_company_ids": [company_id]} if company_id else None


def _make_jobs(shop: ShopifyShop, requests: Sequence[JobRequest]) -> int:
    return jobs_from_requests(shop=shop, requests=requests)


def _schedule_next(cursor: OdooChangeCursor, *, started: datetime, delay: float) -> None:
    """Free the stream for the ticker and set its next read, unless a wake during this read asked for one
    sooner (a wake sets ``due_at`` to its own time, later than when this read started)."""
    now = timezone.now()
    OdooChangeCursor.objects.filter(pk=cursor.pk).update(queued_at=None)
    OdooChangeCursor.objects.filter(pk=cursor.pk).filter(
        Q(due_at__isnull=True) | Q(due_at__lte=started)
    ).update(due_at=now + timedelta(seconds=delay))


def changes_poll(
    *, shop_id: int, stream_name: str, max_pages: int = MAX_PAGES, queued_at: datetime | None = None
) -> PollReport:
    """Read one stream of one shop from its cursor; make the jobs its new records ask for. ``queued_at``:
    the read the ticker queued then; if another worker has served it meanwhile (``polls_overdue_run``),
    nothing is read."""
    stream = streams.get(stream_name)
    shop = ShopifyShop.objects.select_related("odoo").get(pk=shop_id)
    cursor, _ = OdooChangeCursor.objects.get_or_create(shop=shop, stream=stream_name)
    lock = subject_lock_key(f"changes:{shop_id}:{stream_name}")
    if not subject_lock_try(lock):
        return PollReport(shop_id, stream_name, "busy")
    started = timezone.now()
    cycle = changes_cycle_seconds(stream_name, stream.cycle_seconds)
    if stream.cycle_override is not None:
        override = stream.cycle_override(shop_id)
        if override is not None:
            cycle = min(cycle, override)
    try:
        cursor.refresh_from_db()
        if queued_at is not None and cursor.queued_at != queued_at:
            return PollReport(shop_id, stream_name, "served", write_date=cursor.write_date)
        if (
            not shop.active
            or shop.uninstalled_at is not None
            or not shop.odoo.active
            or shop.odoo.auth_failed_at is not None
        ):
            # Paused or uninstalled shop, or refused credentials: nothing is read, the cursor waits.
            _schedule_next(cursor, started=started, delay=cycle)
            return PollReport(shop_id, stream_name, "disabled", write_date=cursor.write_date)
        mappings = mappings_for_shop(shop=shop)
        if not stream.enabled(mappings):
            _schedule_next(cursor, started=started, delay=cycle)
            return PollReport(shop_id, stream_name, "disabled", write_date=cursor.write_date)
        client = odoo_client_for(shop.odoo)
        context = _company_context(mappings.company_id)
        domain = stream.domain(mappings)
        try:
            if not cursor.write_date and not cursor.seen and stream.start == "now":
                newest = client.newest_write_date(stream.model, domain=domain, context=context)
                cursor.write_date = newest or odoo_now()
                cursor.polled_at = timezone.now()
                cursor.save(update_fields=["write_date", "polled_at"])
                _schedule_next(cursor, started=started, delay=0)
                return PollReport(shop_id, stream_name, "started", write_date=cursor.write_date)
            report = _read(cursor, shop, stream, client, mappings, domain, context, max_pages)
        except IntegrationError as exc:
            return _failed(cursor, shop_id, stream_name, exc, started)
        _schedule_next(cursor, started=started, delay=0 if report.more else cycle)
        return report
    finally:
        subject_lock_release(lock)


def _failed(
    cursor: OdooChangeCursor, shop_id: int, stream_name: str, exc: BaseException, started: datetime
) -> PollReport:
    failures = cursor.failures + 1
    delay = min(FAILURE_BACKOFF_CAP_SECONDS, backoff_seconds(failures))
    if isinstance(exc, AuthError):
        delay = FAILURE_BACKOFF_CAP_SECONDS  # the connection probe resumes it sooner once Odoo accepts us
    now = timezone.now()
    OdooChangeCursor.objects.filter(pk=cursor.pk).update(
        failures=failures, last_error=f"{type(exc).__name__}: {exc}"[:2000], last_error_at=now
    )
    _schedule_next(cursor, started=started, delay=delay)
    logger.warning(
        "reading Odoo changes of %s for shop %s failed (%s in a row): %s; again in %.0f s",
        stream_name,
        shop_id,
        failures,
        exc,
        delay,
    )
    return PollReport(shop_id, stream_name, "failed", write_date=cursor.write_date, error=str(exc)[:300])


def _read(
    cursor: OdooChangeCursor,
    shop: ShopifyShop,
    stream: streams.ChangeStream,
    client: Any,
    mappings: Any,
    domain: list[Any],
    context: dict[str, Any] | None,
    max_pages: int,
) -> PollReport:
    seen: dict[str, str] = dict(cursor.seen)
    newest = cursor.write_date
    since = shift(cursor.write_date, -stream.overlap_seconds) if cursor.write_date else ""
    after_id = 0  # > 0 while paging through one second by id
    pages = records = jobs = 0
    more = False
    while True:
        rows = client.read_changes(
            stream.model,
            fields=stream.fields,
            domain=domain,
            since=since,
            after_id=after_id,
            limit=stream.page_size,
            context=context,
        )
        pages += 1
        fresh = [row for row in rows if seen.get(str(row.id)) != record_token(row)]
        requests = stream.handle(fresh, mappings) if fresh else []
        for row in fresh:
            seen[str(row.id)] = record_token(row)
        if rows:
            newest = max(newest, max(row.write_date for row in rows))
        window_start = shift(newest, -stream.overlap_seconds) if newest else ""
        seen = {rid: token for rid, token in seen.items() if token.split("|", 1)[0] >= window_start}
        with transaction.atomic():
            made = _make_jobs(shop, requests)
            cursor.write_date = newest
            cursor.seen = seen
            cursor.records_read += len(fresh)
            cursor.jobs_made += made
            cursor.polled_at = timezone.now()
            cursor.failures = 0
            cursor.last_error = ""
            if fresh:
                cursor.last_change_at = cursor.polled_at
            cursor.save(
                update_fields=[
                    "write_date",
                    "seen",
                    "records_read",
                    "jobs_made",
                    "polled_at",
                    "failures",
                    "last_error",
                    "last_change_at",
                ]
            )
        records += len(fresh)
        jobs += made
        # Where the next page starts.
        if len(rows) < stream.page_size:
            if not after_id:
                break
            # Paging through one second is done; what remains starts at the next second.
            since, after_id = shift(since, 1), 0
        elif after_id:
            if rows[-1].write_date == since:
                after_id = rows[-1].id
            else:
                since, after_id = shift(since, 1), 0
        elif rows[0].write_date == rows[-1].write_date:
            # A whole page in one second: page through that second by id.
            since, after_id = rows[-1].write_date, rows[-1].id
        else:
            since = rows[-1].write_date
        if pages >= max_pages:
            more = True
            break
    return PollReport(
        shop.pk, stream.name, "read", pages=pages, records=records, jobs=jobs, write_date=newest, more=more
    )


# ---------------------------------------------------------------------------------------------- scheduling

_ensured_at: dict[str, datetime] = {}
ENSURE_EVERY_SECONDS = 60


def cursors_ensure(*, now: datetime | None = None) -> int:
    """A cursor row for every active shop and stream (new shops, new streams); cheap, once a minute."""
    now = now or timezone.now()
    last = _ensured_at.get("all")
    if last is not None and (now - last).total_seconds() < ENSURE_EVERY_SECONDS:
        return 0
    _ensured_at["all"] = now
    made = 0
    names = list(streams.STREAMS)
    if not names:
        return 0
    existing = set(OdooChangeCursor.objects.filter(stream__in=names).values_list("shop_id", "stream"))
    for shop_id in ShopifyShop.objects.filter(active=True).values_list("pk", flat=True):
        for name in names:
            if (shop_id, name) not in existing:
                _, created = OdooChangeCursor.objects.get_or_create(shop_id=shop_id, stream=name)
                made += int(created)
    return made


def shop_cursors_ensure(*, shop_id: int) -> int:
    """A cursor row for each stream of one shop, at once (a shop just connected need not wait for the
    minute of ``cursors_ensure``)."""
    return sum(
        int(OdooChangeCursor.objects.get_or_create(shop_id=shop_id, stream=name)[1])
        for name in streams.STREAMS
    )


def changes_tick(*, now: datetime | None = None, limit: int = 200) -> int:
    """Queue a read for every due stream that has none queued. Safe anywhere, any number of times: a stream is
    queued by one conditional UPDATE, so two tickers never queue it twice."""
    now = now or timezone.now()
    cursors_ensure(now=now)
    names = list(streams.STREAMS)
    if not names:
        return 0
    free = Q(queued_at__isnull=True) | Q(queued_at__lt=now - timedelta(seconds=QUEUED_STALE_SECONDS))
    due = Q(due_at__isnull=True) | Q(due_at__lte=now)
    candidates = list(
        OdooChangeCursor.objects.filter(free & due, stream__in=names, shop__active=True)
        .order_by("due_at")
        .values_list("pk", "shop_id", "stream")[:limit]
    )
    queued = 0
    for pk, shop_id, name in candidates:
        with transaction.atomic():
            if OdooChangeCursor.objects.filter(free & due, pk=pk).update(queued_at=now):
                label = f"changes {name} shop {shop_id}"[:100]
                task_enqueue(POLL_TASK, shop_id, name, now.isoformat(), task_name=label)
                queued += 1
    return queued


def polls_overdue_run(*, now: datetime | None = None, candidates: int = 3) -> PollReport | None:
    """Run one read the ticker queued more than ``changes_poll_overdue_seconds`` ago whose queue entry no
    worker has taken yet, the oldest first (one another worker is reading now is passed over). Every worker
    calls this before the job its queue entry names (sync/tasks.py): the queue is first in, first out, and
    behind a backlog of thousands of order entries a read of Odoo's stock would wait for all of them.
    The read's own entry, when a worker takes it, finds the read served and does nothing."""
    now = now or timezone.now()
    names = list(streams.STREAMS)
    overdue = list(
        OdooChangeCursor.objects.filter(
            queued_at__isnull=False,
            queued_at__lte=now - timedelta(seconds=changes_poll_overdue_seconds()),
            stream__in=names,
            shop__active=True,
        )
        .order_by("queued_at")
        .values_list("shop_id", "stream", "queued_at")[:candidates]
    )
    for shop_id, name, queued_at in overdue:
        report = changes_poll(shop_id=shop_id, stream_name=name, queued_at=queued_at)
        if report.outcome not in ("busy", "served"):
            return report
    return None


def changes_wake(*, shop_id: int, stream: str | None = None) -> int:
    """Make a shop's streams (or one) due now; the ticker queues the read within a tick. Returns how many."""
    query = OdooChangeCursor.objects.filter(shop_id=shop_id)
    if stream is not None:
        query = query.filter(stream=stream)
    return query.update(due_at=timezone.now())


def changes_ticker(stop: threading.Event) -> None:
    """The loop every worker runs in a thread (settings.WORKER_THREADS): tick until the worker stops (not at
    all in a worker started with OPSCONSOLE_CHANGES_TICKER=0)."""
    if not getattr(settings, "CHANGES_TICKER", True):
        logger.info("the Odoo change ticker is off in this worker (OPSCONSOLE_CHANGES_TICKER=0)")
        return
    interval = changes_tick_seconds()
    while not stop.is_set():
        try:
            close_old_connections()
            changes_tick()
        except Exception:  # the ticker must outlive a database hiccup: logged, tried again
            logger.exception("the Odoo change ticker failed; trying again")
        stop.wait(interval)
