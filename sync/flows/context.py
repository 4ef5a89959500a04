"""What a flow gets to work with: the job, its shop, connector clients built on first use, the active
mappings, a record of every external call it makes (stored on the attempt), and what to do when a system
refuses our credentials.

The job engine builds it (sync/engine/context.py) from factories it passes in, so that flows depend on
connectors, transforms, models and the lock module only, never on the services that store connections.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

import structlog
from django.utils import timezone

from opsconsole.core.metrics import CONNECTOR_CALLS, CONNECTOR_SECONDS

if TYPE_CHECKING:
    from opsconsole.core.errors import AuthError
    from sync.connectors.odoo.client import OdooClient
    from sync.connectors.shopify.client import ShopifyClient
    from sync.kinds import JobRequest
    from sync.models import ShopifyShop, SyncJob
    from sync.transforms.currency import Booking
    from sync.transforms.types import ShopMappings

logger = structlog.get_logger("sync.flows")


class JobContext:
    def __init__(
        self,
        *,
        job: SyncJob,
        odoo_factory: Callable[[], OdooClient],
        shopify_factory: Callable[[], ShopifyClient],
        mappings_loader: Callable[[], ShopMappings],
        on_auth_failure: Callable[[AuthError], None],
    ) -> None:
        self.job = job
        self.shop: ShopifyShop = job.shop
        # When this attempt began, before the engine ingested what the flow reads first (sync/engine/run.py).
        self.started_at = timezone.now()
        self.calls: list[dict[str, Any]] = []
        self.mapping_version: int | None = None
        # Jobs this job asks for (made by the engine with its success, once per idempotency key): flows
        # cannot import the engine, so they ask (e.g. the stock flow asks a problem job per unknown SKU).
        self.follow_ups: list[JobRequest] = []
        # How the job's order is booked (sync/flows/currency.py ``order_booking``), once decided.
        self.booking: Booking | None = None
        self._odoo_factory = odoo_factory
        self._shopify_factory = shopify_factory
        self._mappings_loader = mappings_loader
        self._on_auth_failure = on_auth_failure

    # ---- connectors and mappings, built on first use -----------------------------------------------

    @cached_property
    def odoo(self) -> OdooClient:
        return self._odoo_factory()

    @cached_property
    def shopify(self) -> ShopifyClient:
        return self._shopify_factory()

    @property
    def shopify_if_built(self) -> ShopifyClient | None:
        """The Shopify client, only if this job built one (for the connection's health marks)."""
        return self.__dict__.get("shopify")

    @cached_property
    def mappings(self) -> ShopMappings:
        loaded = self._mappings_loader()
        self.mapping_version = loaded.version
        return loaded

    def book_in(self, booking: Booking, mappings: ShopMappings) -> None:
        """From now on this job works in the currency its order is booked in (sync/flows/currency.py)."""
        self.booking = booking
        self.__dict__["mappings"] = mappings

    # ---- call recording ---------------------------------------------------------------------------

    @contextmanager
    def call(self, system: str, operation: str) -> Iterator[None]:
        """Wrap one connector operation: its duration, round trips and outcome go on the attempt."""
        client = self.odoo if system == "odoo" else None
        before = client.calls if client is not None else 0
        transport = getattr(self.shopify, "transport", None) if system == "shopify" else None
        if transport is not None:
            transport.last_cost = None
        started = time.monotonic()
        entry: dict[str, Any] = {"system": system, "op": operation}
        try:
            yield
            entry["ok"] = True
        except BaseException as exc:  # a task timeout (django-q2's TimeoutException) too: it is recorded
            entry["ok"] = False
            entry["error"] = type(exc).__name__
            raise
        finally:
            elapsed = time.monotonic() - started
            entry["ms"] = round(elapsed * 1000, 1)
            CONNECTOR_CALLS.labels(system=system, outcome="ok" if entry["ok"] else entry["error"]).inc()
            CONNECTOR_SECONDS.labels(system=system).observe(elapsed)
            if client is not None:
                entry["round_trips"] = client.calls - before
            cost = getattr(transport, "last_cost", None)
            if cost is not None:
                # Shopify's points for the (last) request of the operation: actual, else requested.
                entry["points"] = cost.actual if cost.actual is not None else cost.requested
            self.calls.append(entry)
            # The correlation id, job and shop are bound by the engine (sync/engine/run.py) and sent by
            # the connectors as X-Correlation-ID.
            logger.info(
                "connector.call",
                system=system,
                operation=operation,
                outcome="ok" if entry["ok"] else entry.get("error"),
                duration_ms=entry["ms"],
            )

    def note_auth_failure(self, exc: AuthError) -> None:
        """A system refused our credentials during this job: the engine decides what that means."""
        self._on_auth_failure(exc)
