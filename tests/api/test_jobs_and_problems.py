"""/api/v1/jobs/ and /api/v1/problems/: the console's filters and reads, the same services (and so the same
permission rules and audit) for every action, cursor pages and one error shape."""

from datetime import timedelta

from opsconsole.core.models import AuditEntry
from sync.models import JobState, Problem, ProblemActivity, SyncJob
from tests.api.conftest import make_job
from tests.console.conftest import queued_job_ids


def test_jobs_list_filters_like_the_console_and_pages_by_cursor(shop, api_for):
    client, _, _ = api_for("viewer")
    parked = [make_job(shop, sku=f"SKU-{n}", age=timedelta(minutes=n)) for n in range(1, 4)]
    done = make_job(shop, state=JobState.SUCCEEDED, age=timedelta(minutes=30))

    everything = client.get("/api/v1/jobs/").json()
    assert [j["id"] for j in everything["results"]] == [*(j.pk for j in parked), done.pk]
    assert set(everything) == {"next", "previous", "results"}

    assert [j["id"] for j in client.get("/api/v1/jobs/", state="succeeded").json()["results"]] == [done.pk]
    assert [j["id"] for j in client.get("/api/v1/jobs/", q=parked[1].subject_label).json()["results"]] == [
        parked[1].pk
    ]

    first = client.get("/api/v1/jobs/", page_size=2).json()
    assert [j["id"] for j in first["results"]] == [parked[0].pk, parked[1].pk]
    second = client.client.get(first["next"], headers=client.headers).json()
    assert [j["id"] for j in second["results"]] == [parked[2].pk, done.pk]
    assert second["next"] is None


def test_a_job_s_detail_has_its_attempts_and_a_masked_payload(shop, api_for):
    client, _, _ = api_for("viewer")
    job = make_job(shop, sku="ABC-1")

    body = client.get(f"/api/v1/jobs/{job.pk}/").json()

    assert (body["id"], body["state"], body["error_code"], body["problem_id"]) == (
        job.pk,
        "needs_attention",
        "unknown_sku",
        job.problem_id,
    )
    assert [(a["number"], a["outcome"], a["duration_ms"]) for a in body["attempt_set"]] == [
        (1, "parked", 420)
    ]
    assert "jane.doe@example.com" not in str(body) and "Privet" not in str(body)
    assert body["payload"]["line_items"][0]["sku"] == "ABC-1"
    assert body["links"]["shopify_url"].endswith(f"/admin/orders/{job.event.subject_id}")


def test_a_viewer_cannot_replay_a_job_but_ops_can_and_both_are_audited(shop, api_for):
    job = make_job(shop)
    viewer, _, _ = api_for("viewer")
    ops, ops_user, token = api_for("ops", username="opal")

    refused = viewer.post(f"/api/v1/jobs/{job.pk}/replay/")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert SyncJob.objects.get(pk=job.pk).state == JobState.NEEDS_ATTENTION

    answer = ops.post(f"/api/v1/jobs/{job.pk}/replay/")
    assert (answer.status_code, answer.json()) == (200, {"count": 1})
    assert SyncJob.objects.get(pk=job.pk).state == JobState.QUEUED
    assert queued_job_ids() == [job.pk]
    assert AuditEntry.objects.get(action="job.replay").actor == ops_user
    calls = AuditEntry.objects.filter(action="api.replay", object_type="sync_job").order_by("pk")
    assert [(c.after["status"], c.actor_name) for c in calls] == [(403, calls[0].actor_name), (200, "opal")]
    assert f"token {token.prefix}" in calls[1].summary


def test_problems_list_and_detail_with_activity(shop, api_for):
    client, _, _ = api_for("viewer")
    job = make_job(shop, sku="ABC-9")
    make_job(shop, sku="ABC-9")
    make_job(shop, sku="OTHER", age=timedelta(hours=2))

    listed = client.get("/api/v1/problems/").json()["results"]
    assert [(p["fingerprint"], p["blocked"]) for p in listed] == [
        ("unknown_sku:ABC-9", 2),
        ("unknown_sku:OTHER", 1),
    ]
    assert [p["fingerprint"] for p in client.get("/api/v1/problems/", q="OTHER").json()["results"]] == [
        "unknown_sku:OTHER"
    ]
    assert client.get("/api/v1/problems/", status="resolved").json()["results"] == []

    detail = client.get(f"/api/v1/problems/{job.problem_id}/").json()
    assert len(detail["parked_jobs"]) == 2
    assert [a["kind"] for a in detail["activity"]][-1] == "first_seen"


def test_problem_actions_go_through_the_services(shop, api_for, make_user):
    job = make_job(shop, sku="ABC-7")
    problem_id = job.problem_id
    client, user, _ = api_for("ops", username="opsy")
    owner = make_user("ops", username="owner")

    assert (
        client.post(f"/api/v1/problems/{problem_id}/assign/", {"owner": owner.pk}).json()["owner"] == "owner"
    )
    snoozed = client.post(f"/api/v1/problems/{problem_id}/snooze/", {"occurrences": 3, "note": "later"})
    assert (snoozed.status_code, snoozed.json()["status"], snoozed.json()["snooze_remaining"]) == (
        200,
        "snoozed",
        3,
    )
    bad = client.post(f"/api/v1/problems/{problem_id}/snooze/", {"until": "2001-01-01T00:00:00Z"})
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "snooze until a time in the future"

    no_note = client.post(f"/api/v1/problems/{problem_id}/resolve/", {})
    assert (no_note.status_code, list(no_note.json()["error"]["fields"])) == (400, ["note"])
    resolved = client.post(f"/api/v1/problems/{problem_id}/resolve/", {"note": "fixed by hand in Odoo"})
    assert resolved.json() == {"count": 1}
    problem = Problem.objects.get(pk=problem_id)
    assert problem.status == Problem.Status.RESOLVED
    assert SyncJob.objects.get(pk=job.pk).state == JobState.RESOLVED
    kinds = list(ProblemActivity.objects.filter(problem=problem, actor=user).values_list("kind", flat=True))
    assert sorted(kinds) == ["assigned", "status", "status"]
    assert set(AuditEntry.objects.filter(actor=user).values_list("action", flat=True)) >= {
        "problem.assign",
        "problem.snooze",
        "problem.resolve",
        "api.assign",
        "api.snooze",
        "api.resolve",
    }


def test_replaying_a_problem_replays_its_parked_jobs(shop, api_for):
    first = make_job(shop, sku="ABC-5")
    second = make_job(shop, sku="ABC-5")
    client, _, _ = api_for("ops")

    answer = client.post(f"/api/v1/problems/{first.problem_id}/replay/", {"job_ids": [second.pk]})

    assert answer.json() == {"job_ids": [second.pk]}
    assert queued_job_ids() == [second.pk]


def test_roles_that_may_not_act_get_403_whatever_they_send(shop, api_for):
    job = make_job(shop)
    finance, _, _ = api_for("finance")
    viewer, _, _ = api_for("viewer")
    for client in (viewer, finance):
        for action, body in (
            ("resolve", {}),
            ("snooze", {"until": "x"}),
            ("assign", {"owner": "x"}),
            ("replay", []),
        ):
            response = client.post(f"/api/v1/problems/{job.problem_id}/{action}/", body)
            assert response.status_code == 403, (action, response.content)
    assert Problem.objects.get(pk=job.problem_id).status == Problem.Status.OPEN


def test_finance_acts_on_finance_problems(shop, api_for):
    job = make_job(shop, code="total_mismatch", finance=True)
    finance, _, _ = api_for("finance")
    answer = finance.post(f"/api/v1/problems/{job.problem_id}/ignore/", {"note": "booked by hand"})
    assert answer.json() == {"count": 1}


def test_errors_have_one_shape(shop, api_for):
    client, _, _ = api_for("viewer")
    for path in ("/api/v1/jobs/999999/", "/api/v1/problems/99999999999999999999/", "/api/v1/nothing-here/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"]["status"] == 404
    bad_cursor = client.get("/api/v1/jobs/", cursor="garbage")
    assert bad_cursor.status_code == 404 and bad_cursor.json()["error"]["code"] == "not_found"
    assert client.post("/api/v1/jobs/").json()["error"]["code"] == "method_not_allowed"


def test_a_token_whose_user_lost_every_role_gets_403_not_401(shop, api_for):
    client, user, _ = api_for("viewer")
    user.groups.clear()

    response = client.get("/api/v1/problems/")

    assert response.status_code == 403
    assert response.json()["error"] == {
        "status": 403,
        "code": "permission_denied",
        "message": "this needs the permission view_console",
        "correlation_id": response["X-Correlation-ID"],
    }


def test_a_body_with_text_that_is_not_unicode_is_a_400_not_a_500(shop, api_for):
    job = make_job(shop)
    client, _, _ = api_for("ops")
    body = '{"note": "fixed \\ud800 by hand"}'
    response = client.client.post(
        f"/api/v1/problems/{job.problem_id}/resolve/",
        body,
        content_type="application/json",
        headers=client.headers,
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "the body holds text that is not valid Unicode"
    assert Problem.objects.get(pk=job.problem_id).status == Problem.Status.OPEN


def test_an_error_and_the_audit_entry_carry_the_caller_s_correlation_id(shop, api_for):
    job = make_job(shop)
    client, _, _ = api_for("viewer")
    cid = "0b0e5d3a-3c1f-4a6e-9a1e-2f1d7b7a9c10"
    response = client.client.post(
        f"/api/v1/jobs/{job.pk}/replay/",
        {},
        content_type="application/json",
        headers={**client.headers, "X-Correlation-ID": cid},
    )
    assert (response.status_code, response["X-Correlation-ID"]) == (403, cid)
    assert response.json()["error"]["correlation_id"] == cid
    assert AuditEntry.objects.get(action="api.replay").after["correlation_id"] == cid
