"""The engine's settings (see README, environment variables), read at call time so tests can change them."""

from __future__ import annotations

from django.conf import settings


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def retry_base_seconds() -> float:
    return _setting("SYNC_RETRY_BASE_SECONDS", 30)


def retry_cap_seconds() -> float:
    return _setting("SYNC_RETRY_CAP_SECONDS", 3600)


def lease_seconds() -> float:
    return _setting("SYNC_LEASE_SECONDS", 300)


def max_attempts() -> int:
    return int(_setting("SYNC_MAX_ATTEMPTS", 8))


def stranded_after_seconds() -> float:
    return _setting("SYNC_STRANDED_AFTER_SECONDS", 300)


def inbox_pump_seconds() -> float:
    return _setting("INBOX_PUMP_SECONDS", 0.2)


def inbox_overdue_seconds() -> float:
    """A stored delivery waiting this long for the inbox pump is ingested by the next worker that takes a
    queue entry, before that entry's job (sync/engine/ingest.py ``deliveries_overdue_ingest``)."""
    return _setting("INBOX_OVERDUE_SECONDS", 2)


def inbox_help_batch() -> int:
    """How many overdue deliveries a worker ingests before its job, at most."""
    return int(_setting("INBOX_HELP_BATCH", 50))


def changes_tick_seconds() -> float:
    return _setting("CHANGES_TICK_SECONDS", 1)


def changes_poll_overdue_seconds() -> float:
    """A read queued this long ago and not taken from the queue yet is run by the next worker that takes
    any queue entry, ahead of that entry's job (sync/engine/changes.py ``polls_overdue_run``)."""
    return _setting("CHANGES_POLL_OVERDUE_SECONDS", 2)


def changes_cycle_seconds(stream: str, default: float) -> float:
    """A stream's cycle: OPSCONSOLE_CHANGES_CYCLE_SECONDS may set it per stream name."""
    return float(getattr(settings, "CHANGES_CYCLE_SECONDS", {}).get(stream, default))
