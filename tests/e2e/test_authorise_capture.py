"""Authorise, then capture, through both sandboxes: an order whose card payment Shopify only authorised is
booked but pays nothing in Odoo; each capture the merchant makes later (in full, or partly, several times
as Shopify Payments' multi-capture allows) is registered as one payment of exactly its amount with the
capture transaction's gid as memo, and the invoice reads partially paid, then paid — read back from Odoo."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sync.connectors.odoo import OdooClient, connect
from sync.models import ExternalLink, JobState, MappingEntry, MappingTable
from sync.services.mappings import MappingRow, mapping_apply
from tests.support.odoo import odoo_config

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]


def _client(pipeline: Any) -> OdooClient:
    return connect(odoo_config(pipeline.odoo))


def _authorised_order(pipeline: Any, seed: int) -> dict[str, Any]:
    return pipeline.generate_orders(  # type: ignore[no-any-return]
        1,
        skus=SKUS,
        quantity=2,
        seed=seed,
        discount_code=None,
        automatic_discount=False,
        gift_card=False,
        shipping="STANDARD",
        presentment_currency="EUR",
        guest=False,
        authorize=True,
    )[0]


def _capture(pipeline: Any, order_id: int, **body: Any) -> dict[str, Any]:
    """The merchant captures (a newer updated_at, so that the order's update is not stale) and the
    orders/updated it causes is handled."""
    before = len(pipeline.jobs())
    pipeline.shopify.control.advance_clock(2)
    tx = pipeline.shopify.control.capture(order_id, **body)
    pipeline.settle(expect_jobs=before + 1)
    return tx  # type: ignore[no-any-return]


def _last_cash(pipeline: Any, order_id: int) -> dict[str, Any]:
    """The cash result of the order's latest update that was not stale."""
    jobs = pipeline.order_jobs(order_id, "order.upsert")
    assert all(j.state == JobState.SUCCEEDED for j in jobs), [j.error_message for j in jobs]
    return [j for j in sorted(jobs, key=lambda j: j.pk) if "cash" in j.result][-1].result["cash"]  # type: ignore[no-any-return]


def _shop_setting(pipeline: Any, **values: Any) -> None:
    entry = MappingEntry.objects.get(shop=pipeline.shop, table=MappingTable.SHOP, valid_to__isnull=True)
    mapping_apply(
        shop=pipeline.shop, rows=[MappingRow(MappingTable.SHOP, entry.key, {**entry.value, **values})]
    )


def test_an_authorised_order_pays_nothing_until_it_is_captured_then_its_capture_pays_the_invoice(
    pipeline: Any,
) -> None:
    # given an order whose payment Shopify only authorised
    order = _authorised_order(pipeline, 181)
    assert order["financial_status"] == "authorized"
    pipeline.settle(expect_jobs=1)
    # then it is booked, not invoiced (the shop invoices when paid), and nothing is paid in Odoo
    cash = _last_cash(pipeline, order["id"])
    assert cash == {
        "policy": "paid",
        "invoice": "waiting",
        "why": "financial status authorized: nothing captured yet",
    }
    client = _client(pipeline)
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))
    info = client.read_order(link.odoo_id, with_lines=False)
    assert info is not None and client.invoices_for_order(info.name) == []
    assert client.payments_for_reference(info.name) == []
    # when the merchant captures it in full
    capture = _capture(pipeline, order["id"])
    assert capture["kind"] == "capture" and capture["parent_id"] is not None
    assert Decimal(capture["amount"]) == Decimal(order["total_price"])
    # then the invoice is Shopify's total, paid by one payment: the capture's, memo its gid, to the cent
    cash = _last_cash(pipeline, order["id"])
    gid = capture["admin_graphql_api_id"]
    assert list(cash["payments"]) == [gid]
    assert cash["payments"][gid]["kind"] == "capture"
    invoice = client.read_invoice(cash["odoo_invoice_id"])
    assert invoice is not None and invoice.state == "posted"
    assert invoice.amount_total == Decimal(order["total_price"])
    assert (invoice.payment_state, invoice.amount_residual) == ("paid", Decimal(0))
    [payment] = client.payments_for_reference(gid)
    assert (payment.memo, payment.amount, payment.payment_type) == (gid, invoice.amount_total, "inbound")
    assert payment.invoice_ids == (invoice.id,)
    # and the authorisation itself registered nothing: it is listed as Shopify states it
    [auth_gid] = [g for g, state in cash["not_registered"].items() if state == "authorization success"]
    assert client.payments_for_reference(auth_gid) == []


def test_partial_captures_each_pay_their_own_amount_and_the_invoice_reads_partial_until_the_last(
    pipeline: Any,
) -> None:
    # given an authorised order, booked
    order = _authorised_order(pipeline, 182)
    total = Decimal(order["total_price"])
    pipeline.settle(expect_jobs=1)
    client = _client(pipeline)
    # when the merchant captures part of it
    first = _capture(pipeline, order["id"], amount="40.00")
    # then it is invoiced in full and paid by the capture: partially paid
    cash = _last_cash(pipeline, order["id"])
    invoice = client.read_invoice(cash["odoo_invoice_id"])
    assert invoice is not None and invoice.amount_total == total
    assert (invoice.payment_state, invoice.amount_residual) == ("partial", total - Decimal("40.00"))
    # when a second partial capture leaves the order partially paid (its financial status unchanged)
    second = _capture(pipeline, order["id"], amount="30.00")
    # then that capture is registered too
    cash = _last_cash(pipeline, order["id"])
    assert set(cash["payments"]) == {first["admin_graphql_api_id"], second["admin_graphql_api_id"]}
    invoice = client.read_invoice(cash["odoo_invoice_id"])
    assert invoice is not None
    assert (invoice.payment_state, invoice.amount_residual) == ("partial", total - Decimal("70.00"))
    [payment] = client.payments_for_reference(second["admin_graphql_api_id"])
    assert payment.amount == Decimal("30.00")
    # when the rest is captured
    last = _capture(pipeline, order["id"])
    assert Decimal(last["amount"]) == total - Decimal("70.00")
    # then three payments of exactly the captures' amounts pay the one invoice
    cash = _last_cash(pipeline, order["id"])
    gids = [c["admin_graphql_api_id"] for c in (first, second, last)]
    assert set(cash["payments"]) == set(gids)
    amounts = [client.payments_for_reference(g)[0].amount for g in gids]
    assert amounts == [Decimal("40.00"), Decimal("30.00"), total - Decimal("70.00")]
    invoice = client.read_invoice(cash["odoo_invoice_id"])
    assert invoice is not None
    assert (invoice.payment_state, invoice.amount_residual) == ("paid", Decimal(0))
    assert (
        len([m for m in client.invoices_for_order(invoice.invoice_origin) if m.move_type == "out_invoice"])
        == 1
    )


def test_with_the_delivered_policy_an_authorised_order_delivered_is_invoiced_but_not_paid(
    pipeline: Any,
) -> None:
    # given a shop that invoices on delivery, and an authorised order delivered by Odoo
    _shop_setting(pipeline, invoice_on="delivered")
    order = _authorised_order(pipeline, 183)
    pipeline.settle(expect_jobs=1)
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))
    client = _client(pipeline)
    client.validate_picking(client.order_pickings(link.odoo_id)[0].id)
    before = len(pipeline.jobs())
    pipeline.shopify.control.advance_clock(2)
    pipeline.shopify.control.touch_order(order["id"])
    pipeline.settle(expect_jobs=before + 1)
    # then it is invoiced, and the authorisation pays nothing
    jobs = pipeline.order_jobs(order["id"], "order.upsert")
    assert all(j.state == JobState.SUCCEEDED for j in jobs), [j.error_message for j in jobs]
    [invoiced] = [j for j in jobs if "odoo_invoice_id" in (j.result.get("cash") or {})]
    cash = invoiced.result["cash"]
    assert cash["payments"] == {}
    assert list(cash["not_registered"].values()) == ["authorization success"]
    invoice = client.read_invoice(cash["odoo_invoice_id"])
    assert invoice is not None and invoice.amount_total == Decimal(order["total_price"])
    assert (invoice.payment_state, invoice.amount_residual) == ("not_paid", invoice.amount_total)
    # when the payment is captured, the invoice is paid by it
    capture = _capture(pipeline, order["id"])
    cash = _last_cash(pipeline, order["id"])
    assert list(cash["payments"]) == [capture["admin_graphql_api_id"]]
    invoice = client.read_invoice(cash["odoo_invoice_id"])
    assert invoice is not None and invoice.payment_state == "paid"


def test_a_captured_order_refunded_is_paid_back_through_its_capture(pipeline: Any) -> None:
    # given an authorised order, captured in full and paid in Odoo by its capture
    order = _authorised_order(pipeline, 184)
    pipeline.settle(expect_jobs=1)
    capture = _capture(pipeline, order["id"])
    cash = _last_cash(pipeline, order["id"])
    assert list(cash["payments"]) == [capture["admin_graphql_api_id"]]
    # when Shopify refunds one unit (no restock): its refund transaction goes back through the capture
    line = order["line_items"][0]
    before = len(pipeline.jobs())
    refund = pipeline.shopify.control.refund(
        order["id"], line_items=[{"line_item_id": line["id"], "quantity": 1, "restock_type": "no_restock"}]
    )
    [tx] = refund["transactions"]
    assert (tx["kind"], tx["parent_id"]) == ("refund", capture["id"])
    pipeline.settle(expect_jobs=before + 1)
    # then the credit note is the refund to the cent, paid back by the refund transaction
    [job] = pipeline.jobs(subject=f"order:{order['id']}", kind="refund.create")
    assert job.state == JobState.SUCCEEDED, job.error_message
    client = _client(pipeline)
    credit = client.read_invoice(job.result["odoo_credit_note_id"])
    assert credit is not None and credit.amount_total == Decimal(tx["amount"])
    assert (credit.payment_state, credit.amount_residual) == ("paid", Decimal(0))
    [back] = client.payments_for_reference(tx["admin_graphql_api_id"])
    assert (back.payment_type, back.amount) == ("outbound", Decimal(tx["amount"]))
