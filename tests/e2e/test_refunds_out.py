"""Refunds from the Odoo sandbox to the Shopify sandbox, through a real worker: a credit note posted in Odoo
for a returned unit becomes exactly one Shopify refund of exactly its amount, restocked where the unit came
back; the refunds/create delivery it causes makes no second credit note; a lost answer and a replay still make
one refund; a credit note beyond what Shopify can refund parks for finance with Shopify's message."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import close_old_connections

from sync.connectors.odoo import (
    CreditNoteInput,
    CreditNoteLine,
    InvoiceInfo,
    MoveLineEdit,
    OdooClient,
    ReturnInput,
    ReversalInput,
    connect,
)
from sync.engine.changes import changes_poll
from sync.engine.replay import jobs_requeue
from sync.models import ExternalLink, JobAttempt, JobState, OdooChangeCursor, Problem, SyncJob
from tests.support.odoo import odoo_config
from tests.support.pipeline import Pipeline
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]
STREAM = "credit_notes"
CENT = Decimal("0.01")


def _client(pipeline: Pipeline) -> OdooClient:
    return connect(odoo_config(pipeline.odoo))


def _book(pipeline: Pipeline, seed: int) -> tuple[dict[str, Any], int, InvoiceInfo]:
    """A paid order of 2 + 2 units in the shop's currency, booked, invoiced and delivered in Odoo, with the
    stream of credit notes started (it reads what is posted from now on)."""
    order = pipeline.generate_orders(
        1,
        skus=SKUS,
        quantity=2,
        seed=seed,
        discount_code=None,
        automatic_discount=False,
        gift_card=False,
        shipping="STANDARD",
        presentment_currency=None,
        guest=False,
    )[0]
    pipeline.settle(expect_jobs=1)
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))
    client = _client(pipeline)
    invoice = client.invoice_order(link.odoo_id)
    assert invoice.amount_total == Decimal(order["total_price"])
    delivery = client.order_pickings(link.odoo_id)[0]
    client.validate_picking(delivery.id)
    _poll(pipeline)  # starts the stream at Odoo's newest credit note
    assert OdooChangeCursor.objects.get(shop=pipeline.shop, stream=STREAM).write_date
    return order, link.odoo_id, invoice


def _poll(pipeline: Pipeline) -> int:
    """Read the stream of credit notes once, as the ticker would (the shared worker runs none)."""
    close_old_connections()
    return changes_poll(shop_id=pipeline.shop.pk, stream_name=STREAM).jobs


def _return_one(pipeline: Pipeline, odoo_id: int, sku: str) -> int:
    """The warehouse takes one unit of ``sku`` back from the delivery (a validated return)."""
    client = _client(pipeline)
    delivery = next(p for p in client.order_pickings(odoo_id) if p.state == "done" and not p.return_of)
    product = next(m.product_id for m in delivery.moves if m.sku == sku)
    assert product is not None
    ret = client.return_picking(ReturnInput(delivery.id, {product: Decimal(1)}, key=f"warehouse-{sku}"))
    client.validate_picking(ret.picking_id)
    return product


def _credit_one_unit(pipeline: Pipeline, invoice: InvoiceInfo, product: int, reason: str) -> InvoiceInfo:
    """Finance credits one unit of ``product`` (Odoo's reversal wizard, cut down to that line, posted)."""
    client = _client(pipeline)
    draft = client.reverse_invoice(ReversalInput(invoice.id, reason, post=False))
    lines = client.move_lines(draft.id)
    keep = next(ln for ln in lines if ln.product_id == product and ln.display_type == "product")
    client.edit_draft_move(
        draft.id,
        MoveLineEdit(
            keep={keep.id: (Decimal(1), keep.price_unit)},
            remove=tuple(ln.id for ln in lines if ln.id != keep.id),
        ),
    )
    return client.post_move(draft.id)


def _settled(pipeline: Pipeline, kind: str, count: int) -> list[SyncJob]:
    def done() -> list[SyncJob] | None:
        pipeline.sweep()
        jobs = pipeline.jobs(kind=kind)
        busy = [j for j in jobs if j.state in (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING)]
        return jobs if len(jobs) >= count and not busy else None

    return wait_for(done, timeout=90, interval=0.3, message=f"{count} {kind} job(s)")  # type: ignore[no-any-return]


def _available(pipeline: Pipeline, sku: str) -> dict[int, int]:
    return {
        lv["location_id"]: lv["available"] for lv in pipeline.shopify.control.inventory() if lv["sku"] == sku
    }


def _credit_notes(pipeline: Pipeline, invoice: InvoiceInfo) -> list[InvoiceInfo]:
    return [
        m for m in _client(pipeline).invoices_for_order(invoice.invoice_origin) if m.move_type == "out_refund"
    ]


def test_a_credit_note_for_a_returned_unit_is_one_exact_refund_restocked_where_it_came_back(pipeline):
    # given a delivered, invoiced order whose warehouse took one unit back
    order, odoo_id, invoice = _book(pipeline, seed=171)
    product = _return_one(pipeline, odoo_id, SKUS[0])
    stock_before = _available(pipeline, SKUS[0])

    # when finance posts a credit note for that unit and the stream reads it
    credit = _credit_one_unit(pipeline, invoice, product, "returned by the customer")
    assert _poll(pipeline) == 1
    [job] = _settled(pipeline, "refund.push", 1)

    # then Shopify has exactly one refund, of exactly the credit note's amount, through the sale
    assert (job.state, job.result["outcome"]) == (JobState.SUCCEEDED, "refunded"), job.error_message
    shopify_order = pipeline.shopify.control.order(order["id"])
    [refund] = shopify_order["refunds"]
    given = sum((Decimal(t["amount"]) for t in refund["transactions"] if t["kind"] == "refund"), Decimal(0))
    assert given == credit.amount_total.quantize(CENT) == Decimal(job.result["shopify_total"])
    assert refund["note"] == f"Odoo credit note {credit.name}"
    line = next(li for li in shopify_order["line_items"] if li["sku"] == SKUS[0])
    [(line_item, quantity, restock, location)] = [
        (r["line_item_id"], r["quantity"], r["restock_type"], r["location_id"])
        for r in refund["refund_line_items"]
    ]
    assert (line_item, quantity, restock) == (line["id"], 1, "return")
    # and the unit is back in stock at the Shopify location the return's Odoo location maps to
    after = _available(pipeline, SKUS[0])
    assert after[location] == stock_before[location] + 1
    assert {k: v for k, v in after.items() if k != location} == {
        k: v for k, v in stock_before.items() if k != location
    }
    # and the refund is linked to the credit note, made here
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="refund", shopify_id=str(refund["id"]))
    assert (link.odoo_model, link.odoo_id, link.data["origin"]) == ("account.move", credit.id, "odoo")

    # when Shopify's refunds/create for it arrives
    [inbound] = _settled(pipeline, "refund.create", 1)

    # then it makes no second credit note
    assert (inbound.state, inbound.result["outcome"]) == (JobState.SUCCEEDED, "made_in_odoo")
    assert [c.id for c in _credit_notes(pipeline, invoice)] == [credit.id]

    # when the stream reads again and the job is replayed, then still one refund
    _poll(pipeline)
    jobs_requeue(job_ids=[job.pk], states=(JobState.SUCCEEDED,))
    [again] = _settled(pipeline, "refund.push", 1)
    assert again.result["outcome"] == "already_refunded"
    assert len(pipeline.shopify.control.order(order["id"])["refunds"]) == 1
    # and every other job the refund caused (orders/updated, stock levels) ended well
    parked = [(j.kind, j.error_message) for j in pipeline.settle() if j.state != JobState.SUCCEEDED]
    assert parked == []


def test_a_lost_answer_to_refund_create_still_makes_one_refund_and_one_credit_note(pipeline):
    # given an invoiced, delivered order and a credit note for one unit that never came back
    order, _odoo_id, invoice = _book(pipeline, seed=172)
    product = next(
        ln.product_id for ln in _client(pipeline).move_lines(invoice.id) if ln.display_type == "product"
    )
    assert product is not None
    # when Shopify makes the refund but every answer to the job's first attempt is lost (a gateway error
    # after the commit, on each of the connector's 6 tries): the attempt fails as a worker dying would, after
    # Shopify made the refund and before it was linked
    pipeline.shopify.control.api_fault("5xx", count=6, status=502, after=True, operation="refundCreate")
    credit = _credit_one_unit(pipeline, invoice, product, "goodwill: damaged in transit")
    assert _poll(pipeline) == 1
    [job] = _settled(pipeline, "refund.push", 1)
    [inbound] = _settled(pipeline, "refund.create", 1)

    # then the retry replayed refundCreate by its idempotency key: one refund, linked, not restocked
    assert (job.state, job.result["outcome"], job.attempts) == (JobState.SUCCEEDED, "refunded", 2)
    [refund] = pipeline.shopify.control.order(order["id"])["refunds"]
    assert job.result["shopify_refund_id"] == str(refund["id"])
    assert [r["restock_type"] for r in refund["refund_line_items"]] == ["no_restock"]
    given = sum((Decimal(t["amount"]) for t in refund["transactions"] if t["kind"] == "refund"), Decimal(0))
    assert given == credit.amount_total.quantize(CENT)
    # and the delivery it caused waited for the link, then did nothing: one credit note
    assert (inbound.state, inbound.result["outcome"]) == (JobState.SUCCEEDED, "made_in_odoo")
    assert [c.id for c in _credit_notes(pipeline, invoice)] == [credit.id]


def test_a_worker_killed_after_shopify_made_the_refund_leaves_one_refund_after_recovery(pipeline):
    # given an invoiced, delivered order, and Shopify holding back its answers to refundCreate (each request
    # is executed at once; the answer waits longer than the connector waits for it)
    order, _odoo_id, invoice = _book(pipeline, seed=174)
    product = next(
        ln.product_id for ln in _client(pipeline).move_lines(invoice.id) if ln.display_type == "product"
    )
    assert product is not None
    pipeline.shopify.control.api_fault(
        "latency", count=6, latency_ms=30000, after=True, operation="refundCreate"
    )

    # when a credit note is posted and the worker is killed (SIGKILL) once Shopify has made the refund
    credit = _credit_one_unit(pipeline, invoice, product, "goodwill: late delivery")
    assert _poll(pipeline) == 1
    wait_for(
        lambda: pipeline.shopify.control.order(order["id"])["refunds"],
        timeout=60,
        message="Shopify to make the refund",
    )
    pipeline.kill_worker()
    pipeline.shopify.control.clear_faults()
    [running] = pipeline.jobs(kind="refund.push")
    assert running.state == JobState.RUNNING

    # and a new worker starts, and the sweeper takes the job back once its lease has expired
    pipeline.restart_worker()
    [job] = _settled(pipeline, "refund.push", 1)
    [inbound] = _settled(pipeline, "refund.create", 1)

    # then the job replayed refundCreate by its key: still one refund, linked to the credit note
    assert (job.state, job.result["outcome"]) == (JobState.SUCCEEDED, "refunded"), job.error_message
    assert [(a.number, a.outcome) for a in job.attempt_set.order_by("number")] == [
        (1, JobAttempt.Outcome.LOST),
        (2, JobAttempt.Outcome.SUCCEEDED),
    ]
    [refund] = pipeline.shopify.control.order(order["id"])["refunds"]
    assert job.result["shopify_refund_id"] == str(refund["id"])
    given = sum((Decimal(t["amount"]) for t in refund["transactions"] if t["kind"] == "refund"), Decimal(0))
    assert given == credit.amount_total.quantize(CENT)
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="refund", shopify_id=str(refund["id"]))
    assert (link.odoo_id, link.data["origin"]) == (credit.id, "odoo")
    # and its refunds/create, delivered while the refund was not linked yet, made no second credit note
    assert (inbound.state, inbound.result["outcome"]) == (JobState.SUCCEEDED, "made_in_odoo")
    assert [c.id for c in _credit_notes(pipeline, invoice)] == [credit.id]


def test_a_credit_note_beyond_what_shopify_can_refund_parks_for_finance_with_shopifys_message(pipeline):
    # given an invoiced order of some total
    order, odoo_id, invoice = _book(pipeline, seed=173)
    client = _client(pipeline)
    total = Decimal(order["total_price"])

    # when finance posts a goodwill credit note of 25.00 more than the customer paid
    credit = client.create_credit_note(
        CreditNoteInput(
            partner_id=invoice.partner_id or 0,
            ref="goodwill beyond the payment",
            lines=(CreditNoteLine(quantity=Decimal(1), price_unit=total + 25, name="Goodwill", tax_ids=()),),
            invoice_origin=invoice.invoice_origin,
        )
    )
    assert credit.state == "posted" and credit.amount_total == total + 25
    assert _poll(pipeline) == 1
    [job] = _settled(pipeline, "refund.push", 1)

    # then the job parks as a finance problem with Shopify's message and both amounts; nothing is refunded
    assert job.state == JobState.NEEDS_ATTENTION
    problem = Problem.objects.get(pk=job.problem_id)
    assert (problem.finance, problem.error_code) == (True, "refund_refused")
    message = (
        f"Refund amount {total + 25} {order['presentment_currency']} is greater than the {total} "
        f"{order['presentment_currency']} refundable on the transaction"
    )
    assert job.error_message == (
        f"Shopify refused the refund of credit note {credit.name} ({total + 25} {order['currency']}) on "
        f"order {order['name']}, which has {total} left to refund: {message}"
    )
    assert pipeline.shopify.control.order(order["id"])["refunds"] == []
    assert not ExternalLink.objects.filter(shop=pipeline.shop, kind="refund").exists()
    assert odoo_id
