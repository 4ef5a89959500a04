"""Order completeness end to end: both sandboxes over HTTP, the real worker, Odoo's state read with odoorpc.
Seeded discrepancy sets of each class are all found, with no false alarm on the clean orders; a re-run gives
the same result; a missed webhook is backfilled exactly once, even when the late delivery arrives too."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import close_old_connections

from reconciliation.models import DailyReport, Discrepancy, ReconciliationRun
from reconciliation.services.runs import day_window, run_create, run_execute, runs_daily
from sync.engine import mappings as engine_mappings
from sync.engine.clients import shopify_client_for
from sync.models import ExternalLink, JobState, MappingEntry
from sync.transforms.timestamps import parse_shopify_timestamp
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]


def _creates(pipeline) -> int:
    """Sale orders created in Odoo: by ``create``, or by ``web_save`` without an id (how the flow books)."""
    calls = pipeline.odoo.control.counters()["calls"].get("sale.order", {})
    return int(calls.get("create", 0)) + int(calls.get("web_save", 0))


def _window(orders):
    times = [parse_shopify_timestamp(o["created_at"]) for o in orders]
    return min(times) - timedelta(seconds=1), max(times) + timedelta(seconds=1)


def _open(pipeline):
    close_old_connections()
    return sorted(
        (d.code, d.subject)
        for d in Discrepancy.objects.filter(shop=pipeline.shop, status=Discrepancy.Status.OPEN)
    )


def _run(pipeline, since, until, **options):
    run = run_create(
        shop=pipeline.shop, kind="orders", window_start=since, window_end=until, enqueue=False, **options
    )
    return run_execute(run_id=run.pk)


def test_a_missed_webhook_is_backfilled_exactly_once_when_the_late_delivery_also_arrives(pipeline):
    # given the next orders/create delivery is an hour late, and another order arrives on time
    pipeline.shopify.control.delivery_fault("delay", topic="orders/create", count=1, delay_seconds=3600)
    late = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=71)[0]
    on_time = pipeline.generate_orders(1, skus=SKUS, quantity=2, seed=72)[0]
    pipeline.settle(expect_jobs=1)
    assert pipeline.sale_orders(late["id"]) == []
    since, until = _window([late, on_time])

    # when finance runs order completeness for the window (the worker runs it)
    run = run_create(shop=pipeline.shop, kind="orders", window_start=since, window_end=until)
    run = wait_for(
        lambda: (r := ReconciliationRun.objects.get(pk=run.pk)).status == "succeeded" and r,
        timeout=90,
        message="the run to finish",
    )

    # then the missing order is found and a backfill job books it from Shopify's current state
    assert (run.counts["shopify_orders"], run.counts["matched"], run.counts["missing_in_odoo"]) == (2, 1, 1)
    assert run.counts["backfilled"] == 1
    pipeline.settle()
    backfill = pipeline.order_jobs(late["id"], "order.backfill")
    assert [(j.state, j.result["outcome"]) for j in backfill] == [(JobState.SUCCEEDED, "created")]
    booked = pipeline.sale_orders(late["id"])
    assert len(booked) == 1 and booked[0]["state"] == "sale"

    # when the late delivery arrives after all (an hour later on the sandbox clock)
    pipeline.shopify.control.advance_clock(3700)
    pipeline.shopify.control.wait_for_deliveries(
        lambda rows: any(
            r["topic"] == "orders/create" and r["status"] == "delivered" and str(late["id"]) in r["body"]
            for r in rows
        )
    )
    pipeline.settle(expect_jobs=3)

    # then its job finds the order and books nothing: one sale order, two creates in all (one per order)
    webhook_jobs = pipeline.order_jobs(late["id"], "order.upsert")
    assert [(j.state, j.result["outcome"]) for j in webhook_jobs] == [(JobState.SUCCEEDED, "stale")]
    assert len(pipeline.sale_orders(late["id"])) == 1
    assert _creates(pipeline) == 2
    assert ExternalLink.objects.filter(kind="order", shopify_id=str(late["id"])).count() == 1

    # and a re-run of the window matches both, makes no second backfill and clears the discrepancy
    again = _run(pipeline, since, until, trigger="rerun", rerun_of=run)
    assert (again.counts["matched"], again.counts["missing_in_odoo"], again.counts["backfilled"]) == (2, 0, 0)
    assert again.counts["cleared"] == 1
    assert len(pipeline.order_jobs(late["id"], "order.backfill")) == 1
    assert _open(pipeline) == []
    cleared = Discrepancy.objects.get(subject=f"order:{late['id']}")
    assert [a.action for a in cleared.activity.all()] == ["found", "backfill", "cleared"]


def test_each_class_of_discrepancy_is_found_without_false_alarms_and_a_rerun_gives_the_same(pipeline):
    rpc = pipeline.rpc
    # given five orders booked in Odoo, one parked on an unmapped SKU, and one whose webhook was dropped
    clean = pipeline.generate_orders(2, skus=SKUS, quantity=1, seed=81)
    cancel_shopify, cancel_odoo, total = pipeline.generate_orders(3, skus=SKUS, quantity=1, seed=82)
    parked = pipeline.generate_orders(1, skus=["BEANIE-RUST"], quantity=1, seed=83)[0]
    pipeline.settle(expect_jobs=6)
    pipeline.shopify.control.delivery_fault("drop", topic="orders/create", count=1)
    dropped = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=84)[0]
    # and: cancelled in Shopify only (its webhooks dropped), cancelled in Odoo only, a total changed in Odoo,
    # and a sale order in Odoo whose reference Shopify does not know
    pipeline.shopify.control.delivery_fault("drop", topic="orders/cancelled", count=1)
    pipeline.shopify.control.delivery_fault("drop", topic="orders/updated", count=5)
    pipeline.shopify.control.cancel(cancel_shopify["id"], reason="customer")
    odoo_cancel = pipeline.sale_orders(cancel_odoo["id"])[0]["id"]
    rpc.env["sale.order"].browse(odoo_cancel).action_cancel()
    changed = pipeline.sale_orders(total["id"])[0]
    rpc.env["sale.order.line"].browse(changed["order_line"][0]).write({"price_unit": 1.0})
    partner = rpc.env["res.partner"].search([], limit=1)[0]
    stray = rpc.env["sale.order"].create({"partner_id": partner, "client_order_ref": "990000000001"})
    # and a deleted webhook subscription
    shopify = shopify_client_for(pipeline.shop)
    victim = next(s for s in shopify.list_webhook_subscriptions() if s.topic == "ORDERS_CANCELLED")
    shopify.delete_webhook_subscription(victim.id)
    pipeline.settle()
    everything = [*clean, cancel_shopify, cancel_odoo, total, parked, dropped]
    since, until = _window(everything)
    # Odoo stamps its own create_date (wall clock) and an earlier test may have moved the Shopify sandbox's
    # clock: the window spans both (the sandboxes are reset, so nothing but this test's orders is in it).
    stamped = rpc.env["sale.order"].read([stray], ["create_date"])[0]["create_date"]
    odoo_time = parse_shopify_timestamp(stamped.replace(" ", "T") + "Z")
    since, until = min(since, odoo_time) - timedelta(minutes=1), max(until, odoo_time) + timedelta(minutes=1)

    # when order completeness runs for the window
    run = _run(pipeline, since, until)

    # then exactly the seeded differences are found
    expected = sorted(
        [
            ("order_cancelled_in_odoo_only", f"order:{cancel_odoo['id']}"),
            ("order_cancelled_in_shopify_only", f"order:{cancel_shopify['id']}"),
            ("order_missing_in_odoo", f"order:{dropped['id']}"),
            ("order_missing_in_odoo", f"order:{parked['id']}"),
            ("order_missing_in_shopify", "order:990000000001"),
            ("order_total_differs", f"order:{total['id']}"),
        ]
    )
    assert _open(pipeline) == expected, run.counts
    counts = run.counts
    assert {k: counts[k] for k in ("shopify_orders", "matched", "missing_in_odoo", "backfilled")} == {
        "shopify_orders": 7,
        "matched": 2,
        "missing_in_odoo": 2,
        "backfilled": 1,  # the dropped one; the parked one waits for its mapping, not for a backfill
    }
    assert (counts["waiting_or_parked"], counts["cancelled_mismatch"], counts["total_differs"]) == (1, 2, 1)
    assert (counts["missing_in_shopify"], counts["webhooks_repaired"]) == (1, 1)
    assert "ORDERS_CANCELLED" in {s.topic for s in shopify.list_webhook_subscriptions()}
    differs = Discrepancy.objects.get(code="order_total_differs")
    assert differs.amount_shopify == Decimal(total["total_price"])
    assert differs.amount_odoo == changed_total(pipeline, total["id"])
    assert differs.amount_shopify != differs.amount_odoo

    # when it runs again (the backfill has booked the dropped order meanwhile)
    pipeline.settle()
    again = _run(pipeline, since, until, trigger="rerun", rerun_of=run)
    # then the same differences, one row each, and the backfilled order now matches
    assert _open(pipeline) == [e for e in expected if e[1] != f"order:{dropped['id']}"]
    assert again.counts["matched"] == 3 and again.counts["backfilled"] == 0
    assert Discrepancy.objects.filter(shop=pipeline.shop).count() == 6
    assert Discrepancy.objects.get(code="order_total_differs").times_seen == 2
    # and a third run, with nothing changed, gives exactly the second one's counts
    third = _run(pipeline, since, until)
    assert {k: v for k, v in third.counts.items() if k != "cleared"} == {
        k: v for k, v in again.counts.items() if k != "cleared"
    }


def changed_total(pipeline, order_id):
    return Decimal(str(pipeline.sale_orders(order_id)[0]["amount_total"])).quantize(Decimal("0.01"))


def test_the_daily_run_stores_a_report_and_mails_it_to_the_shops_recipients_once(pipeline):
    # given the shop's finance and ops recipients, and a day with one order
    entry = MappingEntry.objects.get(shop=pipeline.shop, table="shop", key="shop", valid_to__isnull=True)
    entry.value = {
        **entry.value,
        "finance_recipients": ["fin@example.com"],
        "ops_recipients": ["ops@example.com"],
    }
    entry.save()
    engine_mappings._cache.clear()
    order = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=91)[0]
    pipeline.settle(expect_jobs=1)
    day = parse_shopify_timestamp(order["created_at"]).date()

    # when the schedule runs for that day (twice: the task is safe to run twice), executed here
    runs = runs_daily(day=day, enqueue=False)
    assert runs_daily(day=day, enqueue=False) == []
    assert len(runs) == 1
    run = run_execute(run_id=runs[0].pk)
    assert run_execute(run_id=run.pk).counts == run.counts  # a second execution does nothing

    # then the report is stored with the day's counts and was mailed once to both
    report = DailyReport.objects.get(shop=pipeline.shop, day=day)
    assert (report.run_id, report.counts["shopify_orders"], report.counts["matched"]) == (run.pk, 1, 1)
    assert report.recipients == ["fin@example.com", "ops@example.com"]
    assert report.emailed_at is not None
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (
            ["fin@example.com", "ops@example.com"],
            f"[opsconsole] Orders {pipeline.shop.domain} {day.isoformat()}: 0 missing, 0 differing",
        )
    ]
    assert "Missing in Odoo" in report.body and pipeline.shop.domain in report.body
    assert (run.window_start, run.window_end) == day_window(day)
    assert run.trigger == "schedule" and run.started_by is None
    # a person's re-run of that day updates the stored report and does not mail it again
    before = report.emailed_at
    rerun = _run(pipeline, *day_window(day), trigger="rerun", rerun_of=run)
    report.refresh_from_db()
    assert (report.run_id, report.emailed_at) == (rerun.pk, before)
    assert len(mail.outbox) == 1
