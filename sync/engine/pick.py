"""Priorities and fairness: which job a worker runs when it takes a queue entry.

The queue (django-q2, ORM or Redis broker) is first in, first out, and carries only a job's key. So that a
catalogue re-sync of thousands of products queued ahead of an order never holds that order back by more
than one claim cycle, and a backlog of thousands of orders never holds back a stock change, a worker that
takes an entry first looks for a due job of an earlier priority (``sync/kinds.py``: 0 stock; 1 orders,
cancellations, refunds, fulfilments; 2 catalogue, customers, privacy) and runs that one instead, putting
the entry it took back at the end of the queue (its job stays queued; the other job's own entry, when it
comes, finds that job done and does nothing).

Fair between shops, within a priority too: among shops with a due job of the entry's priority or an earlier
one, the earliest priority goes first, then the shop with the fewest jobs running now, then the shop served
longest ago (``ShopifyShop.jobs_claimed_at``, set at each claim), then the oldest job. So a shop with a
backlog of 10,000 orders takes turns with a shop whose one order came after them: one worker alternates
between the two, and the backlog's entries put back wait at the end of the queue. When the fairest shop is
the entry's own shop at the entry's priority, the entry's job runs (nothing put back, no churn). One indexed
probe per shop (``job_pick_idx``).

A shop's stock jobs run one at a time (under its stock lock): while one runs, the others are passed over,
so that workers do not take them only to find the lock held.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.utils import timezone


@dataclass(frozen=True)
class Picked:
    pk: int
    idempotency_key: str


_PICK_SQL = """
SELECT j.id, j.idempotency_key, s.id, j.priority
FROM sync_shopifyshop s
CROSS JOIN LATERAL (
    SELECT id, idempotency_key, priority
    FROM sync_syncjob
    WHERE shop_id = s.id AND state IN ('queued', 'retrying') AND priority <= %(priority)s
      AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)
      AND NOT (flow = 'stock' AND EXISTS (
          SELECT 1 FROM sync_syncjob r WHERE r.shop_id = s.id AND r.flow = 'stock' AND r.state = 'running'
            AND r.lease_expires_at >= %(now)s))
    ORDER BY priority, id
    LIMIT 1
) j
ORDER BY j.priority,
    (SELECT count(*) FROM sync_syncjob r WHERE r.shop_id = s.id AND r.state = 'running'
       AND r.lease_expires_at >= %(now)s),
    s.jobs_claimed_at NULLS FIRST,
    j.id
LIMIT 1
"""


def job_pick_first(*, shop_id: int, priority: int, due: bool) -> Picked | None:
    """The due job to run instead of the entry's job (of ``shop_id`` and ``priority``), if any: one of an
    earlier priority (fairest shop first, then oldest), or, when the entry's job is itself due, one of the
    same priority in a shop whose turn it is. None: run the entry's job."""
    bound = priority if due else priority - 1
    if bound < 0:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_PICK_SQL, {"priority": bound, "now": timezone.now()})
        row = cursor.fetchone()
    if row is None:
        return None
    pk, key, picked_shop, picked_priority = row
    if picked_priority == priority and picked_shop == shop_id:
        return None  # the entry's own shop has the turn: its job runs, in queue order
    return Picked(pk=pk, idempotency_key=key)
