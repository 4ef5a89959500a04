"""Slow and abusive clients against the real gunicorn with the shipped gunicorn.conf.py.

More connections than workers times threads drip their declared webhook bodies a byte at a time and
reconnect whenever they are cut off; /healthz and a normal signed webhook are still answered, and the
drippers are answered 408. Without the body deadline (opsconsole/core/wsgi.py) every thread stays held and
/healthz never answers (the request's timeout is a hang guard, not a speed assertion).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import runpy
import select
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator

import pytest
import requests

from sandbox.odoo.testing import free_port
from sync.models import InboundEvent
from sync.services.inbox import shop_cache_clear
from tests.factories import ShopifyShopFactory
from tests.support.processes import LOG_DIR, ROOT, process_env, stop_process_group, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "slow-client-secret"
DOMAIN = "slow.myshopify.com"
CONFIG = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
CAPACITY = CONFIG["workers"] * CONFIG["threads"]


@pytest.fixture
def server() -> Iterator[str]:
    shop_cache_clear()
    ShopifyShopFactory(domain=DOMAIN, client_secret=SECRET)
    port = free_port()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / "slow-clients-gunicorn.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "opsconsole.wsgi", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=process_env(
                OPSCONSOLE_WEB_BIND=f"127.0.0.1:{port}",
                OPSCONSOLE_REQUEST_BODY_SECONDS="3",
                OPSCONSOLE_ALLOWED_HOSTS="127.0.0.1",
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(lambda: _healthz(f"http://127.0.0.1:{port}", timeout=2), message="gunicorn up")
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_process_group(proc)
            shop_cache_clear()


def _healthz(url: str, timeout: float) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


def _signed(body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Shop-Domain": DOMAIN,
        "X-Shopify-API-Version": "2026-07",
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Hmac-Sha256": base64.b64encode(
            hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
        ).decode(),
    }


class Dripper(threading.Thread):
    """One connection that declares a 100 KB webhook body and sends it a byte every 0.2 s; when the server
    answers or closes, it records the status and connects again."""

    def __init__(self, url: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.host, self.port = url.removeprefix("http://").split(":")
        self.stop_event = stop
        self.connected = threading.Event()
        self.answers: list[str] = []

    def run(self) -> None:
        head = (
            "POST /webhooks/shopify HTTP/1.1\r\n"
            f"Host: {self.host}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n"
            f"X-Shopify-Shop-Domain: {DOMAIN}\r\nX-Shopify-Topic: orders/create\r\n\r\n"
        ).encode()
        while not self.stop_event.is_set():
            with contextlib.suppress(OSError), socket.create_connection((self.host, int(self.port))) as sock:
                sock.sendall(head + b"{")
                self.connected.set()
                while not self.stop_event.wait(0.2):
                    readable, _, _ = select.select([sock], [], [], 0)
                    if readable:
                        answer = sock.recv(64).decode(errors="replace")
                        self.answers.append(
                            answer.split(" ", 2)[1] if answer.startswith("HTTP/") else "closed"
                        )
                        break
                    sock.sendall(b" ")


def test_slow_drip_clients_do_not_take_the_web_tier_down(server):
    stop = threading.Event()
    drippers = [Dripper(server, stop) for _ in range(CAPACITY * 2 + 4)]
    for dripper in drippers:
        dripper.start()
    try:
        for dripper in drippers:
            assert dripper.connected.wait(30), "a dripper could not connect"

        healthz = requests.get(f"{server}/healthz", timeout=120)
        body = json.dumps(
            {"id": 5150, "name": "#5150", "line_items": [], "updated_at": "2026-11-20T10:00:00Z"}
        ).encode()
        webhook = requests.post(f"{server}/webhooks/shopify", data=body, headers=_signed(body), timeout=120)
        wait_for(lambda: sum(len(d.answers) for d in drippers) >= CAPACITY, message="drippers answered")
    finally:
        stop.set()
        for dripper in drippers:
            dripper.join(timeout=30)

    assert (healthz.status_code, healthz.json()) == (200, {"status": "ok"})
    assert (webhook.status_code, webhook.json()) == (200, {"status": "stored"})
    assert InboundEvent.objects.filter(shop__domain=DOMAIN).count() == 1
    answers = {answer for dripper in drippers for answer in dripper.answers}
    assert answers == {"408"}


def test_the_shipped_settings_are_threaded(server):
    assert (CONFIG["worker_class"], CONFIG["workers"] >= 2, CONFIG["threads"] >= 4) == ("gthread", True, True)
    log = (LOG_DIR / "slow-clients-gunicorn.log").read_text()
    assert "Using worker: gthread" in log


def test_a_body_that_stops_arriving_is_answered_408_and_nothing_is_stored(server):
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        body = json.dumps({"id": 1}).encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in _signed(body).items())
        declared = len(body) + 10  # ten bytes that never come
        request = f"POST /webhooks/shopify HTTP/1.1\r\nHost: {host}\r\n{head}Content-Length: {declared}\r\n"
        request += "\r\n"
        sock.sendall(request.encode() + body)
        answer = b""
        while chunk := sock.recv(4096):  # until the server closes the connection
            answer += chunk

    assert answer.decode().startswith("HTTP/1.1 408 ")
    assert answer.endswith(b"\r\n\r\nrequest body not received in time\n")
    assert InboundEvent.objects.count() == 0
