"""Every console screen in Chromium under the Content-Security-Policy: no violation reported (the ``page``
fixture fails any browser test on one), the headers on each response, and the behaviour moved out of
inline handlers and styles still working (meters, select-all, polling marked as polling)."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from sync.services.console import mapping_propose
from sync.services.mappings import MappingRow
from tests.browser.test_console_screens import _busy_shop
from tests.console.conftest import shop as _shop_fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

shop = _shop_fixture

HEADERS = {
    "content-security-policy": settings.CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


def _assert_headers(response) -> None:  # type: ignore[no-untyped-def]
    headers = response.all_headers()
    assert {name: headers.get(name) for name in HEADERS} == HEADERS, response.url
    assert "no-store" in headers["cache-control"], response.url


def test_every_screen_runs_under_the_policy_with_the_headers(page, login, make_user, shop, csp_violations):
    blocked = _busy_shop(shop)
    proposer = make_user("integration_admin", username="ada")
    make_user("integration_admin", username="admin2")
    change = mapping_propose(
        actor=proposer,
        shop=shop,
        rows=[MappingRow("sku", "ABC-123", {"product_id": 42})],
        summary="Map ABC-123",
    )
    run, discrepancy, payout = _reconciled(shop)
    _assert_headers(page.goto("/login/"))
    login("admin2")
    screens = [
        "/",
        "/?window=24h",
        "/exceptions/",
        f"/exceptions/group/?fp={blocked[0].fingerprint}",
        "/jobs/",
        f"/jobs/{blocked[0].pk}/",
        "/mappings/",
        f"/mappings/changes/{change.pk}/",
        f"/mappings/propose/?shop={shop.pk}&table=sku&key=WOOLSOCK-M-GREY",
        f"/mappings/import/?shop={shop.pk}",
        f"/mappings/history/?shop={shop.pk}&table=sku&key=WOOLSOCK-M-GREY",
        "/reconciliation/",
        f"/reconciliation/runs/{run.pk}/",
        "/reconciliation/discrepancies/",
        f"/reconciliation/discrepancies/{discrepancy.pk}/",
        "/reconciliation/payouts/",
        f"/reconciliation/payouts/{payout.pk}/",
        "/connections/",
        "/audit/",
        "/stock/",
        f"/stock/{shop.pk}/sku/WOOLSOCK-M-GREY/",
    ]

    for path in screens:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        _assert_headers(response)
        expect(page.get_by_test_id("problems-badge")).not_to_be_empty()  # htmx ran and swapped
        assert csp_violations.collect(page) == [], path


def _reconciled(shop):  # type: ignore[no-untyped-def]
    """A finished order run (for the chart) and the discrepancy it found."""
    from datetime import UTC, datetime

    from django.utils import timezone

    from reconciliation.models import Discrepancy, ReconciliationRun

    start = datetime(2026, 11, 28, tzinfo=UTC)
    run = ReconciliationRun.objects.create(
        shop=shop,
        kind="orders",
        trigger="schedule",
        window_start=start,
        window_end=start.replace(day=29),
        status="succeeded",
        counts={"shopify_orders": 5, "matched": 4, "unmatched": 1, "missing_in_odoo": 1},
    )
    now = timezone.now()
    discrepancy = Discrepancy.objects.create(
        shop=shop,
        kind="orders",
        code="order_missing_in_odoo",
        subject="order:1001",
        label="#1001",
        first_run=run,
        last_run=run,
        first_seen=now,
        last_seen=now,
    )
    from decimal import Decimal

    from reconciliation.models import Payout, PayoutLine

    payout = Payout.objects.create(
        shop=shop,
        payout_id="gid://shopify/ShopifyPaymentsPayout/77",
        legacy_id=77,
        issued_at=start,
        shopify_status="PAID",
        net=Decimal("96.80"),
        currency="EUR",
        status="variance",
        differences=["amount_differs"],
    )
    PayoutLine.objects.create(
        payout=payout,
        transaction_id="gid://shopify/ShopifyPaymentsBalanceTransaction/1",
        type="CHARGE",
        transaction_date=start,
        amount=Decimal("100.00"),
        fee=Decimal("3.20"),
        net=Decimal("96.80"),
        currency="EUR",
        match="amount_differs",
    )
    return run, discrepancy, payout


def test_meters_get_their_width_without_inline_styles(page, login, make_user, shop):
    _busy_shop(shop)  # 1640 of 2000 points left: 82 %
    make_user("integration_admin", username="ada")
    login("ada")

    page.goto("/connections/")

    meter = page.locator(".meter span").first
    expect(meter).to_have_attribute("data-width", "82")
    assert meter.get_attribute("style") == "width: 82%;"


def test_select_all_ticks_every_job_without_an_inline_handler(page, login, make_user, shop):
    blocked = _busy_shop(shop)
    make_user("ops", username="olivia")
    login("olivia")
    page.goto(f"/exceptions/group/?fp={blocked[0].fingerprint}")

    page.get_by_test_id("select-all").check()

    boxes = page.locator("input[name=job_ids]:not(:disabled)")
    expect(boxes).to_have_count(3)
    assert all(boxes.nth(i).is_checked() for i in range(3))


def test_polls_are_marked_and_the_persons_requests_are_not(page, login, make_user, shop):
    _busy_shop(shop)
    make_user("ops", username="olivia")
    login("olivia")
    page.on("dialog", lambda dialog: dialog.accept())

    with page.expect_request(lambda request: "/exceptions/badge/" in request.url) as badge:
        page.goto("/exceptions/")
    # "Replay all" sits inside the problem list, which polls every 5 s: the click is the person acting.
    # Wait for the answer, not only the request: a replay still running on the live server when the test
    # ends holds locks that the teardown's flush then deadlocks on.
    with page.expect_response(
        lambda response: response.url.endswith("/act/") and "/exceptions/" in response.url
    ) as action:
        page.get_by_test_id("problem-group").first.get_by_role("button", name="Replay all").click()

    assert badge.value.headers.get("x-opsconsole-poll") == "1"
    assert action.value.request.method == "POST"
    assert action.value.request.headers.get("x-opsconsole-poll") is None
    assert action.value.status == 200


def test_the_django_admin_login_runs_under_the_policy(page, csp_violations):
    response = page.goto("/django-admin/login/")

    assert response is not None and response.status == 200
    _assert_headers(response)
    expect(page.locator("#id_username")).to_be_visible()
    assert csp_violations.collect(page) == []
