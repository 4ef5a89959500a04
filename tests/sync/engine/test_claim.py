"""Claiming: a task delivered twice runs its job once; two jobs of one order never run at once, and the
one that waited is handed over when the holder finishes."""

from datetime import timedelta

from django.db import connections
from django.utils import timezone
from django_q.models import OrmQ

from opsconsole.core.errors import TransientError
from sync.engine.run import job_run
from sync.locks import job_lock_key
from sync.models import JobAttempt, JobState, SyncJob
from tests.factories import ShopifyShopFactory
from tests.sync.engine.conftest import fail_with, make_job


def test_a_job_delivered_twice_runs_once():
    job = make_job()
    job_run(key=job.idempotency_key)

    assert job_run(key=job.idempotency_key) == "not_runnable"
    assert JobAttempt.objects.filter(job=job).count() == 1


def test_a_job_waits_while_another_worker_runs_the_same_order_and_other_orders_flow():
    shop = ShopifyShopFactory()
    same = make_job("order:8", shop=shop)
    other_order = make_job("order:80", shop=shop)
    worker_b = connections.create_connection("default")  # a second session, like a second worker
    try:
        with worker_b.cursor() as cursor:  # worker B is running a job of order 8
            cursor.execute("SELECT pg_advisory_lock(%s)", [job_lock_key(shop.pk, "order:8")])

        assert job_run(key=same.idempotency_key) == "subject_busy"
        assert job_run(key=other_order.idempotency_key) == "succeeded"
        same.refresh_from_db()
        assert (same.state, same.attempts) == (JobState.RETRYING, 0)  # no attempt was spent
    finally:
        worker_b.close()  # B finishes (a dead worker's session ends the same way)
    SyncJob.objects.filter(pk=same.pk).update(next_attempt_at=timezone.now())
    assert job_run(key=same.idempotency_key) == "succeeded"


def test_a_busy_subject_does_not_cut_a_retry_backoff_short():
    shop = ShopifyShopFactory()
    job = make_job("order:13", shop=shop)
    later = timezone.now() + timedelta(minutes=10)
    SyncJob.objects.filter(pk=job.pk).update(state=JobState.RETRYING, next_attempt_at=timezone.now())
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [job_lock_key(shop.pk, "order:13")])
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


def test_a_job_that_found_its_order_busy_is_handed_over_as_soon_as_the_holder_finishes():
    shop = ShopifyShopFactory()
    first = make_job("order:15", shop=shop)
    second = SyncJob.objects.create(
        kind="test.flow", flow="test", shop=shop, idempotency_key="test:15b", subject="order:15"
    )
    other = connections.create_connection("default")
    with other.cursor() as cursor:  # the first job's worker holds the order
        cursor.execute("SELECT pg_advisory_lock(%s)", [job_lock_key(shop.pk, "order:15")])
    assert job_run(key=second.idempotency_key) == "subject_busy"
    with other.cursor() as cursor:  # the holder finishes: the lock is free when this returns (a close alone
        # ends the server's session a moment later, and the first job could still find the order busy)
        cursor.execute("SELECT pg_advisory_unlock(%s)", [job_lock_key(shop.pk, "order:15")])
    other.close()
    OrmQ.objects.all().delete()

    assert job_run(key=first.idempotency_key) == "succeeded"

    second.refresh_from_db()
    assert second.state == JobState.QUEUED
    assert [q.task["args"] for q in OrmQ.objects.all()] == [("test:15b",)]


def test_a_job_is_never_woken_before_its_own_backoff_by_its_own_finish(settings):
    # given a backoff inside the hand-over window (a test setting here; a short Retry-After in production)
    settings.SYNC_RETRY_BASE_SECONDS = 0.5
    job = make_job("order:16")
    fail_with("order:16", TransientError("Odoo answered 502", system="odoo"))
    OrmQ.objects.all().delete()

    assert job_run(key=job.idempotency_key) == "failed"

    # then it waits for its backoff: still retrying, due later, and not put back on the queue
    job.refresh_from_db()
    assert job.state == JobState.RETRYING
    assert job.next_attempt_at > job.updated_at
    assert OrmQ.objects.count() == 0
