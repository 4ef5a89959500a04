"""Fixtures for end-to-end tests: sandboxes and a worker live for the session; each test resets them."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.odoo.testing import odoo_sandbox
from sandbox.shopify.testing import running_sandbox
from tests.support.pipeline import WORKER_ENV, Pipeline, build_pipeline
from tests.support.processes import LOG_DIR, process_env, stop_process_group

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def shopify_sandbox(tmp_path_factory):  # type: ignore[no-untyped-def]
    with running_sandbox(data_dir=tmp_path_factory.mktemp("shopify"), clock_speed=1.0) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def odoo_sandbox_19(tmp_path_factory):  # type: ignore[no-untyped-def]
    with odoo_sandbox(tmp_path_factory.mktemp("odoo"), version=19, seed=True) as sandbox:
        yield sandbox


class Worker:
    """One qcluster process for the session; tests may kill it (SIGKILL) and start it again."""

    def __init__(self, name: str = "e2e-worker", **env: str) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = LOG_DIR / f"{name}.log"
        self.env = {**WORKER_ENV, **env}

    def start(self) -> subprocess.Popen[bytes]:
        import sys

        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=process_env(**self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self.proc

    def kill(self) -> None:
        import os
        import signal

        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process_group(self.proc)


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker) -> Iterator[Worker]:  # type: ignore[no-untyped-def]
    # Module scope: a worker left running would pick up the queued jobs of later, worker-less tests.
    w = Worker()
    w.start()
    yield w
    w.stop()


@pytest.fixture
def pipeline(transactional_db, live_server, shopify_sandbox, odoo_sandbox_19, worker) -> Iterator[Pipeline]:  # type: ignore[no-untyped-def]
    if worker.proc is None or worker.proc.poll() is not None:
        worker.start()
    yield build_pipeline(
        shopify=shopify_sandbox,
        odoo=odoo_sandbox_19,
        live_url=live_server.url,
        restart_worker=worker.start,
        kill_worker=worker.kill,
    )
    shopify_sandbox.control.clear_faults()
    odoo_sandbox_19.control.clear_faults()
