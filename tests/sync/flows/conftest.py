"""Flow tests: the order flow run in-process by the job engine (job_run, as a worker would) against the Odoo
stand-in of each version (17, 18, 19) over real HTTP, with orders made by the Shopify stand-in's generator.

No worker and no webhook path: tests/e2e covers those. Each test gets a reset, seeded Odoo and a shop set up
by ``shop_setup`` from the demo catalogue, so the mapping is what a retailer's first run proposes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from opsconsole.demo_catalogue import demo_setup_catalogue
from sandbox.odoo.testing import RunningOdooSandbox, odoo_sandbox
from sandbox.shopify.testing import RunningSandbox, running_sandbox
from sync.connectors.odoo import OdooClient, connect
from sync.engine.clients import clients_reset
from sync.engine.queue import JobSpec, job_create
from sync.engine.run import job_run
from sync.flows.taxes import facts_cache_clear
from sync.models import InboundEvent, MappingTable, ShopifyShop, SyncJob
from sync.services.connections import odoo_connect, shopify_connect
from sync.services.mappings import MappingRow, mapping_apply
from sync.services.setup import SetupCatalogue, shop_setup
from tests.support.odoo import odoo_config
from tests.support.onboarding import proposal_accept

#: Nothing listens here: the Shopify stand-in's deliveries to it fail at once (these tests need none).
NO_WEBHOOKS = "http://127.0.0.1:9/webhooks/shopify"


@pytest.fixture(scope="session")
def shopify_standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(data_dir=tmp_path_factory.mktemp("flows-shopify"), clock_speed=1.0) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def odoo_standins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[int], RunningOdooSandbox]]:
    stack = contextlib.ExitStack()
    running: dict[int, RunningOdooSandbox] = {}

    def get(version: int) -> RunningOdooSandbox:
        if version not in running:
            running[version] = stack.enter_context(
                odoo_sandbox(tmp_path_factory.mktemp(f"flows-odoo{version}"), version=version)
            )
        return running[version]

    with stack:
        yield get


@dataclass
class Booking:
    """One shop wired to a fresh Odoo stand-in of ``version``."""

    version: int
    shop: ShopifyShop
    shopify: RunningSandbox
    odoo_standin: RunningOdooSandbox
    odoo: OdooClient  # a client for the test's own reads and writes in Odoo

    def order(self, **options: Any) -> dict[str, Any]:
        """One order from the Shopify stand-in's generator, in shop money (the shop's currency)."""
        options.setdefault("presentment_currency", "EUR")
        options.setdefault("gift_card", False)
        return self.shopify.control.generate_orders(count=1, **options)[0]

    def run(
        self,
        payload: dict[str, Any],
        topic: str = "orders/create",
        *,
        n: int = 0,
        triggered_at: datetime | None = None,
    ) -> SyncJob:
        """The order.upsert job for ``payload``, run once by the engine; with ``triggered_at``, as a stored
        webhook delivery with that X-Shopify-Triggered-At."""
        subject_id = payload["order_edit"]["order_id"] if "order_edit" in payload else payload["id"]
        event = None
        if triggered_at is not None:
            event = InboundEvent.objects.create(
                shop=self.shop,
                topic=topic,
                webhook_id=f"test-{subject_id}-{topic}-{n}",
                triggered_at=triggered_at,
                raw_body=json.dumps(payload).encode(),
                payload=payload,
                subject_id=str(subject_id),
            )
        job, _ = job_create(
            spec=JobSpec(
                kind="order.upsert",
                flow="orders",
                shop=self.shop,
                idempotency_key=f"test:order:{subject_id}:{topic}:{n}",
                subject=f"order:{subject_id}",
                event_id=event.pk if event else None,
                input=None if event else {"payload": payload, "topic": topic},
            )
        )
        job_run(key=job.idempotency_key)
        job.refresh_from_db()
        return job

    def edit_body(self, order_id: int | str) -> dict[str, Any]:
        """The newest orders/edited body the Shopify stand-in sent for the order."""
        bodies = [json.loads(d["body"]) for d in self.shopify.control.deliveries(topic="orders/edited")]
        return [b for b in bodies if str(b["order_edit"]["order_id"]) == str(order_id)][-1]

    def lines(self, odoo_order_id: int) -> list[dict[str, Any]]:
        return self.odoo.execute(  # type: ignore[no-any-return]
            "sale.order.line",
            "search_read",
            domain=[("order_id", "=", odoo_order_id)],
            fields=["product_id", "product_uom_qty", "price_unit"],
        )

    def sale_orders(self, order_id: int | str) -> list[dict[str, Any]]:
        return self.odoo.execute(  # type: ignore[no-any-return]
            "sale.order",
            "search_read",
            domain=[("client_order_ref", "=", str(order_id))],
            fields=["name", "state", "amount_untaxed", "amount_tax", "amount_total", "currency_id"],
        )

    def set_shop_value(self, **values: Any) -> None:
        """Change keys of the shop's SHOP mapping row (per-shop settings), as an approved change would."""
        entry = self.shop.mappings.get(table=MappingTable.SHOP, key="shop", valid_to__isnull=True)
        mapping_apply(shop=self.shop, rows=[MappingRow(MappingTable.SHOP, "shop", {**entry.value, **values})])

    def tax_id(self, name: str) -> int:
        return int(self.odoo.execute("account.tax", "search", domain=[("name", "=", name)], limit=1)[0])

    def set_tax_treatment(self, tax_id: int, *, included: bool) -> None:
        """As a person would in Odoo: 18+ through price_include_override (price_include is computed)."""
        if self.version >= 18:
            vals: dict[str, Any] = {"price_include_override": "tax_included" if included else "tax_excluded"}
        else:
            vals = {"price_include": included}
        self.odoo.execute("account.tax", "write", [tax_id], vals=vals)


@pytest.fixture
def booking_for(
    db: None, shopify_standin: RunningSandbox, odoo_standins: Callable[[int], RunningOdooSandbox]
) -> Callable[..., Booking]:
    def make(version: int, *, taxes_included: bool = False, setup: bool = True) -> Booking:
        standin = odoo_standins(version)
        standin.control.clear_faults()
        standin.control.reset(seed=True)
        shopify_standin.control.clear_faults()
        shopify_standin.control.reset(seed_demo=True)
        shopify_standin.control.settings(restore_rate=1000, maximum=10000, taxes_included=taxes_included)
        clients_reset()
        facts_cache_clear()
        connection, _ = odoo_connect(
            url=standin.base_url,
            database="sandbox",
            login="admin",
            secret="sandbox-api-key",
            name=f"odoo{version}",
        )
        shop, _ = shopify_connect(
            domain=shopify_standin.domain,
            token=shopify_standin.token,
            client_secret=shopify_standin.client_secret,
            api_version=shopify_standin.api_version,
            odoo=connection,
            admin_url=shopify_standin.admin_url,
        )
        if setup:
            report = shop_setup(
                shop=shop,
                callback_url=NO_WEBHOOKS,
                catalogue=SetupCatalogue.from_dict(demo_setup_catalogue()),
            )
            proposal_accept(report.change_id)
        return Booking(version, shop, shopify_standin, standin, connect(odoo_config(standin)))

    return make
