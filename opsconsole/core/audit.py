"""The one function that writes the audit log."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from opsconsole.core.models import AuditEntry


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
) -> AuditEntry:
    """Append an entry; ``actor`` None means the system (a worker or a command)."""
    ip = None
    if request is not None:
        ip = request.META.get("REMOTE_ADDR")
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
