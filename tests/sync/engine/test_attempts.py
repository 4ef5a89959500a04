"""Recording an outcome: a missing mapping approved during the attempt, and a job whose failure changes
cause (it leaves its old problem, which clears when nothing else is blocked on it)."""

import time

from django.utils import timezone

from opsconsole.core.errors import BusinessRuleError
from sync.engine.attempts import record_failure
from sync.engine.context import context_for
from sync.engine.run import job_run
from sync.models import JobAttempt, JobState, Problem, SyncJob
from sync.services.mappings import MappingRow, mapping_apply
from tests.sync.engine.conftest import fail_with, make_job


def test_a_missing_mapping_approved_during_the_attempt_retries_instead_of_parking():
    job = make_job("order:14")
    shop = job.shop
    mapping_apply(shop=shop, rows=[MappingRow("tax", "VAT 20%|0.2", {"tax_id": 1})])  # version 1
    context = context_for(SyncJob.objects.select_related("shop", "shop__odoo").get(pk=job.pk))
    context.mapping_version = 1  # the attempt read version 1, where SKU X-9 was missing
    mapping_apply(shop=shop, rows=[MappingRow("sku", "X-9", {"product_id": 5})])  # approved meanwhile
    attempt = JobAttempt.objects.create(job=job, number=1, started_at=timezone.now())

    record_failure(
        context.job,
        attempt,
        context,
        BusinessRuleError("X-9", code="unknown_sku", key="X-9"),
        time.monotonic(),
    )

    job.refresh_from_db()
    assert (job.state, job.problem_id) == (JobState.RETRYING, None)
    assert Problem.objects.count() == 0


def test_a_job_that_fails_for_another_cause_moves_to_that_problem_and_the_old_one_clears():
    job = make_job("order:18")
    fail_with("order:18", BusinessRuleError("SKU A is not mapped", code="unknown_sku", key="A"))
    job_run(key=job.idempotency_key)
    first = Problem.objects.get()
    SyncJob.objects.filter(pk=job.pk).update(state=JobState.QUEUED)  # replayed

    fail_with("order:18", BusinessRuleError("tax T is not mapped", code="unknown_tax", key="T"))
    job_run(key=job.idempotency_key)

    job.refresh_from_db()
    first.refresh_from_db()
    assert (job.problem.fingerprint, job.problem.status) == ("unknown_tax:T", Problem.Status.OPEN)
    assert first.status == Problem.Status.RESOLVED
    assert first.activity.get(kind="status").note == "Its last blocked job now fails for another cause."
