"""The exactly-once end-to-end tests again, on django-q2's Redis broker with TWO worker processes
(``qcluster`` each, as on two worker hosts): ``OPSCONSOLE_Q_BROKER=redis://...``. Marked ``redis``: they
run in the normal suite (and so in CI, which sets OPSCONSOLE_REQUIRE_REDIS=1) against the machine's Redis.

The tests are those of test_exactly_once.py, imported; only the workers and this process's broker differ.
With Redis a popped task is gone from the queue, so a killed worker's tasks come back through the job
engine alone (its lease, and the sweeper's "stranded" enqueue of a queued job with no queue entry): a
killed worker also loses the tasks its cluster had fetched ahead (up to ``queue_limit``) but not started.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from django.test import override_settings

from tests.e2e.conftest import Worker
from tests.e2e.test_exactly_once import (  # noqa: F401 - collected here a second time, on Redis
    test_a_worker_killed_after_odoo_created_the_order_leaves_no_second_order_after_recovery,
    test_a_worker_killed_before_the_odoo_call_runs_the_job_again_to_completion,
    test_an_odoo_answer_lost_after_the_commit_makes_the_retry_find_the_order,
    test_the_same_orders_create_delivered_five_times_at_once_and_again_hours_later_makes_one_order,
)
from tests.support.redis_queue import RedisQueue, redis_queue

pytestmark = [pytest.mark.e2e, pytest.mark.redis]


class TwoWorkers:
    """Two qcluster processes on one Redis queue; killed and restarted together (a lost host)."""

    def __init__(self, queue: RedisQueue) -> None:
        self.workers = [
            Worker(
                f"e2e-redis-worker-{n}-{os.getpid()}",
                **queue.worker_env(),
                OPSCONSOLE_Q_WORKERS="1",
                # A lease long enough that a slow attempt on a loaded machine does not outlive it (the
                # other worker would take the job back while it still runs); kills still recover quickly.
                OPSCONSOLE_SYNC_LEASE_SECONDS="15",
            )
            for n in (1, 2)
        ]

    @property
    def proc(self) -> subprocess.Popen[bytes] | None:
        alive = [w.proc for w in self.workers if w.proc is not None and w.proc.poll() is None]
        return alive[0] if len(alive) == len(self.workers) else None

    def start(self) -> subprocess.Popen[bytes]:
        for w in self.workers:
            if w.proc is None or w.proc.poll() is not None:
                w.start()
        return self.workers[0].proc  # type: ignore[return-value]

    def kill(self) -> None:
        for w in self.workers:
            w.kill()

    def stop(self) -> None:
        for w in self.workers:
            w.stop()


@pytest.fixture(scope="module")
def redis_broker() -> Iterator[RedisQueue]:
    # This process sweeps where the scheduler would (pipeline.settle), so it takes the workers' stranded
    # delay: with Redis, the tasks a killed worker had already popped exist nowhere but as queued jobs, and
    # only the stranded enqueue brings them back (with the default 300 s the test would wait that long).
    with redis_queue() as queue, override_settings(SYNC_STRANDED_AFTER_SECONDS=5):
        yield queue


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, redis_broker) -> Iterator[TwoWorkers]:  # type: ignore[no-untyped-def]
    workers = TwoWorkers(redis_broker)
    workers.start()
    yield workers
    workers.stop()


def test_two_workers_run_the_jobs_pushed_to_redis_and_the_orm_queue_stays_empty(
    pipeline, redis_broker, worker
):
    from django_q.models import OrmQ

    from sync.models import JobState

    # given several orders delivered at once, while two worker processes share the Redis queue
    orders = pipeline.generate_orders(6, skus=["MERINOTE-M-NAVY"], quantity=1, seed=31)

    # when the workers have run them
    jobs = pipeline.settle(expect_jobs=len(orders))

    # then each order is one confirmed sale order, and nothing went through the ORM broker's table
    order_jobs = [j for j in jobs if j.kind == "order.upsert"]
    assert len(order_jobs) == len(orders) and {j.state for j in order_jobs} == {JobState.SUCCEEDED}
    assert all(len(pipeline.sale_orders(o["id"])) == 1 for o in orders)
    assert OrmQ.objects.count() == 0 and redis_broker.length() == 0
    assert all(w.proc is not None and w.proc.poll() is None for w in worker.workers)
