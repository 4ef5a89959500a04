"""In Chromium, as an integration admin: add an Odoo connection and a Shopify shop through the forms (each
verified against the stand-ins over HTTP before it is saved), then Connect a shop: the report is shown with
a link to the proposed mapping change, and no secret is on any page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from sandbox.odoo.seed import ADMIN_API_KEY
from sandbox.odoo.testing import RunningOdooSandbox, odoo_sandbox
from sandbox.shopify.testing import RunningSandbox, running_sandbox
from sync.models import MappingChange, ShopifyShop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def odoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningOdooSandbox]:
    with odoo_sandbox(tmp_path_factory.mktemp("browser-odoo"), version=19, seed=True) as standin:
        yield standin


@pytest.fixture(scope="module")
def shopify(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(data_dir=tmp_path_factory.mktemp("browser-shopify")) as standin:
        yield standin


def test_add_connections_then_connect_a_shop_and_read_the_report(
    page, login, make_user, screenshot, odoo, shopify
):  # type: ignore[no-untyped-def]
    make_user("integration_admin", username="onboarder")
    login("onboarder")
    secrets = (ADMIN_API_KEY, shopify.token, shopify.client_secret)

    # add the Odoo connection: a wrong key is refused and said plainly, the right one is saved
    page.goto("/connections/")
    page.get_by_test_id("add-odoo").click()
    page.fill("#id_name", "erp")
    page.fill("#id_url", odoo.base_url)
    page.fill("#id_database", odoo.db)
    page.fill("#id_login", "admin")
    page.fill("#id_secret", "not-the-key")
    page.get_by_test_id("save-connection").click()
    expect(page.get_by_test_id("verify-problems")).to_contain_text(
        "Odoo refused the login 'admin' with that password or API key on database 'sandbox'."
    )
    expect(page.locator("#id_secret")).to_have_value("")  # a secret is never sent back
    page.fill("#id_secret", ADMIN_API_KEY)
    page.get_by_test_id("save-connection").click()
    expect(page.locator(".messages")).to_contain_text("Odoo connection erp added: checked Odoo 19.0")
    expect(page.get_by_test_id("odoo-row")).to_contain_text("erp")

    # add the shop
    page.get_by_test_id("add-shop").click()
    page.fill("#id_domain", shopify.domain)
    page.fill("#id_admin_url", shopify.admin_url)
    page.fill("#id_api_version", shopify.api_version)
    page.fill("#id_token", shopify.token)
    page.fill("#id_client_secret", shopify.client_secret)
    page.select_option("#id_odoo", index=1)  # the only Odoo connection, after the empty choice
    page.get_by_test_id("save-connection").click()
    expect(page.locator(".messages")).to_contain_text(f"Shop {shopify.domain} added")
    expect(page.get_by_test_id("shop-row")).to_contain_text(shopify.domain)
    screenshot("connections-added")

    # connect the shop: the proposal's report, with the change to approve
    page.get_by_test_id("connect-shop").click()
    page.fill("#id_callback_url", "http://127.0.0.1:9/webhooks/shopify")
    page.get_by_test_id("run-onboarding").click()
    report = page.get_by_test_id("onboarding-report")
    expect(report).to_be_visible()
    change = MappingChange.objects.get(shop=ShopifyShop.objects.get(domain=shopify.domain))
    expect(page.get_by_test_id("change-link")).to_have_text(f"mapping change #{change.pk}")
    expect(page.get_by_test_id("section-matched")).to_be_visible()
    expect(page.get_by_test_id("section-missing_in_odoo")).to_be_visible()
    expect(page.get_by_test_id("section-missing_in_shopify")).to_be_visible()
    expect(report.get_by_test_id("row-matched").first).to_be_visible()
    screenshot("connect-shop-report")
    html = page.content()
    assert all(secret not in html for secret in secrets)

    page.get_by_test_id("change-link").click()
    expect(page).to_have_url(f"{page.url.split('/mappings/')[0]}/mappings/changes/{change.pk}/")
