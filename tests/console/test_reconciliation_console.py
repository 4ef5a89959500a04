"""The Reconciliation screens: runs with counts and the matched / unmatched chart, the discrepancy queue
(assign, note, resolve, re-open, re-run; audited), CSV exports safe against formulas. Finance acts; other
roles read."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from opsconsole.core.csv_export import csv_cell
from opsconsole.core.models import AuditEntry
from reconciliation.models import DailyReport, Discrepancy, ReconciliationRun

START = datetime(2026, 11, 28, tzinfo=UTC)


def _run(shop, *, matched: int, unmatched: int, day: int = 0, **extra) -> ReconciliationRun:
    return ReconciliationRun.objects.create(
        shop=shop,
        kind="orders",
        trigger="schedule",
        window_start=START + timedelta(days=day),
        window_end=START + timedelta(days=day + 1),
        status="succeeded",
        counts={"shopify_orders": matched + unmatched, "matched": matched, "unmatched": unmatched, **extra},
    )


def _discrepancy(shop, run, *, code="order_total_differs", subject="order:1001", label="#1001", **extra):
    now = timezone.now()
    return Discrepancy.objects.create(
        shop=shop,
        kind="orders",
        code=code,
        subject=subject,
        label=label,
        shopify_value="10.00 EUR",
        odoo_value="10.01 EUR",
        amount_shopify=Decimal("10.00"),
        amount_odoo=Decimal("10.01"),
        currency="EUR",
        first_run=run,
        last_run=run,
        first_seen=now,
        last_seen=now,
        occurred_at=START,
        **extra,
    )


def test_the_page_lists_runs_and_draws_matched_and_unmatched_per_run_without_inline_script(shop, client_for):
    client, _ = client_for("viewer")
    _run(shop, matched=8, unmatched=2, day=0)
    _run(shop, matched=10, unmatched=0, day=1)
    DailyReport.objects.create(shop=shop, day=START.date(), counts={"shopify_orders": 10}, body="x")

    page = client.get("/reconciliation/")

    assert page.status_code == 200
    html = page.content.decode()
    bars = re.findall(
        r'data-testid="chart-bar" data-run="\d+" data-matched="(\d+)" data-unmatched="(\d+)"', html
    )
    assert bars == [("8", "2"), ("10", "0")]  # oldest first
    assert html.count('data-testid="run-row"') == 2
    assert 'data-testid="report-row"' in html
    assert "<script>" not in html and " style=" not in html and "onclick" not in html
    assert 'data-testid="run-form"' not in html  # viewers read only


def test_finance_starts_a_run_for_a_window_and_it_is_queued_for_a_worker(shop, client_for):
    client, user = client_for("finance")
    response = client.post(
        "/reconciliation/runs/", {"shop": shop.pk, "since": "2026-11-20", "until": "2026-11-21"}
    )
    run = ReconciliationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reconciliation/runs/{run.pk}/"
    assert (run.window_start, run.window_end) == (
        datetime(2026, 11, 20, tzinfo=UTC),
        datetime(2026, 11, 22, tzinfo=UTC),
    )
    assert (run.trigger, run.started_by, run.status) == ("person", user, "queued")
    assert OrmQ.objects.count() == 1
    assert AuditEntry.objects.filter(action="reconciliation.run", object_id=str(run.pk)).count() == 1


@pytest.mark.parametrize("role", ["viewer", "ops"])
def test_other_roles_cannot_start_runs_or_act_on_discrepancies(shop, client_for, role):
    client, _ = client_for(role)
    run = _run(shop, matched=1, unmatched=1)
    d = _discrepancy(shop, run)
    assert client.post("/reconciliation/runs/", {"shop": shop.pk, "since": "2026-11-20"}).status_code == 403
    for action in ("assign", "resolve", "rerun", "note"):
        answer = client.post(f"/reconciliation/discrepancies/{d.pk}/act/", {"action": action, "note": "x"})
        assert answer.status_code == 403
    d.refresh_from_db()
    assert (d.status, d.assignee, d.activity.count()) == ("open", None, 0)
    assert ReconciliationRun.objects.count() == 1
    assert client.get(f"/reconciliation/discrepancies/{d.pk}/").status_code == 200  # but they read


def test_finance_assigns_notes_resolves_reopens_and_reruns_each_audited(shop, client_for, make_user):
    client, user = client_for("finance")
    colleague = make_user("finance", username="colleague")
    run = _run(shop, matched=1, unmatched=1)
    d = _discrepancy(shop, run)
    url = f"/reconciliation/discrepancies/{d.pk}/act/"
    htmx = {"HTTP_HX_REQUEST": "true"}

    row = client.post(url, {"action": "assign"}, **htmx)
    assert (
        row.status_code == 200
        and 'data-testid="discrepancy-assignee">' + user.username in row.content.decode()
    )
    assert row["HX-Trigger"] == "discrepancies-changed"
    client.post(url, {"action": "assign", "assignee": colleague.pk, "from": "page"}, **htmx)
    client.post(url, {"action": "note", "note": "Odoo line price edited by hand", "from": "page"}, **htmx)
    refused = client.post(url, {"action": "resolve"}, **htmx)  # a resolution needs a note
    assert refused.status_code == 400
    client.post(url, {"action": "resolve"}, HTTP_HX_PROMPT="corrected in Odoo", **htmx)
    d.refresh_from_db()
    assert (d.status, d.assignee) == ("resolved", colleague)
    client.post(url, {"action": "reopen", "note": "came back"}, **htmx)
    rerun = client.post(url, {"action": "rerun", "from": "page"}, **htmx)
    assert rerun.status_code == 200

    d.refresh_from_db()
    assert d.status == "open"
    assert [(a.action, a.actor) for a in d.activity.all()] == [
        ("assigned", user),
        ("assigned", user),
        ("note", user),
        ("resolved", user),
        ("reopened", user),
        ("rerun", None),
    ]
    again = ReconciliationRun.objects.exclude(pk=run.pk).get()
    assert (again.rerun_of, again.trigger, again.window_start, again.started_by) == (
        run,
        "rerun",
        run.window_start,
        user,
    )
    actions = list(
        AuditEntry.objects.filter(object_type="discrepancy").order_by("pk").values_list("action", flat=True)
    )
    assert actions == [
        "discrepancy.assigned",
        "discrepancy.assigned",
        "discrepancy.note",
        "discrepancy.resolved",
        "discrepancy.reopened",
    ]
    assert AuditEntry.objects.filter(action="reconciliation.run", object_id=str(again.pk)).exists()


def test_the_queue_filters_and_exports_csv_that_no_spreadsheet_evaluates(shop, client_for):
    client, _ = client_for("viewer")
    run = _run(shop, matched=1, unmatched=2)
    _discrepancy(shop, run, subject="order:1", label='=HYPERLINK("http://evil","x")')
    _discrepancy(shop, run, code="order_missing_in_odoo", subject="order:2", label="+cmd|' /C calc'!A0")
    _discrepancy(
        shop, run, code="order_missing_in_odoo", subject="order:3", label="@SUM(1)", status="resolved"
    )

    listed = client.get("/reconciliation/discrepancies/", {"code": "order_missing_in_odoo"})
    assert listed.content.decode().count('data-testid="discrepancy-row"') == 1
    exported = client.get("/reconciliation/discrepancies/", {"status": "all", "format": "csv"})

    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    labels = sorted(r[4] for r in rows[1:])
    assert labels == ["'+cmd|' /C calc'!A0", '\'=HYPERLINK("http://evil","x")', "'@SUM(1)"]
    assert [csv_cell(v) for v in ("-1", "\t=1", "\r=1", "plain", None, 5)] == [
        "'-1",
        "'\t=1",
        "'\r=1",
        "plain",
        "",
        "5",
    ]
    runs = client.get("/reconciliation/", {"format": "csv"})
    assert list(csv.reader(io.StringIO(runs.content.decode())))[1][:3] == [str(run.pk), shop.domain, "orders"]


def test_a_run_page_shows_its_counts_and_what_it_found(shop, client_for):
    client, _ = client_for("viewer")
    run = _run(shop, matched=3, unmatched=1, missing_in_odoo=1)
    _discrepancy(shop, run, code="order_missing_in_odoo")
    page = client.get(f"/reconciliation/runs/{run.pk}/").content.decode()
    assert 'data-testid="count-missing_in_odoo">1<' in page
    assert page.count('data-testid="discrepancy-row"') == 1


def _payout(shop, **extra):
    from reconciliation.models import Payout, PayoutLine

    payout = Payout.objects.create(
        shop=shop,
        payout_id="gid://shopify/ShopifyPaymentsPayout/77",
        legacy_id=77,
        issued_at=START,
        shopify_status="PAID",
        net=Decimal("96.80"),
        currency="EUR",
        expected_net=Decimal("97.80"),
        difference=Decimal("-1.00"),
        status="variance",
        differences=["amount_differs", "payout_net_differs"],
        **extra,
    )
    PayoutLine.objects.create(
        payout=payout,
        transaction_id="gid://shopify/ShopifyPaymentsBalanceTransaction/1",
        type="CHARGE",
        order_name="#1001",
        transaction_date=START,
        amount=Decimal("100.00"),
        fee=Decimal("3.20"),
        net=Decimal("96.80"),
        currency="EUR",
        match="amount_differs",
        odoo_label="PBNK1/2026/00001",
        odoo_amount=Decimal("99.00"),
    )
    return payout


def test_payouts_are_listed_with_their_status_filtered_exported_and_shown_line_by_line(shop, client_for):
    client, _ = client_for("viewer")
    payout = _payout(shop)

    listed = client.get("/reconciliation/payouts/", {"status": "variance"}).content.decode()
    none = client.get("/reconciliation/payouts/", {"status": "posted"}).content.decode()
    page = client.get(f"/reconciliation/payouts/{payout.pk}/").content.decode()
    exported = client.get("/reconciliation/payouts/", {"format": "csv"}).content.decode()

    assert listed.count('data-testid="payout-row"') == 1 and 'data-testid="payout-row"' not in none
    assert 'data-match="amount_differs"' in page and "PBNK1/2026/00001" in page and "u-bad" in page
    assert list(csv.reader(io.StringIO(exported)))[1][:2] == ["77", shop.domain]
    lines = client.get(f"/reconciliation/payouts/{payout.pk}/", {"format": "csv"}).content.decode()
    assert [r[1:3] + r[-1:] for r in csv.reader(io.StringIO(lines))][1:] == [
        ["CHARGE", "#1001", "amount_differs"]
    ]
    assert 'data-testid="payouts-run"' not in listed  # viewers read only
    assert client.post("/reconciliation/payouts/run/", {"shop": shop.pk}).status_code == 403


def test_finance_queues_a_payout_reconciliation_of_the_last_month(shop, client_for):
    client, user = client_for("finance")
    response = client.post("/reconciliation/payouts/run/", {"shop": shop.pk})
    run = ReconciliationRun.objects.get()
    assert response.status_code == 302
    assert (run.kind, run.started_by, run.window_end - run.window_start) == (
        "payouts",
        user,
        timedelta(days=31),
    )
    assert OrmQ.objects.count() == 1
