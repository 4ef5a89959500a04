"""Odoo fields as Odoo means them: Shopify's note to the chatter (sale.order.note is the Terms & Conditions),
date_order when Shopify processed the sale, the Shopify order name and id on the Odoo order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sync.models import JobState
from sync.transforms.timestamps import parse_shopify_timestamp


def _chatter(booking, odoo_id):
    rows = booking.odoo.execute(
        "mail.message",
        "search_read",
        domain=[("model", "=", "sale.order"), ("res_id", "=", odoo_id)],
        fields=["body"],
        order="id asc",
    )
    return [str(r["body"]) for r in rows]


@pytest.mark.parametrize("version", [17, 19])
def test_the_note_and_attributes_go_to_the_chatter_and_the_terms_and_conditions_stay(booking_for, version):
    # given an order with a note and a note attribute, on an Odoo whose orders carry Terms & Conditions
    booking = booking_for(version)
    order = booking.order(
        skus=["MERINOTE-M-NAVY"],
        quantity=1,
        seed=31,
        note="Please leave at the door",
        note_attributes=[{"name": "gift_message", "value": "Happy birthday!"}],
    )

    # when it is booked, and later its note changes in Shopify
    created = booking.run(order)
    odoo_id = created.result["odoo_order_id"]
    terms = booking.odoo.execute("sale.order", "read", [odoo_id], fields=["note"])[0]["note"]
    later = {**order, "updated_at": "2099-01-01T00:00:00Z", "note": "Ring twice"}
    updated = booking.run(later, topic="orders/updated", n=1)

    # then the notes are on the chatter, named with the Shopify order, and note (T&C) is what Odoo made
    assert (created.state, updated.state) == (JobState.SUCCEEDED, JobState.SUCCEEDED), updated.error_message
    chatter = _chatter(booking, odoo_id)
    mine = [body for body in chatter if f"Shopify order {order['name']} (id {order['id']})" in body]
    assert len(mine) == 2
    assert "Please leave at the door" in mine[0] and "gift_message: Happy birthday!" in mine[0]
    assert "Ring twice" in mine[1]
    row = booking.odoo.execute(
        "sale.order", "read", [odoo_id], fields=["note", "origin", "client_order_ref"]
    )[0]
    assert row["note"] == terms
    assert "Please leave" not in str(row["note"] or "") and "Ring twice" not in str(row["note"] or "")
    # and the Shopify order name and id are on the Odoo order
    assert (row["origin"], row["client_order_ref"]) == (order["name"], str(order["id"]))
    assert updated.result["changed"] == ["note"]


@pytest.mark.parametrize("version", [17, 19])
def test_date_order_is_when_shopify_processed_the_sale_even_after_confirmation(booking_for, version):
    # given an order Shopify processed at the very end of a month (Paris time), booked later
    booking = booking_for(version)
    order = booking.order(
        skus=["MERINOTE-M-NAVY"], quantity=1, seed=32, created_at="2026-10-31T23:45:00+01:00"
    )
    processed = parse_shopify_timestamp(order.get("processed_at") or order["created_at"])

    # when it is booked and confirmed
    job = booking.run(order)

    # then Odoo's date_order is that instant (UTC, as Odoo stores it; shown in the company's timezone)
    assert job.state == JobState.SUCCEEDED, job.error_message
    row = booking.odoo.execute(
        "sale.order", "read", [job.result["odoo_order_id"]], fields=["date_order", "state"]
    )[0]
    assert row["state"] == "sale"
    assert row["date_order"] == processed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert processed.astimezone(UTC) == datetime(2026, 10, 31, 22, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    ("confirmed_at", "rewritten"),
    [
        # within Shopify's quarter-hour: Odoo's date_order (its now) is on Shopify's date in every timezone
        (datetime(2026, 10, 31, 22, 47, 0, tzinfo=UTC), False),
        # past it (23:00 UTC is midnight in UTC+1): date_order is set back to Shopify's instant
        (datetime(2026, 10, 31, 23, 0, 30, tzinfo=UTC), True),
    ],
)
def test_date_order_is_rewritten_only_when_the_confirmation_left_shopifys_quarter_hour(
    booking_for, monkeypatch, confirmed_at, rewritten
):
    # given an order Shopify processed at 22:45:10 UTC, confirmed (by our clock) at ``confirmed_at``
    booking = booking_for(19)
    order = booking.order(
        skus=["MERINOTE-M-NAVY"], quantity=1, seed=33, created_at="2026-10-31T23:45:10+01:00"
    )
    monkeypatch.setattr("sync.flows.orders._clock", lambda: confirmed_at)

    # when it is booked and confirmed
    job = booking.run(order)

    # then date_order is written after the confirmation only when the confirmation left the quarter-hour
    assert job.state == JobState.SUCCEEDED, job.error_message
    ops = [c["op"] for a in job.attempt_set.all() for c in a.external_calls]
    assert ops.count("confirm_order") == 1
    assert ops.count("update_order") == (1 if rewritten else 0)
