"""Connections to shops and Odoo servers. Credentials are encrypted at rest and never logged."""

from __future__ import annotations

from typing import Any

from django.db import connection as db
from django.db import transaction

from opsconsole.core.audit import audit_record
from opsconsole.core.fields import rotate
from sync.engine.changes import shop_cursors_ensure
from sync.engine.classify import auth_fingerprint
from sync.engine.clients import odoo_connection_check, shopify_connection_check
from sync.engine.replay import problem_jobs_replay
from sync.flows.connections import UNINSTALLED_CODE
from sync.models import OdooConnection, Problem, ShopifyShop
from sync.services.inbox import shop_cache_clear


def odoo_connection_verify(**values: Any) -> tuple[list[str], str]:
    """Plain-worded problems with an Odoo connection before it is saved (none: usable), and its version."""
    return odoo_connection_check(**values)


def shopify_connection_verify(**values: Any) -> tuple[list[str], str]:
    """Plain-worded problems with a shop's token and API version before it is saved, and the shop's name."""
    return shopify_connection_check(**values)


def odoo_connect(
    *,
    url: str,
    database: str,
    login: str,
    secret: str,
    protocol: str = "jsonrpc",
    name: str = "",
    actor: Any = None,
) -> tuple[OdooConnection, bool]:
    """Create or update an Odoo connection (keyed by url + database). Jobs parked because Odoo refused
    the previous credentials are replayed."""
    name = name or f"{url.rstrip('/')}/{database}"
    with transaction.atomic():
        connection, created = OdooConnection.objects.update_or_create(
            url=url.rstrip("/"),
            database=database,
            defaults={"name": name, "login": login, "secret": secret, "protocol": protocol, "active": True},
        )
        audit_record(
            action="connection.odoo." + ("create" if created else "update"),
            actor=actor,
            object_type="odoo_connection",
            object_id=connection.pk,
            summary=f"{name} as {login} over {protocol}",
            after={"url": url, "database": database, "login": login, "protocol": protocol},
        )
    if connection.auth_failed_at is not None or not created:
        odoo_auth_recovered(connection=connection)
    return connection, created


def odoo_auth_recovered(*, connection: OdooConnection) -> int:
    """Odoo accepts us again: clear the flag and replay every job parked as an Odoo auth problem of the
    shops on this connection. Returns how many jobs were replayed."""
    OdooConnection.objects.filter(pk=connection.pk).update(auth_failed_at=None)
    problems = list(
        Problem.objects.filter(shop__in=connection.shops.all(), fingerprint=auth_fingerprint("odoo"))
    )
    replayed = problem_jobs_replay(problems=problems, note="Odoo accepts our credentials again.")
    return len(replayed)


def shopify_connect(
    *,
    domain: str,
    token: str,
    client_secret: str,
    api_version: str,
    odoo: OdooConnection,
    admin_url: str = "",
    actor: Any = None,
) -> tuple[ShopifyShop, bool]:
    """Create or update a shop. A new client secret keeps the old one as ``previous_client_secret`` so that
    deliveries signed with it (Shopify keeps using it for up to an hour) still verify."""
    domain = domain.strip().lower()
    with transaction.atomic():
        shop = ShopifyShop.objects.select_for_update().filter(domain=domain).first()
        created = shop is None
        if shop is None:
            shop = ShopifyShop(domain=domain)
        elif shop.client_secret and shop.client_secret != client_secret:
            shop.previous_client_secret = shop.client_secret
        shop.admin_url = (admin_url or f"https://{domain}").rstrip("/")
        shop.access_token = token
        shop.client_secret = client_secret
        shop.api_version = api_version
        shop.odoo = odoo
        shop.active = True
        reinstalled = shop.uninstalled_at is not None
        shop.uninstalled_at = None  # connected again with a new token: the app is installed
        shop.save()
        audit_record(
            action="connection.shopify." + ("create" if created else "update"),
            actor=actor,
            object_type="shopify_shop",
            object_id=shop.pk,
            summary=f"{domain} (API {api_version})",
            after={
                "domain": domain,
                "admin_url": shop.admin_url,
                "api_version": api_version,
                "odoo": odoo.name,
            },
        )
    shop_cache_clear()
    shop_cursors_ensure(shop_id=shop.pk)
    if reinstalled:
        shop_reinstalled(shop=shop)
    return shop, created


def shop_reinstalled(*, shop: ShopifyShop) -> int:
    """The app is installed again: replay the outbound jobs parked while it was not. Returns how many."""
    problems = list(Problem.objects.filter(shop=shop, fingerprint=f"{UNINSTALLED_CODE}:{shop.domain}"))
    return len(problem_jobs_replay(problems=problems, note="The shop is connected again."))


def credentials_reencrypt() -> int:
    """Re-encrypt every stored credential under the first key of OPSCONSOLE_ENCRYPTION_KEYS."""
    count = 0
    fields = {
        OdooConnection: ["secret"],
        ShopifyShop: ["access_token", "client_secret", "previous_client_secret"],
    }
    with transaction.atomic(), db.cursor() as cursor:
        for model, names in fields.items():
            table = model._meta.db_table
            for name in names:
                column = model._meta.get_field(name).column  # type: ignore[union-attr]
                # table and column names come from our own model definitions, values are parameters
                select = f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" <> %s FOR UPDATE'  # noqa: S608
                cursor.execute(select, [""])
                for pk, token in cursor.fetchall():
                    cursor.execute(f'UPDATE "{table}" SET "{column}" = %s WHERE id = %s', [rotate(token), pk])  # noqa: S608
                    count += 1
    return count
