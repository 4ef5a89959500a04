"""``make run``: bring the whole product up for a demo and stop everything on Ctrl-C.

Steps: embedded PostgreSQL (unless DATABASE_URL is set), migrate, static files, demo users with fresh
passwords (printed once), then the web server (gunicorn on 127.0.0.1:8000) and a django-q2 worker.
Every child process is stopped when this process gets Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
LOGS = DATA / "logs"
WEB_HOST = os.environ.get("OPSCONSOLE_WEB_HOST", "127.0.0.1")
WEB_PORT = int(os.environ.get("OPSCONSOLE_WEB_PORT", "8000"))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "opsconsole.settings")
    env.setdefault("OPSCONSOLE_DEMO", "1")
    env.setdefault("OPSCONSOLE_HTTPS", "0")  # the demo serves plain HTTP on loopback
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _manage(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=_env(), check=True, capture_output=True, text=True
    )
    return result.stdout


class Supervisor:
    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = open(LOGS / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.children.append((name, proc))
        return proc

    def stop_all(self) -> None:
        for _, proc in reversed(self.children):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def watch(self) -> str | None:
        """The name of a child that exited, if any."""
        for name, proc in self.children:
            if proc.poll() is not None:
                return name
        return None


def _wait_http(url: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def main() -> int:
    started_at = time.monotonic()
    embedded = not os.environ.get("DATABASE_URL")
    print(
        "opsconsole demo: preparing the database"
        + (" (embedded PostgreSQL under .data/pg)" if embedded else "")
    )
    _manage("migrate", "--no-input")
    _manage("collectstatic", "--no-input", "--clear")
    users = _manage("demo_users")

    supervisor = Supervisor()

    def shutdown(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, shutdown)
    try:
        supervisor.start(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "opsconsole.wsgi",
                "--bind",
                f"{WEB_HOST}:{WEB_PORT}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
            ],
        )
        supervisor.start("worker", [sys.executable, "manage.py", "qcluster"])
        url = f"http://{WEB_HOST}:{WEB_PORT}"
        if not _wait_http(f"{url}/healthz"):
            print(f"The web server did not answer; see {LOGS / 'web.log'}")
            return 1
        print()
        print(f"opsconsole is up after {time.monotonic() - started_at:.0f} s.")
        print(f"  Log in at {url}/login/")
        print(users.rstrip())
        print(f"  Logs: {LOGS}/   Stop everything: Ctrl-C")
        sys.stdout.flush()
        while True:
            exited = supervisor.watch()
            if exited:
                print(f"{exited} stopped unexpectedly; see {LOGS / (exited + '.log')}. Shutting down.")
                return 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping...")
        return 0
    finally:
        supervisor.stop_all()
        if embedded:
            from opsconsole.embedded_pg import stop

            stop()
        print("Stopped.")


if __name__ == "__main__":
    sys.exit(main())
