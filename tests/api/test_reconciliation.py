"""/api/v1/reconciliation-runs/ and /api/v1/discrepancies/: every console role reads, finance acts through
the reconciliation services (activity and audit), a user limited to another shop sees nothing."""

from datetime import timedelta

from django.utils import timezone
from django_q.models import OrmQ

from opsconsole.core.models import AuditEntry
from reconciliation.models import Discrepancy, ReconciliationRun
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
