"""The one function that writes the audit log, and the context that says who acts.

Views pass ``request`` (or ``actor``) explicitly. Signal handlers (user, group and permission changes,
opsconsole/core/signals.py) have no request: they read the current ``audit_context``, which
AuditContextMiddleware sets for each web request and manage.py sets for every command (``create_user``
and ``demo_users`` set it themselves too, so that ``call_command`` is audited the same way). Outside any
context (a test's factories, a script that imports Django on its own) those handlers write nothing.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from opsconsole.core.audit_context import AuditContext, audit_context, current_audit_context
from opsconsole.core.models import AuditEntry

__all__ = [
    "AuditContext",
    "audit_context",
    "audit_record",
    "audit_record_in_context",
    "current_audit_context",
]


def audit_record(
    *,
    action: str,
    actor: Any = None,
    object_type: str = "",
    object_id: object = "",
    summary: str = "",
    before: Any = None,
    after: Any = None,
    request: HttpRequest | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Append an entry; ``actor`` None means the system (a worker or a command)."""
    if request is not None:
        ip = ip or request.META.get("REMOTE_ADDR")
        actor = actor if actor is not None else getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        summary=summary,
        before=before,
        after=after,
        ip=ip,
    )


def audit_record_in_context(**kwargs: Any) -> AuditEntry | None:
    """``audit_record`` for signal handlers: the actor and address come from the current context."""
    context = current_audit_context()
    if context is None or context.suppressed:
        return None
    actor = context.actor() if context.actor is not None else None
    if context.via:
        kwargs["summary"] = f"{kwargs.get('summary', '')} (via {context.via})".strip()
    return audit_record(actor=actor, ip=context.ip, **kwargs)
