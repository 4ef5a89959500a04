"""Onboarding that proposes: from what both sides hold, the mapping rows that match and a report of what
does not. Pure: the service (sync/services/setup.py) reads Shopify and Odoo and stores the proposal as ONE
mapping change for maker-checker approval. Nothing here (or there) writes to Odoo.

Matching rules, each conservative — a person decides anything uncertain:

- SKU: a Shopify variant's SKU to the Odoo product with that internal reference (``default_code``); if no
  product has it, the product with the variant's barcode. Gift cards (``Product.isGiftCard``) and bundles
  (``ProductVariant.requiresComponents``) are *recognised* instead: a gift card needs the shop's gift-card
  product, a bundle a BUNDLE row (proposed as a kit when an Odoo product has its SKU). Two Odoo products
  with one SKU (or barcode) are *ambiguous*; Odoo products whose reference no Shopify variant has are
  *missing on the Shopify side*.
- Taxes: each tax line seen on recent orders (title, rate) to the active percent sale tax of that rate and
  treatment (prices excluding tax: ``tax_id``; including it: ``included_tax_id``; ``price_include`` as Odoo
  computes it). The treatment the shop sells in that Odoo lacks is reported with exactly what to create.
- Shipping: each shipping line seen (code, title) to the carrier named like it (or as the hints say).
- Gateways: each payment gateway seen to the journal the hints name, or the one named like it.
- Locations: each Shopify location to the internal Odoo location with its name (or as the hints say).
- Shop: the Odoo company in the shop's currency (the only one, or the only one in that currency), its
  pricelist in that currency, its tax rounding method; the currency and tax treatment are Shopify's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sync.transforms.money import normalize_rate, tax_key, to_decimal

SHOP = "shop"


@dataclass(frozen=True)
class OdooTax:
    id: int
    name: str
    amount: Decimal
    amount_type: str
    price_include: bool
    active: bool = True
    company_id: int | None = None


@dataclass(frozen=True)
class ShopifySide:
    domain: str
    currency: str
    taxes_included: bool
    variants: Sequence[tuple[str, str, str]]  # (sku, barcode, name)
    locations: Sequence[tuple[str, str]]  # (id, name)
    shipping: Sequence[tuple[str, str]]  # (code, title) seen on recent orders
    gateways: Sequence[str]
    taxes: Sequence[tuple[str, str]]  # (title, rate) seen on recent orders
    orders_read: int = 0
    gift_card_skus: frozenset[str] = frozenset()  # SKUs of gift-card products (Product.isGiftCard)
    bundle_skus: frozenset[str] = frozenset()  # SKUs of bundles (ProductVariant.requiresComponents)


@dataclass(frozen=True)
class OdooSide:
    version: int
    companies: Sequence[Mapping[str, Any]]  # id, name, currency, rounding
    pricelists: Sequence[Mapping[str, Any]]  # id, name, currency, company_id
    products: Sequence[Mapping[str, Any]]  # id, default_code, barcode, name
    taxes: Sequence[OdooTax]
    carriers: Sequence[Mapping[str, Any]]  # id, name, product_id
    journals: Sequence[Mapping[str, Any]]  # id, code, name, type, company_id
    locations: Sequence[Mapping[str, Any]]  # id, name, complete_name


@dataclass(frozen=True)
class Hints:
    """What a person already knows: Shopify code -> Odoo name (carriers), gateway -> journal code,
    Shopify location name -> Odoo location complete name."""

    shipping: Mapping[str, str] = field(default_factory=dict)
    gateways: Mapping[str, str] = field(default_factory=dict)
    locations: Mapping[str, str] = field(default_factory=dict)
    taxes: Sequence[tuple[str, str]] = ()  # (title, rate) to map even if no recent order had it
    # Odoo carrier name -> {"company": Shopify tracking company, "url": template} (fulfilments out)
    carriers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def _with_hints(shopify: ShopifySide, hints: Hints) -> ShopifySide:
    """A shop without order history yet: what the hints name is looked for too."""
    codes = {code for code, _ in shopify.shipping}
    shipping = list(shopify.shipping) + [(code, code) for code in hints.shipping if code not in codes]
    gateways = list(shopify.gateways) + [g for g in hints.gateways if g not in shopify.gateways]
    seen = {tax_key(t, r) for t, r in shopify.taxes}
    taxes = list(shopify.taxes) + [(t, r) for t, r in hints.taxes if tax_key(t, r) not in seen]
    return replace(shopify, shipping=tuple(shipping), gateways=tuple(gateways), taxes=tuple(taxes))


@dataclass
class Proposal:
    rows: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (table, key, value)
    matched: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ambiguous: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    missing_in_odoo: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    missing_in_shopify: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Shopify SKUs that are not mapped by SKU: gift cards (the SHOP row's gift_card_product_id) and bundles
    # (a BUNDLE row, kit or components), each saying what it needs
    recognised: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    create_in_odoo: list[str] = field(default_factory=list)

    def _add(self, section: dict[str, list[dict[str, Any]]], table: str, entry: dict[str, Any]) -> None:
        section.setdefault(table, []).append(entry)

    def report(self) -> dict[str, Any]:
        def counts(section: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
            return {table: len(entries) for table, entries in sorted(section.items())}

        return {
            "summary": {
                "matched": counts(self.matched),
                "ambiguous": counts(self.ambiguous),
                "missing_in_odoo": counts(self.missing_in_odoo),
                "missing_in_shopify": counts(self.missing_in_shopify),
                "recognised": counts(self.recognised),
            },
            "recognised": self.recognised,
            "matched": self.matched,
            "ambiguous": self.ambiguous,
            "missing_in_odoo": self.missing_in_odoo,
            "missing_in_shopify": self.missing_in_shopify,
            "create_in_odoo": self.create_in_odoo,
        }


def _norm(text: str) -> str:
    return " ".join(str(text or "").replace("_", " ").lower().split())


def propose(
    shopify: ShopifySide,
    odoo: OdooSide,
    *,
    hints: Hints | None = None,
    leave_unmapped: Sequence[str] = (),
    confirm_on: Sequence[str] = (),
    do_not_confirm: Sequence[str] = (),
) -> Proposal:
    hints = hints or Hints()
    shopify = _with_hints(shopify, hints)
    p = Proposal()
    company = _shop_row(p, shopify, odoo)
    _skus(p, shopify, odoo, set(leave_unmapped))
    _taxes(p, shopify, odoo, company)
    _shipping(p, shopify, odoo, hints)
    _gateways(p, shopify, odoo, hints, company)
    _tracking_companies(p, odoo, hints)
    _locations(p, shopify, odoo, hints)
    for status in confirm_on:
        p.rows.append(("financial_status", status, {"confirm": True}))
    for status in do_not_confirm:
        p.rows.append(("financial_status", status, {"confirm": False}))
    return p


def _shop_row(p: Proposal, shopify: ShopifySide, odoo: OdooSide) -> int | None:
    currency = shopify.currency.upper()
    companies = list(odoo.companies)
    if len(companies) > 1:
        companies = [c for c in companies if str(c.get("currency", "")).upper() == currency] or companies
    if len(companies) != 1:
        p._add(
            p.ambiguous,
            SHOP,
            {
                "shopify": f"{shopify.domain} ({currency})",
                "candidates": [f"{c['name']} ({c.get('currency')})" for c in odoo.companies],
                "why": "several Odoo companies could take this shop: pick one",
            },
        )
        return None
    company = companies[0]
    if str(company.get("currency", "")).upper() != currency:
        p._add(
            p.missing_in_odoo,
            SHOP,
            {
                "shopify": f"currency {currency}",
                "why": f"the Odoo company {company['name']} books in {company.get('currency')}; orders are "
                f"booked in the shop's currency {currency} with a pricelist in it",
            },
        )
    pricelists = [
        pl
        for pl in odoo.pricelists
        if str(pl.get("currency", "")).upper() == currency and pl.get("company_id") in (None, company["id"])
    ]
    pricelist = pricelists[0]["id"] if pricelists else None
    if pricelist is None:
        p._add(p.missing_in_odoo, SHOP, {"shopify": f"pricelist in {currency}", "why": "no Odoo pricelist"})
    value = {
        "company_id": company["id"],
        "currency": currency,
        "pricelist_id": pricelist,
        "tax_rounding": company.get("rounding") or "round_per_line",
        "taxes_included": shopify.taxes_included,
    }
    p.rows.append((SHOP, "shop", value))
    p._add(
        p.matched, SHOP, {"shopify": shopify.domain, "odoo": f"{company['name']} ({company.get('currency')})"}
    )
    return int(company["id"])


def _skus(p: Proposal, shopify: ShopifySide, odoo: OdooSide, skip: set[str]) -> None:
    by_code: dict[str, list[Mapping[str, Any]]] = {}
    by_barcode: dict[str, list[Mapping[str, Any]]] = {}
    for product in odoo.products:
        if product.get("default_code"):
            by_code.setdefault(str(product["default_code"]), []).append(product)
        if product.get("barcode"):
            by_barcode.setdefault(str(product["barcode"]), []).append(product)
    seen: set[str] = set()
    for sku, barcode, name in shopify.variants:
        if not sku:
            p._add(p.missing_in_odoo, "sku", {"shopify": name, "why": "the Shopify variant has no SKU"})
            continue
        if sku in seen:
            p._add(p.ambiguous, "sku", {"shopify": sku, "why": "two Shopify variants have this SKU"})
            continue
        seen.add(sku)
        found, how = by_code.get(sku, []), "internal reference"
        if not found and barcode:
            found, how = by_barcode.get(barcode, []), "barcode"
        if sku in shopify.gift_card_skus:
            p._add(
                p.recognised,
                "gift_card",
                {
                    "shopify": sku,
                    "name": name,
                    "why": "a gift card: its lines are booked on the shop's gift-card product (SHOP row "
                    "gift_card_product_id: a service product whose income account is the gift-card "
                    "liability), not by SKU",
                },
            )
            continue
        if sku in shopify.bundle_skus:
            entry: dict[str, Any] = {"shopify": sku, "name": name}
            if len(found) == 1:
                # A product with the bundle's SKU in Odoo: taken as its kit (a person may make it components)
                kit = found[0]
                p.rows.append(("bundle", sku, {"mode": "kit", "product_id": int(kit["id"])}))
                entry.update(odoo=f"{kit['name']} (id {kit['id']})", how=f"kit, by {how}")
            else:
                entry["why"] = (
                    "a bundle: map it with a BUNDLE row, as a kit (an Odoo product with a phantom bill of "
                    "materials) or as its components with a price split"
                )
            p._add(p.recognised, "bundle", entry)
            continue
        if len(found) > 1:
            p._add(
                p.ambiguous,
                "sku",
                {
                    "shopify": sku,
                    "candidates": [f"{c['name']} (id {c['id']})" for c in found],
                    "why": f"{len(found)} Odoo products have this {how}",
                },
            )
        elif not found:
            p._add(p.missing_in_odoo, "sku", {"shopify": sku, "name": name})
        elif sku in skip:
            p._add(
                p.missing_in_odoo, "sku", {"shopify": sku, "name": name, "why": "left unmapped on request"}
            )
        else:
            product = found[0]
            p.rows.append(
                (
                    "sku",
                    sku,
                    {"product_id": int(product["id"]), "default_code": product.get("default_code") or ""},
                )
            )
            p._add(
                p.matched,
                "sku",
                {"shopify": sku, "odoo": f"{product['name']} (id {product['id']})", "how": how},
            )
    delivery = {int(c["product_id"]) for c in odoo.carriers if c.get("product_id")}
    for code in sorted(set(by_code) - seen):
        if all(int(product["id"]) in delivery for product in by_code[code]):
            continue  # a carrier's delivery product is not sold as a Shopify variant
        p._add(p.missing_in_shopify, "sku", {"odoo": code, "name": by_code[code][0]["name"]})


def _taxes(p: Proposal, shopify: ShopifySide, odoo: OdooSide, company: int | None) -> None:
    """The company's own sale taxes only: a tax of another company would be refused on its orders."""
    for title, rate_text in shopify.taxes:
        rate = to_decimal(rate_text, what="tax rate")
        key = tax_key(title, rate)
        value: dict[str, Any] = {}
        for included, id_field, name_field in (
            (False, "tax_id", "name"),
            (True, "included_tax_id", "included_name"),
        ):
            candidates = [
                t
                for t in odoo.taxes
                if t.active
                and t.company_id in (None, company)
                and t.amount_type == "percent"
                and t.amount == rate * 100
                and t.price_include == included
            ]
            treatment = "prices include tax" if included else "prices exclude tax"
            if len(candidates) == 1:
                value[id_field], value[name_field] = candidates[0].id, candidates[0].name
                p._add(p.matched, "tax", {"shopify": key, "odoo": candidates[0].name, "how": treatment})
            elif candidates:
                p._add(
                    p.ambiguous,
                    "tax",
                    {
                        "shopify": key,
                        "candidates": [t.name for t in candidates],
                        "why": f"{treatment}: pick one",
                    },
                )
            elif included == shopify.taxes_included:
                p._add(
                    p.missing_in_odoo,
                    "tax",
                    {"shopify": key, "why": f"no Odoo sale tax for orders whose {treatment}"},
                )
                how = (
                    "price_include_override 'tax_included' (Included in Price: Tax Included)"
                    if included and odoo.version >= 18
                    else "price_include True (Included in Price)"
                    if included
                    else "price_include_override 'tax_excluded'"
                    if odoo.version >= 18
                    else "price_include False"
                )
                p.create_in_odoo.append(
                    f"an active sale tax, type percent, amount {normalize_rate(rate * 100)}, {how}, for "
                    f"Shopify's {title!r} ({treatment})"
                )
        if value:
            p.rows.append(("tax", key, value))


def _shipping(p: Proposal, shopify: ShopifySide, odoo: OdooSide, hints: Hints) -> None:
    for code, title in shopify.shipping:
        key = code or title
        wanted = hints.shipping.get(key)
        names = {_norm(wanted)} if wanted else {_norm(code), _norm(title)} - {""}
        found = [c for c in odoo.carriers if _norm(c["name"]) in names]
        if len(found) == 1:
            carrier = found[0]
            p.rows.append(
                (
                    "shipping",
                    key,
                    {
                        "product_id": int(carrier["product_id"]),
                        "carrier_id": int(carrier["id"]),
                        "name": carrier["name"],
                    },
                )
            )
            p._add(p.matched, "shipping", {"shopify": key, "odoo": carrier["name"]})
        elif found:
            p._add(p.ambiguous, "shipping", {"shopify": key, "candidates": [c["name"] for c in found]})
        else:
            p._add(p.missing_in_odoo, "shipping", {"shopify": key, "title": title})


def _gateways(p: Proposal, shopify: ShopifySide, odoo: OdooSide, hints: Hints, company: int | None) -> None:
    journals = [j for j in odoo.journals if company is None or j.get("company_id") in (None, company)]
    for gateway in shopify.gateways:
        code = hints.gateways.get(gateway)
        if code:
            found = [j for j in journals if j.get("code") == code]
        else:
            found = [
                j
                for j in journals
                if _norm(j["name"]) == _norm(gateway) and j.get("type") in ("bank", "cash")
            ]
        if len(found) == 1:
            p.rows.append(("gateway", gateway, {"journal_id": int(found[0]["id"]), "name": found[0]["name"]}))
            p._add(
                p.matched,
                "gateway",
                {"shopify": gateway, "odoo": f"{found[0]['name']} ({found[0].get('code')})"},
            )
        elif found:
            p._add(p.ambiguous, "gateway", {"shopify": gateway, "candidates": [j["name"] for j in found]})
        else:
            p._add(p.missing_in_odoo, "gateway", {"shopify": gateway, "why": "no journal named like it"})


def _locations(p: Proposal, shopify: ShopifySide, odoo: OdooSide, hints: Hints) -> None:
    for location_id, name in shopify.locations:
        wanted = hints.locations.get(name)
        if wanted:
            found = [loc for loc in odoo.locations if loc.get("complete_name") == wanted]
        else:
            found = [loc for loc in odoo.locations if _norm(loc.get("name", "")) == _norm(name)]
        if len(found) == 1:
            target = found[0]
            p.rows.append(
                (
                    "location",
                    location_id,
                    {"location_id": int(target["id"]), "name": target["complete_name"], "shopify_name": name},
                )
            )
            p._add(p.matched, "location", {"shopify": name, "odoo": target["complete_name"]})
        elif found:
            p._add(
                p.ambiguous,
                "location",
                {"shopify": name, "candidates": [loc["complete_name"] for loc in found]},
            )
        else:
            p._add(p.missing_in_odoo, "location", {"shopify": name})


def _tracking_companies(p: Proposal, odoo: OdooSide, hints: Hints) -> None:
    """Odoo carriers to the tracking company Shopify knows them by (only as the hints say)."""
    names = {str(c["name"]) for c in odoo.carriers}
    for name, tracking in hints.carriers.items():
        if name in names:
            value = {"company": tracking.get("company", ""), "url": tracking.get("url", "")}
            p.rows.append(("carrier", name, value))
            p._add(p.matched, "carrier", {"odoo": name, "shopify": value["company"]})
        else:
            p._add(p.missing_in_odoo, "carrier", {"shopify": tracking.get("company", ""), "odoo": name})
