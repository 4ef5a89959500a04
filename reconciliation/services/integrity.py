"""The weekly integrity sample: a random (seeded, so repeatable) sample of mapped products (price, active and,
where the shop maps locations, stock available to sell per location) and linked customers compared between
Shopify and Odoo; differences become discrepancies with both values (customer values masked)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from reconciliation.matchers.integrity import (
    INTEGRITY_CODES,
    CustomerSide,
    ProductSide,
    StockSide,
    compare_customers,
    compare_products,
    compare_stock,
    sample,
)
from reconciliation.models import ReconciliationRun
from reconciliation.services.discrepancies import discrepancies_clear, discrepancies_record
from sync.engine.mappings import mapping_entries, mappings_for_shop
from sync.flows.stock import stock_figures
from sync.models import ExternalLink, MappingTable, ShopifyShop

SAMPLE_PRODUCTS = 50
SAMPLE_CUSTOMERS = 25


@dataclass
class IntegrityCounts:
    products_sampled: int = 0
    stock_levels_sampled: int = 0
    customers_sampled: int = 0
    differences: int = 0
    matched: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "unmatched": self.differences}


def integrity_sample(
    *,
    run: ReconciliationRun,
    shopify: Any,
    odoo: Any,
    currency: str = "",
    products: int = SAMPLE_PRODUCTS,
    customers: int = SAMPLE_CUSTOMERS,
) -> IntegrityCounts:
    shop = run.shop
    seed = f"{shop.pk}:{run.window_start.isoformat()}"
    skus = sample([e.key for e in mapping_entries(shop=shop) if e.table == MappingTable.SKU], products, seed)
    shopify_products = {
        sku: ProductSide(price, status == "ACTIVE")
        for sku, (price, status) in shopify.variant_prices_by_sku(skus).items()
    }
    odoo_products = {
        sku: ProductSide(info.list_price.quantize(Decimal("0.01")), info.active)
        for sku, info in odoo.find_products_by_sku(skus).items()
    }
    findings = compare_products(skus, shopify_products, odoo_products, currency)
    levels = _stock_levels(shop=shop, skus=skus, shopify=shopify, odoo=odoo)
    findings += compare_stock(levels)

    links = {
        link.shopify_id: link.odoo_id
        for link in ExternalLink.objects.filter(shop=shop, kind=ExternalLink.Kind.CUSTOMER)
    }
    customer_ids = sample(list(links), customers, seed)
    pairs = []
    for customer_id in customer_ids:
        s = shopify.get_customer(customer_id)
        o = odoo.read_partner(links[customer_id])
        pairs.append(
            (
                customer_id,
                CustomerSide(s.email or "", " ".join(x for x in (s.first_name, s.last_name) if x))
                if s
                else None,
                CustomerSide(o.get("email") or "", o.get("name") or "") if o else None,
            )
        )
    findings += compare_customers(pairs)
    findings = [replace(f, occurred_at=run.window_start) for f in findings]
    discrepancies_record(run=run, findings=findings)
    discrepancies_clear(run=run, codes=INTEGRITY_CODES, since=run.window_start, until=run.window_end)
    counts = IntegrityCounts(
        products_sampled=len(skus), stock_levels_sampled=len(levels), customers_sampled=len(customer_ids)
    )
    counts.differences = len({f.subject for f in findings})
    counts.matched = (
        counts.products_sampled + counts.stock_levels_sampled + counts.customers_sampled - counts.differences
    )
    return counts


def _stock_levels(
    *, shop: ShopifyShop, skus: list[str], shopify: Any, odoo: Any
) -> list[tuple[str, str, int | None, StockSide]]:
    """The sampled SKUs at every mapped Shopify location: Shopify's available beside Odoo's available to sell
    by the stock-out flow's own rules (none when the shop maps no location, so pushes no stock)."""
    mappings = mappings_for_shop(shop=shop)
    mapped = [sku for sku in skus if sku in mappings.skus]
    locations = list(mappings.locations)
    if not mapped or not locations:
        return []
    figures, pending = stock_figures(odoo=odoo, shop_id=shop.pk, mappings=mappings, skus=mapped)
    shopify_levels: dict[str, dict[str, int]] = {}
    for start in range(0, len(locations), 8):
        for sku, found in shopify.inventory_levels_by_sku(mapped, locations[start : start + 8]).items():
            shopify_levels.setdefault(sku, {}).update(found.available)
    return [
        (
            sku,
            location,
            shopify_levels.get(sku, {}).get(location),
            StockSide(figures[(sku, location)].available, pending.get(sku, 0)),
        )
        for sku in mapped
        for location in locations
    ]
