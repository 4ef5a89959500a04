"""Connection health: probes of refused connections, the worker's heartbeat, and webhook subscriptions
registered again when Shopify deleted them. (Marks from a job's own traffic are the engine's:
sync/engine/connection_marks.py.)"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from opsconsole.core.audit import audit_record
from opsconsole.core.errors import AuthError, IntegrationError
from opsconsole.core.tasks import worker_heartbeat
from sync.engine.clients import odoo_client_for, shopify_client_for
from sync.engine.connection_marks import mark_due
from sync.kinds import subscription_topics
from sync.models import OdooConnection, ShopifyShop
from sync.services.connections import odoo_auth_recovered

logger = logging.getLogger(__name__)


def connections_probe() -> int:
    """Ask every Odoo connection flagged as refusing us whether it accepts us again; replay its parked
    jobs when it does. Returns how many recovered."""
    recovered = 0
    for connection in OdooConnection.objects.filter(active=True, auth_failed_at__isnull=False):
        try:
            odoo_client_for(connection).whoami()
        except AuthError:
            continue
        except IntegrationError as exc:
            logger.info("probe of %s failed: %s", connection.name, exc.error_class)
            continue
        OdooConnection.objects.filter(pk=connection.pk).update(last_success_at=timezone.now())
        odoo_auth_recovered(connection=connection)
        recovered += 1
    return recovered


def worker_alive_mark() -> None:
    """The worker's heartbeat, written as it runs jobs (and by the scheduled sweep when idle)."""
    if mark_due("worker", os.getpid()):
        worker_heartbeat(f"{socket.gethostname()}:{os.getpid()}")


def shops_webhooks_ensure(*, older_than_seconds: float = 600) -> int:
    """Every shop with a callback URL: check its webhook subscriptions and register again any that Shopify
    deleted (it deletes one after 8 failed deliveries), and unsubscribe topics no flow handles (subscriptions
    follow sync/kinds.py). Returns how many were registered again."""
    stale = timezone.now() - timedelta(seconds=older_than_seconds)
    registered = 0
    shops = (
        ShopifyShop.objects.filter(active=True)
        .exclude(webhook_callback_url="")
        .filter(Q(webhooks_checked_at__isnull=True) | Q(webhooks_checked_at__lt=stale))
    )
    for shop in shops:
        try:
            result = shopify_client_for(shop).ensure_webhook_subscriptions(
                shop.webhook_callback_url, subscription_topics(), prune=True
            )
        except IntegrationError as exc:
            logger.warning("webhook check of %s failed: %s", shop.domain, exc.error_class)
            continue
        topics = sorted({s.topic for s in (*result.created, *result.kept)})
        ShopifyShop.objects.filter(pk=shop.pk).update(
            webhook_topics=topics, webhooks_checked_at=timezone.now(), last_success_at=timezone.now()
        )
        if result.deleted:
            audit_record(
                action="connection.webhooks_unsubscribed",
                object_type="shopify_shop",
                object_id=shop.pk,
                summary=f"no flow handles: {', '.join(s.topic for s in result.deleted)}",
                after={"topics": topics},
            )
        if result.created:
            registered += len(result.created)
            audit_record(
                action="connection.webhooks_reregistered",
                object_type="shopify_shop",
                object_id=shop.pk,
                summary=f"registered again: {', '.join(s.topic for s in result.created)}",
                after={"topics": topics},
            )
    return registered
