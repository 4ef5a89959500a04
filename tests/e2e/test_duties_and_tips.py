"""Tips and import duties through both stand-ins with a real worker, every amount to the cent: an order
with a tip is booked with the tip on the shop's tip product, an order with duties with them on its duties
product, so that Odoo's order and invoice total Shopify's ``total_price`` (issue 16)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sync.connectors.odoo import OdooClient, connect
from sync.engine.clients import shopify_client_for
from sync.models import ExternalLink, JobState, MappingEntry, MappingTable
from sync.services.mappings import MappingRow, mapping_apply
from tests.support.money import odoo_money, shopify_money
from tests.support.odoo import odoo_config

pytestmark = pytest.mark.e2e

ZERO = Decimal(0)
# Two units of each, no discount, shipping STANDARD, prices excluding tax: every total below is fixed.
OPTIONS = {
    "skus": ["MERINOTE-M-NAVY", "CERAMICM-SAND"],
    "quantity": 2,
    "discount_code": None,
    "automatic_discount": False,
    "gift_card": False,
    "shipping": "STANDARD",
    "presentment_currency": "EUR",
    "guest": False,
    "taxes_included": False,
}


def _client(pipeline: Any) -> OdooClient:
    return connect(odoo_config(pipeline.odoo))


def _products(pipeline: Any) -> dict[str, int]:
    """The retailer's non-taxed service products for tips and duties, mapped on the SHOP row."""
    env = pipeline.rpc.env
    service = {"type": "service", "list_price": 0.0, "invoice_policy": "order", "taxes_id": [(6, 0, [])]}
    products = {
        "tip": env["product.product"].create({"name": "Tips", "default_code": "TIP", **service}),
        "duties": env["product.product"].create(
            {"name": "Import duties", "default_code": "DUTIES", **service}
        ),
    }
    entry = MappingEntry.objects.get(shop=pipeline.shop, table=MappingTable.SHOP, valid_to__isnull=True)
    value = {**entry.value, "tip_product_id": products["tip"], "duties_product_id": products["duties"]}
    mapping_apply(shop=pipeline.shop, rows=[MappingRow(MappingTable.SHOP, entry.key, value)])
    return products


def _booked(pipeline: Any, seed: int, **options: Any) -> tuple[dict[str, Any], Any]:
    order = pipeline.generate_orders(1, seed=seed, **{**OPTIONS, **options})[0]
    pipeline.settle(expect_jobs=1)
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == JobState.SUCCEEDED, job.error_message
    return order, job


def _lines_on(pipeline: Any, move_or_order: str, record_id: int, product_id: int) -> list[tuple[Any, ...]]:
    env = pipeline.rpc.env
    if move_or_order == "sale.order":
        rows = env["sale.order.line"].search_read(
            [("order_id", "=", record_id), ("product_id", "=", product_id)],
            ["product_uom_qty", "price_unit", "price_subtotal", "price_total"],
        )
        return [
            (
                Decimal(str(r["product_uom_qty"])),
                Decimal(str(r["price_unit"])),
                Decimal(str(r["price_total"])),
            )
            for r in rows
        ]
    rows = env["account.move.line"].search_read(
        [("move_id", "=", record_id), ("product_id", "=", product_id), ("display_type", "=", "product")],
        ["quantity", "price_unit", "price_total"],
    )
    return [
        (Decimal(str(r["quantity"])), Decimal(str(r["price_unit"])), Decimal(str(r["price_total"])))
        for r in rows
    ]


def _assert_money_agrees(pipeline: Any, order: dict[str, Any], odoo_name: str) -> None:
    shopify = shopify_money(shopify_client_for(pipeline.shop), order["id"])
    odoo = odoo_money(_client(pipeline), odoo_name, shopify.transaction_ids)
    assert odoo.drafts == 0
    assert odoo.invoiced - odoo.credited == shopify.current_total
    assert odoo.received - odoo.paid_out == shopify.net_payment
    assert odoo.receivable == shopify.receivable == shopify.outstanding == ZERO


def test_an_order_with_a_tip_is_booked_and_invoiced_to_the_cent(pipeline: Any) -> None:
    # given the shop's tip product mapped
    products = _products(pipeline)
    # when an order with a 4.50 tip is handled
    order, job = _booked(pipeline, 161, tip="4.50")
    # then Shopify charged 142.38 of which 4.50 tip, and Odoo's order and invoice total 142.38 exactly
    assert (order["total_price"], order["total_tip_received"]) == ("142.38", "4.50")
    client = _client(pipeline)
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))
    info = client.read_order(link.odoo_id)
    assert info is not None
    assert (info.amount_total, info.amount_tax) == (Decimal("142.38"), Decimal(order["total_tax"]))
    assert _lines_on(pipeline, "sale.order", link.odoo_id, products["tip"]) == [
        (Decimal(1), Decimal("4.50"), Decimal("4.50"))
    ]
    # read back and verified to the cent (a difference would have parked as booked_total_mismatch)
    assert job.result["booked"]["amount_total"] == order["total_price"]
    invoice = client.read_invoice(job.result["cash"]["odoo_invoice_id"])
    assert invoice is not None
    assert (invoice.amount_total, invoice.payment_state) == (Decimal("142.38"), "paid")
    assert _lines_on(pipeline, "account.move", invoice.id, products["tip"]) == [
        (Decimal(1), Decimal("4.50"), Decimal("4.50"))
    ]
    _assert_money_agrees(pipeline, order, info.name)


def test_an_order_with_duties_is_booked_and_invoiced_to_the_cent(pipeline: Any) -> None:
    # given the shop's duties product mapped
    products = _products(pipeline)
    # when an order charged 10 % import duties on each line is handled
    order, job = _booked(pipeline, 162, duties="0.10")
    duties = [Decimal(d["shop_money"]["amount"]) for li in order["line_items"] for d in li["duties"]]
    # then Shopify charged 148.88 of which 11.00 duties, and Odoo's order and invoice total 148.88 exactly
    assert (order["total_price"], sum(duties, ZERO)) == ("148.88", Decimal("11.00"))
    assert order["original_total_duties_set"]["shop_money"]["amount"] == "11.00"
    client = _client(pipeline)
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))
    info = client.read_order(link.odoo_id)
    assert info is not None
    assert (info.amount_total, info.amount_tax) == (Decimal("148.88"), Decimal(order["total_tax"]))
    assert _lines_on(pipeline, "sale.order", link.odoo_id, products["duties"]) == [
        (Decimal(1), Decimal("11.00"), Decimal("11.00"))
    ]
    # read back and verified to the cent (a difference would have parked as booked_total_mismatch)
    assert job.result["booked"]["amount_total"] == order["total_price"]
    invoice = client.read_invoice(job.result["cash"]["odoo_invoice_id"])
    assert invoice is not None
    assert (invoice.amount_total, invoice.payment_state) == (Decimal("148.88"), "paid")
    _assert_money_agrees(pipeline, order, info.name)
