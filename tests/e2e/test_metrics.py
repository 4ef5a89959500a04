"""Metrics across processes (prometheus-client's multiprocess mode): what the worker's processes count is
served by the worker host's own listener and by ``GET /metrics`` on the same host."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sandbox.odoo.testing import free_port
from sync.models import JobState
from tests.e2e.conftest import Worker
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e

TOKEN = "e2e-metrics-token"


@pytest.fixture(scope="module")
def metrics_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="prom-") as path:
        yield Path(path)


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, metrics_dir) -> Iterator[Worker]:  # type: ignore[no-untyped-def]
    w = Worker(
        f"e2e-worker-metrics-{os.getpid()}",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        OPSCONSOLE_WORKER_METRICS_BIND=f"127.0.0.1:{free_port()}",
        OPSCONSOLE_METRICS_TOKEN=TOKEN,
    )
    w.start()
    yield w
    w.stop()


def _sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_a_jobs_counts_from_the_worker_processes_reach_both_scrapes(
    pipeline, worker, metrics_dir, monkeypatch, settings
):
    # given an order delivered and run by the worker's processes
    pipeline.generate_orders(1, skus=["MERINOTE-M-NAVY"], quantity=1, seed=5)
    jobs = pipeline.settle(expect_jobs=1)
    assert [j.state for j in jobs if j.kind == "order.upsert"] == [JobState.SUCCEEDED]
    url = f"http://{worker.env['OPSCONSOLE_WORKER_METRICS_BIND']}/metrics"

    # when the worker host's listener is scraped, with and without the token
    refused = requests.get(url, timeout=10)
    scraped = wait_for(
        lambda: (
            (r := requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)).ok
            and _sample(r.text, "opsconsole_jobs_finished_total", flow="orders", outcome="succeeded")
            and r.text
        ),
        timeout=30,
        message="the worker's metrics listener",
    )

    # then it counts the job, its duration and its Odoo calls, summed over the worker's processes
    assert refused.status_code == 401
    assert _sample(scraped, "opsconsole_jobs_finished_total", flow="orders", outcome="succeeded") == 1.0
    assert _sample(scraped, "opsconsole_job_duration_seconds_count", flow="orders") == 1.0
    assert _sample(scraped, "opsconsole_connector_calls_total", system="odoo", outcome="ok") >= 3.0
    # and GET /metrics on the same host (the same directory) serves them beside the database's state
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    settings.METRICS_TOKEN = TOKEN
    web = requests.get(
        f"{pipeline.callback_url.rsplit('/webhooks', 1)[0]}/metrics",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert _sample(web.text, "opsconsole_jobs_finished_total", flow="orders", outcome="succeeded") == 1.0
    assert _sample(web.text, "opsconsole_queue_depth", flow="orders", state="queued") == 0.0
