"""Duties and tips in the Shopify stand-in, in Shopify's published shapes: an order's duties per line item
(``line_items[].duties``: id, HS code, country of origin, ``shop_money`` / ``presentment_money``) summed in
``original_total_duties_set`` / ``current_total_duties_set``, its tip in ``total_tip_received``, both counted
in ``total_price`` and paid by the order's transactions; a refund giving duties back states them as the REST
refund does (``duties``: ``duty_id`` and ``amount_set``; ``total_duties_set``), and a tip given back is money
beyond what the refunded items are worth: a ``refund_discrepancy`` order adjustment."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from sandbox.shopify.testing import ControlError
from sync.transforms.orders import order_duties, order_tip
from tests.sandbox.shopify.test_shopify_sandbox_orders_money import post

QUERY = """query($id: ID!) { order(id: $id) {
  totalTipReceivedSet { shopMoney { amount } }
  originalTotalDutiesSet { shopMoney { amount } }
  currentTotalDutiesSet { shopMoney { amount } }
  refunds { duties { amountSet { shopMoney { amount } } originalDuty { id harmonizedSystemCode } } }
} }"""


def _order(sb, seed, **options):
    opts = {
        "skus": ["MERINOTE-M-NAVY", "CERAMICM-SAND"],
        "quantity": 2,
        "seed": seed,
        "discount_code": None,
        "automatic_discount": False,
        "gift_card": False,
        "shipping": "STANDARD",
        "presentment_currency": "EUR",
        "guest": False,
        "taxes_included": False,
    }
    opts.update(options)
    return sb.control.generate_orders(**opts)[0]


def _bag(ms):
    return D(ms["shop_money"]["amount"]), D(ms["presentment_money"]["amount"])


def test_an_order_with_duties_states_them_per_line_and_counts_them_in_its_total(fresh):
    plain = _order(fresh, 401)
    order = _order(fresh, 401, duties="0.10")
    duties = [d for li in order["line_items"] for d in li["duties"]]
    assert len(duties) == 2
    for li in order["line_items"]:
        [duty] = li["duties"]
        assert set(duty) == {
            "id",
            "harmonized_system_code",
            "country_code_of_origin",
            "shop_money",
            "presentment_money",
            "tax_lines",
            "admin_graphql_api_id",
        }
        net = D(li["price"]) * li["quantity"] - sum(
            (D(a["amount"]) for a in li["discount_allocations"]), D(0)
        )
        assert D(duty["shop_money"]["amount"]) == (net * D("0.10")).quantize(D("0.01"))
    total = sum((D(d["shop_money"]["amount"]) for d in duties), D(0))
    assert (
        _bag(order["original_total_duties_set"]) == _bag(order["current_total_duties_set"]) == (total, total)
    )
    assert D(order["total_price"]) == D(plain["total_price"]) + total
    assert D(order["current_total_price"]) == D(order["total_price"])
    assert order["total_tip_received"] == "0.00" and order["duties_included"] is False


def test_an_order_with_a_tip_counts_it_in_its_total_on_no_line(fresh, client):
    plain = _order(fresh, 402)
    order = _order(fresh, 402, tip="4.50")
    assert order["total_tip_received"] == "4.50"
    assert D(order["total_price"]) == D(plain["total_price"]) + D("4.50")
    assert [li["sku"] for li in order["line_items"]] == [li["sku"] for li in plain["line_items"]]
    assert order["original_total_duties_set"] is None
    money = client.order_money(order["id"])
    paid = sum((t.amount.amount for t in money.transactions if t.kind == "SALE"), D(0))
    assert paid == D(order["total_price"])
    read = post(fresh, QUERY, {"id": order["admin_graphql_api_id"]})["data"]["order"]
    assert read["totalTipReceivedSet"]["shopMoney"]["amount"] in ("4.5", "4.50")
    assert read["originalTotalDutiesSet"] is None


def test_a_refund_of_duties_states_them_and_lowers_the_orders_current_duties(fresh, receiver):
    order = _order(fresh, 403, duties="0.10")
    [first, second] = [li["duties"][0] for li in order["line_items"]]
    refund = fresh.control.refund(order["id"], duties=[{"duty_id": first["id"], "refund_type": "FULL"}])
    amount = D(first["shop_money"]["amount"])
    assert [(d["duty_id"], _bag(d["amount_set"])) for d in refund["duties"]] == [
        (int(first["id"]), (amount, amount))
    ]
    assert _bag(refund["total_duties_set"]) == (amount, amount)
    assert refund["order_adjustments"] == []
    assert sum((D(t["amount"]) for t in refund["transactions"]), D(0)) == amount
    after = fresh.control.order(order["id"])
    left = D(second["shop_money"]["amount"])
    assert _bag(after["current_total_duties_set"]) == (left, left)
    assert D(after["current_total_price"]) == D(order["total_price"]) - amount
    with pytest.raises(ControlError):
        fresh.control.refund(order["id"], duties=[first["id"]])
    read = post(fresh, QUERY, {"id": order["admin_graphql_api_id"]})["data"]["order"]
    assert D(read["currentTotalDutiesSet"]["shopMoney"]["amount"]) == left
    [rd] = read["refunds"][0]["duties"]
    assert D(rd["amountSet"]["shopMoney"]["amount"]) == amount
    assert rd["originalDuty"] == {"id": first["admin_graphql_api_id"], "harmonizedSystemCode": "610910"}


def test_a_tip_given_back_is_a_refund_discrepancy_beyond_the_items(fresh):
    order = _order(fresh, 404, tip="3.00")
    refund = fresh.control.refund(
        order["id"], transactions=[{"kind": "refund", "gateway": "shopify_payments", "amount": "3.00"}]
    )
    assert [(a["kind"], a["amount"], a["tax_amount"]) for a in refund["order_adjustments"]] == [
        ("refund_discrepancy", "-3.00", "0.00")
    ]
    assert [(t["kind"], t["amount"]) for t in refund["transactions"]] == [("refund", "3.00")]
    assert refund["duties"] == [] and refund["refund_line_items"] == []


def test_the_order_read_through_the_admin_api_carries_its_tip_and_duties_in_the_rest_shape(fresh, client):
    # given an order with a tip and duties, as an orders/edited re-read or a backfill reads it
    order = _order(fresh, 405, tip="2.00", duties="0.10")

    rest = client.fetch_order_rest(order["id"])

    # then the REST shape our transforms read has the webhook body's tip and duties
    assert rest is not None
    assert (rest["total_tip_received"], rest["total_price"]) == (
        order["total_tip_received"],
        order["total_price"],
    )
    assert rest["original_total_duties_set"] == order["original_total_duties_set"]
    assert rest["current_total_duties_set"] == order["current_total_duties_set"]
    assert rest["duties_included"] is False
    assert order_tip(rest) == D("2.00") and order_duties(rest) == order_duties(order) > 0
