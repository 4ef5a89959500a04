"""Roles per shop: a user limited to some shops (ShopAccess) sees and touches nothing of the others, in every
list, page, action and API answer; a user without limits sees every shop. The limit lives in
sync/selectors/access.py and is applied by the selectors and services the console and the API share."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from opsconsole.core.audit import audit_context
from opsconsole.core.models import AuditEntry
from opsconsole.core.tokens import api_token_create
from sync.models import MappingChange, ShopAccess
from sync.services import problems as problem_services
from sync.services.console import jobs_replay, mapping_approve, mapping_propose, payload_reveal
from sync.services.mappings import MappingRow
from tests.console.conftest import make_job
from tests.factories import ShopifyShopFactory


@pytest.fixture
def two_shops(shop):
    other = ShopifyShopFactory(domain="other.myshopify.com")
    mine = make_job(shop, sku="MINE-1")
    theirs = make_job(other, sku="THEIRS-1")
    return shop, other, mine, theirs


def _limited(make_user, role, shop, username):
    user = make_user(role, username=username)
    ShopAccess.objects.create(user=user, shop=shop)
    client = Client()
    client.force_login(user)
    return client, user


def test_lists_and_pages_show_only_the_users_shops(two_shops, make_user):
    shop, other, mine, theirs = two_shops
    client, _ = _limited(make_user, "integration_admin", shop, "olga")
    other_change = mapping_propose(
        actor=make_user("integration_admin", username="ada"),
        shop=other,
        rows=[MappingRow("sku", "THEIRS-1", {"product_id": 1})],
        summary="theirs",
    )

    jobs = client.get("/jobs/").content.decode()
    exceptions = client.get("/exceptions/").content.decode()
    dashboard = client.get("/").content.decode()
    connections = client.get("/connections/").content.decode()
    mappings = client.get("/mappings/", {"shop": other.pk}).content.decode()

    assert mine.subject_label in jobs and theirs.subject_label not in jobs
    assert "MINE-1" in exceptions and "THEIRS-1" not in exceptions
    assert "other.myshopify.com" not in dashboard + connections + jobs + exceptions
    assert "other.myshopify.com" not in mappings  # asking for the other shop shows the user's own
    assert client.get(f"/jobs/{theirs.pk}/").status_code == 404
    assert client.post(f"/jobs/{theirs.pk}/reveal/").status_code == 404
    assert client.post(f"/jobs/{theirs.pk}/replay/").status_code == 404
    assert client.get(f"/exceptions/{theirs.problem_id}/").status_code == 404
    assert (
        client.post(f"/exceptions/{theirs.problem_id}/act/", {"action": "resolve", "note": "x"}).status_code
        == 404
    )
    assert client.get("/exceptions/group/", {"fp": theirs.fingerprint}).status_code == 404
    assert client.get(f"/mappings/changes/{other_change.pk}/").status_code == 404
    assert client.post(f"/mappings/changes/{other_change.pk}/approve/").status_code == 404
    assert client.post(f"/connections/shops/{other.pk}/check-webhooks/").status_code == 404
    assert client.post(f"/alerts/shops/{other.pk}/settings/", {"emails": "x@example.com"}).status_code == 404
    assert "other.myshopify.com" not in client.get("/alerts/").content.decode()
    assert client.get(f"/jobs/{mine.pk}/").status_code == 200
    assert client.get(f"/exceptions/{mine.problem_id}/").status_code == 200


def test_services_refuse_actions_on_another_shop(two_shops, make_user):
    shop, other, _, theirs = two_shops
    _, olga = _limited(make_user, "integration_admin", shop, "olga")
    change = mapping_propose(
        actor=make_user("integration_admin", username="ada"),
        shop=other,
        rows=[MappingRow("sku", "THEIRS-1", {"product_id": 1})],
        summary="theirs",
    )

    with pytest.raises(PermissionDenied):
        jobs_replay(actor=olga, job_ids=[theirs.pk])
    with pytest.raises(PermissionDenied):
        payload_reveal(actor=olga, job=theirs)
    with pytest.raises(PermissionDenied):
        problem_services.problem_resolve(actor=olga, problem=theirs.problem, note="not mine")
    with pytest.raises(PermissionDenied):
        mapping_propose(actor=olga, shop=other, rows=[MappingRow("sku", "X", {"product_id": 2})], summary="x")
    with pytest.raises(PermissionDenied):
        mapping_approve(actor=olga, change=change)
    change.refresh_from_db()
    assert change.state == MappingChange.State.PROPOSED


def test_the_api_honours_the_same_limit(two_shops, make_user):
    shop, _other, mine, theirs = two_shops
    _, olga = _limited(make_user, "ops", shop, "olga")
    _, secret = api_token_create(actor=olga, name="t", days=7)
    api = Client(headers={"Authorization": f"Bearer {secret}"})

    jobs = [j["id"] for j in api.get("/api/v1/jobs/").json()["results"]]
    problems = [p["id"] for p in api.get("/api/v1/problems/").json()["results"]]
    deliveries = [d["id"] for d in api.get("/api/v1/webhook-deliveries/").json()["results"]]

    assert jobs == [mine.pk]
    assert problems == [mine.problem_id]
    assert deliveries == [mine.event_id]
    assert api.get(f"/api/v1/jobs/{theirs.pk}/").status_code == 404
    assert api.get(f"/api/v1/problems/{theirs.problem_id}/").status_code == 404
    assert api.post(f"/api/v1/jobs/{theirs.pk}/replay/").status_code == 404


def test_a_user_without_limits_sees_every_shop_and_limits_are_audited(two_shops, make_user):
    _shop, other, mine, theirs = two_shops
    client = Client()
    client.force_login(make_user("ops", username="una"))
    root = make_user(None, username="root", is_superuser=True)

    jobs = client.get("/jobs/").content.decode()
    with audit_context(actor=lambda: root, ip="203.0.113.5", via="/django-admin/sync/shopaccess/add/"):
        ShopAccess.objects.create(user=make_user("ops", username="vic"), shop=other)

    assert mine.subject_label in jobs and theirs.subject_label in jobs
    entry = AuditEntry.objects.get(action="user.shops")
    assert (entry.actor_name, entry.after) == ("root", {"shops": ["other.myshopify.com"]})


def test_a_limited_user_reads_only_their_own_audit_entries(two_shops, make_user):
    shop, _other, _, theirs = two_shops
    client, olga = _limited(make_user, "ops", shop, "olga")
    una = make_user("ops", username="una")
    jobs_replay(actor=una, job_ids=[theirs.pk])  # an action on the other shop, by someone else
    jobs_replay(actor=olga, job_ids=[make_job(shop).pk])

    page = client.get("/audit/").content.decode()
    unlimited = Client()
    unlimited.force_login(una)
    everything = unlimited.get("/audit/").content.decode()

    # olga's own login and replay; not una's replay of the other shop's job, nor una's login
    assert page.count('data-testid="audit-row"') == 2 and "<strong>una</strong>" not in page
    assert everything.count('data-testid="audit-row"') == 4


def test_the_reconciliation_screens_show_and_act_only_on_the_users_shops(two_shops, make_user):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from reconciliation.models import Discrepancy, Payout
    from reconciliation.services.runs import run_create

    shop, other, _, _ = two_shops
    now = timezone.now()
    records = {}
    for s in (shop, other):
        run = run_create(
            shop=s, kind="orders", window_start=now - timedelta(days=1), window_end=now, enqueue=False
        )
        d = Discrepancy.objects.create(
            shop=s,
            kind="orders",
            code="missing_in_odoo",
            subject=f"order:{s.pk}",
            label=f"#{s.domain}",
            first_run=run,
            last_run=run,
            first_seen=now,
            last_seen=now,
        )
        p = Payout.objects.create(
            shop=s,
            payout_id=f"gid://shopify/ShopifyPaymentsPayout/{s.pk}",
            legacy_id=9000 + s.pk,
            issued_at=now,
            shopify_status="PAID",
            net=Decimal("10.00"),
            currency="EUR",
        )
        records[s.pk] = (run, d, p)
    client, _ = _limited(make_user, "finance", shop, "fiona")
    run, d, p = records[other.pk]

    # the lists name only the user's shop
    for url in ("/reconciliation/", "/reconciliation/discrepancies/", "/reconciliation/payouts/"):
        page = client.get(url).content.decode()
        assert "other.myshopify.com" not in page, url
    assert (
        client.get("/reconciliation/discrepancies/?format=csv").content.decode().count("missing_in_odoo") == 1
    )
    # another shop's run, discrepancy and payout are not found, and cannot be acted on
    assert client.get(f"/reconciliation/runs/{run.pk}/").status_code == 404
    assert client.get(f"/reconciliation/discrepancies/{d.pk}/").status_code == 404
    assert client.get(f"/reconciliation/payouts/{p.pk}/").status_code == 404
    assert (
        client.post(
            f"/reconciliation/discrepancies/{d.pk}/act/", {"action": "resolve", "note": "x"}
        ).status_code
        == 404
    )
    assert client.post(f"/reconciliation/runs/{run.pk}/again/").status_code == 404
    refused = client.post(
        "/reconciliation/runs/",
        {"shop": other.pk, "since": "2026-11-01", "until": "2026-11-01", "kind": "orders"},
    )
    assert refused.status_code == 404
    d.refresh_from_db()
    assert d.status == Discrepancy.Status.OPEN
    # while their own shop's are there
    mine_run, mine_d, mine_p = records[shop.pk]
    assert client.get(f"/reconciliation/runs/{mine_run.pk}/").status_code == 200
    assert client.get(f"/reconciliation/discrepancies/{mine_d.pk}/").status_code == 200
    assert client.get(f"/reconciliation/payouts/{mine_p.pk}/").status_code == 200
