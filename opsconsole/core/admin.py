"""Django admin adjustments (the admin at /django-admin/ is for superusers only).

django-q2's schedule admin lets whoever can edit a schedule run any importable function with any
arguments in the worker. Outside debug and demo it is read-only: the schedules the product needs are
created by migrations (sync/migrations/0003_sweep_schedule.py) and stay visible here.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django_q.admin import ScheduleAdmin  # registers django-q2's admins (opsconsole.core comes first)
from django_q.models import Schedule


def schedules_editable() -> bool:
    return bool(settings.DEBUG or settings.DEMO_MODE)


class ProductionScheduleAdmin(ScheduleAdmin):
    """django-q2's schedule admin, view-only unless debug or demo mode is on."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return schedules_editable() and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return schedules_editable() and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return schedules_editable() and super().has_delete_permission(request, obj)


admin.site.unregister(Schedule)
admin.site.register(Schedule, ProductionScheduleAdmin)
