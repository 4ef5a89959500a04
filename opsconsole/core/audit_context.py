"""Who acts, for audit entries written without a request at hand (no Django import: manage.py sets it
before Django starts)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AuditContext:
    actor: Callable[[], Any] | None = None
    ip: str | None = None
    via: str = ""
    suppressed: bool = False


_context: ContextVar[AuditContext | None] = ContextVar("audit_context", default=None)


@contextmanager
def audit_context(
    *, actor: Callable[[], Any] | None = None, ip: str | None = None, via: str = "", suppressed: bool = False
) -> Iterator[AuditContext]:
    """Within this block, audit entries without an explicit actor are attributed to ``actor()``;
    ``suppressed`` stops the model-signal entries (used only by the role sync, whose source is roles.py)."""
    current = AuditContext(actor=actor, ip=ip, via=via, suppressed=suppressed)
    token = _context.set(current)
    try:
        yield current
    finally:
        _context.reset(token)


def current_audit_context() -> AuditContext | None:
    return _context.get()
