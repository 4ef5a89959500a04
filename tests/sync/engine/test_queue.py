"""Making jobs: the job and its queue entry in one transaction, once per idempotency key."""

import pytest
from django.db import transaction
from django_q.models import OrmQ

from sync.engine.queue import JobSpec, job_create
from sync.models import SyncJob
from tests.factories import ShopifyShopFactory


def test_a_job_and_its_queue_entry_are_written_together_once_per_key():
    shop = ShopifyShopFactory()
    spec = JobSpec(kind="test.flow", flow="test", shop=shop, idempotency_key="test:q1", subject="order:1")

    job, created = job_create(spec=spec)
    again, created_again = job_create(spec=spec)

    assert (created, created_again, again.pk) == (True, False, job.pk)
    assert [(q.task["args"], q.task["group"]) for q in OrmQ.objects.all()] == [(("test:q1",), "test")]


def test_a_rolled_back_job_leaves_no_queue_entry():
    shop = ShopifyShopFactory()
    spec = JobSpec(kind="test.flow", flow="test", shop=shop, idempotency_key="test:q2", subject="order:2")

    with pytest.raises(RuntimeError), transaction.atomic():
        job_create(spec=spec)
        raise RuntimeError("the caller's transaction fails")

    assert (SyncJob.objects.count(), OrmQ.objects.count()) == (0, 0)


def test_a_job_made_inside_correlated_work_carries_its_correlation_id():
    from opsconsole.core.correlation import log_context

    shop = ShopifyShopFactory()
    given = "5b0e6a7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"

    with log_context(correlation_id=given):
        inside, _ = job_create(
            spec=JobSpec(
                kind="test.flow", flow="test", shop=shop, idempotency_key="test:c1", subject="order:7"
            )
        )
    outside, _ = job_create(
        spec=JobSpec(kind="test.flow", flow="test", shop=shop, idempotency_key="test:c2", subject="order:8")
    )

    assert str(inside.correlation_id) == given
    assert str(outside.correlation_id) not in ("", given)
