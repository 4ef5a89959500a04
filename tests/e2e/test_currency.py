"""Multi-currency through both sandboxes: a EUR shop's orders presented in other currencies are booked in EUR
(the presentment amounts on the order's chatter) or, with the shop's rule ``book_currency: presentment``, in
their presentment currency with the pricelist mapped for it — order, invoice, payment and a partial refund's
credit note read back from Odoo to the cent. A presentment currency without a pricelist parks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sync.connectors.odoo import OdooClient, connect
from sync.models import ExternalLink, JobState, MappingEntry, MappingTable, Problem
from sync.services.mappings import MappingRow, mapping_apply
from tests.support.odoo import odoo_config

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]


def _client(pipeline: Any) -> OdooClient:
    return connect(odoo_config(pipeline.odoo))


def _order(pipeline: Any, seed: int, currency: str) -> dict[str, Any]:
    return pipeline.generate_orders(  # type: ignore[no-any-return]
        1,
        skus=SKUS,
        quantity=3,
        seed=seed,
        discount_code=None,
        automatic_discount=False,
        gift_card=False,
        shipping="STANDARD",
        presentment_currency=currency,
        guest=False,
    )[0]


def _money(bag: dict[str, Any], side: str) -> Decimal:
    return Decimal(bag[side]["amount"])


def _pricelist(pipeline: Any, currency: str) -> int:
    """An Odoo pricelist in ``currency`` (the currency activated first, as an Odoo admin would)."""
    rpc = pipeline.rpc
    [currency_id] = rpc.env["res.currency"].with_context(active_test=False).search([("name", "=", currency)])
    rpc.env["res.currency"].browse(currency_id).write({"active": True})
    return int(rpc.env["product.pricelist"].create({"name": f"Shop {currency}", "currency_id": currency_id}))


def _book_presentment(pipeline: Any, **pricelists: int) -> None:
    """A mapping version: the SHOP row's rule books the presentment currency, with a PRICELIST row each."""
    entry = MappingEntry.objects.get(shop=pipeline.shop, table=MappingTable.SHOP, valid_to__isnull=True)
    rows = [MappingRow(MappingTable.SHOP, entry.key, {**entry.value, "book_currency": "presentment"})]
    rows += [MappingRow(MappingTable.PRICELIST, c, {"pricelist_id": pid}) for c, pid in pricelists.items()]
    mapping_apply(shop=pipeline.shop, rows=rows)


def _refund_one(pipeline: Any, order: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """Shopify refunds one unit of the first line (no restock): a partial refund."""
    line = next(li for li in order["line_items"] if li["sku"] == SKUS[0])
    before = len(pipeline.jobs())
    refund = pipeline.shopify.control.refund(
        order["id"], line_items=[{"line_item_id": line["id"], "quantity": 1, "restock_type": "no_restock"}]
    )
    pipeline.settle(expect_jobs=before + 1)
    [job] = pipeline.jobs(subject=f"order:{order['id']}", kind="refund.create")
    return refund, job


def _refunded(refund: dict[str, Any], side: str, *, included: bool) -> Decimal:
    """What the refund gave back in one currency, from its lines' bags (Shopify's own amounts)."""
    return sum(
        (
            _money(r["subtotal_set"], side) + (Decimal(0) if included else _money(r["total_tax_set"], side))
            for r in refund["refund_line_items"]
        ),
        Decimal(0),
    )


def test_an_order_presented_in_usd_is_booked_in_eur_with_the_usd_amounts_on_its_chatter(
    pipeline: Any,
) -> None:
    # given a paid order of the EUR shop that the customer saw and paid in USD
    order = _order(pipeline, 181, "USD")
    assert (order["currency"], order["presentment_currency"]) == ("EUR", "USD")
    eur_total, usd_total = (
        _money(order["total_price_set"], "shop_money"),
        _money(order["total_price_set"], "presentment_money"),
    )
    assert eur_total != usd_total
    # when its webhook is handled
    pipeline.settle(expect_jobs=1)
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == JobState.SUCCEEDED, job.error_message
    # then the Odoo order is in EUR at Shopify's shop amounts, to the cent
    client = _client(pipeline)
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))
    info = client.read_order(link.odoo_id, with_lines=False)
    assert info is not None
    assert (info.amount_total, info.amount_tax) == (eur_total, _money(order["total_tax_set"], "shop_money"))
    [row] = pipeline.rpc.env["sale.order"].read([link.odoo_id], ["currency_id", "note"])
    assert (row["currency_id"][1], row["note"]) == ("EUR", False)  # never over the Terms & Conditions
    assert link.data["booking"]["currency"] == "EUR"
    # and the USD amounts are on its chatter for reference
    usd_tax = _money(order["total_tax_set"], "presentment_money")
    [note] = [m for m in pipeline.chatter(link.odoo_id) if "presented to the customer in USD" in m]
    assert f"tax {usd_tax} USD, total {usd_total} USD" in note
    assert "Booked (EUR): " in note and f"total {eur_total} EUR" in note
    # and it is invoiced and paid in EUR by the transaction's shop amount
    invoice = client.read_invoice(job.result["cash"]["odoo_invoice_id"])
    assert invoice is not None
    assert (invoice.currency, invoice.amount_total, invoice.payment_state) == ("EUR", eur_total, "paid")
    [gid] = list(job.result["cash"]["payments"])
    [payment] = client.payments_for_reference(gid)
    assert (payment.currency, payment.amount) == ("EUR", eur_total)
    # when Shopify refunds one unit (its REST transaction states the USD amount)
    refund, refund_job = _refund_one(pipeline, order)
    assert refund_job.state == JobState.SUCCEEDED, refund_job.error_message
    [tx] = [t for t in refund["transactions"] if t["kind"] == "refund"]
    assert tx["currency"] == "USD"
    # then the credit note and its payment are the EUR amounts to the cent
    given_back = _refunded(refund, "shop_money", included=order["taxes_included"])
    credit = client.read_invoice(refund_job.result["odoo_credit_note_id"])
    assert credit is not None
    assert (credit.currency, credit.amount_total, credit.payment_state) == ("EUR", given_back, "paid")
    [back] = client.payments_for_reference(tx["admin_graphql_api_id"])
    assert (back.currency, back.amount, back.payment_type) == ("EUR", given_back, "outbound")


def test_with_the_presentment_rule_the_order_invoice_payment_and_refund_are_in_usd(pipeline: Any) -> None:
    # given the rule to book the presentment currency and a USD pricelist mapped for USD
    usd_pricelist = _pricelist(pipeline, "USD")
    _book_presentment(pipeline, USD=usd_pricelist)
    order = _order(pipeline, 182, "USD")
    usd_total = _money(order["total_price_set"], "presentment_money")
    usd_tax = _money(order["total_tax_set"], "presentment_money")
    eur_total = _money(order["total_price_set"], "shop_money")
    # when its webhook is handled
    pipeline.settle(expect_jobs=1)
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == JobState.SUCCEEDED, job.error_message
    # then the Odoo order is in USD on the USD pricelist at Shopify's presentment amounts, to the cent
    client = _client(pipeline)
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))
    info = client.read_order(link.odoo_id)
    assert info is not None
    assert (info.amount_total, info.amount_tax) == (usd_total, usd_tax)
    [row] = pipeline.rpc.env["sale.order"].read([link.odoo_id], ["currency_id", "pricelist_id"])
    assert (row["currency_id"][1], row["pricelist_id"][0]) == ("USD", usd_pricelist)
    assert (job.result["currency"], job.result["presentment_currency"]) == ("USD", "USD")
    [note] = [m for m in pipeline.chatter(link.odoo_id) if "presented to the customer in USD" in m]
    assert "In the shop's currency EUR: " in note and f"total {eur_total} EUR" in note
    # and the invoice and its payment are in USD, paid by the transaction's presentment amount
    invoice = client.read_invoice(job.result["cash"]["odoo_invoice_id"])
    assert invoice is not None
    assert (invoice.currency, invoice.amount_total, invoice.amount_tax) == ("USD", usd_total, usd_tax)
    assert (invoice.payment_state, invoice.amount_residual) == ("paid", Decimal(0))
    [(gid, registered)] = job.result["cash"]["payments"].items()
    [payment] = client.payments_for_reference(gid)
    assert (payment.currency, payment.amount, registered["amount"]) == ("USD", usd_total, str(usd_total))
    # when Shopify refunds one unit
    refund, refund_job = _refund_one(pipeline, order)
    assert refund_job.state == JobState.SUCCEEDED, refund_job.error_message
    # then the credit note is in USD for exactly what Shopify gave back, paid back in USD
    [tx] = [t for t in refund["transactions"] if t["kind"] == "refund"]
    given_back = _refunded(refund, "presentment_money", included=order["taxes_included"])
    assert (tx["currency"], Decimal(tx["amount"])) == ("USD", given_back)
    credit = client.read_invoice(refund_job.result["odoo_credit_note_id"])
    assert credit is not None
    assert (credit.move_type, credit.currency, credit.amount_total) == ("out_refund", "USD", given_back)
    assert (credit.payment_state, credit.amount_residual) == ("paid", Decimal(0))
    [back] = client.payments_for_reference(tx["admin_graphql_api_id"])
    assert (back.currency, back.amount, back.payment_type) == ("USD", given_back, "outbound")


def test_a_presentment_currency_without_its_pricelist_parks_until_one_in_that_currency_is_mapped(
    pipeline: Any,
) -> None:
    # given the presentment rule with a pricelist for USD only
    _book_presentment(pipeline, USD=_pricelist(pipeline, "USD"))
    order = _order(pipeline, 183, "GBP")
    # when an order presented in GBP arrives
    pipeline.settle(expect_jobs=1)
    # then it parks naming the currency, and nothing is written in Odoo
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == JobState.NEEDS_ATTENTION
    problem = Problem.objects.get(pk=job.problem_id)
    assert (problem.error_code, problem.error_key) == ("unknown_pricelist", "GBP")
    assert "no Odoo pricelist is mapped for GBP" in problem.message
    assert pipeline.sale_orders(order["id"]) == []
    # when a pricelist that is not in GBP is mapped for GBP (approving it replays the order)
    [eur] = pipeline.rpc.env["res.currency"].search([("name", "=", "EUR")])
    eur_pricelist = pipeline.rpc.env["product.pricelist"].search([("currency_id", "=", eur)], limit=1)[0]
    mapping_apply(
        shop=pipeline.shop, rows=[MappingRow(MappingTable.PRICELIST, "GBP", {"pricelist_id": eur_pricelist})]
    )
    pipeline.settle()
    # then it parks again, saying the pricelist is in EUR, and still nothing is written
    job.refresh_from_db()
    assert job.state == JobState.NEEDS_ATTENTION
    problem = Problem.objects.get(pk=job.problem_id)
    assert (problem.error_code, problem.error_key) == ("pricelist_currency_mismatch", "GBP")
    assert f"pricelist {eur_pricelist} mapped for GBP is in EUR" in problem.message
    assert pipeline.sale_orders(order["id"]) == []
