"""Making jobs and putting them on the queue.

With the ORM broker (the default) a job's queue entry is written in the same transaction as the job (the
queue lives in our database), so neither exists without the other. With the Redis broker
(``OPSCONSOLE_Q_BROKER=redis://...``) the queue is outside our database: an entry is pushed only once the
transaction that made or changed the job has committed (a rolled-back job is never pushed, a worker never
pops a job it cannot see yet), and a push lost between the commit and Redis (a crash, Redis away) leaves a
queued job without an entry, which the sweeper enqueues again (sync/engine/sweep.py, "stranded"). Either
way the sweeper covers what a crash can still leave. The queue carries the job's idempotency key (unique,
known before the row exists) and nothing else.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.tasks import async_task

from opsconsole.core.correlation import correlation_id
from sync.engine.config import max_attempts
from sync.engine.queue_adapter import TASK, orm_broker, task_name
from sync.kinds import KINDS, JobRequest, kind_priority
from sync.models import ShopifyShop, SyncJob


@dataclass(frozen=True)
class JobSpec:
    kind: str
    flow: str
    shop: ShopifyShop
    idempotency_key: str
    subject: str
    subject_label: str = ""
    event_id: int | None = None
    input: dict[str, Any] | None = None
    source_updated_at: datetime | None = None


def _job_values(spec: JobSpec) -> dict[str, Any]:
    # The work in progress passes its correlation id on: a job made by a request (a person, the API) or by
    # another job (a follow-up, a backfill) carries the id of what made it (opsconsole/core/correlation.py).
    cid = correlation_id()
    inherited = {"correlation_id": uuid.UUID(cid)} if cid else {}
    return {
        **inherited,
        "kind": spec.kind,
        "flow": spec.flow,
        "shop": spec.shop,
        "subject": spec.subject,
        "subject_label": spec.subject_label,
        "event_id": spec.event_id,
        "input": spec.input,
        "source_updated_at": spec.source_updated_at,
        "max_attempts": max_attempts(),
        "priority": kind_priority(spec.kind, spec.flow),
    }


def job_create(*, spec: JobSpec) -> tuple[SyncJob, bool]:
    """Create the job and its queue entry in one transaction; an existing key returns that job."""
    with transaction.atomic():
        job, created = SyncJob.objects.get_or_create(
            idempotency_key=spec.idempotency_key, defaults=_job_values(spec)
        )
        if created:
            job_enqueue(job=job)
    return job, created


def job_enqueue(*, job: SyncJob) -> None:
    """Put the job on the queue: in the current transaction (ORM broker), or once it commits (Redis)."""
    key = job.idempotency_key
    task_enqueue(TASK, key, task_name=task_name(key), group=job.flow)


def job_key_enqueue(key: str) -> None:
    """Put a job on the queue by its key alone (hand-overs by the sweeper and by a finishing job)."""
    task_enqueue(TASK, key, task_name=task_name(key))


def jobs_from_requests(*, shop: ShopifyShop, requests: Sequence[JobRequest]) -> int:
    """Make the jobs a stream or a flow asked for, once per idempotency key; returns how many are new."""
    made = 0
    for request in requests:
        _, created = job_create(
            spec=JobSpec(
                kind=request.kind,
                flow=KINDS[request.kind].flow,
                shop=shop,
                idempotency_key=request.idempotency_key[:255],
                subject=request.subject[:120],
                subject_label=request.subject_label[:120],
                input=request.input,
            )
        )
        made += int(created)
    return made


_local = threading.local()


def _redis_broker() -> Any:
    """One Redis broker (and connection pool) per thread, not one per task."""
    cached = getattr(_local, "broker", None)
    if cached is None or _local.config != (Conf.REDIS, Conf.CLUSTER_NAME):
        cached = get_broker()
        _local.broker, _local.config = cached, (Conf.REDIS, Conf.CLUSTER_NAME)
    return cached


def task_enqueue(func: str, *args: Any, task_name: str, group: str | None = None) -> None:
    """Queue one django-q2 task: at once with the ORM broker (inside the caller's transaction, with its
    rows), after the commit with the Redis broker (at once outside a transaction). A push that fails after
    the commit is logged, not raised: the job is committed and the sweeper enqueues it again."""
    options: dict[str, Any] = {"group": group} if group else {}
    if orm_broker():
        async_task(func, *args, task_name=task_name, q_options=options)
        return

    def push() -> None:
        async_task(func, *args, task_name=task_name, q_options={**options, "broker": _redis_broker()})

    transaction.on_commit(push, robust=True)
