"""Chaos on our Shopify calls: 429s and THROTTLED answers (the Shopify stand-in's API faults) while orders
flow in and stock pushes run out, judged by the chaos checker (tests/support/checker.py), which also holds
that no write Shopify applied for us (its inventory adjustment groups) was applied twice. This module runs
the stock-out worker of tests/e2e/test_stock_out.py (stock out on, a 2-second stream cycle)."""

from __future__ import annotations

import random
import time

import pytest

from sync.models import JobState
from tests.e2e.test_stock_out import odoo, quiet, set_stock, shopify, worker  # noqa: F401
from tests.e2e.test_stock_out import stock as stock
from tests.support.checker import assert_linearizable, shopify_inventory_writes
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]
STOCK_SKUS = ["NOTEBOOK-BLACK", "CERAMICM-SAND", "MERINOTE-M-NAVY"]


def test_429_and_throttled_storms_on_our_shopify_calls_lose_double_and_rewrite_nothing(stock):
    pipeline = stock
    seed = 4290
    rng = random.Random(seed)
    adjustments = pipeline.shopify.control.inventory_adjustments()
    since = max((int(g["id"]) for g in adjustments), default=0)
    targets: dict[str, int] = {}
    orders = []

    # when, round after round, Shopify answers a storm of our calls with 429 (Retry-After) or THROTTLED
    # (an emptied cost bucket) while an order arrives and Odoo's stock of a SKU changes
    for i in range(6):
        if rng.random() < 0.5:
            pipeline.shopify.control.api_fault("429", count=rng.randint(2, 5), retry_after=1)
        else:
            pipeline.shopify.control.api_fault("throttle", count=rng.randint(2, 5))
        orders += pipeline.generate_orders(1, skus=[rng.choice(SKUS)], quantity=1, seed=seed + i)
        sku = rng.choice(STOCK_SKUS)
        targets[sku] = rng.randint(50, 90)
        set_stock(pipeline, [(sku, targets[sku])])
        time.sleep(rng.uniform(0.0, 1.5))

    # and the storm passes
    pipeline.shopify.control.clear_faults()
    wait_for(
        lambda: _pushed(pipeline, targets),
        timeout=120,
        interval=0.5,
        message="Shopify's stock to reach Odoo's",
    )
    pipeline.settle(timeout=180, expect_jobs=len(orders))
    quiet(pipeline)

    # then every acknowledged order is in Odoo exactly once, and no inventory write Shopify applied for
    # us was applied twice
    writes = shopify_inventory_writes(pipeline.shopify.control.inventory_adjustments(), since_id=since)
    verdict = assert_linearizable(pipeline, shopify_writes=writes)
    assert verdict.completed == len(orders), f"seed={seed}: {verdict}"
    assert writes, "the stock pushes wrote to Shopify"
    assert pipeline.jobs(state__in=[JobState.DEAD, JobState.NEEDS_ATTENTION]) == []


def _pushed(pipeline, targets: dict[str, int]) -> bool:
    """Shopify shows Odoo's available for each changed SKU (orders reserve nothing at WH/Stock here)."""
    skus = sorted(targets)
    return shopify(pipeline, skus) == odoo(pipeline, skus)
