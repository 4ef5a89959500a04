"""Order edits reach the Odoo order while it is editable, read back to the cent; changes that share a second
are ordered by X-Shopify-Triggered-At and the order-edit id; a delivered order gets a problem instead.

The shops here invoice on delivery (``invoice_on``), so that their confirmed orders are still editable: a shop
that invoices once paid has its orders invoiced at once, and an edit other than added lines then parks as for
a delivered order (added lines get a further invoice: tests/e2e/test_money_scenarios.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sandbox import catalogue
from sync.models import JobState, MappingTable
from sync.services.mappings import MappingRow, mapping_apply

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]


def _money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("version", [17, 19])
@pytest.mark.parametrize("taxes_included", [False, True], ids=["tax-excluded", "tax-included"])
def test_a_line_added_by_an_order_edit_reaches_the_confirmed_odoo_order_and_totals_are_verified(
    booking_for, version, taxes_included
):
    # given an order booked and confirmed in Odoo
    booking = booking_for(version, taxes_included=taxes_included)
    booking.set_shop_value(invoice_on="delivered")
    order = booking.order(skus=SKUS, quantity=1, seed=21, discount_code=None)
    assert booking.run(order).state == JobState.SUCCEEDED

    # when the merchant adds a line in Shopify (an order edit) and its orders/edited arrives
    booking.shopify.control.edit(order["id"], add=[{"sku": "MERINOTE-L-NAVY", "quantity": 2}])
    job = booking.run(booking.edit_body(order["id"]), topic="orders/edited")

    # then the Odoo order holds the new line, priced and taxed like the others, and totals Shopify's order
    assert job.state == JobState.SUCCEEDED, job.error_message
    current = booking.shopify.control.order(order["id"])
    [odoo_order] = booking.sale_orders(order["id"])
    assert odoo_order["state"] == "sale"
    added = [line for line in booking.lines(odoo_order["id"]) if "MERINOTE-L-NAVY" in line["product_id"][1]]
    assert [line["product_uom_qty"] for line in added] == [2]
    assert _money(odoo_order["amount_total"]) == Decimal(current["current_total_price"])
    assert _money(odoo_order["amount_tax"]) == Decimal(current["current_total_tax"])
    assert job.result["outcome"] == "updated"
    assert [(c["sku"], c["from"], c["to"]) for c in job.result["line_changes"]] == [("MERINOTE-L-NAVY", 0, 2)]
    assert job.result["booked"]["amount_total"] == current["current_total_price"]


def test_a_line_removed_by_an_edit_is_set_to_zero_on_the_confirmed_order(booking_for):
    booking = booking_for(19)
    booking.set_shop_value(invoice_on="delivered")
    order = booking.order(skus=SKUS, quantity=2, seed=22, discount_code=None)
    assert booking.run(order).state == JobState.SUCCEEDED
    removed = order["line_items"][1]

    booking.shopify.control.edit(order["id"], remove=[{"line_item_id": removed["id"], "quantity": 2}])
    job = booking.run(booking.edit_body(order["id"]), topic="orders/edited")

    assert job.state == JobState.SUCCEEDED, job.error_message
    current = booking.shopify.control.order(order["id"])
    [odoo_order] = booking.sale_orders(order["id"])
    quantities = {
        line["product_id"][1].split("]")[0][1:]: line["product_uom_qty"]
        for line in booking.lines(odoo_order["id"])
    }
    assert quantities[removed["sku"]] == 0
    assert quantities[order["line_items"][0]["sku"]] == 2
    assert _money(odoo_order["amount_total"]) == Decimal(current["current_total_price"])


def test_two_changes_in_one_second_are_both_applied_in_the_order_shopify_triggered_them(booking_for):
    # given an order booked in Odoo, then edited in Shopify (a line added)
    booking = booking_for(19)
    booking.set_shop_value(invoice_on="delivered")
    order = booking.order(skus=SKUS, quantity=1, seed=23, discount_code=None)
    assert booking.run(order).state == JobState.SUCCEEDED
    edited = booking.shopify.control.edit(order["id"], add=[{"sku": "MERINOTE-L-NAVY", "quantity": 1}])
    edited = booking.shopify.control.order(order["id"])
    # and, in the same second, an orders/updated that Shopify triggered just before the edit's
    earlier = {**order, "updated_at": edited["updated_at"], "note": "Ring twice"}
    t0 = datetime.now(UTC)

    # when the earlier change arrives, then the edit's orders/updated with the same updated_at
    first = booking.run(earlier, topic="orders/updated", n=1, triggered_at=t0)
    second = booking.run(edited, topic="orders/updated", n=2, triggered_at=t0 + timedelta(milliseconds=300))
    # and the earlier one is delivered again
    again = booking.run(earlier, topic="orders/updated", n=3, triggered_at=t0)

    # then both changes were applied and the repeat changed nothing
    assert (first.state, first.result["outcome"]) == (JobState.SUCCEEDED, "updated"), first.error_message
    assert (second.state, second.result["outcome"]) == (JobState.SUCCEEDED, "updated"), second.error_message
    assert second.result["line_changes"][0]["to"] == 1
    assert again.result["outcome"] == "stale"
    [odoo_order] = booking.sale_orders(order["id"])
    assert any("MERINOTE-L-NAVY" in line["product_id"][1] for line in booking.lines(odoo_order["id"]))
    assert _money(odoo_order["amount_total"]) == Decimal(edited["current_total_price"])


def test_an_edit_of_an_order_odoo_already_delivered_is_a_problem_with_the_difference(booking_for):
    # given an order booked, confirmed and delivered in Odoo
    booking = booking_for(19)
    booking.set_shop_value(invoice_on="off")
    order = booking.order(skus=SKUS, quantity=1, seed=24, discount_code=None)
    created = booking.run(order)
    assert created.state == JobState.SUCCEEDED
    odoo_id = created.result["odoo_order_id"]
    for picking in booking.odoo.order_pickings(odoo_id):
        booking.odoo.validate_picking(picking.id)
    before = booking.sale_orders(order["id"])[0]

    # when the merchant adds a line in Shopify
    booking.shopify.control.edit(order["id"], add=[{"sku": "MERINOTE-L-NAVY", "quantity": 1}])
    job = booking.run(booking.edit_body(order["id"]), topic="orders/edited")

    # then the job parks with the difference, and the Odoo order is unchanged
    current = booking.shopify.control.order(order["id"])
    total = Decimal(current["current_total_price"])
    assert job.state == JobState.NEEDS_ATTENTION
    assert (job.error_code, job.error_key) == ("order_edit_after_fulfilment", "delivered")
    assert job.finance
    assert f"Shopify now {total} EUR" in job.error_message
    assert f"difference {Decimal(order['total_price']) - total} EUR" in job.error_message
    assert "MERINOTE-L-NAVY 0 -> 1" in job.error_message
    assert booking.sale_orders(order["id"])[0]["amount_total"] == before["amount_total"]
    assert not any("MERINOTE-L-NAVY" in line["product_id"][1] for line in booking.lines(odoo_id))


def _bundle_order(booking, seed: int, rule: dict) -> dict:
    mapping_apply(shop=booking.shop, rows=[MappingRow(MappingTable.BUNDLE, "BUNDLE-SET", rule)])
    booking.set_shop_value(invoice_on="delivered")
    standard = catalogue.TAXES["standard"]
    order = booking.order(
        skus=SKUS[:1],
        quantity=1,
        seed=seed,
        discount_code=None,
        automatic_discount=False,
        custom_lines=[
            {
                "title": "Gift set",
                "sku": "BUNDLE-SET",
                "price": "45.00",
                "quantity": 2,
                "tax": [standard["shopify_title"], str(standard["rate"])],
            }
        ],
    )
    assert booking.run(order).state == JobState.SUCCEEDED
    return order


def _products(booking, *codes: str) -> list[int]:
    return [
        int(booking.odoo.execute("product.product", "search", domain=[("default_code", "=", c)])[0])
        for c in codes
    ]


def test_an_edit_of_a_kit_bundle_changes_the_kit_line_and_totals_are_verified(booking_for):
    # given a kit bundle sold twice, booked as the kit product
    booking = booking_for(19)
    [kit] = _products(booking, "POUROVER-STD")
    order = _bundle_order(booking, 25, {"mode": "kit", "product_id": kit})
    bundle = next(li for li in order["line_items"] if li["sku"] == "BUNDLE-SET")
    # when one is removed by an order edit
    booking.shopify.control.edit(order["id"], remove=[{"line_item_id": bundle["id"], "quantity": 1}])
    job = booking.run(booking.edit_body(order["id"]), topic="orders/edited")
    # then the kit line holds one, and the order totals Shopify's
    assert job.state == JobState.SUCCEEDED, job.error_message
    current = booking.shopify.control.order(order["id"])
    [odoo_order] = booking.sale_orders(order["id"])
    kits = [line for line in booking.lines(odoo_order["id"]) if line["product_id"][0] == kit]
    assert sum(line["product_uom_qty"] for line in kits) == 1
    assert _money(odoo_order["amount_total"]) == Decimal(current["current_total_price"])


def test_an_edit_of_a_bundle_booked_as_components_parks_for_a_person(booking_for):
    # given a bundle booked as a mug and a bag of beans
    booking = booking_for(19)
    mug, beans = _products(booking, "CERAMICM-SAND", "COFFEEBE-WHOLE")
    rule = {
        "mode": "components",
        "split": "ratio",
        "components": [
            {"product_id": mug, "quantity": 1, "ratio": "1"},
            {"product_id": beans, "quantity": 1, "ratio": "2"},
        ],
    }
    order = _bundle_order(booking, 26, rule)
    bundle = next(li for li in order["line_items"] if li["sku"] == "BUNDLE-SET")
    [before] = booking.sale_orders(order["id"])
    # when one bundle is removed in Shopify
    booking.shopify.control.edit(order["id"], remove=[{"line_item_id": bundle["id"], "quantity": 1}])
    job = booking.run(booking.edit_body(order["id"]), topic="orders/edited")
    # then it parks naming the bundle, and the Odoo order is unchanged
    assert (job.state, job.error_code, job.error_key) == (
        JobState.NEEDS_ATTENTION,
        "bundle_edit_by_hand",
        "BUNDLE-SET",
    )
    assert booking.sale_orders(order["id"]) == [before]
