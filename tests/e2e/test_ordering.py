"""Events out of order, end to end: an update before its create, an older update after a newer one, and
cancellations before and after the order was booked, confirmed and delivered."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from sync.models import ExternalLink, InboundEvent, JobState, MappingTable
from sync.services.mappings import MappingRow, mapping_apply
from sync.transforms.timestamps import parse_shopify_timestamp
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]


def _link(order_id) -> ExternalLink:
    return ExternalLink.objects.get(kind="order", shopify_id=str(order_id))


def _job_of_delivery(pipeline, delivery):
    event = InboundEvent.objects.get(webhook_id=delivery["webhook_id"])
    jobs = list(event.jobs.all())
    assert len(jobs) == 1
    return jobs[0]


def _wait_for_delivered(pipeline, topic, order_id, count=1):
    def delivered():
        rows = [d for d in pipeline.deliveries(topic, order_id) if d["status"] == "delivered"]
        return rows if len(rows) >= count else None

    return wait_for(delivered, timeout=30, message=f"{topic} of {order_id} to be delivered")


def test_an_update_before_its_create_builds_the_order_from_shopify_and_the_late_create_changes_nothing(
    pipeline,
):
    # given Shopify's orders/create for the next order is lost on the way
    pipeline.shopify.control.delivery_fault("drop", topic="orders/create", count=1)
    order = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=51)[0]

    # when the order changes in Shopify and only its orders/updated arrives
    touched = pipeline.shopify.control.touch_order(order["id"])
    update = _wait_for_delivered(pipeline, "orders/updated", order["id"])[-1]
    pipeline.settle()

    # then the order was built from Shopify's current state, read through the connector
    orders = pipeline.sale_orders(order["id"])
    assert len(orders) == 1
    assert orders[0]["state"] == "sale"
    update_job = _job_of_delivery(pipeline, update)
    assert update_job.state == JobState.SUCCEEDED
    assert update_job.result["outcome"] == "created"
    calls = [(c["system"], c["op"]) for a in update_job.attempt_set.all() for c in a.external_calls]
    assert ("shopify", "fetch_order") in calls
    assert _link(order["id"]).source_updated_at == parse_shopify_timestamp(touched["updated_at"])

    # when the lost create finally arrives (Shopify's retry, or a reconciliation)
    dropped = [d for d in pipeline.deliveries("orders/create", order["id"]) if d["status"] == "dropped"]
    assert len(dropped) == 1
    assert pipeline.redeliver(dropped[0]).json() == {"status": "stored"}
    pipeline.settle()

    # then it is recognised as older and changes nothing
    create_job = _job_of_delivery(pipeline, dropped[0])
    assert create_job.state == JobState.SUCCEEDED
    assert create_job.result["outcome"] == "stale"
    assert len(pipeline.sale_orders(order["id"])) == 1
    assert pipeline.odoo_order_creates() == 1
    assert _link(order["id"]).source_updated_at == parse_shopify_timestamp(touched["updated_at"])


def _updated(body: dict, *, minutes: int, note: str) -> bytes:
    stamp = datetime.fromisoformat(body["updated_at"]) + timedelta(minutes=minutes)
    return json.dumps({**body, "updated_at": stamp.isoformat(), "note": note, "note_attributes": []}).encode()


def test_an_older_update_after_a_newer_one_does_not_overwrite_it(pipeline):
    # given an order booked in Odoo
    order = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=52)[0]
    create = _wait_for_delivered(pipeline, "orders/create", order["id"])[0]
    pipeline.settle(expect_jobs=1)
    body = json.loads(create["body"])
    older = _updated(body, minutes=1, note="Leave it with the neighbour")
    newer = _updated(body, minutes=2, note="Deliver after 6 pm please")

    # when Shopify's two orders/updated arrive newest first
    assert pipeline.post_webhook(topic="orders/updated", body=newer).json() == {"status": "stored"}
    pipeline.settle()
    assert pipeline.post_webhook(topic="orders/updated", body=older).json() == {"status": "stored"}
    pipeline.settle()

    # then Odoo keeps the newer note, and the older update is recorded as stale
    orders = pipeline.sale_orders(order["id"])
    assert len(orders) == 1
    # (Shopify's note goes to the order's chatter; sale.order.note is Odoo's Terms & Conditions)
    chatter = pipeline.chatter(orders[0]["id"])
    assert "Deliver after 6 pm please" in chatter[-1]
    assert not any("neighbour" in body for body in chatter)
    assert not orders[0]["note"] or "Deliver" not in orders[0]["note"]
    jobs = pipeline.order_jobs(order["id"])
    assert [(j.state, j.result["outcome"]) for j in jobs] == [
        (JobState.SUCCEEDED, "created"),
        (JobState.SUCCEEDED, "updated"),
        (JobState.SUCCEEDED, "stale"),
    ]
    assert jobs[1].result["changed"] == ["note"]
    assert _link(order["id"]).source_updated_at == datetime.fromisoformat(json.loads(newer)["updated_at"])


def test_a_cancellation_that_arrives_before_the_order_books_it_cancelled_once(pipeline):
    # given the orders/create of the next order is lost, and the order is cancelled in Shopify
    pipeline.shopify.control.delivery_fault("drop", topic="orders/create", count=1)
    order = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=53)[0]
    pipeline.shopify.control.cancel(order["id"], reason="customer")
    _wait_for_delivered(pipeline, "orders/cancelled", order["id"])

    # when the cancellation (and anything else Shopify sent) has been processed
    pipeline.settle()

    # then Odoo has the order once, cancelled
    orders = pipeline.sale_orders(order["id"])
    assert len(orders) == 1
    assert orders[0]["state"] == "cancel"
    assert _link(order["id"]).data["cancelled"] is True
    jobs = pipeline.order_jobs(order["id"])
    assert {j.state for j in jobs} == {JobState.SUCCEEDED}

    # when the lost create arrives after all
    dropped = [d for d in pipeline.deliveries("orders/create", order["id"]) if d["status"] == "dropped"]
    pipeline.redeliver(dropped[0])
    pipeline.settle()

    # then nothing is created or revived
    orders = pipeline.sale_orders(order["id"])
    assert [o["state"] for o in orders] == ["cancel"]
    assert _job_of_delivery(pipeline, dropped[0]).result["outcome"] == "stale"
    assert pipeline.odoo_order_creates() == 1


def test_a_cancellation_after_confirmation_cancels_the_sale_order(pipeline):
    # given a paid order booked and confirmed in Odoo
    order = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=54)[0]
    pipeline.settle(expect_jobs=1)
    assert [o["state"] for o in pipeline.sale_orders(order["id"])] == ["sale"]

    # when it is cancelled in Shopify
    pipeline.shopify.control.cancel(order["id"], reason="customer")
    _wait_for_delivered(pipeline, "orders/cancelled", order["id"])
    pipeline.settle()

    # then the sale order is cancelled, and every job of the order succeeded
    assert [o["state"] for o in pipeline.sale_orders(order["id"])] == ["cancel"]
    jobs = pipeline.order_jobs(order["id"])
    assert {j.state for j in jobs} == {JobState.SUCCEEDED}
    assert "order.cancel" in [j.kind for j in jobs]
    assert _link(order["id"]).data["cancelled"] is True


def test_a_cancellation_after_odoo_delivered_the_order_needs_a_person_with_a_plain_reason(pipeline):
    # given an order booked in Odoo whose delivery has been validated
    order = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=55)[0]
    pipeline.settle(expect_jobs=1)
    pipeline.odoo.control.validate_picking(client_order_ref=str(order["id"]))

    # when it is cancelled in Shopify
    pipeline.shopify.control.cancel(order["id"], reason="customer")
    _wait_for_delivered(pipeline, "orders/cancelled", order["id"])
    pipeline.settle()

    # then Odoo's order stays as it is, and the cancellation waits for a person, saying why
    assert [o["state"] for o in pipeline.sale_orders(order["id"])] == ["sale"]
    cancel = [j for j in pipeline.order_jobs(order["id"]) if j.kind == "order.cancel"]
    assert len(cancel) == 1
    job = cancel[0]
    # one problem for every order cancelled after delivery; the order is in the error's context
    assert (job.state, job.error_code, job.error_key, job.fingerprint) == (
        JobState.NEEDS_ATTENTION,
        "cancel_after_delivery",
        "",
        "cancel_after_delivery:order.cancel",
    )
    assert job.error_context["order_id"] == str(order["id"])
    assert f"Shopify cancelled order {order['name']}" in job.error_message
    assert "already delivered" in job.error_message
    assert job.attempts == 1
    assert pipeline.jobs(state=JobState.DEAD) == []
    assert _link(order["id"]).data.get("cancelled") is not True


def test_an_order_edit_in_shopify_changes_the_quantities_of_the_booked_sale_order(pipeline):
    # given a shop that invoices on delivery (an invoiced order is not reduced: it parks with the difference),
    # and an order of three of each booked and confirmed in Odoo
    entry = pipeline.shop.mappings.get(table=MappingTable.SHOP, key="shop", valid_to__isnull=True)
    mapping_apply(
        shop=pipeline.shop,
        rows=[MappingRow(MappingTable.SHOP, "shop", {**entry.value, "invoice_on": "delivered"})],
    )
    order = pipeline.generate_orders(1, skus=SKUS, quantity=3, seed=56)[0]
    pipeline.settle(expect_jobs=1)

    # when one unit of its first line is removed by an order edit in Shopify, a sandbox minute later
    pipeline.shopify.control.advance_clock(60)
    line = order["line_items"][0]
    pipeline.shopify.control.edit(order["id"], remove=[{"line_item_id": line["id"], "quantity": 1}])
    _wait_for_delivered(pipeline, "orders/updated", order["id"])
    _wait_for_delivered(pipeline, "orders/edited", order["id"])
    pipeline.settle()

    # then the sale order line has the new quantity, and the other line is unchanged
    orders = pipeline.sale_orders(order["id"])
    assert len(orders) == 1
    lines = pipeline.rpc.env["sale.order.line"].search_read(
        [("order_id", "=", orders[0]["id"]), ("product_id.default_code", "in", SKUS)],
        ["product_id", "product_uom_qty"],
    )
    sku_of = {
        p["id"]: p["default_code"]
        for p in pipeline.rpc.env["product.product"].read(
            [row["product_id"][0] for row in lines], ["default_code"]
        )
    }
    by_sku: dict[str, float] = {}
    for row in lines:  # a Shopify line may be booked as several Odoo lines (cent-exact unit prices)
        sku = sku_of[row["product_id"][0]]
        by_sku[sku] = by_sku.get(sku, 0) + row["product_uom_qty"]
    assert by_sku == {line["sku"]: 2, order["line_items"][1]["sku"]: 3}
    jobs = pipeline.order_jobs(order["id"])
    assert {j.state for j in jobs} == {JobState.SUCCEEDED}
    assert "lines" in [c for j in jobs for c in (j.result.get("changed") or [])]
