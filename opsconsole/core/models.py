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
