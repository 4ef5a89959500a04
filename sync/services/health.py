"""Connection health: probes and the record of the last successful call to each system."""

from __future__ import annotations

import logging

from django.utils import timezone

from opsconsole.core.errors import AuthError, IntegrationError
from sync.models import OdooConnection

logger = logging.getLogger(__name__)


def connections_probe() -> int:
    """Ask every Odoo connection flagged as refusing us whether it accepts us again; replay its parked
    jobs when it does. Returns how many recovered."""
    from sync.services.clients import odoo_client_for
    from sync.services.connections import odoo_auth_recovered

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


# Marks are written at most this often per process: one UPDATE per job would be a write on the hot path.
_MARK_EVERY_SECONDS = 10.0
_last_marks: dict[tuple[str, int], float] = {}


def _due(kind: str, pk: int) -> bool:
    import time

    now = time.monotonic()
    if now - _last_marks.get((kind, pk), 0.0) < _MARK_EVERY_SECONDS:
        return False
    _last_marks[(kind, pk)] = now
    return True


def connection_success_mark(
    *, odoo_id: int | None = None, shop_id: int | None = None, shopify_client: object | None = None
) -> None:
    """Record a successful call to Odoo / Shopify (and what Shopify said about API versions)."""
    now = timezone.now()
    if odoo_id is not None and _due("odoo", odoo_id):
        OdooConnection.objects.filter(pk=odoo_id).update(last_success_at=now)
    if shop_id is not None and _due("shopify", shop_id):
        from sync.models import ShopifyShop

        values: dict[str, object] = {"last_success_at": now}
        seen = getattr(shopify_client, "api_version_seen", None)
        if seen:
            values["api_version_seen"] = seen
        warnings = [str(getattr(w, "message", w)) for w in getattr(shopify_client, "warnings", []) or []]
        values["deprecation_warning"] = "; ".join(dict.fromkeys(warnings))[:2000]
        ShopifyShop.objects.filter(pk=shop_id).update(**values)


def worker_alive_mark() -> None:
    """The worker's heartbeat, written as it runs jobs (and by the scheduled sweep when idle)."""
    import os
    import socket

    if _due("worker", os.getpid()):
        from opsconsole.core.tasks import worker_heartbeat

        worker_heartbeat(f"{socket.gethostname()}:{os.getpid()}")


def shops_webhooks_ensure(*, older_than_seconds: float = 600) -> int:
    """Every shop with a callback URL: check its webhook subscriptions and register again any that Shopify
    deleted (it deletes one after 8 failed deliveries). Returns how many were registered again."""
    from datetime import timedelta

    from django.db.models import Q

    from opsconsole.core.audit import audit_record
    from sync.models import ShopifyShop
    from sync.services.clients import shopify_client_for

    stale = timezone.now() - timedelta(seconds=older_than_seconds)
    registered = 0
    shops = (
        ShopifyShop.objects.filter(active=True)
        .exclude(webhook_callback_url="")
        .filter(Q(webhooks_checked_at__isnull=True) | Q(webhooks_checked_at__lt=stale))
    )
    for shop in shops:
        try:
            result = shopify_client_for(shop).ensure_webhook_subscriptions(shop.webhook_callback_url)
        except IntegrationError as exc:
            logger.warning("webhook check of %s failed: %s", shop.domain, exc.error_class)
            continue
        topics = sorted({s.topic for s in (*result.created, *result.kept)})
        ShopifyShop.objects.filter(pk=shop.pk).update(
            webhook_topics=topics, webhooks_checked_at=timezone.now(), last_success_at=timezone.now()
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
