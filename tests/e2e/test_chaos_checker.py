"""The chaos checker catches what it is there to catch: fabricated histories with a lost, a doubled or a
phantom order and a Shopify write applied twice."""

from __future__ import annotations

import json

from tests.support.checker import History, acknowledged_orders, check, shopify_inventory_writes


def _delivery(order_id: int, *codes: int, topic: str = "orders/create") -> dict:
    return {
        "topic": topic,
        "body": json.dumps({"id": order_id}),
        "attempts": [{"status_code": c} for c in codes],
    }


def test_a_clean_history_passes():
    verdict = check(History(acknowledged={"1", "2", "3"}, sale_orders={"1": [10], "2": [11]}, parked={"3"}))
    assert verdict.ok, str(verdict)
    assert (verdict.completed, verdict.parked) == (2, 1)


def test_an_acknowledged_order_with_no_sale_order_and_no_parked_job_is_lost():
    verdict = check(History(acknowledged={"1", "2"}, sale_orders={"1": [10]}))
    assert not verdict.ok
    assert verdict.lost == ["2"]


def test_an_acknowledged_order_with_two_sale_orders_is_doubled_even_if_parked():
    verdict = check(History(acknowledged={"1"}, sale_orders={"1": [12, 10]}, parked={"1"}))
    assert not verdict.ok
    assert verdict.doubled == {"1": [10, 12]}


def test_a_sale_order_for_an_order_nobody_acknowledged_is_a_phantom():
    verdict = check(History(acknowledged={"1"}, sale_orders={"1": [10], "9": [11]}))
    assert not verdict.ok
    assert verdict.phantom == {"9": [11]}


def test_a_shopify_write_applied_twice_is_caught():
    writes = [
        ("inventorySetQuantities", "k1"),
        ("inventorySetQuantities", "k2"),
        ("inventorySetQuantities", "k1"),
    ]
    verdict = check(History(shopify_writes=writes))
    assert not verdict.ok
    assert verdict.rewritten == {("inventorySetQuantities", "k1"): 2}


def test_only_deliveries_answered_2xx_count_as_acknowledged():
    rows = [
        _delivery(1, 200),
        _delivery(2, 500, 502),  # Shopify still owes a retry: not ours yet
        _delivery(3, 503, 204),
        _delivery(4, 200, topic="customers/create"),
        _delivery(5, 200, topic="orders/updated"),
    ]
    assert acknowledged_orders(rows) == {"1", "3", "5"}


def test_the_same_level_set_twice_by_one_job_is_a_shopify_write_done_twice():
    def group(gid: int, reference: str, after: int) -> dict:
        change = {"name": "available", "item_id": 7, "location_id": 3, "after": after, "delta": 1}
        return {"id": gid, "reference": reference, "changes": [change]}

    adjustments = [
        group(1, "gid://opsconsole/SyncJob/5", 40),  # before the run: left out
        group(2, "gid://opsconsole/SyncJob/6", 41),
        group(3, "gid://opsconsole/SyncJob/7", 41),  # another job may set the same value
        group(4, "gid://opsconsole/SyncJob/6", 41),  # the same job's write applied again
        group(5, "gid://shopify/Order/9", 40),  # not ours (a sale)
    ]
    writes = shopify_inventory_writes(adjustments, since_id=1)
    assert len(writes) == 3
    verdict = check(History(shopify_writes=writes))
    assert verdict.rewritten == {("inventory", "gid://opsconsole/SyncJob/6 7@3=41"): 2}
