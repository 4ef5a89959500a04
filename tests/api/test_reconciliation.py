"""/api/v1/reconciliation-runs/ and /api/v1/discrepancies/: every console role reads, finance acts through
the reconciliation services (activity and audit), a user limited to another shop sees nothing."""

from datetime import timedelta

from django.utils import timezone
from django_q.models import OrmQ

from opsconsole.core.models import AuditEntry
from reconciliation.models import Discrepancy, Payout, ReconciliationRun
from reconciliation.services.runs import run_create
from sync.models import ShopAccess
from tests.factories import ShopifyShopFactory


def _run_and_discrepancy(shop):
    now = timezone.now()
    run = run_create(
        shop=shop, kind="orders", window_start=now - timedelta(days=1), window_end=now, enqueue=False
    )
    d = Discrepancy.objects.create(
        shop=shop,
        kind="orders",
        code="missing_in_odoo",
        subject="order:5940001",
        label="#1001",
        first_run=run,
        last_run=run,
        first_seen=now,
        last_seen=now,
    )
    return run, d


def test_runs_and_discrepancies_are_read_by_every_role(shop, api_for):
    run, d = _run_and_discrepancy(shop)
    viewer, _, _ = api_for("viewer")

    runs = viewer.get("/api/v1/reconciliation-runs/").json()["results"]
    assert [(r["id"], r["kind"], r["status"], r["trigger"]) for r in runs] == [
        (run.pk, "orders", "queued", "schedule")
    ]
    listed = viewer.get("/api/v1/discrepancies/").json()["results"]
    assert [(x["id"], x["code"], x["status"]) for x in listed] == [(d.pk, "missing_in_odoo", "open")]
    assert viewer.get("/api/v1/discrepancies/", status="resolved").json()["results"] == []
    assert viewer.post(f"/api/v1/discrepancies/{d.pk}/resolve/", {"note": "x"}).status_code == 403
    assert viewer.post(f"/api/v1/reconciliation-runs/{run.pk}/rerun/").status_code == 403


def test_finance_resolves_reopens_notes_assigns_and_reruns(shop, api_for):
    run, d = _run_and_discrepancy(shop)
    finance, user, _ = api_for("finance", username="fin")

    assert finance.post(f"/api/v1/discrepancies/{d.pk}/resolve/", {}).status_code == 400
    resolved = finance.post(f"/api/v1/discrepancies/{d.pk}/resolve/", {"note": "booked by hand"}).json()
    assert (resolved["status"], resolved["activity"][-1]["action"]) == ("resolved", "resolved")
    assert finance.post(f"/api/v1/discrepancies/{d.pk}/reopen/", {}).json()["status"] == "open"
    assert finance.post(f"/api/v1/discrepancies/{d.pk}/note/", {"note": "asked the bank"}).status_code == 200
    refused = finance.post(f"/api/v1/discrepancies/{d.pk}/assign/", {"assignee": 999999})
    assert refused.status_code == 400
    assigned = finance.post(f"/api/v1/discrepancies/{d.pk}/assign/", {"assignee": user.pk}).json()
    assert assigned["assignee"] == "fin"
    assert [a["action"] for a in assigned["activity"]] == ["resolved", "reopened", "note", "assigned"]
    assert set(
        AuditEntry.objects.filter(actor=user, action__startswith="discrepancy.").values_list(
            "action", flat=True
        )
    ) == {
        "discrepancy.resolved",
        "discrepancy.reopened",
        "discrepancy.note",
        "discrepancy.assigned",
    }

    again = finance.post(f"/api/v1/reconciliation-runs/{run.pk}/rerun/")
    assert again.status_code == 201
    assert (again.json()["rerun_of_id"], again.json()["trigger"], again.json()["started_by"]) == (
        run.pk,
        "rerun",
        "fin",
    )
    assert ReconciliationRun.objects.count() == 2 and OrmQ.objects.count() == 1


def test_a_user_limited_to_another_shop_sees_no_run_and_no_discrepancy(shop, api_for):
    run, d = _run_and_discrepancy(shop)
    finance, user, _ = api_for("finance")
    ShopAccess.objects.create(user=user, shop=ShopifyShopFactory(domain="other.myshopify.com"))

    assert finance.get("/api/v1/reconciliation-runs/").json()["results"] == []
    assert finance.post(f"/api/v1/reconciliation-runs/{run.pk}/rerun/").status_code == 404
    assert finance.get("/api/v1/discrepancies/").json()["results"] == []
    assert finance.get(f"/api/v1/discrepancies/{d.pk}/").status_code == 404
    assert finance.post(f"/api/v1/discrepancies/{d.pk}/resolve/", {"note": "x"}).status_code == 404
    assert Discrepancy.objects.get(pk=d.pk).status == "open"


def _payout(shop, *, legacy_id, status, issued):
    from decimal import Decimal

    from reconciliation.models import PayoutLine

    payout = Payout.objects.create(
        shop=shop,
        payout_id=f"gid://shopify/ShopifyPaymentsPayout/{legacy_id}",
        legacy_id=legacy_id,
        issued_at=issued,
        shopify_status="PAID",
        net=Decimal("96.65"),
        currency="EUR",
        status=status,
        expected_net=Decimal("96.65"),
        difference=Decimal("0.00"),
        fees=Decimal("3.35"),
    )
    PayoutLine.objects.create(
        payout=payout,
        transaction_id=f"gid://shopify/ShopifyPaymentsBalanceTransaction/{legacy_id}1",
        type="CHARGE",
        order_id="gid://shopify/Order/5940001",
        order_name="#1001",
        transaction_date=issued,
        amount=Decimal("100.00"),
        fee=Decimal("3.35"),
        net=Decimal("96.65"),
        currency="EUR",
        match="matched",
        odoo_model="account.payment",
        odoo_id=42,
    )
    return payout


def test_payouts_are_listed_filtered_and_read_with_their_lines_within_the_users_shops(shop, api_for):
    now = timezone.now()
    posted = _payout(shop, legacy_id=701, status="posted", issued=now - timedelta(days=1))
    variance = _payout(shop, legacy_id=702, status="variance", issued=now)
    other_shop = ShopifyShopFactory()
    _payout(other_shop, legacy_id=703, status="posted", issued=now)
    viewer, user, _ = api_for("viewer")
    ShopAccess.objects.create(user=user, shop=shop)

    # every role reads, newest first, only the shops it is given
    listed = viewer.get("/api/v1/payouts/").json()["results"]
    assert [(p["id"], p["status"], p["net"]) for p in listed] == [
        (variance.pk, "variance", "96.65"),
        (posted.pk, "posted", "96.65"),
    ]
    assert [p["id"] for p in viewer.get("/api/v1/payouts/", status="posted").json()["results"]] == [posted.pk]
    since = (now - timedelta(hours=1)).date().isoformat()
    assert [p["id"] for p in viewer.get("/api/v1/payouts/", since=since).json()["results"]] == [variance.pk]
    assert viewer.get("/api/v1/payouts/", since="2026-13-45").status_code == 400
    # one payout with each balance transaction and its Odoo match
    detail = viewer.get(f"/api/v1/payouts/{posted.pk}/").json()
    assert [(x["type"], x["amount"], x["match"], x["odoo_id"]) for x in detail["lines"]] == [
        ("CHARGE", "100.00", "matched", 42)
    ]
    # and another shop's payout is not found for this user
    assert viewer.get(f"/api/v1/payouts/{Payout.objects.get(legacy_id=703).pk}/").status_code == 404
