"""Connector clients per worker process, built from the stored connections and reused across jobs (a new
odoorpc login per job would cost round trips on every order). A changed connection builds a new client.

The engine builds clients (for the flows, through the job context) and so do the services that talk to a
shop or an Odoo outside a job (set-up, health probes, the webhook check).
"""

from __future__ import annotations

import threading
from typing import Any

from sync.connectors.odoo import OdooClient, OdooConfig
from sync.connectors.shopify import ShopifyClient, ShopifyConfig
from sync.engine.throttle_store import database_throttle
from sync.models import OdooConnection, ShopifyShop

_local = threading.local()


def _cache() -> dict[tuple[str, int], tuple[Any, Any]]:
    if not hasattr(_local, "clients"):
        _local.clients = {}
    return _local.clients  # type: ignore[no-any-return]


def odoo_client_for(connection: OdooConnection) -> OdooClient:
    key = ("odoo", connection.pk)
    stamp = (connection.updated_at, connection.protocol)
    cached = _cache().get(key)
    if cached and cached[0] == stamp:
        return cached[1]  # type: ignore[no-any-return]
    if cached:
        cached[1].close()
    client = OdooClient(
        OdooConfig(
            url=connection.url,
            db=connection.database,
            login=connection.login,
            secret=str(connection.secret),
            protocol=connection.protocol,
            timeout=connection.timeout_seconds,
        )
    )
    _cache()[key] = (stamp, client)
    return client


def shopify_client_for(shop: ShopifyShop) -> ShopifyClient:
    key = ("shopify", shop.pk)
    stamp = (shop.updated_at,)
    cached = _cache().get(key)
    if cached and cached[0] == stamp:
        return cached[1]  # type: ignore[no-any-return]
    secrets = tuple(s for s in (str(shop.client_secret), str(shop.previous_client_secret)) if s)
    config = ShopifyConfig(
        domain=shop.domain,
        admin_url=shop.admin_url,
        token=str(shop.access_token),
        client_secrets=secrets,
        api_version=shop.api_version,
    )
    # One cost bucket per shop, shared by every worker through the database.
    client = ShopifyClient(config, throttle=database_throttle())
    _cache()[key] = (stamp, client)
    return client


def clients_reset() -> None:
    for _, client in _cache().values():
        close = getattr(client, "close", None)
        if close:
            close()
    _cache().clear()
