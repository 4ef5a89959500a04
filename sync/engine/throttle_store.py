"""The Shopify cost bucket shared by every worker: one ``ShopifyRateLimitState`` row per shop, updated under
``SELECT ... FOR UPDATE`` so that two workers never spend the same points. The connector defines the store's
interface (``sync.connectors.shopify.throttle.ThrottleStore``) and knows no table; the engine, which builds
the clients, passes this one in (sync/engine/clients.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction

from sync.connectors.shopify.throttle import BucketState, Throttle, bucket_reserve
from sync.connectors.shopify.types import ThrottleStatus
from sync.models import ShopifyRateLimitState


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class DatabaseThrottleStore:
    def reserve(self, shop_domain: str, cost: float, now: float) -> float:
        with transaction.atomic():
            row = ShopifyRateLimitState.objects.select_for_update().filter(shop_domain=shop_domain).first()
            if row is None:
                return 0.0
            state = BucketState(row.available, row.maximum, row.restore_rate, row.updated_at.timestamp())
            wait, new = bucket_reserve(state, cost, now)
            if new is not None:
                row.available = new.available
                row.updated_at = _dt(new.updated_at)
                row.save(update_fields=["available", "updated_at"])
            return wait

    def record(self, shop_domain: str, status: ThrottleStatus, now: float) -> None:
        with transaction.atomic():
            ShopifyRateLimitState.objects.update_or_create(
                shop_domain=shop_domain,
                defaults={
                    "available": status.currently_available,
                    "maximum": status.maximum_available,
                    "restore_rate": status.restore_rate,
                    "updated_at": _dt(now),
                },
            )

    def drain(self, shop_domain: str, now: float) -> None:
        with transaction.atomic():
            ShopifyRateLimitState.objects.filter(shop_domain=shop_domain).update(
                available=0.0, updated_at=_dt(now)
            )


def database_throttle() -> Throttle:
    """The throttle every worker uses: points are reserved in the shared database row."""
    return Throttle(DatabaseThrottleStore())
