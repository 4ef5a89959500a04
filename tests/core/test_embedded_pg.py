"""The embedded PostgreSQL (DATABASE_URL unset) in a temporary data folder: whatever state a previous run
left it in, the next start takes it over or starts it again with one line saying so, never an
AssertionError from inside pgserver."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from opsconsole.embedded_pg import _bin
from tests.support.processes import ROOT, wait_for


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(OPSCONSOLE_DATA_DIR=str(data), OPSCONSOLE_EMBEDDED_PG_SETTLE_SECONDS="3")
    return env


def _embedded(data: Path, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opsconsole.embedded_pg", command],
        cwd=ROOT,
        env=_env(data),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _messages(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("embedded PostgreSQL:")]


def _pidfile(data: Path) -> list[str]:
    return (data / "pg" / "postmaster.pid").read_text().splitlines()


def _connect(data: Path) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(host=str(data / "pg"), user="postgres", dbname="opsconsole", autocommit=True)


def _answers(data: Path) -> bool:
    with _connect(data) as conn:
        return conn.execute("SELECT 1").fetchone() == (1,)


@pytest.fixture
def data() -> Iterator[Path]:
    # Not under pytest's tmp_path: pytest keeps that private to root (0700), and as root the embedded
    # server runs as the user pgserver, who must reach its data folder. A short path, too (unix socket).
    folder = Path(tempfile.mkdtemp(prefix="ocpg-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        first = _embedded(folder, "start")
        assert first.returncode == 0, first.stderr
        yield folder
    finally:
        _embedded(folder, "stop")
        pidfile = folder / "pg" / "postmaster.pid"
        if pidfile.exists() and _is_our_postmaster_in(folder, int(_pidfile(folder)[0])):
            os.kill(int(_pidfile(folder)[0]), signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)


def _is_our_postmaster_in(data: Path, pid: int) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return str(data / "pg").encode() in argv


def test_a_server_left_running_is_taken_over(data):
    pid = _pidfile(data)[0]

    again = _embedded(data, "start")

    assert again.returncode == 0, again.stderr
    assert _messages(again) == []
    assert _pidfile(data)[0] == pid
    assert _answers(data)


def test_a_server_killed_with_clients_connected_is_started_again(data):
    pid = int(_pidfile(data)[0])
    client = _connect(data)
    os.kill(pid, signal.SIGKILL)  # the postmaster dies as in a crash; its backends notice and go
    wait_for(lambda: not _is_our_postmaster_in(data, pid), timeout=30, message="postmaster gone")

    again = _embedded(data, "start")

    client.close()
    assert again.returncode == 0, again.stderr
    assert _messages(again) == [
        f"embedded PostgreSQL: the server (pid {pid}) was not shut down cleanly (a crash or a kill); "
        "removing its stale postmaster.pid and starting it again"
    ]
    assert int(_pidfile(data)[0]) != pid
    assert _answers(data)


def test_a_stale_pid_that_another_process_now_has_is_not_mistaken_for_the_server(data):
    assert _embedded(data, "stop").returncode == 0
    # A reboot or a crash left postmaster.pid behind, and its pid now belongs to some other process.
    stale = [str(os.getpid()), str(data / "pg"), "0", "5432", str(data / "pg"), "", "", "ready"]
    (data / "pg" / "postmaster.pid").write_text("\n".join(stale) + "\n")

    again = _embedded(data, "start")

    assert again.returncode == 0, again.stderr
    assert _messages(again) == [
        f"embedded PostgreSQL: the server (pid {stale[0]}) was not shut down cleanly (a crash or a kill); "
        "removing its stale postmaster.pid and starting it again"
    ]
    assert _answers(data)


def test_a_server_still_shutting_down_is_stopped_and_started_again(data):
    pid = int(_pidfile(data)[0])
    client = _connect(data)  # a smart shutdown waits for this client for ever
    user = ["runuser", "-u", "pgserver", "--"] if os.geteuid() == 0 else []
    subprocess.run([*user, _bin("pg_ctl"), "-D", str(data / "pg"), "stop", "-m", "smart", "-W"], check=True)
    wait_for(lambda: _pidfile(data)[7].strip() == "stopping", timeout=30, message="server stopping")

    again = _embedded(data, "start")

    client.close()
    assert again.returncode == 0, again.stderr
    assert _messages(again) == [
        f"embedded PostgreSQL: the server (pid {pid}) was still stopping after 3 s (clients still "
        "connected?); stopping it and starting it again"
    ]
    assert int(_pidfile(data)[0]) != pid
    assert _answers(data)


def _pytest(data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/core/test_roles.py::test_the_data_migration_creates_each_role_with_exactly_its_permissions",
        ],
        cwd=ROOT,
        env=_env(data),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_test_run_stops_the_embedded_server_it_started(data):
    assert _embedded(data, "stop").returncode == 0

    run = _pytest(data)

    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    assert not (data / "pg" / "postmaster.pid").exists()


def test_a_test_run_leaves_a_server_it_found_running(data):
    pid = _pidfile(data)[0]

    run = _pytest(data)

    assert run.returncode == 0, run.stdout + run.stderr
    assert _pidfile(data)[0] == pid and _answers(data)


def _migration_check(data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opsconsole.check_migrations"],
        cwd=ROOT,
        env={**_env(data), "DJANGO_SETTINGS_MODULE": "opsconsole.settings_test"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_lints_migration_check_stops_the_server_it_started_and_leaves_one_it_found(data):
    # given no server running: the check starts one, checks, and stops it (`make test` leaves none behind)
    assert _embedded(data, "stop").returncode == 0
    run = _migration_check(data)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "No changes detected" in run.stdout
    assert not (data / "pg" / "postmaster.pid").exists()

    # given a server running (`make run`): the check uses it and leaves it running
    assert _embedded(data, "start").returncode == 0
    pid = _pidfile(data)[0]
    run = _migration_check(data)
    assert run.returncode == 0, run.stdout + run.stderr
    assert _pidfile(data)[0] == pid and _answers(data)
