"""Prometheus metrics through prometheus-client (docs/observability.md).

Two kinds of numbers:

- **Events**, counted where they happen, in whichever process: jobs finished per flow and outcome and
  their duration, webhook deliveries per outcome, connector calls per system and outcome and their
  duration. Under gunicorn and django-q2 these are many processes: with ``PROMETHEUS_MULTIPROC_DIR`` set
  (prometheus-client's multiprocess mode; an empty directory per host, wiped when the host's processes
  start) every process writes its counts there and a scrape adds them up.
- **State**, read from the database at scrape time by the collector the sync app registers
  (sync/selectors/metrics.py): queue depth and oldest waiting job per flow, jobs needing a person, open
  problems by class, Shopify rate-limit headroom per shop, worker heartbeats. Indexed queries and
  estimates only: a scrape never counts a whole table.

``GET /metrics`` serves both; a worker host (no web server) serves its event counts on
``OPSCONSOLE_WORKER_METRICS_BIND`` (a thread of ``qcluster``). Both ask for
``Authorization: Bearer <OPSCONSOLE_METRICS_TOKEN>``; without a token configured they are open in
development only.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import Metric
from prometheus_client.registry import REGISTRY, Collector

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_SECONDS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

JOBS_FINISHED = Counter(
    "opsconsole_jobs_finished",
    "Job runs that finished, by flow and outcome (succeeded, retrying, needs_attention, dead, timed_out).",
    ["flow", "outcome"],
)
JOB_SECONDS = Histogram(
    "opsconsole_job_duration_seconds", "How long one run of a job took, by flow.", ["flow"], buckets=_SECONDS
)
WEBHOOKS = Counter(
    "opsconsole_webhooks_received",
    "Webhook deliveries answered, by outcome (stored, duplicate, rejected:<reason>); a stored one the worker "
    "quarantines is a problem (sync/engine/ingest.py).",
    ["outcome"],
)
CONNECTOR_CALLS = Counter(
    "opsconsole_connector_calls",
    "Connector operations a job made, by system (odoo, shopify) and outcome (ok or the error class).",
    ["system", "outcome"],
)
CONNECTOR_SECONDS = Histogram(
    "opsconsole_connector_call_seconds",
    "How long one connector operation took, by system.",
    ["system"],
    buckets=_SECONDS,
)


#: State collectors other apps add to every ``GET /metrics`` (reconciliation: ReconciliationConfig.ready).
SCRAPE_COLLECTORS: list[Collector] = []


def scrape_collector_add(collector: Collector) -> None:
    if not any(type(c) is type(collector) for c in SCRAPE_COLLECTORS):
        SCRAPE_COLLECTORS.append(collector)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _Registered(Collector):
    """This process's own metrics (single-process mode)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def exposition(extra: Iterable[Collector] = (), *, state: bool = True) -> bytes:
    """The text a scrape gets: every process's event counts, then ``extra`` collectors and those other apps
    added (state)."""
    registry = CollectorRegistry(auto_describe=False)
    path = multiprocess_dir()
    if path:
        multiprocess.MultiProcessCollector(registry, path=path)
    else:
        registry.register(_Registered())
    for collector in [*extra, *(SCRAPE_COLLECTORS if state else ())]:
        registry.register(collector)
    return generate_latest(registry)


def bearer_allowed(authorization: str | None, *, token: str, open_without_token: bool) -> bool:
    """``Authorization: Bearer <token>``, compared in constant time."""
    if not token:
        return open_without_token
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def mark_process_dead(pid: int) -> None:
    """gunicorn's ``child_exit``: a dead process's live gauges leave the sums (multiprocess mode)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)


def worker_metrics_server(stop: threading.Event) -> None:
    """A worker thread (settings.WORKER_THREADS): serve this host's event counts on
    ``OPSCONSOLE_WORKER_METRICS_BIND`` (host:port), behind the same bearer token as ``/metrics``."""
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from django.conf import settings

    bind = getattr(settings, "WORKER_METRICS_BIND", "")
    if not bind:
        return
    host, _, port = bind.rpartition(":")

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        allowed = bearer_allowed(
            environ.get("HTTP_AUTHORIZATION"),
            token=settings.METRICS_TOKEN,
            open_without_token=settings.METRICS_OPEN_WITHOUT_TOKEN,
        )
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return iter([b"not found\n"])
        if not allowed:
            start_response(
                "401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")]
            )
            return iter([b"unauthorized\n"])
        body = exposition(state=False)  # event counts only: the web's /metrics serves the state
        start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))])
        return iter([body])

    class _Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

    server = make_server(host or "127.0.0.1", int(port), app, server_class=WSGIServer, handler_class=_Quiet)
    server.timeout = 0.5
    logger.info("worker metrics on http://%s/metrics", bind)
    while not stop.is_set():
        server.handle_request()
    server.server_close()
