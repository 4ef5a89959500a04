"""Who holds a guarded permission, and since when.

Django answers "does this user have the permission now?"; maker-checker also needs "since when?": a
superuser must not be able to make a second admin, or give one the approve permission, after proposing a
change and have it approve that change. Every change of users, groups and permissions (signals in
opsconsole/core/signals.py) refreshes ``PermissionGrant``: a row opens when a user comes to hold a guarded
permission (group, direct permission, superuser flag, reactivation) and closes when they stop.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from opsconsole.core.models import PermissionGrant

#: Permissions whose holding time counts (the maker-checker approvals).
GUARDED = ("approve_mapping",)


def _holders(codename: str) -> set[int]:
    User = get_user_model()
    through_perm = Q(user_permissions__codename=codename, user_permissions__content_type__app_label="core")
    through_group = Q(
        groups__permissions__codename=codename, groups__permissions__content_type__app_label="core"
    )
    return set(
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | through_perm | through_group)
        .values_list("pk", flat=True)
        .distinct()
    )


def permission_grants_refresh(*, now: datetime | None = None) -> None:
    """Open a grant for each user who now holds a guarded permission without one, close the grants of those
    who no longer hold it. Idempotent; cheap (one query per guarded permission and its grants)."""
    now = now or timezone.now()
    for codename in GUARDED:
        holders = _holders(codename)
        open_grants = dict(
            PermissionGrant.objects.filter(codename=codename, revoked_at__isnull=True).values_list(
                "user_id", "pk"
            )
        )
        gone = [pk for user_id, pk in open_grants.items() if user_id not in holders]
        if gone:
            PermissionGrant.objects.filter(pk__in=gone).update(revoked_at=now)
        new = holders - set(open_grants)
        if new:
            PermissionGrant.objects.bulk_create(
                [PermissionGrant(user_id=pk, codename=codename, granted_at=now) for pk in sorted(new)],
                ignore_conflicts=True,
            )


def permission_held_since(*, user: object, codename: str) -> datetime | None:
    """Since when ``user`` has held ``codename`` without a break (None: not now)."""
    pk = getattr(user, "pk", None)
    if pk is None:
        return None
    grant = (
        PermissionGrant.objects.filter(user_id=pk, codename=codename, revoked_at__isnull=True)
        .order_by("granted_at")
        .first()
    )
    return grant.granted_at if grant is not None else None
