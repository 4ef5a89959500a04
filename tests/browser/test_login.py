import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_ops_user_logs_in_and_sees_the_dashboard(page, login, make_user, screenshot, live_server):
    make_user("ops", username="olivia")
    page.goto("/login/")
    screenshot("login")

    login("olivia")

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_test_id("dashboard")).to_be_visible()
    expect(page.locator("h1.page-title")).to_have_text("Dashboard")
    expect(page.get_by_test_id("user-name")).to_have_text("olivia")
    assert_no_horizontal_scroll(page)
    screenshot("dashboard")


def test_a_viewer_is_refused_an_admin_only_page(page, login, make_user, screenshot):
    make_user("viewer", username="vera")
    login("vera")
    expect(page.get_by_test_id("dashboard")).to_be_visible()

    response = page.goto("/connections/")

    assert response is not None and response.status == 403
    expect(page.get_by_test_id("forbidden")).to_be_visible()
    screenshot("forbidden")


def test_logout_ends_the_session(page, login, make_user):
    make_user("ops", username="otto")
    login("otto")
    expect(page.get_by_test_id("dashboard")).to_be_visible()

    page.get_by_role("button", name="Log out").click()

    expect(page.locator("#id_username")).to_be_visible()
    page.goto("/jobs/")
    assert "/login/?next=/jobs/" in page.url
