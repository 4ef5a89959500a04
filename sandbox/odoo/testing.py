"""Start the Odoo sandbox as a subprocess for tests, benchmarks and demos.

    with odoo_sandbox(tmp_path, version=19, seed=True) as odoo:
        odoo.control.add_fault("error", status=502, count=2)

The server picks nothing itself: a free port is chosen here, the process logs to ``<data>/odoo-<v>.log``,
and shutdown is SIGTERM with a SIGKILL fallback. Nothing here knows the connector: the helpers that build a
connector configuration for a running sandbox live with the tests (``tests/support/odoo.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .seed import ADMIN_API_KEY, ADMIN_LOGIN, ADMIN_PASSWORD, DB_NAME

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class ControlError(RuntimeError):
    pass


@dataclass
class ControlClient:
    """A small client for the ``/_sandbox/`` control API."""

    base_url: str
    timeout: float = 30.0

    def request(self, verb: str, path: str, payload: Any = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(
            f"{self.base_url}/_sandbox/{path}",
            data=data,
            method=verb,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise ControlError(
                f"{verb} /_sandbox/{path}: {exc.code} {exc.read().decode(errors='replace')}"
            ) from None

    def health(self) -> dict[str, Any]:
        return self.request("GET", "health")  # type: ignore[no-any-return]

    def reset(self, *, seed: bool = False) -> dict[str, Any]:
        return self.request("POST", "reset", {"seed": seed})  # type: ignore[no-any-return]

    def seed(self) -> dict[str, Any]:
        return self.request("POST", "seed", {})  # type: ignore[no-any-return]

    def set_stock(self, sku: str, quantity: float, location: str = "WH/Stock") -> dict[str, Any]:
        return self.request(
            "POST", "stock", {"items": [{"sku": sku, "quantity": quantity, "location": location}]}
        )  # type: ignore[no-any-return]

    def validate_picking(self, **spec: Any) -> dict[str, Any]:
        """``picking_id`` / ``order_name`` / ``client_order_ref``, ``tracking_ref``,
        ``quantities`` {sku: qty}, ``backorder`` (default True)."""
        return self.request("POST", "pickings/validate", spec)  # type: ignore[no-any-return]

    def add_fault(self, kind: str, **spec: Any) -> dict[str, Any]:
        return self.request("POST", "faults", {"kind": kind, **spec})  # type: ignore[no-any-return]

    def faults(self) -> list[dict[str, Any]]:
        return self.request("GET", "faults")["faults"]  # type: ignore[no-any-return]

    def clear_faults(self) -> int:
        return int(self.request("DELETE", "faults")["cleared"])

    def counters(self) -> dict[str, Any]:
        return self.request("GET", "counters")  # type: ignore[no-any-return]

    def reset_counters(self) -> None:
        self.request("POST", "counters/reset", {})

    def credentials(self, **spec: Any) -> dict[str, Any]:
        return self.request("POST", "credentials", spec)  # type: ignore[no-any-return]

    def seed_company(self, name: str, **spec: Any) -> dict[str, Any]:
        """A further company with its chart, journals and warehouse (currency, country, tax_rate, code)."""
        return self.request("POST", "companies", {"name": name, **spec})  # type: ignore[no-any-return]

    def add_kit(self, sku: str, components: list[tuple[str, float]]) -> dict[str, Any]:
        """Play mrp: ``sku`` becomes a kit (phantom BOM) of these (component SKU, quantity per kit)."""
        return self.request(  # type: ignore[no-any-return]
            "POST", "kits", {"sku": sku, "components": [{"sku": c, "quantity": q} for c, q in components]}
        )

    def settings(self, **values: Any) -> dict[str, Any]:
        """Sandbox switches, e.g. ``accounting_app=True`` (invoices read ``in_payment`` until matched)."""
        return self.request("POST", "settings", values)  # type: ignore[no-any-return]

    def statement_line(self, amount: float, **spec: Any) -> dict[str, Any]:
        """A bank statement line (``journal_code``, ``payment_ref``, ``partner_id``, ``date``)."""
        return self.request("POST", "bank/statement_lines", {"amount": amount, **spec})  # type: ignore[no-any-return]

    def reconcile_statement_line(self, statement_line_id: int, move_line_ids: list[int]) -> dict[str, Any]:
        """Match a statement line with journal items, as the bank reconciliation screen does."""
        return self.request(  # type: ignore[no-any-return]
            "POST", "bank/reconcile", {"statement_line_id": statement_line_id, "move_line_ids": move_line_ids}
        )

    def revoke(self, login: str = ADMIN_LOGIN) -> dict[str, Any]:
        return self.credentials(login=login, revoke=True)

    def restore(self, login: str = ADMIN_LOGIN) -> dict[str, Any]:
        return self.credentials(login=login, restore=True)


@dataclass
class RunningOdooSandbox:
    host: str
    port: int
    version: int
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    db: str = DB_NAME
    login: str = ADMIN_LOGIN
    password: str = ADMIN_PASSWORD
    api_key: str = ADMIN_API_KEY
    extra_args: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def control(self) -> ControlClient:
        return ControlClient(self.base_url)

    # -- process control --------------------------------------------------------------------------

    def start(self, startup_timeout: float = 20.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "sandbox.odoo",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--data",
            str(self.data_dir),
            "--version",
            str(self.version),
            *self.extra_args,
        ]
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        try:
            self.process = subprocess.Popen(
                cmd, cwd=str(REPO_ROOT), stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        finally:
            log.close()
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo sandbox exited with {self.process.returncode}; see {self.log_path}")
            try:
                if self.control.health().get("ok"):
                    return
            except (OSError, ControlError):
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Odoo sandbox did not answer within {startup_timeout}s; see {self.log_path}")

    def stop(self, timeout: float = 5.0) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            self.process = None
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(timeout=timeout)
        self.process = None

    def kill(self) -> None:
        """Stop at once (SIGKILL), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextlib.contextmanager
def odoo_sandbox(
    data_dir: Path | str,
    *,
    version: int = 19,
    host: str = "127.0.0.1",
    port: int | None = None,
    seed: bool = False,
    startup_timeout: float = 20.0,
) -> Iterator[RunningOdooSandbox]:
    """Start the sandbox on a free port, wait until it answers, and stop it on exit."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    last_error: Exception | None = None
    for _attempt in range(3):  # a free port can be taken between choosing and binding it
        chosen = port or free_port(host)
        running = RunningOdooSandbox(
            host=host,
            port=chosen,
            version=version,
            data_dir=data_dir,
            log_path=data_dir / f"odoo-{version}.log",
            extra_args=["--seed"] if seed else [],
        )
        try:
            running.start(startup_timeout)
        except RuntimeError as exc:
            last_error = exc
            if port is not None:
                raise
            continue
        try:
            yield running
        finally:
            running.stop()
        return
    raise RuntimeError(f"could not start the Odoo sandbox: {last_error}")
