"""The payload and topic a job works from: its webhook event's, or the input it was created with."""

from __future__ import annotations

from typing import Any

from opsconsole.core.errors import BusinessRuleError
from sync.models import SyncJob


def job_payload(job: SyncJob) -> dict[str, Any]:
    if job.event is not None and isinstance(job.event.payload, dict):
        return job.event.payload
    if job.input and isinstance(job.input.get("payload"), dict):
        return job.input["payload"]  # type: ignore[no-any-return]
    raise BusinessRuleError("the job has no payload to work from", code="missing_payload", key=job.kind)


def job_topic(job: SyncJob) -> str:
    if job.event is not None:
        return job.event.topic
    return str((job.input or {}).get("topic", ""))
