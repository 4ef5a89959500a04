"""The worker's schedules as data. Each is made by its migration and ensured again after every ``migrate``
(post_migrate, which a test database flush sends too), so a schedule deleted by mistake comes back; a
schedule that exists is left as a person may have edited it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    schedule_type: str  # django-q2: "I" (every `minutes`), "D" daily, "W" weekly
    minutes: int | None = None
    first_run: Callable[[], datetime] | None = None  # when the first run is due (None: now)
    extra: dict[str, Any] = field(default_factory=dict)


def next_utc(at: time, *, weekday: int | None = None) -> datetime:
    """The next ``at`` (UTC): today's if still ahead, otherwise tomorrow's; on ``weekday`` (0 = Monday) when
    given."""
    now = datetime.now(UTC)
    day = now.date()
    if weekday is not None:
        day += timedelta(days=(weekday - day.weekday()) % 7)
    first = datetime.combine(day, at, tzinfo=UTC)
    step = timedelta(days=1 if weekday is None else 7)
    return first if first > now else first + step


SYNC_SCHEDULES: tuple[ScheduleSpec, ...] = (
    ScheduleSpec("sync.sweep", "sync.tasks.sweep", "I", minutes=1),
    ScheduleSpec("sync.alerts", "sync.tasks.alerts_evaluate", "I", minutes=1),
    ScheduleSpec("sync.retention", "sync.tasks.retention_purge", "D"),
)


def schedules_ensure(specs: Sequence[ScheduleSpec]) -> int:
    """Create the schedules that are missing; returns how many were made."""
    from django_q.models import Schedule  # the app registry is ready when post_migrate runs

    made = 0
    for spec in specs:
        defaults: dict[str, Any] = {"func": spec.func, "schedule_type": spec.schedule_type, "repeats": -1}
        if spec.minutes is not None:
            defaults["minutes"] = spec.minutes
        if spec.first_run is not None:
            defaults["next_run"] = spec.first_run()
        defaults.update(spec.extra)
        _, created = Schedule.objects.get_or_create(name=spec.name, defaults=defaults)
        made += int(created)
    return made
