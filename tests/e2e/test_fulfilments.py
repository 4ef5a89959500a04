"""Odoo deliveries become Shopify fulfilments, through both stand-ins and a real worker: the stream of done
pickings, the fulfilment with the moves' quantities and tracking, partial deliveries and their backorder,
a tracking number changed later, a returned delivery, and nothing twice."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import close_old_connections

from sandbox import catalogue
from sync.connectors.odoo import ReturnInput
from sync.engine.changes import changes_wake
from sync.engine.clients import odoo_client_for, shopify_client_for
from sync.engine.replay import jobs_requeue
from sync.models import Fulfilment, JobState, MappingEntry, MappingTable, OdooChangeCursor, SyncJob
from sync.services.mappings import MappingRow, mapping_apply
from sync.services.stock import odoo_wake_path
from tests.e2e.conftest import Worker
from tests.support.pipeline import STREAM_WORKER_ENV, Pipeline
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e

SKU = "MERINOTE-M-NAVY"


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker) -> Iterator[Worker]:  # type: ignore[no-untyped-def]
    # Odoo's deliveries are read every half second here (5 s by default), so that tests wait little.
    # OPSCONSOLE_FULFILMENT_CYCLE sets it for the figures below (the production default is 5 s).
    cycle = os.environ.get("OPSCONSOLE_FULFILMENT_CYCLE", "0.5")
    w = Worker(
        "e2e-fulfilments-worker",
        **STREAM_WORKER_ENV,
        OPSCONSOLE_CHANGES_CYCLE_SECONDS=f"pickings={cycle}",
        OPSCONSOLE_CHANGES_TICK_SECONDS="0.5",
    )
    w.start()
    yield w
    w.stop()


def order_in_odoo(
    pipeline: Pipeline, quantity: int, seed: int, **options: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Shopify order shipped by Express (Odoo carrier "Express Delivery" → "DHL Express"), booked in Odoo,
    with the stream of deliveries started (it starts from now: a delivery validated before is not read)."""
    order = pipeline.generate_orders(
        1, skus=[SKU], quantity=quantity, shipping="EXPRESS", seed=seed, **options
    )[0]
    wait_for(
        lambda: any(j.state == JobState.SUCCEEDED for j in pipeline.order_jobs(order["id"], "order.upsert")),
        timeout=60,
        message="the order in Odoo",
    )

    def started() -> bool:
        close_old_connections()
        return (
            OdooChangeCursor.objects.filter(shop=pipeline.shop, stream="pickings")
            .exclude(write_date="")
            .exists()
        )

    wait_for(started, timeout=30, message="the stream of deliveries to start")
    [sale] = pipeline.sale_orders(order["id"])
    return order, sale


def jobs_done(pipeline: Pipeline, kind: str, count: int) -> list[SyncJob]:
    def done() -> list[SyncJob] | None:
        pipeline.sweep()
        jobs = pipeline.jobs(kind=kind)
        finished = all(j.state not in (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING) for j in jobs)
        return jobs if len(jobs) >= count and finished else None

    return wait_for(done, timeout=60, interval=0.2, message=f"{count} {kind} job(s)")  # type: ignore[no-any-return]


def shopify_fulfilments(pipeline: Pipeline, order_id: int) -> list[dict[str, Any]]:
    return list(pipeline.shopify.control.order(order_id)["fulfillments"])


def test_a_validated_delivery_is_one_fulfilment_with_its_tracking_and_never_a_second(pipeline):
    # given an order of 2 in Odoo
    order, _ = order_in_odoo(pipeline, quantity=2, seed=31)
    pipeline.odoo.control.reset_counters()

    # when Odoo's delivery is validated with a tracking number
    pipeline.odoo.control.validate_picking(client_order_ref=str(order["id"]), tracking_ref="JD0002")
    [job] = jobs_done(pipeline, "fulfillment.push", 1)

    # then Shopify has one fulfilment of both units, with DHL Express and the number
    assert (job.state, job.result["outcome"]) == (JobState.SUCCEEDED, "fulfilled")
    [fulfilment] = shopify_fulfilments(pipeline, order["id"])
    assert (fulfilment["tracking_company"], fulfilment["tracking_number"]) == ("DHL Express", "JD0002")
    assert [(li["sku"], li["quantity"]) for li in fulfilment["line_items"]] == [(SKU, 2)]
    assert pipeline.shopify.control.order(order["id"])["fulfillment_status"] == "fulfilled"
    # one Odoo call for the fulfilment itself (the moves), besides the stream's reads
    assert [c["op"] for c in job.attempt_set.get().external_calls if c["system"] == "odoo"] == [
        "picking_moves"
    ]

    # when the stream reads again and the job is replayed, then nothing is made twice
    changes_wake(shop_id=pipeline.shop.pk, stream="pickings")
    jobs_requeue(job_ids=[job.pk], states=(JobState.SUCCEEDED,))
    [again] = jobs_done(pipeline, "fulfillment.push", 1)
    assert again.result["outcome"] == "unchanged"
    assert len(shopify_fulfilments(pipeline, order["id"])) == 1
    assert Fulfilment.objects.get().status == Fulfilment.Status.CREATED


def test_two_partial_deliveries_with_a_backorder_are_two_fulfilments(pipeline):
    # given an order of 3
    order, _ = order_in_odoo(pipeline, quantity=3, seed=32)

    # when 1 is shipped, the rest left on a backorder, and the backorder shipped later
    first = pipeline.odoo.control.validate_picking(
        client_order_ref=str(order["id"]), quantities={SKU: 1}, tracking_ref="JD-A"
    )
    jobs_done(pipeline, "fulfillment.push", 1)
    assert pipeline.shopify.control.order(order["id"])["fulfillment_status"] == "partial"
    [backorder] = first["backorder_ids"]
    pipeline.odoo.control.validate_picking(picking_id=backorder, tracking_ref="JD-B")
    jobs = jobs_done(pipeline, "fulfillment.push", 2)

    # then Shopify has two fulfilments, 1 and 2 units, each with its own tracking number
    assert [j.result["outcome"] for j in jobs] == ["fulfilled", "fulfilled"]
    fulfilments = shopify_fulfilments(pipeline, order["id"])
    assert [(f["tracking_number"], [li["quantity"] for li in f["line_items"]]) for f in fulfilments] == [
        ("JD-A", [1]),
        ("JD-B", [2]),
    ]
    assert pipeline.shopify.control.order(order["id"])["fulfillment_status"] == "fulfilled"


def test_a_tracking_number_changed_later_updates_the_fulfilment(pipeline):
    # given a delivery shipped without a tracking number
    order, _ = order_in_odoo(pipeline, quantity=1, seed=33)
    shipped = pipeline.odoo.control.validate_picking(client_order_ref=str(order["id"]))
    jobs_done(pipeline, "fulfillment.push", 1)
    assert shopify_fulfilments(pipeline, order["id"])[0]["tracking_number"] is None

    # when the carrier's number is entered in Odoo afterwards
    pipeline.rpc.env["stock.picking"].write([shipped["picking_id"]], {"carrier_tracking_ref": "JD-LATE"})
    jobs = jobs_done(pipeline, "fulfillment.push", 2)

    # then the same fulfilment carries it (fulfillmentTrackingInfoUpdate), no second one is made
    assert jobs[-1].result["outcome"] == "tracking_updated"
    [fulfilment] = shopify_fulfilments(pipeline, order["id"])
    assert (fulfilment["tracking_company"], fulfilment["tracking_number"]) == ("DHL Express", "JD-LATE")


def _return(pipeline: Pipeline, picking_id: int, quantity: str) -> None:
    client = odoo_client_for(pipeline.shop.odoo)
    [move] = client.picking_moves([picking_id])[picking_id]
    assert move.product_id is not None
    result = client.return_picking(
        ReturnInput(
            picking_id=picking_id, quantities={move.product_id: Decimal(quantity)}, key=f"ret-{quantity}"
        )
    )
    client.validate_picking(result.picking_id)


def test_a_delivery_returned_in_full_cancels_its_fulfilment_and_in_part_is_a_problem(pipeline):
    # given two shipped orders
    whole, _ = order_in_odoo(pipeline, quantity=1, seed=34)
    part, _ = order_in_odoo(pipeline, quantity=2, seed=35)
    shipped_whole = pipeline.odoo.control.validate_picking(client_order_ref=str(whole["id"]))
    shipped_part = pipeline.odoo.control.validate_picking(client_order_ref=str(part["id"]))
    jobs_done(pipeline, "fulfillment.push", 2)

    # when the first comes back whole and the second in part
    _return(pipeline, shipped_whole["picking_id"], "1")
    _return(pipeline, shipped_part["picking_id"], "1")
    jobs = jobs_done(pipeline, "fulfillment.return", 2)

    # then the first fulfilment is cancelled in Shopify; the second parks, saying what differs
    by_order = {j.input["picking"]["sale_name"]: j for j in jobs}
    assert sorted(j.state for j in jobs) == [JobState.NEEDS_ATTENTION, JobState.SUCCEEDED]
    [cancelled] = shopify_fulfilments(pipeline, whole["id"])
    assert cancelled["status"] == "cancelled"
    assert shopify_fulfilments(pipeline, part["id"])[0]["status"] == "success"
    parked = next(j for j in by_order.values() if j.state == JobState.NEEDS_ATTENTION)
    assert parked.fingerprint == "partial_return:fulfillment.return"
    assert f"{SKU}: shipped 2, returned 1" in parked.error_message


def _shop_option(pipeline: Pipeline, **options: Any) -> None:
    from sync.engine.mappings import mapping_entries
    from sync.models import MappingTable
    from sync.services.mappings import MappingRow, mapping_apply

    current = next(e.value for e in mapping_entries(shop=pipeline.shop) if e.table == MappingTable.SHOP)
    mapping_apply(shop=pipeline.shop, rows=[MappingRow(MappingTable.SHOP, "shop", {**current, **options})])


def test_a_3pl_fulfilment_validates_the_odoo_delivery_with_its_quantities_and_tracking(pipeline):
    # given a shop whose 3PL ships (Shopify owns shipping) and an order of 3 in Odoo
    _shop_option(pipeline, shipping_owner="shopify")
    order, sale = order_in_odoo(pipeline, quantity=3, seed=36)
    [line] = pipeline.shopify.control.order(order["id"])["line_items"]

    # when the 3PL fulfils 2 in Shopify with its tracking number
    pipeline.shopify.control.fulfill(
        order["id"],
        line_items=[{"line_item_id": line["id"], "quantity": 2}],
        tracking={"company": "UPS", "number": "1Z999"},
    )
    [job] = jobs_done(pipeline, "fulfillment.inbound", 1)

    # then Odoo's delivery is validated with 2 and the number, the third unit waits on a backorder
    assert (job.state, job.result["outcome"]) == (JobState.SUCCEEDED, "validated")
    pickings = pipeline.rpc.env["stock.picking"].search_read(
        [("sale_id", "=", sale["id"])], ["state", "carrier_tracking_ref", "backorder_id"], order="id"
    )
    assert [(p["state"], p["carrier_tracking_ref"]) for p in pickings] == [
        ("done", "1Z999"),
        ("assigned", False),
    ]
    # and the done delivery is not pushed back to Shopify as a second fulfilment
    pushed = jobs_done(pipeline, "fulfillment.push", 1)
    assert [j.result["outcome"] for j in pushed] == ["made_in_shopify"]
    assert len(shopify_fulfilments(pipeline, order["id"])) == 1
    # and our own fulfilments' webhooks are recognised as ours
    assert all(j.result["outcome"] != "ours" for j in pipeline.jobs(kind="fulfillment.inbound"))


def test_a_fulfilment_made_in_shopify_when_odoo_ships_is_a_problem_naming_the_difference(pipeline):
    # given a shop where Odoo ships (the default) and an order of 2 not yet delivered in Odoo
    order, _ = order_in_odoo(pipeline, quantity=2, seed=37)

    # when someone fulfils it in the Shopify admin
    pipeline.shopify.control.fulfill(order["id"])
    [job] = jobs_done(pipeline, "fulfillment.inbound", 1)

    # then it parks, saying what Shopify fulfilled and what Odoo delivered
    assert (job.state, job.fingerprint) == (
        JobState.NEEDS_ATTENTION,
        "fulfilled_outside_odoo:fulfillment.inbound",
    )
    assert f"{SKU}: Shopify 2, Odoo 0" in job.error_message
    assert Fulfilment.objects.get(shopify_order_id=str(order["id"])).status == Fulfilment.Status.RECORDED


def test_our_own_fulfilments_come_back_as_webhooks_and_change_nothing(pipeline):
    order, _ = order_in_odoo(pipeline, quantity=1, seed=38)
    pipeline.odoo.control.validate_picking(client_order_ref=str(order["id"]), tracking_ref="JD-OWN")
    jobs_done(pipeline, "fulfillment.push", 1)

    [echo] = jobs_done(pipeline, "fulfillment.inbound", 1)

    assert (echo.state, echo.result["outcome"]) == (JobState.SUCCEEDED, "ours")
    assert Fulfilment.objects.filter(origin=Fulfilment.Origin.SHOPIFY).count() == 0


def test_figures_per_fulfilment_odoo_calls_shopify_points_and_latency(pipeline):
    """The closing figures, measured (no threshold): for N deliveries validated one after another
    (OPSCONSOLE_FULFILMENT_FIGURES, default 5), the Odoo calls and Shopify points each fulfilment cost and
    the time from the validation in Odoo to Shopify's fulfilment; printed and written to
    test-artifacts/fulfilment-figures.json."""
    count = int(os.environ.get("OPSCONSOLE_FULFILMENT_FIGURES", "5"))
    orders = [order_in_odoo(pipeline, quantity=1, seed=100 + n)[0] for n in range(count)]
    pipeline.odoo.control.reset_counters()
    # OPSCONSOLE_FULFILMENT_WAKE=1: after each validation, Odoo's automation rule calls our wake URL for the
    # stream of deliveries, as a deployment would configure it (docs/runbooks.md).
    wake = os.environ.get("OPSCONSOLE_FULFILMENT_WAKE") == "1"
    base = pipeline.callback_url.rsplit("/webhooks", 1)[0]
    wake_url = f"{base}{odoo_wake_path(shop=pipeline.shop)}?stream=pickings"
    validated_at: dict[int, float] = {}
    for order in orders:
        done = pipeline.odoo.control.validate_picking(
            client_order_ref=str(order["id"]), tracking_ref=f"JD{order['id']}"
        )
        validated_at[done["picking_id"]] = time.time()
        if wake:
            assert requests.post(wake_url, timeout=10).json() == {"woken": 1}
    jobs = jobs_done(pipeline, "fulfillment.push", count)
    reads = pipeline.odoo.control.counters()["calls"].get("stock.picking", {})

    assert [j.result["outcome"] for j in jobs] == ["fulfilled"] * count
    calls = [c for j in jobs for a in j.attempt_set.all() for c in a.external_calls]
    odoo_calls = sum(c.get("round_trips", 1) for c in calls if c["system"] == "odoo")
    points = sum(c.get("points", 0) for c in calls if c["system"] == "shopify")
    assert odoo_calls == count  # one read of the delivery's moves each
    close_old_connections()
    latencies = sorted(
        f.fulfilled_at.timestamp() - validated_at[f.odoo_picking_id]
        for f in Fulfilment.objects.filter(origin=Fulfilment.Origin.ODOO)
    )
    figures = {
        "deliveries": count,
        "stream_cycle_seconds": float(os.environ.get("OPSCONSOLE_FULFILMENT_CYCLE", "0.5")),
        "woken_by_odoo": wake,
        "odoo_calls_per_fulfilment_in_the_job": odoo_calls / count,
        "odoo_stream_reads_of_stock_picking_during_the_run": sum(reads.values()),
        "shopify_points_per_fulfilment": points / count,
        "shopify_calls_per_fulfilment": sum(1 for c in calls if c["system"] == "shopify") / count,
        "latency_seconds_p50": round(statistics.median(latencies), 3),
        "latency_seconds_p95": round(statistics.quantiles(latencies, n=20, method="inclusive")[18], 3)
        if count > 1
        else round(latencies[0], 3),
        "latency_seconds_max": round(latencies[-1], 3),
    }
    out = Path(__file__).resolve().parents[2] / "test-artifacts" / "fulfilment-figures.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print("\nfulfilment figures:", json.dumps(figures))


MOVE = (
    "mutation Move($id: ID!, $location: ID!) { fulfillmentOrderMove(id: $id, newLocationId: $location) {"
    " movedFulfillmentOrder { id assignedLocation { location { id } } } userErrors { field message code } } }"
)


def test_a_delivery_fulfils_the_fulfilment_order_of_the_location_it_left_from(pipeline):
    # given an order in Odoo whose fulfilment order Shopify moved to the City Store
    order, _ = order_in_odoo(pipeline, quantity=1, seed=41)
    shopify = shopify_client_for(pipeline.shop)
    locations = {location.name: location for location in shopify.locations()}
    [fulfillment_order] = shopify.fulfillment_orders(order["id"])
    move = {"id": fulfillment_order["id"], "location": locations["City Store"].id}
    assert shopify.graphql(MOVE, move, estimate=10)["fulfillmentOrderMove"]["userErrors"] == []

    # when Odoo ships it from WH/Stock, which is the Main Warehouse's stock
    pipeline.odoo.control.validate_picking(client_order_ref=str(order["id"]))
    [job] = jobs_done(pipeline, "fulfillment.push", 1)

    # then the City Store's fulfilment order is not used: the push parks, naming the location
    assert (job.state, job.error_code) == (JobState.NEEDS_ATTENTION, "fulfilment_quantity")
    assert f"1 x {SKU}" in job.error_message and "WH/Stock" in job.error_message
    assert shopify_fulfilments(pipeline, order["id"]) == []

    # when Shopify's fulfilment order goes back to the Main Warehouse, the replay fulfils it there
    move["location"] = locations["Main Warehouse"].id
    assert shopify.graphql(MOVE, move, estimate=10)["fulfillmentOrderMove"]["userErrors"] == []
    jobs_requeue(job_ids=[job.pk])
    [job] = jobs_done(pipeline, "fulfillment.push", 1)
    assert job.result["outcome"] == "fulfilled"
    [fulfilment] = shopify_fulfilments(pipeline, order["id"])
    assert fulfilment["location_id"] == locations["Main Warehouse"].legacy_id


def test_a_bundle_shipped_as_its_components_fulfils_the_bundle_line_and_a_gift_card_is_not_shipped(pipeline):
    # given a bundle of a mug and two bags of beans booked as its components, sold twice with a tee and a
    # gift card
    env = pipeline.rpc.env
    [mug] = env["product.product"].search([("default_code", "=", "CERAMICM-SAND")])
    [beans] = env["product.product"].search([("default_code", "=", "COFFEEBE-WHOLE")])
    liability = env["account.account"].create(
        {"code": "259200", "name": "Gift cards", "account_type": "liability_current", "reconcile": True}
    )
    card = env["product.product"].create(
        {
            "name": "Gift card",
            "type": "service",
            "invoice_policy": "order",
            "taxes_id": [(6, 0, [])],
            "property_account_income_id": liability,
        }
    )
    rule = {
        "mode": "components",
        "split": "ratio",
        "components": [
            {"product_id": mug, "quantity": 1, "ratio": "1"},
            {"product_id": beans, "quantity": 2, "ratio": "1"},
        ],
    }
    entry = MappingEntry.objects.get(shop=pipeline.shop, table=MappingTable.SHOP, valid_to__isnull=True)
    mapping_apply(
        shop=pipeline.shop,
        rows=[
            MappingRow(MappingTable.BUNDLE, "BUNDLE-BREW", rule),
            MappingRow(MappingTable.SHOP, entry.key, {**entry.value, "gift_card_product_id": card}),
        ],
    )
    standard = catalogue.TAXES["standard"]
    order, _ = order_in_odoo(
        pipeline,
        quantity=1,
        seed=39,
        discount_code=None,
        automatic_discount=False,
        gift_card=False,
        custom_lines=[
            {
                "title": "Brew set",
                "sku": "BUNDLE-BREW",
                "price": "39.90",
                "quantity": 2,
                "tax": [standard["shopify_title"], str(standard["rate"])],
            },
            {"title": "Gift card", "price": "25.00", "quantity": 1, "gift_card": True},
        ],
    )
    # when Odoo's delivery (2 mugs, 4 bags, the tee) is validated
    pipeline.odoo.control.validate_picking(client_order_ref=str(order["id"]), tracking_ref="JD0039")
    [job] = jobs_done(pipeline, "fulfillment.push", 1)
    # then Shopify's bundle line and the tee are fulfilled, the gift card is not Odoo's to ship
    assert (job.state, job.result["outcome"]) == (JobState.SUCCEEDED, "fulfilled"), job.error_message
    [fulfilment] = shopify_fulfilments(pipeline, order["id"])
    assert sorted((li["sku"], li["quantity"]) for li in fulfilment["line_items"]) == [
        ("BUNDLE-BREW", 2),
        (SKU, 1),
    ]


def test_a_kit_shipped_as_its_components_in_two_deliveries_fulfils_whole_kits_once_complete(pipeline):
    # given Odoo with mrp: a kit product whose phantom bill of materials is a mug and two bags of beans, the
    # bundle SKU mapped to the kit, and an order of two kits and a tee
    env = pipeline.rpc.env
    kit = env["product.product"].create(
        {"name": "Brew kit", "default_code": "KIT-BREW", "type": "consu", "list_price": 39.9}
    )
    pipeline.odoo.control.add_kit("KIT-BREW", [("CERAMICM-SAND", 1), ("COFFEEBE-WHOLE", 2)])
    [mug] = env["product.product"].search([("default_code", "=", "CERAMICM-SAND")])
    [beans] = env["product.product"].search([("default_code", "=", "COFFEEBE-WHOLE")])
    mapping_apply(
        shop=pipeline.shop,
        rows=[MappingRow(MappingTable.BUNDLE, "BUNDLE-KIT", {"mode": "kit", "product_id": kit})],
    )
    standard = catalogue.TAXES["standard"]
    order, sale = order_in_odoo(
        pipeline,
        quantity=1,
        seed=41,
        discount_code=None,
        automatic_discount=False,
        gift_card=False,
        custom_lines=[
            {
                "title": "Brew kit",
                "sku": "BUNDLE-KIT",
                "price": "39.90",
                "quantity": 2,
                "tax": [standard["shopify_title"], str(standard["rate"])],
            }
        ],
    )
    # Odoo exploded the kit: its delivery holds the components' moves, each of the kit's line
    client = odoo_client_for(pipeline.shop.odoo)
    [kit_line] = [line for line in client.read_order(sale["id"]).lines if line.product_id == kit]
    [picking] = env["stock.picking"].search([("sale_id", "=", sale["id"])])
    moves = client.picking_moves([picking])[picking]
    assert sorted((m.product_id, m.demand) for m in moves if m.sale_line_id == kit_line.id) == sorted(
        [(mug, Decimal(2)), (beans, Decimal(4))]
    )

    # when the first delivery ships both mugs and one bag (no whole kit), the rest on a backorder
    first = pipeline.odoo.control.validate_picking(
        client_order_ref=str(order["id"]), quantities={"CERAMICM-SAND": 2, "COFFEEBE-WHOLE": 1}
    )
    [job] = jobs_done(pipeline, "fulfillment.push", 1)
    # then nothing is fulfilled yet, and nothing parks
    assert (job.state, job.result["outcome"]) == (JobState.SUCCEEDED, "nothing_shipped"), job.error_message
    assert shopify_fulfilments(pipeline, order["id"]) == []
    [kit_line] = [line for line in client.read_order(sale["id"]).lines if line.product_id == kit]
    assert kit_line.qty_delivered == 0

    # when the backorder ships the other three bags and the tee
    [backorder] = first["backorder_ids"]
    pipeline.odoo.control.validate_picking(picking_id=backorder, tracking_ref="JD-KIT")
    jobs = jobs_done(pipeline, "fulfillment.push", 2)
    # then Odoo counts both kits delivered, and Shopify has one fulfilment: both bundles and the tee
    assert [(j.state, j.result["outcome"]) for j in jobs] == [
        (JobState.SUCCEEDED, "nothing_shipped"),
        (JobState.SUCCEEDED, "fulfilled"),
    ], [j.error_message for j in jobs]
    [kit_line] = [line for line in client.read_order(sale["id"]).lines if line.product_id == kit]
    assert kit_line.qty_delivered == 2
    [fulfilment] = shopify_fulfilments(pipeline, order["id"])
    assert sorted((li["sku"], li["quantity"]) for li in fulfilment["line_items"]) == [
        ("BUNDLE-KIT", 2),
        (SKU, 1),
    ]
    assert pipeline.shopify.control.order(order["id"])["fulfillment_status"] == "fulfilled"
    assert not SyncJob.objects.filter(shop=pipeline.shop, state=JobState.NEEDS_ATTENTION).exists()

    # when the second delivery comes back whole (the bags and the tee)
    result = client.return_picking(
        ReturnInput(
            picking_id=backorder,
            quantities={beans: Decimal(3), _product(pipeline, SKU): Decimal(1)},
            key="ret-kit",
        )
    )
    client.validate_picking(result.picking_id)
    [back] = jobs_done(pipeline, "fulfillment.return", 1)
    # then its fulfilment is cancelled, and Odoo no longer counts a whole kit delivered
    assert (back.state, back.result["outcome"]) == (JobState.SUCCEEDED, "cancelled"), back.error_message
    assert shopify_fulfilments(pipeline, order["id"])[0]["status"] == "cancelled"
    [kit_line] = [line for line in client.read_order(sale["id"]).lines if line.product_id == kit]
    assert kit_line.qty_delivered == 0


def _product(pipeline: Pipeline, sku: str) -> int:
    [pid] = pipeline.rpc.env["product.product"].search([("default_code", "=", sku)])
    return int(pid)
