"""Console screens in Chromium with factory-made data: each screen at 1280 px (screenshots saved under
test-artifacts/screenshots/), bulk replay of a group, a viewer cannot replay, a proposer cannot approve
their own change (the product picked by searching the Odoo stand-in by SKU), masked fields stay masked for
ops."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sandbox.odoo.testing import RunningOdooSandbox, odoo_sandbox
from sync.engine.clients import clients_reset
from sync.models import JobState, MappingChange, ShopifyRateLimitState, SyncJob
from sync.services.console import mapping_propose
from sync.services.mappings import MappingRow
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.console.conftest import make_job
from tests.console.conftest import shop as _shop_fixture
from tests.support.odoo import Rpc, shop_on_standin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

shop = _shop_fixture


@pytest.fixture(scope="module")
def odoo_standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningOdooSandbox]:
    with odoo_sandbox(tmp_path_factory.mktemp("screens-odoo"), version=19, seed=True) as sandbox:
        yield sandbox


def _accept_confirms(page) -> None:  # type: ignore[no-untyped-def]
    page.on("dialog", lambda dialog: dialog.accept())


def _post_with_csrf(page, url: str) -> int:  # type: ignore[no-untyped-def]
    """POST from inside the page with the session cookie and the CSRF token htmx would send."""
    return page.evaluate(
        """async (url) => {
            const headers = JSON.parse(document.body.getAttribute('hx-headers'));
            const response = await fetch(url, {method: 'POST', headers});
            return response.status;
        }""",
        url,
    )


def _busy_shop(shop):  # type: ignore[no-untyped-def]
    """A shop with a day of traffic: successes, retries and a few problem groups."""
    for minutes in (2, 4, 9, 14, 22, 31, 38, 47, 55):
        make_job(
            shop,
            state=JobState.SUCCEEDED,
            age=timedelta(minutes=minutes),
            result={"odoo_order_id": 100 + minutes},
        )
    for hours in (2, 5, 9, 13, 20):
        make_job(
            shop, state=JobState.SUCCEEDED, age=timedelta(hours=hours), result={"odoo_order_id": 300 + hours}
        )
    make_job(shop, state=JobState.RETRYING, age=timedelta(minutes=3))
    make_job(shop, state=JobState.QUEUED, age=timedelta(seconds=40))
    blocked = [make_job(shop, sku="ABC-123", age=timedelta(minutes=m)) for m in (6, 18, 44)]
    make_job(shop, sku="LINEN-SHIRT-XL", age=timedelta(hours=4))
    make_job(shop, code="total_mismatch", key="#1042", finance=True, age=timedelta(hours=1))
    make_job(
        shop,
        state=JobState.DEAD,
        flow="customers",
        code="",
        error_class="ContractError",
        age=timedelta(minutes=25),
    )
    shop.last_success_at = timezone.now()
    shop.api_version_seen = shop.api_version
    shop.webhook_topics = ["ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "ORDERS_EDITED"]
    shop.webhooks_checked_at = timezone.now()
    shop.save()
    shop.odoo.last_success_at = timezone.now()
    shop.odoo.save()
    ShopifyRateLimitState.objects.create(
        shop_domain=shop.domain, available=1640, maximum=2000, restore_rate=100, updated_at=timezone.now()
    )
    return blocked


def _check(page, screenshot, name: str) -> None:  # type: ignore[no-untyped-def]
    assert_no_horizontal_scroll(page)
    screenshot(name)


def test_every_screen_fits_1280px_and_is_captured(page, login, make_user, screenshot, shop):
    blocked = _busy_shop(shop)
    proposer = make_user("integration_admin", username="ada")
    make_user("integration_admin", username="admin2")
    change = mapping_propose(
        actor=proposer,
        shop=shop,
        rows=[MappingRow("sku", "ABC-123", {"product_id": 42})],
        summary="Map ABC-123",
    )
    login("admin2")

    page.goto("/")
    expect(page.get_by_test_id("stat-open-problems")).to_have_text("6")
    expect(page.get_by_test_id("flow-orders").get_by_test_id("received")).to_have_text("14")
    _check(page, screenshot, "console-dashboard")
    page.get_by_role("link", name="Last 24 hours").click()
    expect(page.get_by_test_id("flow-orders").get_by_test_id("received")).to_have_text("21")
    _check(page, screenshot, "console-dashboard-24h")

    page.goto("/exceptions/")
    expect(page.get_by_test_id("problem-group")).to_have_count(4)
    _check(page, screenshot, "console-exceptions")

    page.get_by_role("link", name="Unknown SKU ABC-123").click()
    expect(page.get_by_test_id("problem-count")).to_have_text("3")
    _check(page, screenshot, "console-problem")

    page.goto(f"/jobs/{blocked[0].pk}/")
    expect(page.get_by_test_id("payload-masked")).to_be_visible()
    _check(page, screenshot, "console-job")

    page.goto("/jobs/")
    expect(page.get_by_test_id("job-list-row")).to_have_count(22)
    _check(page, screenshot, "console-jobs")

    page.goto("/mappings/")
    expect(page.get_by_test_id("pending-changes")).to_contain_text("Map ABC-123")
    _check(page, screenshot, "console-mappings")

    page.goto(f"/mappings/changes/{change.pk}/")
    expect(page.get_by_test_id("approve")).to_contain_text("replay 3 jobs")
    _check(page, screenshot, "console-mapping-change")

    page.goto(f"/mappings/propose/?shop={shop.pk}&table=sku&key=WOOLSOCK-M-GREY")
    _check(page, screenshot, "console-mapping-propose")

    page.goto(f"/mappings/import/?shop={shop.pk}")
    _check(page, screenshot, "console-mapping-import")

    page.goto(f"/mappings/history/?shop={shop.pk}&table=sku&key=WOOLSOCK-M-GREY")
    expect(page.get_by_test_id("history-row")).to_have_count(1)
    _check(page, screenshot, "console-mapping-history")

    page.goto("/audit/")
    expect(page.get_by_test_id("audit-row").first).to_be_visible()
    _check(page, screenshot, "console-audit")

    page.goto("/connections/")
    expect(page.get_by_test_id("shop-row")).to_have_count(1)
    _check(page, screenshot, "console-connections")


def test_ops_replays_a_whole_group_and_sees_the_progress(page, login, make_user, screenshot, shop):
    blocked = [make_job(shop, sku="ABC-123") for _ in range(4)]
    other = make_job(shop, sku="OTHER")
    make_user("ops", username="olivia")
    _accept_confirms(page)
    login("olivia")

    page.goto("/exceptions/")
    page.get_by_role("link", name="Unknown SKU ABC-123").click()
    page.get_by_test_id("scope-group").check()
    page.get_by_test_id("bulk-replay").click()

    expect(page.get_by_test_id("replay-progress")).to_contain_text("4 waiting for a worker")
    expect(page.get_by_test_id("problem-cleared")).to_be_visible()
    screenshot("console-bulk-replay")
    assert set(SyncJob.objects.filter(pk__in=[j.pk for j in blocked]).values_list("state", flat=True)) == {
        JobState.QUEUED
    }
    assert SyncJob.objects.get(pk=other.pk).state == JobState.NEEDS_ATTENTION


def test_ops_replays_selected_jobs_one_row_at_a_time(page, login, make_user, shop):
    first, second = make_job(shop, sku="ROW"), make_job(shop, sku="ROW")
    make_user("ops", username="otto")
    login("otto")

    page.goto("/exceptions/group/?fp=unknown_sku:ROW")
    page.locator(f"#job-row-{first.pk}").get_by_test_id("replay-one").click()

    expect(page.get_by_test_id("job-row")).to_have_count(1)
    assert SyncJob.objects.get(pk=first.pk).state == JobState.QUEUED
    assert SyncJob.objects.get(pk=second.pk).state == JobState.NEEDS_ATTENTION


def test_a_viewer_sees_no_replay_button_and_a_post_is_refused(page, login, make_user, shop):
    job = make_job(shop, sku="ABC-123")
    make_user("viewer", username="vera")
    login("vera")

    page.goto(f"/exceptions/group/?fp={job.fingerprint}")
    expect(page.get_by_test_id("problem-count")).to_have_text("1")

    expect(page.get_by_test_id("bulk-replay")).to_have_count(0)
    expect(page.get_by_test_id("replay-one")).to_have_count(0)
    assert _post_with_csrf(page, f"/jobs/{job.pk}/replay/") == 403
    assert SyncJob.objects.get(pk=job.pk).state == JobState.NEEDS_ATTENTION


def test_a_proposer_cannot_approve_their_own_change_but_a_second_admin_can(
    page, login, make_user, screenshot, shop, odoo_standin
):
    # given the shop's Odoo (the stand-in) holding the product, and orders parked for its unmapped SKU
    shop_on_standin(shop, odoo_standin)
    clients_reset()
    [product] = Rpc(odoo_standin)(
        "product.product",
        "search_read",
        [("default_code", "=", "MERINOTE-S-NAVY")],
        ["display_name", "barcode"],
    )
    blocked = [make_job(shop, sku="ABC-123") for _ in range(2)]
    make_user("integration_admin", username="ada")
    make_user("integration_admin", username="admin2")
    _accept_confirms(page)
    login("ada")

    # when one admin searches the product by its SKU, picks it and proposes the mapping
    page.goto(f"/exceptions/group/?fp={blocked[0].fingerprint}")
    page.get_by_test_id("fix-button").click()
    expect(page.get_by_test_id("key")).to_have_value("ABC-123")
    page.get_by_test_id("pick-search-product_id").fill("merinote-s-n")
    result = page.get_by_test_id("pick-result")
    expect(result).to_have_count(1)
    expect(result).to_have_text(
        f"{product['display_name']} · barcode {product['barcode']} (id {product['id']}, every company)"
    )
    result.click()
    expect(page.get_by_test_id("picked-product_id")).to_contain_text(f"(id {product['id']}, ")
    screenshot("console-mapping-picked")  # (not while the search box has focus: Playwright hides the caret
    # with an inline style, which the Content-Security-Policy refuses)
    expect(page.get_by_test_id("field-default_code")).to_have_value("MERINOTE-S-NAVY")
    page.get_by_test_id("submit-proposal").click()
    expect(page.get_by_test_id("own-change")).to_be_visible()
    expect(page.get_by_test_id("approve")).to_have_count(0)
    change = MappingChange.objects.get()
    assert change.rows == [
        {
            "table": "sku",
            "key": "ABC-123",
            "value": {"product_id": product["id"], "default_code": "MERINOTE-S-NAVY"},
        }
    ]
    assert _post_with_csrf(page, f"/mappings/changes/{change.pk}/approve/") == 403
    change.refresh_from_db()
    assert change.state == "proposed"

    page.get_by_role("button", name="Log out").click()
    login("admin2")
    page.goto(f"/mappings/changes/{change.pk}/")
    expect(page.get_by_test_id("preview-order")).to_have_count(2)
    page.get_by_test_id("approve").click()

    expect(page.get_by_test_id("approved")).to_contain_text("2 parked jobs replayed")
    screenshot("console-mapping-approved")
    assert [SyncJob.objects.get(pk=j.pk).state for j in blocked] == [JobState.QUEUED, JobState.QUEUED]


def test_masked_fields_stay_masked_for_ops(page, login, make_user, shop):
    job = make_job(shop)
    make_user("ops", username="olivia")
    login("olivia")

    page.goto(f"/jobs/{job.pk}/")

    payload = page.get_by_test_id("payload-json")
    expect(payload).to_contain_text("MERINOTE-S-NAVY")
    expect(payload).not_to_contain_text("jane.doe@example.com")
    expect(payload).not_to_contain_text("Privet")
    expect(page.get_by_test_id("reveal")).to_have_count(0)
    assert _post_with_csrf(page, f"/jobs/{job.pk}/reveal/") == 403


def test_an_admin_reveals_the_payload_and_it_is_audited(page, login, make_user, screenshot, shop):
    from opsconsole.core.models import AuditEntry

    job = make_job(shop)
    make_user("integration_admin", username="ada")
    _accept_confirms(page)
    login("ada")

    page.goto(f"/jobs/{job.pk}/")
    page.get_by_test_id("reveal").click()

    expect(page.get_by_test_id("payload-revealed")).to_be_visible()
    expect(page.get_by_test_id("payload-json")).to_contain_text("jane.doe@example.com")
    assert (
        AuditEntry.objects.filter(action="payload.reveal", actor_name="ada", object_id=str(job.pk)).count()
        == 1
    )
