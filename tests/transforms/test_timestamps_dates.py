"""same_date_everywhere: whether an instant between two others falls on a given instant's date in every
timezone (sync/transforms/timestamps.py), which decides whether an order's date_order is rewritten after
its confirmation (sync/flows/orders.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sync.transforms.timestamps import same_date_everywhere

AT = datetime(2026, 10, 31, 22, 45, 10, tzinfo=UTC)


def _t(h: int, m: int, s: int = 0) -> datetime:
    return datetime(2026, 10, 31, h, m, s, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "same"),
    [
        (_t(22, 46), _t(22, 47), True),  # well inside 22:45-23:00 with a minute to spare either side
        (_t(22, 46, 30), _t(22, 59, 5), False),  # within a minute of 23:00 (another server's clock)
        (_t(22, 46), _t(23, 1), False),  # past 23:00: midnight in UTC+1
        (_t(22, 45, 30), _t(22, 46), False),  # within a minute of 22:45, before which AT's block began
        (_t(23, 46), _t(23, 47), False),  # an hour later: the same minutes of another quarter-hour
    ],
)
def test_only_instants_well_inside_one_quarter_hour_of_utc_are_the_same_date_everywhere(start, end, same):
    assert same_date_everywhere(AT, start, end) is same


@pytest.mark.parametrize("offset_minutes", [-720, -570, -60, 0, 60, 330, 345, 525, 765, 840])
def test_when_it_says_same_the_local_dates_agree_in_every_timezone(offset_minutes):
    # given instants it calls the same date as AT, every 10 seconds across three hours
    tz = timezone(timedelta(minutes=offset_minutes))
    claimed = 0
    for step in range(0, 3 * 3600, 10):
        at = AT + timedelta(seconds=step)
        later = at + timedelta(seconds=30)
        if same_date_everywhere(at, later, later):
            # then the local dates agree in this timezone too
            assert at.astimezone(tz).date() == later.astimezone(tz).date()
            claimed += 1
    # and most instants are (only those near a quarter-hour of UTC are not)
    assert claimed > 3 * 3600 / 10 / 2
