"""Permission checks for services (views check too, for display; services are the guard)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from opsconsole.core.roles import perm


def require(user: Any, codename: str) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_perm(perm(codename)):
        raise PermissionDenied(f"this needs the permission {codename}")


def allowed(user: Any, codename: str) -> bool:
    return bool(
        user is not None and getattr(user, "is_authenticated", False) and user.has_perm(perm(codename))
    )
