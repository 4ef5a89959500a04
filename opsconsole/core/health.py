"""Liveness and readiness probes (JSON, 200 or 503, no login)."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_q.brokers import get_broker

logger = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers. Touches no database, so a database outage does not restart web workers."""
    return JsonResponse({"status": "ok"})


def _check_database() -> dict[str, Any]:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _check_migrations() -> dict[str, Any]:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
    return {"ok": not pending, "pending": pending}


def _check_queue() -> dict[str, Any]:
    broker = get_broker()
    reachable = bool(broker.ping())
    return {"ok": reachable, "queued": broker.queue_size() if reachable else None}


CHECKS = {"database": _check_database, "migrations": _check_migrations, "queue": _check_queue}


@login_not_required
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: database reachable, migrations applied, queue reachable."""
    results: dict[str, Any] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - a probe reports every failure, it never raises
            logger.warning("readiness check %s failed: %s", name, exc.__class__.__name__)
            results[name] = {"ok": False, "error": exc.__class__.__name__}
            if name == "database":
                break  # the other checks need the database too
    ready = all(result.get("ok") for result in results.values()) and len(results) == len(CHECKS)
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results}, status=200 if ready else 503
    )
