"""Reading Odoo's changes by cursor (sync/engine/changes.py), through the Odoo sandbox over real HTTP.

A test stream follows ``res.partner`` records of one test (their ``ref``) and asks for one job per state of
a record it reads, keyed by the record and that state; so the jobs made are exactly the changes delivered.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from opsconsole.core.management.commands.qcluster import start_worker_threads
from sandbox.odoo.testing import RunningOdooSandbox, odoo_sandbox
from sync import tasks
from sync.connectors.odoo import ChangedRecord
from sync.engine import changes
from sync.engine.clients import clients_reset, odoo_client_for
from sync.engine.queue import JobSpec, job_create
from sync.flows import registry, streams
from sync.kinds import KINDS, JobKind, JobRequest
from sync.models import OdooChangeCursor, SyncJob
from sync.transforms.types import ShopMappings
from tests.factories import OdooConnectionFactory, ShopifyShopFactory

pytestmark = pytest.mark.django_db(transaction=True)

REF = {"value": ""}


def _handle(records: Sequence[ChangedRecord], mappings: ShopMappings) -> list[JobRequest]:
    return [
        JobRequest(
            kind="test.partner_changed",
            idempotency_key=f"test:partner:{r.id}:{changes.record_token(r)}",
            subject=f"partner:{r.id}",
            input={"name": r.values["name"]},
        )
        for r in records
    ]


def _stream(**overrides: Any) -> streams.ChangeStream:
    spec: dict[str, Any] = {
        "name": "test.partners",
        "model": "res.partner",
        "fields": ("name",),
        "handle": _handle,
        "domain": lambda mappings: [("ref", "=", REF["value"])],
        "start": "beginning",
        "cycle_seconds": 30.0,
        "overlap_seconds": 120.0,
        "page_size": 500,
    }
    spec.update(overrides)
    return streams.ChangeStream(**spec)


@pytest.fixture(scope="module")
def odoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningOdooSandbox]:
    with odoo_sandbox(tmp_path_factory.mktemp("odoo-changes"), version=19, seed=True) as sandbox:
        yield sandbox


@pytest.fixture
def shop(odoo, monkeypatch, request):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(KINDS, "test.partner_changed", JobKind("test.partner_changed", "test", "Test"))
    monkeypatch.setattr(streams, "STREAMS", {})
    changes._ensured_at.clear()
    REF["value"] = f"chg-{request.node.name[-40:]}-{timezone.now().timestamp()}"
    odoo.control.clear_faults()
    clients_reset()
    connection = OdooConnectionFactory(
        url=odoo.base_url, database=odoo.db, login=odoo.login, secret=odoo.api_key, protocol="jsonrpc"
    )
    yield ShopifyShopFactory(odoo=connection)
    clients_reset()


def use(monkeypatch: pytest.MonkeyPatch, stream: streams.ChangeStream) -> streams.ChangeStream:
    monkeypatch.setitem(streams.STREAMS, stream.name, stream)
    return stream


def partner(shop: Any, name: str) -> int:
    created = odoo_client_for(shop.odoo).execute(
        "res.partner", "create", vals_list=[{"name": name, "ref": REF["value"]}]
    )
    return int(created[0] if isinstance(created, list) else created)


def rename(shop: Any, pid: int, name: str) -> None:
    odoo_client_for(shop.odoo).execute("res.partner", "write", [pid], vals={"name": name})


def delivered(shop: Any) -> list[tuple[str, str]]:
    return sorted(
        (job.subject, job.input["name"])
        for job in SyncJob.objects.filter(shop=shop, kind="test.partner_changed")
    )


def poll(shop: Any, **kwargs: Any) -> changes.PollReport:
    return changes.changes_poll(shop_id=shop.pk, stream_name="test.partners", **kwargs)


def test_a_stream_from_the_beginning_delivers_every_record_once(shop, monkeypatch):
    # given
    use(monkeypatch, _stream())
    ids = [partner(shop, f"P{n}") for n in range(3)]
    # when
    first = poll(shop)
    second = poll(shop)
    # then
    assert (first.outcome, first.records, first.jobs) == ("read", 3, 3)
    assert (second.outcome, second.records, second.jobs) == ("read", 0, 0)
    assert delivered(shop) == sorted((f"partner:{i}", f"P{n}") for n, i in enumerate(ids))


def test_a_stream_from_now_ignores_history_and_delivers_what_changes_after(shop, monkeypatch):
    # given
    use(monkeypatch, _stream(start="now"))
    old = partner(shop, "old")
    # when
    started = poll(shop)
    new = partner(shop, "new")
    rename(shop, old, "old renamed")
    read = poll(shop)
    # then
    assert started.outcome == "started"
    assert read.records == 2
    assert delivered(shop) == sorted([(f"partner:{new}", "new"), (f"partner:{old}", "old renamed")])


def test_two_changes_of_one_record_in_one_second_are_both_delivered(shop, monkeypatch):
    # given: Odoo 19 keeps write_date to the second, so both writes carry the same write_date
    use(monkeypatch, _stream())
    pid = partner(shop, "A")
    poll(shop)
    # when
    rename(shop, pid, "B")
    poll(shop)
    rename(shop, pid, "C")
    poll(shop)
    poll(shop)
    # then: each state once, none twice
    assert delivered(shop) == [(f"partner:{pid}", "A"), (f"partner:{pid}", "B"), (f"partner:{pid}", "C")]


def test_more_records_than_a_page_in_one_second_are_paged_by_id_without_loss_or_repeat(shop, monkeypatch):
    # given: pages of two; seven records (most or all within one second)
    use(monkeypatch, _stream(page_size=2))
    ids = [partner(shop, f"R{n}") for n in range(7)]
    # when
    report = poll(shop)
    # then
    assert report.records == 7
    assert report.pages >= 4
    assert delivered(shop) == sorted((f"partner:{i}", f"R{n}") for n, i in enumerate(ids))


def test_a_record_committed_late_with_an_earlier_write_date_is_read_within_the_overlap(shop, monkeypatch):
    # given: the cursor already stands a minute past the record's write_date (as after reading a record
    # written later by a shorter transaction)
    use(monkeypatch, _stream(overlap_seconds=120))
    poll(shop)
    pid = partner(shop, "late")
    record_date = odoo_client_for(shop.odoo).newest_write_date("res.partner", domain=[("id", "=", pid)])
    OdooChangeCursor.objects.filter(shop=shop).update(write_date=changes.shift(record_date, 60))
    # when
    report = poll(shop)
    # then
    assert report.records == 1
    assert delivered(shop) == [(f"partner:{pid}", "late")]


def test_without_an_overlap_that_late_record_would_be_skipped(shop, monkeypatch):
    # given: the same situation, with no overlap: shows what the overlap is for
    use(monkeypatch, _stream(overlap_seconds=0))
    poll(shop)
    pid = partner(shop, "late")
    record_date = odoo_client_for(shop.odoo).newest_write_date("res.partner", domain=[("id", "=", pid)])
    OdooChangeCursor.objects.filter(shop=shop).update(write_date=changes.shift(record_date, 60))
    # when
    report = poll(shop)
    # then
    assert report.records == 0
    assert delivered(shop) == []


def test_odoo_down_delays_the_change_and_loses_nothing(shop, odoo, monkeypatch):
    # given
    use(monkeypatch, _stream())
    poll(shop)
    pid = partner(shop, "during outage")
    cursor_before = OdooChangeCursor.objects.get(shop=shop).write_date
    odoo.control.add_fault("down")
    # when
    failed = poll(shop)
    cursor = OdooChangeCursor.objects.get(shop=shop)
    odoo.control.clear_faults()
    recovered = poll(shop)
    # then
    assert failed.outcome == "failed"
    assert cursor.write_date == cursor_before
    assert cursor.failures == 1 and cursor.last_error
    assert cursor.due_at is not None and cursor.due_at > timezone.now()
    assert recovered.records == 1
    assert delivered(shop) == [(f"partner:{pid}", "during outage")]
    assert OdooChangeCursor.objects.get(shop=shop).failures == 0


def test_a_full_read_stops_after_its_page_budget_and_asks_to_be_read_again_at_once(shop, monkeypatch):
    # given
    use(monkeypatch, _stream(page_size=2))
    [partner(shop, f"M{n}") for n in range(6)]
    # when
    first = poll(shop, max_pages=1)
    cursor = OdooChangeCursor.objects.get(shop=shop)
    rest = poll(shop)
    # then
    assert (first.records, first.more) == (2, True)
    assert cursor.due_at is not None and cursor.due_at <= timezone.now()
    assert rest.records == 4


def test_the_ticker_queues_a_due_stream_once_and_again_when_woken(shop, monkeypatch):
    # given
    use(monkeypatch, _stream())
    OrmQ.objects.all().delete()
    # when
    first = changes.changes_tick()
    second = changes.changes_tick()
    queued = OrmQ.objects.count()
    poll(shop)  # the read runs: the stream is due again only after its cycle
    after_read = changes.changes_tick()
    woken = changes.changes_wake(shop_id=shop.pk, stream="test.partners")
    after_wake = changes.changes_tick()
    # then
    assert (first, second, queued) == (1, 0, 1)
    assert after_read == 0
    assert (woken, after_wake) == (1, 1)


def test_a_wake_during_a_read_is_not_lost(shop, monkeypatch):
    # given: the stream is woken while its read runs (inside the handler)
    def waking_handle(records: Sequence[ChangedRecord], mappings: ShopMappings) -> list[JobRequest]:
        changes.changes_wake(shop_id=shop.pk, stream="test.partners")
        return _handle(records, mappings)

    use(monkeypatch, _stream(handle=waking_handle))
    partner(shop, "W")
    # when
    poll(shop)
    cursor = OdooChangeCursor.objects.get(shop=shop)
    # then: due now, not after the 30-second cycle
    assert cursor.due_at is not None and cursor.due_at <= timezone.now()
    assert cursor.queued_at is None


def _recorded(job: Any, ctx: Any) -> dict[str, Any]:
    return {"outcome": "done"}


def test_a_read_queued_behind_a_backlog_of_1000_jobs_is_run_by_the_next_worker_that_takes_any(
    shop, monkeypatch
):
    # given 1,000 order jobs queued (a flash sale's backlog), then a change in Odoo and the ticker queuing
    # the stream's read behind them, long enough ago to be overdue
    monkeypatch.setitem(registry.FLOWS, "order.upsert", _recorded)
    use(monkeypatch, _stream())
    OrmQ.objects.all().delete()
    for n in range(1000):
        job_create(
            spec=JobSpec(
                kind="order.upsert", flow="orders", shop=shop, idempotency_key=f"order-{n}", subject=f"o:{n}"
            )
        )
    pid = partner(shop, "Backlogged")
    assert changes.changes_tick(now=timezone.now() - timedelta(seconds=10)) == 1
    entries = [SignedPackage.loads(p) for p in OrmQ.objects.order_by("pk").values_list("payload", flat=True)]
    assert [e["func"] for e in entries[:1000]] == ["sync.tasks.run_job"] * 1000
    assert entries[-1]["func"] == changes.POLL_TASK

    # when a worker takes the first entry (an order's)
    assert tasks.run_job(entries[0]["args"][0]) == "succeeded"

    # then the read ran first: the change's job is made, and the stream is free for the ticker again
    assert delivered(shop) == [(f"partner:{pid}", "Backlogged")]
    assert OdooChangeCursor.objects.get(shop=shop).queued_at is None
    # and the read's own entry, when a worker takes it, finds it served and reads nothing
    assert tasks.changes_poll(*entries[-1]["args"])["outcome"] == "served"
    assert len(delivered(shop)) == 1


def test_a_read_queued_moments_ago_is_left_to_its_own_entry(shop, monkeypatch):
    # given a read queued just now (its entry is near the front of a short queue)
    monkeypatch.setitem(registry.FLOWS, "order.upsert", _recorded)
    use(monkeypatch, _stream())
    OrmQ.objects.all().delete()
    partner(shop, "Soon")
    job_create(
        spec=JobSpec(kind="order.upsert", flow="orders", shop=shop, idempotency_key="order-x", subject="o:x")
    )
    assert changes.changes_tick() == 1
    # when a worker takes the order's entry
    assert tasks.run_job("order-x") == "succeeded"
    # then the read was not taken from its entry, which reads it
    assert delivered(shop) == []
    entry = SignedPackage.loads(OrmQ.objects.order_by("-pk").values_list("payload", flat=True)[0])
    assert tasks.changes_poll(*entry["args"])["outcome"] == "read"
    assert len(delivered(shop)) == 1


def test_a_paused_shop_is_not_read(shop, monkeypatch):
    # given
    use(monkeypatch, _stream())
    partner(shop, "P")
    shop.active = False
    shop.save()
    # when
    report = poll(shop)
    # then
    assert report.outcome == "disabled"
    assert delivered(shop) == []


def _fake_loop(stop: threading.Event) -> None:
    STARTED.set()
    stop.wait(5)


STARTED = threading.Event()


def test_every_worker_starts_the_background_threads_named_in_settings():
    # given
    STARTED.clear()
    stop = threading.Event()
    # when
    with override_settings(WORKER_THREADS=[f"{__name__}._fake_loop"]):
        threads = start_worker_threads(stop)
    # then
    assert STARTED.wait(5)
    stop.set()
    for thread in threads:
        thread.join(5)
    assert [t.is_alive() for t in threads] == [False]


def test_the_settings_name_the_change_ticker():
    from django.conf import settings

    assert "sync.tasks.changes_ticker" in settings.WORKER_THREADS
    assert timedelta(seconds=changes.QUEUED_STALE_SECONDS) > timedelta(seconds=60)
