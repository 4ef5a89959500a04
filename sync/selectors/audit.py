"""Audit log reads (the log is written only by opsconsole.core.audit.audit_record)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from opsconsole.core.models import AuditEntry


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None
    q: str = ""
    #: A user limited to some shops (sync/selectors/access.py) reads only their own entries: the log's
    #: entries carry no shop, and another shop's summaries name its orders and customers.
    only_actor_id: int | None = None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_list(*, filters: AuditFilters | None = None) -> QuerySet[AuditEntry]:
    """Newest first (the ``at`` index); action and object filters use their indexes."""
    filters = filters or AuditFilters()
    query = AuditEntry.objects.all()
    if filters.only_actor_id is not None:
        query = query.filter(actor_id=filters.only_actor_id)
    if filters.actor:
        query = query.filter(actor_name__iexact=filters.actor)
    if filters.action:
        query = (
            query.filter(action__startswith=filters.action)
            if filters.action.endswith(".")
            else query.filter(action=filters.action)
        )
    if filters.object_type:
        query = query.filter(object_type=filters.object_type)
    if filters.object_id:
        query = query.filter(object_id=filters.object_id)
    if filters.since:
        query = query.filter(at__gte=_day_start(filters.since))
    if filters.until:
        query = query.filter(at__lt=_day_start(filters.until + timedelta(days=1)))
    if filters.q.strip():
        query = query.filter(Q(summary__icontains=filters.q.strip()) | Q(object_id=filters.q.strip()))
    return query.order_by("-at", "-id")


def _entries(only_actor_id: int | None) -> QuerySet[AuditEntry]:
    query = AuditEntry.objects.all()
    return query if only_actor_id is None else query.filter(actor_id=only_actor_id)


def audit_actions(*, only_actor_id: int | None = None) -> list[str]:
    return sorted(_entries(only_actor_id).values_list("action", flat=True).distinct().order_by())


def audit_actors(*, only_actor_id: int | None = None) -> list[str]:
    return sorted(_entries(only_actor_id).values_list("actor_name", flat=True).distinct().order_by())


def audit_object_types() -> list[str]:
    return sorted(
        t for t in AuditEntry.objects.values_list("object_type", flat=True).distinct().order_by() if t
    )
