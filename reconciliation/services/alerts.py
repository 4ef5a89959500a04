"""Reconciliation's alert rules, added to the sync app's (sync/services/alerts.py, ``ALERT_RULE_HOOKS``) by
ReconciliationConfig.ready: open differences between Shopify and Odoo, and a failed run."""

from __future__ import annotations

from datetime import datetime

from reconciliation.models import ReconciliationRun, RunKind
from reconciliation.selectors.health import reconciliation_state
from sync.models import AlertSettings, ShopifyShop
from sync.services.alerts import Condition


def reconciliation_conditions(shop: ShopifyShop, cfg: AlertSettings, now: datetime) -> list[Condition]:
    found = []
    for state in reconciliation_state():
        if state.shop_id != shop.pk:
            continue
        label = RunKind(state.kind).label.lower() if state.kind in RunKind.values else state.kind
        if state.open_discrepancies:
            n = state.open_discrepancies
            found.append(
                Condition(
                    rule="reconciliation_differences",
                    key=state.kind,
                    title=f"{n} open {label} difference{'s' if n != 1 else ''} on {shop.domain}",
                    detail="Shopify and Odoo disagree; the Reconciliation screen lists them with what to do "
                    "(docs/runbooks.md). The alert resolves when a run no longer finds them.",
                    value=n,
                )
            )
        if state.last_run_status == ReconciliationRun.Status.FAILED:
            found.append(
                Condition(
                    rule="reconciliation_failed",
                    key=state.kind,
                    title=f"The latest {label} run of {shop.domain} failed",
                    detail=f"{state.last_run_error or 'no error recorded'}. Re-run it from the "
                    "Reconciliation screen once the cause is fixed.",
                )
            )
    return found
