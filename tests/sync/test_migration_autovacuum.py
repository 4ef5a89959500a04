"""The tables every webhook and job churns are vacuumed sooner than PostgreSQL's default (migration 0033)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_inbox_job_and_queue_tables_are_autovacuumed_once_2_percent_of_them_changed():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s) ORDER BY relname",
            [["django_q_ormq", "sync_inboundevent", "sync_jobattempt", "sync_syncjob"]],
        )
        found = dict(cursor.fetchall())
    assert set(found) == {"django_q_ormq", "sync_inboundevent", "sync_jobattempt", "sync_syncjob"}
    for options in found.values():
        assert "autovacuum_vacuum_scale_factor=0.02" in (options or [])
        assert "autovacuum_analyze_scale_factor=0.02" in (options or [])
