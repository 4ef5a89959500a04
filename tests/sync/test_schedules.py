"""The worker's schedules come back after every migrate (and a test flush), untouched when they exist."""

from __future__ import annotations

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS
from django_q.models import Schedule

pytestmark = pytest.mark.django_db

EXPECTED = {
    "sync.sweep": "sync.tasks.sweep",
    "sync.alerts": "sync.tasks.alerts_evaluate",
    "sync.retention": "sync.tasks.retention_purge",
    "reconciliation.daily": "reconciliation.tasks.daily",
    "reconciliation.weekly": "reconciliation.tasks.weekly",
}


def test_deleted_schedules_are_made_again_after_migrate_and_edited_ones_are_kept():
    # given every schedule is gone but one, which a person moved to every 5 minutes
    Schedule.objects.exclude(name="sync.sweep").delete()
    Schedule.objects.update_or_create(
        name="sync.sweep", defaults={"func": "sync.tasks.sweep", "schedule_type": "I", "minutes": 5}
    )

    # when migrate finishes (it sends post_migrate, as a flush does)
    emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)

    # then each schedule exists once, with its function, and the edited one is as the person left it
    rows = {s.name: s for s in Schedule.objects.filter(name__in=EXPECTED)}
    assert {name: s.func for name, s in rows.items()} == EXPECTED
    assert rows["sync.sweep"].minutes == 5
    assert rows["reconciliation.weekly"].next_run.weekday() == 0
    assert all(s.repeats == -1 for s in rows.values())
