from datetime import UTC, datetime, timedelta

import pytest

from sync.transforms.topics import freshness_problem, topic_shape_problem

SHOP = "demo.myshopify.com"
ORDER = {"id": 5, "admin_graphql_api_id": "gid://shopify/Order/5", "line_items": [], "cancelled_at": None}
CUSTOMER = {"id": 7, "admin_graphql_api_id": "gid://shopify/Customer/7", "email": "a@b.c"}
REDACT = {"shop_id": 1, "shop_domain": SHOP, "customer": {"id": 7}, "orders_to_redact": [5]}
REFUND = {"id": 8, "order_id": 5, "admin_graphql_api_id": "gid://shopify/Refund/8", "refund_line_items": []}
DATA = {
    **{k: v for k, v in REDACT.items() if k != "orders_to_redact"},
    "orders_requested": [5],
    "data_request": {"id": 9},
}


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("orders/create", ORDER),
        ("orders/updated", ORDER),
        ("orders/cancelled", {**ORDER, "cancelled_at": "2026-11-30T10:00:00Z"}),
        ("orders/edited", {"order_edit": {"order_id": 5}}),
        ("customers/update", CUSTOMER),
        ("customers/redact", REDACT),
        ("customers/data_request", DATA),
        ("shop/redact", {"shop_id": 1, "shop_domain": SHOP}),
        ("products/update", {"id": 3, "variants": [], "admin_graphql_api_id": "gid://shopify/Product/3"}),
        ("inventory_levels/update", {"inventory_item_id": 4, "location_id": 6, "available": 2}),
        ("fulfillments/create", {"id": 9, "order_id": 5, "line_items": []}),
        ("app/uninstalled", {"id": 1, "domain": SHOP, "myshopify_domain": SHOP}),
        ("themes/publish", {"anything": True}),
        ("refunds/create", REFUND),
    ],
)
def test_documented_shapes_fit(topic, payload):
    assert topic_shape_problem(topic, payload, shop_domain=SHOP) is None


@pytest.mark.parametrize(
    ("topic", "payload", "problem"),
    [
        ("orders/cancelled", ORDER, "cancelled_at is empty: the order in the body is not cancelled"),
        ("orders/create", CUSTOMER, "line_items is missing: not an order"),
        ("customers/update", ORDER, "the body has line_items: an order, not a customer"),
        ("customers/update", {**CUSTOMER, "admin_graphql_api_id": "gid://shopify/Order/7"}, "admin_graphql"),
        ("customers/redact", {**ORDER, "customer": {"id": 7}}, "shop_id is missing or not a number"),
        ("customers/redact", {**REDACT, "shop_domain": "x.myshopify.com"}, "is not the shop the delivery"),
        ("customers/redact", {**REDACT, "orders_to_redact": ["5"]}, "orders_to_redact is missing"),
        ("customers/redact", {**REDACT, "line_items": []}, "the body is a resource"),
        ("customers/data_request", REDACT, "orders_requested is missing"),
        ("shop/redact", REDACT, "the body carries more than a shop"),
        ("orders/edited", ORDER, "order_edit.order_id is missing"),
        ("refunds/create", ORDER, "id or order_id is missing"),
        ("fulfillments/update", ORDER, "id or order_id is missing"),
        ("products/update", ORDER, "id or variants is missing"),
        ("inventory_levels/update", ORDER, "inventory_item_id or location_id is missing"),
        ("app/uninstalled", ORDER, "the body has line_items"),
        ("app/uninstalled", {"id": 1, "domain": "other.myshopify.com"}, "is not the shop the delivery"),
        ("refunds/create", {**REFUND, "refund_line_items": None}, "refund_line_items is missing"),
    ],
)
def test_other_shapes_are_refused_with_the_reason(topic, payload, problem):
    assert problem in (topic_shape_problem(topic, payload, shop_domain=SHOP) or "")


def test_freshness_applies_to_destructive_topics_only():
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    window = timedelta(hours=24)
    old = now - timedelta(hours=25)
    assert freshness_problem("orders/create", old, now=now, window=window) is None
    assert freshness_problem("orders/create", None, now=now, window=window) is None
    assert freshness_problem("orders/cancelled", now - timedelta(hours=23), now=now, window=window) is None
    assert "more than 24 h ago" in (freshness_problem("orders/cancelled", old, now=now, window=window) or "")
    assert "missing" in (freshness_problem("shop/redact", None, now=now, window=window) or "")
