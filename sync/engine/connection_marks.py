"""What a job's traffic says about its connections: the last successful call to each system (and what
Shopify said about API versions), and Odoo refusing our credentials (the flag that parks every job of
that Odoo until a probe or a new secret clears it, sync/services/connections.py)."""

from __future__ import annotations

import time

from django.utils import timezone

from sync.models import OdooConnection, ShopifyShop

# Marks are written at most this often per process: one UPDATE per job would be a write on the hot path.
_MARK_EVERY_SECONDS = 10.0
_last_marks: dict[tuple[str, int], float] = {}


def mark_due(kind: str, pk: int) -> bool:
    """True at most once per _MARK_EVERY_SECONDS for each (kind, pk) in this process."""
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
    if odoo_id is not None and mark_due("odoo", odoo_id):
        OdooConnection.objects.filter(pk=odoo_id).update(last_success_at=now)
    if shop_id is not None and mark_due("shopify", shop_id):
        values: dict[str, object] = {"last_success_at": now}
        seen = getattr(shopify_client, "api_version_seen", None)
        if seen:
            values["api_version_seen"] = seen
        warnings = [str(getattr(w, "message", w)) for w in getattr(shopify_client, "warnings", []) or []]
        values["deprecation_warning"] = "; ".join(dict.fromkeys(warnings))[:2000]
        ShopifyShop.objects.filter(pk=shop_id).update(**values)


def odoo_auth_failed(*, connection_id: int, message: str) -> None:
    """Odoo refused our credentials: flag the connection (once) until it works again."""
    OdooConnection.objects.filter(pk=connection_id, auth_failed_at__isnull=True).update(
        auth_failed_at=timezone.now(), last_error_at=timezone.now(), last_error=message[:1000]
    )
