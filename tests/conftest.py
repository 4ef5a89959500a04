"""Shared fixtures. The database is real PostgreSQL: DATABASE_URL, or the embedded server when unset."""

from __future__ import annotations

import pytest
from django.core.servers.basehttp import WSGIServer

from tests.factories import PASSWORD, UserFactory

# The live server's listen backlog is 10 by default; the Shopify sandbox delivers a dozen webhooks at once,
# and connections beyond the backlog wait for SYN retries (1 s, 3 s, ...) past Shopify's 5-second timeout.
# Production runs gunicorn (backlog 2048); this only sizes the test server the same way.
WSGIServer.request_queue_size = 2048


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
