"""Start the Shopify sandbox as a subprocess and drive its control API (tests, benchmarks, ``make run``).

    with running_sandbox(clock_speed=600) as sb:
        sb.control.generate_orders(count=3)
        client = ShopifyClient(ShopifyConfig(sb.domain, sb.token, API_VERSION, admin_url=sb.base_url))

The server gets a free port, logs to a file (``sb.log_path``), and is stopped with SIGTERM, then SIGKILL if
it has not exited within a few seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.shopify.store import DEMO_CLIENT_SECRET, DEMO_DOMAIN, DEMO_TOKEN

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_API_VERSION = "2026-07"


class ControlError(Exception):
    def __init__(self, status: int, body: Any):
        super().__init__(f"control API answered {status}: {body}")
        self.status = status
        self.body = body


@dataclass
class SandboxControl:
    """A small client for ``/_sandbox/`` (standard library only)."""

    base_url: str
    domain: str = DEMO_DOMAIN
    timeout: float = 30.0

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.base_url}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw.decode(errors="replace")
            raise ControlError(exc.code, parsed) from exc

    def _shop(self, domain: str | None) -> str:
        return f"/_sandbox/shops/{domain or self.domain}"

    # -- global ------------------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self.request("GET", "/_sandbox/health")  # type: ignore[no-any-return]

    def reset(self, seed_demo: bool = True) -> dict[str, Any]:
        return self.request("POST", "/_sandbox/reset", {"seed_demo": seed_demo})  # type: ignore[no-any-return]

    def clock(self) -> dict[str, Any]:
        return self.request("GET", "/_sandbox/clock")  # type: ignore[no-any-return]

    def set_clock_speed(self, speed: float) -> dict[str, Any]:
        return self.request("POST", "/_sandbox/clock", {"speed": speed})  # type: ignore[no-any-return]

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self.request("POST", "/_sandbox/clock", {"advance_seconds": seconds})  # type: ignore[no-any-return]

    def create_shop(self, domain: str, **settings: Any) -> dict[str, Any]:
        return self.request("POST", "/_sandbox/shops", {"domain": domain, **settings})  # type: ignore[no-any-return]

    # -- one shop ----------------------------------------------------------------------------------------
    def shop(self, domain: str | None = None) -> dict[str, Any]:
        return self.request("GET", self._shop(domain))  # type: ignore[no-any-return]

    def settings(self, domain: str | None = None, **values: Any) -> dict[str, Any]:
        return self.request("POST", f"{self._shop(domain)}/settings", values)  # type: ignore[no-any-return]

    def generate_orders(self, domain: str | None = None, **options: Any) -> list[dict[str, Any]]:
        body = self.request("POST", f"{self._shop(domain)}/orders/generate", options)
        return body["orders"]  # type: ignore[no-any-return]

    def order(self, order_id: int, domain: str | None = None) -> dict[str, Any]:
        return self.request("GET", f"{self._shop(domain)}/orders/{order_id}")  # type: ignore[no-any-return]

    def refund(self, order_id: int, domain: str | None = None, **body: Any) -> dict[str, Any]:
        return self.request("POST", f"{self._shop(domain)}/orders/{order_id}/refund", body)  # type: ignore[no-any-return]

    def pay(self, order_id: int, domain: str | None = None, **body: Any) -> dict[str, Any]:
        """The customer pays what the order owes (``amount``, default all of it; ``gateway``): a sale."""
        return self.request("POST", f"{self._shop(domain)}/orders/{order_id}/pay", body)  # type: ignore[no-any-return]

    def capture(self, order_id: int, domain: str | None = None, **body: Any) -> dict[str, Any]:
        """The merchant captures the order's authorized payment (``amount`` in the presentment currency,
        default all that is left; ``final_capture``): a capture transaction."""
        return self.request("POST", f"{self._shop(domain)}/orders/{order_id}/capture", body)  # type: ignore[no-any-return]

    def cancel(self, order_id: int, domain: str | None = None, **body: Any) -> dict[str, Any]:
        return self.request("POST", f"{self._shop(domain)}/orders/{order_id}/cancel", body)  # type: ignore[no-any-return]

    def edit(self, order_id: int, domain: str | None = None, **body: Any) -> dict[str, Any]:
        return self.request("POST", f"{self._shop(domain)}/orders/{order_id}/edit", body)  # type: ignore[no-any-return]

    def fulfill(self, order_id: int, domain: str | None = None, **body: Any) -> dict[str, Any]:
        return self.request("POST", f"{self._shop(domain)}/orders/{order_id}/fulfill", body)  # type: ignore[no-any-return]

    def touch_order(self, order_id: int, domain: str | None = None) -> dict[str, Any]:
        return self.request("POST", f"{self._shop(domain)}/orders/{order_id}/touch", {})  # type: ignore[no-any-return]

    def create_customer(self, domain: str | None = None, **body: Any) -> dict[str, Any]:
        return self.request("POST", f"{self._shop(domain)}/customers", body)  # type: ignore[no-any-return]

    def update_customer(self, customer_id: int, domain: str | None = None, **body: Any) -> dict[str, Any]:
        return self.request("POST", f"{self._shop(domain)}/customers/{customer_id}", body)  # type: ignore[no-any-return]

    def customers(self, domain: str | None = None) -> list[dict[str, Any]]:
        return self.request("GET", f"{self._shop(domain)}/customers")["customers"]  # type: ignore[no-any-return]

    def privacy(
        self, topic: str, customer_id: int | None = None, domain: str | None = None
    ) -> dict[str, Any]:
        """``customers/redact``, ``customers/data_request`` or ``shop/redact``."""
        if topic == "shop/redact":
            return self.request("POST", f"{self._shop(domain)}/redact", {})  # type: ignore[no-any-return]
        action = topic.split("/")[1]
        return self.request("POST", f"{self._shop(domain)}/customers/{customer_id}/{action}", {})  # type: ignore[no-any-return]

    def uninstall(self, domain: str | None = None) -> dict[str, Any]:
        return self.request("POST", f"{self._shop(domain)}/uninstall", {})  # type: ignore[no-any-return]

    def build_payouts(self, domain: str | None = None, status: str = "paid") -> list[dict[str, Any]]:
        return self.request("POST", f"{self._shop(domain)}/payouts", {"status": status})["payouts"]  # type: ignore[no-any-return]

    def app_config(self, domain: str | None = None, **values: Any) -> dict[str, Any]:
        """The app's configuration (as shopify.app.toml sets it): ``compliance_url`` receives the privacy
        webhooks, ``webhooks_api_version`` serialises them. Without values: read it."""
        if not values:
            return self.request("GET", f"{self._shop(domain)}/app")  # type: ignore[no-any-return]
        return self.request("POST", f"{self._shop(domain)}/app", values)  # type: ignore[no-any-return]

    def bulk(self, domain: str | None = None, **settings: Any) -> dict[str, Any]:
        """Bulk operations: ``hold`` (keep new ones RUNNING until released) and ``fail_next``
        (access_denied | internal_server_error | timeout); answers the settings and every operation."""
        return self.request("POST", f"{self._shop(domain)}/bulk", settings)  # type: ignore[no-any-return]

    def dispute(self, order_id: int, domain: str | None = None, **body: Any) -> dict[str, Any]:
        """A dispute (``type``: chargeback | inquiry; ``amount``, ``reason``) on a Shopify Payments order."""
        return self.request("POST", f"{self._shop(domain)}/orders/{order_id}/dispute", body)  # type: ignore[no-any-return]

    def resolve_dispute(self, dispute_id: int, status: str, domain: str | None = None) -> dict[str, Any]:
        """``status``: under_review | won | lost | accepted."""
        return self.request(  # type: ignore[no-any-return]
            "POST", f"{self._shop(domain)}/disputes/{dispute_id}/resolve", {"status": status}
        )

    def fail_payout(
        self, payout_id: int, *, cancel: bool = False, domain: str | None = None
    ) -> dict[str, Any]:
        action = "cancel" if cancel else "fail"
        return self.request("POST", f"{self._shop(domain)}/payouts/{payout_id}/{action}", {})  # type: ignore[no-any-return]

    def adjustment(
        self, amount: str, reason: str, order_id: int | None = None, domain: str | None = None
    ) -> dict[str, Any]:
        body = {"amount": amount, "reason": reason, "order_id": order_id}
        return self.request("POST", f"{self._shop(domain)}/adjustments", body)  # type: ignore[no-any-return]

    def set_risk(
        self, order_id: int, recommendation: str, assessments: list[dict[str, Any]], domain: str | None = None
    ) -> dict[str, Any]:
        """Replace an order's risk assessments (``risk_level``, ``facts``: [{description, sentiment}],
        ``provider``: an app's title or None for Shopify)."""
        body = {"recommendation": recommendation, "assessments": assessments}
        return self.request("POST", f"{self._shop(domain)}/orders/{order_id}/risk", body)  # type: ignore[no-any-return]

    def inventory(self, domain: str | None = None) -> list[dict[str, Any]]:
        return self.request("GET", f"{self._shop(domain)}/inventory")["inventory_levels"]  # type: ignore[no-any-return]

    def inventory_adjustments(self, domain: str | None = None) -> list[dict[str, Any]]:
        """The inventory adjustment groups the shop applied, oldest first (reason, reference, changes)."""
        return self.request("GET", f"{self._shop(domain)}/inventory/adjustments")["adjustments"]  # type: ignore[no-any-return]

    def rotate_secret(
        self, new_secret: str, grace_seconds: float = 3600, domain: str | None = None
    ) -> dict[str, Any]:
        return self.request(
            "POST",
            f"{self._shop(domain)}/rotate-secret",  # type: ignore[no-any-return]
            {"new_secret": new_secret, "grace_seconds": grace_seconds},
        )

    def delivery_fault(self, kind: str, domain: str | None = None, **options: Any) -> dict[str, Any]:
        """kind: duplicate | concurrent_duplicate | reorder | delay | drop (options: count, topic,
        delay_seconds, copies, batch)."""
        return self.request(
            "POST",
            f"{self._shop(domain)}/faults/delivery",  # type: ignore[no-any-return]
            {"kind": kind, **options},
        )

    def api_fault(self, kind: str, domain: str | None = None, **options: Any) -> dict[str, Any]:
        """kind: 5xx | 429 | latency | throttle (options: count, status, retry_after, latency_ms)."""
        return self.request("POST", f"{self._shop(domain)}/faults/api", {"kind": kind, **options})  # type: ignore[no-any-return]

    def clear_faults(self, domain: str | None = None) -> None:
        self.request("DELETE", f"{self._shop(domain)}/faults")

    def deliveries(
        self, domain: str | None = None, *, topic: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        query = "&".join(f"{k}={v}" for k, v in (("topic", topic), ("status", status)) if v)
        path = f"{self._shop(domain)}/deliveries" + (f"?{query}" if query else "")
        return self.request("GET", path)["deliveries"]  # type: ignore[no-any-return]

    def subscriptions(self, domain: str | None = None) -> dict[str, Any]:
        return self.request("GET", f"{self._shop(domain)}/subscriptions")  # type: ignore[no-any-return]

    def wait_for_deliveries(
        self,
        predicate: Callable[[list[dict[str, Any]]], bool],
        *,
        domain: str | None = None,
        timeout: float = 20.0,
        interval: float = 0.05,
    ) -> list[dict[str, Any]]:
        """Poll the delivery log until ``predicate(deliveries)`` holds (raises ``TimeoutError`` otherwise)."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.deliveries(domain)
            if predicate(rows):
                return rows
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"delivery log never matched; last: {[(d['topic'], d['status']) for d in rows]}"
                )
            time.sleep(interval)


@dataclass
class RunningSandbox:
    base_url: str
    port: int
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    control: SandboxControl
    domain: str = DEMO_DOMAIN
    token: str = DEMO_TOKEN
    client_secret: str = DEMO_CLIENT_SECRET
    api_version: str = DEFAULT_API_VERSION
    _log_file: Any = field(default=None, repr=False)

    @property
    def admin_url(self) -> str:
        return self.base_url

    def graphql_url(self, version: str | None = None) -> str:
        return f"{self.base_url}/admin/api/{version or self.api_version}/graphql.json"

    def stop(self, timeout: float = 5.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        if self._log_file is not None and not self._log_file.closed:
            self._log_file.close()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def start_sandbox(
    *,
    data_dir: str | os.PathLike[str] | None = None,
    clock_speed: float = 1.0,
    host: str = "127.0.0.1",
    port: int | None = None,
    log_path: str | os.PathLike[str] | None = None,
    startup_timeout: float = 30.0,
) -> RunningSandbox:
    """Start a sandbox process and wait until it answers (caller stops it; prefer ``running_sandbox``)."""
    data = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="shopify-sandbox-"))
    data.mkdir(parents=True, exist_ok=True)
    log = Path(log_path) if log_path else data / "sandbox.log"
    last_error = ""
    for _ in range(3):  # a free port can be taken between choosing it and binding it
        chosen = port or free_port(host)
        log_file = log.open("ab")
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sandbox.shopify",
                "--host",
                host,
                "--port",
                str(chosen),
                "--data",
                str(data),
                "--clock-speed",
                str(clock_speed),
            ],
            cwd=str(REPO_ROOT),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
        base = f"http://{host}:{chosen}"
        control = SandboxControl(base)
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last_error = f"sandbox exited with {proc.returncode}; see {log}"
                break
            try:
                control.health()
                return RunningSandbox(base, chosen, data, log, proc, control, _log_file=log_file)
            except (OSError, ControlError):
                time.sleep(0.05)
        else:
            last_error = f"sandbox did not answer within {startup_timeout}s; see {log}"
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        log_file.close()
        if port:
            break
    raise RuntimeError(last_error)


@contextmanager
def running_sandbox(
    *,
    data_dir: str | os.PathLike[str] | None = None,
    clock_speed: float = 1.0,
    host: str = "127.0.0.1",
    port: int | None = None,
    log_path: str | os.PathLike[str] | None = None,
    keep_data: bool | None = None,
) -> Iterator[RunningSandbox]:
    """A sandbox for the duration of the block. A temporary data dir is removed afterwards unless
    ``keep_data``; a given ``data_dir`` is always kept."""
    created = data_dir is None
    sb = start_sandbox(data_dir=data_dir, clock_speed=clock_speed, host=host, port=port, log_path=log_path)
    try:
        yield sb
    finally:
        sb.stop()
        if created and not keep_data:
            shutil.rmtree(sb.data_dir, ignore_errors=True)
