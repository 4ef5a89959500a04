"""Odoo product → Shopify productSet input (sync/transforms/catalogue.py): pure, no database."""

from __future__ import annotations

from decimal import Decimal

from sync.connectors.odoo import CatalogueProduct, CatalogueVariant
from sync.transforms import catalogue as t


def product(**overrides) -> CatalogueProduct:  # type: ignore[no-untyped-def]
    values = {
        "id": 7,
        "name": "Merino tee",
        "description": "Soft & light",
        "active": True,
        "variants": (
            CatalogueVariant(11, "TEE-S", "4001", Decimal("30"), True, (("Size", "S"),)),
            CatalogueVariant(12, "TEE-M", "", Decimal("32"), True, (("Size", "M"),)),
            CatalogueVariant(13, "TEE-XS", "", Decimal("30"), False, (("Size", "XS"),)),
        ),
    }
    values.update(overrides)
    return CatalogueProduct(**values)  # type: ignore[arg-type]


def test_a_product_becomes_a_product_set_input_with_only_odoo_owned_fields():
    # given: a pricelist price below the list price for one variant
    values = t.product_values(product(), {11: Decimal("24")})
    # when
    payload = t.product_set_input(
        values, status="ACTIVE", variant_ids={"12": "gid://shopify/ProductVariant/9"}
    )
    # then
    assert payload["title"] == "Merino tee"
    assert payload["descriptionHtml"] == "<p>Soft &amp; light</p>"
    assert payload["productOptions"] == [{"name": "Size", "values": [{"name": "S"}, {"name": "M"}]}]
    assert payload["variants"] == [
        {
            "optionValues": [{"optionName": "Size", "name": "S"}],
            "sku": "TEE-S",
            "price": "24.00",
            "compareAtPrice": "30.00",
            "barcode": "4001",
        },
        {
            "optionValues": [{"optionName": "Size", "name": "M"}],
            "sku": "TEE-M",
            "price": "32.00",
            "compareAtPrice": None,
            "id": "gid://shopify/ProductVariant/9",
        },
    ]
    assert not {"images", "seo", "handle", "vendor", "tags", "productType"} & set(payload)


def test_only_variant_fields_changed_is_a_bulk_update_anything_else_a_product_set():
    ids = {"11": "gid://shopify/ProductVariant/1", "12": "gid://shopify/ProductVariant/2"}
    before = t.product_values(product(), {})
    repriced = t.product_values(product(), {12: Decimal("29")})
    renamed = t.product_values(product(name="Merino tee II"), {})
    assert t.variant_updates(before, repriced, ids) == [
        {"id": "gid://shopify/ProductVariant/2", "price": "29.00", "compareAtPrice": "32.00"}
    ]
    assert t.variant_updates(before, renamed, ids) is None
    assert t.variant_updates(before, before, ids) == []
    assert t.digest(before) == t.digest(t.product_values(product(), {}))
