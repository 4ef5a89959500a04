"""Test helpers that connect the Odoo connector to a running Odoo stand-in (the stand-in itself knows nothing
of the connector: sandbox/ imports nothing from sync or opsconsole)."""

from __future__ import annotations

from typing import Any

import requests

from sandbox.odoo.testing import RunningOdooSandbox
from sync.connectors.odoo import OdooConfig


def odoo_config(
    sandbox: RunningOdooSandbox,
    *,
    protocol: str = "jsonrpc",
    timeout: float = 10.0,
    secret: str | None = None,
) -> OdooConfig:
    """An :class:`OdooConfig` for the running stand-in, logged in as its admin (API key unless ``secret``)."""
    return OdooConfig(
        url=sandbox.base_url,
        db=sandbox.db,
        login=sandbox.login,
        secret=secret or sandbox.api_key,
        protocol=protocol,
        timeout=timeout,
    )


class OdooFault(Exception):
    """A JSON-RPC error: ``name`` and ``message`` are ``error.data.name`` and ``error.data.message``."""

    def __init__(self, error: dict[str, Any]):
        data = error.get("data") or {}
        super().__init__(f"{data.get('name')}: {data.get('message')}")
        self.error = error
        self.name = str(data.get("name"))
        self.message = str(data.get("message"))


class Rpc:
    """Raw JSON-RPC ``object.execute_kw`` against a running stand-in (no client library in between)."""

    def __init__(self, sandbox: RunningOdooSandbox, uid: int = 2, secret: str | None = None):
        self.sandbox = sandbox
        self.uid = uid
        self.secret = secret or sandbox.password

    @property
    def version(self) -> int:
        return self.sandbox.version

    def body(self, model: str, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": ["sandbox", self.uid, self.secret, model, method, list(args), kwargs],
            },
        }
        resp = requests.post(f"{self.sandbox.base_url}/jsonrpc", json=payload, timeout=30)
        assert resp.status_code == 200, resp.text
        return resp.json()  # type: ignore[no-any-return]

    def __call__(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        answer = self.body(model, method, *args, **kwargs)
        if "error" in answer:
            raise OdooFault(answer["error"])
        return answer.get("result")

    def create(self, model: str, vals: dict[str, Any], **kwargs: Any) -> int:
        return int(self(model, "create", [vals], **kwargs)[0])

    def read1(self, model: str, rid: int, fields: list[str], **kwargs: Any) -> dict[str, Any]:
        rows = self(model, "read", [rid], fields, **kwargs)
        assert len(rows) == 1, rows
        return rows[0]  # type: ignore[no-any-return]


def shop_on_standin(shop: Any, sandbox: RunningOdooSandbox) -> None:
    """Point ``shop``'s Odoo connection at the running stand-in (its admin's API key, JSON-RPC)."""
    connection = shop.odoo
    connection.url, connection.database = sandbox.base_url, sandbox.db
    connection.login, connection.secret = sandbox.login, sandbox.api_key
    connection.protocol, connection.timeout_seconds = "jsonrpc", 10
    connection.save()
