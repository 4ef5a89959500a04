"""End to end under faults: a missing mapping, an Odoo outage, Odoo refusing our credentials.

Each test drives both sandboxes over HTTP with the real worker, then reads Odoo's final state with odoorpc
and our own tables.
"""

from __future__ import annotations

import time
from decimal import Decimal
from itertools import pairwise

import pytest

from sync.engine.mappings import mapping_version_current
from sync.models import ExternalLink, JobAttempt, JobState, MappingTable, OdooConnection, Problem
from sync.services.mappings import MappingRow, mapping_apply
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e

MAPPED_SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]


def _one_order_job(pipeline, order_id):
    jobs = pipeline.order_jobs(order_id)
    assert len(jobs) == 1, [(j.kind, j.state) for j in jobs]
    return jobs[0]


def test_an_unknown_sku_parks_its_order_while_others_flow_and_the_new_mapping_replays_it_once(pipeline):
    # given an order with a SKU that exists in Odoo but is not mapped, between two ordinary orders
    first = pipeline.generate_orders(1, skus=MAPPED_SKUS, quantity=1, seed=11)[0]
    blocked = pipeline.generate_orders(1, skus=["BEANIE-RUST", "MERINOTE-M-NAVY"], quantity=1, seed=12)[0]
    last = pipeline.generate_orders(1, skus=MAPPED_SKUS, quantity=2, seed=13)[0]

    # when the webhooks are delivered and the worker has run every job
    pipeline.settle(expect_jobs=3)

    # then the blocked order is parked on the missing mapping, and the others went through
    parked = _one_order_job(pipeline, blocked["id"])
    assert parked.state == JobState.NEEDS_ATTENTION
    assert (parked.error_class, parked.error_code, parked.error_key) == (
        "BusinessRuleError",
        "unknown_sku",
        "BEANIE-RUST",
    )
    assert parked.fingerprint == "unknown_sku:BEANIE-RUST"
    assert [a.outcome for a in parked.attempt_set.all()] == [JobAttempt.Outcome.PARKED]
    assert pipeline.sale_orders(blocked["id"]) == []
    assert not ExternalLink.objects.filter(kind="order", shopify_id=str(blocked["id"])).exists()
    for order in (first, last):
        job = _one_order_job(pipeline, order["id"])
        assert job.state == JobState.SUCCEEDED
        assert len(pipeline.sale_orders(order["id"])) == 1

    # when the SKU is mapped to its Odoo product
    products = pipeline.rpc.env["product.product"].search_read(
        [("default_code", "=", "BEANIE-RUST")], ["id", "default_code"]
    )
    assert len(products) == 1
    version = mapping_apply(
        shop=pipeline.shop,
        rows=[
            MappingRow(
                table=MappingTable.SKU,
                key="BEANIE-RUST",
                value={"product_id": products[0]["id"], "default_code": "BEANIE-RUST"},
            )
        ],
    )
    assert version == mapping_version_current(shop=pipeline.shop)

    # then the parked job is replayed by itself and creates exactly one sale order, with that mapping
    pipeline.settle()
    replayed = _one_order_job(pipeline, blocked["id"])
    assert replayed.pk == parked.pk
    assert replayed.state == JobState.SUCCEEDED
    assert replayed.mapping_version == version
    assert replayed.fingerprint == ""
    assert replayed.problem.status == Problem.Status.RESOLVED
    assert [a.outcome for a in replayed.attempt_set.all()] == [
        JobAttempt.Outcome.PARKED,
        JobAttempt.Outcome.SUCCEEDED,
    ]
    orders = pipeline.sale_orders(blocked["id"])
    assert len(orders) == 1
    assert orders[0]["state"] == "sale"
    assert Decimal(str(orders[0]["amount_total"])).quantize(Decimal("0.01")) == Decimal(
        blocked["total_price"]
    )
    line_products = pipeline.rpc.env["sale.order.line"].search_read(
        [("order_id", "=", orders[0]["id"])], ["product_id"]
    )
    assert products[0]["id"] in [line["product_id"][0] for line in line_products if line["product_id"]]
    assert ExternalLink.objects.get(kind="order", shopify_id=str(blocked["id"])).odoo_id == orders[0]["id"]
    assert pipeline.odoo_order_creates() == 3


def test_odoo_answering_502_for_ten_sandbox_minutes_retries_with_backoff_and_the_backlog_drains(pipeline):
    # given Odoo answers every call with 502 (the worker's backoff runs 60 times faster than production,
    # so ten seconds here are ten minutes there)
    pipeline.odoo.control.add_fault("error", status=502, rate=1.0)

    # when four orders arrive during the outage
    orders = pipeline.generate_orders(4, skus=MAPPED_SKUS, quantity=1, seed=31)
    started = time.monotonic()

    def retried_a_few_times():
        pipeline.sweep()
        jobs = [pipeline.order_jobs(o["id"]) for o in orders]
        return all(len(j) == 1 and j[0].attempts >= 4 for j in jobs)

    wait_for(retried_a_few_times, timeout=60, interval=0.3, message="every order job to retry")
    while time.monotonic() - started < 10:  # the rest of the ten minutes, sweeping as the scheduler would
        pipeline.sweep()
        time.sleep(0.3)

    # then the webhooks were all accepted, and nothing was sent to dead or parked during the outage
    for order in orders:
        assert [
            [a["status_code"] for a in d["attempts"]]
            for d in pipeline.deliveries("orders/create", order["id"])
        ] == [[200]]
    during = [_one_order_job(pipeline, o["id"]) for o in orders]
    assert {j.state for j in during} <= {JobState.RETRYING, JobState.QUEUED, JobState.RUNNING}
    assert pipeline.jobs(state__in=[JobState.DEAD, JobState.NEEDS_ATTENTION]) == []
    assert not ExternalLink.objects.filter(kind="order").exists()

    # when Odoo comes back
    pipeline.odoo.control.clear_faults()
    pipeline.settle(timeout=120)

    # then the backlog drained: one confirmed sale order per Shopify order, created once each
    for order in orders:
        sale_orders = pipeline.sale_orders(order["id"])
        assert len(sale_orders) == 1
        assert sale_orders[0]["state"] == "sale"
    assert pipeline.odoo_order_creates() == len(orders)
    assert pipeline.jobs(state__in=[JobState.DEAD, JobState.NEEDS_ATTENTION]) == []
    for order in orders:
        job = _one_order_job(pipeline, order["id"])
        assert job.state == JobState.SUCCEEDED
        assert job.result["outcome"] == "created"
        attempts = list(job.attempt_set.all())
        assert len(attempts) == job.attempts >= 4  # at least three failures during the outage
        assert {a.outcome for a in attempts[:-1]} == {JobAttempt.Outcome.RETRY}
        assert {a.error_class for a in attempts[:-1]} == {"TransientError"}
        assert attempts[-1].outcome == JobAttempt.Outcome.SUCCEEDED
        # each retry waited at least its backoff: after failure n the ceiling is base * 2**(n-1) and the
        # jittered delay at least half of it (base 0.5 s in WORKER_ENV), so the waits grow with n
        gaps = [(b.started_at - a.started_at).total_seconds() for a, b in pairwise(attempts)]
        for n, gap in enumerate(gaps, start=1):
            assert gap >= 0.5 * 2 ** (n - 1) / 2, gaps


@pytest.fixture
def sweep_driven_by_the_test():
    """The worker's every-minute sweep held off while the test runs the sweep itself: on a busy machine the
    test outlasts a minute, and a scheduled probe of the flagged connection between the test's counter reset
    and its check would count as the job's calls."""
    from datetime import timedelta

    from django.utils import timezone
    from django_q.models import Schedule

    Schedule.objects.filter(name="sync.sweep").update(next_run=timezone.now() + timedelta(days=1))
    yield
    Schedule.objects.filter(name="sync.sweep").update(next_run=timezone.now())


def test_odoo_refusing_our_credentials_parks_jobs_as_auth_problems_until_the_credentials_work_again(
    pipeline, sweep_driven_by_the_test
):
    from sync.tasks import sweep

    # given Odoo no longer accepts our API key
    pipeline.odoo.control.revoke()

    # when two orders arrive
    orders = pipeline.generate_orders(2, skus=MAPPED_SKUS, quantity=1, seed=41)
    pipeline.settle(expect_jobs=2)

    # then their jobs are parked as an Odoo auth problem after one attempt each, and the connection is flagged
    connection = OdooConnection.objects.get(pk=pipeline.shop.odoo_id)
    assert connection.auth_failed_at is not None
    first_jobs = [_one_order_job(pipeline, o["id"]) for o in orders]
    for job in first_jobs:
        assert (job.state, job.error_class, job.error_code) == (JobState.NEEDS_ATTENTION, "AuthError", "auth")
        assert (job.fingerprint, job.problem.shop_id) == ("auth:odoo", pipeline.shop.pk)  # one per shop
        assert job.attempts == 1
        assert [a.outcome for a in job.attempt_set.all()] == [JobAttempt.Outcome.PARKED]
    assert pipeline.jobs(state__in=[JobState.DEAD, JobState.RETRYING]) == []

    # when a third order arrives while the connection is flagged
    pipeline.odoo.control.reset_counters()
    third = pipeline.generate_orders(1, skus=MAPPED_SKUS, quantity=1, seed=42)[0]
    wait_for(lambda: pipeline.order_jobs(third["id"]), timeout=30, message="the third order's job")
    pipeline.settle()

    # then it parks at once without calling Odoo
    job = _one_order_job(pipeline, third["id"])
    assert (job.state, job.error_class, job.attempts) == (JobState.NEEDS_ATTENTION, "AuthError", 1)
    assert pipeline.odoo.control.counters()["total"] == 0

    # when the scheduled sweep probes the connection while Odoo still refuses
    report = sweep()
    pipeline.settle()

    # then the probe asked Odoo who we are, and replayed nothing
    assert report["recovered_connections"] == 0
    assert set(pipeline.odoo.control.counters()["calls"]) == {"res.users"}
    assert [j.attempts for j in first_jobs] == [_one_order_job(pipeline, o["id"]).attempts for o in orders]

    # when the credentials work again and the scheduled sweep probes the connection
    pipeline.odoo.control.restore()
    report = sweep()
    pipeline.settle()

    # then the connection is cleared and every parked job ran once more and created its order, once
    assert report["recovered_connections"] == 1
    assert OdooConnection.objects.get(pk=connection.pk).auth_failed_at is None
    for order in [*orders, third]:
        sale_orders = pipeline.sale_orders(order["id"])
        assert len(sale_orders) == 1
        assert sale_orders[0]["state"] == "sale"
        job = _one_order_job(pipeline, order["id"])
        assert (job.state, job.attempts, job.error_class) == (JobState.SUCCEEDED, 2, "")
        assert [a.outcome for a in job.attempt_set.all()] == [
            JobAttempt.Outcome.PARKED,
            JobAttempt.Outcome.SUCCEEDED,
        ]
    assert pipeline.jobs(state__in=[JobState.DEAD, JobState.NEEDS_ATTENTION]) == []
    assert pipeline.odoo_order_creates() == 3
    # and the engine resolved the shop's auth problem once its last blocked job succeeded
    problem = Problem.objects.get(shop=pipeline.shop, fingerprint="auth:odoo")
    parked = list(problem.jobs.all())  # the order jobs and their customers' jobs, each parked once
    assert {j.pk for j in [*first_jobs, job]} <= {j.pk for j in parked}
    assert (problem.status, problem.times_seen) == (Problem.Status.RESOLVED, len(parked))
    assert {j.state for j in parked} == {JobState.SUCCEEDED}
    assert problem.activity.filter(kind="replayed", actor__isnull=True).count() == 1
