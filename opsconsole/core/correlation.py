"""The correlation id: one UUID that follows a piece of work from the request that started it (a webhook,
a console or API request) through its job to every connector call, in every log line on the way.

It lives in structlog's context variables (so every log line carries it, opsconsole/core/logs.py) and is
read here by the connectors, which send it as ``X-Correlation-ID`` on each HTTP request. No Django: the
connectors import this module.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

HEADER = "X-Correlation-ID"


def correlation_id() -> str | None:
    """The correlation id of the work in progress in this thread or task, if any."""
    value = structlog.contextvars.get_contextvars().get("correlation_id")
    return str(value) if value else None


def correlation_id_new() -> str:
    return str(uuid.uuid4())


def correlation_id_parse(value: str | None) -> str | None:
    """A correlation id sent by a caller, accepted only when it is a UUID (anything else is ignored, so a
    header can never inject text into our logs)."""
    if not value or len(value) > 64:
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def correlation_headers() -> dict[str, str]:
    """The header a connector adds to each outgoing request (empty outside any correlated work)."""
    cid = correlation_id()
    return {HEADER: cid} if cid else {}


@contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """Bind ``values`` (correlation_id, shop, job_id, flow, ...) to every log line inside the block and
    restore what was bound before when it ends."""
    tokens = structlog.contextvars.bind_contextvars(**values)
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
