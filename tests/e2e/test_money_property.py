"""A property end to end: whatever Shopify does with an order's money — paid by card alone or by a gift card
and a card, edited to add items that the customer then pays for in one payment or two, refunded in parts
(lines with or without restock, shipping in full or in part), fulfilled by Shopify's 3PL and items
returned — every step goes through the Shopify stand-in's webhooks and the real worker into the Odoo
stand-in, and afterwards Odoo's receivable for the order, read from Odoo (posted invoices less credit notes,
less the payments of Shopify's transactions, plus the refunds paid out), is Shopify's (current total less
net payment) to the cent; so are its two halves, and nothing is left in draft.

tests/transforms/test_refunds_property.py states the credit-note arithmetic as a pure property; this one
runs the whole way: webhooks, jobs, Odoo's wizards, read back.

Payments are ``sale`` transactions (at checkout, and for what an edit added): the stand-in makes no
authorisations to capture later.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from sync.connectors.odoo import connect
from sync.engine.clients import shopify_client_for
from sync.models import ExternalLink, JobState, MappingTable
from sync.services.mappings import MappingRow, mapping_apply
from tests.support.money import odoo_money, shopify_money
from tests.support.odoo import odoo_config

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]
QUANTITY = 3

orders = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 10_000),
        "taxes_included": st.booleans(),
        "discount_code": st.sampled_from([None, "WELCOME10"]),
        "shipping": st.sampled_from(["STANDARD", "EXPRESS"]),
        "gift_card": st.sampled_from([False, "15.00"]),
    }
)
# A refund: which lines (0, 1 or both), how many units of each, whether they go back to stock (``cancel``
# before the 3PL shipped them, ``return`` after), and the shipping (none, all, part).
refunds = st.tuples(
    st.sampled_from([(0,), (1,), (0, 1), ()]),
    st.integers(1, 2),
    st.booleans(),
    st.sampled_from([None, None, True, "1.50"]),
)
# An order edit adding units of a third product (before the 3PL shipped), then the customer paying what it
# added in one payment or in two (a part first).
edits = st.tuples(st.just("add"), st.integers(1, 2), st.sampled_from([None, "5.00"]))
# Two to four refunds and edits, with the 3PL's fulfilment somewhere among them (and at the end in any case).
steps = st.tuples(st.lists(st.one_of(refunds, edits), min_size=2, max_size=4), st.integers(0, 4)).map(
    lambda drawn: [*drawn[0][: drawn[1]], "fulfil", *drawn[0][drawn[1] :]]
)
ADDED_SKU = "LINENSHI-M-WHITE"


def _settle(pipeline: Any, expect_jobs: int) -> None:
    """Wait for the jobs to settle; on timeout, say which were still busy and why."""
    try:
        pipeline.settle(expect_jobs=expect_jobs, timeout=180)
    except AssertionError as exc:
        busy = [
            (j.pk, j.kind, j.subject, j.state, j.error_code, j.error_message)
            for j in pipeline.jobs()
            if j.state in (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING)
        ]
        raise AssertionError(f"{exc}: {busy}") from None


def _shop_settings(pipeline: Any, **values: Any) -> None:
    entry = pipeline.shop.mappings.get(table=MappingTable.SHOP, key="shop", valid_to__isnull=True)
    if any(entry.value.get(k) != v for k, v in values.items()):
        mapping_apply(
            shop=pipeline.shop, rows=[MappingRow(MappingTable.SHOP, "shop", {**entry.value, **values})]
        )


def _act(pipeline: Any, order_id: int, action: Any, state: dict[str, Any]) -> str | None:
    """One step in Shopify, as Shopify allows it; what was done (None: nothing left to do that with)."""
    control = pipeline.shopify.control
    current = control.order(order_id)
    left = {li["id"]: int(li.get("current_quantity", li["quantity"])) for li in current["line_items"]}
    if action == "fulfil":
        # what Shopify has left to fulfil (refunds with restock ``cancel`` took theirs off)
        items = [
            {"line_item_id": li["id"], "quantity": li["fulfillable_quantity"]}
            for li in current["line_items"]
            if li["fulfillable_quantity"] > 0
        ]
        if state["fulfilled"] or not items:
            return None
        control.fulfill(order_id, line_items=items)
        state["fulfilled"] = True
        return f"fulfil {items}"
    if action[0] == "add":
        _, quantity, part = action
        if state["fulfilled"] or state["added"]:
            return None  # one edit, before the 3PL ships (Odoo's delivery is not edited afterwards)
        control.edit(order_id, add=[{"sku": ADDED_SKU, "quantity": quantity}])
        state["added"] = True
        owed = Decimal(control.order(order_id)["total_outstanding"])
        if part is not None and Decimal(part) < owed:
            control.pay(order_id, amount=part)
        control.pay(order_id)
        return f"add {quantity} {ADDED_SKU}, paid {owed} in {1 if part is None else 2}"
    lines, quantity, restock, shipping = action
    items = []
    for index in lines:
        line = current["line_items"][index]
        take = min(quantity, left[line["id"]])
        if take:
            kind = ("return" if state["fulfilled"] else "cancel") if restock else "no_restock"
            items.append({"line_item_id": line["id"], "quantity": take, "restock_type": kind})
    if shipping is not None and state["shipping_refunded"]:
        shipping = None  # one shipping refund per order (all of it or part of it)
    if not items and shipping is None:
        return None
    body: dict[str, Any] = {"line_items": items}
    if shipping is not None:
        body["shipping"] = shipping
        state["shipping_refunded"] = True
    control.refund(order_id, **body)
    return f"refund {items} shipping={shipping}"


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    # no shrinking: every example costs seconds of real traffic; the failing example is printed as drawn
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(order_options=orders, actions=steps, invoice_on=st.sampled_from(["paid", "delivered"]))
def test_any_sequence_of_payments_refunds_and_returns_leaves_odoos_receivable_at_shopifys(
    pipeline: Any, order_options: dict[str, Any], actions: list[Any], invoice_on: str
) -> None:
    # given a shop whose 3PL ships in Shopify (its fulfilments validate Odoo's deliveries), invoicing when
    # paid or when delivered
    _shop_settings(pipeline, invoice_on=invoice_on, shipping_owner="shopify")
    # and a paid order, booked in Odoo
    before = len(pipeline.jobs())
    order = pipeline.generate_orders(
        1,
        skus=SKUS,
        quantity=QUANTITY,
        automatic_discount=False,
        presentment_currency="EUR",
        guest=False,
        **order_options,
    )[0]
    _settle(pipeline, before + 1)
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))

    # when Shopify refunds, fulfils and takes back, one step after the other
    state = {"fulfilled": False, "shipping_refunded": False, "added": False}
    done = []
    for action in [*actions, "fulfil"]:  # fulfilled in the end, so that every policy has invoiced
        before, when = len(pipeline.jobs()), "after" if state["fulfilled"] else "before"
        what = _act(pipeline, order["id"], action, state)
        if what is None:
            continue
        done.append(what)
        event(f"invoice on {invoice_on}: {what.split(' ')[0]} {when} delivery")
        _settle(pipeline, before + 1)

    # then every job of the order succeeded
    jobs = pipeline.jobs(subject=f"order:{order['id']}")
    failed = [(j.kind, j.state, j.error_code, j.error_message) for j in jobs if j.state != JobState.SUCCEEDED]
    assert not failed, (done, failed)
    # and Odoo's receivable for the order is Shopify's, to the cent, and so are invoiced and paid
    shopify = shopify_money(shopify_client_for(pipeline.shop), order["id"])
    odoo_client = connect(odoo_config(pipeline.odoo))
    info = odoo_client.read_order(link.odoo_id, with_lines=False)
    assert info is not None
    odoo = odoo_money(odoo_client, info.name, shopify.transaction_ids)
    assert odoo.drafts == 0, done
    assert (odoo.invoiced - odoo.credited, odoo.received - odoo.paid_out) == (
        shopify.current_total,
        shopify.net_payment,
    ), (done, odoo, shopify)
    assert odoo.receivable == shopify.receivable, (done, odoo, shopify)
    assert odoo.residual == odoo.receivable, (done, odoo)
