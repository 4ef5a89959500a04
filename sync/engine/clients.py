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
from sync.connectors.shopify.documents import REQUIRED_SCOPES
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


#: The access rights the integration needs in Odoo, per model: what the Odoo connector reads, and what it
#: creates or modifies (wizards are created by the user too, so they need ``create``). Unlink is never used.
ODOO_RIGHTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("sale.order", "sales orders", ("read", "create", "write")),
    ("sale.order.line", "sales order lines", ("read", "create", "write")),
    ("res.partner", "contacts", ("read", "create", "write")),
    ("ir.model.data", "external identifiers", ("read", "create")),
    ("product.product", "products", ("read",)),
    ("product.template", "product templates", ("read",)),
    ("account.tax", "taxes", ("read",)),
    ("account.move", "invoices and journal entries", ("read", "create", "write")),
    ("account.payment", "payments", ("read", "create")),
    ("account.payment.register", "the register-payment wizard", ("create",)),
    ("account.move.reversal", "the credit-note wizard", ("create",)),
    ("sale.advance.payment.inv", "the invoicing wizard", ("create",)),
    ("stock.picking", "transfers", ("read", "write")),
    ("stock.move", "stock moves", ("read", "write")),
    ("stock.quant", "stock quantities", ("read",)),
    ("stock.return.picking", "the return wizard", ("create",)),
    ("stock.backorder.confirmation", "the backorder wizard", ("create",)),
)

_VERBS = {"read": "read", "create": "create", "write": "modify"}


def odoo_rights_problems(client: OdooClient, login: str) -> list[str]:
    """One plain sentence per model on which the user lacks a right the integration needs. Asks Odoo
    (``has_access`` / ``check_access_rights``), never tries a write."""
    from opsconsole.core.errors import IntegrationError

    problems = []
    for model, what, operations in ODOO_RIGHTS:
        missing = []
        try:
            for operation in operations:
                if not client.has_access(model, operation):
                    missing.append(_VERBS[operation])
        except IntegrationError as exc:
            problems.append(f"Odoo has no {what} ({model}) for the user {login!r}: {exc.message}")
            continue
        if missing:
            verbs = (
                " or ".join(missing) if len(missing) < 3 else ", ".join(missing[:-1]) + " or " + missing[-1]
            )
            problems.append(f"The user {login!r} may not {verbs} {what} ({model}) in Odoo")
    return problems


def odoo_connection_check(
    *, url: str, database: str, login: str, secret: str, protocol: str = "jsonrpc"
) -> tuple[list[str], str]:
    """Before a connection is saved: can we log in, on that database, on a supported Odoo, with the rights
    the integration reads and writes with? Answers (problems in plain words, one sentence each; the server
    version); no problem: usable. Rights are asked for (``ODOO_RIGHTS``), never tried: nothing is written."""
    from opsconsole.core.errors import AuthError, BusinessRuleError, IntegrationError

    client = OdooClient(
        OdooConfig(
            url=url, db=database, login=login, secret=secret, protocol=protocol, timeout=15.0, read_retries=0
        )
    )
    try:
        try:
            client.whoami()
            version = client.version
        except AuthError:
            return [
                f"Odoo refused the login {login!r} with that password or API key on database {database!r}"
            ], ""
        except BusinessRuleError as exc:
            return [f"Odoo at {url} has no database {database!r}, or refused it: {exc.message}"], ""
        except IntegrationError as exc:
            return [f"Odoo at {url} did not answer as Odoo does ({type(exc).__name__}: {exc.message})"], ""
        if version[0] not in (17, 18, 19):
            return [
                f"Odoo {version[0]}.{version[1]} is not supported: the integration runs on 17, 18 and 19"
            ], f"{version[0]}.{version[1]}"
        return odoo_rights_problems(client, login), f"{version[0]}.{version[1]}"
    finally:
        client.close()


def missing_scopes(granted: set[str]) -> list[str]:
    """The scopes the connector needs (``REQUIRED_SCOPES``) that ``granted`` lacks; a write scope implies
    its read scope."""
    have = set(granted) | {"read_" + h.removeprefix("write_") for h in granted if h.startswith("write_")}
    return sorted(REQUIRED_SCOPES - have)


def shopify_connection_check(
    *, domain: str, token: str, api_version: str, admin_url: str = ""
) -> tuple[list[str], str]:
    """Before a shop is saved: does the token open this shop's Admin API, at the API version asked for, with
    every access scope the connector's documents need? Answers (problems in plain words, the shop's name)."""
    from opsconsole.core.errors import AuthError, IntegrationError

    client = ShopifyClient(
        ShopifyConfig(
            domain=domain, admin_url=admin_url, token=token, api_version=api_version, max_attempts=1
        )
    )
    try:
        try:
            info = client.shop_info()
        except AuthError:
            return [f"Shopify refused the access token for {domain}"], ""
        except IntegrationError as exc:
            return [
                f"Shopify at {admin_url or domain} did not answer ({type(exc).__name__}: {exc.message})"
            ], ""
        problems = []
        if info.domain and info.domain.lower() != domain.lower():
            problems.append(f"the token opens {info.domain}, not {domain}")
        seen = info.api_version or client.api_version_seen
        if seen and seen != api_version:
            problems.append(
                f"Shopify answered with API version {seen}, not {api_version}: {api_version} is not (or no "
                "longer) supported; connect with a supported version"
            )
        try:
            granted = client.access_scopes()
        except IntegrationError as exc:
            problems.append(f"Shopify did not say which access scopes the app has ({exc.message})")
            return problems, info.name
        missing = missing_scopes(granted)
        if missing:
            problems.append(
                f"The app's access token lacks the access scope{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}: grant {'them' if len(missing) > 1 else 'it'} in the app's "
                "configuration and reinstall the app on the shop"
            )
        return problems, info.name
    finally:
        client.close()
