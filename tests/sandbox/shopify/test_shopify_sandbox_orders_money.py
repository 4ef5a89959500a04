"""Orders, fulfilments, returns, stock activation and Shopify Payments in the sandbox, as the money and
shipping flows will meet them."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal as D

import pytest
import requests

from opsconsole.core.errors import BusinessRuleError
from sandbox.shopify.testing import ControlError
from sync.connectors.shopify.client import gid
from sync.connectors.shopify.types import RefundLine


def post(sb, query, variables=None):
    return requests.post(
        sb.graphql_url(),
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": sb.token},
        timeout=10,
    ).json()


def _level(sb, sku, location_id=None):
    levels = [lv for lv in sb.control.inventory() if lv["sku"] == sku]
    return next(lv for lv in levels if location_id is None or lv["location_id"] == location_id)


def test_orders_count_and_nodes(fresh, client):
    orders = fresh.control.generate_orders(count=3, seed=31)
    assert (client.orders_count().count, client.orders_count().precision) == (3, "EXACT")
    assert (client.orders_count(limit=2).count, client.orders_count(limit=2).precision) == (2, "AT_LEAST")
    assert client.orders_count(query=f"name:{orders[0]['name']}").count == 1
    refs = client.order_refs([orders[1]["id"], 42, orders[0]["id"]])
    assert [r.name if r else None for r in refs.values()] == [orders[1]["name"], None, orders[0]["name"]]


def test_order_money_fields_follow_refunds_of_lines_and_shipping(fresh, client):
    order = fresh.control.generate_orders(
        count=1,
        seed=32,
        gift_card=False,
        shipping="STANDARD",
        presentment_currency="EUR",
        skus=["MERINOTE-M-NAVY"],
        quantity=2,
    )[0]
    line = order["line_items"][0]
    client.create_refund(
        order["id"], lines=[RefundLine(str(line["id"]), 1, "NO_RESTOCK")], full_shipping=True
    )
    money = client.order_money(order["id"])
    rest = fresh.control.order(order["id"])
    shipping = sum(
        D(sl["price"]) + sum((D(t["price"]) for t in sl["tax_lines"]), D(0)) for sl in order["shipping_lines"]
    )
    if order["taxes_included"]:
        shipping = sum(D(sl["price"]) for sl in order["shipping_lines"])
    refunded = sum(D(t["amount"]) for r in rest["refunds"] for t in r["transactions"])
    assert money.received.amount == D(order["total_price"])
    assert money.refunded.amount == refunded
    assert money.net_payment.amount == D(order["total_price"]) - refunded
    assert money.refunded_shipping.amount == shipping
    assert money.refundable is True
    sale = next(t for t in money.transactions if t.kind == "SALE")
    fee = (sale.amount.amount * D("0.014") + D("0.25")).quantize(D("0.01"))
    assert sale.payment_id == f"{order['name']}.1"
    assert [(f.amount.amount, f.rate, f.flat_fee.amount) for f in sale.fees] == [(fee, D("0.014"), D("0.25"))]
    assert [t.fees for t in money.transactions if t.kind == "REFUND"] == [()]


def test_shipping_is_refunded_at_most_up_to_what_remains_of_it(fresh, client):
    # Shopify: ShippingRefund.maximumRefundableSet is "the maximum amount of shipping fees currently
    # refundable"; fullRefund refunds what remains, an amount over the remainder is a userError.
    order = fresh.control.generate_orders(
        count=1, seed=38, gift_card=False, shipping="STANDARD", skus=["MERINOTE-M-NAVY"], quantity=1
    )[0]
    [sl] = order["shipping_lines"]
    price = D(sl["price"])
    gross = price if order["taxes_included"] else price + sum((D(t["price"]) for t in sl["tax_lines"]), D(0))
    half = (price / 2).quantize(D("0.01"))
    first = client.create_refund(order["id"], shipping_amount=half)
    suggested = client.suggested_refund(order["id"], refund_shipping=True)
    with pytest.raises(BusinessRuleError) as over:
        client.create_refund(order["id"], shipping_amount=price - half + D("0.01"))
    rest = client.create_refund(order["id"], full_shipping=True)
    with pytest.raises(BusinessRuleError):
        client.create_refund(order["id"], shipping_amount=D("0.01"))
    money = client.order_money(order["id"])
    assert over.value.details["userErrors"][0]["field"][-2:] == ["shipping", "amount"]
    assert len(fresh.control.order(order["id"])["refunds"]) == 2
    assert money.refunded_shipping.amount == gross
    assert money.refunded.amount == gross
    assert first.total.amount + rest.total.amount == gross
    assert suggested.amount.amount == rest.total.amount


def test_what_an_edit_adds_is_owed_until_the_customer_pays_it_as_a_new_sale(fresh, client, receiver):
    order = fresh.control.generate_orders(
        count=1, seed=33, gift_card=False, presentment_currency="EUR", skus=["MERINOTE-M-NAVY"], quantity=1
    )[0]
    fresh.control.edit(order["id"], add=[{"sku": "CERAMICM-SAND", "quantity": 1}])
    edited = fresh.control.order(order["id"])
    owed = D(edited["current_total_price"]) - D(order["total_price"])
    assert (edited["financial_status"], D(edited["total_outstanding"])) == ("partially_paid", owed)
    with pytest.raises(ControlError) as refused:  # more than is owed
        fresh.control.pay(order["id"], amount=str(owed + D("0.01")))
    assert refused.value.status == 422
    client.create_webhook_subscription("ORDERS_PAID", receiver.url)
    part = fresh.control.pay(order["id"], amount="1.00")
    rest = fresh.control.pay(order["id"])
    money = client.order_money(order["id"])
    paid = fresh.control.order(order["id"])
    assert (part["kind"], part["amount"], rest["kind"], D(rest["amount"])) == (
        "sale",
        "1.00",
        "sale",
        owed - 1,
    )
    assert (paid["financial_status"], D(paid["total_outstanding"])) == ("paid", D(0))
    assert money.received.amount == D(edited["current_total_price"])
    assert money.outstanding.amount == D(0)
    assert [t.id for t in money.transactions][-2:] == [
        part["admin_graphql_api_id"],
        rest["admin_graphql_api_id"],
    ]
    [delivery] = receiver.wait_for(lambda r: len(r) == 1)
    assert json.loads(delivery.body)["financial_status"] == "paid"  # orders/paid once, when all is paid


def test_suggested_refund_is_what_the_refund_then_does_and_writes_nothing(fresh, client):
    order = fresh.control.generate_orders(count=1, seed=33, gift_card=False)[0]
    before = fresh.control.order(order["id"])
    suggestion = client.suggested_refund(order["id"], full=True)
    assert fresh.control.order(order["id"]) == before
    lines = [RefundLine(str(li["id"]), li["quantity"], "NO_RESTOCK") for li in order["line_items"]]
    refund = client.create_refund(order["id"], lines=lines, full_shipping=True)
    assert suggestion.amount.amount == refund.total.amount == D(order["total_price"])
    assert suggestion.maximum_refundable.amount == D(order["total_price"])
    assert [(t["kind"], t["gateway"], t["amount"].amount) for t in suggestion.transactions] == [
        ("SUGGESTED_REFUND", "shopify_payments", D(order["total_price"]))
    ]
    nothing = client.suggested_refund(order["id"])
    assert (nothing.amount.amount, nothing.lines, nothing.maximum_refundable.amount) == (
        D("0.00"),
        (),
        D("0.00"),
    )


def test_cancelling_a_whole_fulfilment_opens_a_new_fulfilment_order_and_commits_the_stock_again(
    fresh, client, receiver
):
    client.create_webhook_subscription("FULFILLMENTS_UPDATE", receiver.url)
    order = fresh.control.generate_orders(count=1, seed=34, skus=["MERINOTE-M-NAVY"], quantity=2)[0]
    location = client.locations()[0].legacy_id
    committed_before = _level(fresh, "MERINOTE-M-NAVY", location)["committed"]
    shipped = client.create_fulfillment(order["id"])
    committed_shipped = _level(fresh, "MERINOTE-M-NAVY", location)["committed"]
    client.cancel_fulfillment(shipped.id)
    fos = client.fulfillment_orders(order["id"])
    assert [(fo["status"], [n["remainingQuantity"] for n in fo["lineItems"]["nodes"]]) for fo in fos] == [
        ("CLOSED", [0]),
        ("OPEN", [2]),
    ]
    assert committed_shipped == committed_before - 2
    assert _level(fresh, "MERINOTE-M-NAVY", location)["committed"] == committed_before
    body = json.loads(receiver.wait_for(lambda r: len(r) == 1)[0].body)
    assert (body["id"], body["status"]) == (shipped.legacy_id, "cancelled")


def test_cancelling_part_of_a_fulfilment_order_gives_the_units_back_to_it(fresh, client):
    order = fresh.control.generate_orders(count=1, seed=35, skus=["MERINOTE-M-NAVY"], quantity=3)[0]
    line = order["line_items"][0]
    shipped = client.create_fulfillment(order["id"], lines=[(line["id"], 1)])
    client.cancel_fulfillment(shipped.id)
    fos = client.fulfillment_orders(order["id"])
    assert [(fo["status"], [n["remainingQuantity"] for n in fo["lineItems"]["nodes"]]) for fo in fos] == [
        ("OPEN", [3])
    ]


def test_tracking_update_replaces_numbers_and_urls_and_fires_fulfillments_update(fresh, client, receiver):
    client.create_webhook_subscription("FULFILLMENTS_UPDATE", receiver.url)
    order = fresh.control.generate_orders(count=1, seed=36)[0]
    shipped = client.create_fulfillment(order["id"], tracking_company="DHL", tracking_number="A1")
    updated = client.update_fulfillment_tracking(
        shipped.id,
        company="UPS",
        numbers=["B2", "B3"],
        urls=["https://ups.example/B2", "https://ups.example/B3"],
    )
    body = json.loads(receiver.wait_for(lambda r: len(r) == 1)[0].body)
    assert (updated.tracking_company, updated.tracking_numbers, updated.tracking_urls) == (
        "UPS",
        ("B2", "B3"),
        ("https://ups.example/B2", "https://ups.example/B3"),
    )
    assert (body["tracking_company"], body["tracking_numbers"]) == ("UPS", ["B2", "B3"])
    with pytest.raises(BusinessRuleError) as exc:
        client.update_fulfillment_tracking("gid://shopify/Fulfillment/1", numbers=["X"])
    assert exc.value.details["userErrors"] == [
        {"field": ["fulfillmentId"], "message": "Fulfillment does not exist."}
    ]


def test_units_refunded_as_cancel_leave_the_fulfillment_order(fresh, client):
    # Shopify: RefundLineItemRestockType CANCEL "Use this when restocking unfulfilled line items"; the
    # cancelled units are no longer to be fulfilled (FulfillmentOrderLineItem remaining/totalQuantity).
    order = fresh.control.generate_orders(
        count=1, seed=39, presentment_currency="EUR", skus=["MERINOTE-M-NAVY"], quantity=3
    )[0]
    line = str(order["line_items"][0]["id"])

    def seen():
        query = (
            "query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 10) { nodes { status"
            " lineItems(first: 10) { nodes { remainingQuantity totalQuantity } } } } } }"
        )
        fos = post(fresh, query, {"id": gid("Order", order["id"])})["data"]["order"]["fulfillmentOrders"][
            "nodes"
        ]
        return [
            (fo["status"], [(n["remainingQuantity"], n["totalQuantity"]) for n in fo["lineItems"]["nodes"]])
            for fo in fos
        ]

    client.create_refund(order["id"], lines=[RefundLine(line, 1, "CANCEL")])
    after_cancel = seen()
    client.create_fulfillment(order["id"], lines=[(line, 1)])
    client.create_refund(order["id"], lines=[RefundLine(line, 1, "CANCEL")])
    assert after_cancel == [("OPEN", [(2, 2)])]
    assert seen() == [("CLOSED", [(0, 1)])]
    with pytest.raises(BusinessRuleError):
        client.create_fulfillment(order["id"], lines=[(line, 1)])


def test_returns_are_limited_to_fulfilled_units_and_block_a_cancellation(fresh, client):
    order = fresh.control.generate_orders(count=1, seed=37, skus=["MERINOTE-M-NAVY"], quantity=2)[0]
    with pytest.raises(BusinessRuleError) as unfulfilled:
        client.create_return(order["id"], [("gid://shopify/FulfillmentLineItem/1", 1, "")])
    shipped = client.create_fulfillment(order["id"], lines=[(order["line_items"][0]["id"], 1)])
    fli = shipped.fulfillment_line_items[0][0]
    with pytest.raises(BusinessRuleError) as too_many:
        client.create_return(order["id"], [(fli, 2, "")])
    made = client.create_return(order["id"], [(fli, 1, "wrong colour")])
    status = post(
        fresh, "query($id: ID!) { order(id: $id) { returnStatus } }", {"id": gid("Order", order["id"])}
    )
    with pytest.raises(BusinessRuleError) as cancel:
        client.cancel_order(order["id"], reason="CUSTOMER", refund=True, restock=True)
    assert unfulfilled.value.code == "NOT_FOUND"
    assert too_many.value.code == "LESS_THAN_OR_EQUAL_TO"
    assert (made.name, made.status, made.lines[0].note) == (f"{order['name']}-R1", "OPEN", "wrong colour")
    assert status["data"]["order"]["returnStatus"] == "IN_PROGRESS"
    assert cancel.value.code == "INVALID"
    assert fresh.control.order(order["id"])["cancelled_at"] is None


def test_inventory_activate_stocks_an_item_at_a_new_location_once(fresh, client, receiver):
    client.create_webhook_subscription("INVENTORY_LEVELS_UPDATE", receiver.url)
    created = post(
        fresh,
        "mutation($i: ProductSetInput!) { productSet(input: $i) { product { variants(first: 1) { nodes {"
        " inventoryItem { id } } } } userErrors { message } } }",
        {
            "i": {
                "title": "Activation test",
                "productOptions": [{"name": "Title", "values": [{"name": "Default Title"}]}],
                "variants": [
                    {"optionValues": [{"optionName": "Title", "name": "Default Title"}], "sku": "ACT-1"}
                ],
            }
        },
    )["data"]["productSet"]
    item = created["product"]["variants"]["nodes"][0]["inventoryItem"]["id"]
    first, second = client.locations()
    assert set(client.inventory_quantities(item, [first.id, second.id])) == {first.id}
    level = client.activate_inventory(item, second.id, available=4)
    again = client.activate_inventory(item, second.id, available=9, idempotency_key=str(uuid.uuid4()))
    assert level.quantities == {"available": 4, "on_hand": 4}
    assert again.quantities == {"available": 4, "on_hand": 4}  # already stocked: unchanged
    assert client.inventory_quantities(item, [second.id])[second.id]["available"] == 4
    assert len(receiver.wait_for(lambda r: len(r) == 1)) == 1
    with pytest.raises(BusinessRuleError):
        client.activate_inventory("gid://shopify/InventoryItem/1", second.id)


def test_generated_orders_carry_shopifys_low_risk_assessment(fresh, client):
    order = fresh.control.generate_orders(count=1, seed=38)[0]
    risk = client.order_risk(order["id"])
    assert risk.recommendation == "ACCEPT"
    assert [(a.risk_level, a.provider) for a in risk.assessments] == [("LOW", None)]
    high = post(fresh, '{ orders(first: 5, query: "risk_level:high") { nodes { id } } }')
    assert high["data"]["orders"]["nodes"] == []


def test_payout_failure_returns_the_money_and_the_next_payout_retries_it(fresh, client):
    fresh.control.generate_orders(count=2, seed=39, gift_card=False)
    first = fresh.control.build_payouts()[0]
    fresh.control.fail_payout(first["id"])
    second = fresh.control.build_payouts()[0]
    payouts = {p.legacy_id: p for p in client.payouts()[0]}
    rows = client.balance_transactions(payout_id=second["id"])
    assert payouts[first["id"]].status == "FAILED"
    assert sorted(r.type for r in rows) == ["TRANSFER", "TRANSFER_FAILURE"]
    assert payouts[second["id"]].net.amount == D(first["amount"])
    assert payouts[second["id"]].retried_payouts_gross.amount == D(first["amount"])
    with pytest.raises(Exception, match="already failed"):
        fresh.control.fail_payout(first["id"])


def test_a_chargeback_and_its_fee_leave_the_balance_and_come_back_when_won(
    fresh, client, receiver, reference
):
    client.create_webhook_subscription("DISPUTES_CREATE", receiver.url)
    client.create_webhook_subscription("DISPUTES_UPDATE", receiver.url)
    order = fresh.control.generate_orders(count=1, seed=40, gift_card=False)[0]
    made = fresh.control.dispute(order["id"], amount="10.00")
    fresh.control.resolve_dispute(made["id"], "won")
    payout = fresh.control.build_payouts()[0]
    rows = client.balance_transactions(payout_id=payout["id"])
    assert sorted((r.type, r.amount.amount) for r in rows if r.type not in ("CHARGE", "TRANSFER")) == [
        ("CHARGEBACK_FEE", D("-15.00")),
        ("CHARGEBACK_FEE_REFUND", D("15.00")),
        ("DISPUTE_REVERSAL", D("10.00")),
        ("DISPUTE_WITHDRAWAL", D("-10.00")),
    ]
    assert D(payout["summary"]["adjustments_gross_amount"]) == D("0.00")
    bodies = [json.loads(r.body) for r in receiver.wait_for(lambda r: len(r) == 2)]
    assert sorted(bodies[0]) == sorted(reference("app-js-2025-01-dispute.json"))
    # Deliveries run concurrently (as Shopify's: no order is promised), so they may arrive in either order.
    assert sorted(b["status"] for b in bodies) == ["needs_response", "won"]
    with pytest.raises(Exception, match="already finalized"):
        fresh.control.resolve_dispute(made["id"], "lost")


def test_an_adjustment_names_the_order_it_concerns(fresh, client):
    order = fresh.control.generate_orders(count=1, seed=41, gift_card=False)[0]
    fresh.control.adjustment("-3.50", "shopify_collective_debit", order_id=order["id"])
    row = next(r for r in client.balance_transactions() if r.type == "ADJUSTMENT")
    assert (row.adjustment_reason, row.payout_status) == ("shopify_collective_debit", "PENDING")
    assert [(a.name, a.amount.amount) for a in row.adjustments_orders] == [(order["name"], D("-3.50"))]


def test_refund_by_transactions_gives_back_what_they_say_and_fires_refunds_create(fresh, client, receiver):
    # given a paid order and a subscription to refunds/create
    client.create_webhook_subscription("REFUNDS_CREATE", receiver.url)
    order = fresh.control.generate_orders(
        count=1, seed=37, gift_card=False, quantity=1, presentment_currency=None
    )[0]
    [sale] = [t for t in client.order_money(order["id"]).transactions if t.kind == "SALE"]
    goodwill = {
        "orderId": gid("Order", order["id"]),
        "parentId": sale.id,
        "amount": "5.00",
        "gateway": sale.gateway,
        "kind": "REFUND",
    }

    # when 5.00 is given back without any line (a goodwill credit), and then more than the sale has left
    refund = client.create_refund(order["id"], transactions=[goodwill], note="goodwill")
    with pytest.raises(BusinessRuleError) as refused:
        client.create_refund(order["id"], transactions=[{**goodwill, "amount": order["total_price"]}])
    with pytest.raises(BusinessRuleError) as wrong_gateway:
        client.create_refund(order["id"], transactions=[{**goodwill, "gateway": "manual"}])

    # then the refund is the 5.00, a discrepancy beyond the items, delivered as refunds/create
    body = json.loads(receiver.wait_for(lambda r: len(r) == 1)[0].body)
    left, currency = D(order["total_price"]) - D("5.00"), order["presentment_currency"]
    assert refund.total.amount == D("5.00")
    assert (body["id"], body["note"], body["refund_line_items"]) == (refund.legacy_id, "goodwill", [])
    assert [(t["kind"], t["amount"], t["parent_id"]) for t in body["transactions"]] == [
        ("refund", "5.00", int(sale.id.rsplit("/", 1)[1]))
    ]
    assert [(a["kind"], a["amount"]) for a in body["order_adjustments"]] == [("refund_discrepancy", "-5.00")]
    assert refused.value.details["userErrors"] == [
        {
            "field": ["input", "transactions", "0", "amount"],
            "message": f"Refund amount {order['total_price']} {currency} is greater than the {left} "
            f"{currency} refundable on the transaction",
        }
    ]
    assert wrong_gateway.value.details["userErrors"][0]["field"] == ["input", "transactions", "0", "gateway"]
    assert client.order_money(order["id"]).refunded.amount == D("5.00")
    assert len(fresh.control.order(order["id"])["refunds"]) == 1


def test_an_authorized_payment_is_captured_in_the_presentment_currency_up_to_what_it_authorized(
    fresh, client, receiver
):
    order = fresh.control.generate_orders(
        count=1,
        seed=34,
        gift_card=False,
        presentment_currency="USD",
        skus=["MERINOTE-M-NAVY"],
        authorize=True,
    )[0]
    assert (order["financial_status"], D(order["total_outstanding"])) == (
        "authorized",
        D(order["total_price"]),
    )
    [auth] = client.order_money(order["id"]).transactions
    assert (auth.kind, auth.status, auth.gateway) == ("AUTHORIZATION", "SUCCESS", "shopify_payments")
    assert client.order_money(order["id"]).received.amount == D(0)
    authorized_usd = D(order["total_price_set"]["presentment_money"]["amount"])
    with pytest.raises(ControlError) as refused:  # more than was authorized
        fresh.control.capture(order["id"], amount=str(authorized_usd + D("0.01")))
    assert refused.value.status == 422
    client.create_webhook_subscription("ORDERS_PAID", receiver.url)
    client.create_webhook_subscription("ORDERS_UPDATED", receiver.url)
    part = fresh.control.capture(order["id"], amount="10.00")
    partly = fresh.control.order(order["id"])
    assert (part["kind"], part["amount"], part["currency"], part["parent_id"]) == (
        "capture",
        "10.00",
        "USD",
        int(auth.id.rsplit("/", 1)[1]),
    )
    assert partly["financial_status"] == "partially_paid"
    rest = fresh.control.capture(order["id"])
    money = client.order_money(order["id"])
    paid = fresh.control.order(order["id"])
    assert D(rest["amount"]) == authorized_usd - D("10.00")
    assert (paid["financial_status"], D(paid["total_outstanding"])) == ("paid", D(0))
    # in shop money the captures add up to exactly what was authorized
    assert money.received.amount == D(order["total_price"]) == auth.amount.amount
    assert [(t.kind, t.parent_id) for t in money.transactions][1:] == [
        ("CAPTURE", auth.id),
        ("CAPTURE", auth.id),
    ]
    with pytest.raises(ControlError):  # nothing left to capture
        fresh.control.capture(order["id"], amount="1.00")
    deliveries = receiver.wait_for(lambda r: len(r) == 3)
    topics = [d.headers.get("X-Shopify-Topic") for d in deliveries]
    assert sorted(topics) == ["orders/paid", "orders/updated", "orders/updated"]


def test_cancelling_an_authorized_order_voids_its_authorization(fresh, client):
    order = fresh.control.generate_orders(
        count=1,
        seed=35,
        gift_card=False,
        presentment_currency="EUR",
        skus=["MERINOTE-M-NAVY"],
        authorize=True,
    )[0]
    fresh.control.cancel(order["id"])
    assert fresh.control.order(order["id"])["financial_status"] == "voided"
    kinds = [(t.kind, t.status) for t in client.order_money(order["id"]).transactions]
    assert kinds == [("AUTHORIZATION", "SUCCESS"), ("VOID", "SUCCESS")]
    with pytest.raises(ControlError):
        fresh.control.capture(order["id"])


def test_a_captured_payment_is_refunded_through_its_capture(fresh, client):
    order = fresh.control.generate_orders(
        count=1,
        seed=36,
        gift_card=False,
        presentment_currency="EUR",
        skus=["MERINOTE-M-NAVY"],
        authorize=True,
    )[0]
    capture = fresh.control.capture(order["id"])
    line = order["line_items"][0]
    refund = fresh.control.refund(
        order["id"], line_items=[{"line_item_id": line["id"], "quantity": 1, "restock_type": "no_restock"}]
    )
    [tx] = refund["transactions"]
    assert (tx["kind"], tx["status"], tx["parent_id"], tx["gateway"]) == (
        "refund",
        "success",
        capture["id"],
        "shopify_payments",
    )
    assert D(tx["amount"]) > 0
