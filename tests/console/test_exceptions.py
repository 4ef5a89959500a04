"""The exception queue: grouping, filters, search, and the actions on a group (with roles)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_q.models import OrmQ

from opsconsole.core.models import AuditEntry
from sync.models import JobState, SyncJob
from sync.selectors.jobs import ProblemFilters, problem_groups
from sync.services.console import jobs_replay, jobs_resolve
from tests.console.conftest import make_job, queued_job_ids
from tests.factories import ShopifyShopFactory


def test_problems_are_grouped_by_fingerprint_with_counts_and_first_and_last_seen(shop):
    oldest = make_job(shop, sku="ABC-123", age=timedelta(hours=3))
    make_job(shop, sku="ABC-123", age=timedelta(hours=2))
    newest = make_job(shop, sku="ABC-123", age=timedelta(minutes=10), state=JobState.DEAD)
    make_job(shop, sku="OTHER-1", age=timedelta(hours=1))
    make_job(shop, sku="ABC-123", state=JobState.SUCCEEDED)

    groups = problem_groups()

    assert [(g.fingerprint, g.count, g.dead) for g in groups] == [
        ("unknown_sku:ABC-123", 3, 1),
        ("unknown_sku:OTHER-1", 1, 0),
    ]
    group = groups[0]
    assert group.first_seen == SyncJob.objects.get(pk=oldest.pk).created_at
    assert group.last_seen == SyncJob.objects.get(pk=newest.pk).created_at
    assert group.title == "Unknown SKU ABC-123"
    assert (group.error_code, group.error_key, group.flows, group.shops) == (
        "unknown_sku",
        "ABC-123",
        ["orders"],
        ["demo.myshopify.com"],
    )
    assert group.finance is False


def test_snoozed_problems_are_left_out_unless_asked_for(shop):
    make_job(shop, sku="SNOOZY", snoozed_until=timezone.now() + timedelta(days=1))
    make_job(shop, sku="AWAKE")

    assert [g.fingerprint for g in problem_groups()] == ["unknown_sku:AWAKE"]
    assert [g.fingerprint for g in problem_groups(filters=ProblemFilters(status="snoozed"))] == [
        "unknown_sku:SNOOZY"
    ]


def test_filters_by_flow_error_class_shop_and_age(shop):
    other_shop = ShopifyShopFactory(domain="other.myshopify.com")
    make_job(shop, sku="A-1", age=timedelta(days=2))
    make_job(other_shop, sku="B-1")
    make_job(shop, sku="C-1", flow="customers", code="odoo_validation", key="partner")

    def fingerprints(**kw):
        return sorted(g.fingerprint for g in problem_groups(filters=ProblemFilters(**kw)))

    assert fingerprints(flow="customers") == ["odoo_validation:partner"]
    assert fingerprints(shop=other_shop.pk) == ["unknown_sku:B-1"]
    assert fingerprints(age="24h") == ["odoo_validation:partner", "unknown_sku:B-1"]
    assert fingerprints(error_class="BusinessRuleError") == [
        "odoo_validation:partner",
        "unknown_sku:A-1",
        "unknown_sku:B-1",
    ]
    assert fingerprints(error_class="ContractError") == []


def test_search_finds_a_problem_by_order_name_and_by_shopify_order_id(shop, client_for):
    job = make_job(shop, sku="FIND-ME", order_id=5940139491234)
    make_job(shop, sku="NOT-ME")
    client, _ = client_for("viewer")

    by_name = client.get("/exceptions/", {"q": job.subject_label.lstrip("#")}, headers={"HX-Request": "true"})
    by_id = client.get("/exceptions/", {"q": "5940139491234"}, headers={"HX-Request": "true"})

    for response in (by_name, by_id):
        assert response.status_code == 200
        assert b"Unknown SKU FIND-ME" in response.content
        assert b"Unknown SKU NOT-ME" not in response.content


def test_job_search_finds_an_order_by_odoo_reference(shop, client_for):
    make_job(shop, state=JobState.SUCCEEDED, result={"odoo_order_id": 4711, "outcome": "created"})
    other = make_job(shop, state=JobState.SUCCEEDED, result={"odoo_order_id": 4712, "outcome": "created"})
    client, _ = client_for("viewer")

    response = client.get("/jobs/", {"q": "4711"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert b"Odoo order 4711" in response.content
    assert other.subject_label.encode() not in response.content


def test_a_viewer_cannot_replay_neither_through_the_view_nor_the_service(shop, client_for):
    job = make_job(shop)
    client, viewer = client_for("viewer")

    page = client.get("/exceptions/group/", {"fp": job.fingerprint})
    response = client.post("/exceptions/act/", {"fp": job.fingerprint, "action": "replay", "scope": "group"})
    one = client.post(f"/jobs/{job.pk}/replay/")
    with pytest.raises(PermissionDenied):
        jobs_replay(actor=viewer, job_ids=[job.pk])

    assert b'data-testid="bulk-replay"' not in page.content
    assert b'data-testid="replay-one"' not in page.content
    assert (response.status_code, one.status_code) == (403, 403)
    assert SyncJob.objects.get(pk=job.pk).state == JobState.NEEDS_ATTENTION
    assert OrmQ.objects.count() == 0
    assert not AuditEntry.objects.filter(action="job.replay").exists()


def test_ops_replays_a_whole_group_in_one_action(shop, client_for):
    jobs = [make_job(shop, sku="BULK-1") for _ in range(3)]
    untouched = make_job(shop, sku="ELSEWHERE")
    client, _ = client_for("ops", "olga")

    response = client.post(
        "/exceptions/act/",
        {"fp": "unknown_sku:BULK-1", "action": "replay", "scope": "group"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == '{"problems-changed": true}'
    assert b'data-testid="replay-progress"' in response.content
    assert set(SyncJob.objects.filter(pk__in=[j.pk for j in jobs]).values_list("state", flat=True)) == {
        JobState.QUEUED
    }
    assert SyncJob.objects.get(pk=untouched.pk).state == JobState.NEEDS_ATTENTION
    assert queued_job_ids() == sorted(j.pk for j in jobs)
    entry = AuditEntry.objects.get(action="job.replay")
    assert entry.actor_name == "olga"
    assert sorted(entry.after["job_ids"]) == sorted(j.pk for j in jobs)


def test_replay_progress_reports_where_the_replayed_jobs_are(shop, client_for):
    done = make_job(shop, state=JobState.SUCCEEDED)
    waiting = make_job(shop, state=JobState.QUEUED)
    client, _ = client_for("ops")

    response = client.get("/exceptions/progress/", {"ids": f"{done.pk},{waiting.pk}"})

    assert response.status_code == 200
    assert b"1 of 2 done" in response.content
    assert b'hx-trigger="load delay:1s"' in response.content


def test_ops_replays_selected_jobs_only(shop, client_for):
    first, second = make_job(shop, sku="SEL"), make_job(shop, sku="SEL")
    client, _ = client_for("ops")

    client.post("/exceptions/act/", {"fp": "unknown_sku:SEL", "action": "replay", "job_ids": [first.pk]})

    assert SyncJob.objects.get(pk=first.pk).state == JobState.QUEUED
    assert SyncJob.objects.get(pk=second.pk).state == JobState.NEEDS_ATTENTION


def test_replay_one_answers_with_the_rerendered_row_and_an_event(shop, client_for):
    job = make_job(shop)
    client, _ = client_for("ops")

    response = client.post(f"/jobs/{job.pk}/replay/", {"render": "row"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.content.decode().strip().startswith(f'<tr id="job-row-{job.pk}"')
    assert b"Queued" in response.content
    assert response["HX-Trigger"] == '{"problems-changed": true}'


def test_resolve_needs_a_note_and_then_closes_the_jobs_with_it(shop, client_for):
    job = make_job(shop)
    client, ops = client_for("ops", "oscar")

    refused = client.post(
        "/exceptions/act/", {"fp": job.fingerprint, "action": "resolve", "scope": "group", "note": " "}
    )
    done = client.post(
        "/exceptions/act/",
        {"fp": job.fingerprint, "action": "resolve", "scope": "group", "note": "fixed in Odoo"},
    )

    assert b"say why in a note" in refused.content
    assert b"Resolved 1 job." in done.content
    job.refresh_from_db()
    assert (job.state, job.closed_note, job.closed_by) == (JobState.RESOLVED, "fixed in Odoo", ops)
    assert AuditEntry.objects.filter(action="job.resolve").count() == 1


def test_ignore_with_a_note(shop, client_for):
    job = make_job(shop)
    client, _ = client_for("ops")

    client.post(
        "/exceptions/act/",
        {"fp": job.fingerprint, "action": "ignore", "job_ids": [job.pk], "note": "test order"},
    )

    assert SyncJob.objects.get(pk=job.pk).state == JobState.IGNORED


def test_snooze_until_a_date_hides_the_group_until_then(shop, client_for):
    job = make_job(shop)
    client, _ = client_for("ops")
    until = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        "/exceptions/act/", {"fp": job.fingerprint, "action": "snooze", "scope": "group", "until": until}
    )

    assert b"Snoozed 1 job until" in response.content
    assert SyncJob.objects.get(pk=job.pk).snoozed_until is not None
    assert problem_groups() == []
    assert AuditEntry.objects.filter(action="job.snooze").count() == 1


def test_finance_acts_on_finance_problems_but_not_on_others(shop, client_for):
    money = make_job(shop, code="total_mismatch", key="#1", finance=True)
    sku = make_job(shop, sku="NOT-FINANCE")
    client, finance = client_for("finance")

    allowed = client.post("/exceptions/act/", {"fp": money.fingerprint, "action": "replay", "scope": "group"})
    refused = client.post("/exceptions/act/", {"fp": sku.fingerprint, "action": "replay", "scope": "group"})

    assert allowed.status_code == 200
    assert SyncJob.objects.get(pk=money.pk).state == JobState.QUEUED
    assert refused.status_code == 403
    assert SyncJob.objects.get(pk=sku.pk).state == JobState.NEEDS_ATTENTION
    with pytest.raises(PermissionDenied):
        jobs_resolve(actor=finance, job_ids=[sku.pk], note="not mine")


def test_the_suggested_fix_for_an_unknown_sku_opens_a_prefilled_proposal(shop, client_for):
    job = make_job(shop, sku="ABC-123")
    admin, _ = client_for("integration_admin")
    ops, _ = client_for("ops")

    for_admin = admin.get("/exceptions/group/", {"fp": job.fingerprint}).content.decode()
    for_ops = ops.get("/exceptions/group/", {"fp": job.fingerprint}).content.decode()

    assert f'href="/mappings/propose/?shop={shop.pk}&amp;table=sku&amp;key=ABC-123"' in for_admin
    assert 'data-testid="fix-button"' not in for_ops
    assert 'data-testid="fix-needs-admin"' in for_ops


def test_resolve_service_refuses_an_empty_note_and_writes_nothing(shop, make_user):
    job = make_job(shop)

    with pytest.raises(ValidationError):
        jobs_resolve(actor=make_user("ops"), job_ids=[job.pk], note="")

    assert SyncJob.objects.get(pk=job.pk).state == JobState.NEEDS_ATTENTION
    assert AuditEntry.objects.count() == 0
