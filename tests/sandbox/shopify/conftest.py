"""Fixtures for the Shopify sandbox tests: one sandbox process per module, a webhook receiver, a client."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sandbox.shopify.testing import RunningSandbox, running_sandbox
from sync.connectors.shopify import ShopifyClient, ShopifyConfig, Throttle

API_VERSION = "2026-07"
REPO_ROOT = Path(__file__).resolve().parents[3]
LOCAL_REFERENCE = Path(__file__).parent / "reference"
SHARED_REFERENCE = REPO_ROOT.parent / "shared" / "reference" / "shopify"


def reference_payload(name: str) -> dict[str, Any]:
    """A payload Shopify published (see reference/SOURCES.md); the copy in this repo first."""
    for base in (LOCAL_REFERENCE, SHARED_REFERENCE):
        path = base / name
        if path.exists():
            data: dict[str, Any] = json.loads(path.read_text())
            return data
    raise FileNotFoundError(name)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """A webhook endpoint that records every request and answers with ``status`` (or ``statuses`` in turn)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 60.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                snapshot = list(self.requests)
            if predicate(snapshot):
                return snapshot
            time.sleep(0.02)
        raise TimeoutError(f"receiver got {len(self.requests)} requests")

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.statuses.clear()
            self.status = 200


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            rec = holder["r"]
            with rec.lock:
                rec.requests.append(
                    Received(self.path, {k: v for k, v in self.headers.items()}, body, time.time())
                )
                status = rec.statuses.pop(0) if rec.statuses else rec.status
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder["r"] = Receiver(f"http://127.0.0.1:{server.server_address[1]}/webhooks/shopify")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder["r"]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(data_dir=tmp_path_factory.mktemp("shopify-sandbox")) as sb:
        yield sb


@pytest.fixture
def fresh(sandbox: RunningSandbox, receiver: Receiver) -> RunningSandbox:
    """The module's sandbox, reset to the seeded demo shop, with no faults and an empty receiver."""
    sandbox.control.reset()
    receiver.clear()
    return sandbox


def make_client(
    sb: RunningSandbox, *, api_version: str = API_VERSION, throttle: Throttle | None = None, **config: Any
) -> ShopifyClient:
    cfg = ShopifyConfig(
        domain=sb.domain,
        token=sb.token,
        api_version=api_version,
        admin_url=sb.base_url,
        client_secrets=(sb.client_secret,),
        **config,
    )
    return ShopifyClient(cfg, throttle=throttle)


@pytest.fixture
def client(fresh: RunningSandbox) -> ShopifyClient:
    return make_client(fresh)


@pytest.fixture
def new_client() -> Callable[..., ShopifyClient]:
    return make_client


@pytest.fixture
def reference() -> Callable[[str], dict[str, Any]]:
    return reference_payload
