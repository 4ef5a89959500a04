"""Connections to shops and Odoo servers. Credentials are encrypted at rest and never logged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection as db
from django.db import transaction

from opsconsole.core.audit import audit_record
from opsconsole.core.fields import rotate
from opsconsole.core.permissions import require
from sync.engine.changes import shop_cursors_ensure
from sync.engine.classify import auth_fingerprint
from sync.engine.clients import odoo_connection_check, shopify_connection_check
from sync.engine.replay import problem_jobs_replay
from sync.flows.connections import UNINSTALLED_CODE
from sync.models import OdooConnection, Problem, ShopifyShop
from sync.selectors.access import require_shop
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
    request: Any = None,
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
            request=request,
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
    request: Any = None,
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
            request=request,
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


# ------------------------------------------------------------------------------ the Connections screen
# Every function below is an action of an integration admin: it checks the permission itself (the view
# checks it too), verifies before it saves, and writes one audit row. Secrets are never put in an audit row,
# a message or a return value: the audit says only whether a secret was replaced.

#: What goes with a removed shop: its set-up. Anything else that points at it (jobs, webhook events, links to
#: Odoo records, problems, fulfilments, reconciliation runs, alerts, ...) is history, and a shop with history
#: is not removed (disable it instead).
SHOP_SETUP_RELATIONS = frozenset(
    {
        "change_cursors",
        "alert_settings",
        "user_access",
        "stock_peak",
        "mappings",
        "mapping_changes",
        "mapping_versions",
    }
)


@dataclass(frozen=True)
class ConnectionOutcome:
    """What a save did: ``problems`` (one sentence each) when verification failed and nothing was saved."""

    problems: tuple[str, ...] = ()
    saved: Any = None
    created: bool = False
    checked: str = ""  # the Odoo version, or the shop's name, as verification read it


def _require_odoo_scope(actor: Any, connection: OdooConnection) -> None:
    # An admin limited to some shops may change an Odoo connection only when every shop on it is theirs.
    for shop_id in connection.shops.values_list("pk", flat=True):
        require_shop(actor, shop_id)


def odoo_connection_save(
    *,
    actor: Any,
    name: str,
    url: str,
    database: str,
    login: str,
    secret: str,
    protocol: str = "jsonrpc",
    connection: OdooConnection | None = None,
    request: Any = None,
) -> ConnectionOutcome:
    """Add an Odoo connection, or change ``connection`` (a blank ``secret`` keeps the stored one). Verified
    first (login, database, version, access rights); nothing is saved when verification finds a problem."""
    require(actor, "manage_connections")
    if connection is not None:
        _require_odoo_scope(actor, connection)
    url = url.strip().rstrip("/")
    kept = connection is not None and not secret
    effective = str(connection.secret) if kept and connection is not None else secret
    if not effective:
        return ConnectionOutcome(problems=("The password or API key is required for a new connection",))
    name = name.strip() or f"{url}/{database}"
    others = OdooConnection.objects.filter(name=name)
    if (others.exclude(pk=connection.pk) if connection is not None else others).exists():
        return ConnectionOutcome(
            problems=(f"Another Odoo connection is named {name!r}: choose another name",)
        )
    problems, version = odoo_connection_verify(
        url=url, database=database, login=login, secret=effective, protocol=protocol
    )
    if problems:
        return ConnectionOutcome(problems=tuple(problems), checked=version)
    if connection is None:
        if OdooConnection.objects.filter(url=url, database=database).exists():
            return ConnectionOutcome(
                problems=(f"An Odoo connection to {url} database {database!r} exists already: edit it",)
            )
        saved, created = odoo_connect(
            url=url,
            database=database,
            login=login,
            secret=secret,
            protocol=protocol,
            name=name,
            actor=actor,
            request=request,
        )
        OdooConnection.objects.filter(pk=saved.pk).update(server_version=version)
        return ConnectionOutcome(saved=saved, created=created, checked=version)
    fields = ("name", "url", "database", "login", "protocol")
    before = {f: getattr(connection, f) for f in fields}
    with transaction.atomic():
        connection.name = name
        connection.url, connection.database, connection.login = url, database, login
        connection.protocol, connection.server_version = protocol, version
        if not kept:
            connection.secret = secret
        connection.save()
        audit_record(
            action="connection.odoo.update",
            actor=actor,
            object_type="odoo_connection",
            object_id=connection.pk,
            summary=f"{connection.name} as {login} over {protocol} (verified: Odoo {version})"
            + ("" if kept else "; password or API key replaced"),
            before=before,
            after={**{f: getattr(connection, f) for f in fields}, "secret_replaced": not kept},
            request=request,
        )
    odoo_auth_recovered(connection=connection)
    return ConnectionOutcome(saved=connection, checked=version)


def shop_connection_save(
    *,
    actor: Any,
    domain: str,
    api_version: str,
    token: str,
    client_secret: str,
    odoo: OdooConnection,
    admin_url: str = "",
    shop: ShopifyShop | None = None,
    request: Any = None,
) -> ConnectionOutcome:
    """Add a shop, or change ``shop`` (its domain stays; a blank token or client secret keeps the stored
    one). Verified first (token, API version, access scopes); nothing is saved when that finds a problem."""
    require(actor, "manage_connections")
    if shop is not None:
        require_shop(actor, shop.pk)
        domain = shop.domain
    domain = domain.strip().lower()
    token = token or (str(shop.access_token) if shop is not None else "")
    client_secret = client_secret or (str(shop.client_secret) if shop is not None else "")
    if not token or not client_secret:
        return ConnectionOutcome(problems=("The access token and the app's client secret are both required",))
    if shop is None and ShopifyShop.objects.filter(domain=domain).exists():
        return ConnectionOutcome(problems=(f"The shop {domain} is connected already: edit it",))
    problems, shop_name = shopify_connection_verify(
        domain=domain, token=token, api_version=api_version, admin_url=admin_url
    )
    if problems:
        return ConnectionOutcome(problems=tuple(problems), checked=shop_name)
    was_active = shop.active if shop is not None else True
    saved, created = shopify_connect(
        domain=domain,
        token=token,
        client_secret=client_secret,
        api_version=api_version,
        odoo=odoo,
        admin_url=admin_url,
        actor=actor,
        request=request,
    )
    if not was_active:  # an edit does not switch a disabled shop back on: that is its own action
        ShopifyShop.objects.filter(pk=saved.pk).update(active=False)
        saved.active = False
        shop_cache_clear()
    return ConnectionOutcome(saved=saved, created=created, checked=shop_name)


def connection_active_set(
    *, actor: Any, target: OdooConnection | ShopifyShop, active: bool, request: Any = None
) -> None:
    """Disable or enable a shop or an Odoo connection. A disabled shop's webhooks are refused (recorded as
    rejected deliveries; Shopify retries them for 48 hours) and Odoo is not polled for it; a disabled Odoo
    pauses the polling of every shop on it. Nothing is deleted."""
    require(actor, "manage_connections")
    if isinstance(target, ShopifyShop):
        require_shop(actor, target.pk)
        kind, label = "shopify", target.domain
    else:
        _require_odoo_scope(actor, target)
        kind, label = "odoo", target.name
    if target.active == active:
        return
    with transaction.atomic():
        type(target).objects.filter(pk=target.pk).update(active=active)
        audit_record(
            action=f"connection.{kind}.{'enable' if active else 'disable'}",
            actor=actor,
            object_type="shopify_shop" if kind == "shopify" else "odoo_connection",
            object_id=target.pk,
            summary=f"{'enabled' if active else 'disabled'} {label}",
            before={"active": target.active},
            after={"active": active},
            request=request,
        )
    target.active = active
    shop_cache_clear()


def shop_history(shop: ShopifyShop) -> dict[str, int]:
    """What points at the shop beyond its set-up (``SHOP_SETUP_RELATIONS``), by kind: its history."""
    out: dict[str, int] = {}
    for rel in ShopifyShop._meta.related_objects:
        if rel.get_accessor_name() in SHOP_SETUP_RELATIONS or not rel.field.concrete:
            continue
        model = rel.related_model
        count = model._base_manager.filter(**{rel.field.name: shop}).count()  # type: ignore[union-attr]
        if count:
            out[str(model._meta.verbose_name_plural)] = count  # type: ignore[union-attr]
    return out


def connection_remove(*, actor: Any, target: OdooConnection | ShopifyShop, request: Any = None) -> str:
    """Remove a connection that nothing depends on; answers what happened in one sentence. An Odoo
    connection a shop uses is not removed; nor is a shop with history (jobs, webhook events, links to Odoo
    records, problems, ...): it is disabled instead, which keeps that history. Refusals raise
    ``ConnectionInUse`` with the reason."""
    require(actor, "manage_connections")
    if isinstance(target, OdooConnection):
        _require_odoo_scope(actor, target)
        shops = list(target.shops.order_by("domain").values_list("domain", flat=True))
        if shops:
            raise ConnectionInUse(
                f"Not removed: {', '.join(shops)} {'uses' if len(shops) == 1 else 'use'} the Odoo connection "
                f"{target.name}; connect {'it' if len(shops) == 1 else 'them'} to another Odoo or remove "
                f"{'it' if len(shops) == 1 else 'them'} first"
            )
        with transaction.atomic():
            pk = target.pk
            audit_record(
                action="connection.odoo.remove",
                actor=actor,
                object_type="odoo_connection",
                object_id=pk,
                summary=f"removed {target.name}",
                before={"name": target.name, "url": target.url, "database": target.database},
                request=request,
            )
            target.delete()
        return f"The Odoo connection {target.name} was removed."
    require_shop(actor, target.pk)
    history = shop_history(target)
    if history:
        what = ", ".join(f"{n} {name}" for name, n in sorted(history.items()))
        raise ConnectionInUse(
            f"Not removed: {target.domain} has history ({what}) that removing it would delete; disable it "
            "instead (webhooks are refused and nothing is synced, the history stays)"
        )
    setup = {
        name: getattr(target, name).count() for name in ("mappings", "mapping_changes", "mapping_versions")
    }
    with transaction.atomic():
        pk = target.pk
        audit_record(
            action="connection.shopify.remove",
            actor=actor,
            object_type="shopify_shop",
            object_id=pk,
            summary=f"removed {target.domain} with its set-up ("
            + ", ".join(f"{n} {k}" for k, n in setup.items())
            + ")",
            before={"domain": target.domain, "odoo": target.odoo.name, **setup},
            request=request,
        )
        target.delete()
    shop_cache_clear()
    return f"The shop {target.domain} was removed with its set-up; it had no history."


class ConnectionInUse(Exception):
    """A connection something depends on: the message says what and what to do instead."""
