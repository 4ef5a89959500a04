"""customers/create and customers/update into res.partner, loop-safe: an update that changes nothing Odoo
holds (an echo of a change we wrote, or a touch) is not written again."""

from __future__ import annotations

import time

import pytest

from sync.models import ExternalLink, JobState
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


def _customer_jobs(pipeline, customer_id, count):
    def enough():
        pipeline.sweep()
        jobs = pipeline.jobs(kind="customer.upsert", subject=f"customer:{customer_id}")
        done = all(j.state == JobState.SUCCEEDED for j in jobs)
        return jobs if len(jobs) >= count and done else None

    return wait_for(enough, timeout=60, message=f"{count} customer job(s) of {customer_id}")


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
    jobs = _customer_jobs(pipeline, customer["id"], 2)

    # then nothing is written to Odoo
    assert jobs[-1].result["outcome"] == "unchanged"
    # (the streams of Odoo changes read on their own cycles: only the job's calls and any write count here)
    counters = pipeline.odoo.control.counters()
    assert counters["by_correlation_id"].get(str(jobs[-1].correlation_id), []) == []
    assert jobs[-1].attempt_set.get().external_calls == []
    assert {m for methods in counters["calls"].values() for m in methods} <= {"search_read", "read"}

    # when the phone really changes
    time.sleep(1.1)
    pipeline.shopify.control.update_customer(customer["id"], phone="+33 6 98 76 54 32")
    jobs = _customer_jobs(pipeline, customer["id"], 3)

    # then Odoo has the new phone
    assert jobs[-1].result["outcome"] == "updated"
    assert pipeline.rpc.env["res.partner"].read([partner_id], ["phone"])[0]["phone"] == "+33 6 98 76 54 32"
