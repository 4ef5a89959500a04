"""Reconciliation's numbers for ``GET /metrics`` (a collector registered by ReconciliationConfig.ready)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from reconciliation.models import ReconciliationRun
from reconciliation.selectors.health import reconciliation_state


class ReconciliationState(Collector):
    def collect(self) -> Iterable[Metric]:
        now = timezone.now()
        open_ = GaugeMetricFamily(
            "opsconsole_reconciliation_discrepancies_open",
            "Open discrepancies between Shopify and Odoo, by shop and reconciliation kind.",
            labels=["shop", "kind"],
        )
        failed = GaugeMetricFamily(
            "opsconsole_reconciliation_last_run_failed",
            "1 when the latest reconciliation run of the kind failed, else 0.",
            labels=["shop", "kind"],
        )
        age = GaugeMetricFamily(
            "opsconsole_reconciliation_last_run_age_seconds",
            "Seconds since the latest finished reconciliation run of the kind.",
            labels=["shop", "kind"],
        )
        for state in reconciliation_state():
            labels = [state.shop_domain, state.kind]
            open_.add_metric(labels, state.open_discrepancies)
            if state.last_run_status is not None:
                failed.add_metric(
                    labels, 1.0 if state.last_run_status == ReconciliationRun.Status.FAILED else 0.0
                )
            if state.last_run_finished_at is not None:
                age.add_metric(labels, max((now - state.last_run_finished_at).total_seconds(), 0.0))
        yield open_
        yield failed
        yield age
