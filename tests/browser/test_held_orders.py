"""Held orders in the browser, with both sandboxes and a real worker: a high-risk order placed in the Shopify
sandbox is listed with its risk facts; an operator clicks Release; the row says so at once, and the order is
confirmed and invoiced in Odoo."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sync.models import JobState, OrderHold
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.e2e.conftest import odoo_sandbox_19, pipeline, shopify_sandbox, worker  # noqa: F401
from tests.e2e.test_risky_orders import HIGH_RISK, SKUS

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_an_operator_releases_a_held_order_and_odoo_confirms_and_invoices_it(
    pipeline,  # noqa: F811
    page,
    login,
    make_user,
    screenshot,
):
    make_user("ops", username="olivia")
    # given a high-risk order held by the order flow
    order = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=321, risk=HIGH_RISK)[0]
    pipeline.settle(expect_jobs=1)
    [sale] = pipeline.sale_orders(order["id"])
    assert sale["state"] == "draft"
    hold = OrderHold.objects.get(shopify_order_id=str(order["id"]))

    # when an operator opens the held orders
    login("olivia")
    page.goto("/orders/held/")
    row = page.locator(f"#hold-row-{hold.pk}")
    expect(row).to_contain_text(order["name"])
    expect(row.get_by_test_id("hold-risk")).to_contain_text("CANCEL")
    expect(row.get_by_test_id("hold-risk")).to_contain_text("Card was declined 3 times before this order")
    assert_no_horizontal_scroll(page)
    screenshot("held-orders-1-held")

    # and clicks Release
    row.get_by_test_id("hold-release").click()

    # then the row is replaced in place, without its buttons, naming the release job
    expect(row.get_by_test_id("hold-status")).to_contain_text("Being released")
    expect(row.get_by_test_id("hold-release")).to_have_count(0)
    expect(row.get_by_test_id("hold-job")).to_be_visible()

    # and the worker confirms the order in Odoo and invoices it, once
    pipeline.settle()
    [release] = pipeline.jobs(kind="order.release")
    assert release.state == JobState.SUCCEEDED, release.error_message
    [sale] = pipeline.rpc.env["sale.order"].search_read(
        [("client_order_ref", "=", str(order["id"]))], ["state", "invoice_ids"]
    )
    assert (sale["state"], len(sale["invoice_ids"])) == ("sale", 1)
    page.goto("/orders/held/?view=decided")
    expect(page.locator(f"#hold-row-{hold.pk}").get_by_test_id("hold-status")).to_contain_text("Released")
    expect(page.locator(f"#hold-row-{hold.pk}").get_by_test_id("hold-status")).to_contain_text("by olivia")
    screenshot("held-orders-2-released")
    page.goto("/audit/")
    expect(page.get_by_text(f"release held order {order['name']}")).to_be_visible()
