"""Two places that rely on library internals, kept together and checked at start-up.

1. The webhook's insert (sync/services/inbox.py) writes the delivery in one SQL statement. It builds the
   INSERT from the model's fields (their pre_save, defaults and database adapters) without Django's insert
   compiler, whose per-request cost is a third of that endpoint's: ``insert_sql``.
2. ``queue_package`` / ``queue_entry``: the signed package ``async_task`` would put on the queue, built
   without writing it, so that many entries can be written in one INSERT (no longer on the webhook's path:
   the inbox pump enqueues each job with ``async_task``; the priority tests queue a 10,000-job re-sync so).

Both assume things about Django and django-q2 that a dependency upgrade could change: the broker is the
ORM broker or the Redis broker (sync/engine/queue.py knows no other), the package has ``async_task``'s keys
and signing, and the INSERT is the one Django's compiler writes. ``verify`` checks all three without
touching the database; ``SyncConfig.ready`` (sync/apps.py) runs it in every process — web, worker,
management commands — and refuses to start with a message saying which assumption broke.
"""

from __future__ import annotations

import logging
import uuid as uuid_module
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.conf import logger as queue_logger
from django_q.humanhash import uuid
from django_q.models import OrmQ
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from sync.models import InboundEvent, JobState, SyncJob

#: The task every queue entry runs, with the job's idempotency key as its only argument.
TASK = "sync.tasks.run_job"


def task_name(job_key: str) -> str:
    return f"job {job_key}"[:100]


# ------------------------------------------------------------------------------------- queue package


def queue_package(job_key: str, *, group: str) -> str:
    """The signed package ``async_task(TASK, job_key)`` would put on the queue, built without writing it."""
    tag = uuid()
    task: dict[str, Any] = {
        "id": tag[1],
        "name": task_name(job_key),
        "func": TASK,
        "args": (job_key,),
        "group": group,
    }
    if Conf.CACHED:
        task["cached"] = Conf.CACHED
    if Conf.SYNC:
        task["sync"] = Conf.SYNC
    if Conf.ACK_FAILURES:
        task["ack_failure"] = Conf.ACK_FAILURES
    task["kwargs"] = {}
    task["started"] = timezone.now()
    return SignedPackage.dumps(task)  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def queue_name() -> str:
    """The ORM broker's queue name (``OrmQ.key``)."""
    return str(get_broker().list_key)


def queue_entry(job_key: str, *, group: str) -> OrmQ:
    """The ORM broker's row for one job, unsaved (the webhook inserts it with its event and job)."""
    return OrmQ(key=queue_name(), payload=queue_package(job_key, group=group), lock=timezone.now())


# ---------------------------------------------------------------------------------------- insert SQL


@lru_cache(maxsize=8)
def _insert_template(model: type[Any]) -> tuple[str, tuple[Any, ...]]:
    fields = tuple(f for f in model._meta.local_concrete_fields if not f.primary_key and not f.generated)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns})", fields


def insert_sql(obj: Any) -> tuple[str, list[Any]]:
    """The INSERT Django would run for an unsaved instance (its fields' pre_save, defaults and database
    adapters), without the query compiler. A value may be a RawSQL expression (spliced in with its
    parameters)."""
    head, fields = _insert_template(type(obj))  # type: ignore[arg-type]
    placeholders: list[str] = []
    params: list[Any] = []
    for field in fields:
        value = field.pre_save(obj, add=True)
        if isinstance(value, RawSQL):
            sql, extra = value.as_sql(None, connection)  # type: ignore[arg-type]
            placeholders.append(sql)
            params.extend(extra)
        else:
            placeholders.append("%s")
            params.append(field.get_db_prep_save(value, connection=connection))
    return f"{head} VALUES ({', '.join(placeholders)})", params


#: What a webhook request writes of each delivery; every other column of the inbox row has the same value
#: for every delivery as received (no payload yet, not ingested, no failures).
DELIVERY_FIELDS = (
    "shop_id",
    "topic",
    "webhook_id",
    "event_id",
    "triggered_at",
    "api_version",
    "headers",
    "raw_body",
    "correlation_id",
    "received_at",
)


@lru_cache(maxsize=1)
def _delivery_template() -> tuple[str, tuple[Any, ...], tuple[tuple[int, Any], ...]]:
    sql, params = insert_sql(_delivery_instance(dict.fromkeys(DELIVERY_FIELDS)))
    _, fields = _insert_template(InboundEvent)
    slots = tuple((i, f) for i, f in enumerate(fields) if f.attname in DELIVERY_FIELDS)
    if {f.attname for _, f in slots} != set(DELIVERY_FIELDS):
        raise ImproperlyConfigured(f"InboundEvent lacks one of the delivery's fields {DELIVERY_FIELDS}")
    return sql, tuple(params), slots


def _delivery_instance(values: dict[str, Any]) -> InboundEvent:
    event = InboundEvent(**{k: v for k, v in values.items() if k != "received_at"}, ingested_at=None)
    event.received_at = values["received_at"]
    return event


def delivery_insert_sql(values: dict[str, Any]) -> tuple[str, list[Any]]:
    """``insert_sql`` of the inbox row of a delivery as received (``values``: DELIVERY_FIELDS, received_at
    included), without a model instance: the other columns' parameters are prepared once per process, and
    only the delivery's own go through their fields' adapters. The webhook request's insert."""
    sql, constant, slots = _delivery_template()
    params = list(constant)
    for i, field in slots:
        params[i] = field.get_db_prep_save(values[field.attname], connection=connection)
    return sql, params


# ------------------------------------------------------------------------------------------ checking


class _CapturingBroker:
    """Stands in for the broker so that ``async_task`` hands over its package instead of enqueueing it."""

    list_key = "verify"

    def __init__(self) -> None:
        self.packages: list[str] = []

    def enqueue(self, package: str) -> str:
        self.packages.append(package)
        return "verify"


#: Keys whose values must be equal in our package and async_task's (id and started differ by nature).
_COMPARED_KEYS = ("func", "args", "kwargs", "group", "name", "ack_failure", "cached")


def _package_problems() -> list[str]:
    broker = _CapturingBroker()
    probe = "verify:probe"
    # sync=False: never run the probe (with Conf.SYNC, async_task would run the task in this process).
    options = {"group": "verify", "broker": broker, "sync": False}
    level = queue_logger.level
    queue_logger.setLevel(logging.WARNING)  # not an "Enqueued" line in every process's log
    try:
        async_task(TASK, probe, task_name=task_name(probe), q_options=options)
    finally:
        queue_logger.setLevel(level)
    if len(broker.packages) != 1:
        return ["django-q2's async_task no longer hands its package to the broker's enqueue()"]
    theirs = SignedPackage.loads(broker.packages[0])
    try:
        ours = SignedPackage.loads(queue_package(probe, group="verify"))
    except Exception as exc:  # noqa: BLE001 - any failure to read our own package is the finding
        return [f"django-q2 cannot read the package we build ({type(exc).__name__}: {exc})"]
    theirs.pop("sync", None)  # we asked for False above; ours carries it only when Conf.SYNC is on
    ours.pop("sync", None)
    problems = []
    if set(ours) != set(theirs):
        problems.append(f"django-q2's task package has keys {sorted(theirs)}, ours has {sorted(ours)}")
    for key in _COMPARED_KEYS:
        if ours.get(key) != theirs.get(key):
            problems.append(
                f"task package key {key!r}: django-q2 puts {theirs.get(key)!r}, we put {ours.get(key)!r}"
            )
    return problems


def _comparable(params: list[Any]) -> list[Any]:
    """Parameters as values: adapters (Jsonb, Int4, ...) by their wrapped value, times by type only
    (auto_now fields take the clock on each compilation)."""
    out = []
    for value in params:
        inner = getattr(value, "obj", value)
        out.append((type(value).__name__, "<datetime>" if isinstance(inner, datetime) else inner))
    return out


def _compiled_insert(obj: Any) -> tuple[str, list[Any]]:
    """Django's own INSERT for the same instance and fields."""
    _, fields = _insert_template(type(obj))  # type: ignore[arg-type]
    query = InsertQuery(type(obj))
    query.insert_values(list(fields), [obj])
    [(sql, params)] = query.get_compiler(connection=connection).as_sql()
    return sql, list(params)


def _insert_problems(samples: list[Any]) -> list[str]:
    problems = []
    for obj in samples:
        name = type(obj).__name__
        ours_sql, ours_params = insert_sql(obj)
        theirs_sql, theirs_params = _compiled_insert(obj)
        if ours_sql != theirs_sql:
            problems.append(
                f"the INSERT for {name} differs from Django's:\n  ours:   {ours_sql}\n  Django: {theirs_sql}"
            )
        elif _comparable(ours_params) != _comparable(theirs_params):
            problems.append(f"the INSERT parameters for {name} differ from Django's")
    return problems


def _delivery_problems() -> list[str]:
    """The delivery's insert must be Django's for an unsaved InboundEvent with the same values (so that a
    field added to the model, or a changed default, cannot be missed by the webhook's insert)."""
    values: dict[str, Any] = {
        "shop_id": 1,
        "topic": "orders/create",
        "webhook_id": "verify",
        "event_id": "verify-event",
        "triggered_at": timezone.now(),
        "api_version": "2026-07",
        "headers": {"topic": "orders/create"},
        "raw_body": b"{}",
        "correlation_id": uuid_module.uuid4(),
        "received_at": timezone.now(),
    }
    event = _delivery_instance(values)
    ours_sql, ours_params = delivery_insert_sql(values)
    theirs_sql, theirs_params = _compiled_insert(event)
    if ours_sql != theirs_sql:
        return [
            f"the INSERT of a delivery differs from Django's:\n  ours:   {ours_sql}\n  Django: {theirs_sql}"
        ]
    if _comparable(ours_params) != _comparable(theirs_params):
        return ["the INSERT parameters of a delivery differ from Django's"]
    return []


def _samples() -> list[Any]:
    """One instance of each model the webhook inserts, with the kinds of values it writes."""
    event = InboundEvent(
        shop_id=1,
        topic="orders/create",
        webhook_id="verify",
        headers={"topic": "orders/create"},
        raw_body=b"{}",
        payload={"id": 1},
        subject_id="1",
    )
    job = SyncJob(
        kind="order.upsert",
        flow="orders",
        shop_id=1,
        event_id=1,
        idempotency_key="verify",
        subject="order:1",
        max_attempts=8,
    )
    return [event, job, OrmQ(key="verify", payload="verify", lock=timezone.now())]


def orm_broker() -> bool:
    """The queue lives in our database (django-q2's ORM broker, the default) rather than in Redis."""
    return bool(Conf.ORM)


def queue_length() -> int:
    """Entries on the queue that may still run a queued job (the sweeper compares it with the queued jobs).

    With the ORM broker: the entries waiting to be taken, and those a worker has taken (locked) for a job
    that is still queued (fetched ahead of running, up to ``queue_limit``). An entry taken for anything else
    does not count: the running sweep's own entry, the alerts', a running job's. Counted, they hid as many
    stranded jobs from the sweep (after a database restart, a job whose entry failed on a dead connection
    stayed queued for good on a quiet shop, behind the scheduled sweep that looked for it)."""
    if orm_broker():
        now = timezone.now()
        waiting = OrmQ.objects.filter(lock__lte=now).count()
        taken = [_entry_job_key(entry) for entry in OrmQ.objects.filter(lock__gt=now).only("payload")]
        keys = [key for key in taken if key]
        ahead = SyncJob.objects.filter(idempotency_key__in=keys, state=JobState.QUEUED).count() if keys else 0
        return int(waiting + ahead)
    return int(get_broker().queue_size() or 0)


def _entry_job_key(entry: OrmQ) -> str | None:
    """The job key a queue entry runs (``TASK``'s argument), or None for another task or a bad package."""
    try:
        task = SignedPackage.loads(entry.payload)
    except Exception:  # noqa: BLE001 - an unreadable entry serves no job
        return None
    if not isinstance(task, dict) or task.get("func") != TASK or not task.get("args"):
        return None
    return str(task["args"][0])


def _broker_problems() -> list[str]:
    """The broker must be the ORM broker (whose table the webhook inserts into) or the Redis broker (the
    webhook then pushes after its commit), decided from the settings as get_broker does, without building
    a broker (the ORM broker opens a database connection when it is built)."""
    others = {
        "Q_CLUSTER['broker_class']": Conf.BROKER_CLASS not in (None, "", "django_q.brokers.orm.ORM"),
        "Q_CLUSTER['iron_mq']": bool(Conf.IRON_MQ),
        "Q_CLUSTER['sqs']": isinstance(Conf.SQS, dict),
        "Q_CLUSTER['mongo']": bool(getattr(Conf, "MONGO", None)) and not Conf.ORM,
    }
    chosen = [name for name, set_ in others.items() if set_]
    if chosen:
        return [
            f"django-q2 would use another broker than the ORM or Redis broker ({', '.join(chosen)}), which "
            "sync/engine/queue.py and the webhook's insert do not know"
        ]
    if not Conf.ORM and not Conf.REDIS:
        return ["Q_CLUSTER sets neither 'orm' nor 'redis' (OPSCONSOLE_Q_BROKER)"]
    return []


def verify() -> list[str]:
    """What no longer holds of the assumptions above (empty when all hold). Touches no database."""
    return [
        *_broker_problems(),
        *_package_problems(),
        *_insert_problems(_samples()),
        *_delivery_problems(),
    ]


def verify_or_refuse() -> None:
    """Called at start-up: raise ImproperlyConfigured, naming each broken assumption, if any broke."""
    problems = verify()
    if problems:
        raise ImproperlyConfigured(
            "opsconsole refuses to start: the webhook's one-statement insert relies on Django and django-q2 "
            "internals that no longer behave as sync/engine/queue_adapter.py assumes (after an upgrade?):\n- "
            + "\n- ".join(problems)
        )
