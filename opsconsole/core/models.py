from __future__ import annotations

from django.db import models

from opsconsole.core.roles import PERMISSIONS


class ConsolePermission(models.Model):
    """Holds the console's permissions; it has no table of its own."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = PERMISSIONS

    def __str__(self) -> str:
        return "console permissions"


class WorkerHeartbeat(models.Model):
    """Last time a django-q2 worker ran our heartbeat task; the dashboard and /readyz read it."""

    name = models.CharField(max_length=100, unique=True)
    seen_at = models.DateTimeField()
    pid = models.IntegerField(null=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%H:%M:%S}"


class AuditEntry(models.Model):
    """One human (or system) action. Append-only: the app offers no way to edit or delete it."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(
        max_length=150, blank=True
    )  # kept if the user is deleted; "system" for jobs
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=128, blank=True)
    summary = models.TextField(blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_type}:{self.object_id}"


class ApiToken(models.Model):
    """A personal token for the JSON API (/api/v1/). Only a SHA-256 digest of the secret is stored; the
    secret is shown once, when the token is made. A token acts as its user, with the user's roles, until
    it expires or is revoked. The request counter is the per-token rate limit (opsconsole/core/tokens.py):
    kept on the row so that every web process and host shares it."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="the first characters, to recognise a token by")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret, hex")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    window_started_at = models.DateTimeField(null=True, blank=True)
    window_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="api_token_user_idx")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class PermissionGrant(models.Model):
    """When a user came to hold a guarded permission (through a group, directly, or as a superuser) and when
    they stopped. Maker-checker asks it: an approver must have held the approve permission, without a
    break, since before the change was proposed (opsconsole/core/grants.py keeps it)."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="permission_grants")
    codename = models.CharField(max_length=100)
    granted_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "codename", "revoked_at"], name="grant_user_code_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "codename"],
                condition=models.Q(revoked_at__isnull=True),
                name="grant_one_open_per_user_code",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.codename} {self.granted_at:%Y-%m-%d %H:%M}"
