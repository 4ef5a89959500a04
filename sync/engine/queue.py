"""Making jobs and putting them on the queue.

A job's queue entry is written in the same transaction as the job (the ORM broker lives in our database),
so neither exists without the other; the sweeper covers what a crash can still leave. The queue carries
the job's idempotency key (unique, known before the row exists) and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django_q.tasks import async_task

from sync.engine.config import max_attempts
from sync.engine.queue_adapter import TASK, task_name
from sync.kinds import KINDS, JobRequest
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
    return {
        "kind": spec.kind,
        "flow": spec.flow,
        "shop": spec.shop,
        "subject": spec.subject,
        "subject_label": spec.subject_label,
        "event_id": spec.event_id,
        "input": spec.input,
        "source_updated_at": spec.source_updated_at,
        "max_attempts": max_attempts(),
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
    """Put the job on the queue, in the current transaction (ORM broker on the same database)."""
    key = job.idempotency_key
    async_task(TASK, key, task_name=task_name(key), q_options={"group": job.flow})


def job_key_enqueue(key: str) -> None:
    """Put a job on the queue by its key alone (hand-overs by the sweeper and by a finishing job)."""
    async_task(TASK, key, task_name=task_name(key))


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
