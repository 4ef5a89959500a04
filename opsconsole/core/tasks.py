"""Tasks the worker runs for the core app. Arguments are plain values only (STYLE.md)."""

from __future__ import annotations

import os

from django.utils import timezone

from opsconsole.core.models import WorkerHeartbeat


def worker_heartbeat(name: str = "worker") -> None:
    """Record that a worker is alive and picking up tasks."""
    WorkerHeartbeat.objects.update_or_create(
        name=name, defaults={"seen_at": timezone.now(), "pid": os.getpid()}
    )
