from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = "Sync"

    def ready(self) -> None:
        # Imported here, not at the top: this module is loaded before the app registry (and so before the
        # models the adapter imports) is ready.
        from sync.engine.queue_adapter import verify_or_refuse

        verify_or_refuse()
        post_migrate.connect(_ensure_schedules, sender=self, dispatch_uid="sync.ensure_schedules")


def _ensure_schedules(**kwargs: Any) -> None:
    from sync.schedules import SYNC_SCHEDULES, schedules_ensure

    schedules_ensure(SYNC_SCHEDULES)
