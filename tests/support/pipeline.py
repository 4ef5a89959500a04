"""End-to-end harness: both sandboxes over real HTTP, the app on pytest-django's live server, a real
django-q2 worker, and odoorpc to read Odoo's final state.

Use the ``pipeline`` fixture (tests/e2e/conftest.py wires it). Each test gets freshly reset sandboxes, a
connected shop with seeded mappings (a few SKUs deliberately unmapped) and its webhooks registered at the
live server. The worker runs for the whole session against the test database; tests call ``sweep()`` where
a deployment's scheduler would tick.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import odoorpc
import requests
from django.db import close_old_connections

from opsconsole.demo_catalogue import demo_setup_catalogue
from sandbox.shopify.testing import RunningSandbox
from sync.engine.clients import clients_reset
from sync.engine.sweep import jobs_sweep
from sync.models import InboundEvent, JobState, ShopifyShop, SyncJob
from sync.services.connections import odoo_connect, shopify_connect
from sync.services.inbox import shop_cache_clear
from sync.services.setup import SetupCatalogue, SetupReport, shop_setup
from tests.support.onboarding import proposal_accept
from tests.support.processes import wait_for

#: Present in Odoo but left unmapped by the seed, so that their orders park as "unknown SKU".
UNMAPPED_SKUS = ("BEANIE-RUST",)

#: Worker settings for tests: the production backoff shape, 60 times faster (a 10-minute Odoo outage
#: takes 10 seconds), and a short lease so that a killed worker's job is taken back quickly.
WORKER_ENV = {
    "OPSCONSOLE_SYNC_RETRY_BASE_SECONDS": "0.5",
    "OPSCONSOLE_SYNC_RETRY_CAP_SECONDS": "60",
    "OPSCONSOLE_SYNC_LEASE_SECONDS": "6",
    "OPSCONSOLE_SYNC_STRANDED_AFTER_SECONDS": "5",
    "OPSCONSOLE_Q_TIMEOUT": "60",
    "OPSCONSOLE_Q_RETRY": "90",
    # Stock out reads Odoo's stock streams and pushes to Shopify; tests of it start their own worker with
    # it on (tests/e2e/test_stock_out.py), the others are not disturbed by pushes and their echoes.
    "OPSCONSOLE_STOCK_OUT": "0",
    # Nor does it read Odoo's changes (partners, deliveries, catalogue): a read running while a test's
    # database is flushed deadlocks the flush, and stream jobs would mix with the jobs a test waits for.
    # Tests of the outbound flows start a worker with the ticker on (STREAM_WORKER_ENV).
    "OPSCONSOLE_CHANGES_TICKER": "0",
}

#: A worker that reads Odoo's changes (the outbound flows' tests).
STREAM_WORKER_ENV = {"OPSCONSOLE_CHANGES_TICKER": "1"}


@dataclass
class Pipeline:
    shopify: RunningSandbox
    odoo: Any  # sandbox.odoo.testing.RunningOdooSandbox
    shop: ShopifyShop
    callback_url: str
    setup: SetupReport
    restart_worker: Callable[[], subprocess.Popen[bytes]]
    kill_worker: Callable[[], None]
    _rpc: Any = field(default=None, repr=False)

    # -- Odoo's state, read with odoorpc -------------------------------------------------------------
    @property
    def rpc(self) -> Any:
        if self._rpc is None:
            rpc = odoorpc.ODOO("127.0.0.1", port=self.odoo.port, timeout=30)
            rpc.login("sandbox", "admin", "admin")
            self._rpc = rpc
        return self._rpc

    def sale_orders(self, shopify_order_id: int | str) -> list[dict[str, Any]]:
        return self.rpc.env["sale.order"].search_read(  # type: ignore[no-any-return]
            [("client_order_ref", "=", str(shopify_order_id))],
            ["name", "state", "amount_total", "partner_id", "origin", "order_line", "note"],
        )

    def chatter(self, odoo_order_id: int) -> list[str]:
        """The bodies of the messages on a sale order's chatter, oldest first."""
        rows = self.rpc.env["mail.message"].search_read(
            [("model", "=", "sale.order"), ("res_id", "=", odoo_order_id)], ["body"], order="id asc"
        )
        return [str(r["body"]) for r in rows]

    # -- our side ------------------------------------------------------------------------------------
    def jobs(self, **filters: Any) -> list[SyncJob]:
        """The shop's jobs, without stock jobs (Shopify's inventory_levels/update deliveries that every
        order causes) unless ``flow="stock"`` or a kind is asked for."""
        close_old_connections()
        query = SyncJob.objects.filter(shop=self.shop, **filters)
        if "flow" not in filters and "kind" not in filters and "kind__in" not in filters:
            query = query.exclude(flow="stock")
        return list(query.order_by("pk"))

    def sweep(self) -> None:
        close_old_connections()
        jobs_sweep()

    def settle(self, *, timeout: float = 90, expect_jobs: int | None = None) -> list[SyncJob]:
        """Wait until no delivery waits to be ingested and no job is queued, running or retrying (sweeping
        as the scheduler would)."""

        waiting: list[str] = []  # what was still busy at the last look, for the message if it never settles

        def settled() -> list[SyncJob] | None:
            self.sweep()
            waiting.clear()
            pending = InboundEvent.objects.filter(shop=self.shop, ingested_at__isnull=True).count()
            if pending:
                waiting.append(f"{pending} deliveries not ingested")
                return None
            jobs = self.jobs()
            if expect_jobs is not None and len(jobs) < expect_jobs:
                waiting.append(f"{len(jobs)} of {expect_jobs} jobs made")
                return None
            busy = [j for j in jobs if j.state in (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING)]
            waiting.extend(
                f"job {j.pk} {j.kind} {j.state} attempts={j.attempts} next={j.next_attempt_at} "
                f"lease={j.lease_expires_at} error={j.error_class}"
                for j in busy[:10]
            )
            return None if busy or not jobs else jobs

        try:
            return wait_for(settled, timeout=timeout, interval=0.3, message="jobs to settle")  # type: ignore[return-value]
        except AssertionError as timed_out:
            raise AssertionError(f"{timed_out}; still waiting: {'; '.join(waiting) or 'no jobs'}") from None

    def odoo_order_creates(self) -> int:
        """sale.order creations in the Odoo stand-in (the flow creates and reads back in one web_save)."""
        calls = self.odoo.control.counters()["calls"].get("sale.order", {})
        return int(calls.get("create", 0)) + int(calls.get("web_save", 0))

    def generate_orders(self, count: int = 1, **options: Any) -> list[dict[str, Any]]:
        return self.shopify.control.generate_orders(count=count, **options)

    def ingest_here(self) -> None:
        """Ingest this shop's stored deliveries in this process, as a worker's inbox pump does (for tests
        that run their jobs in-process, without a worker)."""
        from sync.engine.ingest import deliveries_ingest

        close_old_connections()
        deliveries_ingest(shop_id=self.shop.pk)

    def order_jobs(self, order_id: int | str, *kinds: str) -> list[SyncJob]:
        """The jobs of one Shopify order (by default its order.upsert and order.cancel jobs)."""
        kinds = kinds or ("order.upsert", "order.cancel")
        return self.jobs(subject=f"order:{order_id}", kind__in=kinds)

    def deliveries(self, topic: str, resource_id: int | str | None = None) -> list[dict[str, Any]]:
        """The Shopify sandbox's delivery log for ``topic`` (and one order or customer id, if given)."""
        import json

        rows = self.shopify.control.deliveries(topic=topic)
        if resource_id is None:
            return rows

        def subject(body: dict[str, Any]) -> str:
            if isinstance(body.get("order_edit"), dict):  # orders/edited
                return str(body["order_edit"].get("order_id"))
            return str(body.get("id"))

        return [r for r in rows if subject(json.loads(r["body"])) == str(resource_id)]

    def post_webhook(
        self,
        *,
        topic: str,
        body: bytes,
        webhook_id: str | None = None,
        event_id: str | None = None,
        triggered_at: str = "",
        secret: str | None = None,
        headers: dict[str, str] | None = None,
        omit: tuple[str, ...] = (),
        **request_options: Any,
    ) -> requests.Response:
        """POST one delivery to the live server over real HTTP, signed like Shopify (or not, on request)."""
        key = (secret or self.shopify.client_secret).encode()
        signature = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
        sent = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-Shop-Domain": self.shopify.domain,
            "X-Shopify-API-Version": self.shopify.api_version,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
            "X-Shopify-Triggered-At": triggered_at,
        }
        sent.update(headers or {})
        sent = {k: v for k, v in sent.items() if k not in omit and v}
        return requests.post(self.callback_url, data=body, headers=sent, timeout=30, **request_options)

    def redeliver(self, delivery: dict[str, Any], **overrides: Any) -> requests.Response:
        """Send a delivery from the sandbox's log again, with its body and ids (as Shopify's retries do)."""
        options: dict[str, Any] = {
            "topic": delivery["topic"],
            "body": delivery["body"].encode(),
            "webhook_id": delivery["webhook_id"],
            "event_id": delivery["event_id"],
            "triggered_at": delivery["triggered_at"],
        }
        options.update(overrides)
        return self.post_webhook(**options)


def build_pipeline(
    *,
    shopify: RunningSandbox,
    odoo: Any,
    live_url: str,
    restart_worker: Callable[[], Any],
    kill_worker: Callable[[], None],
    leave_unmapped: tuple[str, ...] = UNMAPPED_SKUS,
) -> Pipeline:
    shopify.control.clear_faults()
    shopify.control.reset(seed_demo=True)
    # A Plus-sized cost bucket so that tests are not paced by the 100 points/s basic plan.
    shopify.control.settings(restore_rate=1000, maximum=10000)
    odoo.control.clear_faults()
    odoo.control.reset(seed=True)
    odoo.control.reset_counters()
    clients_reset()
    shop_cache_clear()
    connection, _ = odoo_connect(
        url=odoo.base_url,
        database="sandbox",
        login="admin",
        secret="sandbox-api-key",
        protocol=os.environ.get("E2E_ODOO_PROTOCOL", "jsonrpc"),
        name="odoo-sandbox",
    )
    shop, _ = shopify_connect(
        domain=shopify.domain,
        token=shopify.token,
        client_secret=shopify.client_secret,
        api_version=shopify.api_version,
        odoo=connection,
        admin_url=shopify.admin_url,
    )
    callback = f"{live_url}/webhooks/shopify"
    report = shop_setup(
        shop=shop,
        callback_url=callback,
        catalogue=SetupCatalogue.from_dict(demo_setup_catalogue()),
        leave_unmapped=leave_unmapped,
    )
    proposal_accept(report.change_id)
    # Shopify sends the mandatory privacy topics to the compliance URL of the app's configuration
    # (``compliance_topics`` in shopify.app.toml); they cannot be subscribed through the Admin API.
    shopify.control.app_config(compliance_url=callback)
    return Pipeline(
        shopify=shopify,
        odoo=odoo,
        shop=shop,
        callback_url=callback,
        setup=report,
        restart_worker=restart_worker,
        kill_worker=kill_worker,
    )
