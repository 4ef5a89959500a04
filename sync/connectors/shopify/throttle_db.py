"""The throttle store shared by every worker: one ``ShopifyRateLimitState`` row per shop, updated under
``SELECT ... FOR UPDATE`` so that two workers never spend the same points.

Kept apart from the pure connector modules so that they import no Django models.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction

from sync.connectors.shopify.throttle import BucketState, Throttle, _reserve
from sync.connectors.shopify.types import ThrottleStatus


def _ts(dt: datetime) -> float:
    return dt.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class DatabaseThrottleStore:
    def reserve(self, shop_domain: str, cost: float, now: float) -> float:
        from sync.models import ShopifyRateLimitState

        with transaction.atomic():
            row = ShopifyRateLimitState.objects.select_for_update().filter(shop_domain=shop_domain).first()
            if row is None:
                return 0.0
            state = BucketState(row.available, row.maximum, row.restore_rate, _ts(row.updated_at))
            wait, new = _reserve(state, cost, now)
            if new is not None:
                row.available = new.available
                row.updated_at = _dt(new.updated_at)
                row.save(update_fields=["available", "updated_at"])
            return wait

    def record(self, shop_domain: str, status: ThrottleStatus, now: float) -> None:
        from sync.models import ShopifyRateLimitState

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
        from sync.models import ShopifyRateLimitState

        with transaction.atomic():
            ShopifyRateLimitState.objects.filter(shop_domain=shop_domain).update(
                available=0.0, updated_at=_dt(now)
            )


def database_throttle() -> Throttle:
    """The throttle every worker should use: points are reserved in the shared database row."""
    return Throttle(DatabaseThrottleStore())
