"""Signals that feed the audit log.

- Login, logout, failed logins and lockouts (django-axes) are audited and failed logins logged.
- Every change of users, groups and their permissions, wherever it is made (Django admin, create_user,
  Django's own createsuperuser / changepassword, a shell through manage.py), is audited with before and
  after: the handlers read the current ``audit_context`` for who acts (opsconsole/core/audit.py).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from opsconsole.core.audit import audit_context, audit_record, audit_record_in_context, current_audit_context
from opsconsole.core.grants import permission_grants_refresh

logger = logging.getLogger("opsconsole.auth")

User = get_user_model()
#: Session key holding when the user logged in (epoch seconds), for the absolute session lifetime.
AUTH_STARTED_KEY = "opsconsole_auth_started"
USER_FIELDS = ("username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser")


def _address(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in, dispatch_uid="core.audit_login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[AUTH_STARTED_KEY] = int(time.time())
    audit_record(
        action="auth.login",
        actor=user,
        object_type="user",
        object_id=user.pk,
        summary=f"{user.get_username()} logged in",
        request=request,
    )


@receiver(user_logged_out, dispatch_uid="core.audit_logout")
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    audit_record(
        action="auth.logout",
        actor=user,
        object_type="user",
        object_id=user.pk,
        summary=f"{user.get_username()} logged out",
        request=request,
    )


@receiver(user_login_failed, dispatch_uid="core.audit_login_failed")
def audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Django has already replaced the password in ``credentials``; the username is what was typed.
    username = str(credentials.get("username", ""))[:150]
    address = _address(request)
    logger.warning("failed login for %r from %s", username, address)
    audit_record(
        action="auth.login_failed",
        object_type="user",
        object_id=username,
        summary=f"failed login for {username!r}",
        request=request,
        ip=address,
    )


@receiver(user_locked_out, dispatch_uid="core.audit_locked_out")
def audit_locked_out(
    sender: Any, request: Any, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    logger.warning("login locked out for %r from %s", username, ip_address)
    audit_record(
        action="auth.locked_out",
        object_type="user",
        object_id=(username or "")[:128],
        summary=f"too many failed logins: {username!r} from {ip_address} is locked out",
        request=request,
        ip=ip_address,
    )


# Users, groups and permissions ------------------------------------------------------------------------


def _user_state(values: dict[str, Any]) -> dict[str, Any]:
    return {field: values[field] for field in USER_FIELDS}


@receiver(pre_save, sender=User, dispatch_uid="core.user_before")
def remember_user(
    sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    instance._audit_before = None
    if raw or instance.pk is None or current_audit_context() is None:
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    instance._audit_before = User.objects.filter(pk=instance.pk).values(*USER_FIELDS, "password").first()


@receiver(post_save, sender=User, dispatch_uid="core.user_audit")
def audit_user_saved(
    sender: Any, instance: Any, created: bool, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if raw or current_audit_context() is None:
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # every login records its time; the login itself is audited
    if update_fields is not None and set(update_fields) == {"password"}:
        return  # check_password re-hashing a correct password with a newer hasher; not a change of password
    after = _user_state({field: getattr(instance, field) for field in USER_FIELDS})
    if created:
        audit_record_in_context(
            action="user.create",
            object_type="user",
            object_id=instance.pk,
            summary=f"user {instance.get_username()} created",
            after=after,
        )
        return
    old = getattr(instance, "_audit_before", None)
    if old is None:
        return
    before = _user_state(old)
    changed = sorted(field for field in USER_FIELDS if before[field] != after[field])
    password_changed = old["password"] != instance.password
    if not changed and not password_changed:
        return
    before_diff: dict[str, Any] = {field: before[field] for field in changed}
    after_diff: dict[str, Any] = {field: after[field] for field in changed}
    if password_changed:
        before_diff["password"], after_diff["password"] = "(previous)", "(changed)"
        changed.append("password")
    audit_record_in_context(
        action="user.change",
        object_type="user",
        object_id=instance.pk,
        summary=f"user {instance.get_username()}: {', '.join(changed)} changed",
        before=before_diff,
        after=after_diff,
    )


@receiver(post_delete, sender=User, dispatch_uid="core.user_delete_audit")
def audit_user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    audit_record_in_context(
        action="user.delete",
        object_type="user",
        object_id=instance.pk,
        summary=f"user {instance.get_username()} deleted",
        before=_user_state({field: getattr(instance, field) for field in USER_FIELDS}),
    )


@receiver(pre_save, sender=Group, dispatch_uid="core.group_before")
def remember_group(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    instance._audit_before = None
    if not raw and instance.pk is not None and current_audit_context() is not None:
        instance._audit_before = Group.objects.filter(pk=instance.pk).values_list("name", flat=True).first()


@receiver(post_save, sender=Group, dispatch_uid="core.group_audit")
def audit_group_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    if created:
        audit_record_in_context(
            action="group.create",
            object_type="group",
            object_id=instance.pk,
            summary=f"group {instance.name} created",
            after={"name": instance.name},
        )
    elif getattr(instance, "_audit_before", None) not in (None, instance.name):
        audit_record_in_context(
            action="group.change",
            object_type="group",
            object_id=instance.pk,
            summary=f"group {instance._audit_before} renamed to {instance.name}",
            before={"name": instance._audit_before},
            after={"name": instance.name},
        )


@receiver(post_delete, sender=Group, dispatch_uid="core.group_delete_audit")
def audit_group_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    audit_record_in_context(
        action="group.delete",
        object_type="group",
        object_id=instance.pk,
        summary=f"group {instance.name} deleted",
        before={"name": instance.name},
    )


def _labels(model: Any, pks: Any) -> list[str]:
    if model is Permission:
        rows = Permission.objects.filter(pk__in=pks).values_list("content_type__app_label", "codename")
        return sorted(f"{app}.{code}" for app, code in rows)
    if model is Group:
        return sorted(Group.objects.filter(pk__in=pks).values_list("name", flat=True))
    return sorted(User.objects.filter(pk__in=pks).values_list("username", flat=True))


#: through model -> (forward field name on the instance, object type, what the set holds)
_M2M = {
    User.groups.through: ("groups", "user", "groups"),
    User.user_permissions.through: ("user_permissions", "user", "permissions"),
    Group.permissions.through: ("permissions", "group", "permissions"),
}


def _name(instance: Any) -> str:
    return instance.get_username() if isinstance(instance, User) else str(getattr(instance, "name", instance))


def _m2m_changed(
    sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: Any, **kwargs: Any
) -> None:
    context = current_audit_context()
    if context is None or context.suppressed:
        return
    field, object_type, what = _M2M[sender]
    if not reverse:
        # One entry per committed change: ``set()`` is a remove and an add, and the admin saves both in
        # one transaction. The state before the first step is kept; the entry is written on commit.
        if action not in {"pre_add", "pre_remove", "pre_clear"}:
            return
        pending = instance.__dict__.setdefault("_audit_m2m", {})
        if field in pending:
            return
        related = getattr(instance, field)
        pending[field] = _labels(model, list(related.values_list("pk", flat=True)))

        def record() -> None:
            before = pending.pop(field, None)
            after = _labels(model, list(getattr(instance, field).values_list("pk", flat=True)))
            if before is None or before == after:
                return
            with audit_context(actor=context.actor, ip=context.ip, via=context.via):
                audit_record_in_context(
                    action=f"{object_type}.{what}",
                    object_type=object_type,
                    object_id=instance.pk,
                    summary=f"{object_type} {_name(instance)}: {what} {', '.join(after) or '(none)'}",
                    before={what: before},
                    after={what: after},
                )

        transaction.on_commit(record)
        return
    # Reverse side: group.user_set.add(...), permission.group_set.remove(...): record who was added to or
    # removed from what, from the changed objects' point of view.
    if action not in {"post_add", "post_remove"} or not pk_set:
        return
    names = _labels(model, pk_set)
    verb = "added to" if action == "post_add" else "removed from"
    audit_record_in_context(
        action=f"{object_type}.{what}",
        object_type=object_type,
        object_id=",".join(str(pk) for pk in sorted(pk_set))[:128],
        summary=f"{', '.join(names)} {verb} {what[:-1]} {_name(instance)}",
        before=None,
        after={"added" if action == "post_add" else "removed": names, what: [_name(instance)]},
    )


for _through in _M2M:
    m2m_changed.connect(_m2m_changed, sender=_through, dispatch_uid=f"core.m2m_audit.{_through.__name__}")


# ------------------------------------------------------------------- who holds what, since when


def _refresh_grants(*args: Any, raw: bool = False, action: str = "post_add", **kwargs: Any) -> None:
    """Keep PermissionGrant (opsconsole/core/grants.py) equal to who holds the guarded permissions now."""
    if raw or action not in {"post_add", "post_remove", "post_clear"}:
        return
    permission_grants_refresh()


post_save.connect(_refresh_grants, sender=User, dispatch_uid="core.grants_user_saved")
post_delete.connect(_refresh_grants, sender=Group, dispatch_uid="core.grants_group_deleted")
for _through in _M2M:
    m2m_changed.connect(_refresh_grants, sender=_through, dispatch_uid=f"core.grants.{_through.__name__}")
