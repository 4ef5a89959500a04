"""Odoo product → Shopify ``productSet`` input (pure: no I/O).

Only the fields Odoo owns are ever in the input (docs/architecture.md, "Catalogue out", has the ownership
table): title, description, status, options, and per variant its options, SKU, barcode, price and
compare-at price. Images, SEO, handle, vendor, product type, tags and online-store content are Shopify's
and never sent, so ``productSet`` leaves them as they are.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

DEFAULT_OPTION = ("Title", "Default Title")

#: What the transform reads from a product: ``name``, ``description`` and ``variants``, each with ``id``,
#: ``sku``, ``barcode``, ``price`` (list price, Decimal), ``active`` and ``options`` ((attribute, value)...)
#: — the Odoo connector's CatalogueProduct (transforms import no connector, so it is duck-typed here).
CatalogueProduct = Any


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def variant_values(
    product: CatalogueProduct, prices: Mapping[int, Decimal | None]
) -> dict[int, dict[str, Any]]:
    """Per active Odoo variant: what Shopify's variant should hold. A pricelist price below the list price
    is the price, and the list price becomes the compare-at price (a sale); otherwise no compare-at."""
    out: dict[int, dict[str, Any]] = {}
    for v in product.variants:
        if not v.active:
            continue
        price = prices.get(v.id)
        sale = price is not None and price < v.price
        out[v.id] = {
            "sku": v.sku,
            "barcode": v.barcode or None,
            "price": _money(price if price is not None else v.price),
            "compareAtPrice": _money(v.price) if sale else None,
            "options": [list(o) for o in (v.options or (DEFAULT_OPTION,))],
        }
    return out


def product_values(product: CatalogueProduct, prices: Mapping[int, Decimal | None]) -> dict[str, Any]:
    """The Odoo-owned values of a product, comparable with what was pushed before."""
    return {
        "title": product.name,
        "descriptionHtml": f"<p>{html.escape(product.description)}</p>" if product.description else "",
        "variants": {str(k): v for k, v in variant_values(product, prices).items()},
    }


def digest(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:24]


def product_set_input(
    values: Mapping[str, Any], *, status: str, variant_ids: Mapping[str, str]
) -> dict[str, Any]:
    """``ProductSetInput`` from ``product_values``: every active variant (linked ones by their Shopify id),
    options in the order the variants name them."""
    option_names: list[str] = []
    option_values: dict[str, list[str]] = {}
    for v in values["variants"].values():
        for name, value in v["options"]:
            if name not in option_values:
                option_names.append(name)
                option_values[name] = []
            if value not in option_values[name]:
                option_values[name].append(value)
    variants = []
    for odoo_id, v in values["variants"].items():
        entry: dict[str, Any] = {
            "optionValues": [{"optionName": n, "name": val} for n, val in v["options"]],
            "sku": v["sku"],
            "price": v["price"],
            "compareAtPrice": v["compareAtPrice"],
        }
        if v["barcode"]:
            entry["barcode"] = v["barcode"]
        if odoo_id in variant_ids:
            entry["id"] = variant_ids[odoo_id]
        variants.append(entry)
    return {
        "title": values["title"],
        "descriptionHtml": values["descriptionHtml"],
        "status": status,
        "productOptions": [
            {"name": n, "values": [{"name": val} for val in option_values[n]]} for n in option_names
        ],
        "variants": variants,
    }


def variant_updates(
    before: Mapping[str, Any], after: Mapping[str, Any], variant_ids: Mapping[str, str]
) -> list[dict[str, Any]] | None:
    """``productVariantsBulkUpdate`` input when only variant fields changed (price, compare-at, barcode,
    SKU) on the same linked variants; None when a ``productSet`` is needed (title, description, options,
    variants added or removed)."""
    if (
        before.get("title") != after["title"]
        or before.get("descriptionHtml") != after["descriptionHtml"]
        or set(before.get("variants", {})) != set(after["variants"])
        or not set(after["variants"]) <= set(variant_ids)
    ):
        return None
    updates = []
    for odoo_id, new in after["variants"].items():
        old = before["variants"][odoo_id]
        if old.get("options") != new["options"]:
            return None
        change: dict[str, Any] = {}
        for key in ("price", "compareAtPrice", "barcode"):
            if old.get(key) != new[key]:
                change[key] = new[key]
        if old.get("sku") != new["sku"]:
            change["inventoryItem"] = {"sku": new["sku"]}
        if change:
            updates.append({"id": variant_ids[odoo_id], **change})
    return updates
