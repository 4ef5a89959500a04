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
from decimal import Decimal
from typing import Any, cast

from django.utils import timezone

from sync.connectors.odoo import TaxInfo
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
    # Odoo carrier name → {"company": Shopify tracking company, "url": optional template with {number}}
    carriers: dict[str, dict[str, str]] = field(default_factory=dict)

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
            carriers={
                str(k): {"company": str(v.get("company", "")), "url": str(v.get("url", ""))}
                for k, v in data.get("carriers", {}).items()
            },
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
    shop_currency: str,
) -> tuple[list[MappingRow], list[str]]:
    odoo = odoo_client_for(shop.odoo)
    shopify = shopify_client_for(shop)
    rows: list[MappingRow] = []

    company = odoo.execute(
        "res.company", "search_read", domain=[], fields=["currency_id"], order="id asc", limit=1
    )
    company_id = company[0]["id"] if company else None
    pricelists = odoo.execute(
        "product.pricelist", "search_read", domain=[], fields=["id"], order="id asc", limit=1
    )
    # Read from Odoo, not assumed: how the company rounds taxes (the flows read it again before booking).
    rounding = odoo.company_tax_settings(company_id).rounding_method if company_id else "round_per_line"
    rows.append(
        MappingRow(
            MappingTable.SHOP,
            "shop",
            {
                "company_id": company_id,
                "currency": shop_currency,
                "pricelist_id": pricelists[0]["id"] if pricelists else None,
                "tax_rounding": rounding,
                "taxes_included": taxes_included,
            },
        )
    )

    skip = set(leave_unmapped)
    found = odoo.find_products_by_sku(list(skus))
    unmapped = sorted({sku for sku in skus if sku not in found} | (skip & set(found)))
    for sku, product in sorted(found.items()):
        if sku not in skip:
            rows.append(MappingRow(MappingTable.SKU, sku, {"product_id": product.id, "default_code": sku}))

    odoo_taxes = odoo.taxes(company_id=company_id)
    for spec in catalogue.taxes:
        value: dict[str, Any] = {}
        for included, id_field, name_field in (
            (False, "tax_id", "name"),
            (True, "included_tax_id", "included_name"),
        ):
            tax = tax_match(odoo_taxes, rate=Decimal(spec.rate), included=included, prefer=spec.odoo_name)
            if tax is not None:
                value[id_field] = tax.id
                value[name_field] = tax.name
        if value:
            rows.append(MappingRow(MappingTable.TAX, tax_key(spec.shopify_title, spec.rate), value))

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

    for carrier_name, tracking in catalogue.carriers.items():
        if carrier_name in carriers:
            rows.append(
                MappingRow(
                    MappingTable.CARRIER,
                    carrier_name,
                    {"company": tracking.get("company", ""), "url": tracking.get("url", "")},
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


def tax_match(taxes: Iterable[TaxInfo], *, rate: Decimal, included: bool, prefer: str = "") -> TaxInfo | None:
    """The active percent sale tax of this rate and treatment (``price_include`` as Odoo computes it: on 18+
    from ``price_include_override``), the one named ``prefer`` first; None when there is none or when
    several are equally good (a person picks)."""
    candidates = [
        t
        for t in taxes
        if t.active and t.amount_type == "percent" and t.amount == rate * 100 and t.price_include == included
    ]
    if len(candidates) > 1:
        named = [t for t in candidates if t.name in (prefer, f"{prefer} (incl.)")]
        candidates = named if len(named) == 1 else candidates
    return candidates[0] if len(candidates) == 1 else None


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
            shop_currency=info.currency,
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
