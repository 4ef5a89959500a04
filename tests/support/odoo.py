"""Test helpers that connect the Odoo connector to a running Odoo stand-in (the stand-in itself knows nothing
of the connector: sandbox/ imports nothing from sync or opsconsole)."""

from __future__ import annotations

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
