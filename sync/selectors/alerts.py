"""What the Alerts page reads."""

from __future__ import annotations

from dataclasses import dataclass

from sync.models import Alert, AlertSettings, ShopifyShop
from sync.selectors.access import ShopScope, in_scope


@dataclass(frozen=True)
class ShopAlertSettings:
    shop: ShopifyShop
    settings: AlertSettings
    saved: bool


def alerts_firing_and_history(
    *, limit: int = 200, shops: ShopScope = None
) -> tuple[list[Alert], list[Alert]]:
    """Firing alerts and the latest resolved ones, newest first."""
    alerts = in_scope(Alert.objects.select_related("shop"), shops).order_by("-fired_at")
    firing = list(alerts.filter(status=Alert.Status.FIRING))
    history = list(alerts.exclude(status=Alert.Status.FIRING)[:limit])
    return firing, history


def alert_settings_by_shop(*, shops: ShopScope = None) -> list[ShopAlertSettings]:
    saved = {s.shop_id: s for s in AlertSettings.objects.all()}
    rows = []
    for shop in in_scope(ShopifyShop.objects.order_by("domain"), shops, "pk"):
        found = saved.get(shop.pk)
        rows.append(
            ShopAlertSettings(
                shop=shop,
                settings=found or AlertSettings(shop=shop, **AlertSettings.DEFAULTS),
                saved=found is not None,
            )
        )
    return rows
