"""Exactly once, end to end: duplicate deliveries, a worker killed mid-job, an Odoo answer lost after the
commit. Each test reads Odoo's final state with odoorpc and our own tables."""

from __future__ import annotations

import pytest

from sync.models import ExternalLink, InboundEvent, JobAttempt, JobState
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]


def _sale_order_creates(pipeline) -> int:
    return pipeline.odoo_order_creates()


def _running_attempt(pipeline, order_id):
    def running():
        jobs = [j for j in pipeline.order_jobs(order_id) if j.state == JobState.RUNNING]
        return jobs[0] if jobs else None

    return wait_for(running, timeout=60, message=f"a running job for order {order_id}")


def test_the_same_orders_create_delivered_five_times_at_once_and_again_hours_later_makes_one_order(pipeline):
    # given Shopify will send the next orders/create five times at the same instant
    pipeline.shopify.control.delivery_fault("concurrent_duplicate", topic="orders/create", count=1, copies=5)

    # when an order is placed and every copy has been delivered
    order = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=21)[0]
    deliveries = pipeline.shopify.control.wait_for_deliveries(
        lambda rows: (
            len([r for r in rows if r["topic"] == "orders/create" and r["status"] == "delivered"]) == 5
        )
    )
    pipeline.settle(expect_jobs=1)

    # then every copy was answered 200, with one webhook id and one event id between them
    copies = [r for r in deliveries if r["topic"] == "orders/create"]
    assert [[a["status_code"] for a in r["attempts"]] for r in copies] == [[200]] * 5
    assert len({(r["webhook_id"], r["event_id"]) for r in copies}) == 1
    # and one inbox row, one job, one sale order
    assert InboundEvent.objects.filter(topic="orders/create", subject_id=str(order["id"])).count() == 1
    job = pipeline.order_jobs(order["id"])
    assert [(j.kind, j.state, j.attempts) for j in job] == [("order.upsert", JobState.SUCCEEDED, 1)]
    assert len(pipeline.sale_orders(order["id"])) == 1

    # when, three hours later on the sandbox clock, the same delivery comes twice more (a retry with its
    # ids, and the same event through a second subscription: a new webhook id, the same event id)
    pipeline.shopify.control.advance_clock(3 * 3600)
    original = copies[0]
    again = pipeline.redeliver(original)
    second_subscription = pipeline.redeliver(original, webhook_id="another-subscription-delivery")
    pipeline.settle()

    # then both are answered 200 as duplicates, and nothing new exists on either side
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert (second_subscription.status_code, second_subscription.json()) == (200, {"status": "duplicate"})
    assert InboundEvent.objects.filter(topic="orders/create", subject_id=str(order["id"])).count() == 1
    assert [j.pk for j in pipeline.order_jobs(order["id"])] == [job[0].pk]
    orders = pipeline.sale_orders(order["id"])
    assert len(orders) == 1
    assert orders[0]["state"] == "sale"
    assert _sale_order_creates(pipeline) == 1
    assert ExternalLink.objects.filter(kind="order", shopify_id=str(order["id"])).count() == 1


def test_a_worker_killed_after_odoo_created_the_order_leaves_no_second_order_after_recovery(pipeline):
    # given Odoo commits the next sale order but holds its answer back
    pipeline.odoo.control.add_fault("slow", model="sale.order", method="web_save", seconds=25, count=1)
    order = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=22)[0]

    # when the worker is killed (SIGKILL) while it waits for that answer, after Odoo has the order
    running = _running_attempt(pipeline, order["id"])
    wait_for(lambda: pipeline.sale_orders(order["id"]), timeout=60, message="Odoo to commit the order")
    pipeline.kill_worker()
    pipeline.odoo.control.clear_faults()
    assert pipeline.order_jobs(order["id"])[0].state == JobState.RUNNING

    # and a new worker starts, and the sweeper takes the job back once its lease has expired
    pipeline.restart_worker()
    pipeline.settle(timeout=120)

    # then the job found the order Odoo had created instead of creating a second one
    orders = pipeline.sale_orders(order["id"])
    assert len(orders) == 1
    assert orders[0]["state"] == "sale"
    assert _sale_order_creates(pipeline) == 1
    job = pipeline.order_jobs(order["id"])[0]
    assert job.pk == running.pk
    assert job.state == JobState.SUCCEEDED
    assert job.result["outcome"] == "found_existing"
    assert job.result["odoo_order_id"] == orders[0]["id"]
    attempts = list(job.attempt_set.all())
    assert [(a.number, a.outcome) for a in attempts] == [
        (1, JobAttempt.Outcome.LOST),
        (2, JobAttempt.Outcome.SUCCEEDED),
    ]
    assert attempts[0].error_class == "WorkerLost"
    assert attempts[0].finished_at is not None
    assert attempts[0].worker_pid != attempts[1].worker_pid
    assert ExternalLink.objects.get(kind="order", shopify_id=str(order["id"])).odoo_id == orders[0]["id"]


def test_a_worker_killed_before_the_odoo_call_runs_the_job_again_to_completion(pipeline):
    # given Odoo is slow to answer the customer look-up that comes before any sale order write
    pipeline.odoo.control.add_fault("latency", model="res.partner", ms=15000)
    order = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=23)[0]

    # when the worker is killed while that call has not run yet
    running = _running_attempt(pipeline, order["id"])
    wait_for(
        lambda: pipeline.odoo.control.counters()["calls"].get("res.partner"),
        timeout=60,
        message="the worker to call Odoo",
    )
    pipeline.kill_worker()
    pipeline.odoo.control.clear_faults()
    assert pipeline.sale_orders(order["id"]) == []

    # and a new worker starts, and the sweeper takes the job back after its lease
    pipeline.restart_worker()
    pipeline.settle(timeout=120)

    # then the job ran again and created the order, once
    job = pipeline.order_jobs(order["id"])[0]
    assert job.pk == running.pk
    assert job.state == JobState.SUCCEEDED
    assert job.result["outcome"] == "created"
    assert [a.outcome for a in job.attempt_set.all()] == [
        JobAttempt.Outcome.LOST,
        JobAttempt.Outcome.SUCCEEDED,
    ]
    orders = pipeline.sale_orders(order["id"])
    assert len(orders) == 1
    assert orders[0]["state"] == "sale"
    assert _sale_order_creates(pipeline) == 1


def test_an_odoo_answer_lost_after_the_commit_makes_the_retry_find_the_order(pipeline):
    # given Odoo will commit the next sale order and then drop the connection without answering
    pipeline.odoo.control.add_fault(
        "lose_answer", model="sale.order", method="web_save", count=1, mode="close"
    )

    # when an order is placed and its job has settled
    order = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=24)[0]
    wait_for(lambda: pipeline.order_jobs(order["id"]), timeout=60, message="the order's job")
    pipeline.settle(expect_jobs=1)

    # then the retry found the committed order: one sale order, created once
    orders = pipeline.sale_orders(order["id"])
    assert len(orders) == 1
    assert orders[0]["state"] == "sale"
    assert _sale_order_creates(pipeline) == 1
    job = pipeline.order_jobs(order["id"])[0]
    assert job.state == JobState.SUCCEEDED
    assert job.result["outcome"] == "found_existing"
    attempts = list(job.attempt_set.all())
    assert [a.outcome for a in attempts] == [JobAttempt.Outcome.RETRY, JobAttempt.Outcome.SUCCEEDED]
    assert attempts[0].error_class == "TransientError"
    assert attempts[0].external_calls[-1]["op"] == "create_sale_order"
    assert attempts[0].external_calls[-1]["ok"] is False
    assert ExternalLink.objects.get(kind="order", shopify_id=str(order["id"])).odoo_id == orders[0]["id"]


def test_an_odoo_answer_lost_after_a_payment_makes_the_retry_find_the_payment_not_pay_twice(pipeline):
    # given Odoo will register the next payment and then drop the connection without answering
    pipeline.odoo.control.add_fault(
        "lose_answer",
        model="account.payment.register",
        method="action_create_payments",
        count=1,
        mode="close",
    )

    # when a paid order is placed and its job has settled
    order = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=25)[0]
    wait_for(lambda: pipeline.order_jobs(order["id"]), timeout=60, message="the order's job")
    pipeline.settle(expect_jobs=1)

    # then the retry looked the transaction's payment up by its memo and found it: paid once
    job = pipeline.order_jobs(order["id"])[0]
    assert job.state == JobState.SUCCEEDED, job.error_message
    attempts = list(job.attempt_set.all())
    assert [a.outcome for a in attempts] == [JobAttempt.Outcome.RETRY, JobAttempt.Outcome.SUCCEEDED]
    assert attempts[0].external_calls[-1]["op"] == "register_payment"
    assert attempts[0].external_calls[-1]["ok"] is False
    calls = pipeline.odoo.control.counters()["by_correlation_id"].get(str(job.correlation_id)[:64], [])
    assert calls.count("account.payment.register.action_create_payments") == 1
    link = ExternalLink.objects.get(kind="order", shopify_id=str(order["id"]))
    (memo,) = link.data["cash"]["payments"]
    payments = pipeline.rpc.env["account.payment"].search_read([("memo", "=", memo)], ["amount", "state"])
    assert len(payments) == 1
    invoice = pipeline.rpc.env["account.move"].read([link.data["cash"]["invoice_id"]], ["payment_state"])[0]
    assert invoice["payment_state"] in ("paid", "in_payment")
    assert link.data["cash"]["paying"] == []


def test_an_odoo_answer_lost_after_the_confirmation_makes_the_retry_confirm_invoice_and_pay(pipeline):
    # given Odoo will confirm the next sale order and then drop the connection without answering
    pipeline.odoo.control.add_fault(
        "lose_answer", model="sale.order", method="action_confirm", count=1, mode="close"
    )

    # when a paid order is placed and its job has settled
    order = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=26)[0]
    wait_for(lambda: pipeline.order_jobs(order["id"]), timeout=60, message="the order's job")
    pipeline.settle(expect_jobs=1)

    # then the retry did what the first attempt left undone: one order, confirmed, invoiced and paid
    job = pipeline.order_jobs(order["id"])[0]
    assert job.state == JobState.SUCCEEDED, job.error_message
    outcomes = [a.outcome for a in job.attempt_set.all()]
    assert outcomes == [JobAttempt.Outcome.RETRY, JobAttempt.Outcome.SUCCEEDED]
    assert job.result["outcome"] != "stale", job.result
    (sale_order,) = pipeline.sale_orders(order["id"])
    assert sale_order["state"] == "sale"
    link = ExternalLink.objects.get(kind="order", shopify_id=str(order["id"]))
    assert link.data["cash"]["settled"] is True
    invoice = pipeline.rpc.env["account.move"].read([link.data["cash"]["invoice_id"]], ["payment_state"])[0]
    assert invoice["payment_state"] in ("paid", "in_payment")
