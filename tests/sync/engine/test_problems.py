"""Problems as records, Sentry's rules: one problem per shop and cause; an ignored cause stays ignored as
it comes back (counted); a resolved cause that comes back is regressed; a snooze ends at its date or after
its occurrences; the engine resolves a problem when its last blocked job succeeds. Every change has its
activity row."""

from datetime import timedelta

from django.utils import timezone

from opsconsole.core.errors import BusinessRuleError
from sync.engine.problems import problem_status_change
from sync.engine.replay import problem_jobs_replay
from sync.engine.run import job_run
from sync.models import JobState, Problem, SyncJob
from tests.factories import ShopifyShopFactory, UserFactory
from tests.sync.engine.conftest import fail_with, make_job, succeed

Status = Problem.Status


def _park(subject, shop, key="SKU-1"):
    job = make_job(subject, shop=shop)
    fail_with(subject, BusinessRuleError(f"{key} is not mapped", code="unknown_sku", key=key))
    job_run(key=job.idempotency_key)
    job.refresh_from_db()
    return job


def _kinds(problem):
    return list(problem.activity.order_by("pk").values_list("kind", flat=True))


def test_one_problem_per_shop_and_cause_counting_every_job_it_parks():
    shop, other_shop = ShopifyShopFactory(), ShopifyShopFactory()

    jobs = [_park(f"order:4{i}", shop) for i in range(3)]
    elsewhere = _park("order:49", other_shop)

    problem = Problem.objects.get(shop=shop)
    assert (problem.fingerprint, problem.title, problem.times_seen, problem.status) == (
        "unknown_sku:SKU-1",
        "Unknown SKU SKU-1",
        3,
        Status.OPEN,
    )
    assert {j.problem_id for j in jobs} == {problem.pk}
    assert elsewhere.problem.shop == other_shop and elsewhere.problem_id != problem.pk
    assert _kinds(problem) == ["first_seen", "job_parked", "job_parked", "job_parked"]
    assert problem.first_seen <= problem.last_seen


def test_an_ignored_cause_stays_ignored_as_it_comes_back_and_is_counted():
    shop = ShopifyShopFactory()
    problem = _park("order:50", shop).problem
    person = UserFactory(role="ops")
    problem_status_change(problem=problem, status=Status.IGNORED, actor=person, note="test SKU")

    _park("order:51", shop)

    problem.refresh_from_db()
    assert (problem.status, problem.times_seen) == (Status.IGNORED, 2)
    last = problem.activity.order_by("-pk").first()
    assert (last.kind, last.note) == ("job_parked", "counted; the problem stays ignored")


def test_a_resolved_cause_that_comes_back_is_regressed_with_an_activity_row():
    shop = ShopifyShopFactory()
    problem = _park("order:52", shop).problem
    problem_status_change(
        problem=problem, status=Status.RESOLVED, actor=UserFactory(role="ops"), note="fixed"
    )

    _park("order:53", shop)

    problem.refresh_from_db()
    assert problem.status == Status.REGRESSED
    regressed = problem.activity.get(kind="status", data__to="regressed")
    assert (regressed.actor, regressed.note, regressed.data["from"]) == (
        None,
        "A cause marked resolved came back.",
        "resolved",
    )


def test_a_snooze_for_n_occurrences_opens_the_problem_when_they_are_used_up():
    shop = ShopifyShopFactory()
    problem = _park("order:54", shop).problem
    problem_status_change(problem=problem, status=Status.SNOOZED, snooze_remaining=2)

    _park("order:55", shop)
    problem.refresh_from_db()
    assert (problem.status, problem.snooze_remaining) == (Status.SNOOZED, 1)

    _park("order:56", shop)
    problem.refresh_from_db()
    assert (problem.status, problem.snooze_remaining, problem.times_seen) == (Status.OPEN, None, 3)
    assert problem.activity.order_by("-pk").filter(kind="status").first().note == (
        "The snooze's occurrences are used up."
    )


def test_a_snooze_until_a_date_holds_until_then_and_an_occurrence_after_it_opens_the_problem():
    shop = ShopifyShopFactory()
    problem = _park("order:57", shop).problem
    problem_status_change(
        problem=problem, status=Status.SNOOZED, snooze_until=timezone.now() + timedelta(days=1)
    )

    _park("order:58", shop)
    problem.refresh_from_db()
    assert problem.status == Status.SNOOZED  # a new occurrence does not end a dated snooze

    Problem.objects.filter(pk=problem.pk).update(snooze_until=timezone.now() - timedelta(seconds=1))
    _park("order:59", shop)
    problem.refresh_from_db()
    assert (problem.status, problem.snooze_until) == (Status.OPEN, None)


def test_the_engine_resolves_a_problem_when_its_last_blocked_job_succeeds():
    shop = ShopifyShopFactory()
    first, second = _park("order:60", shop), _park("order:61", shop)
    problem = first.problem
    problem_jobs_replay(problems=[problem], actor=UserFactory(role="ops"))
    succeed("order:60")
    succeed("order:61")

    assert job_run(key=first.idempotency_key) == "succeeded"
    problem.refresh_from_db()
    assert problem.status == Status.OPEN  # the second is still on its way

    assert job_run(key=second.idempotency_key) == "succeeded"
    problem.refresh_from_db()
    assert problem.status == Status.RESOLVED
    cleared = problem.activity.get(kind="status", data__to="resolved")
    assert (cleared.actor, cleared.note, cleared.data["job"]) == (
        None,
        "Its last blocked job succeeded.",
        second.pk,
    )
    assert SyncJob.objects.get(pk=second.pk).problem_id == problem.pk  # the record stays


def test_a_job_that_fails_again_after_a_replay_keeps_the_problem_open():
    shop = ShopifyShopFactory()
    job = _park("order:62", shop)
    problem_jobs_replay(problems=[job.problem])

    job_run(key=job.idempotency_key)  # still not mapped

    job.problem.refresh_from_db()
    assert (job.problem.status, job.problem.times_seen) == (Status.OPEN, 2)
    assert SyncJob.objects.get(pk=job.pk).state == JobState.NEEDS_ATTENTION
