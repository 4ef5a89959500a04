"""Orders from the Shopify sandbox to the Odoo sandbox through webhook, inbox, queue, worker and flows."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from sync.models import ExternalLink, JobState

pytestmark = pytest.mark.e2e


def _deliveries_for(pipeline, order_id, topic="orders/create"):
    return [
        d
        for d in pipeline.shopify.control.deliveries(topic=topic)
        if str(order_id) in json.dumps(d.get("payload_id", d.get("resource_id", "")))
        or str(d.get("resource_id")) == str(order_id)
    ]


def test_a_generated_order_becomes_one_confirmed_sale_order_with_shopify_totals(pipeline):
    # given a paid order placed in the Shopify sandbox with mapped SKUs
    order = pipeline.generate_orders(1, skus=["MERINOTE-M-NAVY", "CERAMICM-SAND"], quantity=2, seed=7)[0]

    # when its webhook is delivered and the worker runs the job
    jobs = pipeline.settle(expect_jobs=1)

    # then Odoo holds exactly one confirmed sale order totalling what Shopify charged
    order_jobs = [j for j in jobs if j.kind == "order.upsert"]
    assert [j.state for j in order_jobs] == [JobState.SUCCEEDED]
    assert all(j.state == JobState.SUCCEEDED for j in jobs)
    orders = pipeline.sale_orders(order["id"])
    assert len(orders) == 1
    assert orders[0]["state"] == "sale"
    assert orders[0]["origin"] == order["name"]
    assert Decimal(str(orders[0]["amount_total"])).quantize(Decimal("0.01")) == Decimal(order["total_price"])
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))
    assert link.odoo_id == orders[0]["id"]
    assert order_jobs[0].result["odoo_order_id"] == orders[0]["id"]
    assert order_jobs[0].attempt_set.count() == 1
