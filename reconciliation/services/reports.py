"""The daily order report of a shop: stored, shown on the Reconciliation page, e-mailed once to the finance
and ops recipients configured on the shop's SHOP mapping row (``finance_recipients``, ``ops_recipients``)."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from reconciliation.models import DailyReport, ReconciliationRun
from sync.engine.mappings import mappings_for_shop

logger = logging.getLogger("reconciliation.reports")

LINES = (
    ("shopify_orders", "Orders in Shopify"),
    ("matched", "Matched in Odoo"),
    ("missing_in_odoo", "Missing in Odoo"),
    ("backfilled", "Backfilled (jobs queued)"),
    ("waiting_or_parked", "Missing, with a job waiting or parked"),
    ("differing", "Differing (cancelled in one only, totals, duplicates)"),
    ("missing_in_shopify", "In Odoo only"),
    ("webhooks_repaired", "Webhook subscriptions registered again"),
)


def report_body(*, shop_domain: str, day: date, counts: dict[str, int], run_id: int) -> str:
    width = max(len(label) for _, label in LINES)
    lines = [f"Order reconciliation for {shop_domain}, {day.isoformat()} (UTC), run {run_id}", ""]
    lines += [f"{label.ljust(width)}  {counts.get(key, 0)}" for key, label in LINES]
    return "\n".join(lines) + "\n"


def daily_report_store(*, run: ReconciliationRun, day: date, send: bool = True) -> DailyReport:
    """Store (or update, after a re-run of the day) the report of ``day``, and e-mail it the first time."""
    shop = run.shop
    body = report_body(shop_domain=shop.domain, day=day, counts=run.counts, run_id=run.pk)
    mappings = mappings_for_shop(shop=shop)
    recipients = sorted({*mappings.finance_recipients, *mappings.ops_recipients})
    report, _ = DailyReport.objects.update_or_create(
        shop=shop,
        day=day,
        defaults={"run": run, "counts": run.counts, "body": body, "recipients": recipients},
    )
    if send and recipients and report.emailed_at is None:
        send_mail(
            subject=f"[opsconsole] Orders {shop.domain} {day.isoformat()}: "
            f"{run.counts.get('missing_in_odoo', 0)} missing, {run.counts.get('differing', 0)} differing",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
        report.emailed_at = timezone.now()
        report.save(update_fields=["emailed_at"])
    return report
