"""Login and logout go to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from opsconsole.core.audit import audit_record


@receiver(user_logged_in, dispatch_uid="core.audit_login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
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
