"""The webhook path writes its queue entry itself, in one SQL statement with its event and job. The package
must be what django-q2's own async_task builds and the INSERTs what Django's compiler writes; start-up
refuses to go on when an upgrade changed either."""

import uuid
from datetime import datetime

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db.models.sql.compiler import SQLInsertCompiler
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from sync.engine import queue_adapter
from sync.engine.queue_adapter import TASK, delivery_insert_sql, insert_sql, queue_package, verify
from sync.models import InboundEvent


def test_the_package_matches_what_async_task_enqueues():
    async_task(TASK, "webhook:1:abc", task_name="job webhook:1:abc", q_options={"group": "orders"})
    theirs = OrmQ.objects.get().task
    ours = SignedPackage.loads(queue_package("webhook:1:abc", group="orders"))

    assert set(ours) == set(theirs)
    for key in ("func", "args", "kwargs", "group", "name", "ack_failure"):
        assert ours.get(key) == theirs.get(key), key
    assert ours["id"] != theirs["id"]


def test_with_the_installed_django_and_django_q2_every_assumption_holds():
    assert verify() == []


def test_our_insert_is_the_one_djangos_compiler_writes():
    entry = OrmQ(key="k", payload="p")
    sql, params = insert_sql(entry)

    assert sql == 'INSERT INTO "django_q_ormq" ("key", "payload", "lock") VALUES (%s, %s, %s)'
    assert params == ["k", "p", None]


def test_a_changed_task_package_is_found_and_start_up_refuses(monkeypatch):
    # given a django-q2 whose async_task now puts a key of its own in every package
    real = queue_adapter.async_task

    def upgraded(func, *args, **kwargs):
        kwargs["q_options"] = {**kwargs.get("q_options", {}), "hook": "django_q.new.hook"}
        return real(func, *args, **kwargs)

    monkeypatch.setattr(queue_adapter, "async_task", upgraded)

    # then the check names it, and the app does not start
    problems = verify()
    assert problems == [
        "django-q2's task package has keys ['ack_failure', 'args', 'func', 'group', 'hook', 'id', 'kwargs', "
        "'name', 'started'], ours has ['ack_failure', 'args', 'func', 'group', 'id', 'kwargs', 'name', "
        "'started']"
    ]
    with pytest.raises(ImproperlyConfigured) as refused:
        apps.get_app_config("sync").ready()
    assert str(refused.value).startswith("opsconsole refuses to start: the webhook's one-statement insert")
    assert "'hook'" in str(refused.value)


def test_a_changed_insert_statement_is_found(monkeypatch):
    # given a Django whose compiler now writes something else for an INSERT
    real = SQLInsertCompiler.as_sql

    def upgraded(self, *args, **kwargs):
        return [(sql + " ON CONFLICT DO NOTHING", params) for sql, params in real(self, *args, **kwargs)]

    monkeypatch.setattr(SQLInsertCompiler, "as_sql", upgraded)

    problems = verify()

    assert [p.splitlines()[0] for p in problems] == [
        "the INSERT for InboundEvent differs from Django's:",
        "the INSERT for SyncJob differs from Django's:",
        "the INSERT for OrmQ differs from Django's:",
        "the INSERT of a delivery differs from Django's:",
    ]


def test_the_deliverys_insert_is_djangos_for_the_same_values():
    now = timezone.now()
    values = {
        "shop_id": 7,
        "topic": "orders/create",
        "webhook_id": "w-1",
        "event_id": "e-1",
        "triggered_at": now,
        "api_version": "2026-07",
        "headers": {"topic": "orders/create", "shop": "a.myshopify.com"},
        "raw_body": b'{"id": 1}',
        "correlation_id": uuid.UUID(int=5),
        "received_at": now,
    }

    sql, params = delivery_insert_sql(values)

    event = InboundEvent(**{k: v for k, v in values.items() if k != "received_at"}, ingested_at=None)
    theirs_sql, theirs_params = insert_sql(event)
    assert sql == theirs_sql
    by_column = dict(
        zip(sql.split("(", 1)[1].split(")", 1)[0].replace('"', "").split(", "), params, strict=True)
    )
    assert by_column["received_at"] == now  # not the clock's at compilation: the request's own
    assert by_column["ingested_at"] is None  # the worker's
    assert (
        by_column["payload"] is None and by_column["parse_error"] == "" and by_column["ingest_failures"] == 0
    )
    assert [getattr(p, "obj", p) for p in params if not isinstance(getattr(p, "obj", p), datetime)] == [
        getattr(p, "obj", p) for p in theirs_params if not isinstance(getattr(p, "obj", p), datetime)
    ]


def test_another_broker_is_found(monkeypatch):
    monkeypatch.setattr(Conf, "BROKER_CLASS", "django_q.brokers.aws_sqs.Sqs")

    assert verify() == [
        "django-q2 would use another broker than the ORM or Redis broker (Q_CLUSTER['broker_class']), which "
        "sync/engine/queue.py and the webhook's insert do not know"
    ]


def test_the_redis_broker_is_accepted_and_no_broker_is_refused(monkeypatch):
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:6379/5")
    accepted = verify()
    monkeypatch.setattr(Conf, "REDIS", {})
    refused = verify()

    assert accepted == []
    assert refused == ["Q_CLUSTER sets neither 'orm' nor 'redis' (OPSCONSOLE_Q_BROKER)"]
