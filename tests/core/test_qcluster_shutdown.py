"""A django-q2 cluster whose database went away still stops on SIGTERM.

The database is an embedded PostgreSQL in a temporary folder whose processes are frozen (SIGSTOP): as
with a host that vanished, connections stay open and every read waits. Before the shutdown deadline
(opsconsole/core/management/commands/qcluster.py) the cluster ignored SIGTERM for as long as the
database stayed away; now it stops within OPSCONSOLE_Q_SHUTDOWN_SECONDS, says why, and leaves no process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from opsconsole.proctree import descendants
from tests.core.test_embedded_pg import _env, _pidfile
from tests.core.test_embedded_pg import data as _data_fixture
from tests.support.processes import LOG_DIR, ROOT, wait_for

data = _data_fixture


def _postgres_processes(data: Path) -> list[int]:
    postmaster = int(_pidfile(data)[0])
    return [postmaster, *descendants(postmaster)]


def _client_backends(data: Path) -> list[int]:
    return [
        pid
        for pid in descendants(int(_pidfile(data)[0]))
        if _read(f"/proc/{pid}/cmdline").startswith("postgres: postgres opsconsole")
    ]


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _waiting_on_a_socket(pids: list[int]) -> bool:
    # The kernel's name for where a process sleeps: psycopg waits for the server's answer in poll().
    return any(
        _read(f"/proc/{pid}/wchan").startswith(("poll_schedule_timeout", "do_sys_poll")) for pid in pids
    )


def test_a_cluster_whose_database_vanished_stops_on_sigterm(data):
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / "qcluster-db-vanished.log"
    env = {
        **_env(data),
        "DJANGO_SETTINGS_MODULE": "opsconsole.settings_test",
        "OPSCONSOLE_Q_SHUTDOWN_SECONDS": "5",
        "PYTHONUNBUFFERED": "1",
    }
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    with open(log_path, "wb") as log:
        cluster = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    frozen: list[int] = []
    try:
        wait_for(lambda: "running." in log_path.read_text(), timeout=60, message="cluster running")
        members = descendants(cluster.pid)
        assert len(members) >= 4  # sentinel, pusher, monitor, workers
        # The pusher polls the queue table every 0.2 s on its own connection: once its backend exists,
        # freeze the server and wait until a cluster process sits in a read the database never answers.
        wait_for(lambda: _client_backends(data), timeout=60, message="the cluster connected")
        frozen = _postgres_processes(data)
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        wait_for(lambda: _waiting_on_a_socket(members), timeout=60, message="a cluster process blocked")

        cluster.send_signal(signal.SIGTERM)
        wait_for(lambda: cluster.poll() is not None, timeout=120, message="qcluster exited after SIGTERM")

        assert cluster.returncode == 1
        assert (
            "qcluster did not stop within 5 s of the stop signal (a database that went away blocks its "
            "processes); killing"
        ) in log_path.read_text()
        wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in members), message="members gone")
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
        if cluster.poll() is None:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait(timeout=30)
