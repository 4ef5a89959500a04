"""The HTTP front of the Odoo sandbox: Odoo's external protocols plus the ``/_sandbox/`` control API.

Protocol endpoints: ``POST /web/webclient/version_info``, ``GET /web/version`` (19), ``POST /jsonrpc``
(services ``common`` and ``object``, plus ``db.list``), ``POST /xmlrpc/2/common`` and ``/xmlrpc/2/object``
(integer fault codes) and their legacy ``/xmlrpc/...`` twins (string fault codes), ``POST
/web/session/authenticate`` with ``/web/dataset/call_kw`` on the session cookie, ``POST /web/database/list``
and ``POST /json/2/<model>/<method>`` (19). One global lock serialises calls; each call is one transaction
(rolled back on error, persisted before the answer is sent).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import random
import socket
import threading
import time
import traceback
import uuid
import xmlrpc.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .models import account as account_models
from .models import base as base_models
from .models import methods as orm_methods
from .models import stock as stock_models
from .orm import (
    AccessDenied,
    AccessError,
    Env,
    MissingError,
    OdooError,
    RedirectWarning,
    UserError,
    ValidationError,
    error_name,
)
from .seed import DB_NAME, default_credentials, demo_seed, seed_company
from .store import Store

log = logging.getLogger("sandbox.odoo")


class Drop(Exception):
    """Close the connection without answering."""


class Faults:
    """Active faults. Each is a dict with an ``id`` and a ``kind``: latency, error, down, slow, lose_answer."""  # noqa: E501

    KINDS = {"latency", "error", "down", "slow", "lose_answer"}

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: list[dict[str, Any]] = []
        self.rng = random.Random()

    def add(self, spec: dict[str, Any]) -> dict[str, Any]:
        kind = spec.get("kind")
        if kind not in self.KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(self.KINDS)}")
        fault = {"id": uuid.uuid4().hex[:8], **spec}
        if kind == "down" and spec.get("seconds") is not None:
            fault["until"] = time.time() + float(spec["seconds"])
        if kind == "error":
            fault.setdefault("status", 503)
            fault.setdefault("rate", 1.0)
            if int(fault["status"]) not in (429, 500, 502, 503, 504):
                raise ValueError("error status must be one of 429, 500, 502, 503, 504")
        if kind == "lose_answer":
            fault.setdefault("count", 1)
            fault.setdefault("mode", "close")
        if kind == "slow":
            fault.setdefault("seconds", 5.0)
        if kind == "latency":
            fault.setdefault("ms", 100)
        if "seed" in spec:
            self.rng.seed(spec["seed"])
        with self.lock:
            self.active.append(fault)
        return fault

    def clear(self, fault_id: str | None = None) -> int:
        with self.lock:
            before = len(self.active)
            self.active = [f for f in self.active if fault_id is not None and f["id"] != fault_id]
            return before - len(self.active)

    def listing(self) -> list[dict[str, Any]]:
        with self.lock:
            self._expire()
            return [dict(f) for f in self.active]

    def _expire(self) -> None:
        now = time.time()
        self.active = [
            f
            for f in self.active
            if not (f.get("until") and f["until"] <= now)
            and not (f.get("count") is not None and f["count"] <= 0)
        ]

    @staticmethod
    def _matches(f: dict[str, Any], model: str, method: str) -> bool:
        return (not f.get("model") or f["model"] == model) and (not f.get("method") or f["method"] == method)

    def take(self, kind: str, model: str, method: str) -> dict[str, Any] | None:
        """The first active fault of ``kind`` matching the call; consumes one ``count`` if it has one."""
        with self.lock:
            self._expire()
            for f in self.active:
                if f["kind"] != kind or not self._matches(f, model, method):
                    continue
                if kind == "error" and self.rng.random() >= float(f.get("rate", 1.0)):
                    continue
                if f.get("count") is not None:
                    f["count"] -= 1
                return dict(f)
            return None


class Counters:
    #: Correlation ids remembered (the newest), as an access log would keep them.
    CORRELATION_IDS_KEPT = 2000

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: dict[str, dict[str, int]] = {}
        self.by_correlation_id: dict[str, list[str]] = {}

    def hit(self, model: str, method: str, correlation_id: str | None = None) -> None:
        with self.lock:
            per = self.calls.setdefault(model, {})
            per[method] = per.get(method, 0) + 1
            if correlation_id:
                self.by_correlation_id.setdefault(correlation_id[:64], []).append(f"{model}.{method}")
                while len(self.by_correlation_id) > self.CORRELATION_IDS_KEPT:
                    del self.by_correlation_id[next(iter(self.by_correlation_id))]

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            calls = {m: dict(v) for m, v in self.calls.items()}
            correlated = {k: list(v) for k, v in self.by_correlation_id.items()}
        return {
            "calls": calls,
            "total": sum(n for v in calls.values() for n in v.values()),
            "by_correlation_id": correlated,
        }

    def reset(self) -> None:
        with self.lock:
            self.calls = {}
            self.by_correlation_id = {}


class Sandbox:
    """Shared state of one sandbox server."""

    def __init__(self, data_dir: Path | None, version: int):
        if version not in (17, 18, 19):
            raise ValueError("version must be 17, 18 or 19")
        self.version = version
        self.store = Store(data_dir, version)
        self.lock = threading.RLock()
        self.faults = Faults()
        self.counters = Counters()
        self.sessions: dict[
            str, int
        ] = {}  # /web/session/authenticate cookies -> uid (in memory, as a restart loses them)

    # -- version ---------------------------------------------------------------------------------

    def version_info(self) -> dict[str, Any]:
        v = self.version
        return {
            "server_version": f"{v}.0",
            "server_version_info": [v, 0, 0, "final", 0, ""],
            "server_serie": f"{v}.0",
            "protocol_version": 1,
        }

    # -- auth ------------------------------------------------------------------------------------

    def credentials(self) -> dict[str, dict[str, Any]]:
        return self.store.db.meta.setdefault("credentials", default_credentials())

    def check_password(self, uid: Any, secret: Any) -> bool:
        creds = self.credentials().get(str(uid))
        if not creds or not isinstance(secret, str) or not secret:
            return False
        user = self.store.db.tables["res.users"].get(uid if isinstance(uid, int) else -1)
        if not user or not user.get("active", True):
            return False
        return secret == creds.get("password") or secret in creds.get("api_keys", [])

    def uid_for_login(self, login: Any, secret: Any) -> int | bool:
        for uid, user in self.store.db.tables["res.users"].items():
            if user.get("login") == login and self.check_password(uid, secret):
                return uid
        return False

    def uid_for_key(self, key: str) -> int | None:
        for uid_s, creds in self.credentials().items():
            if key and key in creds.get("api_keys", []):
                uid = int(uid_s)
                user = self.store.db.tables["res.users"].get(uid)
                if user and user.get("active", True):
                    return uid
        return None

    def can_write(self, uid: int) -> bool:
        return bool(self.credentials().get(str(uid), {}).get("can_write", False))

    def denied(self, uid: int) -> dict[str, list[str]]:
        """Access rights taken away from the user per model (``{"account.payment": ["create"]}``)."""
        return dict(self.credentials().get(str(uid), {}).get("denied") or {})

    # -- calls -----------------------------------------------------------------------------------

    def call(
        self,
        uid: int,
        model: str,
        method: str,
        ids: Any,
        args: list[Any],
        kwargs: dict[str, Any],
        context: dict[str, Any],
        json2: bool = False,
    ) -> Any:
        """Run one model method in its own transaction. Raises Odoo-named exceptions."""
        with self.lock:
            env = Env(
                self.store.db,
                uid,
                {**base_models.users_context_get(Env(self.store.db, uid), None), **(context or {})},
            )
            try:
                result = self._dispatch(env, model, method, ids, args, kwargs, json2)
            except BaseException:
                env.rollback()
                raise
            self.store.persist(env.dirty())
            return result

    def _dispatch(
        self,
        env: Env,
        model: str,
        method: str,
        ids: Any,
        args: list[Any],
        kwargs: dict[str, Any],
        json2: bool,
    ) -> Any:
        m = env.model(model)  # UserError for an unknown model
        if method.startswith("_"):
            if self.version >= 19:
                raise AccessError(f"Private methods (such as '{model}.{method}') cannot be called remotely.")
            raise AttributeError(f"Private methods (such as {model}.{method}) cannot be called remotely.")
        meth = m.methods.get(method)
        if meth is None:
            raise AttributeError(f"The method '{method}' does not exist on the model '{model}'")
        if method in ("check_access_rights", "has_access"):
            return self._access_rights(env, model, method, ids, args, kwargs, json2)
        orm_methods.check_access(env, model, method, self.can_write(env.uid), self.denied(env.uid))
        if json2:
            return meth.func(env, ids, **kwargs)
        if meth.api_model:
            return meth.func(env, None, *args, **kwargs)
        if not args:
            raise TypeError(f"{model}.{method}() missing 1 required positional argument: 'ids'")
        return meth.func(env, args[0], *args[1:], **kwargs)

    def _access_rights(
        self,
        env: Env,
        model: str,
        method: str,
        ids: Any,
        args: list[Any],
        kwargs: dict[str, Any],
        json2: bool,
    ) -> bool:
        """``has_access(operation)`` (18+, on a recordset: an empty one asks about the model) and
        ``check_access_rights(operation, raise_exception=True)`` (``@api.model``). The sandbox has no record
        rules, so records do not narrow the answer."""
        params = dict(kwargs)
        if not json2:
            if method == "has_access":
                if not args:
                    raise TypeError(f"{model}.{method}() missing 1 required positional argument: 'ids'")
                args = args[1:]
            for name, value in zip(("operation", "raise_exception"), args, strict=False):
                params.setdefault(name, value)
        names = {"operation"} if method == "has_access" else {"operation", "raise_exception"}
        if set(params) - names:
            raise TypeError(
                f"{method}() got an unexpected keyword argument '{sorted(set(params) - names)[0]}'"
            )
        if "operation" not in params:
            raise TypeError(f"{method}() missing 1 required positional argument: 'operation'")
        operation = params["operation"]
        allowed = orm_methods.access_allowed(model, operation, self.can_write(env.uid), self.denied(env.uid))
        if method == "check_access_rights" and params.get("raise_exception", True) and not allowed:
            raise orm_methods.access_error(env, model, operation)
        return allowed

    def control(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            env = Env(self.store.db, 2, su=True)
            try:
                result = fn(env, *args, **kwargs)
            except BaseException:
                env.rollback()
                raise
            self.store.persist(env.dirty())
            return result

    def reset(self, seed: bool) -> dict[str, Any]:
        with self.lock:
            self.store.reset()
            out: dict[str, Any] = {"reset": True}
            if seed:
                out["seed"] = self.control(demo_seed)
            return out


# --------------------------------------------------------------------------------------------------
# Control API helpers (run inside Sandbox.control)


def set_stock(env: Env, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        sku = item.get("sku")
        pid = item.get("product_id")
        if pid is None:
            found = env.search("product.product", [("default_code", "=", sku)], limit=1, active_test=False)
            if not found:
                raise ValueError(f"unknown SKU {sku!r}")
            pid = found[0]
        loc_name = item.get("location") or "WH/Stock"
        loc = item.get("location_id")
        if loc is None:
            locs = [
                lid
                for lid in env.ids("stock.location")
                if env.display_name("stock.location", lid) == loc_name
            ]
            if not locs:
                raise ValueError(f"unknown location {loc_name!r}")
            loc = locs[0]
        qid = stock_models.quant_for(env, pid, loc)
        assert qid is not None
        env.set("stock.quant", qid, quantity=float(item["quantity"]))
        out.append(
            {"quant_id": qid, "product_id": pid, "location_id": loc, "quantity": float(item["quantity"])}
        )
    stock_models.after_stock_change(env)
    return out


def validate_picking(env: Env, spec: dict[str, Any]) -> dict[str, Any]:
    pid = spec.get("picking_id")
    if pid is None:
        order_dom: list[Any] = []
        if spec.get("order_name"):
            order_dom = [("name", "=", spec["order_name"])]
        elif spec.get("client_order_ref"):
            order_dom = [("client_order_ref", "=", spec["client_order_ref"])]
        elif spec.get("order_id"):
            order_dom = [("id", "=", spec["order_id"])]
        else:
            raise ValueError("give picking_id, order_id, order_name or client_order_ref")
        orders = env.search("sale.order", order_dom, limit=1)
        if not orders:
            raise ValueError("order not found")
        picks = env.search(
            "stock.picking",
            [("sale_id", "=", orders[0]), ("state", "not in", ["done", "cancel"])],
            order="id",
        )
        if not picks:
            raise ValueError("the order has no open picking")
        pid = picks[0]
    if not env.exists("stock.picking", pid):
        raise ValueError(f"picking {pid} not found")
    quantities = spec.get("quantities")  # {sku: qty}; default: the whole demand
    for mid in env.search("stock.move", [("picking_id", "=", pid), ("state", "not in", ["done", "cancel"])]):
        move = env.db.tables["stock.move"][mid]
        sku = env.raw("product.product", move["product_id"], "default_code")
        qty = float(move["product_uom_qty"]) if quantities is None else float(quantities.get(sku, 0))
        env.set("stock.move", mid, quantity=qty, picked=True)
    if spec.get("tracking_ref"):
        env.set("stock.picking", pid, carrier_tracking_ref=str(spec["tracking_ref"]))
    ctx = {"skip_backorder": True}
    if not spec.get("backorder", True):
        ctx["picking_ids_not_to_backorder"] = [pid]
    stock_models.picking_button_validate(env.with_context(**ctx), [pid])
    backorders = env.search("stock.picking", [("backorder_id", "=", pid)])
    return {
        "picking_id": pid,
        "name": env.raw("stock.picking", pid, "name"),
        "state": env.raw("stock.picking", pid, "state"),
        "backorder_ids": backorders,
    }


SETTINGS = {"accounting_app"}


def _product_by(env: Env, item: dict[str, Any]) -> int:
    if item.get("product_id") is not None:
        return int(item["product_id"])
    code = item.get("sku")
    found = env.search("product.product", [("default_code", "=", code)], limit=1, active_test=False)
    if not found:
        raise ValueError(f"unknown SKU {item.get('sku')!r}")
    return int(found[0])


def add_kit(env: Env, data: dict[str, Any]) -> dict[str, Any]:
    """Play Odoo's mrp module for one kit: the product (``sku`` or ``product_id``) gets a phantom bill of
    materials of ``components`` (each ``sku`` or ``product_id`` and ``quantity`` per kit). A sale order line
    of the kit is then delivered as its components' moves (each with the kit line as ``sale_line_id``) and
    the line's ``qty_delivered`` counts whole kits (sale_mrp). No ``components``: the product is no kit."""
    kit = _product_by(env, data)
    parts = [[_product_by(env, c), float(c.get("quantity", 1))] for c in data.get("components") or []]
    if any(q <= 0 for _, q in parts):
        raise ValueError("a kit component's quantity must be positive")
    kits = env.db.settings().setdefault("mrp_kits", {})
    if parts:
        kits[str(kit)] = parts
    else:
        kits.pop(str(kit), None)
    return {"product_id": kit, "components": parts}


def update_settings(env: Env, data: dict[str, Any]) -> dict[str, Any]:
    """Sandbox switches. ``accounting_app``: play the Accounting app (enterprise), whose invoices read
    ``in_payment`` until their payments are matched with the bank; off, they read ``paid`` (community)."""
    unknown = set(data) - SETTINGS
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; known: {sorted(SETTINGS)}")
    current = env.db.settings()
    for key, value in data.items():
        current[key] = bool(value)
    return dict(current)


def create_statement_line(env: Env, data: dict[str, Any]) -> dict[str, Any]:
    """A bank statement line as a bank feed would bring it (``journal_code`` or ``journal_id``)."""
    journal = data.get("journal_id")
    if journal is None:
        found = env.search("account.journal", [("code", "=", data.get("journal_code") or "BNK1")], limit=1)
        if not found:
            raise ValueError(f"unknown journal {data.get('journal_code')!r}")
        journal = found[0]
    vals = {
        "journal_id": journal,
        "amount": float(data["amount"]),
        "payment_ref": str(data.get("payment_ref") or ""),
        "date": data.get("date") or None,
        "partner_id": data.get("partner_id") or False,
    }
    vals = {k: v for k, v in vals.items() if v is not None}
    sid = env.create("account.bank.statement.line", vals)
    return {"statement_line_id": sid, "move_id": env.raw("account.bank.statement.line", sid, "move_id")}


# --------------------------------------------------------------------------------------------------
# HTTP


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Werkzeug/3.0.1"
    sys_version = "Python/3"
    sandbox: Sandbox  # set on the subclass built by make_server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    # -- plumbing --------------------------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str = "application/json; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), headers=headers)

    def _html(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        title = {
            404: "404 Not Found",
            502: "502 Bad Gateway",
            503: "503 Service Unavailable",
            504: "504 Gateway Time-out",
            500: "500 Internal Server Error",
            429: "429 Too Many Requests",
            303: "Redirecting...",
        }.get(status, str(status))
        body = f"<!doctype html>\n<html lang=en>\n<title>{title}</title>\n<h1>{title}</h1>\n<p>{text}</p>\n"
        self._send(status, body.encode(), "text/html; charset=utf-8", headers)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # -- routing ---------------------------------------------------------------------------------

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith("/_sandbox/"):
            self._control("GET", path, b"")
        elif path == "/web/version":
            self._protocol(path, b"")
        elif path.startswith("/json/2") or path == "/json/version":
            self._protocol(path, b"", method="GET")
        elif path in ("/", "/web/login", "/web/health"):
            self._html(200, "Odoo sandbox")
        else:
            self._html(404, "The requested URL was not found on the server.")

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        body = self._body()
        if path.startswith("/_sandbox/"):
            self._control("POST", path, body)
        else:
            self._protocol(path, body)

    def do_DELETE(self) -> None:
        path = self.path.split("?", 1)[0]
        body = self._body()
        if path.startswith("/_sandbox/"):
            self._control("DELETE", path, body)
        else:
            self._html(404, "The requested URL was not found on the server.")

    # -- protocol endpoints ----------------------------------------------------------------------

    def _call_key(self, path: str, body: bytes) -> tuple[str, str]:
        if path.startswith("/json/2/"):
            parts = path[len("/json/2/") :].split("/")
            return (parts[0] if parts else "", parts[1] if len(parts) > 1 else "")
        if path == "/jsonrpc":
            try:
                params = json.loads(body or b"{}").get("params") or {}
                service, method, args = params.get("service"), params.get("method"), params.get("args") or []
                if service == "object" and method in ("execute", "execute_kw") and len(args) >= 5:
                    return (str(args[3]), str(args[4]))
                return (str(service), str(method))
            except (ValueError, AttributeError):
                return ("jsonrpc", "?")
        if path.startswith("/xmlrpc/"):
            try:
                args, method = xmlrpc.client.loads(body or b"")
            except Exception:  # noqa: BLE001 - a malformed body is answered by the route itself
                return ("xmlrpc", "?")
            if method in ("execute", "execute_kw") and len(args) >= 5:
                return (str(args[3]), str(args[4]))
            return (path.rstrip("/").rsplit("/", 1)[-1], str(method))
        if path.startswith("/web/dataset/call"):
            try:
                params = json.loads(body or b"{}").get("params") or {}
                return (str(params.get("model")), str(params.get("method")))
            except (ValueError, AttributeError):
                return ("web", "call_kw")
        return ("web", path.rstrip("/").rsplit("/", 1)[-1])

    def _protocol(self, path: str, body: bytes, method: str = "POST") -> None:
        sb = self.sandbox
        model, meth = self._call_key(path, body)
        sb.counters.hit(model, meth, self.headers.get("X-Correlation-ID"))
        # faults that act before the call
        down = sb.faults.take("down", model, meth)
        if down is not None:
            if down.get("mode") == "close":
                return self._drop()
            return self._html(int(down.get("status", 503)), "Odoo is down (sandbox downtime window).")
        for f in sb.faults.listing():
            if f["kind"] == "latency" and sb.faults._matches(f, model, meth):
                time.sleep(float(f["ms"]) / 1000.0)
        err = sb.faults.take("error", model, meth)
        if err is not None:
            status = int(err["status"])
            headers = {"Retry-After": str(err.get("retry_after", 1))} if status == 429 else None
            return self._html(status, "Injected fault.", headers)
        # the call itself
        try:
            status, payload, headers, raw = self._route(path, body, method)
        except Drop:
            return self._drop()
        # faults that act after the call
        lose = sb.faults.take("lose_answer", model, meth)
        if lose is not None:
            if lose.get("mode") == "close":
                return self._drop()
            return self._html(int(lose.get("status", 502)), "Injected fault: the answer was lost.")
        slow = sb.faults.take("slow", model, meth)
        if slow is not None:
            time.sleep(float(slow["seconds"]))
        if raw is not None:
            ctype, text = raw
            self._send(status, text.encode(), ctype, headers)
        else:
            self._json(status, payload, headers)

    def _route(
        self, path: str, body: bytes, method: str
    ) -> tuple[int, Any, dict[str, str] | None, tuple[str, str] | None]:
        sb = self.sandbox
        v = sb.version
        if path == "/web/version":
            if v >= 19 and method in ("GET", "POST"):
                return 200, {"version_info": [v, 0, 0, "final", 0, ""], "version": f"{v}.0"}, None, None
            return 404, None, None, ("text/html; charset=utf-8", _html_text(404))
        if path == "/json/version" or path.startswith("/json/2"):
            if v < 19:
                loc = f"/web/login?redirect={path}"
                return 303, None, {"Location": loc}, ("text/html; charset=utf-8", _html_text(303))
            if path == "/json/version":
                return 200, {"version_info": [v, 0, 0, "final", 0, ""], "version": f"{v}.0"}, None, None
            return self._json2(path, body, method)
        if path == "/web/webclient/version_info":
            rid = _rpc_id(body)
            return 200, {"jsonrpc": "2.0", "id": rid, "result": sb.version_info()}, None, None
        if path == "/web/database/list":
            return 200, {"jsonrpc": "2.0", "id": _rpc_id(body), "result": [DB_NAME]}, None, None
        if path == "/jsonrpc":
            return self._jsonrpc(body)
        if path.startswith("/xmlrpc/"):
            service = path.rstrip("/").rsplit("/", 1)[-1]
            if method != "POST" or service not in ("common", "object", "db"):
                return 404, None, None, ("text/html; charset=utf-8", _html_text(404))
            return self._xmlrpc(service, body, legacy=not path.startswith("/xmlrpc/2/"))
        if path == "/web/session/authenticate":
            return self._web_authenticate(body)
        if path == "/web/session/get_session_info":
            return self._web_session_info(body)
        if path == "/web/session/destroy":
            sid = self._session_id()
            if sid:
                sb.sessions.pop(sid, None)
            return 200, {"jsonrpc": "2.0", "id": _rpc_id(body)}, None, None
        if path == "/web/dataset/call_kw" or path.startswith("/web/dataset/call_kw/"):
            return self._web_call_kw(body)
        return 404, None, None, ("text/html; charset=utf-8", _html_text(404))

    # -- XML-RPC ---------------------------------------------------------------------------------

    def _xmlrpc(self, service: str, body: bytes, legacy: bool) -> tuple[int, Any, None, tuple[str, str]]:
        sb = self.sandbox
        xml = ("text/xml; charset=utf-8",)
        try:
            params, method = xmlrpc.client.loads(body or b"", use_datetime=False)
            result = self._service(service, str(method), list(params))
            text = _xml_dumps((result,))
        except Exception as exc:  # noqa: BLE001 - every error goes back as an XML-RPC fault, as Odoo does
            text = _xml_fault(exc, legacy)
        _ = sb
        return 200, None, None, (xml[0], text)

    # -- /web/session --------------------------------------------------------------------------

    def _session_id(self) -> str | None:
        cookie = self.headers.get("Cookie") or ""
        for part in cookie.split(";"):
            key, _, value = part.strip().partition("=")
            if key == "session_id" and value:
                return value
        return None

    def _session_info(self, uid: int) -> dict[str, Any]:
        sb = self.sandbox
        db = sb.store.db
        user = db.tables["res.users"][uid]
        partner = db.tables["res.partner"].get(user.get("partner_id")) or {}
        companies = {
            str(cid): {
                "id": cid,
                "name": db.tables["res.company"][cid].get("name"),
                "sequence": db.tables["res.company"][cid].get("sequence") or 10,
                "child_ids": [],
                "parent_id": db.tables["res.company"][cid].get("parent_id") or False,
            }
            for cid in (user.get("company_ids") or [])
            if cid in db.tables["res.company"]
        }
        env = Env(db, uid)
        return {
            "uid": uid,
            "is_system": uid in (1, 2),
            "is_admin": uid in (1, 2),
            "user_context": base_models.users_context_get(env, None),
            "db": DB_NAME,
            "server_version": f"{sb.version}.0",
            "server_version_info": [sb.version, 0, 0, "final", 0, ""],
            "name": partner.get("name") or "",
            "username": user.get("login"),
            "partner_display_name": partner.get("name") or "",
            "partner_id": user.get("partner_id"),
            "user_companies": {"current_company": user.get("company_id"), "allowed_companies": companies},
        }

    def _web_authenticate(self, body: bytes) -> tuple[int, Any, dict[str, str] | None, None]:
        sb = self.sandbox
        rid = _rpc_id(body)
        try:
            params = json.loads(body or b"{}").get("params") or {}
            _check_db(params.get("db"))
            with sb.lock:
                uid = sb.uid_for_login(params.get("login"), params.get("password"))
            if not uid:
                raise AccessDenied("Access Denied")
            sid = uuid.uuid4().hex
            with sb.lock:
                sb.sessions[sid] = int(uid)
                info = self._session_info(int(uid))
        except Exception as exc:  # noqa: BLE001
            return 200, {"jsonrpc": "2.0", "id": rid, "error": _rpc_error(sb.version, exc)}, None, None
        cookie = f"session_id={sid}; HttpOnly; Path=/; SameSite=Lax"
        return 200, {"jsonrpc": "2.0", "id": rid, "result": info}, {"Set-Cookie": cookie}, None

    def _web_session_info(self, body: bytes) -> tuple[int, Any, None, None]:
        sb = self.sandbox
        rid = _rpc_id(body)
        sid = self._session_id()
        uid = sb.sessions.get(sid or "")
        if uid is None:
            return 200, {"jsonrpc": "2.0", "id": rid, "error": _session_expired()}, None, None
        with sb.lock:
            return 200, {"jsonrpc": "2.0", "id": rid, "result": self._session_info(uid)}, None, None

    def _web_call_kw(self, body: bytes) -> tuple[int, Any, None, None]:
        sb = self.sandbox
        rid = _rpc_id(body)
        sid = self._session_id()
        uid = sb.sessions.get(sid or "")
        if uid is None:
            return 200, {"jsonrpc": "2.0", "id": rid, "error": _session_expired()}, None, None
        try:
            params = json.loads(body or b"{}").get("params") or {}
            kwargs = dict(params.get("kwargs") or {})
            context = kwargs.pop("context", None) or {}
            result = sb.call(
                uid,
                str(params.get("model")),
                str(params.get("method")),
                None,
                list(params.get("args") or []),
                kwargs,
                context,
            )
        except Exception as exc:  # noqa: BLE001
            return 200, {"jsonrpc": "2.0", "id": rid, "error": _rpc_error(sb.version, exc)}, None, None
        if result is None:
            return 200, {"jsonrpc": "2.0", "id": rid}, None, None
        return 200, {"jsonrpc": "2.0", "id": rid, "result": result}, None, None

    # -- JSON-RPC --------------------------------------------------------------------------------

    def _jsonrpc(self, body: bytes) -> tuple[int, Any, None, None]:
        sb = self.sandbox
        try:
            req = json.loads(body or b"{}")
            params = req.get("params") or {}
        except (ValueError, AttributeError):
            return (
                200,
                {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}},
                None,
                None,
            )
        rid = req.get("id")
        service = params.get("service")
        method = params.get("method")
        args = list(params.get("args") or [])
        try:
            result = self._service(service, method, args)
        except Exception as exc:  # noqa: BLE001 - every error goes back in Odoo's shape
            return 200, {"jsonrpc": "2.0", "id": rid, "error": _rpc_error(sb.version, exc)}, None, None
        if result is None:
            return 200, {"jsonrpc": "2.0", "id": rid}, None, None  # no "result" key, as Odoo does
        return 200, {"jsonrpc": "2.0", "id": rid, "result": result}, None, None

    def _service(self, service: str, method: str, args: list[Any]) -> Any:
        sb = self.sandbox
        if service == "common":
            if method == "version":
                return sb.version_info()
            if method in ("login", "authenticate"):
                if len(args) < 3:
                    raise TypeError(f"{method}() missing required positional arguments")
                _check_db(args[0])
                with sb.lock:
                    return sb.uid_for_login(args[1], args[2])
            if method == "about":
                return "See http://openerp.com"
            raise AttributeError(f"Method not available {method}")
        if service == "db":
            if method == "list":
                return [DB_NAME]
            if method == "server_version":
                return f"{sb.version}.0"
            raise AttributeError(f"Method not available {method}")
        if service == "object":
            if method not in ("execute", "execute_kw"):
                raise AttributeError(f"Method not available {method}")
            if len(args) < 5:
                raise TypeError(f"{method}() missing required positional arguments")
            db, uid, secret, model, meth = args[:5]
            _check_db(db)
            with sb.lock:
                ok = sb.check_password(uid, secret)
            if not ok:
                raise AccessDenied("Access Denied")
            if method == "execute":
                call_args, kwargs = list(args[5:]), {}
            else:
                call_args = list(args[5]) if len(args) > 5 and args[5] is not None else []
                kwargs = dict(args[6]) if len(args) > 6 and args[6] else {}
            context = kwargs.pop("context", None) or {}
            return sb.call(uid, model, meth, None, call_args, kwargs, context)
        raise Exception(f"No such service: {service}")

    # -- JSON-2 ----------------------------------------------------------------------------------

    def _json2(
        self, path: str, body: bytes, method: str
    ) -> tuple[int, Any, dict[str, str] | None, tuple[str, str] | None]:
        sb = self.sandbox
        parts = [p for p in path[len("/json/2") :].split("/") if p]
        if method != "POST" or len(parts) != 2:
            return (
                404,
                _j2(
                    "werkzeug.exceptions.NotFound",
                    "404 Not Found: The requested URL was not found on the server.",
                ),
                None,
                None,
            )
        dbh = self.headers.get("X-Odoo-Database")
        if dbh and dbh != DB_NAME:
            return 404, None, None, ("text/html; charset=utf-8", _html_text(404))
        auth = self.headers.get("Authorization") or ""
        scheme, _, key = auth.partition(" ")
        with sb.lock:
            uid = sb.uid_for_key(key.strip()) if scheme.lower() == "bearer" else None
        if uid is None:
            return (
                401,
                _j2("werkzeug.exceptions.Unauthorized", "401 Unauthorized: Invalid apikey"),
                {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'},
                None,
            )
        try:
            params = json.loads(body) if body else {}
            if not isinstance(params, dict):
                raise ValueError("body must be an object")
        except ValueError:
            return (
                400,
                _j2("werkzeug.exceptions.BadRequest", "400 Bad Request: Invalid JSON data"),
                None,
                None,
            )
        model, meth = parts
        registry = sb.store.registry
        if model not in registry:
            return (
                404,
                _j2("werkzeug.exceptions.NotFound", f"404 Not Found: the model {model!r} does not exist"),
                None,
                None,
            )
        if meth.startswith("_"):
            return (
                403,
                _j2(
                    "werkzeug.exceptions.Forbidden",
                    f"403 Forbidden: Private methods (such as {model}.{meth}) cannot be called remotely.",
                ),
                None,
                None,
            )
        mobj = registry[model].methods.get(meth)
        if mobj is None:
            return (
                404,
                _j2(
                    "werkzeug.exceptions.NotFound",
                    f"404 Not Found: the method {meth!r} does not exist on {model!r}",
                ),
                None,
                None,
            )
        ids = params.pop("ids", None)
        context = params.pop("context", None) or {}
        if mobj.api_model and ids:
            return (
                422,
                _j2(
                    "werkzeug.exceptions.UnprocessableEntity",
                    f"422 Unprocessable Entity: cannot call {model}.{meth} with ids",
                ),
                None,
                None,
            )
        try:
            inspect.signature(mobj.func).bind(None, ids, **params)
        except TypeError as exc:
            if not mobj.var_kwargs:
                return (
                    422,
                    _j2("werkzeug.exceptions.UnprocessableEntity", f"422 Unprocessable Entity: {exc}"),
                    None,
                    None,
                )
        try:
            result = sb.call(
                uid, model, meth, ids if ids is not None else [], [], params, context, json2=True
            )
        except Exception as exc:  # noqa: BLE001
            status = _json2_status(exc)
            return (
                status,
                _j2(error_name(exc), _message(exc), debug=traceback.format_exc(limit=3)),
                None,
                None,
            )
        if meth == "create" and isinstance(result, int) and not isinstance(result, bool):
            result = [result]  # JSON-2 answers a recordset as a list of ids
        return 200, result, None, None

    # -- control API -----------------------------------------------------------------------------

    def _control(self, verb: str, path: str, body: bytes) -> None:
        sb = self.sandbox
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return self._json(400, {"error": "invalid JSON"})
        route = path[len("/_sandbox/") :].rstrip("/")
        try:
            status, payload = self._control_route(
                verb, route, data if isinstance(data, dict) else {"items": data}
            )
        except (ValueError, KeyError, TypeError, OdooError) as exc:
            return self._json(400, {"error": _message(exc)})
        self._json(status, payload)
        _ = sb

    def _control_route(self, verb: str, route: str, data: dict[str, Any]) -> tuple[int, Any]:
        sb = self.sandbox
        if route in ("", "health") and verb == "GET":
            return 200, {"ok": True, "version": sb.version, "db": DB_NAME}
        if route == "reset" and verb == "POST":
            return 200, sb.reset(seed=bool(data.get("seed", False)))
        if route == "seed" and verb == "POST":
            return 200, sb.control(demo_seed)
        if route == "stock" and verb == "POST":
            items = data.get("items") or [data]
            return 200, {"quants": sb.control(set_stock, items)}
        if route in ("pickings/validate", "validate_picking") and verb == "POST":
            return 200, sb.control(validate_picking, data)
        if route == "companies" and verb == "POST":
            return 201, sb.control(
                seed_company,
                str(data.get("name") or "Second Company"),
                currency=str(data.get("currency") or "EUR"),
                country=str(data.get("country") or "FR"),
                tax_rate=float(data.get("tax_rate", 20.0)),
                code=str(data.get("code") or "WH2"),
            )
        if route == "kits" and verb == "POST":
            return 201, sb.control(add_kit, data)
        if route == "settings":
            if verb == "POST":
                return 200, sb.control(update_settings, data)
            if verb == "GET":
                return 200, dict(sb.store.db.settings())
        if route == "bank/statement_lines" and verb == "POST":
            return 201, sb.control(create_statement_line, data)
        if route == "bank/reconcile" and verb == "POST":
            return 200, sb.control(
                lambda env: account_models.statement_reconcile(
                    env, int(data["statement_line_id"]), [int(i) for i in data.get("move_line_ids") or []]
                )
            )
        if route == "faults":
            if verb == "GET":
                return 200, {"faults": sb.faults.listing()}
            if verb == "POST":
                return 201, sb.faults.add(data)
            if verb == "DELETE":
                return 200, {"cleared": sb.faults.clear()}
        if route.startswith("faults/") and verb == "DELETE":
            return 200, {"cleared": sb.faults.clear(route.split("/", 1)[1])}
        if route == "counters":
            if verb == "GET":
                return 200, sb.counters.snapshot()
            if verb in ("DELETE", "POST"):
                sb.counters.reset()
                return 200, sb.counters.snapshot()
        if route == "counters/reset" and verb == "POST":
            sb.counters.reset()
            return 200, sb.counters.snapshot()
        if route == "credentials" and verb == "POST":
            return 200, self._credentials(data)
        if route == "credentials" and verb == "GET":
            with sb.lock:
                creds = sb.credentials()
                return 200, {
                    "users": {
                        uid: {
                            "login": sb.store.db.tables["res.users"].get(int(uid), {}).get("login"),
                            "api_keys": len(c.get("api_keys", [])),
                            "can_write": c.get("can_write"),
                        }
                        for uid, c in creds.items()
                    }
                }
        return 404, {"error": f"unknown control endpoint {verb} /_sandbox/{route}"}

    def _credentials(self, data: dict[str, Any]) -> dict[str, Any]:
        sb = self.sandbox
        with sb.lock:
            creds = sb.credentials()
            login = data.get("login", "admin")
            uids = [str(u) for u, rec in sb.store.db.tables["res.users"].items() if rec.get("login") == login]
            if not uids or uids[0] not in creds:
                raise ValueError(f"unknown login {login!r}")
            uid = uids[0]
            if data.get("restore"):
                creds[uid] = default_credentials()[uid]
            if data.get("revoke"):
                creds[uid]["api_keys"] = []
                creds[uid]["password"] = uuid.uuid4().hex
            if "password" in data:
                creds[uid]["password"] = data["password"]
            if "api_key" in data:
                creds[uid]["api_keys"] = [data["api_key"]] if data["api_key"] else []
            if "can_write" in data:
                creds[uid]["can_write"] = bool(data["can_write"])
            if "denied" in data:
                creds[uid]["denied"] = {
                    str(m): [str(o) for o in ops] for m, ops in dict(data["denied"]).items()
                }
            sb.store.persist([])
            return {
                "login": login,
                "api_keys": len(creds[uid]["api_keys"]),
                "can_write": creds[uid]["can_write"],
                "denied": creds[uid].get("denied") or {},
            }


def _xml_dumps(params: tuple[Any, ...]) -> str:
    """Odoo's XML-RPC marshaller refuses None (allow_none=False): API-NOTES I, "cannot marshal None"."""
    response = xmlrpc.client.Marshaller(allow_none=False).dumps(params)
    return f'<?xml version="1.0"?>\n<methodResponse>\n{response}\n</methodResponse>\n'


def _xml_fault(exc: BaseException, legacy: bool) -> str:
    """Odoo 19 rpc.py: ``xmlrpc_handle_exception_int`` (``/xmlrpc/2``), ``..._string`` (``/xmlrpc``)."""
    message = _message(exc)
    trace = "Traceback (most recent call last):\n  (sandbox)\n" + f"{error_name(exc)}: {message}\n"
    if legacy:
        if isinstance(exc, RedirectWarning):
            fault = xmlrpc.client.Fault(f"warning -- Warning\n\n{message}", "")
        elif isinstance(exc, MissingError):
            fault = xmlrpc.client.Fault(f"warning -- MissingError\n\n{message}", "")
        elif isinstance(exc, AccessError):
            fault = xmlrpc.client.Fault(f"warning -- AccessError\n\n{message}", "")
        elif isinstance(exc, AccessDenied):
            fault = xmlrpc.client.Fault("AccessDenied", message)
        elif isinstance(exc, UserError):
            fault = xmlrpc.client.Fault(f"warning -- UserError\n\n{message}", "")
        else:
            fault = xmlrpc.client.Fault(message, trace)
    elif isinstance(exc, RedirectWarning):
        fault = xmlrpc.client.Fault(2, message)
    elif isinstance(exc, AccessError):
        fault = xmlrpc.client.Fault(4, message)
    elif isinstance(exc, AccessDenied):
        fault = xmlrpc.client.Fault(3, message)
    elif isinstance(exc, UserError):
        fault = xmlrpc.client.Fault(2, message)
    else:
        fault = xmlrpc.client.Fault(1, trace)
    return _xml_dumps(fault)  # type: ignore[arg-type]


def _session_expired() -> dict[str, Any]:
    return {
        "code": 100,
        "message": "Odoo Session Expired",
        "data": {
            "name": "odoo.http.SessionExpiredException",
            "debug": "",
            "message": "Session expired",
            "arguments": ["Session expired"],
            "context": {},
        },
    }


def _html_text(status: int) -> str:
    return f"<!doctype html>\n<html lang=en>\n<title>{status}</title>\n<h1>{status}</h1>\n"


def _rpc_id(body: bytes) -> Any:
    try:
        return json.loads(body or b"{}").get("id")
    except (ValueError, AttributeError):
        return None


def _check_db(db: Any) -> None:
    if db != DB_NAME:
        raise _PsycopgError(
            f'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: '
            f'FATAL:  database "{db}" does not exist'
        )


class _PsycopgError(Exception):
    pass


def _message(exc: BaseException) -> str:
    if isinstance(exc, OdooError):
        return exc.message
    return str(exc.args[0]) if exc.args else type(exc).__name__


def _rpc_error(version: int, exc: BaseException) -> dict[str, Any]:
    name = error_name(exc)
    if isinstance(exc, _PsycopgError):
        name = "psycopg2.OperationalError"
    message = _message(exc)
    return {
        "code": 0 if version >= 19 else 200,
        "message": "Odoo Server Error",
        "data": {
            "name": name,
            "debug": "Traceback (most recent call last):\n  (sandbox)\n" + f"{name}: {message}\n",
            "message": message,
            "arguments": [message],
            "context": {},
        },
    }


def _j2(name: str, message: str, debug: str = "") -> dict[str, Any]:
    return {"name": name, "message": message, "arguments": [message], "context": {}, "debug": debug}


def _json2_status(exc: BaseException) -> int:
    if isinstance(exc, AccessDenied):
        return 401
    if isinstance(exc, AccessError):
        return 403
    if isinstance(exc, MissingError):
        return 404
    if isinstance(exc, (UserError, ValidationError)):
        return 422
    return 500


def make_server(host: str, port: int, data_dir: Path | None, version: int) -> ThreadingHTTPServer:
    sandbox = Sandbox(data_dir, version)
    handler = type("BoundHandler", (Handler,), {"sandbox": sandbox})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.sandbox = sandbox  # type: ignore[attr-defined]
    return server
