"""Set a shop up against its Odoo: initial mappings read from Odoo, webhook subscriptions registered.

Used by ``manage.py setup_shop`` (a retailer's first run, and ``make run`` against the sandboxes) and by the
end-to-end tests. Everything here is idempotent: running it again changes only what changed.

What to look for in Odoo (SKUs, tax names, carriers, journals, locations) comes as a ``SetupCatalogue``
given by the caller (``setup_shop --catalogue FILE``); the demo builds it from the sandboxes' catalogue
(opsconsole/demo_catalogue.py). Product code never reads the stand-ins' data. Without a catalogue only the
shop and the order-confirmation policy are seeded; the rest is mapped in the console.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.utils import timezone

from sync.engine.clients import odoo_client_for, shopify_client_for
from sync.engine.mappings import mapping_entries
from sync.kinds import subscription_topics
from sync.models import MappingTable, ShopifyShop
from sync.services.mappings import MappingRow, mapping_apply
from sync.transforms.money import tax_key

logger = logging.getLogger(__name__)

CONFIRM_ON = ("paid", "partially_paid", "authorized", "partially_refunded", "refunded")
DO_NOT_CONFIRM = ("pending", "voided", "expired")


@dataclass(frozen=True)
class TaxSpec:
    shopify_title: str  # the Shopify tax line's title, e.g. "VAT 20%"
    rate: str  # its rate, e.g. "0.20"
    odoo_name: str  # the Odoo sales tax of that rate, e.g. "20% VAT"


@dataclass(frozen=True)
class SetupCatalogue:
    """What to look for in Odoo when seeding a shop's first mappings."""

    skus: tuple[str, ...] = ()
    taxes: tuple[TaxSpec, ...] = ()
    shipping_methods: dict[str, str] = field(default_factory=dict)  # Shopify code → Odoo carrier name
    gateways: dict[str, str] = field(default_factory=dict)  # Shopify gateway → Odoo journal code
    locations: dict[str, str] = field(default_factory=dict)  # Shopify location name → Odoo location

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SetupCatalogue:
        """From JSON: ``{"skus": [...], "taxes": [{"shopify_title", "rate", "odoo_name"}], "shipping_methods":
        {code: carrier}, "gateways": {gateway: journal code}, "locations": {name: name}}``."""
        return cls(
            skus=tuple(str(s) for s in data.get("skus", [])),
            taxes=tuple(
                TaxSpec(str(t["shopify_title"]), str(t["rate"]), str(t["odoo_name"]))
                for t in data.get("taxes", [])
            ),
            shipping_methods={str(k): str(v) for k, v in data.get("shipping_methods", {}).items()},
            gateways={str(k): str(v) for k, v in data.get("gateways", {}).items()},
            locations={str(k): str(v) for k, v in data.get("locations", {}).items()},
        )


@dataclass(frozen=True)
class SetupReport:
    mapping_version: int | None
    mapped_skus: int
    unmapped_skus: tuple[str, ...]
    webhooks_created: int
    webhooks_kept: int


def _rows_from_odoo(
    shop: ShopifyShop,
    *,
    catalogue: SetupCatalogue,
    skus: Iterable[str],
    leave_unmapped: Iterable[str],
    taxes_included: bool,
) -> tuple[list[MappingRow], list[str]]:
    odoo = odoo_client_for(shop.odoo)
    shopify = shopify_client_for(shop)
    rows: list[MappingRow] = []

    company = odoo.execute(
        "res.company", "search_read", domain=[], fields=["currency_id"], order="id asc", limit=1
    )
    pricelists = odoo.execute(
        "product.pricelist", "search_read", domain=[], fields=["id"], order="id asc", limit=1
    )
    rows.append(
        MappingRow(
            MappingTable.SHOP,
            "shop",
            {
                "company_id": company[0]["id"] if company else None,
                "currency": company[0]["currency_id"][1] if company else "EUR",
                "pricelist_id": pricelists[0]["id"] if pricelists else None,
                "tax_rounding": "round_per_line",
            },
        )
    )

    skip = set(leave_unmapped)
    found = odoo.find_products_by_sku(list(skus))
    unmapped = sorted({sku for sku in skus if sku not in found} | (skip & set(found)))
    for sku, product in sorted(found.items()):
        if sku not in skip:
            rows.append(MappingRow(MappingTable.SKU, sku, {"product_id": product.id, "default_code": sku}))

    for spec in catalogue.taxes:
        tax = _tax(odoo, spec.odoo_name, float(spec.rate) * 100, included=taxes_included)
        rows.append(
            MappingRow(
                MappingTable.TAX,
                tax_key(spec.shopify_title, spec.rate),
                {"tax_id": tax["id"], "name": tax["name"]},
            )
        )

    carriers = {
        c["name"]: c
        for c in odoo.execute("delivery.carrier", "search_read", domain=[], fields=["name", "product_id"])
    }
    for code, carrier_name in catalogue.shipping_methods.items():
        carrier = carriers.get(carrier_name)
        if carrier:
            rows.append(
                MappingRow(
                    MappingTable.SHIPPING,
                    code,
                    {
                        "product_id": carrier["product_id"][0],
                        "carrier_id": carrier["id"],
                        "name": carrier["name"],
                    },
                )
            )

    journals = {
        j["code"]: j
        for j in odoo.execute("account.journal", "search_read", domain=[], fields=["code", "name"])
    }
    for gateway, code in catalogue.gateways.items():
        if code in journals:
            rows.append(
                MappingRow(
                    MappingTable.GATEWAY,
                    gateway,
                    {"journal_id": journals[code]["id"], "name": journals[code]["name"]},
                )
            )

    odoo_locations = {loc.complete_name: loc for loc in odoo.stock_locations()}
    for location in shopify.locations():
        target = odoo_locations.get(catalogue.locations.get(location.name, ""))
        if target is not None:
            rows.append(
                MappingRow(
                    MappingTable.LOCATION,
                    location.id,
                    {"location_id": target.id, "name": target.complete_name, "shopify_name": location.name},
                )
            )

    for status in CONFIRM_ON:
        rows.append(MappingRow(MappingTable.FINANCIAL_STATUS, status, {"confirm": True}))
    for status in DO_NOT_CONFIRM:
        rows.append(MappingRow(MappingTable.FINANCIAL_STATUS, status, {"confirm": False}))
    return rows, unmapped


def _tax(odoo: Any, name: str, amount: float, *, included: bool) -> dict[str, Any]:
    """The Odoo sales tax with this name (a price-included twin for shops whose prices include tax)."""
    wanted = f"{name} (incl.)" if included else name
    found = odoo.execute(
        "account.tax",
        "search_read",
        domain=[("name", "=", wanted), ("type_tax_use", "=", "sale")],
        fields=["name", "amount", "price_include"],
        limit=1,
    )
    if found:
        return found[0]  # type: ignore[no-any-return]
    created = odoo.execute(
        "account.tax",
        "create",
        vals_list=[
            {
                "name": wanted,
                "amount": round(amount, 4),
                "type_tax_use": "sale",
                "amount_type": "percent",
                "price_include": included,
                "description": wanted,
            }
        ],
    )
    return {"id": created[0] if isinstance(created, list) else created, "name": wanted}


def shop_setup(
    *,
    shop: ShopifyShop,
    callback_url: str,
    catalogue: SetupCatalogue | None = None,
    skus: Iterable[str] | None = None,
    leave_unmapped: Iterable[str] = (),
    seed_mappings: bool = True,
) -> SetupReport:
    """Seed the initial mappings (only when the shop has none) and register the webhooks. ``skus`` (default:
    the catalogue's) are looked up in Odoo by internal reference."""
    catalogue = catalogue or SetupCatalogue()
    shopify = shopify_client_for(shop)
    version = None
    mapped, unmapped = 0, cast(tuple[str, ...], ())
    if seed_mappings and not mapping_entries(shop=shop):
        info = shopify.shop_info()
        all_skus = list(skus) if skus is not None else list(catalogue.skus)
        rows, unmapped_list = _rows_from_odoo(
            shop,
            catalogue=catalogue,
            skus=all_skus,
            leave_unmapped=leave_unmapped,
            taxes_included=info.taxes_included,
        )
        version = mapping_apply(shop=shop, rows=rows)
        mapped = sum(1 for r in rows if r.table == MappingTable.SKU)
        unmapped = tuple(unmapped_list)
    sync = shopify.ensure_webhook_subscriptions(callback_url, subscription_topics(), prune=True)
    ShopifyShop.objects.filter(pk=shop.pk).update(
        webhook_callback_url=callback_url,
        webhook_topics=sorted({s.topic for s in (*sync.created, *sync.kept)}),
        webhooks_checked_at=timezone.now(),
    )
    return SetupReport(
        mapping_version=version,
        mapped_skus=mapped,
        unmapped_skus=unmapped,
        webhooks_created=len(sync.created),
        webhooks_kept=len(sync.kept),
    )
