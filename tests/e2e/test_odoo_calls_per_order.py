"""Odoo calls per order in steady state: an order's first attempt creates its sale order straight away
(no look-up by client_order_ref, which only a retry after a possible write needs) and confirms it; a paid
order is then invoiced (wizard, create_invoices, post, one read back) and its transaction registered
without a look-up by memo (which only a retry after a possible registration needs), read back once with
the invoice. Counted by the Odoo stand-in per correlation id, i.e. per job."""

from __future__ import annotations

import pytest

from sync.models import JobState

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]


def _calls_of(pipeline, order_id) -> list[str]:
    job = pipeline.order_jobs(order_id)[0]
    assert job.state == JobState.SUCCEEDED
    assert job.attempts == 1
    return pipeline.odoo.control.counters()["by_correlation_id"].get(str(job.correlation_id)[:64], [])


def test_an_order_in_steady_state_costs_one_create_and_one_confirm_on_sale_order(pipeline):
    # given a first order has warmed the worker (its per-process tax facts)
    first = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=31)[0]
    pipeline.settle(expect_jobs=1)
    assert len(pipeline.sale_orders(first["id"])) == 1

    # when three more orders are placed and booked
    orders = pipeline.generate_orders(3, skus=SKUS, quantity=1, seed=32)
    pipeline.settle(expect_jobs=4)

    # then each order's job created its sale order without looking it up first, and confirmed it
    for order in orders:
        calls = _calls_of(pipeline, order["id"])
        sale_order = [c for c in calls if c.startswith("sale.order.")]
        print(f"order {order['id']}: {len(calls)} Odoo calls: {calls}")
        assert "sale.order.search_read" not in sale_order
        assert sale_order.count("sale.order.web_save") == 1
        assert sale_order.count("sale.order.action_confirm") == 1
        # date_order is rewritten only when the confirmation fell outside Shopify's quarter-hour
        assert sale_order.count("sale.order.write") <= 1
        # invoiced: the wizard, its invoice posted and read back once
        assert [c for c in calls if c.startswith(("sale.advance.payment.inv.", "account.move."))] == [
            "sale.advance.payment.inv.create",
            "sale.advance.payment.inv.create_invoices",
            "account.move.action_post",
            "account.move.search_read",
            # (the payment) and the invoice read back paid
            "account.move.search_read",
        ]
        # paid: the transaction registered without looking for it first, the payment read back once
        assert [c for c in calls if c.startswith("account.payment")] == [
            "account.payment.register.create",
            "account.payment.register.action_create_payments",
            "account.payment.search_read",
        ]
        # (the tax facts are read once per worker process and cached: 0 reads in a warm process)
        assert len(pipeline.sale_orders(order["id"])) == 1
