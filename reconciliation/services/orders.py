"""Order completeness for one shop and window: Shopify's orders created in the window (pages of 250 by
cursor, or a bulk export for large windows) against Odoo's sale orders by reference, page by page, so that
memory stays bounded whatever the window. Missing in Odoo → a backfill job (once per order); present in one
system only, cancelled in one only, totals differing → discrepancies; the webhook subscriptions are checked
and repaired in the same run."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from django.utils import timezone

from opsconsole.core.errors import IntegrationError, TransientError
from reconciliation.matchers.orders import (
    CANCELLED_IN_ODOO_ONLY,
    CANCELLED_IN_SHOPIFY_ONLY,
    DUPLICATE_IN_ODOO,
    MISSING_IN_ODOO,
    ORDER_CODES,
    OdooOrder,
    ShopifyOrder,
    match_orders_page,
    odoo_only,
)
from reconciliation.models import DiscrepancyActivity, ReconciliationRun
from reconciliation.services.discrepancies import discrepancies_clear, discrepancies_record
from sync.engine.queue import JobSpec, job_create
from sync.kinds import backfill_key, subscription_topics
from sync.models import JobState, ShopifyShop, SyncJob

logger = logging.getLogger("reconciliation.orders")

#: Orders per page: the connector's ORDER_REF_BATCH (a page of 250 would pass Shopify's 1,000-point limit).
PAGE = 200
#: Above this many orders in the window, Shopify is read with a bulk export instead of pages.
BULK_THRESHOLD = 10_000
BULK_POLL_SECONDS = 2.0
BULK_TIMEOUT_SECONDS = 3600.0
#: Jobs of these kinds book an order; one waiting or parked means the order is not "missed".
ORDER_KINDS = ("order.upsert", "order.cancel", "order.backfill")
ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING, JobState.NEEDS_ATTENTION)


@dataclass
class OrderCounts:
    shopify_orders: int = 0
    matched: int = 0
    missing_in_odoo: int = 0
    backfilled: int = 0
    backfill_pending: int = 0
    waiting_or_parked: int = 0
    missing_in_shopify: int = 0
    cancelled_mismatch: int = 0
    total_differs: int = 0
    duplicates: int = 0
    odoo_orders_checked: int = 0
    cleared: int = 0
    webhooks_repaired: int = 0
    webhook_topics: list[str] = field(default_factory=list)

    @property
    def unmatched(self) -> int:
        return self.shopify_orders - self.matched

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items()}
        out["unmatched"] = self.unmatched
        out["differing"] = self.cancelled_mismatch + self.total_differs + self.duplicates
        return out


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _odoo_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _shopify_order(ref: Any) -> ShopifyOrder:
    return ShopifyOrder(
        order_id=str(ref.legacy_id),
        name=ref.name,
        created_at=ref.created_at,
        updated_at=ref.updated_at,
        cancelled=ref.cancelled_at is not None,
        total=Decimal(ref.total.amount),
        currency=ref.total.currency,
        presentment_total=Decimal(ref.total_presentment.amount) if ref.total_presentment else None,
        presentment_currency=ref.total_presentment.currency if ref.total_presentment else "",
    )


def _odoo_order(row: Any) -> OdooOrder:
    return OdooOrder(
        row.id,
        row.name,
        row.client_order_ref,
        row.state,
        row.amount_total,
        row.currency,
        _parse_odoo_time(row.create_date),
    )


def _shopify_source(
    run: ReconciliationRun, shopify: Any, *, bulk_threshold: int
) -> tuple[str, Iterator[Any]]:
    since, until = run.window_start, run.window_end
    count = shopify.orders_count(
        created_at_min=since, query=f"created_at:<'{until.isoformat()}'", limit=bulk_threshold
    )
    if count.precision == "AT_LEAST" or count.count >= bulk_threshold:
        operation = shopify.start_orders_export(since=since, until=until)
        deadline = time.monotonic() + BULK_TIMEOUT_SECONDS
        while True:
            current = shopify.bulk_operation(operation.id)
            if current is not None and current.finished:
                break
            if time.monotonic() > deadline:
                raise TransientError(f"bulk export {operation.id} did not finish in time", system="shopify")
            time.sleep(BULK_POLL_SECONDS)
        return "bulk", shopify.exported_orders(current)
    return "pages", shopify.iter_orders_created(since=since, until=until, page_size=PAGE)


def _backfill(
    run: ReconciliationRun,
    shop: ShopifyShop,
    missing: list[ShopifyOrder],
    counts: OrderCounts,
    findings_by_subject: dict[str, Any],
) -> None:
    """A backfill job per missing order, unless a job for the order is waiting or parked (then it is not a
    missed webhook: the order is on its way, or stopped for a cause the exception queue shows)."""
    if not missing:
        return
    subjects = [f"order:{o.order_id}" for o in missing]
    active = {
        subject: (pk, state)
        for subject, pk, state in SyncJob.objects.filter(
            shop=shop, subject__in=subjects, kind__in=ORDER_KINDS, state__in=ACTIVE_STATES
        ).values_list("subject", "pk", "state")
    }
    for order in missing:
        subject = f"order:{order.order_id}"
        discrepancy = findings_by_subject.get(subject)
        if subject in active:
            counts.waiting_or_parked += 1
            continue
        job, created = job_create(
            spec=JobSpec(
                kind="order.backfill",
                flow="orders",
                shop=shop,
                idempotency_key=backfill_key(shop.pk, order.order_id),
                subject=subject,
                subject_label=order.name[:120],
                input={"order_id": order.order_id, "run_id": run.pk},
                source_updated_at=order.updated_at,
            )
        )
        if created:
            counts.backfilled += 1
            if discrepancy is not None:
                DiscrepancyActivity.objects.create(
                    discrepancy=discrepancy, action="backfill", run=run, note=f"backfill job {job.pk} queued"
                )
        else:
            counts.backfill_pending += 1


def orders_reconcile(
    *,  # shopify: a ShopifyClient, odoo: an OdooClient (or stand-ins with the same methods: bench/)
    run: ReconciliationRun,
    shopify: Any,
    odoo: Any,
    company_id: int | None = None,
    bulk_threshold: int = BULK_THRESHOLD,
    repair_webhooks: bool = True,
) -> OrderCounts:
    shop = run.shop
    counts = OrderCounts()
    source, refs = _shopify_source(run, shopify, bulk_threshold=bulk_threshold)
    run.source = source
    for page in _chunks(refs, PAGE):
        orders = [_shopify_order(r) for r in page]
        odoo_by_ref: dict[str, list[OdooOrder]] = {}
        for row in odoo.sale_orders_by_refs([o.order_id for o in orders]):
            odoo_by_ref.setdefault(row.client_order_ref, []).append(_odoo_order(row))
        result = match_orders_page(orders, odoo_by_ref)
        counts.shopify_orders += result.checked
        counts.matched += result.matched
        for f in result.findings:
            if f.code == MISSING_IN_ODOO:
                counts.missing_in_odoo += 1
            elif f.code == DUPLICATE_IN_ODOO:
                counts.duplicates += 1
            elif f.code in (CANCELLED_IN_ODOO_ONLY, CANCELLED_IN_SHOPIFY_ONLY):
                counts.cancelled_mismatch += 1
            else:
                counts.total_differs += 1
        recorded = discrepancies_record(run=run, findings=result.findings)
        missing_subjects = {f"order:{o.order_id}" for o in result.missing}
        by_subject = {
            d.subject: d for d in recorded if d.subject in missing_subjects and d.code == MISSING_IN_ODOO
        }
        _backfill(run, shop, result.missing, counts, by_subject)

    # Odoo's side: sale orders created in the window whose reference Shopify does not know.
    after_id = 0
    since, until = _odoo_time(run.window_start), _odoo_time(run.window_end)
    while True:
        rows = odoo.sale_orders_created(
            since=since, until=until, company_id=company_id, after_id=after_id, limit=PAGE
        )
        if not rows:
            break
        after_id = rows[-1].id
        counts.odoo_orders_checked += len(rows)
        # A reference that is not a Shopify order id is not ours to check.
        known = {r.client_order_ref: True for r in rows if not r.client_order_ref.isdigit()}
        asked = [r.client_order_ref for r in rows if r.client_order_ref.isdigit()]
        for order_gid, ref in shopify.order_refs(asked).items():
            known[order_gid.rsplit("/", 1)[-1]] = ref is not None
        findings = odoo_only([_odoo_order(r) for r in rows], known)
        counts.missing_in_shopify += len(findings)
        discrepancies_record(run=run, findings=findings)
        if len(rows) < PAGE:
            break

    counts.cleared = discrepancies_clear(
        run=run, codes=ORDER_CODES, since=run.window_start, until=run.window_end
    )
    if repair_webhooks and shop.webhook_callback_url:
        try:
            result = shopify.ensure_webhook_subscriptions(
                shop.webhook_callback_url, subscription_topics(), prune=True
            )
            counts.webhooks_repaired = len(result.created)
            counts.webhook_topics = sorted({s.topic for s in (*result.created, *result.kept)})
            ShopifyShop.objects.filter(pk=shop.pk).update(
                webhook_topics=counts.webhook_topics, webhooks_checked_at=timezone.now()
            )
        except IntegrationError as exc:
            logger.warning("webhook check of %s failed during run %s: %s", shop.domain, run.pk, exc)
    return counts


def _parse_odoo_time(text: str) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
