"""Chaos: PostgreSQL restarted mid-run, for real. The machine's PostgreSQL serves every other test in
parallel and must not be restarted, so this test starts a PostgreSQL cluster of its own
(tests/support/private_pg.py) and runs the scenario (tests/e2e/chaos_postgres_restart.py) in a pytest whose
database, live server and worker all use that cluster; the scenario stops, starts and restarts it while
webhooks flow and judges the run with the chaos checker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.private_pg import private_cluster
from tests.support.processes import LOG_DIR

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = Path(__file__).with_name("chaos_postgres_restart.py")


def test_postgresql_restarted_mid_run_loses_and_doubles_nothing():
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / "chaos-postgres.log"
    with private_cluster() as cluster:
        cluster.createdb("opsconsole")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DATABASE_URL"))},
            **cluster.env,
            "DATABASE_URL": cluster.url("opsconsole"),
        }
        command = [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q", "-x"]
        with log_path.open("w") as log:
            run = subprocess.run(
                [*command, str(SCENARIO.relative_to(ROOT))],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=600,
                check=False,
            )
        output = log_path.read_text(errors="replace")
    assert run.returncode == 0, (
        f"the scenario failed (its output: {log_path}; PostgreSQL's log went with "
        + (f"the cluster):\n{output[-6000:]}")
    )
