"""Chaos, bounded in time: orders flow while parts of the system fail, and one checker
(tests/support/checker.py) judges the whole run from the stand-ins' records: every order webhook Shopify
got a 2xx for ends in exactly one Odoo sale order, or in a visible parked job; nothing lost, nothing doubled.

Randomness is seeded (a failure names its seed); waits are conditions with generous bounds, never timing
assertions. Counts are small so that the file stays within a few minutes on a busy machine. PostgreSQL
restarted mid-run has a file of its own (test_chaos_postgres.py: a private cluster it may restart).
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import close_old_connections
from django.utils import timezone

from sync.models import JobAttempt, JobState
from tests.support.checker import assert_linearizable, wait_acknowledged
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e

#: Orders placed and worker kills (one kill after each order): scaled to keep the file within minutes.
KILLS = 20

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]


def _order_attempt_in_flight_since(pipeline, since) -> bool:
    close_old_connections()
    return JobAttempt.objects.filter(
        job__shop=pipeline.shop,
        job__kind="order.upsert",
        outcome=JobAttempt.Outcome.RUNNING,
        started_at__gte=since,
    ).exists()


def test_every_worker_killed_twenty_times_while_orders_flow_loses_and_doubles_nothing(pipeline):
    seed = 5150
    rng = random.Random(seed)
    orders = []
    # Odoo answers each sale-order call after 0.5 s, so an order's job (create and confirm at least) is in
    # flight for over a second: a kill within 0.3 s of seeing its attempt start lands mid-job whatever the
    # machine's speed (without it, fast jobs could finish before every kill and the chaos not happen)
    pipeline.odoo.control.add_fault("latency", model="sale.order", ms=500)

    # when twenty orders arrive one by one, and after each, at a random point, the worker is SIGKILLed
    # (whatever it was doing: taking a task, calling Odoo, committing) and started again
    for i in range(KILLS):
        restarted_at = timezone.now()
        orders += pipeline.generate_orders(
            1, skus=rng.sample(SKUS, k=rng.randint(1, 2)), quantity=rng.randint(1, 3), seed=seed + i
        )
        if rng.random() < 0.5:
            # half the kills land while this worker runs an order's job, the others wherever it is
            # (booting, taking a task, ...)
            wait_for(
                lambda since=restarted_at: _order_attempt_in_flight_since(pipeline, since),
                timeout=90,
                interval=0.1,
                message="the restarted worker to be running an order's job",
            )
            time.sleep(rng.uniform(0.0, 0.2))
        else:
            time.sleep(rng.uniform(0.0, 1.5))
        pipeline.kill_worker()
        pipeline.restart_worker()

    # and the last worker is left to recover what the killed ones held (the sweeper takes back expired
    # leases, as a deployment's scheduler would tick it)
    wait_acknowledged(pipeline, orders)
    pipeline.settle(timeout=240, expect_jobs=len(orders))

    # then some kills caught a job in flight (the chaos happened)
    lost = JobAttempt.objects.filter(job__shop=pipeline.shop, outcome=JobAttempt.Outcome.LOST).count()
    assert lost >= 1, f"seed={seed}: no kill caught a job in flight"
    # and every acknowledged order is in Odoo exactly once (or parked where a person sees it)
    verdict = assert_linearizable(pipeline)
    assert verdict.completed + verdict.parked == len(orders), f"seed={seed}: {verdict}"
    assert verdict.completed == len(orders), f"seed={seed}: mapped SKUs only, nothing should park: {verdict}"


def test_odoo_down_for_ten_scaled_minutes_while_orders_arrive_loses_and_doubles_nothing(pipeline):
    """Odoo answers 502 to everything, and now and then drops a connection after committing, for ten
    minutes in the worker's scaled time (WORKER_ENV's backoff runs 60 times faster than production: ten
    seconds here). The Odoo stand-in has no clock of its own to advance; the outage is timed by the
    sweeps the test runs, as the scheduler would."""
    seed = 2718
    rng = random.Random(seed)
    pipeline.odoo.control.add_fault("error", status=502, rate=1.0)

    # when orders keep arriving during the outage
    orders = []
    started = time.monotonic()
    for i in range(8):
        orders += pipeline.generate_orders(
            1, skus=rng.sample(SKUS, k=rng.randint(1, 2)), quantity=rng.randint(1, 3), seed=seed + i
        )
        pipeline.sweep()
        time.sleep(rng.uniform(0.0, 1.0))
    wait_acknowledged(pipeline, orders)
    wait_for(
        lambda: (
            len(pipeline.jobs(kind="order.upsert")) == len(orders)
            and all(j.attempts >= 2 for j in pipeline.jobs(kind="order.upsert"))
        ),
        timeout=120,
        interval=0.3,
        message="every order's job to have failed against the outage at least twice",
    )
    while time.monotonic() - started < 10:  # the rest of the ten (scaled) minutes
        pipeline.sweep()
        time.sleep(0.3)

    # then nothing reached Odoo, and nothing was given up on
    assert pipeline.jobs(state__in=[JobState.DEAD, JobState.NEEDS_ATTENTION]) == []

    # when Odoo comes back, its first sale order commits but the answer is lost on the way back
    pipeline.odoo.control.clear_faults()
    pipeline.odoo.control.add_fault(
        "lose_answer", model="sale.order", method="web_save", count=1, mode="close"
    )
    pipeline.settle(timeout=180, expect_jobs=len(orders))

    # then every acknowledged order is in Odoo exactly once
    verdict = assert_linearizable(pipeline)
    assert verdict.completed == len(orders), f"seed={seed}: {verdict}"


#: django-q2's task timeout for the hung-task test's worker: production's 120 s scaled down as WORKER_ENV
#: scales the backoff, and shorter than the job lease there (6 s), as production's is (120 s against 300 s).
TASK_TIMEOUT = 4

#: How long Odoo holds its answer: well past the task timeout (and the lease), so that the timeout, not the
#: answer, ends the hung attempt.
HANG = 5 * TASK_TIMEOUT


@pytest.fixture
def timeout_worker(pipeline, worker):
    """The module's worker started again with django-q2's task timeout at TASK_TIMEOUT; put back after."""
    saved = worker.env
    worker.stop()
    worker.env = {**saved, "OPSCONSOLE_Q_TIMEOUT": str(TASK_TIMEOUT)}
    worker.start()
    yield worker
    worker.stop()
    worker.env = saved
    worker.start()


def test_a_task_hung_on_odoo_past_its_timeout_is_stopped_taken_over_and_its_order_made_once(
    pipeline, timeout_worker
):
    """Odoo commits a sale order and then holds its answer far longer than the worker's task timeout:
    django-q2 stops the task (its worker process replaced), the attempt is recorded as lost to the timeout,
    and the sweeper hands the job over; the next attempt, knowing an earlier one may have written, finds
    the order in Odoo instead of creating it again. Whichever way, the order exists once."""
    pipeline.odoo.control.add_fault("slow", model="sale.order", method="web_save", seconds=HANG, count=1)
    log_start = timeout_worker.log_path.stat().st_size if timeout_worker.log_path.exists() else 0

    # when an order's creation hangs on Odoo's answer
    orders = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=404)
    wait_for(
        lambda: pipeline.sale_orders(orders[0]["id"]), timeout=90, message="Odoo to commit the hung order"
    )
    (job,) = pipeline.order_jobs(orders[0]["id"])

    # then the timeout stops the task while Odoo still holds the answer: its attempt is lost, visibly
    def timed_out():
        close_old_connections()
        return JobAttempt.objects.filter(
            job=job, outcome=JobAttempt.Outcome.LOST, error_class="TimeoutException"
        ).first()

    hung = wait_for(timed_out, timeout=90, interval=0.2, message="the hung attempt to time out")
    assert f"maximum timeout value ({TASK_TIMEOUT} seconds)" in hung.error_message
    assert {"op": "create_sale_order", "error": "TimeoutException"}.items() <= hung.external_calls[-1].items()

    # and, with more orders arriving and the sweeper run as the scheduler would, everything settles
    orders += pipeline.generate_orders(3, skus=SKUS, quantity=2, seed=405)
    wait_acknowledged(pipeline, orders)
    pipeline.settle(timeout=180, expect_jobs=len(orders))

    # then every order is in Odoo once, and the hung one's job was taken over and succeeded with the
    # order the hung attempt wrote
    verdict = assert_linearizable(pipeline)
    assert verdict.completed == len(orders), str(verdict)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert job.attempts >= 2
    assert job.result["odoo_order_id"] == pipeline.sale_orders(orders[0]["id"])[0]["id"]
    assert pipeline.odoo_order_creates() == len(orders)
    outcomes = list(JobAttempt.objects.filter(job=job).order_by("number").values_list("outcome", flat=True))
    assert outcomes[-1] == JobAttempt.Outcome.SUCCEEDED and outcomes.count("succeeded") == 1, outcomes
    # and the worker's log says so: our line for the job, django-q2's for the process it replaced
    with timeout_worker.log_path.open("rb") as log:
        log.seek(log_start)
        written = log.read().decode(errors="replace")
    assert any("job.timed_out" in line and f"job_id={job.pk} " in line for line in written.splitlines())
    assert "after timeout" in written


def test_webhooks_with_timestamps_hours_off_our_clock_are_processed_once_in_order(pipeline):
    """Shopify's clock six hours ahead of ours (the stand-in's clock advanced: created_at, updated_at and
    X-Shopify-Triggered-At all ahead), then the same orders' creations delivered again under new ids with
    X-Shopify-Triggered-At eight hours behind ours: each order is made once, and the late stale delivery
    does not undo the newer state."""
    pipeline.shopify.control.advance_clock(6 * 3600)

    # when orders are placed and updated on a Shopify clock ahead of ours
    orders = pipeline.generate_orders(3, skus=SKUS, quantity=1, seed=606)
    for order in orders:
        pipeline.shopify.control.touch_order(order["id"])
    wait_acknowledged(pipeline, orders)
    pipeline.settle(timeout=120, expect_jobs=len(orders))

    # and each order's creation comes again as a new event stamped eight hours before our clock
    behind = (timezone.now() - timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for order in orders:
        (created,) = pipeline.deliveries("orders/create", order["id"])
        answer = pipeline.redeliver(
            created, webhook_id=f"skewed-{order['id']}", event_id=f"skewed-{order['id']}", triggered_at=behind
        )
        assert 200 <= answer.status_code < 300, answer.text
    pipeline.settle(timeout=120)

    # then each order is in Odoo once, at Shopify's current total
    verdict = assert_linearizable(pipeline)
    assert verdict.completed == len(orders), str(verdict)
    assert pipeline.odoo_order_creates() == len(orders)
    for order in orders:
        (sale_order,) = pipeline.sale_orders(order["id"])
        current = pipeline.shopify.control.order(order["id"])
        assert Decimal(str(sale_order["amount_total"])).quantize(Decimal("0.01")) == Decimal(
            current["total_price"]
        )
