"""django-q2 tasks of reconciliation. Arguments are ids and plain values; every task is safe to run twice."""

from __future__ import annotations

from django.db import close_old_connections

from reconciliation.services.runs import run_execute, runs_daily, runs_weekly


def run_reconciliation(run_id: int) -> dict[str, object]:
    close_old_connections()
    run = run_execute(run_id=run_id)
    return {"run": run.pk, "status": run.status, "counts": run.counts}


def daily() -> dict[str, object]:
    """Scheduled every day: yesterday's order completeness for each active shop (queued as runs)."""
    close_old_connections()
    return {"runs": [r.pk for r in runs_daily()]}


def weekly() -> dict[str, object]:
    """Scheduled every week: last week's integrity sample for each active shop (queued as runs)."""
    close_old_connections()
    return {"runs": [r.pk for r in runs_weekly()]}
