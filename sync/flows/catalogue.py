"""Catalogue out: products Odoo marks for publication, created and kept up to date in Shopify.

The publication rule is per shop (the SHOP mapping row's ``publish``: ``{"category_id": N}`` — that Odoo
category and its children —, ``{"tag_id": N}`` or ``{"field": "x_name"}`` — a boolean field set). Two streams
(templates: title, description, archive; variants: SKU, barcode, price, archive) ask for one
``catalogue.push`` per template. A push reads the template and its variants from Odoo (and the shop
pricelist's fixed prices), then:

- not linked yet: adopts the Shopify product that already carries its SKUs, or creates it with
  ``productSet``; the product and each variant are linked both ways (``ExternalLink``: Shopify id ↔ Odoo id),
  so a later SKU change in Odoo renames the same Shopify variant instead of making another;
- linked: nothing when the Odoo-owned values did not change; ``productVariantsBulkUpdate`` when only
  variant fields did (price, compare-at, barcode, SKU); ``productSet`` otherwise (title, description,
  options, variants added or removed);
- archived in Odoo: the Shopify product's status becomes ARCHIVED (or DRAFT, the shop's ``archive_status``);
  nothing is ever deleted.

Fields Shopify owns (images, SEO, handle, vendor, type, tags, online-store content) are never sent.
``products/update`` from Shopify: our own echo is noted; a change of an Odoo-owned field is drift, and the
product is pushed again (Odoo's values win).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sync.connectors.odoo import ChangedRecord
from sync.flows.context import JobContext
from sync.kinds import JobRequest
from sync.models import ExternalLink, SyncJob
from sync.transforms import catalogue as t
from sync.transforms.types import ShopMappings

PUSH = "catalogue.push"
TEMPLATE = "product.template"
VARIANT = "product.product"


# ------------------------------------------------------------------------------------------------ streams


def publish_domain(mappings: ShopMappings) -> list[Any]:
    rule = mappings.options.get("publish") or {}
    both = ("active", "in", [True, False])
    if rule.get("category_id"):
        return [both, ("categ_id", "child_of", int(rule["category_id"]))]
    if rule.get("tag_id"):
        return [both, ("product_tag_ids", "in", [int(rule["tag_id"])])]
    if rule.get("field"):
        return [both, (str(rule["field"]), "=", True)]
    return [both, ("id", "=", 0)]


def catalogue_enabled(mappings: ShopMappings) -> bool:
    rule = mappings.options.get("publish") or {}
    return bool(rule.get("category_id") or rule.get("tag_id") or rule.get("field"))


def _template_of(record: ChangedRecord, model: str) -> int | None:
    if model == TEMPLATE:
        return record.id
    value = record.values.get("product_tmpl_id")
    return int(value[0]) if isinstance(value, list | tuple) and value else None


def _requests(model: str, records: Sequence[ChangedRecord], mappings: ShopMappings) -> list[JobRequest]:
    by_template: dict[int, list[ChangedRecord]] = {}
    for r in records:
        tid = _template_of(r, model)
        if tid is not None:
            by_template.setdefault(tid, []).append(r)
    out = []
    for tid, rows in sorted(by_template.items()):
        token = hashlib.blake2b(
            "|".join(f"{model}:{r.id}:{r.write_date}:{sorted(r.values.items())}" for r in rows).encode(),
            digest_size=8,
        ).hexdigest()
        out.append(
            JobRequest(
                kind=PUSH,
                idempotency_key=f"catalogue:push:{mappings.shop_domain}:{tid}:{token}",
                subject=f"product:{tid}",
                subject_label=f"Odoo product {tid}",
                input={"template_id": tid},
            )
        )
    return out


def template_requests(records: Sequence[ChangedRecord], mappings: ShopMappings) -> list[JobRequest]:
    return _requests(TEMPLATE, records, mappings)


def variant_requests(records: Sequence[ChangedRecord], mappings: ShopMappings) -> list[JobRequest]:
    return _requests(VARIANT, records, mappings)


# ------------------------------------------------------------------------------------------------- jobs


def _link(ctx: JobContext, model: str, odoo_id: int) -> ExternalLink | None:
    return ExternalLink.objects.filter(
        shop=ctx.shop, kind=ExternalLink.Kind.PRODUCT, odoo_model=model, odoo_id=odoo_id
    ).first()


def _save_links(
    ctx: JobContext, template_id: int, product_gid: str, variants: dict[str, str], **data: Any
) -> None:
    """The product and each variant linked both ways (Shopify id unique per shop; Odoo id indexed)."""
    ExternalLink.objects.update_or_create(
        shop=ctx.shop,
        kind=ExternalLink.Kind.PRODUCT,
        shopify_id=product_gid,
        defaults={"odoo_model": TEMPLATE, "odoo_id": template_id, "data": {"variants": variants, **data}},
    )
    for odoo_id, variant_gid in variants.items():
        ExternalLink.objects.update_or_create(
            shop=ctx.shop,
            kind=ExternalLink.Kind.PRODUCT,
            shopify_id=variant_gid,
            defaults={"odoo_model": VARIANT, "odoo_id": int(odoo_id), "data": {"product": product_gid}},
        )


def _variant_ids(ref_variants: Sequence[tuple[str, str]], values: dict[str, Any]) -> dict[str, str]:
    """Odoo variant id → Shopify variant gid, matched by SKU."""
    by_sku = {sku: vid for vid, sku in ref_variants if sku}
    return {odoo_id: by_sku[v["sku"]] for odoo_id, v in values["variants"].items() if v["sku"] in by_sku}


def catalogue_push(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    template_id = int((job.input or {})["template_id"])
    mappings = ctx.mappings
    with ctx.call("odoo", "read_catalogue_product"):
        product = ctx.odoo.read_catalogue_product(template_id)
    if product is None:
        return {"outcome": "not_in_odoo", "template_id": template_id}
    link = _link(ctx, TEMPLATE, template_id)
    if not product.active:
        status = "DRAFT" if mappings.options.get("archive_status") == "DRAFT" else "ARCHIVED"
        if link is None:
            return {"outcome": "archived_unpublished", "template_id": template_id}
        if link.data.get("status") == status:
            return {"outcome": "unchanged", "status": status}
        with ctx.call("shopify", "product_set"):
            ctx.shopify.product_set({"status": status}, product_id=link.shopify_id)
        link.data = {**link.data, "status": status}
        link.save(update_fields=["data", "synced_at"])
        return {"outcome": "archived", "status": status, "product": link.shopify_id}
    prices: dict[int, Decimal | None] = {}
    if mappings.pricelist_id:
        with ctx.call("odoo", "pricelist_fixed_prices"):
            fixed = ctx.odoo.pricelist_fixed_prices(
                mappings.pricelist_id, template_id, [v.id for v in product.variants]
            )
        prices = dict(fixed)
    values = t.product_values(product, prices)
    if not values["variants"]:
        return {"outcome": "no_active_variant", "template_id": template_id}
    outcome = "updated"
    if link is None:
        # A product Shopify already sells with these SKUs is adopted (also what a retry finds after a create
        # whose answer was lost): never a second product.
        skus = [v["sku"] for v in values["variants"].values() if v["sku"]]
        with ctx.call("shopify", "products_by_sku"):
            found = ctx.shopify.products_by_sku(skus)
        if found:
            product_gid = next(iter(found.values()))[0]
            variants = {
                odoo_id: found[v["sku"]][1]
                for odoo_id, v in values["variants"].items()
                if v["sku"] in found and found[v["sku"]][0] == product_gid
            }
            _save_links(ctx, template_id, product_gid, variants, pushed={}, status="")
            link = _link(ctx, TEMPLATE, template_id)
            outcome = "adopted"
        else:
            with ctx.call("shopify", "product_set"):
                ref = ctx.shopify.product_set(t.product_set_input(values, status="ACTIVE", variant_ids={}))
            _save_links(
                ctx,
                template_id,
                ref.id,
                _variant_ids(ref.variants, values),
                pushed=values,
                digest=t.digest(values),
                status="ACTIVE",
                shopify_updated_at=ref.updated_at,
            )
            return {"outcome": "created", "product": ref.id, "variants": len(ref.variants)}
    assert link is not None
    variant_ids: dict[str, str] = dict(link.data.get("variants") or {})
    if link.data.get("digest") == t.digest(values) and link.data.get("status") == "ACTIVE":
        return {"outcome": "unchanged", "product": link.shopify_id}
    before = link.data.get("pushed") or {}
    updates = t.variant_updates(before, values, variant_ids) if link.data.get("status") == "ACTIVE" else None
    updated_at = str(link.data.get("shopify_updated_at") or "")
    if updates is not None:
        mutation = "none"
        if updates:
            with ctx.call("shopify", "update_variants"):
                updated_at = ctx.shopify.update_variants(link.shopify_id, updates)
            mutation = "productVariantsBulkUpdate"
    else:
        with ctx.call("shopify", "product_set"):
            ref = ctx.shopify.product_set(
                t.product_set_input(values, status="ACTIVE", variant_ids=variant_ids),
                product_id=link.shopify_id,
            )
        variant_ids = _variant_ids(ref.variants, values)
        updated_at = ref.updated_at
        mutation = "productSet"
    _save_links(
        ctx,
        template_id,
        link.shopify_id,
        variant_ids,
        pushed=values,
        digest=t.digest(values),
        status="ACTIVE",
        shopify_updated_at=updated_at,
    )
    return {"outcome": outcome, "product": link.shopify_id, "mutation": mutation}


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def shopify_product_update(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    """``products/update``: Shopify's view of a product. Ours: compare the Odoo-owned fields with what we
    pushed; an echo is noted, a difference is drift and the product is pushed again (Odoo wins)."""
    payload = job.event.payload if job.event is not None else None
    if not isinstance(payload, dict):
        return {"outcome": "no_payload"}
    product_gid = str(payload.get("admin_graphql_api_id") or f"gid://shopify/Product/{payload.get('id')}")
    link = ExternalLink.objects.filter(
        shop=ctx.shop, kind=ExternalLink.Kind.PRODUCT, shopify_id=product_gid, odoo_model=TEMPLATE
    ).first()
    if link is None:
        return {"outcome": "not_linked", "product": product_gid}
    pushed = link.data.get("pushed") or {}
    by_gid = {gid: odoo_id for odoo_id, gid in (link.data.get("variants") or {}).items()}
    drift = []
    if pushed and payload.get("title") != pushed.get("title"):
        drift.append("title")
    for variant in payload.get("variants") or []:
        vgid = str(variant.get("admin_graphql_api_id") or f"gid://shopify/ProductVariant/{variant.get('id')}")
        odoo_id = by_gid.get(vgid)
        want = (pushed.get("variants") or {}).get(odoo_id) if odoo_id else None
        if want is None:
            continue
        if (variant.get("sku") or "") != (want["sku"] or ""):
            drift.append(f"sku:{want['sku']}")
        if str(variant.get("price")) != want["price"]:
            drift.append(f"price:{want['sku']}")
    if not drift:
        return {"outcome": "echo", "product": product_gid}
    ours = _when(link.data.get("shopify_updated_at"))
    theirs = _when(payload.get("updated_at"))
    if ours is not None and theirs is not None and theirs <= ours:
        # Shopify's state from before our last push (a late delivery): that push already set it.
        return {"outcome": "stale", "product": product_gid}
    # Odoo owns these fields: push the whole product again (forgetting what was pushed, so that a full
    # productSet sets every Odoo-owned field back).
    link.data = {**link.data, "digest": "", "pushed": {}}
    link.save(update_fields=["data", "synced_at"])
    ctx.follow_ups.append(
        JobRequest(
            kind=PUSH,
            idempotency_key=f"catalogue:reassert:{ctx.shop.pk}:{link.odoo_id}:{job.pk}",
            subject=f"product:{link.odoo_id}",
            subject_label=f"Odoo product {link.odoo_id}",
            input={"template_id": link.odoo_id},
        )
    )
    return {"outcome": "drift", "product": product_gid, "fields": drift[:20]}
