"""Shopify's published order #1001 (reference/shopify/app-js-2025-01-order.json: 598.94 USD, TENOFF, 6 % State
Tax lines whose amounts do not follow their rate), its tax and shipping mapped, on an Odoo company in USD: it
cannot book 598.94 with a 6 % tax, so it parks saying why, and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

from sync.models import JobState, MappingTable
from sync.services.mappings import MappingRow, mapping_apply
from tests.factories import ShopifyShopFactory
from tests.sync.flows.conftest import Booking

REFERENCE = Path(__file__).resolve().parents[2] / "transforms" / "data" / "app-js-2025-01-order.json"


def test_the_published_order_parks_saying_why_and_writes_nothing(booking_for):
    # given a USD company with a 6 % sale tax, the order's three SKUs, and a shop mapped to them
    booking = booking_for(19, setup=False)
    company = booking.odoo_standin.control.seed_company(
        "US Store", currency="USD", country="US", tax_rate=6.0
    )
    odoo = booking.odoo.for_company(company["company_id"])
    skus = {
        sku: odoo.execute(
            "product.product", "create", vals_list=[{"name": sku, "default_code": sku, "type": "consu"}]
        )[0]
        for sku in ("IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK")
    }
    free = odoo.execute(
        "product.product", "create", vals_list=[{"name": "Free Shipping", "type": "service"}]
    )[0]
    pricelist = odoo.execute(
        "product.pricelist", "search", domain=[("company_id", "=", company["company_id"])], limit=1
    )[0]
    shop = ShopifyShopFactory(domain="jsmith.myshopify.com", odoo=booking.shop.odoo)
    mapping_apply(
        shop=shop,
        rows=[
            MappingRow(
                MappingTable.SHOP,
                "shop",
                {"company_id": company["company_id"], "currency": "USD", "pricelist_id": pricelist},
            ),
            *[MappingRow(MappingTable.SKU, sku, {"product_id": pid}) for sku, pid in skus.items()],
            MappingRow(MappingTable.TAX, "State Tax|0.06", {"tax_id": company["sale_tax_id"]}),
            MappingRow(MappingTable.SHIPPING, "Free Shipping", {"product_id": free}),
        ],
    )
    order = json.loads(REFERENCE.read_text())
    us = Booking(19, shop, booking.shopify, booking.odoo_standin, booking.odoo)

    # when its orders/create job runs
    job = us.run(order)

    # then it parks as a finance problem naming both totals and the cause, and Odoo holds no order for it
    assert job.state == JobState.NEEDS_ATTENTION
    assert (job.error_code, job.error_key) == ("total_mismatch", "tax_lines_off_rate")
    assert job.finance
    assert "Shopify charged 598.94 USD (tax 11.94)" in job.error_message
    assert "Odoo's tax computation differs from Shopify's tax lines" in job.error_message
    assert us.sale_orders(order["id"]) == []
