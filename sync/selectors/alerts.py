"""What the Alerts page reads."""

from __future__ import annotations

from dataclasses import dataclass

from sync.models import Alert, AlertSettings, ShopifyShop


@dataclass(frozen=True)
class ShopAlertSettings:
    shop: ShopifyShop
    settings: AlertSettings
    saved: bool


def alerts_firing_and_history(*, limit: int = 200) -> tuple[list[Alert], list[Alert]]:
    """Firing alerts and the latest resolved ones, newest first."""
    alerts = Alert.objects.select_related("shop").order_by("-fired_at")
    firing = list(alerts.filter(status=Alert.Status.FIRING))
    history = list(alerts.exclude(status=Alert.Status.FIRING)[:limit])
    return firing, history


def alert_settings_by_shop() -> list[ShopAlertSettings]:
    saved = {s.shop_id: s for s in AlertSettings.objects.all()}
    rows = []
    for shop in ShopifyShop.objects.order_by("domain"):
        found = saved.get(shop.pk)
        rows.append(
            ShopAlertSettings(
                shop=shop,
                settings=found or AlertSettings(shop=shop, **AlertSettings.DEFAULTS),
                saved=found is not None,
            )
        )
    return rows
