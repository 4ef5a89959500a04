"""django-q2 tasks. Arguments are ids and plain values only; every task is safe to run twice."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from django.db import close_old_connections

from sync.engine import changes, ingest
from sync.engine.run import job_run
from sync.engine.sweep import jobs_sweep
from sync.services import alerts, retention
from sync.services.health import connections_probe, shops_webhooks_ensure, worker_alive_mark

logger = logging.getLogger(__name__)


def run_job(job_key: str) -> str:
    """Run the job with this idempotency key (the only thing the queue carries); first, stored deliveries
    the inbox pump has left waiting too long (sync/engine/ingest.py), and a read of Odoo's changes that has
    waited too long behind the queue's entries (sync/engine/changes.py)."""
    worker_alive_mark()
    try:
        ingest.deliveries_overdue_ingest()
    except Exception:  # they stay stored for the pump and the sweep; this job must run whatever happened
        logger.exception("ingesting overdue deliveries failed; they stay stored for the inbox pump")
    try:
        changes.polls_overdue_run()
    except Exception:  # the read keeps its own queue entry; this job must run whatever happened to it
        logger.exception("running an overdue read of Odoo changes failed; its own queue entry remains")
    outcome = job_run(key=job_key)
    if outcome in {"succeeded", "failed", "subject_busy"}:
        # Hand over work that became due meanwhile (retries, the next job of the same order) without
        # waiting for the scheduled sweep.
        jobs_sweep(limit=20, include_stranded=False, wake_problems=False)
    return outcome


def sweep() -> dict[str, int]:
    """Scheduled every minute: re-enqueue abandoned, due and stranded jobs; open snoozed problems whose
    date has passed; probe refused connections; register deleted webhook subscriptions again."""
    close_old_connections()
    worker_alive_mark()
    report = jobs_sweep()
    recovered = connections_probe()
    reregistered = shops_webhooks_ensure()
    return {
        "webhooks_reregistered": reregistered,
        "abandoned": report.abandoned,
        "due": report.due_retries,
        "stranded": report.stranded,
        "deliveries_ingested": report.deliveries_ingested,
        "problems_woken": report.problems_woken,
        "recovered_connections": recovered,
    }


def changes_poll(shop_id: int, stream: str, queued_at: str | None = None) -> dict[str, object]:
    """Read one stream of Odoo changes for one shop (queued by the ticker at ``queued_at``, an ISO time;
    sync/engine/changes.py)."""
    close_old_connections()
    when = datetime.fromisoformat(queued_at) if queued_at else None
    report = changes.changes_poll(shop_id=shop_id, stream_name=stream, queued_at=when)
    return {"outcome": report.outcome, "records": report.records, "jobs": report.jobs, "more": report.more}


def inbox_pump(stop: threading.Event) -> None:
    """Run in a thread of every worker (settings.WORKER_THREADS): ingest stored webhook deliveries."""
    ingest.inbox_pump(stop)


def changes_ticker(stop: threading.Event) -> None:
    """Run in a thread of every worker (settings.WORKER_THREADS): queue due reads of Odoo changes."""
    changes.changes_ticker(stop)


def alerts_evaluate() -> dict[str, int]:
    """Scheduled every minute: evaluate the alert rules (sync/services/alerts.py)."""
    close_old_connections()
    report = alerts.alerts_evaluate()
    return {"fired": report.fired, "resolved": report.resolved, "firing": report.still_firing}


def retention_purge() -> dict[str, int]:
    """Scheduled daily: purge old payloads, refused deliveries and audit entries (services/retention.py)."""
    close_old_connections()
    run = retention.retention_purge()
    return {"payloads_purged": run.payloads_purged, "rejected_deleted": run.rejected_deleted}
