"""Start real processes (django-q2 cluster, web server) against the test database.

Used by tests that need a real worker: the test must use ``transactional_db`` so that what it writes is
committed and visible to the other process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / "test-artifacts" / "logs"


def test_database_url() -> str:
    s = connection.settings_dict
    host = s.get("HOST") or ""
    port = f":{s['PORT']}" if s.get("PORT") else ""
    if host.startswith("/"):  # unix socket (embedded server)
        return f"postgres://{s['USER']}@{quote(host, safe='')}/{s['NAME']}"
    return f"postgres://{s['USER']}@{host}{port}/{s['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "DJANGO_SETTINGS_MODULE": "opsconsole.settings_test",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


@contextmanager
def qcluster(name: str = "qcluster", **extra_env: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``manage.py qcluster`` on the test database; stopped (SIGTERM, then SIGKILL) afterwards."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = open(LOG_DIR / f"{name}.log", "ab")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=process_env(**extra_env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        stop_process_group(proc)
        log.close()


def stop_process_group(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)


def wait_for(
    condition: Callable[[], object], *, timeout: float = 60, interval: float = 0.2, message: str = "condition"
) -> object:
    """Poll until ``condition()`` is truthy. A deadline here is a hang guard, not a speed assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
