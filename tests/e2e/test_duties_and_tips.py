"""Tips and import duties through both stand-ins with a real worker, every amount to the cent: an order
with a tip is booked with the tip on the shop's tip product, an order with duties with them on its duties
product, so that Odoo's order and invoice total Shopify's ``total_price``; a refund that gives duties or a tip
back is a credit note with a line on that product, equal to what Shopify gave back, and a note on the Odoo
order says what was given back (issue 16, "duties and tips recorded with a note")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sync.connectors.odoo import OdooClient, connect
from sync.engine.clients import shopify_client_for
from sync.models import ExternalLink, JobState, MappingEntry, MappingTable
from sync.services.mappings import MappingRow, mapping_apply
from tests.support.money import assert_money_agrees
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
    assert_money_agrees(shopify_client_for(pipeline.shop), _client(pipeline), order["id"], odoo_name)


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


def _refund(pipeline: Any, order: dict[str, Any], **body: Any) -> tuple[dict[str, Any], Any]:
    before = len(pipeline.jobs(subject=f"order:{order['id']}", kind="refund.create"))
    refund = pipeline.shopify.control.refund(order["id"], **body)
    pipeline.settle(expect_jobs=len(pipeline.jobs()) + 1, timeout=180)
    jobs = pipeline.jobs(subject=f"order:{order['id']}", kind="refund.create")
    assert len(jobs) == before + 1
    job = jobs[-1]
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert job.result["outcome"] == "credit_note"
    return refund, job


def _given_back(refund: dict[str, Any]) -> Decimal:
    return sum((Decimal(t["amount"]) for t in refund["transactions"] if t["kind"] == "refund"), ZERO)


def test_a_refund_of_a_line_and_its_duties_is_a_credit_note_of_both_and_a_note_on_the_order(
    pipeline: Any,
) -> None:
    # given an order charged duties, booked, invoiced and paid
    products = _products(pipeline)
    order, job = _booked(pipeline, 163, duties="0.10")
    assert order["total_price"] == "148.88"
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))
    first = order["line_items"][0]
    [duty] = first["duties"]
    # when Shopify refunds the first line's two units (not restocked) and gives back their duty
    refund, job = _refund(
        pipeline,
        order,
        line_items=[{"line_item_id": first["id"], "quantity": 2, "restock_type": "no_restock"}],
        duties=[{"duty_id": duty["id"], "refund_type": "FULL"}],
    )
    # then Shopify gave back 101.40 of which 7.80 duties, and Odoo's credit note is 101.40 exactly, with the
    # duties on the duties product, posted and paid back
    line_gross = Decimal(str(refund["refund_line_items"][0]["subtotal"])) + Decimal(
        str(refund["refund_line_items"][0]["total_tax"])
    )
    assert (refund["total_duties_set"]["shop_money"]["amount"], _given_back(refund)) == (
        "7.80",
        Decimal("101.40"),
    )
    assert line_gross + Decimal("7.80") == Decimal("101.40")
    assert refund["order_adjustments"] == []
    client = _client(pipeline)
    credit = client.read_invoice(job.result["odoo_credit_note_id"])
    assert credit is not None
    assert (credit.amount_total, credit.payment_state) == (Decimal("101.40"), "paid")
    assert job.result["odoo_total"] == job.result["shopify_total"] == "101.40"
    assert _lines_on(pipeline, "account.move", credit.id, products["duties"]) == [
        (Decimal(1), Decimal("7.80"), Decimal("7.80"))
    ]
    # and the Odoo order's chatter says what was given back
    notes = [m for m in pipeline.chatter(link.odoo_id) if f"<p>Shopify refund {refund['id']}" in m]
    assert notes == [
        f"<p>Shopify refund {refund['id']}: duties 7.80 EUR given back (credit note {credit.name})</p>"
    ]
    _assert_money_agrees(pipeline, order, _order_name(pipeline, link))


def _order_name(pipeline: Any, link: ExternalLink) -> str:
    info = _client(pipeline).read_order(link.odoo_id, with_lines=False)
    assert info is not None
    return info.name


def test_a_tip_given_back_is_a_credit_note_on_the_tip_product_and_a_note_on_the_order(pipeline: Any) -> None:
    # given an order with a 4.50 tip, booked, invoiced and paid
    products = _products(pipeline)
    order, job = _booked(pipeline, 164, tip="4.50")
    assert (order["total_price"], order["total_tip_received"]) == ("142.38", "4.50")
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))
    # when the merchant gives the tip back: a refund of 4.50 through the card, no items (Shopify states the
    # money beyond the items as a refund discrepancy)
    refund, job = _refund(
        pipeline,
        order,
        transactions=[{"kind": "refund", "gateway": "shopify_payments", "amount": "4.50"}],
    )
    assert [(a["kind"], a["amount"]) for a in refund["order_adjustments"]] == [
        ("refund_discrepancy", "-4.50")
    ]
    assert _given_back(refund) == Decimal("4.50")
    # then Odoo's credit note is 4.50 exactly, on the tip product, posted and paid back
    client = _client(pipeline)
    credit = client.read_invoice(job.result["odoo_credit_note_id"])
    assert credit is not None
    assert (credit.amount_total, credit.payment_state) == (Decimal("4.50"), "paid")
    assert _lines_on(pipeline, "account.move", credit.id, products["tip"]) == [
        (Decimal(1), Decimal("4.50"), Decimal("4.50"))
    ]
    # and the Odoo order's chatter says what was given back
    notes = [m for m in pipeline.chatter(link.odoo_id) if f"<p>Shopify refund {refund['id']}" in m]
    assert notes == [
        f"<p>Shopify refund {refund['id']}: tip 4.50 EUR given back (credit note {credit.name})</p>"
    ]
    _assert_money_agrees(pipeline, order, _order_name(pipeline, link))


def test_a_tip_given_back_in_two_refunds_is_credited_on_the_tip_product_up_to_the_tip_once_each(
    pipeline: Any,
) -> None:
    # given an order with a 4.50 tip, booked, invoiced and paid, and the shop's refund adjustment product
    products = _products(pipeline)
    adjustment = pipeline.rpc.env["product.product"].create(
        {"name": "Refund adjustments", "type": "service", "list_price": 0.0, "taxes_id": [(6, 0, [])]}
    )
    entry = MappingEntry.objects.get(shop=pipeline.shop, table=MappingTable.SHOP, valid_to__isnull=True)
    value = {**entry.value, "refund_adjustment_product_id": adjustment}
    mapping_apply(shop=pipeline.shop, rows=[MappingRow(MappingTable.SHOP, entry.key, value)])
    order, _ = _booked(pipeline, 165, tip="4.50")
    assert (order["total_price"], order["total_tip_received"]) == ("142.38", "4.50")
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))
    client = _client(pipeline)
    card = {"kind": "refund", "gateway": "shopify_payments"}

    # when 3.00 of the tip is given back, and Shopify delivers that refund twice
    first, job = _refund(pipeline, order, transactions=[{**card, "amount": "3.00"}])
    delivery = pipeline.deliveries("refunds/create", None)[-1]
    assert pipeline.post_webhook(topic="refunds/create", body=delivery["body"].encode()).status_code == 200
    pipeline.settle()
    # then one credit note of 3.00 on the tip product, and one note on the order
    jobs = pipeline.jobs(subject=f"order:{order['id']}", kind="refund.create")
    assert [j.state for j in jobs] == [JobState.SUCCEEDED, JobState.SUCCEEDED]
    assert jobs[1].result["odoo_credit_note_id"] == job.result["odoo_credit_note_id"]
    credit = client.read_invoice(job.result["odoo_credit_note_id"])
    assert credit is not None and (credit.amount_total, credit.payment_state) == (Decimal("3.00"), "paid")
    assert _lines_on(pipeline, "account.move", credit.id, products["tip"]) == [
        (Decimal(1), Decimal("3.00"), Decimal("3.00"))
    ]
    notes = [m for m in pipeline.chatter(link.odoo_id) if f"Shopify refund {first['id']}" in m]
    assert notes == [
        f"<p>Shopify refund {first['id']}: tip 3.00 EUR given back (credit note {credit.name})</p>"
    ]

    # when 2.50 more is given back: 1.50 is what is left of the tip, 1.00 is beyond it
    second, job = _refund(pipeline, order, transactions=[{**card, "amount": "2.50"}])
    # then the credit note is 2.50 exactly: 1.50 on the tip product, 1.00 on the refund adjustment product
    credit = client.read_invoice(job.result["odoo_credit_note_id"])
    assert credit is not None and (credit.amount_total, credit.payment_state) == (Decimal("2.50"), "paid")
    assert _lines_on(pipeline, "account.move", credit.id, products["tip"]) == [
        (Decimal(1), Decimal("1.50"), Decimal("1.50"))
    ]
    assert _lines_on(pipeline, "account.move", credit.id, adjustment) == [
        (Decimal(1), Decimal("1.00"), Decimal("1.00"))
    ]
    notes = [m for m in pipeline.chatter(link.odoo_id) if f"Shopify refund {second['id']}" in m]
    assert notes == [
        f"<p>Shopify refund {second['id']}: tip 1.50 EUR given back (credit note {credit.name})</p>"
    ]
    # and Shopify's current total (142.38 - 5.50 = 136.88) is Odoo's invoiced less credited
    assert _current_total(pipeline, order) == Decimal("136.88")
    _assert_money_agrees(pipeline, order, _order_name(pipeline, link))


def _current_total(pipeline: Any, order: dict[str, Any]) -> Decimal:
    return Decimal(pipeline.shopify.control.order(order["id"])["current_total_price"])


def test_an_edit_of_an_order_with_a_tip_and_duties_books_the_added_line_and_neither_again(
    pipeline: Any,
) -> None:
    # given an order with a 2.00 tip and 10 % duties, booked and invoiced (one unit of one product)
    products = _products(pipeline)
    order, _ = _booked(pipeline, 166, tip="2.00", duties="0.10", skus=["MERINOTE-M-NAVY"], quantity=1)
    assert (order["total_price"], order["original_total_duties_set"]["shop_money"]["amount"]) == (
        "58.58",
        "3.90",
    )
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))
    # when an edit in Shopify adds two units of another product
    control = pipeline.shopify.control
    before = len(pipeline.jobs())
    control.advance_clock(60)
    control.edit(order["id"], add=[{"sku": "CERAMICM-SAND", "quantity": 2}])
    pipeline.settle(expect_jobs=before + 2)
    jobs = pipeline.order_jobs(order["id"], "order.upsert")
    assert {j.state for j in jobs} == {JobState.SUCCEEDED}, [j.error_message for j in jobs]
    # then Odoo's order totals Shopify's current total, with one tip line and one duties line as before
    edited = control.order(order["id"])
    info = _client(pipeline).read_order(link.odoo_id)
    assert info is not None
    assert info.amount_total == Decimal(edited["current_total_price"]) == Decimal("96.98")
    assert _lines_on(pipeline, "sale.order", link.odoo_id, products["tip"]) == [
        (Decimal(1), Decimal("2.00"), Decimal("2.00"))
    ]
    assert _lines_on(pipeline, "sale.order", link.odoo_id, products["duties"]) == [
        (Decimal(1), Decimal("3.90"), Decimal("3.90"))
    ]
