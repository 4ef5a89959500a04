"""Replays: a fresh budget, and a row on the problem saying who replayed what."""

from opsconsole.core.errors import BusinessRuleError
from sync.engine.replay import jobs_requeue, problem_jobs_replay
from sync.engine.run import job_run
from sync.models import JobState, Problem, ProblemActivity, SyncJob
from tests.factories import ShopifyShopFactory, UserFactory
from tests.sync.engine.conftest import fail_with, make_job


def test_a_replay_gives_a_dead_job_a_fresh_budget():
    job = make_job("order:11")
    SyncJob.objects.filter(pk=job.pk).update(state=JobState.DEAD, attempts=8, max_attempts=8)

    assert jobs_requeue(job_ids=[job.pk]) == [job.pk]

    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.max_attempts == 16
    assert job_run(key=job.idempotency_key) == "succeeded"


def test_replaying_a_problem_requeues_its_parked_jobs_only_and_says_who_did_it():
    shop = ShopifyShopFactory()
    parked = [make_job(f"order:3{i}", shop=shop) for i in range(2)]
    for job in parked:
        fail_with(job.subject, BusinessRuleError("no", code="unknown_sku", key="Z"))
        job_run(key=job.idempotency_key)
    elsewhere = make_job("order:39", shop=shop)
    fail_with("order:39", BusinessRuleError("no", code="unknown_sku", key="OTHER"))
    job_run(key=elsewhere.idempotency_key)
    problem = Problem.objects.get(fingerprint="unknown_sku:Z")
    person = UserFactory(role="ops")

    replayed = problem_jobs_replay(problems=[problem], actor=person, note="mapped Z")

    assert sorted(replayed) == sorted(j.pk for j in parked)
    assert set(SyncJob.objects.filter(pk__in=replayed).values_list("state", flat=True)) == {JobState.QUEUED}
    assert SyncJob.objects.get(pk=elsewhere.pk).state == JobState.NEEDS_ATTENTION  # another cause
    row = problem.activity.get(kind=ProblemActivity.Kind.REPLAYED)
    assert (row.actor, row.note, row.data["count"]) == (person, "mapped Z", 2)
