"""customers/create and customers/update into res.partner, loop-safe: an update that changes nothing Odoo
holds (an echo of a change we wrote, or a touch) is not written again."""

from __future__ import annotations

import time

import pytest

from sync.models import ExternalLink, InboundEvent, JobState
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


def _customer_jobs(pipeline, customer_id, count):
    def enough():
        pipeline.sweep()
        jobs = pipeline.jobs(kind="customer.upsert", subject=f"customer:{customer_id}")
        done = all(j.state == JobState.SUCCEEDED for j in jobs)
        return jobs if len(jobs) >= count and done else None

    return wait_for(enough, timeout=60, message=f"{count} customer job(s) of {customer_id}")


def _handled_deliveries(pipeline, customer_id, count):
    """The customer's deliveries that made no job of their own, once ``count`` of them are ingested."""

    def enough():
        pipeline.ingest_here()
        found = list(
            InboundEvent.objects.filter(
                shop=pipeline.shop,
                subject_id=str(customer_id),
                topic="customers/update",
                handled_by__isnull=False,
            ).order_by("pk")
        )
        return found if len(found) >= count else None

    return wait_for(
        enough, timeout=60, message=f"{count} handled customers/update deliveries of {customer_id}"
    )


def test_a_customer_update_that_changes_nothing_is_not_written_again_and_a_real_change_is(pipeline):
    # given a new Shopify customer, created in Odoo
    customer = pipeline.shopify.control.create_customer(
        email="loop.safe@example.net", first_name="Lou", last_name="Safe", phone="+33 6 12 34 56 78"
    )
    [created] = _customer_jobs(pipeline, customer["id"], 1)
    assert created.result["outcome"] == "created"
    partner_id = ExternalLink.objects.get(kind="customer", shopify_id=str(customer["id"])).odoo_id

    # when Shopify sends customers/update with the same values (a newer updated_at, nothing else)
    time.sleep(1.1)  # Shopify timestamps have whole seconds: make the update strictly newer
    pipeline.odoo.control.reset_counters()
    pipeline.shopify.control.update_customer(customer["id"], first_name="Lou")
    [touch] = _handled_deliveries(pipeline, customer["id"], 1)

    # then it makes no job: the job that applied these values handled it, and nothing is written to Odoo
    assert (touch.handled_by_id, touch.handled_as) == (created.pk, "unchanged")
    assert [j.pk for j in pipeline.jobs(kind="customer.upsert", subject=f"customer:{customer['id']}")] == [
        created.pk
    ]
    # (the streams of Odoo changes read on their own cycles: only the job's calls and any write count here)
    counters = pipeline.odoo.control.counters()
    assert {m for methods in counters["calls"].values() for m in methods} <= {"search_read", "read"}

    # when the customer orders (Shopify sends customers/update: orders_count, total_spent, last order)
    time.sleep(1.1)
    [order] = pipeline.generate_orders(1, customer_id=customer["id"])
    [bump] = _handled_deliveries(pipeline, customer["id"], 2)[1:]

    # then that costs no customer job either, and the order is booked
    assert (bump.handled_by_id, bump.handled_as, bump.payload["orders_count"]) == (created.pk, "unchanged", 1)
    wait_for(
        lambda: [j for j in pipeline.order_jobs(order["id"]) if j.state == JobState.SUCCEEDED] or None,
        timeout=60,
        message="the order booked",
    )

    # when the phone really changes
    time.sleep(1.1)
    pipeline.shopify.control.update_customer(customer["id"], phone="+33 6 98 76 54 32")
    jobs = _customer_jobs(pipeline, customer["id"], 2)

    # then Odoo has the new phone
    assert jobs[-1].result["outcome"] == "updated"
    assert pipeline.rpc.env["res.partner"].read([partner_id], ["phone"])[0]["phone"] == "+33 6 98 76 54 32"
