"""Risky orders end to end: an order Shopify recommends cancelling is booked in Odoo as a quotation and held
(not confirmed, invoiced, paid or reserved) until ops release it (confirmed and invoiced once) or cancel it
(cancelled in Shopify, read back, then in Odoo, once); Shopify's later assessments are followed."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from opsconsole.core.models import AuditEntry
from sync.models import ExternalLink, JobState, MappingEntry, MappingTable, OrderHold
from sync.services.holds import order_hold_decide
from sync.services.mappings import MappingRow, mapping_apply
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]
HIGH_RISK = {
    "recommendation": "CANCEL",
    "assessments": [
        {
            "risk_level": "HIGH",
            "provider": None,
            "facts": [
                {"description": "Card was declined 3 times before this order", "sentiment": "NEGATIVE"},
                {"description": "Billing address is 4,000 km from the IP location", "sentiment": "NEGATIVE"},
            ],
        }
    ],
}
LOW_RISK = {
    "recommendation": "ACCEPT",
    "assessments": [
        {
            "risk_level": "LOW",
            "provider": None,
            "facts": [{"description": "Card Verification Value (CVV) is correct", "sentiment": "POSITIVE"}],
        }
    ],
}


def _order(pipeline: Any, seed: int, risk: dict[str, Any] | None = HIGH_RISK) -> dict[str, Any]:
    options: dict[str, Any] = {
        "skus": SKUS,
        "quantity": 1,
        "seed": seed,
        "discount_code": None,
        "automatic_discount": False,
        "gift_card": False,
        "shipping": "STANDARD",
        "presentment_currency": "EUR",
        "guest": False,
    }
    if risk is not None:
        options["risk"] = risk
    return pipeline.generate_orders(1, **options)[0]  # type: ignore[no-any-return]


def _sale_order(pipeline: Any, order_id: int) -> dict[str, Any]:
    rows = pipeline.rpc.env["sale.order"].search_read(
        [("client_order_ref", "=", str(order_id))], ["name", "state", "invoice_ids", "picking_ids"]
    )
    assert len(rows) == 1
    return rows[0]  # type: ignore[no-any-return]


def _odoo_calls(pipeline: Any, method: str) -> int:
    return int(pipeline.odoo.control.counters()["calls"].get("sale.order", {}).get(method, 0))


def _order_jobs(pipeline: Any, order_id: int) -> list[Any]:
    return pipeline.jobs(subject=f"order:{order_id}")


def _shop_setting(pipeline: Any, **values: Any) -> None:
    entry = MappingEntry.objects.get(shop=pipeline.shop, table=MappingTable.SHOP, valid_to__isnull=True)
    mapping_apply(
        shop=pipeline.shop, rows=[MappingRow(MappingTable.SHOP, entry.key, {**entry.value, **values})]
    )


def _held(pipeline: Any, seed: int) -> tuple[dict[str, Any], OrderHold]:
    order = _order(pipeline, seed)
    pipeline.settle(expect_jobs=1)
    return order, OrderHold.objects.get(shop=pipeline.shop, shopify_order_id=str(order["id"]))


def test_a_high_risk_order_is_held_as_a_quotation_and_released_once(pipeline, make_user):
    # given a paid order that Shopify recommends cancelling
    order = _order(pipeline, 301)

    # when its orders/create is handled
    pipeline.settle(expect_jobs=1)

    # then Odoo holds a quotation: not confirmed, not invoiced, nothing reserved
    sale = _sale_order(pipeline, order["id"])
    assert (sale["state"], sale["invoice_ids"], sale["picking_ids"]) == ("draft", [], [])
    assert _odoo_calls(pipeline, "action_confirm") == 0
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert job.result["confirmed"] is False
    assert job.result["hold"]["status"] == "held"
    assert job.result["hold"]["recommendation"] == "CANCEL"
    assert job.result["cash"] == {"invoice": "waiting", "why": "held: held"}
    hold = OrderHold.objects.get(shop=pipeline.shop, shopify_order_id=str(order["id"]))
    assert (hold.status, hold.recommendation, hold.odoo_order_id, hold.label) == (
        "held",
        "CANCEL",
        sale["id"],
        order["name"],
    )
    assert hold.assessments == [
        {
            "risk_level": "HIGH",
            "provider": "Shopify",
            "facts": [
                {"description": "Card was declined 3 times before this order", "sentiment": "NEGATIVE"},
                {"description": "Billing address is 4,000 km from the IP location", "sentiment": "NEGATIVE"},
            ],
        }
    ]

    # when an operator releases it, twice (a double click)
    ops = make_user("ops", username="olive")
    first = order_hold_decide(actor=ops, hold=hold, decision="release")
    second = order_hold_decide(actor=ops, hold=hold, decision="release")
    pipeline.settle()

    # then one release job confirmed the order once, and order to cash invoiced and paid it once
    assert first.pk == second.pk
    first.refresh_from_db()
    assert first.state == JobState.SUCCEEDED, first.error_message
    assert (first.kind, first.subject) == ("order.release", f"order:{order['id']}")
    assert first.result["outcome"] == "released"
    assert first.result["confirmed"] is True
    assert first.result["cash"]["payment_state"] in ("paid", "in_payment")
    sale = _sale_order(pipeline, order["id"])
    assert sale["state"] == "sale"
    assert len(sale["invoice_ids"]) == 1
    assert _odoo_calls(pipeline, "action_confirm") == 1
    hold.refresh_from_db()
    assert (hold.status, hold.decided_by, hold.decision_job_id) == ("released", ops, first.pk)
    [entry] = AuditEntry.objects.filter(action="order.hold_release", object_id=str(hold.pk))
    assert entry.actor_name == "olive"
    assert entry.after == {"status": "releasing", "job": first.pk}
    assert {j.state for j in _order_jobs(pipeline, order["id"])} == {JobState.SUCCEEDED}

    # and a replay of the release (or an update of the order) confirms and invoices nothing more
    pipeline.shopify.control.advance_clock(5)  # a later second than the order's creation: not stale
    pipeline.shopify.control.touch_order(order["id"])
    wait_for(lambda: len(pipeline.order_jobs(order["id"], "order.upsert")) == 2, timeout=30, message="update")
    pipeline.settle()
    update = pipeline.order_jobs(order["id"], "order.upsert")[-1]
    assert (update.state, update.result["outcome"], update.result["confirmed"]) == (
        JobState.SUCCEEDED,
        "unchanged",
        True,
    )
    assert "hold" not in update.result
    assert _odoo_calls(pipeline, "action_confirm") == 1
    assert len(_sale_order(pipeline, order["id"])["invoice_ids"]) == 1


def test_cancelling_a_held_order_cancels_it_in_shopify_once_then_in_odoo(pipeline, make_user):
    # given a held order
    order, hold = _held(pipeline, 302)

    # when an operator cancels it
    ops = make_user("ops", username="oscar")
    job = order_hold_decide(actor=ops, hold=hold, decision="cancel")
    pipeline.settle()

    # then Shopify cancelled it for fraud, refunded and restocked, once
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert job.kind == "order.risk_cancel"
    shopify = pipeline.shopify.control.order(order["id"])
    assert shopify["cancelled_at"] is not None
    assert shopify["cancel_reason"] == "fraud"
    assert shopify["financial_status"] == "refunded"
    assert len(pipeline.deliveries("orders/cancelled", order["id"])) == 1
    assert job.result["shopify"] == "cancelled"
    assert job.result["cancel_reason"] == "FRAUD"
    assert (job.result["refund"], job.result["restock"]) == (True, True)
    # and Odoo's quotation is cancelled, never invoiced
    sale = _sale_order(pipeline, order["id"])
    assert (sale["state"], sale["invoice_ids"]) == ("cancel", [])
    assert _odoo_calls(pipeline, "action_confirm") == 0
    assert ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"])).data[
        "cancelled"
    ]
    # and Shopify's orders/cancelled for it found it cancelled already
    [cancelled] = pipeline.order_jobs(order["id"], "order.cancel")
    assert cancelled.state == JobState.SUCCEEDED, cancelled.error_message
    assert cancelled.result["outcome"] == "already_cancelled"
    assert {
        (j.kind, j.state) for j in _order_jobs(pipeline, order["id"]) if j.state != JobState.SUCCEEDED
    } == set()
    # and Shopify's one refund was taken off the cancelled quotation, which never held money
    [refund] = pipeline.jobs(subject=f"order:{order['id']}", kind="refund.create")
    assert (refund.state, refund.result["odoo_after"]) == (JobState.SUCCEEDED, "0.00")
    hold.refresh_from_db()
    assert hold.status == "cancelled"
    [entry] = AuditEntry.objects.filter(action="order.hold_cancel", object_id=str(hold.pk))
    assert entry.actor_name == "oscar"

    # when the decision is taken again, or the other one
    assert order_hold_decide(actor=ops, hold=hold, decision="cancel").pk == job.pk
    with pytest.raises(ValidationError, match="not held any more"):
        order_hold_decide(actor=ops, hold=hold, decision="release")


def test_shopify_refusing_the_cancellation_is_a_problem_and_odoo_is_untouched(pipeline, make_user):
    # given a held order that was fulfilled in Shopify meanwhile (Shopify refuses to cancel it)
    order, hold = _held(pipeline, 303)
    pipeline.shopify.control.fulfill(order["id"])

    # when an operator cancels it
    job = order_hold_decide(actor=make_user("ops"), hold=hold, decision="cancel")
    pipeline.settle()

    # then the job waits for a person with Shopify's message, and the Odoo quotation is as it was
    job.refresh_from_db()
    assert job.state == JobState.NEEDS_ATTENTION
    assert (job.error_code, job.error_key) == ("shopify_cancel_refused", "INVALID")
    assert "Cannot cancel a fulfilled order" in job.error_message
    assert job.problem is not None
    assert job.problem.title == "Shopify refused to cancel a held order (INVALID)"
    assert pipeline.shopify.control.order(order["id"])["cancelled_at"] is None
    assert _sale_order(pipeline, order["id"])["state"] == "draft"
    hold.refresh_from_db()
    assert hold.status == "cancelling"


def test_an_assessment_that_shopify_clears_releases_the_held_order(pipeline):
    # given a held order
    order, hold = _held(pipeline, 304)

    # when Shopify assesses it again and accepts it (an orders/updated)
    pipeline.shopify.control.advance_clock(5)  # a later second than the order's creation: not stale
    pipeline.shopify.control.set_risk(order["id"], LOW_RISK["recommendation"], LOW_RISK["assessments"])
    wait_for(lambda: len(pipeline.order_jobs(order["id"], "order.upsert")) == 2, timeout=30, message="update")
    pipeline.settle()

    # then the order is confirmed and invoiced as any other, and the system's decision is audited
    sale = _sale_order(pipeline, order["id"])
    assert (sale["state"], len(sale["invoice_ids"])) == ("sale", 1)
    hold.refresh_from_db()
    assert (hold.status, hold.recommendation, hold.decided_by) == ("cleared", "ACCEPT", None)
    [entry] = AuditEntry.objects.filter(action="order.hold_cleared", object_id=str(hold.pk))
    assert entry.actor_name == "system"


def test_a_confirmed_order_that_becomes_risky_is_a_problem_not_unconfirmed(pipeline):
    # given an order Shopify accepted, confirmed and invoiced
    order = _order(pipeline, 305, risk=LOW_RISK)
    pipeline.settle(expect_jobs=1)
    assert _sale_order(pipeline, order["id"])["state"] == "sale"

    # when Shopify's assessment changes to CANCEL
    pipeline.shopify.control.advance_clock(5)  # a later second than the order's creation: not stale
    pipeline.shopify.control.set_risk(order["id"], HIGH_RISK["recommendation"], HIGH_RISK["assessments"])
    wait_for(lambda: len(pipeline.order_jobs(order["id"], "order.upsert")) == 2, timeout=30, message="update")
    pipeline.settle()

    # then the order stays confirmed, and its update waits for a person with the risk facts
    assert _sale_order(pipeline, order["id"])["state"] == "sale"
    update = pipeline.order_jobs(order["id"], "order.upsert")[-1]
    assert update.state == JobState.NEEDS_ATTENTION
    assert (update.error_code, update.error_key) == ("order_risky_after_confirmation", "CANCEL")
    assert "Card was declined 3 times before this order" in update.error_message
    assert update.problem.title == "Order became risky after confirmation (CANCEL)"
    assert not OrderHold.objects.filter(shopify_order_id=str(order["id"])).exists()


def test_a_shop_that_turned_holding_off_books_risky_orders_as_any_other(pipeline):
    # given a shop whose SHOP row says hold_risky: false
    _shop_setting(pipeline, hold_risky=False)

    # when a high-risk order arrives
    order = _order(pipeline, 306)
    pipeline.settle(expect_jobs=1)

    # then it is confirmed and invoiced, and nothing is held
    sale = _sale_order(pipeline, order["id"])
    assert (sale["state"], len(sale["invoice_ids"])) == ("sale", 1)
    assert not OrderHold.objects.exists()
