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
