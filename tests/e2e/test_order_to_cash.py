"""Order to cash through both sandboxes: a paid Shopify order is invoiced in Odoo by the invoicing wizard,
posted, and paid by each of Shopify's transactions in the journal mapped for its gateway — every amount and
the invoice's payment state read back from Odoo."""

from __future__ import annotations

import json
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


def _order(pipeline: Any, seed: int, **options: Any) -> dict[str, Any]:
    opts = {
        "skus": SKUS,
        "quantity": 2,
        "seed": seed,
        "discount_code": None,
        "automatic_discount": False,
        "gift_card": False,
        "shipping": "STANDARD",
        "presentment_currency": "EUR",
        "guest": False,
    }
    opts.update(options)
    return pipeline.generate_orders(1, **opts)[0]  # type: ignore[no-any-return]


def _journal(client: OdooClient, code: str) -> str:
    rows = client.execute("account.journal", "search_read", domain=[("code", "=", code)], fields=["name"])
    return str(rows[0]["name"])


def _shop_setting(pipeline: Any, **values: Any) -> None:
    """A new mapping version whose SHOP row carries ``values`` (the worker reads it on its next job)."""
    entry = MappingEntry.objects.get(shop=pipeline.shop, table=MappingTable.SHOP, valid_to__isnull=True)
    mapping_apply(
        shop=pipeline.shop, rows=[MappingRow(MappingTable.SHOP, entry.key, {**entry.value, **values})]
    )


@pytest.mark.parametrize(
    ("seed", "options"),
    [
        (171, {"discount_code": "WELCOME10"}),
        (172, {"automatic_discount": True, "shipping": "EXPRESS", "quantity": 3}),
    ],
    ids=["discount-code", "automatic-discount-express"],
)
def test_a_paid_order_is_invoiced_posted_and_paid_by_its_transaction(
    pipeline: Any, seed: int, options: dict[str, Any]
) -> None:
    # given a paid order in Shopify
    order = _order(pipeline, seed, **options)
    # when its webhook is handled
    pipeline.settle(expect_jobs=1)
    # then Odoo holds one posted invoice of Shopify's total, paid by one payment whose memo is the transaction
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == JobState.SUCCEEDED, job.error_message
    cash = job.result["cash"]
    client = _client(pipeline)
    invoice = client.read_invoice(cash["odoo_invoice_id"])
    assert invoice is not None
    assert (invoice.move_type, invoice.state) == ("out_invoice", "posted")
    assert invoice.amount_total == Decimal(order["total_price"])
    assert invoice.amount_tax == Decimal(order["total_tax"])
    assert (invoice.payment_state, invoice.amount_residual) == ("paid", Decimal(0))
    [gid] = list(cash["payments"])
    assert gid.startswith("gid://shopify/OrderTransaction/")
    [payment] = client.payments_for_reference(gid)
    assert (payment.memo, payment.amount, payment.payment_type) == (gid, invoice.amount_total, "inbound")
    assert payment.journal == _journal(client, "SHOP")
    assert payment.invoice_ids == (invoice.id,)
    # and a later update of the order registers nothing twice
    before = len(pipeline.jobs())
    pipeline.shopify.control.advance_clock(2)  # a newer updated_at: the update is not stale
    pipeline.shopify.control.touch_order(order["id"])
    pipeline.settle(expect_jobs=before + 1)
    assert len(pipeline.order_jobs(order["id"], "order.upsert")) == 2
    assert len(client.payments_for_reference(gid)) == 1
    assert (
        len([m for m in client.invoices_for_order(invoice.invoice_origin) if m.move_type == "out_invoice"])
        == 1
    )


def test_a_gift_card_and_a_card_pay_one_invoice_in_their_own_journals(pipeline: Any) -> None:
    order = _order(pipeline, 173, gift_card="20.00")
    pipeline.settle(expect_jobs=1)
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == JobState.SUCCEEDED, job.error_message
    cash = job.result["cash"]
    client = _client(pipeline)
    invoice = client.read_invoice(cash["odoo_invoice_id"])
    assert invoice is not None and invoice.amount_total == Decimal(order["total_price"])
    assert (invoice.payment_state, invoice.amount_residual) == ("paid", Decimal(0))
    by_gateway = {p["gateway"]: Decimal(p["amount"]) for p in cash["payments"].values()}
    assert by_gateway == {
        "gift_card": Decimal("20.00"),
        "shopify_payments": Decimal(order["total_price"]) - Decimal("20.00"),
    }
    journals = {gid: client.payments_for_reference(gid)[0].journal for gid in cash["payments"]}
    gift = next(g for g, p in cash["payments"].items() if p["gateway"] == "gift_card")
    assert journals[gift] == _journal(client, "GIFT")


def test_an_order_not_paid_yet_is_booked_but_not_invoiced(pipeline: Any) -> None:
    # given an order whose payment is pending (bank transfer), delivered as Shopify would
    order = _order(pipeline, 174)
    pipeline.settle(expect_jobs=1)
    delivery = pipeline.deliveries("orders/create", order["id"])[0]
    body = json.loads(delivery["body"])
    body["id"] = int(body["id"]) + 100000
    body["admin_graphql_api_id"] = f"gid://shopify/Order/{body['id']}"
    body["name"] = body["name"] + "-P"
    body["financial_status"] = "pending"
    # when it is handled
    before = len(pipeline.jobs())
    pipeline.post_webhook(topic="orders/create", body=json.dumps(body).encode())
    pipeline.settle(expect_jobs=before + 1)
    # then the sale order exists, nothing is invoiced, and the result says why
    [job] = pipeline.order_jobs(body["id"], "order.upsert")
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert job.result["cash"] == {
        "policy": "paid",
        "invoice": "waiting",
        "why": "financial status pending: nothing captured yet",
    }
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(body["id"]))
    client = _client(pipeline)
    info = client.read_order(link.odoo_id, with_lines=False)
    assert info is not None and client.invoices_for_order(info.name) == []


def test_with_the_delivered_policy_an_order_waits_for_its_delivery(pipeline: Any) -> None:
    # given a shop that invoices on delivery
    _shop_setting(pipeline, invoice_on="delivered")
    order = _order(pipeline, 175)
    pipeline.settle(expect_jobs=1)
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.result["cash"] == {"policy": "delivered", "invoice": "waiting", "why": "not delivered yet"}
    # when Odoo delivers it and Shopify's order changes
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))
    client = _client(pipeline)
    client.validate_picking(client.order_pickings(link.odoo_id)[0].id)
    before = len(pipeline.jobs())
    pipeline.shopify.control.advance_clock(2)  # a newer updated_at: the update is not stale
    pipeline.shopify.control.touch_order(order["id"])
    pipeline.settle(expect_jobs=before + 1)
    # then it is invoiced and paid
    # (the delivery also goes to Shopify as a fulfilment, whose orders/updated may arrive as a stale update)
    jobs = pipeline.order_jobs(order["id"], "order.upsert")
    assert all(j.state == JobState.SUCCEEDED for j in jobs), [j.error_message for j in jobs]
    [invoiced] = [j for j in jobs if "odoo_invoice_id" in (j.result.get("cash") or {})]
    invoice = client.read_invoice(invoiced.result["cash"]["odoo_invoice_id"])
    assert invoice is not None and invoice.amount_total == Decimal(order["total_price"])
    assert invoice.payment_state == "paid"
