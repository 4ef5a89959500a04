"""The webhook path writes its queue entry itself, in one SQL statement with its event and job. The package
must be what django-q2's own async_task builds and the INSERTs what Django's compiler writes; start-up
refuses to go on when an upgrade changed either."""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db.models.sql.compiler import SQLInsertCompiler
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from sync.engine import queue_adapter
from sync.engine.queue_adapter import TASK, insert_sql, queue_package, verify


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
