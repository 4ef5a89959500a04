"""Webhook bodies have the shape of Shopify's published payloads, and generated orders add up to the cent."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from sandbox import catalogue
from sandbox.shopify.testing import running_sandbox

D = Decimal


def _bodies(receiver, topic):
    return [json.loads(r.body) for r in receiver.requests if r.headers["X-Shopify-Topic"] == topic]


def _missing(reference, body):
    return sorted(set(reference) - set(body))


def test_webhook_bodies_carry_every_top_level_field_of_the_reference_payloads(
    fresh, client, receiver, reference
):
    # given subscriptions to every topic with a reference payload
    topics = [
        "ORDERS_CREATE",
        "ORDERS_UPDATED",
        "ORDERS_CANCELLED",
        "REFUNDS_CREATE",
        "CUSTOMERS_CREATE",
        "CUSTOMERS_UPDATE",
        "PRODUCTS_UPDATE",
        "INVENTORY_LEVELS_UPDATE",
        "FULFILLMENTS_CREATE",
    ]
    for topic in topics:
        client.create_webhook_subscription(topic, receiver.url)
    # when the shop sees an order, a refund, a fulfilment, a cancellation, customer, product and stock changes
    orders = fresh.control.generate_orders(count=3, seed=31, gift_card=False)
    first_line = orders[0]["line_items"][0]
    fresh.control.refund(
        orders[0]["id"],
        line_items=[{"line_item_id": first_line["id"], "quantity": 1, "restock_type": "return"}],
        note="too small",
    )
    fresh.control.fulfill(orders[1]["id"], tracking={"company": "DHL", "number": "JD0001"})
    fresh.control.cancel(orders[2]["id"], reason="customer")
    fresh.control.create_customer(email="new@example.com", first_name="Nina", last_name="Roux")
    customer = fresh.control.customers()[0]
    fresh.control.update_customer(customer["id"], note="VIP")
    ref = client.inventory_items_by_sku(["CANVASTO-STD"])["CANVASTO-STD"]
    location = client.locations()[0]
    level = client.inventory_quantities(ref.inventory_item_id, [location.id])[location.id]
    from sync.connectors.shopify.types import InventorySet

    client.set_inventory_quantities([InventorySet(ref.inventory_item_id, location.id, 7, level["available"])])
    product = fresh.control.request("GET", "/_sandbox/shops/demo.myshopify.com/products")["products"][0]
    fresh.control.request("POST", f"/_sandbox/shops/demo.myshopify.com/products/{product['id']}/touch", {})
    receiver.wait_for(
        lambda r: (
            {x.headers["X-Shopify-Topic"] for x in r}
            >= {
                "orders/create",
                "orders/updated",
                "orders/cancelled",
                "refunds/create",
                "customers/create",
                "customers/update",
                "products/update",
                "inventory_levels/update",
                "fulfillments/create",
            }
        )
    )
    # then each body has every top-level field of the matching reference payload
    cases = {
        "orders/create": "app-js-2025-01-order.json",
        "orders/updated": "app-js-2025-01-order.json",
        "orders/cancelled": "app-js-2025-01-order.json",
        "refunds/create": "app-js-2025-01-refund.json",
        "customers/create": "app-js-2025-01-customer.json",
        "customers/update": "app-js-2025-01-customer.json",
        "products/update": "app-js-2025-01-product.json",
        "inventory_levels/update": "app-js-2025-01-inventory_level.json",
        "fulfillments/create": "app-js-2025-01-fulfillment.json",
    }
    for topic, name in cases.items():
        bodies = _bodies(receiver, topic)
        assert bodies, topic
        assert [_missing(reference(name), b) for b in bodies] == [[] for _ in bodies], topic
    # and nested line items carry the reference line item's fields
    ref_line = reference("app-js-2025-01-order.json")["line_items"][0]
    assert _missing(ref_line, _bodies(receiver, "orders/create")[0]["line_items"][0]) == []
    ref_refund_line = reference("app-js-2025-01-refund.json")["refund_line_items"][0]
    assert _missing(ref_refund_line, _bodies(receiver, "refunds/create")[0]["refund_line_items"][0]) == []
    # and nothing internal to the sandbox leaks
    assert not [k for r in receiver.requests for k in json.loads(r.body) if k.startswith("_")]


def test_privacy_and_uninstall_topics_have_shopifys_shapes(fresh, client, receiver):
    # the privacy topics go to the compliance URL of the app's configuration (not subscribable through the
    # API: they are not WebhookSubscriptionTopic values in 2026-07); app/uninstalled is an API subscription
    fresh.control.app_config(compliance_url=receiver.url)
    client.create_webhook_subscription("APP_UNINSTALLED", receiver.url)
    customer = fresh.control.customers()[0]
    order = fresh.control.generate_orders(count=1, seed=32, customer_id=customer["id"])[0]
    fresh.control.privacy("customers/redact", customer["id"])
    fresh.control.privacy("customers/data_request", customer["id"])
    fresh.control.privacy("shop/redact")
    fresh.control.uninstall()
    got = receiver.wait_for(lambda r: len(r) == 4)
    by_topic = {r.headers["X-Shopify-Topic"]: json.loads(r.body) for r in got}
    assert sorted(by_topic["customers/redact"]) == ["customer", "orders_to_redact", "shop_domain", "shop_id"]
    assert by_topic["customers/redact"]["orders_to_redact"] == [order["id"]]
    assert sorted(by_topic["customers/data_request"]) == [
        "customer",
        "data_request",
        "orders_requested",
        "shop_domain",
        "shop_id",
    ]
    assert sorted(by_topic["shop/redact"]) == ["shop_domain", "shop_id"]
    assert by_topic["app/uninstalled"]["myshopify_domain"] == "demo.myshopify.com"


def _check_order(o):
    """Shopify's arithmetic, in both currencies of the order."""
    for which in ("shop_money", "presentment_money"):

        def amt(ms, which=which):
            return D(ms[which]["amount"])

        lines = o["line_items"]
        line_total = sum((amt(li["price_set"]) * li["quantity"] for li in lines), D(0))
        line_disc = sum((amt(a["amount_set"]) for li in lines for a in li["discount_allocations"]), D(0))
        line_tax = sum((amt(t["price_set"]) for li in lines for t in li["tax_lines"]), D(0))
        ship = sum((amt(s["price_set"]) for s in o["shipping_lines"]), D(0))
        ship_tax = sum((amt(t["price_set"]) for s in o["shipping_lines"] for t in s["tax_lines"]), D(0))
        assert amt(o["total_line_items_price_set"]) == line_total
        assert amt(o["total_discounts_set"]) == line_disc
        assert amt(o["subtotal_price_set"]) == line_total - line_disc
        assert amt(o["total_tax_set"]) == line_tax + ship_tax
        assert sum((amt(t["price_set"]) for t in o["tax_lines"]), D(0)) == line_tax + ship_tax
        assert amt(o["total_shipping_price_set"]) == ship
        expected = line_total - line_disc + ship + (D(0) if o["taxes_included"] else line_tax + ship_tax)
        assert amt(o["total_price_set"]) == expected
        assert [li["total_discount"] for li in lines] == [
            str(sum((D(a["amount"]) for a in li["discount_allocations"]), D("0.00"))) for li in lines
        ]
    # the shop-currency shorthand fields agree with the sets
    for key in ("total_price", "subtotal_price", "total_tax", "total_discounts", "total_line_items_price"):
        assert o[key] == o[f"{key}_set"]["shop_money"]["amount"]


@pytest.mark.parametrize("taxes_included", [False, True])
def test_generated_orders_add_up_to_the_cent(fresh, taxes_included):
    fresh.control.settings(taxes_included=taxes_included)
    orders = fresh.control.generate_orders(count=40, seed=41)
    for o in orders:
        assert o["taxes_included"] is taxes_included
        _check_order(o)
    # and the generator produced the variety the flows must handle
    assert {o["presentment_currency"] for o in orders} >= {"EUR", "USD"}
    assert any(o["discount_codes"] for o in orders)
    assert any(a["type"] == "automatic" for o in orders for a in o["discount_applications"])
    assert any("gift_card" in o["payment_gateway_names"] for o in orders)
    assert any(o["customer"] is None for o in orders)
    assert any(o["note_attributes"] for o in orders)
    assert any(len(o["line_items"]) > 1 for o in orders)


def test_a_known_order_is_priced_exactly(fresh):
    # given 2 x Merino T-Shirt M (39.00, VAT 20%) and 1 x coffee (12.90, VAT 5.5%), code WELCOME10, standard
    # shipping (4.90, VAT 20%), taxes excluded
    order = fresh.control.generate_orders(
        count=1,
        skus=["MERINOTE-M-NAVY", "COFFEEBE-WHOLE"],
        quantity=1,
        discount_code="WELCOME10",
        automatic_discount=False,
        shipping="STANDARD",
        presentment_currency="EUR",
        gift_card=False,
    )[0]
    # then: lines 39.00 + 12.90; 10 % off is 3.90 and 1.29; tax 35.10 x 0.2 = 7.02, 11.61 x 0.055 = 0.64,
    # shipping 0.98
    assert [li["sku"] for li in order["line_items"]] == ["MERINOTE-M-NAVY", "COFFEEBE-WHOLE"]
    assert [li["total_discount"] for li in order["line_items"]] == ["3.90", "1.29"]
    assert [li["tax_lines"][0]["price"] for li in order["line_items"]] == ["7.02", "0.64"]
    assert order["shipping_lines"][0]["tax_lines"][0]["price"] == "0.98"
    assert (order["subtotal_price"], order["total_tax"], order["total_price"]) == ("46.71", "8.64", "60.25")
    assert order["discount_codes"] == [{"code": "WELCOME10", "amount": "5.19", "type": "percentage"}]


def test_forced_sku_customer_and_shopify_only_sku(fresh):
    customer = fresh.control.customers()[1]
    order = fresh.control.generate_orders(
        count=1, skus=["BEANIE-RUST"], customer_id=customer["id"], include_shopify_only=True, seed=3
    )[0]
    skus = [li["sku"] for li in order["line_items"]]
    assert skus[0] == "BEANIE-RUST"
    assert skus[1] in catalogue.SHOPIFY_ONLY_SKUS
    assert order["customer"]["id"] == customer["id"]


def test_refunds_and_cancellations_keep_current_totals_exact(fresh):
    # given a two-line order
    order = fresh.control.generate_orders(
        count=1,
        skus=["MERINOTE-S-NAVY", "WOOLSOCK-M"],
        quantity=3,
        discount_code="SPRING15",
        automatic_discount=False,
        shipping="EXPRESS",
        presentment_currency="USD",
        gift_card=False,
    )[0]
    a, _b = order["line_items"]
    # when one unit of the first line is refunded with shipping, then the rest is cancelled with a refund
    r1 = fresh.control.refund(
        order["id"],
        line_items=[{"line_item_id": a["id"], "quantity": 1, "restock_type": "no_restock"}],
        shipping=True,
    )
    after_refund = fresh.control.order(order["id"])
    fresh.control.cancel(order["id"], reason="customer", refund=True, restock=True)
    final = fresh.control.order(order["id"])
    # then the first refund is one third of the line's discounted total plus its tax, plus shipping with tax
    unit_net = D(a["price"]) * 3 - D(a["total_discount"])
    expected_line = (unit_net / 3).quantize(D("0.01"))
    assert D(r1["refund_line_items"][0]["subtotal_set"]["shop_money"]["amount"]) == expected_line
    assert after_refund["financial_status"] == "partially_refunded"
    # and after the cancellation everything has been refunded, in both currencies, to the cent
    for which in ("shop_money", "presentment_money"):
        refunded = sum(
            (
                D(t["amount"]) if which == "presentment_money" else D(0)
                for r in final["refunds"]
                for t in r["transactions"]
            ),
            D(0),
        )
        if which == "presentment_money":
            assert refunded == D(order["total_price_set"][which]["amount"])
        assert D(final["current_total_price_set"][which]["amount"]) == 0
        assert D(final["current_subtotal_price_set"][which]["amount"]) == 0
        assert D(final["current_total_tax_set"][which]["amount"]) == 0
    assert final["financial_status"] == "refunded"
    assert final["cancel_reason"] == "customer"
    assert [li["current_quantity"] for li in final["line_items"]] == [0, 0]


def test_an_order_edit_changes_current_totals_and_fires_orders_edited(fresh, client, receiver):
    client.create_webhook_subscription("ORDERS_EDITED", receiver.url)
    order = fresh.control.generate_orders(
        count=1,
        skus=["NOTEBOOK-BLACK"],
        quantity=2,
        discount_code=None,
        automatic_discount=False,
        shipping="PICKUP",
        presentment_currency="EUR",
        gift_card=False,
    )[0]
    edited = fresh.control.edit(
        order["id"],
        add=[{"sku": "FOUNTAIN-FINE", "quantity": 1}],
        remove=[{"line_item_id": order["line_items"][0]["id"], "quantity": 1}],
    )
    body = json.loads(receiver.wait_for(lambda r: len(r) == 1)[0].body)
    # 2 x 18.00 -> 1 x 18.00, plus 64.00; VAT 20 % excluded
    assert edited["current_subtotal_price"] == "82.00"
    assert edited["current_total_tax"] == "16.40"
    assert edited["current_total_price"] == "98.40"
    assert edited["total_price"] == order["total_price"]
    assert edited["total_outstanding"] == "55.20"
    assert body["order_edit"]["order_id"] == order["id"]
    assert [x["delta"] for x in body["order_edit"]["line_items"]["additions"]] == [1]


def test_payouts_are_built_from_charges_refunds_and_fees(fresh, client):
    orders = fresh.control.generate_orders(
        count=3, seed=51, gift_card=False, presentment_currency="EUR", shipping="STANDARD"
    )
    fresh.control.refund(orders[0]["id"], shipping=True)
    payout = fresh.control.build_payouts()[0]
    payouts, _ = client.payouts()
    bts = client.balance_transactions(payout_id=payouts[0].id)
    charges = [bt for bt in bts if bt.type == "CHARGE"]
    refunds = [bt for bt in bts if bt.type == "REFUND"]
    assert len(charges) == 3
    assert len(refunds) == 1
    assert sum((bt.net.amount for bt in charges + refunds), D(0)) == D(payout["amount"])
    assert payouts[0].net.amount == D(payout["amount"])
    assert payouts[0].status == "PAID"
    assert all(
        bt.fee.amount == (bt.amount.amount * D("0.014") + D("0.25")).quantize(D("0.01")) for bt in charges
    )
    assert {bt.order_id for bt in charges} == {f"gid://shopify/Order/{o['id']}" for o in orders}


def test_state_survives_a_restart(tmp_path):
    with running_sandbox(data_dir=tmp_path) as sb:
        order = sb.control.generate_orders(count=1, seed=61)[0]
        sb.control.advance_clock(86400)
        clock_before = sb.control.clock()["timestamp"]
    with running_sandbox(data_dir=tmp_path) as sb:
        assert sb.control.order(order["id"])["total_price"] == order["total_price"]
        assert sb.control.clock()["timestamp"] >= clock_before
        assert sb.process.poll() is None
    assert sb.process.returncode == 0


SYNC_ORDER_FIELDS = (
    "id",
    "admin_graphql_api_id",
    "name",
    "email",
    "currency",
    "presentment_currency",
    "taxes_included",
    "total_price",
    "total_price_set",
    "subtotal_price",
    "subtotal_price_set",
    "total_tax",
    "total_tax_set",
    "total_discounts",
    "total_discounts_set",
    "total_shipping_price_set",
    "current_total_price",
    "current_total_price_set",
    "current_subtotal_price",
    "current_total_tax",
    "current_total_discounts",
    "financial_status",
    "fulfillment_status",
    "cancelled_at",
    "cancel_reason",
    "created_at",
    "updated_at",
    "processed_at",
    "note",
    "note_attributes",
    "payment_gateway_names",
    "tax_lines",
    "total_outstanding",
)
SYNC_LINE_FIELDS = (
    "id",
    "admin_graphql_api_id",
    "sku",
    "quantity",
    "current_quantity",
    "price",
    "price_set",
    "tax_lines",
    "discount_allocations",
    "variant_id",
    "product_id",
    "name",
    "title",
    "variant_title",
    "total_discount",
    "total_discount_set",
    "taxable",
    "requires_shipping",
    "vendor",
    "properties",
)
SYNC_SHIPPING_FIELDS = ("id", "code", "title", "price", "price_set", "discounted_price", "tax_lines")
ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "address1",
    "address2",
    "city",
    "zip",
    "country_code",
    "phone",
    "company",
    "province_code",
    "name",
)


@pytest.mark.parametrize("seed", [71, 72, 73, 74])
def test_the_connector_rebuilds_the_webhook_body_from_the_api(fresh, client, receiver, seed):
    # given an order with discounts, several lines, maybe another presentment currency, delivered by webhook
    client.create_webhook_subscription("ORDERS_UPDATED", receiver.url)
    order = fresh.control.generate_orders(
        count=1,
        seed=seed,
        discount_code="SPRING15",
        automatic_discount=True,
        presentment_currency="USD" if seed % 2 else "EUR",
    )[0]
    fresh.control.refund(
        order["id"],
        line_items=[{"line_item_id": order["line_items"][0]["id"], "quantity": 1, "restock_type": "return"}],
    )
    body = json.loads(receiver.wait_for(lambda r: len(r) == 1)[0].body)
    # when the connector fetches the order as REST
    rest = client.fetch_order_rest(order["id"])
    # then the fields a sync uses are identical
    assert {k: rest[k] for k in SYNC_ORDER_FIELDS} == {k: body[k] for k in SYNC_ORDER_FIELDS}
    assert [{k: li[k] for k in SYNC_LINE_FIELDS} for li in rest["line_items"]] == [
        {k: li[k] for k in SYNC_LINE_FIELDS} for li in body["line_items"]
    ]
    assert [{k: s[k] for k in SYNC_SHIPPING_FIELDS} for s in rest["shipping_lines"]] == [
        {k: s[k] for k in SYNC_SHIPPING_FIELDS} for s in body["shipping_lines"]
    ]
    assert rest["discount_applications"] == [
        {k: v for k, v in a.items() if k != "description"} for a in body["discount_applications"]
    ]
    assert rest["discount_codes"] == [{"code": c["code"]} for c in body["discount_codes"]]
    for key in ("billing_address", "shipping_address"):
        assert (rest[key] and {k: rest[key][k] for k in ADDRESS_FIELDS}) == (
            body[key] and {k: body[key][k] for k in ADDRESS_FIELDS}
        )
    assert (rest["customer"] or {}).get("id") == (body["customer"] or {}).get("id")
    assert [r["id"] for r in rest["refunds"]] == [r["id"] for r in body["refunds"]]


def test_an_order_with_many_lines_is_fetched_whole(fresh, client):
    skus = [v.sku for p in catalogue.PRODUCTS[:12] for v in p.variants[:1]]
    order = fresh.control.generate_orders(count=1, skus=skus, quantity=1, seed=5)[0]
    rest = client.fetch_order_rest(order["id"])
    assert [li["sku"] for li in rest["line_items"]] == skus
    assert [li["id"] for li in rest["line_items"]] == [li["id"] for li in order["line_items"]]
