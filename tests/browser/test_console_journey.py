"""The whole journey through the screens with both sandboxes and a real worker: an order with an unknown
SKU placed in the Shopify sandbox shows up as a problem group; one admin proposes the SKU mapping; a second
admin approves it; the order appears in the Odoo sandbox and the group clears."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sync.models import JobState, MappingChange
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.e2e.conftest import odoo_sandbox_19, pipeline, shopify_sandbox, worker  # noqa: F401
from tests.support.pipeline import UNMAPPED_SKUS

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SKU = UNMAPPED_SKUS[0]


def _log_out(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#id_username")).to_be_visible()


def test_an_unknown_sku_is_mapped_by_one_admin_approved_by_another_and_the_order_reaches_odoo(
    pipeline,  # noqa: F811
    page,
    login,
    make_user,
    screenshot,
):
    make_user("ops", username="olivia")
    make_user("integration_admin", username="admin")
    make_user("integration_admin", username="admin2")
    page.on("dialog", lambda dialog: dialog.accept())

    # given an ops user watching the exception queue
    login("olivia")
    page.goto("/exceptions/")
    expect(page.get_by_test_id("no-problems")).to_be_visible()

    # when an order with an unmapped SKU is placed in the Shopify sandbox
    order = pipeline.generate_orders(1, skus=[SKU], quantity=1, seed=11)[0]
    jobs = pipeline.settle(expect_jobs=1)

    # then the queue shows it as one problem group without a reload
    assert [j.state for j in jobs if j.kind == "order.upsert"] == [JobState.NEEDS_ATTENTION]
    group = page.get_by_test_id("problem-group").filter(has_text=f"Unknown SKU {SKU}")
    expect(group).to_be_visible(timeout=20_000)
    expect(group.get_by_test_id("group-count")).to_have_text("1")
    assert_no_horizontal_scroll(page)
    screenshot("journey-1-group-appears")
    group.get_by_role("link", name=f"Unknown SKU {SKU}").click()
    expect(page.get_by_test_id("fix-needs-admin")).to_be_visible()
    _log_out(page)

    # when one admin proposes the mapping from the problem's suggested fix
    [product] = pipeline.rpc.env["product.product"].search_read([("default_code", "=", SKU)], ["id"])
    login("admin")
    page.goto("/exceptions/")
    page.get_by_role("link", name=f"Unknown SKU {SKU}").click()
    page.get_by_test_id("fix-button").click()
    expect(page.get_by_test_id("key")).to_have_value(SKU)
    # (the product is searched in Odoo by its SKU and picked: the id travels hidden)
    page.get_by_test_id("pick-search-product_id").fill(SKU.lower())
    page.get_by_test_id("pick-result").filter(has_text=f"[{SKU}]").click()
    expect(page.get_by_test_id("picked-product_id")).to_contain_text(f"(id {product['id']}, ")
    expect(page.get_by_test_id("field-product_id")).to_have_value(str(product["id"]))
    expect(page.get_by_test_id("field-default_code")).to_have_value(SKU)
    page.get_by_test_id("submit-proposal").click()
    expect(page.get_by_test_id("own-change")).to_be_visible()
    expect(page.get_by_test_id("approve")).to_have_count(0)
    screenshot("journey-2-proposed")
    _log_out(page)

    # and a second admin approves it
    login("admin2")
    page.goto("/mappings/")
    page.get_by_test_id("pending-changes").get_by_role("link", name="Review →").click()
    expect(page.get_by_test_id("unblocks")).to_contain_text("Unblocks 1 parked job")
    expect(page.get_by_test_id("preview-order")).to_contain_text("yes")
    screenshot("journey-3-review")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("approved")).to_contain_text("1 parked job replayed")

    # then the order is booked in Odoo and the group clears
    pipeline.settle(expect_jobs=1)
    # (the shop's set-up proposed and approved a change of its own before; this is the admin's)
    change = MappingChange.objects.get(proposed_by__username="admin")
    assert (change.state, change.decided_by.username) == ("approved", "admin2")
    [sale_order] = pipeline.sale_orders(order["id"])
    assert sale_order["origin"] == order["name"]
    page.goto("/exceptions/")
    expect(page.get_by_test_id("no-problems")).to_be_visible()
    job = pipeline.jobs(kind="order.upsert")[0]
    page.goto(f"/jobs/{job.pk}/")
    expect(page.get_by_test_id("odoo-link")).to_have_attribute(
        "href", f"{pipeline.odoo.base_url.rstrip('/')}/odoo/sales/{sale_order['id']}"
    )
    screenshot("journey-4-booked")
