"""Set a shop up against its Odoo: read both sides, propose the mappings that match as ONE mapping change
for maker-checker approval (with a report: matched, ambiguous, missing on either side), register the
webhooks. Set-up never creates or changes a record in Odoo.

Used by ``manage.py setup_shop`` (a retailer's first run, and ``make run`` against the sandboxes) and by the
end-to-end tests. Matching is in sync/transforms/onboarding.py. Optional hints (``setup_shop --catalogue
FILE``: shipping code -> carrier name, gateway -> journal code, Shopify location -> Odoo location) help where
names differ; the demo writes its own (opsconsole/demo_catalogue.py). Product code never reads the
stand-ins' data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from opsconsole.core.audit import audit_record
from opsconsole.core.permissions import require
from sync.engine.clients import odoo_client_for, shopify_client_for
from sync.engine.mappings import mapping_entries
from sync.kinds import subscription_topics
from sync.models import MappingChange, MappingTable, OdooConnection, ShopifyShop
from sync.selectors.access import require_shop
from sync.transforms.onboarding import Hints, OdooSide, OdooTax, Proposal, ShopifySide, propose

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
    change_id: int | None  # the proposed mapping change, waiting for approval
    mapped_skus: int
    unmapped_skus: tuple[str, ...]
    webhooks_created: int
    webhooks_kept: int
    report: dict[str, Any] = field(default_factory=dict)


def _m2o(value: Any) -> tuple[int | None, str]:
    if isinstance(value, (list, tuple)) and value:
        return int(value[0]), str(value[1]) if len(value) > 1 else ""
    return None, ""


class TooManyVariants(Exception):
    """The shop has more variants than a run in a web request reads (``max_variants``)."""


def onboarding_read(
    shop: ShopifyShop,
    *,
    catalogue: SetupCatalogue,
    leave_unmapped: Iterable[str] = (),
    max_variants: int | None = None,
) -> Proposal:
    """Read both sides (Shopify: variants with SKU and barcode, locations, currency and tax treatment, the
    shipping methods, gateways and taxes of recent orders; Odoo: companies, pricelists, products by
    reference and barcode, sale taxes, carriers, journals, internal locations) and match them. Reads only."""
    odoo = odoo_client_for(shop.odoo)
    shopify = shopify_client_for(shop)
    info = shopify.shop_info()
    variants = list(islice(shopify.iter_variants(), max_variants + 1 if max_variants else None))
    if max_variants and len(variants) > max_variants:
        raise TooManyVariants(
            f"{shop.domain} has more than {max_variants} product variants: run manage.py setup_shop for it "
            "(no time limit there); nothing was proposed or registered"
        )
    channels = shopify.recent_sales_channels()
    shop_side = ShopifySide(
        domain=shop.domain,
        currency=info.currency,
        taxes_included=info.taxes_included,
        variants=[(v.sku, v.barcode, v.name) for v in variants],
        locations=[(loc.id, loc.name) for loc in shopify.locations()],
        shipping=channels.shipping,
        gateways=channels.gateways,
        taxes=channels.taxes,
        orders_read=channels.orders,
        gift_card_skus=frozenset(v.sku for v in variants if v.gift_card and v.sku),
        bundle_skus=frozenset(v.sku for v in variants if v.bundle and v.sku),
    )
    companies = [
        {
            "id": int(c["id"]),
            "name": c["name"],
            "currency": _m2o(c.get("currency_id"))[1],
            "rounding": odoo.company_tax_settings(int(c["id"])).rounding_method,
        }
        for c in odoo.execute(
            "res.company", "search_read", domain=[], fields=["name", "currency_id"], order="id asc"
        )
    ]
    pricelists = [
        {
            "id": int(pl["id"]),
            "name": pl["name"],
            "currency": _m2o(pl.get("currency_id"))[1],
            "company_id": _m2o(pl.get("company_id"))[0],
        }
        for pl in odoo.execute(
            "product.pricelist",
            "search_read",
            domain=[],
            fields=["name", "currency_id", "company_id"],
            order="id asc",
        )
    ]
    matching = odoo.products_matching(codes=[v.sku for v in variants], barcodes=[v.barcode for v in variants])
    seen_ids = {p["id"] for p in matching}
    products = matching + [p for p in odoo.sellable_product_codes() if p["id"] not in seen_ids]
    odoo_side = OdooSide(
        version=odoo.version[0],
        companies=companies,
        pricelists=pricelists,
        products=products,
        taxes=[
            OdooTax(t.id, t.name, t.amount, t.amount_type, t.price_include, t.active, t.company_id)
            for t in odoo.taxes()
        ],
        carriers=[
            {"id": int(c["id"]), "name": c["name"], "product_id": _m2o(c.get("product_id"))[0] or 0}
            for c in odoo.execute("delivery.carrier", "search_read", domain=[], fields=["name", "product_id"])
        ],
        journals=[
            {
                "id": int(j["id"]),
                "code": j.get("code"),
                "name": j["name"],
                "type": j.get("type"),
                "company_id": _m2o(j.get("company_id"))[0],
            }
            for j in odoo.execute(
                "account.journal", "search_read", domain=[], fields=["code", "name", "type", "company_id"]
            )
        ],
        locations=[
            {"id": loc.id, "name": loc.name, "complete_name": loc.complete_name}
            for loc in odoo.stock_locations()
        ],
    )
    return propose(
        shop_side,
        odoo_side,
        hints=Hints(
            shipping=catalogue.shipping_methods,
            gateways=catalogue.gateways,
            locations=catalogue.locations,
            taxes=tuple((t.shopify_title, t.rate) for t in catalogue.taxes),
            carriers=catalogue.carriers,
        ),
        leave_unmapped=list(leave_unmapped),
        confirm_on=CONFIRM_ON,
        do_not_confirm=DO_NOT_CONFIRM,
    )


def onboarding_summary(report: dict[str, Any]) -> str:
    parts = []
    for section in ("matched", "ambiguous", "missing_in_odoo", "missing_in_shopify", "recognised"):
        counts = report["summary"].get(section, {})
        text = ", ".join(f"{n} {table}" for table, n in counts.items()) or "none"
        parts.append(f"{section.replace('_', ' ')}: {text}")
    return "Onboarding proposal. " + "; ".join(parts)


def shop_setup(
    *,
    shop: ShopifyShop,
    callback_url: str,
    catalogue: SetupCatalogue | None = None,
    leave_unmapped: Iterable[str] = (),
    seed_mappings: bool = True,
    actor: Any = None,
    max_variants: int | None = None,
) -> SetupReport:
    """Propose the shop's first mappings (only when it has none and no proposal waits) as ONE mapping change
    for maker-checker approval, with a report of what matched and what did not, and register the webhooks.
    Nothing is created or changed in Odoo; nothing is mapped until a person approves the change."""
    catalogue = catalogue or SetupCatalogue()
    shopify = shopify_client_for(shop)
    change: MappingChange | None = None
    report: dict[str, Any] = {}
    mapped, unmapped = 0, cast(tuple[str, ...], ())
    waiting = MappingChange.objects.filter(shop=shop, state=MappingChange.State.PROPOSED).exists()
    if seed_mappings and not mapping_entries(shop=shop) and not waiting:
        proposal = onboarding_read(
            shop, catalogue=catalogue, leave_unmapped=leave_unmapped, max_variants=max_variants
        )
        report = proposal.report()
        summary = onboarding_summary(report)
        change = MappingChange.objects.create(
            shop=shop,
            summary=summary[:300],
            proposed_by=actor,
            rows=[{"table": table, "key": key, "value": value} for table, key, value in proposal.rows],
        )
        audit_record(
            action="mapping.propose",
            actor=actor,
            object_type="mapping_change",
            object_id=change.pk,
            summary=summary[:500],
            after={"rows": change.rows, "report": report},
        )
        mapped = sum(1 for table, _, _ in proposal.rows if table == MappingTable.SKU)
        unmapped = tuple(sorted(str(e["shopify"]) for e in proposal.missing_in_odoo.get("sku", [])))
    sync = shopify.ensure_webhook_subscriptions(callback_url, subscription_topics(), prune=True)
    ShopifyShop.objects.filter(pk=shop.pk).update(
        webhook_callback_url=callback_url,
        webhook_topics=sorted({s.topic for s in (*sync.created, *sync.kept)}),
        webhooks_checked_at=timezone.now(),
    )
    return SetupReport(
        change_id=change.pk if change is not None else None,
        mapped_skus=mapped,
        unmapped_skus=unmapped,
        webhooks_created=len(sync.created),
        webhooks_kept=len(sync.kept),
        report=report,
    )


#: The most product variants the console's "Connect a shop" reads inside a web request. The whole read then
#: asks Shopify for about 2,000 query-cost points (11 pages of 100 variants at about 100 points each, the
#: 100 newest orders at about 800, locations and the shop) and Odoo for about ten reads: on the smallest
#: plan (a 1,000-point bucket restoring 100 points a second) about ten seconds of throttle waits, inside
#: gunicorn's 30 s timeout. A bigger shop is set up with ``manage.py setup_shop``, which has no such limit.
CONSOLE_MAX_VARIANTS = 1000


def shop_connect_run(
    *,
    actor: Any,
    shop: ShopifyShop,
    odoo: OdooConnection,
    callback_url: str,
    catalogue: SetupCatalogue | None = None,
    request: Any = None,
) -> SetupReport:
    """The console's "Connect a shop": point the shop at ``odoo`` if it is not already, then run the set-up
    proposal as ``setup_shop`` does (bounded by CONSOLE_MAX_VARIANTS). Reads Odoo, never writes to it."""
    require(actor, "manage_connections")
    require(actor, "propose_mapping")
    require_shop(actor, shop.pk)
    if shop.odoo_id != odoo.pk:
        before = shop.odoo.name
        with transaction.atomic():
            ShopifyShop.objects.filter(pk=shop.pk).update(odoo=odoo)
            audit_record(
                action="connection.shopify.update",
                actor=actor,
                object_type="shopify_shop",
                object_id=shop.pk,
                summary=f"{shop.domain} now syncs with the Odoo connection {odoo.name}",
                before={"odoo": before},
                after={"odoo": odoo.name},
                request=request,
            )
        shop.odoo = odoo
    report = shop_setup(
        shop=shop,
        callback_url=callback_url,
        catalogue=catalogue,
        actor=actor,
        max_variants=CONSOLE_MAX_VARIANTS,
    )
    audit_record(
        action="connection.onboard",
        actor=actor,
        object_type="shopify_shop",
        object_id=shop.pk,
        summary=(
            f"connect {shop.domain} to {odoo.name}: "
            + (f"proposed mapping change {report.change_id}" if report.change_id else "no new proposal")
            + f"; webhooks {report.webhooks_created} registered, {report.webhooks_kept} kept"
        ),
        after={"change_id": report.change_id, "callback_url": callback_url},
        request=request,
    )
    return report
