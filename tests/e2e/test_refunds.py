"""Refunds from the Shopify sandbox to the Odoo sandbox: credit notes for exactly what was refunded, paid by
the refund's transactions, returns, and orders adjusted when nothing is invoiced yet — every amount read back
from Odoo and compared with Shopify's to the cent."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from sync.connectors.odoo import OdooClient, connect
from sync.engine.clients import shopify_client_for
from sync.models import ExternalLink, JobState, MappingEntry, MappingTable, Problem
from sync.services.mappings import MappingRow, mapping_apply
from tests.support.money import odoo_money, shopify_money
from tests.support.odoo import odoo_config

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]
CENT = Decimal("0.01")


def _client(pipeline: Any) -> OdooClient:
    return connect(odoo_config(pipeline.odoo))


def _book(pipeline: Any, seed: int, **options: Any) -> tuple[dict[str, Any], int]:
    opts = {
        "skus": SKUS,
        "quantity": 3,
        "seed": seed,
        "discount_code": None,
        "automatic_discount": False,
        "gift_card": False,
        "shipping": "STANDARD",
        "presentment_currency": "EUR",
        "guest": False,
    }
    opts.update(options)
    order = pipeline.generate_orders(1, **opts)[0]
    pipeline.settle(expect_jobs=1)
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))
    return order, link.odoo_id


def _refund_jobs(pipeline: Any, order_id: int) -> list[Any]:
    return pipeline.jobs(subject=f"order:{order_id}", kind="refund.create")


def _refund(pipeline: Any, order: dict[str, Any], **body: Any) -> tuple[dict[str, Any], Any]:
    before = len(_refund_jobs(pipeline, order["id"]))
    refund = pipeline.shopify.control.refund(order["id"], **body)
    pipeline.settle(expect_jobs=len(pipeline.jobs()) + 1)
    jobs = _refund_jobs(pipeline, order["id"])
    assert len(jobs) == before + 1
    return refund, jobs[-1]


def _shopify_total(refund: dict[str, Any]) -> Decimal:
    return sum(
        (
            Decimal(t["amount"])
            for t in refund["transactions"]
            if t["kind"] == "refund" and t["status"] == "success"
        ),
        Decimal(0),
    )


def _line(order: dict[str, Any], sku: str) -> dict[str, Any]:
    return next(li for li in order["line_items"] if li["sku"] == sku)


def test_a_partial_refund_with_a_return_after_invoicing_is_an_exact_credit_note_paid_back(
    pipeline: Any,
) -> None:
    # given a paid order of 3 + 3 units with a discount code, invoiced in Odoo and delivered
    order, odoo_id = _book(pipeline, seed=161, discount_code="WELCOME10")
    client = _client(pipeline)
    invoice = client.invoice_order(odoo_id)
    assert invoice.amount_total == Decimal(order["total_price"])
    picking = client.order_pickings(odoo_id)[0]
    client.validate_picking(picking.id)
    line = _line(order, SKUS[0])

    # when Shopify refunds 2 of the first line, restocked as a return
    refund, job = _refund(
        pipeline, order, line_items=[{"line_item_id": line["id"], "quantity": 2, "restock_type": "return"}]
    )

    # then Odoo has one posted credit note for exactly the refund, paid back by the refund's transaction
    assert job.state == JobState.SUCCEEDED, job.error_message
    total = _shopify_total(refund)
    assert total > 0
    credit = client.read_invoice(job.result["odoo_credit_note_id"])
    assert credit is not None
    assert (credit.move_type, credit.state, credit.reversed_entry_id) == ("out_refund", "posted", invoice.id)
    assert credit.amount_total.quantize(CENT) == total
    assert (credit.payment_state, credit.amount_residual) == ("paid", Decimal(0))
    lines = client.move_lines(credit.id)
    assert sum(ln.quantity for ln in lines) == Decimal(2)
    tx = next(t for t in refund["transactions"] if t["kind"] == "refund")
    payments = client.payments_for_reference(tx["admin_graphql_api_id"])
    assert [(p.payment_type, p.amount, p.memo) for p in payments] == [
        ("outbound", total, tx["admin_graphql_api_id"])
    ]
    # and the goods came back through a validated return of the delivery
    assert [r["quantities"] for r in job.result["returns"]] == [
        {str(client.read_order(odoo_id).lines[0].product_id): "2"}  # type: ignore[union-attr]
    ]
    ret = client.execute("stock.picking", "read", [job.result["returns"][0]["return_id"]], fields=["state"])
    assert ret[0]["state"] == "done"
    info = client.read_order(odoo_id)
    assert info is not None
    delivered = {ln.sku: ln.qty_delivered for ln in info.lines if ln.sku in SKUS}
    assert delivered == {SKUS[0]: Decimal(1), SKUS[1]: Decimal(3)}
    # and the fulfilments flow leaves that return alone (Shopify's refund settled it: no fulfilment cancelled)
    pipeline.settle()
    for follow in pipeline.jobs(kind="fulfillment.return"):
        assert follow.result and follow.result["outcome"] == "shopify_refund_return", follow.result
    # and the receivable for the order is what Shopify still holds: invoiced less credited
    assert invoice.amount_total - credit.amount_total == Decimal(order["total_price"]) - total


def test_a_refund_delivered_twice_makes_one_credit_note(pipeline: Any) -> None:
    # given an invoiced order refunded once
    order, odoo_id = _book(pipeline, seed=162)
    client = _client(pipeline)
    invoice = client.invoice_order(odoo_id)
    line = _line(order, SKUS[1])
    refund, job = _refund(
        pipeline,
        order,
        line_items=[{"line_item_id": line["id"], "quantity": 1, "restock_type": "no_restock"}],
    )
    assert job.state == JobState.SUCCEEDED, job.error_message
    # when the same refund is delivered again (a new delivery id, as Shopify's retries have)
    delivery = pipeline.deliveries("refunds/create", None)[-1]
    response = pipeline.post_webhook(topic="refunds/create", body=delivery["body"].encode())
    assert response.status_code == 200
    pipeline.settle()
    # then there is still one credit note and one payment, and the second job found them
    jobs = _refund_jobs(pipeline, order["id"])
    assert [j.state for j in jobs] == [JobState.SUCCEEDED, JobState.SUCCEEDED]
    assert jobs[1].result["odoo_credit_note_id"] == jobs[0].result["odoo_credit_note_id"]
    credits = [m for m in client.invoices_for_order(invoice.invoice_origin) if m.move_type == "out_refund"]
    assert len(credits) == 1 and credits[0].amount_total.quantize(CENT) == _shopify_total(refund)
    tx = next(t for t in refund["transactions"] if t["kind"] == "refund")
    assert len(client.payments_for_reference(tx["admin_graphql_api_id"])) == 1


def test_a_shipping_only_refund_credits_the_shipping_with_its_tax(pipeline: Any) -> None:
    order, odoo_id = _book(pipeline, seed=163, shipping="EXPRESS")
    client = _client(pipeline)
    client.invoice_order(odoo_id)
    refund, job = _refund(pipeline, order, shipping=True)
    assert job.state == JobState.SUCCEEDED, job.error_message
    total = _shopify_total(refund)
    shipping = order["shipping_lines"][0]
    shipping_gross = Decimal(shipping["price"]) + sum(
        (Decimal(t["price"]) for t in shipping["tax_lines"]), Decimal(0)
    )
    assert total == shipping_gross
    credit = client.read_invoice(job.result["odoo_credit_note_id"])
    assert credit is not None and credit.amount_total.quantize(CENT) == total
    assert [(ln.quantity, ln.price_unit) for ln in client.move_lines(credit.id)] == [
        (Decimal(1), Decimal(shipping["price"]))
    ]
    assert credit.payment_state == "paid"


def test_a_refund_before_the_invoice_takes_the_lines_off_the_order(pipeline: Any) -> None:
    # given a shop invoicing on delivery and a booked order, not invoiced, nothing shipped
    entry = MappingEntry.objects.get(shop=pipeline.shop, table=MappingTable.SHOP, valid_to__isnull=True)
    mapping_apply(
        shop=pipeline.shop,
        rows=[MappingRow(MappingTable.SHOP, entry.key, {**entry.value, "invoice_on": "delivered"})],
    )
    order, odoo_id = _book(pipeline, seed=164)
    client = _client(pipeline)
    before = client.read_order(odoo_id)
    assert before is not None
    line = _line(order, SKUS[0])
    # when 1 unit is refunded (restock: cancel) with the shipping
    refund, job = _refund(
        pipeline,
        order,
        line_items=[{"line_item_id": line["id"], "quantity": 1, "restock_type": "cancel"}],
        shipping=True,
    )
    # then the Odoo order is smaller by exactly the refund, and its open delivery by the unit
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert job.result["outcome"] == "order_adjusted"
    after = client.read_order(odoo_id)
    assert after is not None
    total = _shopify_total(refund)
    assert before.amount_total - after.amount_total == total
    assert after.amount_total == Decimal(order["total_price"]) - total
    quantities = {ln.sku: ln.quantity for ln in after.lines if ln.sku in SKUS}
    assert quantities == {SKUS[0]: Decimal(2), SKUS[1]: Decimal(3)}
    pick = client.order_pickings(odoo_id)[0]
    demand = {m.sku: m.demand for m in pick.moves}
    assert demand[SKUS[0]] == Decimal(2)
    # and when it is delivered and invoiced, the invoice holds what Shopify kept, paid by the sale; the
    # refund's transaction is paid out to the customer against what the sale overpaid, and nothing is open
    client.validate_picking(pick.id)
    before_jobs = len(pipeline.jobs())
    pipeline.shopify.control.advance_clock(2)
    pipeline.shopify.control.touch_order(order["id"])
    pipeline.settle(expect_jobs=before_jobs + 1)
    jobs = pipeline.order_jobs(order["id"], "order.upsert")
    assert {j.state for j in jobs} == {JobState.SUCCEEDED}, [j.error_message for j in jobs]
    invoices = [m for m in client.invoices_for_order(after.name) if m.move_type == "out_invoice"]
    assert [(m.amount_total, m.payment_state, m.amount_residual) for m in invoices] == [
        (Decimal(order["total_price"]) - total, "paid", Decimal(0))
    ]
    tx = next(t for t in refund["transactions"] if t["kind"] == "refund")
    [payout] = client.payments_for_reference(tx["admin_graphql_api_id"])
    assert (payout.payment_type, payout.amount, payout.is_reconciled) == ("outbound", total, True)
    assert jobs[-1].result["cash"]["paid_out"][tx["admin_graphql_api_id"]]["amount"] == str(total)
    shopify = shopify_money(shopify_client_for(pipeline.shop), order["id"])
    odoo = odoo_money(client, after.name, shopify.transaction_ids)
    assert (odoo.invoiced - odoo.credited, odoo.received - odoo.paid_out) == (
        shopify.current_total,
        shopify.net_payment,
    )
    assert odoo.receivable == shopify.receivable == Decimal(0)
    # and a later update books nothing twice
    pipeline.shopify.control.advance_clock(2)
    pipeline.shopify.control.touch_order(order["id"])
    pipeline.settle(expect_jobs=len(pipeline.jobs()) + 1)
    assert len(client.payments_for_reference(tx["admin_graphql_api_id"])) == 1


def test_a_refund_odoo_cannot_match_parks_as_a_finance_problem_and_posts_nothing(pipeline: Any) -> None:
    # given an invoiced order
    order, odoo_id = _book(pipeline, seed=165)
    client = _client(pipeline)
    invoice = client.invoice_order(odoo_id)
    line = _line(order, SKUS[0])
    refund = pipeline.shopify.control.refund(
        order["id"], line_items=[{"line_item_id": line["id"], "quantity": 1, "restock_type": "no_restock"}]
    )
    pipeline.settle(expect_jobs=len(pipeline.jobs()) + 1)
    job = _refund_jobs(pipeline, order["id"])[-1]
    assert job.state == JobState.SUCCEEDED, job.error_message
    # when a refund arrives whose transactions say more than its lines (a refund discrepancy), with no
    # adjustment product mapped for the shop
    body = json.loads(pipeline.deliveries("refunds/create", None)[-1]["body"])
    body["id"] = int(body["id"]) + 7
    body["admin_graphql_api_id"] = f"gid://shopify/Refund/{body['id']}"
    body["order_adjustments"] = [
        {
            "kind": "refund_discrepancy",
            "amount": "-2.50",
            "tax_amount": "0.00",
            "amount_set": {
                "shop_money": {"amount": "-2.50", "currency_code": "EUR"},
                "presentment_money": {"amount": "-2.50", "currency_code": "EUR"},
            },
        }
    ]
    for t in body["transactions"]:
        t["id"] = int(t["id"]) + 7
        t["admin_graphql_api_id"] = f"gid://shopify/OrderTransaction/{t['id']}"
        t["amount"] = str(Decimal(t["amount"]) + Decimal("2.50"))
    pipeline.post_webhook(topic="refunds/create", body=json.dumps(body).encode())
    pipeline.settle()
    # then the job parks on a finance problem naming the difference, and no second credit note is posted
    parked = _refund_jobs(pipeline, order["id"])[-1]
    assert parked.state == JobState.NEEDS_ATTENTION, parked.result
    problem = Problem.objects.get(pk=parked.problem_id)
    assert problem.finance is True and problem.error_code == "refund_mismatch"
    assert "a difference of -2.50" in parked.error_message
    posted = [
        m
        for m in client.invoices_for_order(invoice.invoice_origin)
        if m.move_type == "out_refund" and m.state == "posted"
    ]
    assert len(posted) == 1
    assert posted[0].amount_total.quantize(CENT) == _shopify_total(refund)


def test_a_line_refunded_over_several_refunds_is_never_credited_twice_in_odoo(pipeline: Any) -> None:
    # given 4 tees at 3.05 less 10 % (10.98, booked in Odoo as 2 at 2.75 and 2 at 2.74), tax-free, and a mug,
    # invoiced
    order, odoo_id = _book(
        pipeline,
        seed=171,
        skus=[SKUS[1]],
        quantity=1,
        discount_code="WELCOME10",
        shipping="none",
        custom_lines=[{"title": "Tee", "sku": SKUS[0], "price": "3.05", "quantity": 4, "tax": None}],
    )
    client = _client(pipeline)
    invoice = client.invoice_order(odoo_id)
    line = _line(order, SKUS[0])
    assert (line["quantity"], line["total_discount"]) == (4, "1.22")
    booked = client.read_order(odoo_id)
    assert booked is not None
    tee = next(ln.product_id for ln in booked.lines if ln.sku == SKUS[0])
    invoiced = {(ln.product_id, ln.price_unit): ln.quantity for ln in client.move_lines(invoice.id)}
    assert {k: v for k, v in invoiced.items() if k[0] == tee} == {
        (tee, Decimal("2.75")): Decimal(2),
        (tee, Decimal("2.74")): Decimal(2),
    }
    one = [{"line_item_id": line["id"], "quantity": 1, "restock_type": "no_restock"}]

    # when Shopify refunds one tee three times, each for 2.75 (10.98 / 4 rounded up): the first two credit
    # notes take the two units at 2.75 ...
    for _ in range(2):
        refund, job = _refund(pipeline, order, line_items=one)
        assert _shopify_total(refund) == Decimal("2.75")
        assert job.state == JobState.SUCCEEDED, job.error_message
    # ... and the third finds only units at 2.74 left
    third = pipeline.shopify.control.refund(order["id"], line_items=one)
    pipeline.settle(expect_jobs=len(pipeline.jobs()) + 1)
    assert _shopify_total(third) == Decimal("2.75")

    # then the third parks on a finance problem naming the cent (no rounding rule is configured), rather than
    # crediting a 2.75 unit a third time
    parked = _refund_jobs(pipeline, order["id"])[-1]
    assert parked.state == JobState.NEEDS_ATTENTION, parked.result
    assert Problem.objects.get(pk=parked.problem_id).finance is True
    assert "no split of the Odoo lines adds up to 2.75" in parked.error_message
    # and no posted credit note of the invoice takes more units of a line than the invoice has
    credited: dict[tuple[int | None, Decimal], Decimal] = {}
    for note in client.credit_notes_of(invoice.id):
        if note.state == "posted":
            for ln in client.move_lines(note.id):
                key = (ln.product_id, ln.price_unit)
                credited[key] = credited.get(key, Decimal(0)) + ln.quantity
    assert credited == {(tee, Decimal("2.75")): Decimal(2)}
