"""Account services: users and their roles."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.db import transaction

from opsconsole.core.audit_context import audit_context
from opsconsole.core.roles import ROLE_PERMISSIONS, ROLES


def role_groups_sync(*, using: str = "default") -> None:
    """Make the role groups and their permissions exactly what ``roles.py`` says (idempotent).

    Not audited entry by entry: the source of these groups is roles.py, reviewed in git, and this runs
    after every migrate and every flush (which would fill the log with re-creations)."""
    with audit_context(suppressed=True):
        for role, codenames in ROLE_PERMISSIONS.items():
            group, _ = Group.objects.using(using).get_or_create(name=role)
            group.permissions.set(
                Permission.objects.using(using).filter(content_type__app_label="core", codename__in=codenames)
            )


def user_create_or_update(
    *, username: str, role: str, password: str, superuser: bool = False, email: str = ""
) -> AbstractUser:
    """Create the user (or update an existing one) with exactly one console role."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    User = get_user_model()
    with transaction.atomic():
        # One save for a new user, so that the audit log shows one creation with its final values.
        user = User.objects.filter(username=username).first() or User(username=username, email=email)
        user.set_password(password)
        user.is_superuser = superuser
        user.is_staff = superuser
        user.is_active = True
        if email:
            user.email = email
        user.save()
        user.groups.set([Group.objects.get(name=role)])
    return user  # type: ignore[return-value]


# No demo user is a superuser: the demo's tour (propose as admin, approve as admin2) needs only the
# integration_admin role, and a superuser would hold every permission, the maker-checker pair included.
DEMO_USERS = (
    ("admin", "integration_admin", False),
    ("admin2", "integration_admin", False),
    ("ops", "ops", False),
    ("finance", "finance", False),
    ("viewer", "viewer", False),
)


def demo_users_reset() -> list[tuple[str, str, str]]:
    """Give every demo user a fresh random password; returns (username, role, password) to print once."""
    created = []
    with audit_context(via="demo_users"):
        for username, role, superuser in DEMO_USERS:
            password = secrets.token_urlsafe(12)
            user_create_or_update(username=username, role=role, password=password, superuser=superuser)
            created.append((username, role, password))
    return created
