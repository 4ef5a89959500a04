"""The payload and topic a job works from: its webhook event's, or the input it was created with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsconsole.core.errors import BusinessRuleError
from sync.kinds import KINDS
from sync.models import InboundEvent, SyncJob


def job_event(job: SyncJob) -> InboundEvent | None:
    """The delivery a job works from: its own, or the newest of those folded into it since it was made
    (coalescing, sync/engine/ingest.py: its kind acts on the subject's current state), newest by the
    payload's updated_at, then by arrival."""
    if job.event is None:
        return None
    kind = KINDS.get(job.kind)
    if kind is None or not kind.coalesce:
        return job.event
    folded = list(InboundEvent.objects.filter(handled_by=job, handled_as="coalesced").order_by("pk"))
    if not folded:
        return job.event
    oldest = datetime.min.replace(tzinfo=UTC)
    return max([job.event, *folded], key=lambda e: (e.payload_updated_at or oldest, e.received_at, e.pk))


def job_payload(job: SyncJob) -> dict[str, Any]:
    event = job_event(job)
    if event is not None and isinstance(event.payload, dict):
        return event.payload
    if job.input and isinstance(job.input.get("payload"), dict):
        return job.input["payload"]  # type: ignore[no-any-return]
    raise BusinessRuleError("the job has no payload to work from", code="missing_payload", key=job.kind)


def job_topic(job: SyncJob) -> str:
    if job.event is not None:
        return job.event.topic
    return str((job.input or {}).get("topic", ""))
