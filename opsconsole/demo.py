"""``make run``: bring the whole product up for a demo and stop everything on Ctrl-C.

Steps: embedded PostgreSQL (unless DATABASE_URL is set), migrate, static files, demo users with fresh
passwords (printed once); the Odoo sandbox (8069) and the Shopify sandbox (8701) with their state under
.data/sandbox/; both connected, mappings seeded (a few SKUs deliberately left unmapped so that the console
has real problems to show) and webhooks registered; then the web server (gunicorn on 127.0.0.1:8000), a
django-q2 worker and a traffic generator that places an order in the Shopify sandbox every few seconds.
Every process it started is stopped when this process gets Ctrl-C, SIGTERM or SIGHUP, when one of its
children dies, and also when this process is killed outright (SIGKILL, a crash):

- each child asks the kernel for SIGTERM when this process dies (prctl PR_SET_PDEATHSIG, set in the
  child between fork and exec): gunicorn's master and django-q2's cluster then stop their own processes,
  the sandboxes exit;
- a guard process (opsconsole/demo_guard.py) holds the reading end of a pipe only this process writes to;
  when it ends without "done", the guard SIGTERMs, then SIGKILLs, every child's process group (which
  catches grandchildren whose parent lingers) and stops the embedded PostgreSQL, a daemon that no signal
  of ours reaches otherwise.

The traffic generator is a thread of this process and ends with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO

from opsconsole.demo_catalogue import demo_setup_catalogue
from opsconsole.proctree import die_with_parent, group_alive

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("OPSCONSOLE_DATA_DIR", ROOT / ".data"))
LOGS = DATA / "logs"
WEB_HOST = os.environ.get("OPSCONSOLE_WEB_HOST", "127.0.0.1")
WEB_PORT = int(os.environ.get("OPSCONSOLE_WEB_PORT", "8000"))
ODOO_PORT = int(os.environ.get("OPSCONSOLE_DEMO_ODOO_PORT", "8069"))
SHOPIFY_PORT = int(os.environ.get("OPSCONSOLE_DEMO_SHOPIFY_PORT", "8701"))
TRAFFIC_SECONDS = float(os.environ.get("OPSCONSOLE_DEMO_TRAFFIC_SECONDS", "4"))
SHOP = "demo.myshopify.com"
UNMAPPED = ["BEANIE-RUST"]  # present in Odoo, left unmapped: the console shows it as a problem to fix


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "opsconsole.settings")
    env.setdefault("OPSCONSOLE_DEMO", "1")
    env.setdefault("OPSCONSOLE_DEMO_FORCE", "1")  # running the demo launcher is asking for demo mode
    env.setdefault("OPSCONSOLE_HTTPS", "0")  # the demo serves plain HTTP on loopback
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _manage(*args: str, secrets: dict[str, str] | None = None) -> str:
    """Run a management command; ``secrets`` go in its environment, never on its command line."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**_env(), **(secrets or {})},
        check=True,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        preexec_fn=die_with_parent,  # no other thread runs yet: safe between fork and exec
    )
    return result.stdout


class Supervisor:
    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        read_fd, write_fd = os.pipe()
        self.guard = subprocess.Popen(
            [sys.executable, "-m", "opsconsole.demo_guard", str(read_fd)],
            cwd=ROOT,
            env=_env(),
            pass_fds=(read_fd,),
        )
        os.close(read_fd)
        os.set_inheritable(write_fd, False)  # only we hold it: it ends when we do
        self.guard_pipe: IO[str] = os.fdopen(write_fd, "w", buffering=1)

    def tell_guard(self, line: str) -> None:
        self.guard_pipe.write(line + "\n")

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = open(LOGS / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,  # only prctl runs between fork and exec
        )
        self.children.append((name, proc))
        self.tell_guard(f"group {proc.pid}")  # its own session: process group id = pid
        return proc

    def stop_all(self) -> None:
        """SIGTERM to every child's process group (the child and what it started), SIGKILL to what is
        left after 15 s. A group outlives its leader when the leader died first (django-q2's processes
        after their qcluster was killed), so groups are checked, not only the children."""
        groups = [proc.pid for _, proc in reversed(self.children)]
        for pgid in groups:
            with contextlib.suppress(ProcessLookupError):  # nothing left in that group
                os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(group_alive(pgid) for pgid in groups):
            for _, proc in self.children:
                proc.poll()  # reap our children as they exit
            time.sleep(0.2)
        for pgid in groups:
            if group_alive(pgid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
        for _, proc in self.children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)

    def dismiss_guard(self) -> None:
        """Everything is stopped: the guard leaves without doing anything."""
        self.tell_guard("done")
        self.guard_pipe.close()
        self.guard.wait(timeout=30)

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


def _control(port: int, method: str, path: str, body: dict[str, object] | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback URL
        return json.loads(response.read() or b"null")


def _traffic(stop: threading.Event) -> None:
    """Orders keep arriving: most map cleanly, some carry an unmapped or Shopify-only SKU."""
    rng = random.Random()
    n = 0
    while not stop.wait(TRAFFIC_SECONDS):
        n += 1
        options: dict[str, object] = {"count": 1}
        if n % 6 == 0:
            options["skus"] = [UNMAPPED[0], "MERINOTE-M-NAVY"]
        elif n % 11 == 0:
            options["include_shopify_only"] = True
        elif rng.random() < 0.3:
            options["count"] = 2
        try:
            _control(SHOPIFY_PORT, "POST", f"/_sandbox/shops/{SHOP}/orders/generate", options)
        except OSError as exc:
            print(f"traffic generator: {exc}", file=sys.stderr)


def main() -> int:
    started_at = time.monotonic()
    supervisor = Supervisor()

    def shutdown(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGHUP, shutdown)
    embedded = not os.environ.get("DATABASE_URL")
    stop_traffic = threading.Event()
    url = f"http://{WEB_HOST}:{WEB_PORT}"
    try:
        print(
            "opsconsole demo: preparing the database"
            + (f" (embedded PostgreSQL under {DATA / 'pg'})" if embedded else "")
        )
        sys.stdout.flush()
        if embedded:
            from opsconsole.embedded_pg import running

            # Stopped at the end only if this run starts it (a server found running is left as found).
            embedded = not running()
            if embedded:
                supervisor.tell_guard("embedded")
        _manage("migrate", "--no-input")
        _manage("collectstatic", "--no-input", "--clear")
        users = _manage("demo_users")

        sandbox_data = DATA / "sandbox"
        supervisor.start(
            "odoo-sandbox",
            [
                sys.executable,
                "-m",
                "sandbox.odoo",
                "--port",
                str(ODOO_PORT),
                "--data",
                str(sandbox_data / "odoo"),
                "--version",
                "19",
                "--seed",
            ],
        )
        supervisor.start(
            "shopify-sandbox",
            [
                sys.executable,
                "-m",
                "sandbox.shopify",
                "--port",
                str(SHOPIFY_PORT),
                "--data",
                str(sandbox_data / "shopify"),
            ],
        )
        if not (
            _wait_http(f"http://127.0.0.1:{ODOO_PORT}/_sandbox/health")
            and _wait_http(f"http://127.0.0.1:{SHOPIFY_PORT}/_sandbox/health")
        ):
            print(f"A sandbox did not start; see {LOGS}/")
            return 1
        if SHOP not in json.dumps(_control(SHOPIFY_PORT, "GET", "/_sandbox/shops")):
            _control(SHOPIFY_PORT, "POST", "/_sandbox/reset", {"seed_demo": True})
        _manage(
            "connect_odoo",
            "--url",
            f"http://127.0.0.1:{ODOO_PORT}",
            "--db",
            "sandbox",
            "--login",
            "admin",
            "--name",
            "Odoo sandbox",
            secrets={"ODOO_SECRET": "sandbox-api-key"},
        )
        _manage(
            "connect_shopify",
            "--domain",
            SHOP,
            "--api-version",
            "2026-07",
            "--admin-url",
            f"http://127.0.0.1:{SHOPIFY_PORT}",
            "--odoo",
            "Odoo sandbox",
            secrets={"SHOPIFY_TOKEN": "shpat_sandbox", "SHOPIFY_CLIENT_SECRET": "sandbox-client-secret"},
        )
        catalogue = sandbox_data / "setup-catalogue.json"
        catalogue.write_text(json.dumps(demo_setup_catalogue()))
        setup = _manage(
            "setup_shop",
            "--domain",
            SHOP,
            "--callback-url",
            f"{url}/webhooks/shopify",
            "--catalogue",
            str(catalogue),
            "--leave-unmapped",
            *UNMAPPED,
            "--report",
            str(sandbox_data / "onboarding-report.json"),
        )
        # Set-up only proposes: the demo's second integration admin approves the proposal (maker-checker),
        # as a person would in Mappings → Changes.
        setup += _manage("approve_mapping_change", "--domain", SHOP, "--as", "admin2", "--if-any")
        # Privacy (compliance) webhooks go to the URL of the app's configuration, as shopify.app.toml sets
        # it; Shopify refuses them as API subscriptions.
        _control(
            SHOPIFY_PORT, "POST", f"/_sandbox/shops/{SHOP}/app", {"compliance_url": f"{url}/webhooks/shopify"}
        )
        # The production settings (gunicorn.conf.py), bound to the demo's address.
        gunicorn = [
            sys.executable,
            "-m",
            "gunicorn",
            "opsconsole.wsgi",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"{WEB_HOST}:{WEB_PORT}",
        ]
        supervisor.start("web", gunicorn)
        supervisor.start("worker", [sys.executable, "manage.py", "qcluster"])
        if not _wait_http(f"{url}/healthz"):
            print(f"The web server did not answer; see {LOGS / 'web.log'}")
            return 1
        print()
        print(f"opsconsole is up after {time.monotonic() - started_at:.0f} s.")
        print(f"  Log in at {url}/login/")
        print(users.rstrip())
        print(setup.rstrip())
        print(
            f"  Shopify sandbox: http://127.0.0.1:{SHOPIFY_PORT} (shop {SHOP})   "
            f"Odoo sandbox: http://127.0.0.1:{ODOO_PORT} (database sandbox, admin/admin)"
        )
        if TRAFFIC_SECONDS > 0:
            threading.Thread(target=_traffic, args=(stop_traffic,), daemon=True).start()
            print(f"  Sample traffic: an order every {TRAFFIC_SECONDS:g} s (OPSCONSOLE_DEMO_TRAFFIC_SECONDS)")
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
        stop_traffic.set()
        supervisor.stop_all()
        if embedded:
            from opsconsole.embedded_pg import stop

            stop()
        supervisor.dismiss_guard()
        print("Stopped.")


if __name__ == "__main__":
    sys.exit(main())
