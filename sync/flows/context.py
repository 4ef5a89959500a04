"""What a flow gets to work with: the job, its shop, connectors, the active mappings, and a record of
every external call it makes (stored on the attempt)."""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from opsconsole.core.errors import AuthError

logger = logging.getLogger("sync.flows")

if TYPE_CHECKING:
    from sync.connectors.odoo.client import OdooClient
    from sync.connectors.shopify.client import ShopifyClient
    from sync.models import SyncJob
    from sync.transforms.types import ShopMappings


class JobContext:
    def __init__(self, *, job: SyncJob) -> None:
        self.job = job
        self.shop = job.shop
        self.calls: list[dict[str, Any]] = []
        self.mapping_version: int | None = None

    # ---- connectors -------------------------------------------------------------------------------

    @cached_property
    def odoo(self) -> OdooClient:
        from sync.services.clients import odoo_client_for

        connection = self.shop.odoo
        if connection.auth_failed_at is not None:
            raise AuthError(
                f"Odoo ({connection.name}) refused our credentials at "
                f"{connection.auth_failed_at:%Y-%m-%d %H:%M}; fix the connection and the parked jobs resume",
                system="odoo",
                details={"from_connection_flag": True},
            )
        return odoo_client_for(connection)

    @cached_property
    def shopify(self) -> ShopifyClient:
        from sync.services.clients import shopify_client_for

        return shopify_client_for(self.shop)

    @cached_property
    def mappings(self) -> ShopMappings:
        from sync.services.mappings import mappings_for_shop

        loaded = mappings_for_shop(shop=self.shop)
        self.mapping_version = loaded.version
        return loaded

    # ---- call recording ---------------------------------------------------------------------------

    @contextmanager
    def call(self, system: str, operation: str):  # type: ignore[no-untyped-def]
        """Wrap one connector operation: its duration, round trips and outcome go on the attempt."""
        client = self.odoo if system == "odoo" else None
        before = client.calls if client is not None else 0
        started = time.monotonic()
        entry: dict[str, Any] = {"system": system, "op": operation}
        try:
            yield
            entry["ok"] = True
        except Exception as exc:
            entry["ok"] = False
            entry["error"] = type(exc).__name__
            raise
        finally:
            entry["ms"] = round((time.monotonic() - started) * 1000, 1)
            if client is not None:
                entry["round_trips"] = client.calls - before
            self.calls.append(entry)
            # The correlation id follows the work from the webhook (logged by the inbox) to each write.
            logger.info(
                "job %s: %s %s %s in %s ms [cid=%s]",
                self.job.pk,
                system,
                operation,
                "ok" if entry["ok"] else entry.get("error"),
                entry["ms"],
                self.job.correlation_id,
            )

    def note_auth_failure(self, exc: AuthError) -> None:
        # Not when the error came from the flag itself: the flag may have been cleared meanwhile.
        if exc.system == "odoo" and not exc.details.get("from_connection_flag"):
            from sync.services.connections import odoo_auth_failed

            odoo_auth_failed(connection_id=self.shop.odoo_id, message=str(exc))
