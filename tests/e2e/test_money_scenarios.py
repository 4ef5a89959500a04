"""Money scenarios through both stand-ins with exact amounts: discounted orders with taxes included and
excluded and their shipping, then partial refunds without restock, with restock ``cancel`` (before delivery)
and with a return (after it), and refunds of shipping only, in full or in part. After every step the order's
money is read from both systems and compared to the cent: Odoo's invoices less credit notes are Shopify's
current total, Odoo's payments of Shopify's transactions are Shopify's net payment, and nothing is left owing
on either side (tests/e2e/test_order_to_cash.py and tests/e2e/test_refunds.py hold the single-step cases)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sync.connectors.odoo import OdooClient, connect
from sync.engine.clients import shopify_client_for
from sync.models import ExternalLink, JobState
from tests.support.money import assert_money_agrees
from tests.support.odoo import odoo_config

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]
ZERO = Decimal(0)


def _client(pipeline: Any) -> OdooClient:
    return connect(odoo_config(pipeline.odoo))


def _refund(pipeline: Any, order: dict[str, Any], **body: Any) -> tuple[dict[str, Any], Any]:
    before = len(pipeline.jobs(subject=f"order:{order['id']}", kind="refund.create"))
    refund = pipeline.shopify.control.refund(order["id"], **body)
    pipeline.settle(expect_jobs=len(pipeline.jobs()) + 1, timeout=180)
    jobs = pipeline.jobs(subject=f"order:{order['id']}", kind="refund.create")
    assert len(jobs) == before + 1
    return refund, jobs[-1]


def _given_back(refund: dict[str, Any]) -> Decimal:
    return sum(
        (Decimal(t["amount"]) for t in refund["transactions"] if t["kind"] == "refund"),
        ZERO,
    )


def _assert_money_agrees(pipeline: Any, order: dict[str, Any], odoo_name: str) -> None:
    assert_money_agrees(shopify_client_for(pipeline.shop), _client(pipeline), order["id"], odoo_name)


def _line(order: dict[str, Any], sku: str) -> dict[str, Any]:
    return next(li for li in order["line_items"] if li["sku"] == sku)


@pytest.mark.parametrize(
    ("seed", "options", "shipping_refund"),
    [
        (181, {"taxes_included": False, "discount_code": "WELCOME10"}, "2.50"),
        (182, {"taxes_included": True, "automatic_discount": True, "shipping": "EXPRESS"}, True),
    ],
    ids=["taxes-excluded-code-part-of-the-shipping", "taxes-included-automatic-all-the-shipping"],
)
def test_refunds_of_shipping_and_lines_with_and_without_restock_keep_both_systems_equal(
    pipeline: Any, seed: int, options: dict[str, Any], shipping_refund: Any
) -> None:
    # given a paid, discounted order with shipping, booked, invoiced and paid in Odoo
    opts: dict[str, Any] = {
        "skus": SKUS,
        "quantity": 3,
        "seed": seed,
        "discount_code": None,
        "automatic_discount": False,
        "gift_card": False,
        "shipping": "STANDARD",
        "presentment_currency": "EUR",
        "guest": False,
        **options,
    }
    order = pipeline.generate_orders(1, **opts)[0]
    assert order["taxes_included"] is options["taxes_included"]
    assert Decimal(order["total_discounts"]) > 0
    pipeline.settle(expect_jobs=1)
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == JobState.SUCCEEDED, job.error_message
    client = _client(pipeline)
    invoice = client.read_invoice(job.result["cash"]["odoo_invoice_id"])
    assert invoice is not None
    assert (invoice.amount_total, invoice.amount_tax) == (
        Decimal(order["total_price"]),
        Decimal(order["total_tax"]),
    )
    name = invoice.invoice_origin
    _assert_money_agrees(pipeline, order, name)
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))

    # when Shopify refunds shipping only (all of it, or part of it)
    refund, job = _refund(pipeline, order, shipping=shipping_refund)
    # then a credit note of exactly that is posted and paid back, and both systems agree
    assert job.state == JobState.SUCCEEDED, job.error_message
    shipping = order["shipping_lines"][0]
    gross = Decimal(shipping["price"]) + (
        ZERO if order["taxes_included"] else sum((Decimal(t["price"]) for t in shipping["tax_lines"]), ZERO)
    )
    if shipping_refund is True:
        assert _given_back(refund) == gross
    else:
        assert ZERO < _given_back(refund) < gross
    credit = client.read_invoice(job.result["odoo_credit_note_id"])
    assert credit is not None and credit.amount_total == _given_back(refund)
    assert credit.payment_state == "paid"
    _assert_money_agrees(pipeline, order, name)

    # when one unit of the first line is refunded without restocking
    first, second = _line(order, SKUS[0]), _line(order, SKUS[1])
    refund, job = _refund(
        pipeline,
        order,
        line_items=[{"line_item_id": first["id"], "quantity": 1, "restock_type": "no_restock"}],
    )
    # then only money moves: a credit note of one unit, paid back; the delivery still holds all three
    assert job.state == JobState.SUCCEEDED, job.error_message
    credit = client.read_invoice(job.result["odoo_credit_note_id"])
    assert credit is not None and credit.amount_total == _given_back(refund) > 0
    [picking] = client.order_pickings(link.odoo_id)
    assert {m.sku: m.demand for m in picking.moves} == {SKUS[0]: Decimal(3), SKUS[1]: Decimal(3)}
    _assert_money_agrees(pipeline, order, name)

    # when one unit of the second line is refunded and restocked (cancel) before anything shipped
    refund, job = _refund(
        pipeline, order, line_items=[{"line_item_id": second["id"], "quantity": 1, "restock_type": "cancel"}]
    )
    # then the credit note is exact and the open delivery is one unit smaller
    assert job.state == JobState.SUCCEEDED, job.error_message
    credit = client.read_invoice(job.result["odoo_credit_note_id"])
    assert credit is not None and credit.amount_total == _given_back(refund) > 0
    [picking] = client.order_pickings(link.odoo_id)
    assert {m.sku: m.demand for m in picking.moves} == {SKUS[0]: Decimal(3), SKUS[1]: Decimal(2)}
    _assert_money_agrees(pipeline, order, name)

    # when the order is delivered and one more unit of the first line comes back as a return
    client.validate_picking(picking.id)
    refund, job = _refund(
        pipeline, order, line_items=[{"line_item_id": first["id"], "quantity": 1, "restock_type": "return"}]
    )
    # then the credit note is exact, and a validated return brought the unit back
    assert job.state == JobState.SUCCEEDED, job.error_message
    credit = client.read_invoice(job.result["odoo_credit_note_id"])
    assert credit is not None and credit.amount_total == _given_back(refund) > 0
    [ret] = job.result["returns"]
    assert list(ret["quantities"].values()) == ["1"]
    info = client.read_order(link.odoo_id)
    assert info is not None
    assert {ln.sku: ln.qty_delivered for ln in info.lines if ln.sku in SKUS} == {
        SKUS[0]: Decimal(2),
        SKUS[1]: Decimal(2),
    }
    _assert_money_agrees(pipeline, order, name)


def test_lines_added_to_an_invoiced_order_are_invoiced_again_and_paid_by_the_edits_payment(
    pipeline: Any,
) -> None:
    # given a paid order, invoiced and paid in Odoo, nothing shipped yet
    order = pipeline.generate_orders(
        1,
        skus=[SKUS[0]],
        quantity=2,
        seed=183,
        discount_code=None,
        automatic_discount=False,
        gift_card=False,
        shipping="STANDARD",
        presentment_currency="EUR",
        guest=False,
    )[0]
    pipeline.settle(expect_jobs=1)
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == JobState.SUCCEEDED, job.error_message
    client = _client(pipeline)
    first = client.read_invoice(job.result["cash"]["odoo_invoice_id"])
    assert first is not None and first.payment_state == "paid"
    control = pipeline.shopify.control

    # when an edit in Shopify adds a line (two units of another product)
    before = len(pipeline.jobs())
    control.advance_clock(60)
    control.edit(order["id"], add=[{"sku": SKUS[1], "quantity": 2}])
    pipeline.settle(expect_jobs=before + 2)
    # then Odoo's order has the line, and a second invoice holds exactly what the edit added, to be paid
    jobs = pipeline.order_jobs(order["id"], "order.upsert")
    assert {j.state for j in jobs} == {JobState.SUCCEEDED}, [j.error_message for j in jobs]
    edited = control.order(order["id"])
    added = Decimal(edited["current_total_price"]) - Decimal(order["total_price"])
    assert added > 0 and Decimal(edited["total_outstanding"]) == added
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))
    info = client.read_order(link.odoo_id)
    assert info is not None
    assert {ln.sku: ln.quantity for ln in info.lines if ln.sku in SKUS} == {SKUS[0]: 2, SKUS[1]: 2}
    invoices = [m for m in client.invoices_for_order(info.name) if m.move_type == "out_invoice"]
    assert [(m.id, m.state, m.amount_total, m.payment_state) for m in invoices] == [
        (first.id, "posted", first.amount_total, "paid"),
        (invoices[-1].id, "posted", added, "not_paid"),
    ]
    assert invoices[-1].id != first.id
    assert {ln.product_id for ln in client.move_lines(invoices[-1].id)} == {
        ln.product_id for ln in info.lines if ln.sku == SKUS[1]
    }

    # when the customer pays what the edit added (a new sale transaction)
    before = len(pipeline.jobs())
    control.advance_clock(60)
    tx = control.pay(order["id"])
    pipeline.settle(expect_jobs=before + 1)
    # then that payment pays the second invoice, and both systems agree to the cent
    jobs = pipeline.order_jobs(order["id"], "order.upsert")
    assert {j.state for j in jobs} == {JobState.SUCCEEDED}, [j.error_message for j in jobs]
    [payment] = client.payments_for_reference(tx["admin_graphql_api_id"])
    assert (payment.amount, payment.payment_type, payment.invoice_ids) == (
        added,
        "inbound",
        (invoices[-1].id,),
    )
    second = client.read_invoice(invoices[-1].id)
    assert second is not None and (second.payment_state, second.amount_residual) == ("paid", ZERO)
    _assert_money_agrees(pipeline, order, info.name)

    # when a unit of the added line and a unit of the first line are refunded (no restock)
    added_line = next(li for li in control.order(order["id"])["line_items"] if li["sku"] == SKUS[1])
    given_back = ZERO
    for line, invoice_id in ((added_line, invoices[-1].id), (_line(order, SKUS[0]), first.id)):
        refund, job = _refund(
            pipeline,
            order,
            line_items=[{"line_item_id": line["id"], "quantity": 1, "restock_type": "no_restock"}],
        )
        # then each credit note reverses the invoice that holds the line, for exactly the refund
        assert job.state == JobState.SUCCEEDED, job.error_message
        credit = client.read_invoice(job.result["odoo_credit_note_id"])
        assert credit is not None
        assert (credit.reversed_entry_id, credit.amount_total) == (invoice_id, _given_back(refund))
        given_back += _given_back(refund)
    _assert_money_agrees(pipeline, order, info.name)

    # when a later edit takes a unit off the invoiced order
    before = len(pipeline.jobs())
    control.advance_clock(60)
    control.edit(order["id"], remove=[{"line_item_id": added_line["id"], "quantity": 1}])
    pipeline.settle(expect_jobs=before + 2)
    # then Odoo is not changed: the job parks naming the difference, and no third invoice is made
    parked = [
        j for j in pipeline.order_jobs(order["id"], "order.upsert") if j.state == JobState.NEEDS_ATTENTION
    ]
    assert parked and {(j.error_code, j.error_key) for j in parked} == {
        ("order_edit_after_fulfilment", "invoiced")
    }
    now = control.order(order["id"])
    difference = Decimal(edited["current_total_price"]) - given_back - Decimal(now["current_total_price"])
    assert f"difference {difference}" in parked[0].error_message
    after = client.read_order(link.odoo_id)
    assert after is not None
    assert {ln.sku: ln.quantity for ln in after.lines if ln.sku in SKUS} == {SKUS[0]: 2, SKUS[1]: 2}
    assert len([m for m in client.invoices_for_order(info.name) if m.move_type == "out_invoice"]) == 2
