"""Subject locks: PostgreSQL session advisory locks keyed by what a job works on (one Shopify order, one
customer), so that two workers never change the same record at once.

Session locks are re-entrant within one connection: a job that holds its order's lock can take a customer's
lock, and a customer job that already holds its own customer's lock takes it again without waiting. Lock
order is always order → customer, never the other way round, so two jobs cannot deadlock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


def subject_lock_key(subject: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock (hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(subject.encode(), digest_size=8).digest(), "big", signed=True)


def job_lock_key(shop_id: int, subject: str) -> int:
    """The lock a job of ``subject`` (``order:<id>``, ``customer:<id>``) holds while it runs."""
    return subject_lock_key(f"{shop_id}:{subject}")


def subject_lock_try(key: int) -> bool:
    """Take the lock if nobody holds it; never waits."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        return bool(cursor.fetchone()[0])


def subject_lock_release(key: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@contextmanager
def subject_lock(key: int) -> Iterator[None]:
    """Wait for the subject's advisory lock (for work that must not run twice at once inside a job)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        subject_lock_release(key)
