"""The job engine's rules, run in-process against the real database (the worker only calls job_run).

A test flow registered here raises whatever the test asks for, so each rule is checked on its own; the
end-to-end suites (tests/e2e) check the same rules through a real worker and both sandboxes.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from opsconsole.core.errors import AuthError, BusinessRuleError, ContractError, RateLimited, TransientError
from sync.flows.registry import register
from sync.models import JobAttempt, JobState, SyncJob
from sync.services.jobs import JobSpec, backoff_seconds, job_create, job_run, jobs_requeue, jobs_sweep
from tests.factories import ShopifyShopFactory

pytestmark = pytest.mark.django_db

BEHAVIOUR: dict[str, object] = {}


@register("test.flow", flow="test", label="Test flow")
def _test_flow(job, ctx):
    outcome = BEHAVIOUR.get(job.subject)
    if isinstance(outcome, BaseException):
        raise outcome
    return {"outcome": "done", "subject": job.subject}


def make_job(subject: str = "order:1", **spec):
    shop = spec.pop("shop", None) or ShopifyShopFactory()
    job, created = job_create(
        spec=JobSpec(
            kind="test.flow",
            flow="test",
            shop=shop,
            idempotency_key=f"test:{subject}:{shop.pk}",
            subject=subject,
            **spec,
        )
    )
    assert created
    return job


def test_a_succeeding_job_records_its_attempt_and_result():
    job = make_job()

    assert job_run(key=job.idempotency_key) == "succeeded"

    job.refresh_from_db()
    assert (job.state, job.attempts, job.result) == (
        JobState.SUCCEEDED,
        1,
        {"outcome": "done", "subject": "order:1"},
    )
    attempt = job.attempt_set.get()
    assert attempt.outcome == JobAttempt.Outcome.SUCCEEDED and attempt.duration_ms is not None


def test_a_job_delivered_twice_runs_once():
    job = make_job()
    job_run(key=job.idempotency_key)

    assert job_run(key=job.idempotency_key) == "not_runnable"
    assert JobAttempt.objects.filter(job=job).count() == 1


def test_a_business_error_parks_at_once_with_a_fingerprint_naming_the_cause():
    job = make_job("order:2")
    BEHAVIOUR["order:2"] = BusinessRuleError("SKU X-1 is not mapped", code="unknown_sku", key="X-1")

    job_run(key=job.idempotency_key)

    job.refresh_from_db()
    assert (job.state, job.attempts, job.fingerprint) == (JobState.NEEDS_ATTENTION, 1, "unknown_sku:X-1")
    assert (job.error_class, job.error_code, job.error_key) == ("BusinessRuleError", "unknown_sku", "X-1")
    assert job.next_attempt_at is None


def test_a_transient_error_retries_later_with_growing_backoff(settings):
    settings.SYNC_RETRY_BASE_SECONDS = 10
    job = make_job("order:3")
    BEHAVIOUR["order:3"] = TransientError("Odoo answered 502", system="odoo")

    before = timezone.now()
    job_run(key=job.idempotency_key)

    job.refresh_from_db()
    assert job.state == JobState.RETRYING
    assert before + timedelta(seconds=5) <= job.next_attempt_at <= timezone.now() + timedelta(seconds=10)
    assert job_run(key=job.idempotency_key) == "not_runnable"  # not due yet


def test_backoff_doubles_up_to_the_cap_and_never_undercuts_retry_after(settings):
    settings.SYNC_RETRY_BASE_SECONDS = 10
    settings.SYNC_RETRY_CAP_SECONDS = 60
    for attempt, ceiling in [(1, 10), (2, 20), (3, 40), (4, 60), (9, 60)]:
        delays = [backoff_seconds(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), attempt
    assert backoff_seconds(1, retry_after=300) == 300


def test_rate_limited_waits_at_least_retry_after():
    job = make_job("order:4")
    BEHAVIOUR["order:4"] = RateLimited("429", retry_after=120, system="shopify")

    job_run(key=job.idempotency_key)

    job.refresh_from_db()
    assert job.next_attempt_at >= timezone.now() + timedelta(seconds=115)


def test_the_retry_budget_sends_a_failing_job_to_dead():
    job = make_job("order:5")
    SyncJob.objects.filter(pk=job.pk).update(max_attempts=2)
    BEHAVIOUR["order:5"] = ContractError("unexpected answer")

    job_run(key=job.idempotency_key)
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    job_run(key=job.idempotency_key)

    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DEAD, 2)
    assert list(job.attempt_set.values_list("outcome", flat=True)) == ["retry", "dead"]


def test_an_auth_error_parks_without_spending_retries_and_flags_the_connection():
    job = make_job("order:6")
    BEHAVIOUR["order:6"] = AuthError("Odoo refused the API key", system="odoo")

    job_run(key=job.idempotency_key)

    job.refresh_from_db()
    assert (job.state, job.attempts, job.error_class) == (JobState.NEEDS_ATTENTION, 1, "AuthError")
    assert job.shop.odoo.__class__.objects.get(pk=job.shop.odoo_id).auth_failed_at is not None


def test_an_unexpected_exception_is_recorded_with_its_traceback_and_retried():
    job = make_job("order:7")
    BEHAVIOUR["order:7"] = KeyError("line_items")

    job_run(key=job.idempotency_key)

    job.refresh_from_db()
    assert (job.state, job.error_class) == (JobState.RETRYING, "KeyError")
    assert "KeyError" in "".join(job.error_context["traceback"])


def test_a_job_waits_while_another_worker_runs_the_same_order_and_other_orders_flow():
    from django.db import connections

    from sync.services.jobs import subject_lock_key

    shop = ShopifyShopFactory()
    same = make_job("order:8", shop=shop)
    other_order = make_job("order:80", shop=shop)
    worker_b = connections.create_connection("default")  # a second session, like a second worker
    try:
        with worker_b.cursor() as cursor:  # worker B is running a job of order 8
            cursor.execute("SELECT pg_advisory_lock(%s)", [subject_lock_key(f"{shop.pk}:order:8")])

        assert job_run(key=same.idempotency_key) == "subject_busy"
        assert job_run(key=other_order.idempotency_key) == "succeeded"
        same.refresh_from_db()
        assert (same.state, same.attempts) == (JobState.RETRYING, 0)  # no attempt was spent
    finally:
        worker_b.close()  # B finishes (a dead worker's session ends the same way)
    SyncJob.objects.filter(pk=same.pk).update(next_attempt_at=timezone.now())
    assert job_run(key=same.idempotency_key) == "succeeded"


def test_the_sweep_takes_back_a_job_whose_worker_died_and_marks_the_attempt_lost():
    job = make_job("order:9")
    # the worker claimed it and died: state running, lease expired, attempt still open
    SyncJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, attempts=1, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    JobAttempt.objects.create(job=job, number=1, started_at=timezone.now() - timedelta(minutes=6))
    OrmQ.objects.all().delete()

    report = jobs_sweep()

    job.refresh_from_db()
    assert report.abandoned == 1
    assert job.state == JobState.QUEUED  # handed over: the next sweep leaves it alone
    assert job.attempt_set.get().outcome == JobAttempt.Outcome.LOST
    assert jobs_sweep().abandoned == 0 and OrmQ.objects.count() == 1
    assert [q.task["args"] for q in OrmQ.objects.all()] == [(job.idempotency_key,)]
    assert job_run(key=job.idempotency_key) == "succeeded"
    assert job.attempt_set.count() == 2


def test_the_sweep_re_enqueues_queued_jobs_nobody_picked_up(settings):
    settings.SYNC_STRANDED_AFTER_SECONDS = 60
    job = make_job("order:10")
    OrmQ.objects.all().delete()  # the queue entry was lost
    SyncJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=5))

    report = jobs_sweep()

    assert report.stranded == 1
    assert [q.task["args"] for q in OrmQ.objects.all()] == [(job.idempotency_key,)]
    assert jobs_sweep().stranded == 0  # handed over once, not on every sweep


def test_a_replay_gives_a_dead_job_a_fresh_budget():
    job = make_job("order:11")
    SyncJob.objects.filter(pk=job.pk).update(state=JobState.DEAD, attempts=8, max_attempts=8)

    assert jobs_requeue(job_ids=[job.pk]) == 1

    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.max_attempts == 16
    assert job_run(key=job.idempotency_key) == "succeeded"


def test_a_job_that_kills_its_worker_every_time_ends_dead_not_in_a_loop():
    job = make_job("order:12")
    SyncJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING,
        attempts=8,
        max_attempts=8,
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    OrmQ.objects.all().delete()

    report = jobs_sweep()

    job.refresh_from_db()
    assert (report.abandoned, report.dead) == (0, 1)
    assert (job.state, job.error_class, job.fingerprint) == (
        JobState.DEAD,
        "WorkerLost",
        "worker_lost:test.flow",
    )
    assert OrmQ.objects.count() == 0


def test_a_backlog_of_queued_jobs_is_not_enqueued_twice(settings):
    settings.SYNC_STRANDED_AFTER_SECONDS = 60
    jobs = [make_job(f"order:2{i}") for i in range(3)]
    SyncJob.objects.filter(pk__in=[j.pk for j in jobs]).update(updated_at=timezone.now() - timedelta(hours=1))

    report = jobs_sweep()  # all three still have their queue entries: they are waiting, not lost

    assert report.stranded == 0
    assert OrmQ.objects.count() == 3


def test_a_busy_subject_does_not_cut_a_retry_backoff_short():
    from django.db import connections

    from sync.services.jobs import subject_lock_key

    shop = ShopifyShopFactory()
    job = make_job("order:13", shop=shop)
    later = timezone.now() + timedelta(minutes=10)
    SyncJob.objects.filter(pk=job.pk).update(state=JobState.RETRYING, next_attempt_at=timezone.now())
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [subject_lock_key(f"{shop.pk}:order:13")])
        SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        assert job_run(key=job.idempotency_key) == "subject_busy"
        job.refresh_from_db()
        assert job.next_attempt_at <= timezone.now() + timedelta(seconds=1)  # due again almost at once
        SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=later)
        assert job_run(key=job.idempotency_key) == "subject_busy"  # a stray delivery while B runs
        job.refresh_from_db()
        assert job.next_attempt_at == later  # the backoff stands
    finally:
        other.close()


def test_a_missing_mapping_approved_during_the_attempt_retries_instead_of_parking():
    from sync.flows.context import JobContext
    from sync.services.jobs import _record_failure
    from sync.services.mappings import MappingRow, mapping_apply

    job = make_job("order:14")
    shop = job.shop
    mapping_apply(shop=shop, rows=[MappingRow("tax", "VAT 20%|0.2", {"tax_id": 1})])  # version 1
    context = JobContext(job=SyncJob.objects.select_related("shop").get(pk=job.pk))
    context.mapping_version = 1  # the attempt read version 1, where SKU X-9 was missing
    mapping_apply(shop=shop, rows=[MappingRow("sku", "X-9", {"product_id": 5})])  # approved meanwhile
    attempt = JobAttempt.objects.create(job=job, number=1, started_at=timezone.now())

    _record_failure(
        context.job, attempt, context, BusinessRuleError("X-9", code="unknown_sku", key="X-9"), 0.0
    )

    job.refresh_from_db()
    assert job.state == JobState.RETRYING


def test_a_job_that_found_its_order_busy_is_handed_over_as_soon_as_the_holder_finishes():
    from django.db import connections

    from sync.services.jobs import subject_lock_key

    shop = ShopifyShopFactory()
    first = make_job("order:15", shop=shop)
    second = SyncJob.objects.create(
        kind="test.flow", flow="test", shop=shop, idempotency_key="test:15b", subject="order:15"
    )
    other = connections.create_connection("default")
    with other.cursor() as cursor:  # the first job's worker holds the order
        cursor.execute("SELECT pg_advisory_lock(%s)", [subject_lock_key(f"{shop.pk}:order:15")])
    assert job_run(key=second.idempotency_key) == "subject_busy"
    other.close()
    OrmQ.objects.all().delete()

    assert job_run(key=first.idempotency_key) == "succeeded"

    second.refresh_from_db()
    assert second.state == JobState.QUEUED
    assert [q.task["args"] for q in OrmQ.objects.all()] == [("test:15b",)]
