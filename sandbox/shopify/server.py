"""HTTP front of the Shopify sandbox: the Admin GraphQL endpoint and the control API under ``/_sandbox/``."""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from sandbox.shopify import api, bulk, shopdata
from sandbox.shopify.shopdata import OperationError, gid_id
from sandbox.shopify.store import DEMO_DOMAIN, SUPPORTED_VERSIONS, Store, empty_state, public
from sandbox.shopify.webhooks import ALL_TOPICS, RETRY_DELAYS, WebhookEngine

log = logging.getLogger("sandbox.shopify")

DELIVERY_FAULTS = ("duplicate", "concurrent_duplicate", "reorder", "delay", "drop")
API_FAULTS = ("5xx", "429", "latency", "throttle")


class HttpError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Sandbox:
    """The running sandbox: store, delivery engine, buckets, and the operations the control API exposes."""

    def __init__(self, data_dir: str | None = None, clock_speed: float = 1.0):
        self.store = Store(data_dir, clock_speed=clock_speed)
        self.engine = WebhookEngine(self.store)
        self.buckets = api.Buckets()
        self.bulk_files = bulk.BulkFiles(self.store.data_dir)
        self.bulk = bulk.BulkRunner(
            self.store,
            self.bulk_files,
            lambda shop, op: api.run_bulk_query(self.store, shop, op),
            self.fire,
        )
        for shop in self.store.state["shops"].values():
            shopdata.upgrade_shop(shop)
        if not self.store.state["shops"]:
            shopdata.new_shop(self.store)

    def start(self) -> None:
        self.store.start_saver()
        self.engine.start()
        self.bulk.start()

    def stop(self) -> None:
        self.bulk.stop()
        self.engine.stop()
        self.store.close()

    def fire(self, shop: dict[str, Any], events: list[tuple[str, dict[str, Any]]]) -> None:
        with self.store.lock:
            for topic, payload in events:
                self.engine.emit(shop, topic, payload)
            self.store.mark_dirty()

    def shop(self, domain: str) -> dict[str, Any]:
        shop = self.store.state["shops"].get(domain)
        if shop is None:
            raise HttpError(404, f"unknown shop {domain}")
        return shop  # type: ignore[no-any-return]

    def reset(self, seed_demo: bool = True) -> None:
        with self.store.lock:
            self.engine.reset()
            self.store.state.clear()
            self.store.state.update(empty_state())
            self.buckets.reset()
            if seed_demo:
                shopdata.new_shop(self.store)
            self.store.mark_dirty()


def _sentiment(value: Any) -> str:
    if value is None:
        return "NEUTRAL"
    if value not in ("NEGATIVE", "NEUTRAL", "POSITIVE"):
        raise HttpError(400, "sentiment must be NEGATIVE, NEUTRAL or POSITIVE")
    return str(value)


def _storage_error(code: str, message: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()


def _take_api_fault(shop: dict[str, Any], document: str = "") -> dict[str, Any] | None:
    """The next API fault for this request: one narrowed to an ``operation`` (a field name such as
    ``refundCreate``) acts only on requests whose document names it."""
    for fault in shop["faults"]["api"]:
        if fault["remaining"] == 0:
            continue
        if fault.get("operation") and fault["operation"] not in document:
            continue
        if fault["remaining"] > 0:
            fault["remaining"] -= 1
        taken = dict(fault)
        shop["faults"]["api"] = [f for f in shop["faults"]["api"] if f["remaining"] != 0]
        return taken
    return None


def _shop_summary(sb: Sandbox, shop: dict[str, Any]) -> dict[str, Any]:
    return {
        "domain": shop["domain"],
        "id": shop["id"],
        "name": shop["name"],
        "token": shop["token"],
        "client_secret": shop["client_secret"],
        "plan": shop["plan"],
        "restore_rate": shop["restore_rate"],
        "maximum": shop["maximum"],
        "currency": shop["currency"],
        "taxes_included": shop["taxes_included"],
        "installed": shop["installed"],
        "throttle_status": sb.buckets.status(shop),
        "api_usage": shop.get("api_usage", {"points": 0, "calls": 0, "operations": {}}),
        "counts": {
            k: len(shop[k])
            for k in (
                "products",
                "customers",
                "orders",
                "subscriptions",
                "deliveries",
                "payouts",
                "locations",
            )
        },
        "locations": [public(loc) for loc in shop["locations"].values()],
        "supported_versions": list(SUPPORTED_VERSIONS),
    }


class Handler(BaseHTTPRequestHandler):
    server_version = "ShopifySandbox/1"
    protocol_version = "HTTP/1.1"
    sandbox: Sandbox

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    # -- plumbing ----------------------------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json_body(self) -> dict[str, Any]:
        raw = self._body()
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise HttpError(400, f"invalid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise HttpError(400, "expected a JSON object")
        return data

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("X-Request-Id", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urlparse(self.path)
        try:
            m = re.match(r"^/admin/api/([^/]+)/graphql\.json$", url.path)
            if m and method == "POST":
                self._graphql(m.group(1))
                return
            m = re.match(r"^/bulk-operation-results/([0-9a-f]{32})\.jsonl$", url.path)
            if m and method == "GET":
                self._bulk_result(m.group(1), parse_qs(url.query))
                return
            if url.path.startswith("/_sandbox/"):
                status, body = control(self.sandbox, method, url.path, parse_qs(url.query), self)
                self._send(status, body)
                return
            self._send(404, {"errors": "Not Found"})
        except HttpError as exc:
            self._send(exc.status, {"errors": exc.message})
        except OperationError as exc:
            self._send(422, {"errors": exc.message, "field": exc.field, "code": exc.code})
        except Exception as exc:  # pragma: no cover - reported, never hidden
            log.exception("sandbox error")
            self._send(500, {"errors": f"sandbox error: {exc}"})

    def _bulk_result(self, token: str, query: dict[str, list[str]]) -> None:
        """A bulk operation's JSONL file behind a signed URL that expires (as a storage bucket answers: an
        XML error, 403 for a bad signature, 400 once expired). No Shopify token is needed or read."""
        sb = self.sandbox
        expires = (query.get("Expires") or [""])[0]
        signature = (query.get("Signature") or [""])[0]
        ok = expires.isdigit() and hmac.compare_digest(signature, bulk.sign(sb.store, token, int(expires)))
        content = sb.bulk_files.read(token) if ok else None
        if not ok or content is None:
            self._send_raw(403, _storage_error("SignatureDoesNotMatch", "Access denied."))
            return
        if sb.store.clock.now() >= int(expires):
            self._send_raw(400, _storage_error("ExpiredToken", "The provided token has expired."))
            return
        self._send_raw(200, content, "application/jsonl")

    def _send_raw(
        self, status: int, raw: bytes, content_type: str = "application/xml; charset=UTF-8"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    # -- Admin GraphQL -----------------------------------------------------------------------------------
    def _graphql(self, requested: str) -> None:
        sb = self.sandbox
        version, fell_forward = api.resolve_version(requested)
        raw = self._body()
        if version is None:
            self._send(404, {"errors": "Not Found"}, {"X-Shopify-API-Version": SUPPORTED_VERSIONS[-1]})
            return
        headers = {"X-Shopify-API-Version": version if version != "unstable" else "unstable"}
        token = self.headers.get("X-Shopify-Access-Token", "")
        with sb.store.lock:
            shop = sb.store.shop_by_token(token)
            fault = (
                _take_api_fault(shop, raw.decode("utf-8", "replace")) if shop and shop["installed"] else None
            )
        if shop is None or not shop["installed"]:
            self._send(
                401,
                {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"},
                headers,
            )
            return
        if fault:
            kind = fault["kind"]
            if kind == "latency" and not fault.get("after"):
                time.sleep(float(fault.get("latency_ms", 500)) / 1000)
            elif kind == "5xx" and not fault.get("after"):
                status = int(fault.get("status", 503))
                self._send(
                    status,
                    {"errors": "Internal Server Error" if status == 500 else "Service Unavailable"},
                    headers,
                )
                return
            elif kind == "429":
                retry_after = str(fault.get("retry_after", 1))
                self._send(
                    429,
                    {
                        "errors": "Exceeded 2 calls per second for api client. Reduce request rates to "
                        "resume uninterrupted service."
                    },
                    {**headers, "Retry-After": retry_after},
                )
                return
            elif kind == "throttle":
                sb.buckets.set_available(shop, 0)
        try:
            payload = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            self._send(400, {"errors": "Invalid JSON in request body"}, headers)
            return
        answer = api.run(
            sb.store,
            sb.buckets,
            shop,
            version,
            payload,
            emit=lambda events: sb.fire(shop, events),
            base_url=f"http://{self.headers.get('Host') or '127.0.0.1'}",
        )
        if fault and fault["kind"] == "latency" and fault.get("after"):
            # The request is executed at once; its answer is held back (a slow network after the commit).
            time.sleep(float(fault.get("latency_ms", 500)) / 1000)
        if fault and fault["kind"] == "5xx" and fault.get("after"):
            # The request was executed but the answer is lost (a gateway error after the commit).
            self._send(int(fault.get("status", 502)), {"errors": "Bad Gateway"}, headers)
            return
        reasons = []
        if fell_forward:
            reasons.append("https://shopify.dev/api/usage/versioning#deprecation-practices")
        reasons += answer.deprecated
        if reasons:
            headers["X-Shopify-API-Deprecated-Reason"] = ", ".join(reasons)
        self._send(answer.status, answer.body, headers)


# ---------------------------------------------------------------------------------------------------------
# control API
# ---------------------------------------------------------------------------------------------------------
def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise HttpError(400, f"{name} must be an integer") from exc


def control(
    sb: Sandbox, method: str, path: str, query: dict[str, list[str]], req: Handler
) -> tuple[int, Any]:
    parts = [p for p in path.split("/") if p][1:]  # drop "_sandbox"
    store = sb.store
    if parts == ["health"]:
        return 200, {
            "ok": True,
            "shops": sorted(store.state["shops"]),
            "clock": store.clock.iso(),
            "pending_deliveries": sb.engine.pending_count(),
        }
    if parts == ["reset"] and method == "POST":
        body = req._json_body()
        sb.reset(seed_demo=body.get("seed_demo", True))
        return 200, {"ok": True, "shops": sorted(store.state["shops"])}
    if parts == ["clock"]:
        if method == "POST":
            body = req._json_body()
            try:
                if "speed" in body:
                    store.clock.set_speed(float(body["speed"]))
                if "advance_seconds" in body:
                    store.clock.advance(float(body["advance_seconds"]))
            except ValueError as exc:
                raise HttpError(400, str(exc)) from exc
            store.mark_dirty()
        now = store.clock.now()
        return 200, {
            "now": store.clock.iso(now),
            "timestamp": now,
            "speed": store.clock.speed,
            "retry_delays": list(RETRY_DELAYS),
        }
    if parts == ["shops"]:
        if method == "POST":
            body = req._json_body()
            domain = body.get("domain") or DEMO_DOMAIN
            kwargs = {
                k: body[k]
                for k in (
                    "token",
                    "client_secret",
                    "plan",
                    "restore_rate",
                    "maximum",
                    "taxes_included",
                    "currency",
                    "name",
                    "seed",
                )
                if k in body
            }
            with store.lock:
                if any(
                    s["token"] == kwargs.get("token") and d != domain for d, s in store.state["shops"].items()
                ):
                    raise HttpError(409, "token already used by another shop")
                shop = shopdata.new_shop(store, domain=domain, **kwargs)
            return 201, _shop_summary(sb, shop)
        return 200, {"shops": [_shop_summary(sb, s) for s in store.state["shops"].values()]}
    if len(parts) < 2 or parts[0] != "shops":
        raise HttpError(404, "unknown control endpoint")
    shop = sb.shop(parts[1])
    rest = parts[2:]
    with store.lock:
        return _shop_control(sb, shop, method, rest, query, req)


def _shop_control(
    sb: Sandbox, shop: dict[str, Any], method: str, rest: list[str], query: dict[str, list[str]], req: Handler
) -> tuple[int, Any]:
    store = sb.store
    if not rest:
        return 200, _shop_summary(sb, shop)
    head = rest[0]
    if head == "settings" and method == "POST":
        body = req._json_body()
        for key in ("restore_rate", "maximum"):
            if key in body:
                shop[key] = float(body[key])
        for key in ("taxes_included", "plan", "name"):
            if key in body:
                shop[key] = body[key]
        if "scopes" in body:
            shop["app"] = {**shop["app"], "scopes": [str(h) for h in body["scopes"]]}
        if "bucket_available" in body:
            sb.buckets.set_available(shop, float(body["bucket_available"]))
        if body.get("reset_usage"):
            shop["api_usage"] = {"points": 0, "calls": 0, "operations": {}}
        store.mark_dirty()
        return 200, _shop_summary(sb, shop)
    if head == "rotate-secret" and method == "POST":
        body = req._json_body()
        grace = float(body.get("grace_seconds", 3600))
        shop["old_client_secret"] = shop["client_secret"]
        shop["old_secret_until"] = store.clock.now() + grace
        shop["client_secret"] = body.get("new_secret") or f"secret-{uuid.uuid4().hex[:12]}"
        store.mark_dirty()
        return 200, {
            "client_secret": shop["client_secret"],
            "old_client_secret": shop["old_client_secret"],
            "old_secret_until": store.clock.iso(shop["old_secret_until"]),
        }
    if head == "orders":
        return _orders_control(sb, shop, method, rest[1:], req)
    if head == "customers":
        body = req._json_body() if method == "POST" else {}
        if len(rest) == 1 and method == "POST":
            events = shopdata.create_customer(store, shop, body)
            sb.fire(shop, events)
            return 201, public(events[0][1])
        if len(rest) == 1:
            return 200, {"customers": public(list(shop["customers"].values()))}
        cid = _int(rest[1], "customer id")
        customer = shop["customers"].get(str(cid))
        if customer is None:
            raise HttpError(404, "unknown customer")
        if len(rest) == 2 and method == "POST":
            events = shopdata.update_customer(store, shop, cid, body)
            sb.fire(shop, events)
            return 200, public(customer)
        if len(rest) == 2:
            return 200, public(customer)
        if rest[2] in ("redact", "data_request") and method == "POST":
            orders = [o["id"] for o in shop["orders"].values() if (o.get("customer") or {}).get("id") == cid]
            who = {"id": cid, "email": customer["email"], "phone": customer["phone"]}
            if rest[2] == "redact":
                payload = {
                    "shop_id": shop["id"],
                    "shop_domain": shop["domain"],
                    "customer": who,
                    "orders_to_redact": orders,
                }
            else:
                payload = {
                    "shop_id": shop["id"],
                    "shop_domain": shop["domain"],
                    "orders_requested": orders,
                    "customer": who,
                    "data_request": {"id": store.new_id()},
                }
            sb.fire(shop, [(f"customers/{rest[2]}", payload)])
            return 200, payload
    if head == "redact" and method == "POST":
        payload = {"shop_id": shop["id"], "shop_domain": shop["domain"]}
        sb.fire(shop, [("shop/redact", payload)])
        return 200, payload
    if head == "uninstall" and method == "POST":
        payload = {
            "id": shop["id"],
            "name": shop["name"],
            "email": shop["email"],
            "domain": shop["domain"],
            "myshopify_domain": shop["domain"],
            "currency": shop["currency"],
            "plan_name": shop["plan"],
        }
        sb.fire(shop, [("app/uninstalled", payload)])
        shop["installed"] = False
        return 200, payload
    if head == "install" and method == "POST":
        shop["installed"] = True
        return 200, {"installed": True}
    if head == "products":
        if len(rest) == 1:
            return 200, {"products": public(list(shop["products"].values()))}
        product = shop["products"].get(rest[1])
        if product is None:
            raise HttpError(404, "unknown product")
        if len(rest) == 3 and rest[2] == "touch" and method == "POST":
            product["updated_at"] = store.clock.iso()
            sb.fire(shop, [("products/update", product)])
        return 200, public(product)
    if rest == ["inventory", "adjustments"] and method == "GET":
        # The adjustment groups the shop applied (a refused or replayed write applies none): what the app
        # wrote to Shopify's inventory, each with its reason, reference document and changes.
        groups = sorted(shop["adjustment_groups"].values(), key=lambda g: int(g["id"]))
        return 200, {"adjustments": groups}
    if head == "inventory" and method == "GET":
        levels = []
        for lv in shop["inventory_levels"].values():
            item = shop["inventory_items"][str(lv["inventory_item_id"])]
            levels.append(
                {
                    **public(lv),
                    "sku": item["sku"],
                    "committed": lv["_committed"],
                    "on_hand": lv["available"] + lv["_committed"],
                }
            )
        return 200, {"inventory_levels": levels}
    if head == "app":
        if method == "POST":
            body = req._json_body()
            url = body.get("compliance_url", shop["app"].get("compliance_url"))
            if url is not None and not re.match(r"^https?://", str(url)):
                raise HttpError(400, "compliance_url must be an http(s) URL or null")
            version = body.get("webhooks_api_version", shop["app"].get("webhooks_api_version"))
            if version not in SUPPORTED_VERSIONS:
                raise HttpError(400, f"webhooks_api_version must be one of {SUPPORTED_VERSIONS}")
            shop["app"] = {"compliance_url": url, "webhooks_api_version": version}
            store.mark_dirty()
        return 200, dict(shop["app"])
    if head == "bulk":
        settings = shop.setdefault("bulk", {"hold": False, "fail_next": None})
        if method == "POST":
            body = req._json_body()
            if "hold" in body:
                settings["hold"] = bool(body["hold"])
            if "fail_next" in body:
                code = body["fail_next"]
                if code not in (None, "access_denied", "internal_server_error", "timeout"):
                    raise HttpError(
                        400, "fail_next must be access_denied, internal_server_error, timeout or null"
                    )
                settings["fail_next"] = code
            store.mark_dirty()
            sb.bulk.wake()
        return 200, {"settings": settings, "operations": public(list(shop["bulk_operations"].values()))}
    if head == "disputes":
        if len(rest) == 1:
            return 200, {"disputes": public(list(shop["disputes"].values()))}
        body = req._json_body() if method == "POST" else {}
        if len(rest) == 3 and rest[2] == "resolve" and method == "POST":
            dispute, events = shopdata.resolve_dispute(
                store, shop, _int(rest[1], "dispute id"), status=str(body.get("status", ""))
            )
            sb.fire(shop, events)
            return 200, public(dispute)
        raise HttpError(404, "unknown dispute action")
    if head == "adjustments" and method == "POST":
        body = req._json_body()
        row = shopdata.add_adjustment(
            store,
            shop,
            amount=Decimal(str(body.get("amount", "0"))),
            reason=str(body.get("reason") or "adjustment"),
            order_id=gid_id(body.get("order_id"), "Order") if body.get("order_id") else None,
        )
        store.mark_dirty()
        return 201, public(row)
    if head == "payouts" and len(rest) == 3 and rest[2] in ("fail", "cancel") and method == "POST":
        payout = shopdata.fail_payout(
            store, shop, _int(rest[1], "payout id"), status="failed" if rest[2] == "fail" else "canceled"
        )
        store.mark_dirty()
        return 200, public(payout)
    if head == "payouts":
        if method == "POST":
            body = req._json_body()
            payouts = shopdata.build_payouts(store, shop, status=body.get("status", "paid"))
            store.mark_dirty()
            return 201, {"payouts": public(payouts)}
        return 200, {
            "payouts": public(list(shop["payouts"].values())),
            "balance_transactions": public(list(shop["balance_transactions"].values())),
        }
    if head == "faults":
        if method == "DELETE":
            shop["faults"] = {"delivery": [], "api": []}
            return 200, shop["faults"]
        if method == "GET" or len(rest) == 1:
            return 200, shop["faults"]
        body = req._json_body()
        kind = body.get("kind")
        count = int(body.get("count", 1))
        if rest[1] == "delivery":
            if kind not in DELIVERY_FAULTS:
                raise HttpError(400, f"kind must be one of {DELIVERY_FAULTS}")
            if body.get("topic") and body["topic"] not in ALL_TOPICS:
                raise HttpError(400, f"unknown topic {body['topic']}")
            fault = {
                "id": store.new_id(),
                "kind": kind,
                "remaining": count,
                "topic": body.get("topic"),
                "delay_seconds": float(body.get("delay_seconds", 60)),
                "copies": int(body.get("copies", 2)),
                "batch": int(body.get("batch", max(2, count))),
            }
            if kind == "reorder":
                fault["remaining"] = fault["batch"]
            shop["faults"]["delivery"].append(fault)
        elif rest[1] == "api":
            if kind not in API_FAULTS:
                raise HttpError(400, f"kind must be one of {API_FAULTS}")
            fault = {
                "id": store.new_id(),
                "kind": kind,
                "remaining": count,
                "status": int(body.get("status", 503)),
                "retry_after": body.get("retry_after", 1),
                "latency_ms": float(body.get("latency_ms", 500)),
                "after": bool(body.get("after", False)),
                "operation": str(body.get("operation") or ""),
            }
            shop["faults"]["api"].append(fault)
        else:
            raise HttpError(404, "fault family must be delivery or api")
        store.mark_dirty()
        return 201, fault
    if head == "deliveries":
        rows = list(shop["deliveries"].values())
        for key, getter in (("topic", "topic"), ("status", "status"), ("webhook_id", "webhook_id")):
            if key in query:
                rows = [d for d in rows if d[getter] == query[key][0]]
        rows.sort(key=lambda d: (d["triggered_ts"], d["key"]))
        include_body = query.get("body", ["1"])[0] != "0"
        return 200, {
            "deliveries": [{k: v for k, v in d.items() if include_body or k != "body"} for d in rows]
        }
    if head == "subscriptions":
        return 200, {
            "subscriptions": list(shop["subscriptions"].values()),
            "removed": shop.get("removed_subscriptions", []),
        }
    raise HttpError(404, "unknown control endpoint")


def _orders_control(
    sb: Sandbox, shop: dict[str, Any], method: str, rest: list[str], req: Handler
) -> tuple[int, Any]:
    store = sb.store
    if not rest:
        return 200, {"orders": [public(o) for o in shop["orders"].values()]}
    if rest == ["generate"] and method == "POST":
        body = req._json_body()
        ids, events = shopdata.generate_orders(store, shop, body)
        sb.fire(shop, events)
        return 201, {"order_ids": ids, "orders": [public(shop["orders"][str(i)]) for i in ids]}
    oid = gid_id(rest[0], "Order")
    order = shop["orders"].get(str(oid))
    if order is None:
        raise HttpError(404, "unknown order")
    if len(rest) == 1:
        return 200, public(order)
    action = rest[1]
    if method != "POST":
        raise HttpError(405, "use POST")
    body = req._json_body()
    if action == "refund":
        shipping = body.get("shipping")
        refund, events = shopdata.create_refund(
            store,
            shop,
            order["id"],
            line_items=body.get("line_items") or [],
            shipping_full=shipping is True,
            shipping_amount=Decimal(str(shipping)) if shipping not in (None, True, False) else None,
            note=body.get("note"),
            transactions=body.get("transactions"),
            duties=body.get("duties"),
        )
        sb.fire(shop, events)
        return 201, public(refund)
    if action == "pay":
        tx, events = shopdata.pay_outstanding(
            store,
            shop,
            order["id"],
            amount=Decimal(str(body["amount"])) if body.get("amount") is not None else None,
            gateway=body.get("gateway") or "shopify_payments",
        )
        sb.fire(shop, events)
        return 201, tx
    if action == "capture":
        tx, events = shopdata.capture_payment(
            store,
            shop,
            order["id"],
            amount=Decimal(str(body["amount"])) if body.get("amount") is not None else None,
            final_capture=bool(body.get("final_capture")),
        )
        sb.fire(shop, events)
        return 201, tx
    if action == "cancel":
        events = shopdata.cancel_order(
            store,
            shop,
            order["id"],
            reason=body.get("reason", "customer"),
            refund=body.get("refund", True),
            restock=body.get("restock", True),
        )
        sb.fire(shop, events)
        return 200, public(order)
    if action == "edit":
        events = shopdata.edit_order(store, shop, order["id"], add=body.get("add"), remove=body.get("remove"))
        sb.fire(shop, events)
        return 200, public(order)
    if action == "fulfill":
        fo = next(
            (
                f
                for f in shop["fulfillment_orders"].values()
                if f["order_id"] == order["id"] and f["status"] in ("open", "in_progress")
            ),
            None,
        )
        if fo is None:
            raise HttpError(422, "nothing left to fulfil")
        items = None
        if body.get("line_items"):
            items = []
            for x in body["line_items"]:
                foli = next(li for li in fo["line_items"] if li["line_item_id"] == int(x["line_item_id"]))
                items.append({"id": foli["id"], "quantity": int(x["quantity"])})
        f, events = shopdata.create_fulfillment(
            store, shop, [{"fulfillment_order_id": fo["id"], "line_items": items}], body.get("tracking")
        )
        sb.fire(shop, events)
        return 201, public(f)
    if action == "touch":
        order["updated_at"] = store.clock.iso()
        sb.fire(shop, [("orders/updated", order)])
        return 200, public(order)
    if action == "dispute":
        dispute, events = shopdata.create_dispute(
            store,
            shop,
            order["id"],
            amount=Decimal(str(body["amount"])) if body.get("amount") is not None else None,
            reason=str(body.get("reason", "fraudulent")),
            kind=str(body.get("type", "chargeback")),
        )
        sb.fire(shop, events)
        return 201, public(dispute)
    if action == "risk":
        try:
            order["_risk"] = shopdata.risk_summary(store, body)
        except ValueError as exc:
            raise HttpError(400, str(exc)) from None
        order["updated_at"] = store.clock.iso()
        sb.fire(shop, [("orders/updated", order)])
        return 200, dict(order["_risk"])
    raise HttpError(404, "unknown order action")


def make_server(host: str, port: int, sandbox: Sandbox) -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"sandbox": sandbox})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve(host: str, port: int, data_dir: str | None, clock_speed: float) -> None:
    sandbox = Sandbox(data_dir, clock_speed=clock_speed)
    sandbox.start()
    server = make_server(host, port, sandbox)
    stop = threading.Event()

    import signal

    def _terminate(signum: int, _frame: Any) -> None:
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    log.info(
        "Shopify sandbox on http://%s:%s (data: %s, clock x%s)",
        host,
        server.server_address[1],
        data_dir or "memory only",
        clock_speed,
    )
    print(f"Shopify sandbox listening on http://{host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        sandbox.stop()
