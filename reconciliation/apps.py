from datetime import time
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReconciliationConfig(AppConfig):
    name = "reconciliation"
    verbose_name = "Reconciliation"

    def ready(self) -> None:
        # Reconciliation adds its alert rules and its metrics to the sync app's (which knows nothing of it).
        from opsconsole.core.metrics import scrape_collector_add
        from reconciliation.selectors.metrics import ReconciliationState
        from reconciliation.services.alerts import reconciliation_conditions
        from sync.services.alerts import ALERT_RULE_HOOKS

        if reconciliation_conditions not in ALERT_RULE_HOOKS:
            ALERT_RULE_HOOKS.append(reconciliation_conditions)
        scrape_collector_add(ReconciliationState())
        post_migrate.connect(_ensure_schedules, sender=self, dispatch_uid="reconciliation.ensure_schedules")


def _ensure_schedules(**kwargs: Any) -> None:
    from sync.schedules import ScheduleSpec, next_utc, schedules_ensure

    schedules_ensure(
        (
            ScheduleSpec(
                "reconciliation.daily",
                "reconciliation.tasks.daily",
                "D",
                first_run=lambda: next_utc(time(2, 30)),
            ),
            ScheduleSpec(
                "reconciliation.weekly",
                "reconciliation.tasks.weekly",
                "W",
                first_run=lambda: next_utc(time(3, 30), weekday=0),
            ),
        )
    )
