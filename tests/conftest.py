"""Shared fixtures. The database is real PostgreSQL: DATABASE_URL, or the embedded server when unset."""

from __future__ import annotations

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import OperationalError
from django.db.backends.postgresql.operations import DatabaseOperations

from tests.factories import PASSWORD, UserFactory

# The live server's listen backlog is 10 by default; the Shopify sandbox delivers a dozen webhooks at once,
# and connections beyond the backlog wait for SYN retries (1 s, 3 s, ...) past Shopify's 5-second timeout.
# Production runs gunicorn (backlog 2048); this only sizes the test server the same way.
WSGIServer.request_queue_size = 2048

_execute_sql_flush = DatabaseOperations.execute_sql_flush


def _execute_sql_flush_through_deadlocks(self: DatabaseOperations, sql_list: list[str]) -> None:
    """The TRUNCATE that empties the database after a transactional test, run again when PostgreSQL chose
    it as a deadlock's victim. The e2e modules keep their worker running between tests (module scope), and
    a worker's transaction that holds one table and waits for another can deadlock with the TRUNCATE taking
    them all (seen once in a full run, at the teardown of a stock-out test whose worker reads its change
    streams every 2 s). The atomic block rolls the failed TRUNCATE back; the worker's transaction goes on
    and ends, and the next TRUNCATE takes its locks."""
    for attempt in range(10):
        try:
            _execute_sql_flush(self, sql_list)
            return
        except OperationalError as exc:
            if attempt == 9 or "deadlock detected" not in str(exc):
                raise


DatabaseOperations.execute_sql_flush = _execute_sql_flush_through_deadlocks  # type: ignore[method-assign]


@pytest.fixture
def make_user(db):  # type: ignore[no-untyped-def]
    def make(role: str | None = None, **kwargs):  # type: ignore[no-untyped-def]
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def password() -> str:
    return PASSWORD


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A test run that started the embedded PostgreSQL (DATABASE_URL unset) stops it when it ends; one it
    found running (``make run``, another run) is left alone. With xdist, the controlling process started
    it and stops it, after the workers."""
    import os

    if os.environ.get("DATABASE_URL") or hasattr(session.config, "workerinput"):
        return
    from opsconsole import embedded_pg

    if embedded_pg.started_here:
        embedded_pg.stop()
