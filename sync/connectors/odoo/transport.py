"""Two transports behind one interface: JSON-RPC through odoorpc (Odoo 14-19) and JSON-2 (Odoo 19+).

A transport does one thing: call ``model.method`` with named parameters and return the decoded result,
translating every failure into the error taxonomy of :mod:`opsconsole.core.errors`. It counts its HTTP
round trips in ``calls``. Reads are retried on transient failures; writes never are.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import json
import logging
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import odoorpc
import odoorpc.error
import requests

from opsconsole.core.correlation import correlation_headers
from opsconsole.core.errors import (
    AuthError,
    BusinessRuleError,
    ContractError,
    IntegrationError,
    RateLimited,
    TransientError,
)

log = logging.getLogger(__name__)

SYSTEM = "odoo"

#: Methods that cannot write: safe to retry automatically.
READ_METHODS = frozenset(
    {
        "search",
        "search_read",
        "read",
        "search_count",
        "fields_get",
        "name_search",
        "context_get",
        "default_get",
        "exists",
        "has_access",
        "check_access_rights",
    }
)


@dataclass(frozen=True)
class OdooConfig:
    """One Odoo connection. ``secret`` is a password or (preferably) an API key; it never appears in reprs."""

    url: str
    db: str
    login: str
    secret: str = field(repr=False)
    protocol: str = "jsonrpc"  # "jsonrpc" (odoorpc, Odoo 14-19) or "json2" (Odoo 19+)
    timeout: float = 30.0
    read_retries: int = 2
    retry_backoff: float = 0.2

    def __post_init__(self) -> None:
        if self.protocol not in ("jsonrpc", "json2"):
            raise ValueError("protocol must be 'jsonrpc' or 'json2'")


class Transport(Protocol):
    calls: int

    @property
    def version(self) -> tuple[int, int]: ...

    def call(self, model: str, method: str, ids: list[int] | None = None, **params: Any) -> Any: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------------------------------
# Error mapping shared by both transports


_CONTRACT_NAMES = (
    "builtins.ValueError",
    "builtins.AttributeError",
    "builtins.TypeError",
    "builtins.KeyError",
    "builtins.IndexError",
    "werkzeug.exceptions.NotFound",
    "werkzeug.exceptions.BadRequest",
    "werkzeug.exceptions.UnprocessableEntity",
    "werkzeug.exceptions.Forbidden",
)


def map_odoo_error(
    name: str, message: str, *, status: int | None = None, model: str = "", method: str = ""
) -> IntegrationError:
    """Map an Odoo error (``error.data.name`` or a JSON-2 body ``name``) to our taxonomy.

    Refusals that cannot succeed on a retry (validation and user errors, a missing record, a private method,
    a 4xx over JSON-2) are BusinessRuleErrors: the job parks at once and is never retried. Their key names
    the call (``model.method``) and the details carry Odoo's own message, so that the engine groups them by
    call and message family, never by record.
    """
    details: dict[str, Any] = {"odoo_error": name, "http_status": status, "odoo_message": message}
    if model:
        details.update(model=model, method=method)
    key = f"{model}.{method}" if model else ""
    short = name.rsplit(".", 1)[-1]
    text = f"Odoo {short}: {message}"

    def refused(code: str) -> BusinessRuleError:
        return BusinessRuleError(text, code=code, key=key, system=SYSTEM, details=details)

    if name in (
        "odoo.exceptions.AccessDenied",
        "werkzeug.exceptions.Unauthorized",
        "odoo.http.SessionExpiredException",
    ):
        return AuthError(text, system=SYSTEM, details=details)
    if name == "odoo.exceptions.AccessError":
        if "Private methods" in message:
            return refused("odoo_access")  # a call Odoo never allows remotely
        return AuthError(text, system=SYSTEM, details=details)  # the integration user lacks a right
    if name == "odoo.exceptions.ValidationError":
        return refused("odoo_validation")
    if name == "odoo.exceptions.MissingError":
        return refused("odoo_missing_record")
    if name in ("odoo.exceptions.UserError", "odoo.exceptions.RedirectWarning"):
        if re.match(r"^Object \S+ doesn't exist", message):
            return refused("odoo_model_missing")  # the module that provides it is not installed
        return refused("odoo_user_error")
    if name.startswith("psycopg2."):
        if "does not exist" in message and "database" in message:
            return AuthError(f"Odoo database not found: {message}", system=SYSTEM, details=details)
        return TransientError(text, system=SYSTEM, details=details)  # serialization failures, lock timeouts
    if status is not None and _refused_status(status):
        return refused("odoo_http_refused")  # JSON-2: unknown model or method (404), bad parameters (422)
    if name in _CONTRACT_NAMES:
        return ContractError(text, system=SYSTEM, details=details)
    return ContractError(text, system=SYSTEM, details=details)


def _refused_status(status: int) -> bool:
    """A 4xx that a retry cannot change (Saleor's rule): all but 401 (auth), 408 and 429 (try later)."""
    return 400 <= status < 500 and status not in (401, 408, 429)


def map_http_status(
    status: int, body: str, headers: Any, *, model: str = "", method: str = ""
) -> IntegrationError:
    details: dict[str, Any] = {"http_status": status}
    if status == 429:
        retry_after = _retry_after(headers.get("Retry-After") if headers is not None else None)
        return RateLimited(
            "Odoo rate limited the call (HTTP 429)", retry_after=retry_after, system=SYSTEM, details=details
        )
    if status in (408, 502, 503, 504) or status >= 520:
        return TransientError(f"Odoo unavailable (HTTP {status})", system=SYSTEM, details=details)
    if status == 401:
        return AuthError("Odoo refused the credentials (HTTP 401)", system=SYSTEM, details=details)
    if _refused_status(status):
        if model:
            details.update(model=model, method=method)
        details["odoo_message"] = body[:500]
        return BusinessRuleError(
            f"Odoo refused the call (HTTP {status}): {body[:200]}",
            code="odoo_http_refused",
            key=f"{model}.{method}" if model else f"HTTP {status}",
            system=SYSTEM,
            details=details,
        )
    return ContractError(f"Odoo answered HTTP {status}: {body[:200]}", system=SYSTEM, details=details)


def _retry_after(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _with_read_retry(config: OdooConfig, method: str, fn: Any) -> Any:
    attempts = 1 + (config.read_retries if method in READ_METHODS else 0)
    for attempt in range(attempts):
        try:
            return fn()
        except RateLimited:
            raise
        except TransientError:
            if attempt + 1 >= attempts:
                raise
            time.sleep(config.retry_backoff * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def parse_version(value: Any) -> tuple[int, int]:
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], int):
        return int(value[0]), int(value[1]) if len(value) > 1 and isinstance(value[1], int) else 0
    m = re.search(r"(\d+)\.(\d+)", str(value or ""))
    if not m:
        raise ContractError(f"Odoo version not understood: {value!r}", system=SYSTEM)
    return int(m.group(1)), int(m.group(2))


# --------------------------------------------------------------------------------------------------
# JSON-RPC through odoorpc


_POSITIONAL = {
    "create": "vals_list",
    "write": "vals",
    "search": "domain",
    "search_read": "domain",
    "search_count": "domain",
    "read": "fields",
    "name_search": "name",
}


class _CorrelationHandler(urllib.request.BaseHandler):
    """Adds ``X-Correlation-ID`` (the work in progress, opsconsole/core/correlation.py) to each request
    odoorpc's opener sends."""

    handler_order = 100

    def http_request(self, request: urllib.request.Request) -> urllib.request.Request:
        for name, value in correlation_headers().items():
            request.add_unredirected_header(name, value)
        return request

    https_request = http_request


class JsonRpcTransport:
    """``/jsonrpc`` ``object.execute_kw`` through odoorpc; named parameters become execute_kw kwargs."""

    def __init__(self, config: OdooConfig):
        self.config = config
        self.calls = 0
        self._odoo: Any = None
        self._version: tuple[int, int] | None = None

    @property
    def version(self) -> tuple[int, int]:
        self._connect()
        assert self._version is not None
        return self._version

    def _connect(self) -> Any:
        if self._odoo is not None:
            return self._odoo
        parts = urlsplit(self.config.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ContractError(f"Odoo URL not understood: {self.config.url!r}", system=SYSTEM)
        if parts.path not in ("", "/"):
            raise ContractError(
                "odoorpc cannot reach an Odoo under a URL path; use json2 or a bare host", system=SYSTEM
            )
        protocol = "jsonrpc+ssl" if parts.scheme == "https" else "jsonrpc"
        port = parts.port or (443 if parts.scheme == "https" else 80)

        def build() -> Any:
            self.calls += 1  # version_info
            opener = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _CorrelationHandler()
            )
            return odoorpc.ODOO(
                parts.hostname, protocol=protocol, port=port, timeout=self.config.timeout, opener=opener
            )

        odoo = self._guard(lambda: _with_read_retry(self.config, "search", lambda: self._guard(build)))
        self._version = parse_version(odoo.version)

        def login() -> None:
            self.calls += 2  # common.login + res.users.context_get
            odoo.login(self.config.db, self.config.login, self.config.secret)

        self._guard(login)
        self._odoo = odoo
        return odoo

    def call(self, model: str, method: str, ids: list[int] | None = None, **params: Any) -> Any:
        odoo = self._connect()
        args: list[Any] = [list(ids)] if ids is not None else []
        # Odoo's call_kw reads some first parameters positionally (create's vals_list; domain was "args"
        # before 17), so pass those by position.
        first = _POSITIONAL.get(method)
        if first is not None and first in params:
            args.append(params.pop(first))

        def once() -> Any:
            self.calls += 1
            return self._guard(lambda: odoo.execute_kw(model, method, args, params), model, method)

        return _with_read_retry(self.config, method, once)

    def _guard(self, fn: Any, model: str = "", method: str = "") -> Any:
        try:
            return fn()
        except IntegrationError:
            raise
        except odoorpc.error.RPCError as exc:
            info = exc.info if isinstance(exc.info, dict) else {}
            data = info.get("data") or {}
            name = data.get("name") or ""
            message = data.get("message") or str(exc) or ""
            if not name:
                if "Wrong login" in str(exc):
                    raise AuthError("Odoo refused the credentials (login failed)", system=SYSTEM) from None
                raise ContractError(f"Odoo JSON-RPC error: {message}", system=SYSTEM) from None
            raise map_odoo_error(name, message, model=model, method=method) from None
        except urllib.error.HTTPError as exc:
            body = ""
            with contextlib.suppress(Exception):  # the body is only for the message
                body = exc.read().decode(errors="replace")
            raise map_http_status(exc.code, body, exc.headers, model=model, method=method) from None
        except (
            urllib.error.URLError,
            TimeoutError,
            ConnectionError,
            http.client.HTTPException,
            OSError,
        ) as exc:
            raise TransientError(
                f"Odoo unreachable: {type(exc).__name__}: {_safe(exc)}", system=SYSTEM
            ) from None
        except json.JSONDecodeError as exc:
            raise ContractError(f"Odoo answered something that is not JSON: {exc}", system=SYSTEM) from None
        except odoorpc.error.InternalError as exc:
            raise ContractError(f"odoorpc: {exc}", system=SYSTEM) from None

    def close(self) -> None:
        self._odoo = None


def _safe(exc: BaseException) -> str:
    return str(getattr(exc, "reason", None) or exc)[:200]


# --------------------------------------------------------------------------------------------------
# JSON-2 through requests


class Json2Transport:
    """``POST /json/2/<model>/<method>`` with a bearer API key (Odoo 19+)."""

    def __init__(self, config: OdooConfig, session: requests.Session | None = None):
        self.config = config
        self.calls = 0
        self.session = session or requests.Session()
        self._version: tuple[int, int] | None = None
        self.base = config.url.rstrip("/")

    @property
    def version(self) -> tuple[int, int]:
        if self._version is None:
            info = _with_read_retry(
                self.config,
                "search",
                lambda: self._post_json(
                    "/web/webclient/version_info", {"jsonrpc": "2.0", "method": "call", "params": {}, "id": 1}
                ),
            )
            result = (info or {}).get("result") or {}
            self._version = parse_version(result.get("server_version_info") or result.get("server_version"))
            if self._version[0] < 19:
                raise ContractError(
                    f"JSON-2 needs Odoo 19 or later; this server is {self._version[0]}.{self._version[1]}",
                    system=SYSTEM,
                )
        return self._version

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"bearer {self.config.secret}",
            "X-Odoo-Database": self.config.db,
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "opsconsole-odoo-connector",
            **correlation_headers(),
        }

    def _post_json(self, path: str, payload: Any, *, model: str = "", method: str = "") -> Any:
        self.calls += 1
        try:
            resp = self.session.post(
                self.base + path,
                data=json.dumps(payload),
                headers=self._headers(),
                timeout=(min(self.config.timeout, 10.0), self.config.timeout),
                allow_redirects=False,
            )
        except requests.Timeout:
            raise TransientError(f"Odoo timed out after {self.config.timeout}s", system=SYSTEM) from None
        except requests.ConnectionError as exc:
            raise TransientError(f"Odoo unreachable: {type(exc).__name__}", system=SYSTEM) from None
        except requests.RequestException as exc:
            raise TransientError(f"Odoo request failed: {type(exc).__name__}", system=SYSTEM) from None
        if resp.status_code == 200:
            try:
                return resp.json()
            except ValueError:
                raise ContractError("Odoo answered 200 with a body that is not JSON", system=SYSTEM) from None
        body: Any = None
        try:
            body = resp.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("name"):
            name, message = str(body["name"]), str(body.get("message") or "")
            if resp.status_code in (408, 502, 503, 504, 429):
                raise map_http_status(resp.status_code, message, resp.headers)
            if name == "werkzeug.exceptions.Unauthorized" or resp.status_code == 401:
                raise AuthError(
                    "Odoo refused the API key (HTTP 401)",
                    system=SYSTEM,
                    details={"http_status": 401, "odoo_error": name},
                )
            raise map_odoo_error(name, message, status=resp.status_code, model=model, method=method)
        if resp.status_code in (301, 302, 303, 307, 308):
            raise ContractError(
                f"Odoo redirected a JSON-2 call (HTTP {resp.status_code}): JSON-2 needs Odoo 19+",
                system=SYSTEM,
                details={"http_status": resp.status_code},
            )
        raise map_http_status(resp.status_code, resp.text, resp.headers, model=model, method=method)

    def call(self, model: str, method: str, ids: list[int] | None = None, **params: Any) -> Any:
        payload = dict(params)
        if ids is not None:
            payload["ids"] = list(ids)
        return _with_read_retry(
            self.config,
            method,
            lambda: self._post_json(f"/json/2/{model}/{method}", payload, model=model, method=method),
        )

    def close(self) -> None:
        self.session.close()


def make_transport(config: OdooConfig) -> Transport:
    if config.protocol == "json2":
        return Json2Transport(config)
    return JsonRpcTransport(config)
