"""PostgreSQL restarted mid-run: the scenario that tests/e2e/test_chaos_postgres.py runs in a pytest of
its own, whose database is a private PostgreSQL cluster (tests/support/private_pg.py) that it may stop and
restart. Its web (the live server), ingest (the worker's inbox pump) and worker all use that cluster; the
machine's shared PostgreSQL is never touched. Not collected by a normal run (the name does not start with
``test_``): run it through test_chaos_postgres.py.

While orders arrive and jobs run, the cluster is stopped (fast: every session ended, their transactions
rolled back) and started again, and restarted in one go; webhooks that Shopify delivers while it is down are
answered with an error and retried by the Shopify stand-in, as Shopify retries. Then one checker
(tests/support/checker.py) judges the run: every order webhook Shopify got a 2xx for ends in exactly one
Odoo sale order, or in a visible parked job.
"""

from __future__ import annotations

import json
import os
import random
import time

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from sync.models import JobAttempt
from tests.support.checker import assert_linearizable, wait_acknowledged
from tests.support.private_pg import ENV_DATA, PrivateCluster
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]

#: Rounds of orders; in each the cluster goes away once (stopped for a while, or restarted in one go).
ROUNDS = 4


@pytest.fixture(scope="module")
def cluster() -> PrivateCluster:
    if not os.environ.get(ENV_DATA):
        pytest.fail("run through tests/e2e/test_chaos_postgres.py: it starts the private PostgreSQL")
    found = PrivateCluster.from_env()
    assert str(found.port) == str(connection.settings_dict["PORT"]), "the tests' database is the private one"
    return found


def _postmaster_pid(cluster: PrivateCluster) -> int:
    return int((cluster.data_dir / "postmaster.pid").read_text().split()[0])


def _refused(pipeline, order_ids: set[str]) -> set[str]:
    """The orders whose orders/create delivery has had an attempt answered with an error (or no answer)."""
    rows = pipeline.shopify.control.deliveries(topic="orders/create")
    return {
        str(json.loads(r["body"])["id"])
        for r in rows
        if str(json.loads(r["body"])["id"]) in order_ids
        and any(not (200 <= int(a.get("status_code") or 0) < 300) for a in r.get("attempts", []))
    }


def _attempt_started_since(pipeline, since) -> bool:
    close_old_connections()
    return JobAttempt.objects.filter(job__shop=pipeline.shop, started_at__gte=since).exists()


def _unsettled(pipeline) -> str:
    """What keeps the run from settling: deliveries not ingested, jobs not finished, queue entries."""
    from django_q.models import OrmQ

    from sync.models import InboundEvent, JobState

    close_old_connections()
    waiting = list(
        InboundEvent.objects.filter(shop=pipeline.shop, ingested_at__isnull=True).values_list("pk", "topic")
    )
    busy = [
        (
            j.pk,
            j.kind,
            j.state,
            j.attempts,
            j.next_attempt_at,
            j.lease_expires_at,
            j.updated_at,
            j.error_message,
        )
        for j in pipeline.jobs()
        if j.state in (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING)
    ]
    attempts = list(
        JobAttempt.objects.filter(job_id__in=[b[0] for b in busy]).values_list(
            "job_id", "number", "outcome", "error_class", "error_message"
        )
    )
    queue = list(OrmQ.objects.values_list("pk", "key", "lock"))
    return (
        f"now={timezone.now()} deliveries not ingested={waiting}\njobs not finished={busy}\n"
        f"their attempts={attempts}\nqueue entries={queue}"
    )


def test_postgresql_restarted_while_webhooks_flow_loses_and_doubles_nothing(pipeline, cluster):
    seed = 5432
    rng = random.Random(seed)
    orders: list[dict] = []
    refused: set[str] = set()
    pids = {_postmaster_pid(cluster)}

    for i in range(ROUNDS):
        # when orders arrive and the worker takes them
        since = timezone.now()
        orders += pipeline.generate_orders(
            2, skus=rng.sample(SKUS, k=rng.randint(1, 2)), quantity=rng.randint(1, 3), seed=seed + i
        )
        wait_for(
            lambda since=since: _attempt_started_since(pipeline, since),
            timeout=90,
            interval=0.1,
            message="the worker to take a job",
        )
        time.sleep(rng.uniform(0.0, 0.5))
        close_old_connections()
        connection.close()  # this process's session goes with the server; it reconnects afterwards
        if i % 2 == 0:
            # and PostgreSQL stops while jobs run, orders keep coming while it is down (Shopify's webhooks
            # are answered with an error), and it starts again once Shopify has seen each refused
            cluster.stop("fast")
            down = pipeline.generate_orders(1, skus=[rng.choice(SKUS)], quantity=1, seed=seed + 100 + i)
            ids = {str(o["id"]) for o in down}
            wait_for(
                lambda ids=ids: _refused(pipeline, ids) == ids,
                timeout=60,
                interval=0.2,
                message="Shopify's delivery to be refused while PostgreSQL is down",
            )
            orders += down
            cluster.start()
        else:
            # or PostgreSQL restarts in one go while orders are being delivered
            orders += pipeline.generate_orders(1, skus=[rng.choice(SKUS)], quantity=1, seed=seed + 200 + i)
            cluster.restart("fast")
        pids.add(_postmaster_pid(cluster))
        refused |= _refused(pipeline, {str(o["id"]) for o in orders})

    # and Shopify retries what it got an error for (its clock advanced), and everything settles
    wait_acknowledged(pipeline, orders, advance=60)
    try:
        pipeline.settle(timeout=180, expect_jobs=len(orders))
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{_unsettled(pipeline)}") from None

    # then PostgreSQL really went away each round (a new postmaster each time), some of Shopify's
    # deliveries were refused meanwhile and acknowledged on a retry, and every acknowledged order is in
    # Odoo exactly once
    assert len(pids) == ROUNDS + 1, pids
    assert refused, f"seed={seed}: no delivery was refused while PostgreSQL was down"
    verdict = assert_linearizable(pipeline)
    assert verdict.completed == len(orders), f"seed={seed}: {verdict}"
