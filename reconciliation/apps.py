from django.apps import AppConfig


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
