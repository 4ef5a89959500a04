"""The sales a stock push holds back for (sync/flows/stock.py ``pending_sales``), summed in PostgreSQL, and
the order deliveries it cannot count yet (``sales_uncounted``). The rules are checked case by case, then
against the straightforward reading in Python over random data (the implementation before it moved into
SQL: every pending job's body carried to the worker)."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from sync.flows.stock import PENDING_ORDER_STATES, SALE_LINES_SQL, pending_sales, sales_uncounted
from sync.models import InboundEvent, JobState, SyncJob
from tests.factories import ShopifyShopFactory

pytestmark = pytest.mark.django_db

_SEQ = iter(range(1, 10**9))


def _delivery(
    shop: Any, payload: Any, *, topic: str = "orders/updated", ingested: bool = True
) -> InboundEvent:
    n = next(_SEQ)
    event = InboundEvent.objects.create(
        shop=shop, topic=topic, webhook_id=f"wh-{n}", raw_body=b"{}", payload=payload if ingested else None
    )
    if not ingested:
        InboundEvent.objects.filter(pk=event.pk).update(ingested_at=None)
    return event


def _job(shop: Any, order: int, state: str, event: InboundEvent | None) -> SyncJob:
    return SyncJob.objects.create(
        kind="order.upsert",
        flow="orders",
        shop=shop,
        idempotency_key=f"job-{next(_SEQ)}",
        subject=f"order:{order}",
        state=state,
        event=event,
    )


def _order(order: int, lines: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": order, "line_items": lines, **extra}


def test_each_unbooked_order_counts_once_by_its_newest_delivery():
    shop = ShopifyShopFactory()
    # order 1: created with 2 units, edited to 5 (a newer job): 5 count
    _job(shop, 1, JobState.SUCCEEDED, _delivery(shop, _order(1, [{"sku": "A", "quantity": 2}])))
    SyncJob.objects.filter(subject="order:1").delete()
    _job(shop, 1, JobState.RETRYING, _delivery(shop, _order(1, [{"sku": "A", "quantity": 2}])))
    _job(
        shop,
        1,
        JobState.QUEUED,
        _delivery(shop, _order(1, [{"sku": "A", "quantity": 5, "current_quantity": 5}])),
    )
    # order 2: booked already (a job succeeded), an update still queued: Odoo shows it, nothing counts
    _job(shop, 2, JobState.SUCCEEDED, _delivery(shop, _order(2, [{"sku": "A", "quantity": 7}])))
    _job(shop, 2, JobState.QUEUED, _delivery(shop, _order(2, [{"sku": "A", "quantity": 7}])))
    # order 3: cancelled before it was booked: nothing counts
    _job(
        shop, 3, JobState.QUEUED, _delivery(shop, _order(3, [{"sku": "A", "quantity": 4}], cancelled_at="x"))
    )
    # order 4: a line refunded down to 1 (current_quantity), another SKU, one not asked for
    _job(
        shop,
        4,
        JobState.NEEDS_ATTENTION,
        _delivery(
            shop,
            _order(
                4,
                [
                    {"sku": "A", "quantity": 3, "current_quantity": 1},
                    {"sku": "B", "quantity": 2},
                    {"sku": "C", "quantity": 9},
                ],
            ),
        ),
    )
    # order 5: a purged body, a body without line items: nothing, and no error
    _job(shop, 5, JobState.QUEUED, _delivery(shop, None))
    _job(shop, 6, JobState.QUEUED, _delivery(shop, {"id": 6, "line_items": "none"}))
    # another shop's order of the same SKU
    other = ShopifyShopFactory()
    _job(other, 1, JobState.QUEUED, _delivery(other, _order(1, [{"sku": "A", "quantity": 100}])))

    assert pending_sales(shop_id=shop.pk, skus=["A", "B"]) == {"A": 6, "B": 2}
    assert pending_sales(shop_id=shop.pk, skus=[]) == {}


def _python_reading(shop_id: int, skus: list[str]) -> dict[str, int]:
    wanted = set(skus)
    pending = list(
        SyncJob.objects.filter(shop_id=shop_id, kind="order.upsert", state__in=PENDING_ORDER_STATES)
        .order_by("subject", "-pk")
        .values_list("subject", "event_id")
    )
    booked = set(
        SyncJob.objects.filter(shop_id=shop_id, kind="order.upsert", state=JobState.SUCCEEDED).values_list(
            "subject", flat=True
        )
    )
    newest: dict[str, int] = {}
    for subject, event_id in pending:
        if subject not in booked and event_id is not None and subject not in newest:
            newest[subject] = event_id
    out: dict[str, int] = defaultdict(int)
    for payload in InboundEvent.objects.filter(pk__in=newest.values()).values_list("payload", flat=True):
        if not isinstance(payload, dict) or payload.get("cancelled_at"):
            continue
        for line in payload.get("line_items") or []:
            sku = line.get("sku") or ""
            if sku in wanted:
                out[sku] += int(line.get("current_quantity", line.get("quantity", 0)) or 0)
    return {k: v for k, v in out.items() if v}


def test_the_sum_in_postgresql_agrees_with_reading_every_body_over_random_orders():
    rng = random.Random(18)
    shop = ShopifyShopFactory()
    states = [*PENDING_ORDER_STATES, JobState.SUCCEEDED, JobState.DEAD]
    for order in range(300):
        for _ in range(rng.randint(1, 3)):
            lines = [
                {
                    "sku": rng.choice(["A", "B", "C", "D", ""]),
                    "quantity": rng.randint(0, 5),
                    **({"current_quantity": rng.randint(0, 5)} if rng.random() < 0.3 else {}),
                }
                for _ in range(rng.randint(0, 4))
            ]
            extra = {"cancelled_at": "2026-11-27T10:00:00Z"} if rng.random() < 0.1 else {}
            event = _delivery(shop, _order(order, lines, **extra)) if rng.random() < 0.95 else None
            _job(shop, order, rng.choice(states), event)
    for skus in (["A"], ["A", "B", "C"], ["D", "E"]):
        assert pending_sales(shop_id=shop.pk, skus=skus) == _python_reading(shop.pk, skus)
    # and the same once ingest has stored the units per SKU of about half of them (``sale_lines``), the
    # rest read from their payloads (deliveries ingested before the column existed)
    half = [pk for pk in InboundEvent.objects.values_list("pk", flat=True) if rng.random() < 0.5]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE sync_inboundevent SET sale_lines = {SALE_LINES_SQL.format(payload='payload')} "  # noqa: S608
            "WHERE id = ANY(%s)",
            [half],
        )
    assert InboundEvent.objects.filter(sale_lines__isnull=False).count() == len(half) > 100
    for skus in (["A"], ["A", "B", "C"], ["D", "E"]):
        assert pending_sales(shop_id=shop.pk, skus=skus) == _python_reading(shop.pk, skus)


def test_a_push_sums_the_units_ingest_stored_rather_than_reading_each_body_again():
    # given an unbooked order whose delivery's stored units (ingest's) say 9 of A, and its body 1
    shop = ShopifyShopFactory()
    event = _delivery(shop, _order(1, [{"sku": "A", "quantity": 1}]))
    _job(shop, 1, JobState.QUEUED, event)
    InboundEvent.objects.filter(pk=event.pk).update(sale_lines={"A": 9, "B": 2})
    # then the stored units are what counts
    assert pending_sales(shop_id=shop.pk, skus=["A"]) == {"A": 9}


def test_order_deliveries_not_ingested_yet_are_counted_as_uncounted_sales():
    shop = ShopifyShopFactory()
    _delivery(shop, None, topic="orders/create", ingested=False)
    _delivery(shop, None, topic="orders/edited", ingested=False)
    _delivery(shop, None, topic="inventory_levels/update", ingested=False)  # not a sale
    _delivery(shop, {"id": 1}, topic="orders/create")  # ingested: its job counts it
    _delivery(ShopifyShopFactory(), None, topic="orders/create", ingested=False)  # another shop's
    assert sales_uncounted(shop_id=shop.pk) == 2
    # a push asks only for those received before its attempt began
    began = timezone.now()
    _delivery(shop, None, topic="orders/create", ingested=False)
    assert sales_uncounted(shop_id=shop.pk, received_before=began) == 2
    assert sales_uncounted(shop_id=shop.pk) == 3
