"""Priorities: which job a worker runs when its queue entry names a job of a later priority.

The queue (django-q2, ORM or Redis broker) is first in, first out, and carries only a job's key. So that a
catalogue re-sync of thousands of products queued ahead of an order never holds that order back by more
than one claim cycle, a worker that takes an entry for a job of priority 1 (catalogue, customers, privacy;
``sync/kinds.py``) first looks for a due job of priority 0 (orders, cancellations, refunds, fulfilments,
stock) and runs that one instead, putting the entry it took back at the end of the queue (its job stays
queued; the other job's own entry, when it comes, finds that job done and does nothing).

Fair between shops: among shops with such a job, the one with the fewest jobs running now goes first,
then the oldest job. One indexed probe per shop (``job_pick_idx``), nearly always empty.
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
SELECT j.id, j.idempotency_key
FROM sync_shopifyshop s
CROSS JOIN LATERAL (
    SELECT id, idempotency_key, priority
    FROM sync_syncjob
    WHERE shop_id = s.id AND state IN ('queued', 'retrying') AND priority < %(priority)s
      AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)
    ORDER BY priority, id
    LIMIT 1
) j
ORDER BY j.priority,
    (SELECT count(*) FROM sync_syncjob r WHERE r.shop_id = s.id AND r.state = 'running'
       AND r.lease_expires_at >= %(now)s),
    j.id
LIMIT 1
"""


def job_pick_earlier(priority: int) -> Picked | None:
    """The due job to run before one of ``priority``, if any (fairest shop first, then oldest)."""
    if priority <= 0:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_PICK_SQL, {"priority": priority, "now": timezone.now()})
        row = cursor.fetchone()
    return Picked(pk=row[0], idempotency_key=row[1]) if row else None
