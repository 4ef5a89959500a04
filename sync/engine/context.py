"""The engine builds each job's context (sync/flows/context.py) from factories: clients from the stored
connections, the shop's mappings in force, and what a refused credential means. Flows only receive it."""

from __future__ import annotations

from typing import Any

from opsconsole.core.errors import AuthError
from sync.connectors.odoo import OdooClient
from sync.engine.clients import odoo_client_for, shopify_client_for
from sync.engine.connection_marks import connection_success_mark, odoo_auth_failed
from sync.engine.mappings import mappings_for_shop
from sync.flows.context import JobContext
from sync.models import SyncJob


def context_for(job: SyncJob) -> JobContext:
    """The context a flow runs ``job`` with (``job`` has its shop and the shop's Odoo connection loaded)."""
    shop = job.shop
    connection = shop.odoo

    def odoo() -> OdooClient:
        if connection.auth_failed_at is not None:
            raise AuthError(
                f"Odoo ({connection.name}) refused our credentials at "
                f"{connection.auth_failed_at:%Y-%m-%d %H:%M}; fix the connection and the parked jobs resume",
                system="odoo",
                details={"from_connection_flag": True},
            )
        # Each shop books into its own Odoo company: every call carries allowed_company_ids.
        return odoo_client_for(connection).for_company(mappings_for_shop(shop=shop).company_id)

    def auth_failed(exc: AuthError) -> None:
        # Not when the error came from the flag itself: the flag may have been cleared meanwhile.
        if exc.system == "odoo" and not exc.details.get("from_connection_flag"):
            odoo_auth_failed(connection_id=shop.odoo_id, message=str(exc))

    return JobContext(
        job=job,
        odoo_factory=odoo,
        shopify_factory=lambda: shopify_client_for(shop),
        mappings_loader=lambda: mappings_for_shop(shop=shop),
        on_auth_failure=auth_failed,
    )


def connections_mark(job: SyncJob, context: JobContext) -> None:
    """After a job succeeded: the systems it talked to are up."""
    systems = {call["system"] for call in context.calls if call.get("ok")}
    shopify: Any = context.shopify_if_built
    connection_success_mark(
        odoo_id=job.shop.odoo_id if "odoo" in systems else None,
        shop_id=job.shop_id if "shopify" in systems or shopify is not None else None,
        shopify_client=shopify,
    )
