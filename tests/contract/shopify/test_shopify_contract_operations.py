"""The connector operations the outbound, money and reconciliation flows will call, against the sandbox or a
real development store (SHOPIFY_* in the environment, see conftest). Each test makes its own data through the
Admin API; the parts that need the sandbox's control API (a chargeback, a failed payout, an app's risk
assessment) run only there."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from opsconsole.core.errors import BusinessRuleError
from sync.connectors.shopify.client import gid
from sync.connectors.shopify.types import RefundLine
from tests.contract.shopify.test_shopify_contract import _currency, _order, _variant
from tests.support.processes import wait_for

PAYOUT_TYPES = {"TRANSFER", "TRANSFER_FAILURE", "TRANSFER_CANCEL"}


def _tagged_orders(shopify, count, quantity=1):
    tag = f"contract-{uuid.uuid4().hex[:10]}"
    variant = _variant(shopify)
    return tag, variant, [_order(shopify, variant, quantity=quantity, tags=[tag]) for _ in range(count)]


def test_orders_count_counts_what_a_search_finds_and_says_when_it_stopped_counting(shopify):
    tag, _v, created = _tagged_orders(shopify, 2)
    counted = wait_for(
        lambda: (c := shopify.orders_count(query=f"tag:{tag}")).count == 2 and c,
        timeout=60,
        message="the new orders to be searchable",
    )
    capped = shopify.orders_count(query=f"tag:{tag}", limit=1)
    nothing = shopify.orders_count(query=f"tag:{tag}-none")
    assert (counted.count, counted.precision) == (2, "EXACT")
    assert (capped.count, capped.precision) == (1, "AT_LEAST")
    assert (nothing.count, nothing.precision) == (0, "EXACT")
    assert len(created) == 2


def test_orders_are_read_by_id_in_one_nodes_call(shopify):
    _tag, _v, (order,) = _tagged_orders(shopify, 1)
    missing = "gid://shopify/Order/1"
    refs = shopify.order_refs([order["legacyResourceId"], missing])
    assert list(refs) == [order["id"], missing]
    assert refs[order["id"]].name == order["name"]
    assert refs[missing] is None


def test_order_money_and_suggested_refund_agree_with_the_refund_shopify_makes(shopify):
    variant = _variant(shopify)
    order = _order(shopify, variant, quantity=2)
    before = shopify.order_money(order["legacyResourceId"])
    line = shopify.fetch_order_rest(order["legacyResourceId"])["line_items"][0]
    suggestion = shopify.suggested_refund(
        order["legacyResourceId"], lines=[RefundLine(str(line["id"]), 1, "NO_RESTOCK")]
    )
    refund = shopify.create_refund(
        order["legacyResourceId"],
        lines=[RefundLine(str(line["id"]), 1, "NO_RESTOCK")],
        transactions=[
            {
                "orderId": order["id"],
                "parentId": t["parent_id"],
                "amount": str(t["amount"].amount),
                "gateway": t["gateway"],
                "kind": "REFUND",
            }
            for t in suggestion.transactions
        ],
    )
    after = shopify.order_money(order["legacyResourceId"])
    price = Decimal(variant["price"])
    total = price * 2 + Decimal("4.90")
    assert (before.total.amount, before.received.amount, before.net_payment.amount) == (total, total, total)
    assert (before.refunded.amount, before.refundable) == (Decimal("0"), True)
    assert before.total.currency == _currency(shopify)
    assert [t.kind for t in before.transactions] == ["SALE"]
    assert before.transactions[0].payment_id
    assert (suggestion.amount.amount, suggestion.subtotal.amount, suggestion.tax.amount) == (
        price,
        price,
        Decimal("0"),
    )
    assert suggestion.maximum_refundable.amount == total
    assert [(x.line_item_id, x.quantity) for x in suggestion.lines] == [(gid("LineItem", line["id"]), 1)]
    assert sum((t["amount"].amount for t in suggestion.transactions), Decimal("0")) == price
    assert refund.total.amount == price
    assert (after.refunded.amount, after.net_payment.amount, after.received.amount) == (
        price,
        total - price,
        total,
    )


def test_fulfillment_tracking_is_replaced_and_a_cancelled_fulfillment_can_be_fulfilled_again(shopify):
    variant = _variant(shopify)
    order = _order(shopify, variant, quantity=2)
    line = shopify.fetch_order_rest(order["legacyResourceId"])["line_items"][0]
    shipped = shopify.create_fulfillment(
        order["legacyResourceId"], lines=[(line["id"], 1)], tracking_company="DHL", tracking_number="JD0001"
    )
    updated = shopify.update_fulfillment_tracking(
        shipped.id, company="UPS", numbers=["1Z999AA10123456784", "1Z999AA10123456785"]
    )
    listed = shopify.order_fulfillments(order["legacyResourceId"])
    cancelled = shopify.cancel_fulfillment(shipped.id)
    after = shopify.fetch_order_rest(order["legacyResourceId"])
    remaining = sum(
        n["remainingQuantity"]
        for fo in shopify.fulfillment_orders(order["legacyResourceId"])
        if fo["status"] in ("OPEN", "IN_PROGRESS")
        for n in fo["lineItems"]["nodes"]
    )
    assert (updated.tracking_company, updated.tracking_numbers) == (
        "UPS",
        ("1Z999AA10123456784", "1Z999AA10123456785"),
    )
    assert [f.id for f in listed] == [shipped.id]
    assert cancelled.status == "CANCELLED"
    assert after["fulfillment_status"] is None
    assert remaining == 2
    again = shopify.create_fulfillment(order["legacyResourceId"])
    assert again.line_items == ((gid("LineItem", line["id"]), 2),)
    with pytest.raises(BusinessRuleError):
        shopify.cancel_fulfillment(shipped.id)


def test_a_return_is_created_for_fulfilled_units_and_listed_on_the_order(shopify):
    variant = _variant(shopify)
    order = _order(shopify, variant, quantity=2)
    shipped = shopify.create_fulfillment(order["legacyResourceId"])
    fli, line_item, qty = shipped.fulfillment_line_items[0]
    created = shopify.create_return(order["legacyResourceId"], [(fli, 1, "too small")])
    listed = shopify.order_returns(order["legacyResourceId"])
    assert qty == 2
    assert (created.status, created.total_quantity) == ("OPEN", 1)
    assert [(x.fulfillment_line_item_id, x.line_item_id, x.quantity) for x in created.lines] == [
        (fli, line_item, 1)
    ]
    assert [r.id for r in listed] == [created.id]
    with pytest.raises(BusinessRuleError):  # only one unit is left to return
        shopify.create_return(order["legacyResourceId"], [(fli, 2, "")])
    assert [r.id for r in shopify.order_returns(order["legacyResourceId"])] == [created.id]


def test_inventory_is_activated_at_a_location_once(shopify):
    locations = shopify.locations()
    handle = f"contract-{uuid.uuid4().hex[:10]}"
    data = shopify.graphql(
        """mutation P($input: ProductSetInput!) { productSet(input: $input, synchronous: true) {
             product { variants(first: 1) { nodes { inventoryItem { id } } } }
             userErrors { field message } } }""",
        {
            "input": {
                "title": f"Contract {handle}",
                "handle": handle,
                "productOptions": [{"name": "Title", "values": [{"name": "Default Title"}]}],
                "variants": [
                    {"optionValues": [{"optionName": "Title", "name": "Default Title"}], "price": "10.00"}
                ],
            }
        },
    )
    assert data["productSet"]["userErrors"] == []
    item = data["productSet"]["product"]["variants"]["nodes"][0]["inventoryItem"]["id"]
    stocked = shopify.inventory_quantities(item, [loc.id for loc in locations])
    unstocked = [loc.id for loc in locations if loc.id not in stocked]
    target = unstocked[0] if unstocked else locations[0].id
    key = str(uuid.uuid4())
    level = shopify.activate_inventory(item, target, available=3 if unstocked else None, idempotency_key=key)
    again = shopify.activate_inventory(item, target, available=3 if unstocked else None, idempotency_key=key)
    assert level.location_id == target
    assert again.id == level.id
    assert set(shopify.inventory_quantities(item, [target])) == {target}
    if unstocked:
        assert level.quantities == {"available": 3, "on_hand": 3}
        assert shopify.inventory_quantities(item, [target])[target]["available"] == 3


def test_order_risk_is_read_with_shopifys_recommendation(shopify, shopify_target):
    _tag, _v, (order,) = _tagged_orders(shopify, 1)
    risk = shopify.order_risk(order["legacyResourceId"])
    assert risk.order_id == order["id"]
    assert risk.recommendation in {"ACCEPT", "INVESTIGATE", "CANCEL", "NONE"}
    assert shopify.order_risk(1) is None
    if shopify_target.control is None:
        return
    shopify_target.control.set_risk(
        int(order["legacyResourceId"]),
        "CANCEL",
        [
            {
                "risk_level": "HIGH",
                "facts": [{"description": "Card declined twice", "sentiment": "NEGATIVE"}],
            },
            {"risk_level": "MEDIUM", "provider": "FraudFilter", "facts": []},
        ],
    )
    risky = shopify.order_risk(order["legacyResourceId"])
    assert risky.recommendation == "CANCEL"
    assert [(a.risk_level, a.provider, a.facts) for a in risky.assessments] == [
        ("HIGH", None, (("Card declined twice", "NEGATIVE"),)),
        ("MEDIUM", "FraudFilter", ()),
    ]


def test_a_bulk_query_runs_to_a_jsonl_file_of_nodes_and_their_children(shopify):
    tag, variant, created = _tagged_orders(shopify, 2, quantity=2)
    wait_for(lambda: shopify.orders_count(query=f"tag:{tag}").count == 2, timeout=60, message="search index")
    started = shopify.run_bulk_query(
        f'{{ orders(query: "tag:{tag}") {{ edges {{ node {{ id name'
        " lineItems { edges { node { id sku quantity } } } } } } }"
    )
    done = wait_for(
        lambda: (op := shopify.bulk_operation(started.id)) and op.finished and op,
        timeout=300,
        interval=1,
        message="the bulk operation to finish",
    )
    lines = list(shopify.bulk_results(done))
    orders = [x for x in lines if "__parentId" not in x]
    items = [x for x in lines if "__parentId" in x]
    assert started.status in ("CREATED", "RUNNING")
    assert (done.status, done.type, done.error_code) == ("COMPLETED", "QUERY", None)
    assert sorted(o["id"] for o in orders) == sorted(o["id"] for o in created)
    assert sorted((i["__parentId"], i["sku"], i["quantity"]) for i in items) == sorted(
        (o["id"], variant["sku"], 2) for o in created
    )
    assert (done.object_count, done.root_object_count) == (4, 2)
    assert shopify.bulk_operation("gid://shopify/BulkOperation/1") is None


def test_an_invalid_bulk_query_is_refused_with_a_user_error(shopify):
    with pytest.raises(BusinessRuleError) as exc:
        shopify.run_bulk_query("{ shop { name } }")
    assert exc.value.code == "INVALID"


def test_payouts_and_balance_transactions_carry_shopifys_transaction_types(shopify, shopify_target):
    if shopify_target.control is not None:
        _order(shopify, _variant(shopify), quantity=1)
        shopify_target.control.generate_orders(count=1, seed=5, gift_card=False)
        shopify_target.control.build_payouts()
    payouts, _next = shopify.payouts(first=5)
    if not payouts:
        pytest.skip("the shop has no Shopify Payments payouts")
    newest = payouts[0]
    rows = shopify.balance_transactions(payout_id=newest.id, first=50)
    assert newest.status in {"SCHEDULED", "PAID", "FAILED", "CANCELED"}
    assert newest.transaction_type in {"DEPOSIT", "WITHDRAWAL"}
    assert {r.payout_id for r in rows} == {newest.id}
    if shopify_target.control is None:
        return
    # the transfer itself is TRANSFER; charges net of their fees add up to the payout
    assert [r.type for r in rows if r.type in PAYOUT_TYPES] == ["TRANSFER"]
    charges = [r for r in rows if r.type == "CHARGE"]
    assert charges and all(
        r.fee.amount > 0 and r.net.amount == r.amount.amount - r.fee.amount for r in charges
    )
    assert sum((r.net.amount for r in rows if r.type != "TRANSFER"), Decimal("0")) == newest.net.amount
    shopify_target.control.fail_payout(newest.legacy_id)
    failed = next(p for p in shopify.payouts(first=5)[0] if p.id == newest.id)
    returned = [r for r in shopify.balance_transactions(first=50) if r.type == "TRANSFER_FAILURE"]
    assert failed.status == "FAILED"
    assert [r.amount.amount for r in returned] == [newest.net.amount]


def test_disputes_are_listed_with_their_reason_and_the_balance_moves_they_caused(shopify, shopify_target):
    disputes, _next = shopify.disputes(first=10)
    assert all(
        d.status in {"NEEDS_RESPONSE", "UNDER_REVIEW", "WON", "LOST", "ACCEPTED", "PREVENTED"}
        for d in disputes
    )
    if shopify_target.control is None:
        return
    control = shopify_target.control
    order = control.generate_orders(count=1, seed=9, gift_card=False)[0]
    made = control.dispute(order["id"], amount="12.00", reason="product_not_received")
    listed = {d.legacy_id: d for d in shopify.disputes(first=50)[0]}
    dispute = listed[made["id"]]
    moves = [
        r
        for r in shopify.balance_transactions(first=50, query="payout_status:pending")
        if r.order_id == order["admin_graphql_api_id"]
    ]
    assert (dispute.status, dispute.type, dispute.reason) == (
        "NEEDS_RESPONSE",
        "CHARGEBACK",
        "PRODUCT_NOT_RECEIVED",
    )
    assert (dispute.amount.amount, dispute.order_id) == (Decimal("12.00"), order["admin_graphql_api_id"])
    assert sorted((r.type, r.amount.amount) for r in moves) == [
        ("CHARGEBACK_FEE", Decimal("-15.00")),
        ("DISPUTE_WITHDRAWAL", Decimal("-12.00")),
    ]
    fee = next(r for r in moves if r.type == "CHARGEBACK_FEE")
    assert [(a.name, a.amount.amount) for a in fee.adjustments_orders] == [(order["name"], Decimal("-15.00"))]
    control.resolve_dispute(made["id"], "won")
    won = {d.legacy_id: d for d in shopify.disputes(first=50)[0]}[made["id"]]
    assert won.status == "WON" and won.finalized_on is not None


def test_orders_created_in_a_window_are_read_by_pages_and_by_a_bulk_export_alike(shopify):
    from datetime import timedelta

    _tag, _v, created = _tagged_orders(shopify, 3)
    refs = shopify.order_refs([o["legacyResourceId"] for o in created])
    times = sorted(r.created_at for r in refs.values() if r is not None)
    since, until = times[0], times[-1] + timedelta(seconds=1)
    wait_for(
        lambda: len(list(shopify.iter_orders_created(since=since, until=until))) >= 3,
        timeout=60,
        message="search index",
    )

    paged = list(shopify.iter_orders_created(since=since, until=until, page_size=2))
    started = shopify.start_orders_export(since=since, until=until)
    done = wait_for(
        lambda: (op := shopify.bulk_operation(started.id)) and op.finished and op,
        timeout=300,
        interval=1,
        message="the export to finish",
    )
    exported = list(shopify.exported_orders(done))

    ours = {o["id"] for o in created}
    assert ours <= {r.id for r in paged}
    assert sorted(r.id for r in exported) == sorted(r.id for r in paged)
    assert [r.created_at for r in paged] == sorted(r.created_at for r in paged)  # oldest first
    assert all(since <= r.created_at < until for r in paged)
    assert sorted(exported, key=lambda r: r.id) == sorted(paged, key=lambda r: r.id)  # the same values


def test_refund_create_returns_stock_where_told_pays_back_through_the_sale_and_replays_by_its_key(shopify):
    # given a shipped order of 2 units paid by one sale
    variant = _variant(shopify)
    order = _order(shopify, variant, quantity=2)
    order_id = order["legacyResourceId"]
    line = shopify.fetch_order_rest(order_id)["line_items"][0]
    [assigned] = {fo["assignedLocation"]["location"]["id"] for fo in shopify.fulfillment_orders(order_id)}
    shopify.create_fulfillment(order_id, lines=[(line["id"], 2)])
    before = shopify.inventory_quantities(variant["inventoryItem"]["id"], [assigned], names=("available",))
    [sale] = [t for t in shopify.order_money(order_id).transactions if t.kind == "SALE"]
    price = Decimal(variant["price"])
    key = str(uuid.uuid4())
    transactions = [
        {
            "orderId": order["id"],
            "parentId": sale.id,
            "amount": str(price),
            "gateway": sale.gateway,
            "kind": "REFUND",
        }
    ]

    # when one unit comes back to that location and is refunded, twice with the same idempotency key
    refund = shopify.create_refund(
        order_id,
        lines=[RefundLine(str(line["id"]), 1, "RETURN", assigned)],
        transactions=transactions,
        note="contract: returned unit",
        idempotency_key=key,
    )
    again = shopify.create_refund(
        order_id,
        lines=[RefundLine(str(line["id"]), 1, "RETURN", assigned)],
        transactions=transactions,
        note="contract: returned unit",
        idempotency_key=key,
    )

    # then one refund of exactly the unit's price, through the sale, and the unit is back in stock there
    after = shopify.order_money(order_id)
    stock = shopify.inventory_quantities(variant["inventoryItem"]["id"], [assigned], names=("available",))
    assert (refund.id, refund.total.amount, refund.idempotency_key) == (again.id, price, key)
    assert [r["id"] for r in shopify.fetch_order_rest(order_id)["refunds"]] == [refund.legacy_id]
    assert after.refunded.amount == price
    assert [(t.kind, t.parent_id, t.amount.amount) for t in after.transactions if t.kind == "REFUND"] == [
        ("REFUND", sale.id, price)
    ]
    assert stock[assigned]["available"] == before[assigned]["available"] + 1


def test_refund_create_refuses_more_money_than_the_payment_has_left_and_changes_nothing(shopify):
    # given a paid order with its sale
    variant = _variant(shopify)
    order = _order(shopify, variant, quantity=1)
    order_id = order["legacyResourceId"]
    money = shopify.order_money(order_id)
    [sale] = [t for t in money.transactions if t.kind == "SALE"]
    too_much = money.received.amount + Decimal("10.00")

    # when a refund asks for more than the sale took
    with pytest.raises(BusinessRuleError) as refused:
        shopify.create_refund(
            order_id,
            transactions=[
                {
                    "orderId": order["id"],
                    "parentId": sale.id,
                    "amount": str(too_much),
                    "gateway": sale.gateway,
                    "kind": "REFUND",
                }
            ],
            note="contract: goodwill beyond the payment",
        )

    # then Shopify says so in userErrors and nothing was refunded
    assert refused.value.system == "shopify"
    assert str(refused.value).startswith("refundCreate: ")
    assert refused.value.details["userErrors"]
    assert shopify.order_money(order_id).refunded.amount == Decimal("0")
    assert shopify.fetch_order_rest(order_id)["refunds"] == []


def test_an_order_cancelled_for_fraud_reads_back_cancelled_and_a_second_cancel_is_a_user_error(shopify):
    # the arguments the risky-order cancel sends (sync/flows/holds.py), and its read-back
    _tag, _v, (order,) = _tagged_orders(shopify, 1)
    before = shopify.order_cancellation(order["legacyResourceId"])
    assert (before.order_id, before.name, before.cancelled_at, before.cancel_reason) == (
        order["id"],
        order["name"],
        None,
        None,
    )
    shopify.cancel_order(
        order["legacyResourceId"], reason="FRAUD", refund=True, restock=True, staff_note="contract test"
    )
    # orderCancel runs as a job in Shopify: read back until it reports the order cancelled
    after = wait_for(
        lambda: (c := shopify.order_cancellation(order["legacyResourceId"])).cancelled_at is not None and c,
        timeout=60,
        message="Shopify to report the order cancelled",
    )
    assert after.cancel_reason == "FRAUD"
    assert after.financial_status == "REFUNDED"
    assert after.updated_at >= after.cancelled_at
    assert shopify.order_cancellation(1) is None
    with pytest.raises(BusinessRuleError) as refused:
        shopify.cancel_order(order["legacyResourceId"], reason="FRAUD", refund=True, restock=True)
    assert refused.value.system == "shopify"
    assert refused.value.details["subject"] == str(order["legacyResourceId"])
    assert refused.value.details["userErrors"][0]["code"] in {
        "INTERNAL_ERROR",
        "INVALID",
        "NOT_FOUND",
        "NO_REFUND_PERMISSION",
    }
