"""Webhook delivery as Shopify does it: signed POSTs, a 5-second timeout, retries on anything but 2xx on
the sandbox clock (8 retries over 4 hours), and removal of the subscription when the retries run out.

Deliveries run in a thread pool so a slow receiver never blocks the Admin API. Every delivery and every
attempt is kept in the shop's delivery log (``GET /_sandbox/shops/<domain>/deliveries``).

Delivery faults (injected through the control API) act when an event is fired:

- ``duplicate``: the delivery is sent twice, one after the other, with the same webhook and event ids;
- ``concurrent_duplicate``: sent twice at the same moment from two threads;
- ``reorder``: the next ``count`` deliveries (default 2) are held and then sent newest first;
- ``delay``: the first attempt waits ``delay_seconds`` on the sandbox clock;
- ``drop``: never sent (only a reconciliation that reads the API can find the change).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import heapq
import hmac
import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from sandbox.shopify.store import SUPPORTED_VERSIONS, Store, public

log = logging.getLogger("sandbox.shopify.webhooks")

#: Sandbox seconds between attempts: 8 retries, exponential, 4 hours in total (Shopify publishes the count
#: and the total since 2024-09-10, not the exact intervals).
RETRY_DELAYS: tuple[int, ...] = (60, 120, 300, 600, 1200, 2400, 4200, 5520)
CONNECT_TIMEOUT = 1.0
TOTAL_TIMEOUT = 5.0

#: Topics the sandbox fires and an app can subscribe to through ``webhookSubscriptionCreate`` (each is a
#: value of the 2026-07 WebhookSubscriptionTopic enum; a test holds that).
TOPICS: tuple[str, ...] = (
    "orders/create",
    "orders/updated",
    "orders/cancelled",
    "orders/edited",
    "orders/paid",
    "orders/fulfilled",
    "orders/partially_fulfilled",
    "orders/delete",
    "refunds/create",
    "customers/create",
    "customers/update",
    "customers/delete",
    "products/create",
    "products/update",
    "products/delete",
    "inventory_levels/update",
    "fulfillments/create",
    "fulfillments/update",
    "app/uninstalled",
    "bulk_operations/finish",
    "disputes/create",
    "disputes/update",
)

#: The mandatory privacy topics. They are not WebhookSubscriptionTopic values: an app configures one
#: compliance URL for them (``compliance_topics`` in shopify.app.toml), and Shopify delivers them there.
COMPLIANCE_TOPICS: tuple[str, ...] = ("customers/data_request", "customers/redact", "shop/redact")
ALL_TOPICS: tuple[str, ...] = TOPICS + COMPLIANCE_TOPICS


def topic_to_enum(topic: str) -> str:
    return topic.replace("/", "_").upper()


def enum_to_topic(value: str) -> str:
    for topic in TOPICS:
        if topic_to_enum(topic) == value:
            return topic
    raise KeyError(value)


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class WebhookEngine:
    def __init__(self, store: Store, *, max_workers: int = 32):
        self.store = store
        self._heap: list[tuple[float, int, str, str]] = []
        self._seq = 0
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="webhook")
        self._held: dict[str, list[str]] = {}
        self._thread: threading.Thread | None = None
        self._session_local = threading.local()

    # -- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> None:
        with self.store.lock:
            for domain, shop in self.store.state["shops"].items():
                for key, d in shop["deliveries"].items():
                    if d["status"] in ("pending", "held", "sending"):
                        d["status"] = "pending"
                        self._push(d["next_attempt_at"], domain, key)
        self._thread = threading.Thread(target=self._loop, name="webhook-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def reset(self) -> None:
        with self.store.lock:
            self._heap.clear()
            self._held.clear()

    def _push(self, due: float, domain: str, key: str) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, domain, key))

    # -- firing ------------------------------------------------------------------------------------------
    def emit(self, shop: dict[str, Any], topic: str, payload: dict[str, Any]) -> list[str]:
        """Queue one delivery per subscription to ``topic`` (compliance topics: one, to the app's compliance
        URL). Call with the store lock held."""
        if topic in COMPLIANCE_TOPICS:
            return self._emit_compliance(shop, topic, payload)
        subs = [sub for sub in shop["subscriptions"].values() if sub["topic"] == topic]
        if not subs:
            return []
        now = self.store.clock.now()
        event_id = str(uuid.uuid4())
        body_obj = public(payload)
        keys = []
        for sub in sorted(subs, key=lambda x: x["id"]):
            obj = body_obj
            if sub.get("include_fields"):
                obj = {k: v for k, v in body_obj.items() if k in sub["include_fields"]}
            delivery = {
                "key": str(uuid.uuid4()),
                "webhook_id": str(uuid.uuid4()),
                "event_id": event_id,
                "topic": topic,
                "subscription_id": sub["id"],
                "callback_url": sub["callback_url"],
                "api_version": sub["api_version"],
                "triggered_at": self.store.clock.iso(now),
                "triggered_ts": now,
                "body": json.dumps(obj, separators=(",", ":"), ensure_ascii=False),
                "status": "pending",
                "retries": 0,
                "next_attempt_at": now,
                "attempts": [],
                "faults": [],
                "copy_of": None,
            }
            keys.append(delivery["key"])
            self._apply_faults(shop, delivery)
        return keys

    def _emit_compliance(self, shop: dict[str, Any], topic: str, payload: dict[str, Any]) -> list[str]:
        """A compliance webhook goes to the URL of the app's configuration, whatever the subscriptions. With
        none configured it cannot be delivered: the log keeps it as ``dropped`` with the reason."""
        app = shop.get("app") or {}
        now = self.store.clock.now()
        delivery = {
            "key": str(uuid.uuid4()),
            "webhook_id": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
            "topic": topic,
            "subscription_id": None,
            "compliance": True,
            "callback_url": app.get("compliance_url"),
            "api_version": app.get("webhooks_api_version") or SUPPORTED_VERSIONS[-1],
            "triggered_at": self.store.clock.iso(now),
            "triggered_ts": now,
            "body": json.dumps(public(payload), separators=(",", ":"), ensure_ascii=False),
            "status": "pending",
            "retries": 0,
            "next_attempt_at": now,
            "attempts": [],
            "faults": [],
            "copy_of": None,
        }
        if not delivery["callback_url"]:
            delivery["status"] = "dropped"
            delivery["cancel_reason"] = "the app has no compliance webhook URL configured"
            shop["deliveries"][delivery["key"]] = delivery
            return [delivery["key"]]
        self._apply_faults(shop, delivery)
        return [delivery["key"]]

    def _take_fault(self, shop: dict[str, Any], topic: str) -> dict[str, Any] | None:
        for fault in shop["faults"]["delivery"]:
            if fault.get("topic") and fault["topic"] != topic:
                continue
            if fault["remaining"] == 0:
                continue
            if fault["remaining"] > 0:
                fault["remaining"] -= 1
            taken = dict(fault)
            shop["faults"]["delivery"] = [f for f in shop["faults"]["delivery"] if f["remaining"] != 0]
            return taken
        return None

    def _apply_faults(self, shop: dict[str, Any], d: dict[str, Any]) -> None:
        domain = shop["domain"]
        fault = self._take_fault(shop, d["topic"])
        shop["deliveries"][d["key"]] = d
        if fault is None:
            self._push(d["next_attempt_at"], domain, d["key"])
            return
        kind = fault["kind"]
        d["faults"].append(kind)
        if kind == "drop":
            d["status"] = "dropped"
            return
        if kind == "delay":
            d["next_attempt_at"] += float(fault.get("delay_seconds", 60))
            self._push(d["next_attempt_at"], domain, d["key"])
            return
        if kind in ("duplicate", "concurrent_duplicate"):
            copies = max(2, int(fault.get("copies", 2)))
            group = str(uuid.uuid4()) if kind == "concurrent_duplicate" else None
            d["concurrent_group"] = group
            d["group_size"] = copies
            self._push(d["next_attempt_at"], domain, d["key"])
            for i in range(1, copies):
                dup = {**d, "key": str(uuid.uuid4()), "copy_of": d["key"], "attempts": [], "faults": [kind]}
                # A plain duplicate comes a moment later; concurrent copies are released together.
                dup["next_attempt_at"] = d["next_attempt_at"] + (0 if group else 0.5 * i)
                shop["deliveries"][dup["key"]] = dup
                self._push(dup["next_attempt_at"], domain, dup["key"])
            return
        if kind == "reorder":
            d["status"] = "held"
            held = self._held.setdefault(f"{domain}|{fault['id']}", [])
            held.append(d["key"])
            size = int(fault.get("batch", 2))
            if len(held) >= size or fault["remaining"] == 0:
                self._held.pop(f"{domain}|{fault['id']}", None)
                keys = list(reversed(held))
                for k in keys:
                    shop["deliveries"][k]["status"] = "pending"
                    shop["deliveries"][k]["next_attempt_at"] = d["next_attempt_at"]
                self._pool.submit(self._send_chain, domain, keys)
            return
        self._push(d["next_attempt_at"], domain, d["key"])

    # -- scheduling --------------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            due: list[tuple[str, str]] = []
            groups: dict[str, list[tuple[str, str]]] = {}
            with self.store.lock:
                now = self.store.clock.now()
                while self._heap and self._heap[0][0] <= now:
                    _, _, domain, key = heapq.heappop(self._heap)
                    shop = self.store.state["shops"].get(domain)
                    d = shop["deliveries"].get(key) if shop else None
                    if d is None or d["status"] != "pending":
                        continue
                    d["status"] = "sending"
                    if d.get("concurrent_group") and not d["attempts"]:
                        groups.setdefault(d["concurrent_group"], []).append((domain, key))
                    else:
                        due.append((domain, key))
            for domain, key in due:
                self._pool.submit(self._attempt, domain, key, None)
            for members in groups.values():
                barrier = threading.Barrier(len(members))
                for domain, key in members:
                    self._pool.submit(self._attempt, domain, key, barrier)
            self._stop.wait(0.02)

    def _send_chain(self, domain: str, keys: list[str]) -> None:
        for key in keys:
            with self.store.lock:
                shop = self.store.state["shops"].get(domain)
                d = shop["deliveries"].get(key) if shop else None
                if d is None:
                    continue
                d["status"] = "sending"
            self._attempt(domain, key, None)

    def _session(self) -> requests.Session:
        sess = getattr(self._session_local, "session", None)
        if sess is None:
            sess = requests.Session()
            self._session_local.session = sess
        return sess

    def _attempt(self, domain: str, key: str, barrier: threading.Barrier | None) -> None:
        try:
            self._attempt_inner(domain, key, barrier)
        except Exception:  # pragma: no cover - a bug here must not kill the pool
            log.exception("delivery %s failed unexpectedly", key)

    def _attempt_inner(self, domain: str, key: str, barrier: threading.Barrier | None) -> None:
        with self.store.lock:
            shop = self.store.state["shops"].get(domain)
            if shop is None:
                return
            d = shop["deliveries"].get(key)
            if d is None:
                return
            sub = shop["subscriptions"].get(str(d["subscription_id"]))
            if sub is None and not d.get("compliance"):
                d["status"] = "cancelled"
                d["cancel_reason"] = "subscription deleted"
                self.store.mark_dirty()
                return
            now = self.store.clock.now()
            secret = shop["client_secret"]
            if (
                shop.get("old_client_secret")
                and shop.get("old_secret_until")
                and now < shop["old_secret_until"]
            ):
                secret = shop["old_client_secret"]
            body = d["body"].encode()
            version = d["api_version"] if d["api_version"] in SUPPORTED_VERSIONS else SUPPORTED_VERSIONS[0]
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "Shopify-Captain-Hook",
                "X-Shopify-Topic": d["topic"],
                "X-Shopify-Hmac-Sha256": sign(body, secret),
                "X-Shopify-Shop-Domain": domain,
                "X-Shopify-API-Version": version,
                "X-Shopify-Webhook-Id": d["webhook_id"],
                "X-Shopify-Event-Id": d["event_id"],
                "X-Shopify-Triggered-At": d["triggered_at"],
            }
            url = d["callback_url"]
        if barrier is not None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)
        started = time.monotonic()
        status: int | None = None
        error = None
        response_text = ""
        try:
            resp = self._session().post(
                url,
                data=body,
                headers=headers,
                timeout=(CONNECT_TIMEOUT, TOTAL_TIMEOUT),
                allow_redirects=False,
            )
            status = resp.status_code
            response_text = resp.text[:500]
        except requests.Timeout:
            error = "timeout"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        ok = status is not None and 200 <= status < 300
        with self.store.lock:
            shop = self.store.state["shops"].get(domain)
            if shop is None or key not in shop["deliveries"]:
                return
            now = self.store.clock.now()
            d["attempts"].append(
                {
                    "at": self.store.clock.iso(now),
                    "at_ts": now,
                    "status_code": status,
                    "error": error,
                    "duration_ms": duration_ms,
                    "response_body": response_text,
                    "signed_with_old_secret": secret != shop["client_secret"],
                }
            )
            sub = shop["subscriptions"].get(str(d["subscription_id"]))
            if ok:
                d["status"] = "delivered"
                if sub:
                    sub["consecutive_failures"] = 0
            else:
                if sub:
                    sub["consecutive_failures"] = sub.get("consecutive_failures", 0) + 1
                if d["retries"] < len(RETRY_DELAYS):
                    d["next_attempt_at"] = now + RETRY_DELAYS[d["retries"]]
                    d["retries"] += 1
                    d["status"] = "pending"
                    self._push(d["next_attempt_at"], domain, key)
                else:
                    d["status"] = "failed"
                    if sub is not None:
                        # The retries are used up: Shopify removes the subscription.
                        del shop["subscriptions"][str(sub["id"])]
                        shop.setdefault("removed_subscriptions", []).append(
                            {**sub, "removed_at": self.store.clock.iso(now), "reason": "delivery failures"}
                        )
            self.store.mark_dirty()

    # -- inspection --------------------------------------------------------------------------------------
    def pending_count(self) -> int:
        with self.store.lock:
            return sum(
                1
                for shop in self.store.state["shops"].values()
                for d in shop["deliveries"].values()
                if d["status"] in ("pending", "sending", "held")
            )
