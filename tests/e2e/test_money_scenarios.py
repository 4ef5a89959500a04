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
from tests.support.money import odoo_money, shopify_money
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
    shopify = shopify_money(shopify_client_for(pipeline.shop), order["id"])
    odoo = odoo_money(_client(pipeline), odoo_name, shopify.transaction_ids)
    assert odoo.drafts == 0
    assert odoo.invoiced - odoo.credited == shopify.current_total
    assert odoo.received - odoo.paid_out == shopify.net_payment
    assert odoo.receivable == shopify.receivable == shopify.outstanding == ZERO
    assert odoo.residual == ZERO


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
