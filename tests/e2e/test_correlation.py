"""The correlation id of a webhook follows its job into every log line and every Odoo call, and no
customer e-mail reaches the logs (JSON lines, as in production)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from sync.models import JobState
from tests.e2e.conftest import Worker

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker) -> Iterator[Worker]:  # type: ignore[no-untyped-def]
    # This module's own worker, logging JSON lines (production's format) to a file of its own.
    w = Worker(f"e2e-worker-json-{os.getpid()}", OPSCONSOLE_LOG_FORMAT="json", OPSCONSOLE_LOG_LEVEL="INFO")
    w.log_path.unlink(missing_ok=True)
    w.start()
    yield w
    w.stop()


def _json_lines(path) -> list[dict]:  # type: ignore[no-untyped-def]
    lines = []
    for raw in path.read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def test_a_webhooks_correlation_id_is_in_its_jobs_log_lines_and_odoo_calls_without_customer_email(
    pipeline, worker
):
    # given an order placed in the Shopify sandbox, delivered to our webhook
    order = pipeline.generate_orders(1, skus=["MERINOTE-M-NAVY"], quantity=1, seed=11)[0]
    email = order.get("email") or order["customer"]["email"]
    assert "@" in email

    # when the worker has run its job
    jobs = pipeline.settle(expect_jobs=1)
    job = next(j for j in jobs if j.kind == "order.upsert")
    assert job.state == JobState.SUCCEEDED
    cid = str(job.correlation_id)

    # then the job's log lines are JSON objects carrying the webhook's correlation id and the job's fields
    lines = [line for line in _json_lines(worker.log_path) if line.get("correlation_id") == cid]
    events = [line["event"] for line in lines]
    assert events[0] == "job.started" and events[-1] == "job.finished"
    assert "connector.call" in events
    finished = lines[-1]
    assert finished["job_id"] == job.pk
    assert finished["shop"] == pipeline.shop.pk
    assert finished["flow"] == job.flow
    assert finished["outcome"] == "succeeded"
    assert finished["level"] == "info"
    assert isinstance(finished["duration_ms"], float)
    assert finished["timestamp"].endswith("Z")
    # and every Odoo call the job made arrived with the same id in X-Correlation-ID
    calls = pipeline.odoo.control.counters()["by_correlation_id"].get(cid, [])
    assert "sale.order.web_save" in calls and "sale.order.action_confirm" in calls
    # and the customer's e-mail is in no log line, whichever process wrote it
    assert email not in worker.log_path.read_text(errors="replace")
