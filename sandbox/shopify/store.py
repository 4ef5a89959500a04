"""State of the Shopify sandbox: shops and their records, the sandbox clock, persistence.

Everything lives in one JSON-able dict guarded by one re-entrant lock (``Store.lock``). Records are kept in
their REST shape (the shape webhooks deliver); the GraphQL layer derives its objects from them. Keys that
start with ``_`` are sandbox bookkeeping and never leave the sandbox (``public()`` strips them).
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEMO_DOMAIN = "demo.myshopify.com"
DEMO_TOKEN = "shpat_sandbox"
DEMO_CLIENT_SECRET = "sandbox-client-secret"

#: Supported Admin API versions, oldest first. A request to an older (unsupported) version falls forward
#: to the oldest supported one, as Shopify does; ``unstable`` is served as the newest.
SUPPORTED_VERSIONS: tuple[str, ...] = ("2026-01", "2026-04", "2026-07", "2026-10")

#: Plans by name: restore rate in points per second; bucket size (``maximumAvailable``).
PLANS: dict[str, dict[str, float]] = {
    "basic": {"restore_rate": 100.0, "maximum": 1000.0},
    "advanced": {"restore_rate": 200.0, "maximum": 2000.0},
    "plus": {"restore_rate": 1000.0, "maximum": 10000.0},
    "enterprise": {"restore_rate": 2000.0, "maximum": 20000.0},
}


def public(value: Any) -> Any:
    """A deep copy without sandbox-internal keys (those starting with ``_``)."""
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [public(v) for v in value]
    return value


class Clock:
    """Sandbox time: runs ``speed`` times faster than real time and can be advanced by hand."""

    def __init__(self, start: float | None = None, speed: float = 1.0):
        self._lock = threading.Lock()
        self._base_sandbox = time.time() if start is None else start
        self._base_real = time.monotonic()
        self.speed = float(speed)

    def now(self) -> float:
        with self._lock:
            return self._base_sandbox + (time.monotonic() - self._base_real) * self.speed

    def _rebase(self) -> None:
        now_real = time.monotonic()
        self._base_sandbox += (now_real - self._base_real) * self.speed
        self._base_real = now_real

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        with self._lock:
            self._rebase()
            self.speed = float(speed)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the sandbox clock does not go backwards")
        with self._lock:
            self._rebase()
            self._base_sandbox += seconds

    def real_seconds_for(self, sandbox_seconds: float) -> float:
        return max(0.0, sandbox_seconds / self.speed)

    def iso(self, ts: float | None = None) -> str:
        return iso(self.now() if ts is None else ts)


def iso(ts: float) -> str:
    """REST timestamp: ISO 8601 with an explicit offset (the sandbox shops run on UTC)."""
    return datetime.fromtimestamp(ts, UTC).replace(microsecond=0).isoformat()


def gql_time(value: str | None) -> str | None:
    """GraphQL DateTime: ISO 8601 in UTC with a ``Z``."""
    if value is None:
        return None
    return parse_time(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime:
    v = value.strip()
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    if len(v) == 10:
        v += "T00:00:00+00:00"
    dt = datetime.fromisoformat(v)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def empty_state() -> dict[str, Any]:
    return {"next_id": 1_000_001, "shops": {}, "clock": None}


class Store:
    """The sandbox's state with persistence to ``data_dir/state.json`` (written by a background saver)."""

    def __init__(self, data_dir: str | os.PathLike[str] | None, clock_speed: float = 1.0):
        self.lock = threading.RLock()
        self.data_dir = Path(data_dir) if data_dir else None
        self.state: dict[str, Any] = empty_state()
        self._dirty = threading.Event()
        self._stop = threading.Event()
        loaded = self._load()
        start = None
        if loaded and loaded.get("clock"):
            # Time kept running while the sandbox was down, at real speed.
            saved = loaded["clock"]
            start = saved["now"] + max(0.0, time.time() - saved["saved_at"])
        self.clock = Clock(start=start, speed=clock_speed)
        if loaded:
            self.state = loaded
        self._saver: threading.Thread | None = None

    # -- persistence -------------------------------------------------------------------------------------
    def _path(self) -> Path | None:
        return self.data_dir / "state.json" if self.data_dir else None

    def _load(self) -> dict[str, Any] | None:
        path = self._path()
        if path is None or not path.exists():
            return None
        with path.open() as fh:
            data: dict[str, Any] = json.load(fh)
        return data

    def start_saver(self) -> None:
        if self.data_dir is None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._saver = threading.Thread(target=self._save_loop, name="sandbox-saver", daemon=True)
        self._saver.start()

    #: The saver rests this many times as long as its last save took: writing the whole state again after
    #: every change would, with a flash sale's thousands of orders, spend a core on JSON and hold the lock
    #: that every API request needs (a real Shopify's persistence is not on the app's machine).
    SAVE_REST_FACTOR = 10.0

    def _save_loop(self) -> None:
        while not self._stop.is_set():
            if self._dirty.wait(0.5):
                self._dirty.clear()
                started = time.monotonic()
                self.save_now()
                self._stop.wait(max(0.0, (time.monotonic() - started) * self.SAVE_REST_FACTOR))

    def mark_dirty(self) -> None:
        self._dirty.set()

    def save_now(self) -> None:
        path = self._path()
        if path is None:
            return
        with self.lock:
            self.state["clock"] = {
                "now": self.clock.now(),
                "saved_at": time.time(),
                "speed": self.clock.speed,
            }
            text = json.dumps(self.state, separators=(",", ":"))
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)

    def close(self) -> None:
        self._stop.set()
        self.save_now()

    # -- helpers -----------------------------------------------------------------------------------------
    def new_id(self) -> int:
        with self.lock:
            value = int(self.state["next_id"])
            self.state["next_id"] = value + 1
            return value

    def shop(self, domain: str) -> dict[str, Any]:
        shop: dict[str, Any] = self.state["shops"][domain]
        return shop

    def shop_by_token(self, token: str) -> dict[str, Any] | None:
        for shop in self.state["shops"].values():
            if token and token == shop["token"]:
                return shop  # type: ignore[no-any-return]
        return None

    def snapshot(self, value: Any) -> Any:
        with self.lock:
            return copy.deepcopy(value)
