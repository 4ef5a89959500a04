"""What the stock screens read: per shop its peak mode and stock figures, per SKU its rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from sync.engine.mappings import mapping_entries
from sync.models import MappingTable, ShopifyShop, StockLevel, StockPeakMode
from sync.selectors.access import ShopScope, in_scope


@dataclass(frozen=True)
class ShopStock:
    shop: ShopifyShop
    peak: str  # "manual", "auto" or ""
    peak_until: Any
    levels: int
    drifting: int
    problems: int
    last_push: Any


def stock_overview(*, shops: ShopScope) -> list[ShopStock]:
    now = timezone.now()
    out = []
    for shop in in_scope(ShopifyShop.objects.order_by("domain"), shops, "pk"):
        peak = StockPeakMode.objects.filter(shop=shop).first()
        state = (
            "manual"
            if peak is not None and peak.manual
            else "auto"
            if peak is not None and peak.auto_until and peak.auto_until > now
            else ""
        )
        figures = StockLevel.objects.filter(shop=shop).aggregate(
            levels=Count("pk"),
            drifting=Count("pk", filter=~Q(drift=0)),
            problems=Count("pk", filter=~Q(state=StockLevel.State.OK)),
            last_push=Max("pushed_at"),
        )
        out.append(
            ShopStock(
                shop=shop,
                peak=state,
                peak_until=peak.auto_until if state == "auto" and peak is not None else None,
                levels=figures["levels"],
                drifting=figures["drifting"],
                problems=figures["problems"],
                last_push=figures["last_push"],
            )
        )
    return out


def stock_levels(*, shops: ShopScope, query: str = "", limit: int = 200) -> list[StockLevel]:
    rows = in_scope(StockLevel.objects.select_related("shop"), shops, "shop_id")
    if query:
        rows = rows.filter(sku__icontains=query)
    return list(rows.order_by("shop__domain", "sku", "location")[:limit])


def stock_sku(*, shop: ShopifyShop, sku: str) -> list[StockLevel]:
    return list(StockLevel.objects.filter(shop=shop, sku=sku).order_by("location"))


def location_names(*, shop: ShopifyShop) -> dict[str, str]:
    """Shopify location gid → its name, from the shop's LOCATION mapping entries."""
    return {
        e.key: str(e.value.get("shopify_name") or e.key)
        for e in mapping_entries(shop=shop)
        if e.table == MappingTable.LOCATION
    }
