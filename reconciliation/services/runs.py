"""Reconciliation runs: made by the schedule or by a person (finance), recorded with who or what started
them, the window, the counts and the status, executed by a worker. A run of the same window again gives
the same result for the same data (discrepancies are one row per subject; a backfill is one job per order).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from opsconsole.core.audit import audit_record
from opsconsole.core.errors import IntegrationError
from opsconsole.core.permissions import require
from reconciliation.models import ReconciliationRun, RunKind
from reconciliation.services.integrity import integrity_sample
from reconciliation.services.orders import orders_reconcile
from reconciliation.services.payouts import payouts_reconcile
from reconciliation.services.reports import daily_report_store
from sync.engine.clients import odoo_client_for, shopify_client_for
from sync.engine.mappings import mappings_for_shop
from sync.engine.queue import task_enqueue
from sync.models import ShopifyShop

logger = logging.getLogger("reconciliation.runs")

RUN_TASK = "reconciliation.tasks.run_reconciliation"


def day_window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def run_create(
    *,
    shop: ShopifyShop,
    kind: str,
    window_start: datetime,
    window_end: datetime,
    user: Any = None,
    trigger: str | None = None,
    rerun_of: ReconciliationRun | None = None,
    enqueue: bool = True,
) -> ReconciliationRun:
    """A run, queued for a worker in the same transaction. A person needs ``act_on_finance``."""
    if user is not None:
        require(user, "act_on_finance")
    if window_end <= window_start:
        raise ValueError("the window must end after it starts")
    if kind not in RunKind.values:
        raise ValueError(f"unknown run kind {kind!r}")
    trigger = trigger or (
        ReconciliationRun.Trigger.RERUN
        if rerun_of
        else ReconciliationRun.Trigger.PERSON
        if user
        else ReconciliationRun.Trigger.SCHEDULE
    )
    with transaction.atomic():
        run = ReconciliationRun.objects.create(
            shop=shop,
            kind=kind,
            trigger=trigger,
            started_by=user,
            rerun_of=rerun_of,
            window_start=window_start,
            window_end=window_end,
        )
        if user is not None:
            audit_record(
                action="reconciliation.run",
                actor=user,
                object_type="reconciliation_run",
                object_id=run.pk,
                summary=f"{kind} run for {shop.domain}, {window_start.isoformat()} to "
                f"{window_end.isoformat()}" + (f" (re-run of {rerun_of.pk})" if rerun_of else ""),
            )
        if enqueue:
            # With the ORM broker the entry commits with the run; with Redis it is pushed after the commit.
            task_enqueue(RUN_TASK, run.pk, task_name=f"reconciliation-run-{run.pk}", group="reconciliation")
    return run


def run_execute(*, run_id: int, shopify: Any = None, odoo: Any = None) -> ReconciliationRun:
    """Execute a queued run (a second call for the same run does nothing: safe to run twice)."""
    claimed = ReconciliationRun.objects.filter(pk=run_id, status=ReconciliationRun.Status.QUEUED).update(
        status=ReconciliationRun.Status.RUNNING, started_at=timezone.now()
    )
    run = ReconciliationRun.objects.select_related("shop", "shop__odoo").get(pk=run_id)
    if not claimed:
        return run
    shop = run.shop
    try:
        if run.kind == RunKind.ORDERS:
            mappings = mappings_for_shop(shop=shop)
            counts = orders_reconcile(
                run=run,
                shopify=shopify or shopify_client_for(shop),
                odoo=odoo or odoo_client_for(shop.odoo),
                company_id=mappings.company_id,
            ).as_dict()
        elif run.kind == RunKind.PAYOUTS:
            counts = payouts_reconcile(
                run=run,
                shopify=shopify or shopify_client_for(shop),
                odoo=odoo or odoo_client_for(shop.odoo),
            ).as_dict()
        elif run.kind == RunKind.INTEGRITY:
            counts = integrity_sample(
                run=run,
                shopify=shopify or shopify_client_for(shop),
                odoo=odoo or odoo_client_for(shop.odoo),
                currency=mappings_for_shop(shop=shop).currency,
            ).as_dict()
        else:
            raise ValueError(f"runs of kind {run.kind} are not built yet")
    except (IntegrationError, ValueError) as exc:
        run.status = ReconciliationRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at", "source"])
        logger.warning("reconciliation run %s failed: %s", run.pk, run.error)
        return run
    run.counts = counts
    run.status = ReconciliationRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "status", "finished_at", "source"])
    if run.kind == RunKind.ORDERS and run.window_end - run.window_start == timedelta(days=1):
        day = run.window_start.astimezone(UTC).date()
        if run.window_start == day_window(day)[0]:
            daily_report_store(run=run, day=day, send=run.trigger == ReconciliationRun.Trigger.SCHEDULE)
    return run


def run_rerun(*, user: Any, run: ReconciliationRun) -> ReconciliationRun:
    """The same window again (after a fix), as a new run that says which one it repeats."""
    return run_create(
        shop=run.shop,
        kind=run.kind,
        window_start=run.window_start,
        window_end=run.window_end,
        user=user,
        rerun_of=run,
    )


def runs_daily(*, day: date | None = None, enqueue: bool = True) -> list[ReconciliationRun]:
    """The schedule: yesterday's (UTC) order completeness for every active shop, once per shop and day."""
    day = day or (timezone.now().astimezone(UTC).date() - timedelta(days=1))
    start, end = day_window(day)
    made = []
    for shop in ShopifyShop.objects.filter(active=True):
        exists = ReconciliationRun.objects.filter(
            shop=shop,
            kind=RunKind.ORDERS,
            trigger=ReconciliationRun.Trigger.SCHEDULE,
            window_start=start,
            window_end=end,
        ).exists()
        if not exists:
            made.append(
                run_create(
                    shop=shop, kind=RunKind.ORDERS, window_start=start, window_end=end, enqueue=enqueue
                )
            )
    return made


def runs_weekly(*, today: date | None = None, enqueue: bool = True) -> list[ReconciliationRun]:
    """The schedule: last week's (Monday to Monday, UTC) integrity sample for every active shop, once."""
    today = today or timezone.now().astimezone(UTC).date()
    monday = today - timedelta(days=today.weekday())
    start, end = day_window(monday - timedelta(days=7))[0], day_window(monday)[0]
    made = []
    for shop in ShopifyShop.objects.filter(active=True):
        if not ReconciliationRun.objects.filter(
            shop=shop, kind=RunKind.INTEGRITY, trigger=ReconciliationRun.Trigger.SCHEDULE, window_start=start
        ).exists():
            made.append(
                run_create(
                    shop=shop, kind=RunKind.INTEGRITY, window_start=start, window_end=end, enqueue=enqueue
                )
            )
    return made
