"""The app's own lifecycle in a shop (app/uninstalled), and deliveries of topics no flow handles.

Shopify sends ``app/uninstalled`` when the merchant removes the app; the access token stops working at
once. The shop is marked (``uninstalled_at``): its streams of Odoo changes stop being read (their cursors
wait), and every outbound job (one that writes to Shopify) parks on the problem "app uninstalled" instead of
failing on a refused token, until the shop is connected again (sync/services/connections.py replays them).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from opsconsole.core.audit import audit_record
from opsconsole.core.errors import BusinessRuleError
from sync.flows.context import JobContext
from sync.flows.payloads import job_topic
from sync.models import ShopifyShop, SyncJob

UNINSTALLED_CODE = "app_uninstalled"


def shop_uninstalled(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    """Mark the shop uninstalled (once; a redelivery or a later job changes nothing)."""
    now = timezone.now()
    marked = ShopifyShop.objects.filter(pk=ctx.shop.pk, uninstalled_at__isnull=True).update(
        uninstalled_at=now
    )
    if marked:
        audit_record(
            action="connection.shopify.uninstalled",
            object_type="shopify_shop",
            object_id=ctx.shop.pk,
            summary=f"Shopify says the app was uninstalled from {ctx.shop.domain}; outbound jobs are paused",
            after={"uninstalled_at": now.isoformat()},
        )
    return {"outcome": "marked" if marked else "already_marked", "uninstalled_at": now.isoformat()}


def uninstalled_refusal(shop: ShopifyShop) -> BusinessRuleError:
    """What an outbound job of an uninstalled shop parks with: one problem per shop."""
    when = shop.uninstalled_at.strftime("%Y-%m-%d %H:%M UTC") if shop.uninstalled_at else "recently"
    return BusinessRuleError(
        f"the app was uninstalled from {shop.domain} ({when}): nothing is written to Shopify until the shop "
        "is connected again",
        code=UNINSTALLED_CODE,
        key=shop.domain,
        system="shopify",
    )


def unhandled_topic(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    """A replayed delivery whose topic still has no flow parks again on the same problem."""
    topic = job_topic(job)
    raise BusinessRuleError(
        f"no flow handles topic {topic}: the delivery is stored, nothing was done with it",
        code="unhandled_topic",
        key=topic,
    )
