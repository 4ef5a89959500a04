"""The exception queue: problems (one per shop and cause), filters, search, a problem's page and timeline,
and the actions on a problem (with roles)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_q.models import OrmQ

from opsconsole.core.models import AuditEntry
from sync.models import JobState, Problem, ProblemActivity, SyncJob
from sync.selectors.problems import ProblemFilters, problem_list
from sync.services.console import jobs_replay
from sync.services.problems import problem_resolve, problem_snooze
from tests.console.conftest import make_job, queued_job_ids
from tests.factories import ShopifyShopFactory

Status = Problem.Status


def _url(job_or_problem):
    problem_id = getattr(job_or_problem, "problem_id", None) or job_or_problem.pk
    return f"/exceptions/{problem_id}/"


def test_one_problem_per_cause_with_counts_and_first_and_last_seen(shop):
    oldest = make_job(shop, sku="ABC-123", age=timedelta(hours=3))
    make_job(shop, sku="ABC-123", age=timedelta(hours=2))
    newest = make_job(shop, sku="ABC-123", age=timedelta(minutes=10), state=JobState.DEAD)
    make_job(shop, sku="OTHER-1", age=timedelta(hours=1))
    make_job(shop, sku="ABC-123", state=JobState.SUCCEEDED)

    problems = problem_list()

    assert [(p.fingerprint, p.blocked, p.dead, p.times_seen) for p in problems] == [
        ("unknown_sku:ABC-123", 3, 1, 3),
        ("unknown_sku:OTHER-1", 1, 0, 1),
    ]
    problem = problems[0]
    assert problem.first_seen == SyncJob.objects.get(pk=oldest.pk).created_at
    assert problem.last_seen == SyncJob.objects.get(pk=newest.pk).created_at
    assert problem.title == "Unknown SKU ABC-123"
    assert (problem.error_code, problem.error_key, problem.flow, problem.shop.domain, problem.status) == (
        "unknown_sku",
        "ABC-123",
        "orders",
        "demo.myshopify.com",
        Status.OPEN,
    )
    assert problem.finance is False


def test_the_same_cause_in_two_shops_is_two_problems(shop):
    other_shop = ShopifyShopFactory(domain="other.myshopify.com")
    make_job(shop, sku="SAME")
    make_job(other_shop, sku="SAME")

    assert sorted((p.fingerprint, p.shop.domain) for p in problem_list()) == [
        ("unknown_sku:SAME", "demo.myshopify.com"),
        ("unknown_sku:SAME", "other.myshopify.com"),
    ]


def test_snoozed_problems_are_left_out_unless_asked_for(shop, make_user):
    snoozy = make_job(shop, sku="SNOOZY")
    make_job(shop, sku="AWAKE")
    problem_snooze(actor=make_user("ops"), problem=snoozy.problem, until=timezone.now() + timedelta(days=1))

    assert [p.fingerprint for p in problem_list()] == ["unknown_sku:AWAKE"]
    assert [p.fingerprint for p in problem_list(filters=ProblemFilters(status="snoozed"))] == [
        "unknown_sku:SNOOZY"
    ]


def test_a_snooze_whose_date_passed_shows_as_open_before_the_sweep_wakes_it(shop, make_user):
    job = make_job(shop, sku="SOON")
    problem_snooze(actor=make_user("ops"), problem=job.problem, until=timezone.now() + timedelta(minutes=5))

    later = timezone.now() + timedelta(minutes=6)

    assert [p.fingerprint for p in problem_list(now=later)] == ["unknown_sku:SOON"]
    assert problem_list(filters=ProblemFilters(status="snoozed"), now=later) == []


def test_filters_by_flow_error_class_shop_age_and_finance(shop):
    other_shop = ShopifyShopFactory(domain="other.myshopify.com")
    make_job(shop, sku="A-1", age=timedelta(days=2))
    make_job(other_shop, sku="B-1")
    make_job(shop, sku="C-1", flow="customers", code="odoo_validation", key="partner")
    make_job(shop, code="total_mismatch", key="tax_rounding", finance=True)

    def fingerprints(**kw):
        return sorted(p.fingerprint for p in problem_list(filters=ProblemFilters(**kw)))

    assert fingerprints(flow="customers") == ["odoo_validation:partner"]
    assert fingerprints(shop=other_shop.pk) == ["unknown_sku:B-1"]
    assert fingerprints(age="24h") == [
        "odoo_validation:partner",
        "total_mismatch:tax_rounding",
        "unknown_sku:B-1",
    ]
    assert fingerprints(error_class="BusinessRuleError") == [
        "odoo_validation:partner",
        "total_mismatch:tax_rounding",
        "unknown_sku:A-1",
        "unknown_sku:B-1",
    ]
    assert fingerprints(error_class="ContractError") == []
    assert fingerprints(finance=True) == ["total_mismatch:tax_rounding"]


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

    page = client.get(_url(job))
    response = client.post(f"{_url(job)}act/", {"action": "replay", "scope": "group"})
    one = client.post(f"/jobs/{job.pk}/replay/")
    with pytest.raises(PermissionDenied):
        jobs_replay(actor=viewer, job_ids=[job.pk])

    assert b'data-testid="bulk-replay"' not in page.content
    assert b'data-testid="replay-one"' not in page.content
    assert (response.status_code, one.status_code) == (403, 403)
    assert SyncJob.objects.get(pk=job.pk).state == JobState.NEEDS_ATTENTION
    assert OrmQ.objects.count() == 0
    assert not AuditEntry.objects.filter(action__in=["job.replay", "problem.replay"]).exists()
    assert not ProblemActivity.objects.filter(kind="replayed").exists()


def test_ops_replays_a_whole_problem_in_one_action(shop, client_for):
    jobs = [make_job(shop, sku="BULK-1") for _ in range(3)]
    untouched = make_job(shop, sku="ELSEWHERE")
    client, ops = client_for("ops", "olga")

    response = client.post(
        f"{_url(jobs[0])}act/", {"action": "replay", "scope": "group"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == '{"problems-changed": true}'
    assert b'data-testid="replay-progress"' in response.content
    assert set(SyncJob.objects.filter(pk__in=[j.pk for j in jobs]).values_list("state", flat=True)) == {
        JobState.QUEUED
    }
    assert SyncJob.objects.get(pk=untouched.pk).state == JobState.NEEDS_ATTENTION
    assert queued_job_ids() == sorted(j.pk for j in jobs)
    entry = AuditEntry.objects.get(action="problem.replay")
    assert entry.actor_name == "olga"
    assert sorted(entry.after["job_ids"]) == sorted(j.pk for j in jobs)
    row = ProblemActivity.objects.get(kind="replayed")
    assert (row.problem_id, row.actor, row.data["count"]) == (jobs[0].problem_id, ops, 3)


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

    client.post(f"{_url(first)}act/", {"action": "replay", "job_ids": [first.pk]})

    assert SyncJob.objects.get(pk=first.pk).state == JobState.QUEUED
    assert SyncJob.objects.get(pk=second.pk).state == JobState.NEEDS_ATTENTION


def test_replay_one_answers_with_the_rerendered_row_and_an_event(shop, client_for):
    job = make_job(shop)
    client, ops = client_for("ops")

    response = client.post(f"/jobs/{job.pk}/replay/", {"render": "row"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.content.decode().strip().startswith(f'<tr id="job-row-{job.pk}"')
    assert b"Queued" in response.content
    assert response["HX-Trigger"] == '{"problems-changed": true}'
    row = ProblemActivity.objects.get(kind="replayed")
    assert (row.problem_id, row.actor, row.data["jobs"]) == (job.problem_id, ops, [job.pk])


def test_resolve_needs_a_note_and_then_closes_the_problem_and_its_jobs_with_it(shop, client_for):
    job = make_job(shop)
    client, ops = client_for("ops", "oscar")

    refused = client.post(f"{_url(job)}act/", {"action": "resolve", "note": " "})
    done = client.post(f"{_url(job)}act/", {"action": "resolve", "note": "fixed in Odoo"})

    assert b"say why in a note" in refused.content
    assert b"Resolved; 1 parked job closed." in done.content
    job.refresh_from_db()
    assert (job.state, job.closed_note, job.closed_by) == (JobState.RESOLVED, "fixed in Odoo", ops)
    assert job.problem.status == Status.RESOLVED
    change = job.problem.activity.get(kind="status")
    assert (change.actor, change.note, change.data["from"], change.data["to"]) == (
        ops,
        "fixed in Odoo",
        "open",
        "resolved",
    )
    assert AuditEntry.objects.filter(action="problem.resolve").count() == 1


def test_ignore_with_a_note(shop, client_for):
    job = make_job(shop)
    client, _ = client_for("ops")

    client.post(f"{_url(job)}act/", {"action": "ignore", "note": "test order"})

    job.refresh_from_db()
    assert (job.state, job.problem.status) == (JobState.IGNORED, Status.IGNORED)


def test_snooze_until_a_date_hides_the_problem_until_then(shop, client_for):
    job = make_job(shop)
    client, _ = client_for("ops")
    until = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(f"{_url(job)}act/", {"action": "snooze", "until": until})

    assert b"Snoozed until" in response.content
    job.problem.refresh_from_db()
    assert (job.problem.status, job.problem.snooze_until is not None) == (Status.SNOOZED, True)
    assert SyncJob.objects.get(pk=job.pk).state == JobState.NEEDS_ATTENTION  # the jobs stay parked
    assert problem_list() == []
    assert AuditEntry.objects.filter(action="problem.snooze").count() == 1


def test_snooze_for_a_number_of_occurrences(shop, client_for):
    job = make_job(shop)
    client, _ = client_for("ops")

    response = client.post(f"{_url(job)}act/", {"action": "snooze", "occurrences": "5"})

    assert b"Snoozed for 5 more occurrences." in response.content
    job.problem.refresh_from_db()
    assert (job.problem.status, job.problem.snooze_remaining, job.problem.snooze_until) == (
        Status.SNOOZED,
        5,
        None,
    )


def test_a_problem_is_assigned_to_someone_who_may_act_and_noted(shop, client_for, make_user):
    job = make_job(shop)
    client, _ = client_for("ops", "oscar")
    owner = make_user("finance", username="fiona")
    viewer = make_user("viewer", username="vic")

    refused = client.post(f"{_url(job)}act/", {"action": "assign", "owner": viewer.pk})
    assigned = client.post(f"{_url(job)}act/", {"action": "assign", "owner": owner.pk})
    noted = client.post(f"{_url(job)}act/", {"action": "note", "note": "waiting for the supplier"})

    assert b"vic cannot act on problems" in refused.content
    job.problem.refresh_from_db()
    assert job.problem.owner == owner
    assert (assigned.status_code, noted.status_code) == (200, 200)
    kinds = list(job.problem.activity.order_by("pk").values_list("kind", "data", "note"))
    assert kinds[-2:] == [
        ("assigned", {"from": None, "to": "fiona"}, ""),
        ("note", {}, "waiting for the supplier"),
    ]
    assert [a.action for a in AuditEntry.objects.filter(action__startswith="problem.").order_by("pk")] == [
        "problem.assign",
        "problem.note",
    ]


def test_finance_acts_on_finance_problems_but_not_on_others(shop, client_for):
    money = make_job(shop, code="total_mismatch", key="tax_rounding", finance=True)
    sku = make_job(shop, sku="NOT-FINANCE")
    client, finance = client_for("finance")

    allowed = client.post(f"{_url(money)}act/", {"action": "replay", "scope": "group"})
    refused = client.post(f"{_url(sku)}act/", {"action": "replay", "scope": "group"})

    assert allowed.status_code == 200
    assert SyncJob.objects.get(pk=money.pk).state == JobState.QUEUED
    assert refused.status_code == 403
    assert SyncJob.objects.get(pk=sku.pk).state == JobState.NEEDS_ATTENTION
    with pytest.raises(PermissionDenied):
        problem_resolve(actor=finance, problem=sku.problem, note="not mine")


def test_the_suggested_fix_for_an_unknown_sku_opens_a_prefilled_proposal(shop, client_for):
    job = make_job(shop, sku="ABC-123")
    admin, _ = client_for("integration_admin")
    ops, _ = client_for("ops")

    for_admin = admin.get(_url(job)).content.decode()
    for_ops = ops.get(_url(job)).content.decode()

    assert f'href="/mappings/propose/?shop={shop.pk}&amp;table=sku&amp;key=ABC-123"' in for_admin
    assert 'data-testid="fix-button"' not in for_ops
    assert 'data-testid="fix-needs-admin"' in for_ops


def test_the_problem_page_shows_its_activity_timeline(shop, client_for):
    job = make_job(shop, sku="TIMELINE")
    make_job(shop, sku="TIMELINE")
    client, _ = client_for("ops", "otto")
    client.post(f"{_url(job)}act/", {"action": "note", "note": "looking into it"})

    page = client.get(_url(job)).content.decode()

    assert page.count('data-testid="activity"') == 4  # first seen, two jobs parked, the note
    assert 'data-kind="first_seen"' in page and 'data-kind="note"' in page
    assert "looking into it" in page and "by otto" in page and "by the engine" in page


def test_an_old_link_by_fingerprint_leads_to_the_problem(shop, client_for):
    job = make_job(shop, sku="OLD-LINK")
    client, _ = client_for("viewer")

    response = client.get("/exceptions/group/", {"fp": "unknown_sku:OLD-LINK"})
    missing = client.get("/exceptions/group/", {"fp": "unknown_sku:NOWHERE"})

    assert (response.status_code, response["Location"]) == (302, _url(job))
    assert missing.status_code == 404


def test_resolve_service_refuses_an_empty_note_and_writes_nothing(shop, make_user):
    job = make_job(shop)

    with pytest.raises(ValidationError):
        problem_resolve(actor=make_user("ops"), problem=job.problem, note="")

    assert SyncJob.objects.get(pk=job.pk).state == JobState.NEEDS_ATTENTION
    job.problem.refresh_from_db()
    assert job.problem.status == Status.OPEN
    assert AuditEntry.objects.count() == 0
    assert not job.problem.activity.filter(kind="status").exists()
