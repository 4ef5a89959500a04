"""A PostgreSQL restart ends every kept connection. django-q2's worker calls ``close_old_connections``
between tasks and Django does at each request; with health checks on, the next use finds the dead
connection and opens a new one instead of failing the task (which would then wait for the sweeper)."""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.db import close_old_connections, connection


@pytest.mark.django_db(transaction=True)
def test_a_connection_ended_by_the_server_is_replaced_before_the_next_task_uses_it() -> None:
    # given a kept connection, ended by the server as a restart ends it
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    params = {
        k: v for k, v in connection.get_connection_params().items() if k not in ("context", "cursor_factory")
    }
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])

    # when the worker moves on to its next task, as django-q2 does
    close_old_connections()

    # then the next task's query runs on a new connection instead of failing on the dead one
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (new_pid,) = cursor.fetchone()
    assert new_pid != pid


def test_health_checks_are_on_by_default() -> None:
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
