"""What an error means for its job (retry, park, dead) and how failures group into problems."""

from datetime import timedelta

from django.utils import timezone

from opsconsole.core.errors import AuthError, BusinessRuleError, ContractError, RateLimited, TransientError
from sync.connectors.odoo.transport import map_odoo_error
from sync.engine.classify import backoff_seconds, fingerprint_for, message_family
from sync.engine.run import job_run
from sync.models import JobState, OdooConnection, SyncJob
from tests.sync.engine.conftest import fail_with, make_job


def test_a_business_error_parks_at_once_with_a_fingerprint_naming_the_cause():
    job = make_job("order:2")
    fail_with("order:2", BusinessRuleError("SKU X-1 is not mapped", code="unknown_sku", key="X-1"))

    job_run(key=job.idempotency_key)

    job.refresh_from_db()
    assert (job.state, job.attempts, job.fingerprint) == (JobState.NEEDS_ATTENTION, 1, "unknown_sku:X-1")
    assert (job.error_class, job.error_code, job.error_key) == ("BusinessRuleError", "unknown_sku", "X-1")
    assert job.next_attempt_at is None


def test_a_transient_error_retries_later_with_growing_backoff(settings):
    settings.SYNC_RETRY_BASE_SECONDS = 10
    job = make_job("order:3")
    fail_with("order:3", TransientError("Odoo answered 502", system="odoo"))

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
    fail_with("order:4", RateLimited("429", retry_after=120, system="shopify"))

    job_run(key=job.idempotency_key)

    job.refresh_from_db()
    assert job.next_attempt_at >= timezone.now() + timedelta(seconds=115)


def test_the_retry_budget_sends_a_failing_job_to_dead():
    job = make_job("order:5")
    SyncJob.objects.filter(pk=job.pk).update(max_attempts=2)
    fail_with("order:5", ContractError("unexpected answer"))

    job_run(key=job.idempotency_key)
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    job_run(key=job.idempotency_key)

    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DEAD, 2)
    assert list(job.attempt_set.values_list("outcome", flat=True)) == ["retry", "dead"]
    assert (job.problem.fingerprint, job.problem.times_seen) == ("ContractError:test.flow", 1)


def test_an_auth_error_parks_without_spending_retries_and_flags_the_connection():
    job = make_job("order:6")
    fail_with("order:6", AuthError("Odoo refused the API key", system="odoo"))

    job_run(key=job.idempotency_key)

    job.refresh_from_db()
    assert (job.state, job.attempts, job.error_class) == (JobState.NEEDS_ATTENTION, 1, "AuthError")
    assert OdooConnection.objects.get(pk=job.shop.odoo_id).auth_failed_at is not None
    assert (job.fingerprint, job.problem.shop_id, job.problem.title) == (
        "auth:odoo",
        job.shop_id,
        "Odoo refused our credentials",
    )


def _refusal(message: str, *, model: str = "sale.order", method: str = "action_confirm") -> BusinessRuleError:
    exc = map_odoo_error("odoo.exceptions.UserError", message, model=model, method=method)
    assert isinstance(exc, BusinessRuleError)
    return exc


def test_one_odoo_refusal_is_one_problem_whatever_order_it_hits():
    job = make_job("order:16")
    first = _refusal("Order S00042 cannot be confirmed: product 'Beanie (Rust)' is archived (id 381).")
    second = _refusal("Order S00917 cannot be confirmed: product 'Wool Socks' is archived (id 12).")

    assert fingerprint_for(job, first) == fingerprint_for(job, second)
    assert fingerprint_for(job, first) == (
        "odoo_user_error:sale.order.action_confirm:"
        "order s# cannot be confirmed: product … is archived (id #)."
    )


def test_different_odoo_refusals_and_calls_are_different_problems():
    job = make_job("order:17")
    archived = _refusal("Order S00042 cannot be confirmed: product 'Beanie' is archived.")
    locked = _refusal("It is not allowed to confirm an order in the following states: Cancelled")
    on_write = _refusal("Order S00042 cannot be confirmed: product 'Beanie' is archived.", method="write")

    assert len({fingerprint_for(job, e) for e in (archived, locked, on_write)}) == 3


def test_message_family_drops_what_varies_per_record():
    assert message_family(
        'Record sale.order(42, 43) of "Jane Doe" <jane@example.com>: 12.50 EUR due 2026-11-30'
    ) == ("record sale.order() of … <…>: # eur due #")
