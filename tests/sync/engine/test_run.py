"""Running one job: its attempt, its result, a failure recorded with its traceback."""

from sync.engine.run import job_run
from sync.models import JobAttempt, JobState
from tests.sync.engine.conftest import fail_with, make_job


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


def test_an_unexpected_exception_is_recorded_with_its_traceback_and_retried():
    job = make_job("order:7")
    fail_with("order:7", KeyError("line_items"))

    assert job_run(key=job.idempotency_key) == "failed"

    job.refresh_from_db()
    assert (job.state, job.error_class) == (JobState.RETRYING, "KeyError")
    assert "KeyError" in "".join(job.error_context["traceback"])
    assert job.problem_id is None  # retrying is not a problem yet


def test_an_unknown_job_key_is_reported_missing():
    assert job_run(key="no-such-job") == "missing"


def test_a_job_of_a_kind_without_a_flow_fails_and_is_retried_within_its_budget():
    job = make_job("order:70")
    job.__class__.objects.filter(pk=job.pk).update(kind="no.such.kind")

    assert job_run(key=job.idempotency_key) == "failed"

    job.refresh_from_db()
    assert (job.state, job.error_class) == (JobState.RETRYING, "LookupError")
    assert job.error_message == "no flow is registered for job kind 'no.such.kind'"
