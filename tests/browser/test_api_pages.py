"""The API's console pages in Chromium: tokens (made, shown once, revoked) and the docs page (Swagger UI from
our static files over the live schema), with no Content-Security-Policy violation."""

import pytest
import requests
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_makes_a_token_uses_it_and_revokes_it(page, login, make_user, screenshot, live_server):
    make_user("ops", username="olivia")
    login("olivia")
    page.goto("/api-tokens/")
    page.get_by_test_id("token-name").fill("nightly script")
    page.get_by_test_id("create-token").click()

    secret = page.get_by_test_id("token-secret").inner_text().strip()
    assert secret.startswith("oct_")
    screenshot("api-token-made")
    headers = {"Authorization": f"Bearer {secret}"}
    assert requests.get(f"{live_server.url}/api/v1/problems/", headers=headers, timeout=10).status_code == 200

    page.goto("/api-tokens/")
    expect(page.get_by_test_id("token-secret")).to_have_count(0)
    page.get_by_test_id("revoke-token").click()
    expect(page.get_by_test_id("token-row")).to_contain_text("revoked")
    assert requests.get(f"{live_server.url}/api/v1/problems/", headers=headers, timeout=10).status_code == 401


def test_the_api_docs_page_renders_swagger_ui_under_the_strict_policy(page, login, make_user, screenshot):
    make_user("viewer", username="vera")
    login("vera")
    page.goto("/api/v1/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("opsconsole API")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    assert page.locator(".opblock-summary-path", has_text="/api/v1/problems/{id}/resolve/").count() == 1
    screenshot("api-docs")


def test_an_admin_downloads_a_data_request_export_from_the_privacy_page(page, login, make_user, screenshot):
    from django.utils import timezone

    from opsconsole.core.models import AuditEntry
    from sync.models import PrivacyRequest
    from tests.factories import ShopifyShopFactory

    shop = ShopifyShopFactory(domain="demo.myshopify.com")
    request = PrivacyRequest.objects.create(
        shop=shop, kind="data_request", customer_id="7001", export={"links": []}, completed_at=timezone.now()
    )
    make_user("integration_admin", username="ada")
    login("ada")
    page.goto("/privacy/")
    expect(page.get_by_test_id("privacy-row")).to_have_count(1)
    screenshot("privacy")

    with page.expect_download() as download:
        page.get_by_test_id("download-export").click()
    assert download.value.suggested_filename == f"data-request-demo.myshopify.com-7001-{request.pk}.json"
    assert AuditEntry.objects.filter(action="privacy.export_read", actor_name="ada").count() == 1
