"""``make run``'s supervisor (opsconsole/demo.py): killed with SIGKILL (as a container runtime with a short
stop timeout does), stopped with SIGTERM, or losing one of its children, it leaves no process of the run,
the embedded PostgreSQL included."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsconsole.proctree import descendants
from sandbox.odoo.testing import free_port
from tests.support.processes import ROOT, wait_for


def _read(path: str) -> str:
    try:
        return Path(path).read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    stat = _read(f"/proc/{pid}/stat")
    # A zombie has ended: whether anyone reaps it is up to the machine's init.
    return bool(stat) and stat.rsplit(")", 1)[1].split()[0] != "Z"


def _marked(data: Path) -> list[int]:
    """Every live process whose environment names this run's data folder."""
    marker = f"OPSCONSOLE_DATA_DIR={data}"
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and marker in _read(f"/proc/{entry.name}/environ") and _alive(int(entry.name))
    ]


@pytest.fixture
def data() -> Iterator[Path]:
    # Not in pytest's private tmp folder: the embedded server runs as the user pgserver (test_embedded_pg).
    folder = Path(tempfile.mkdtemp(prefix="ocrun-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    for pid in _marked(folder):
        os.kill(pid, signal.SIGKILL)
    subprocess.run(
        [sys.executable, "-m", "opsconsole.embedded_pg", "stop"],
        cwd=ROOT,
        env={**os.environ, "OPSCONSOLE_DATA_DIR": str(folder)},
        check=False,
        capture_output=True,
    )
    shutil.rmtree(folder, ignore_errors=True)


def _worker_pid(run: set[int]) -> int:
    return min(pid for pid in run if "qcluster" in _read(f"/proc/{pid}/cmdline"))


@pytest.mark.parametrize(
    ("case", "message", "exit_code"),
    [
        ("supervisor SIGKILLed", "make run's supervisor is gone: stopping what it started", -signal.SIGKILL),
        ("supervisor SIGTERMed", "Stopping...", 0),
        ("a child died", "worker stopped unexpectedly", 1),
    ],
)
def test_no_process_of_the_run_is_left(data, case, message, exit_code):
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }  # the embedded PostgreSQL, the demo's own settings
    env.update(
        OPSCONSOLE_DATA_DIR=str(data),
        OPSCONSOLE_WEB_PORT=str(free_port()),
        OPSCONSOLE_DEMO_ODOO_PORT=str(free_port()),
        OPSCONSOLE_DEMO_SHOPIFY_PORT=str(free_port()),
        OPSCONSOLE_DEMO_TRAFFIC_SECONDS="1",
        PYTHONUNBUFFERED="1",
    )
    out = data / "make-run.out"
    with open(out, "wb") as stdout:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "opsconsole.demo"],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: "opsconsole is up" in out.read_text(), timeout=300, message="make run up")
        postmaster = int((data / "pg" / "postmaster.pid").read_text().split()[0])
        run = {supervisor.pid, *descendants(supervisor.pid), postmaster, *descendants(postmaster)}
        names = " ".join(_read(f"/proc/{pid}/cmdline") for pid in run)
        for part in (
            "sandbox.odoo",
            "sandbox.shopify",
            "gunicorn",
            "qcluster",
            "opsconsole.demo_guard",
            "-D ",
        ):
            assert part in names, f"{part} is not running: {names}"
        assert (
            len([pid for pid in run if "gunicorn" in _read(f"/proc/{pid}/cmdline")]) >= 3
        )  # master, workers

        if case == "supervisor SIGKILLed":
            os.kill(supervisor.pid, signal.SIGKILL)
        elif case == "supervisor SIGTERMed":
            os.kill(supervisor.pid, signal.SIGTERM)
        else:
            os.kill(_worker_pid(run), signal.SIGKILL)
        supervisor.wait(timeout=120)

        assert supervisor.returncode == exit_code
        wait_for(lambda: not [pid for pid in run if _alive(pid)], timeout=120, message="every process gone")
        assert _marked(data) == []
        assert not (data / "pg" / "postmaster.pid").exists()
        assert message in out.read_text()
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
            supervisor.wait(timeout=30)
