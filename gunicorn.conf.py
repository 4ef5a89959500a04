"""gunicorn settings for production and for ``make run`` (README, Production; docs/runbooks.md).

Threaded workers (gthread): a worker waits for a new connection's first bytes in its event loop, not in
a thread, and each request gets a thread only once it arrives; a request body must then arrive within
``OPSCONSOLE_REQUEST_BODY_SECONDS`` (opsconsole/core/wsgi.py) or the client gets 408. Production puts
nginx in front (deploy/nginx.conf), which buffers whole request bodies and bounds slow headers, so gunicorn
only ever reads from a fast local peer; these settings keep the web tier alive without it too.

Every value can be overridden on gunicorn's command line or with ``GUNICORN_CMD_ARGS``.
"""

from __future__ import annotations

import os
import sys

bind = os.environ.get("OPSCONSOLE_WEB_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("OPSCONSOLE_WEB_WORKERS", "2"))
threads = int(os.environ.get("OPSCONSOLE_WEB_THREADS", "8"))
# Connections one worker holds (most of them idle keep-alive or waiting for their first bytes, at no
# thread's cost); more wait in the listen backlog.
worker_connections = 1000
backlog = 2048
# A worker that stops answering its arbiter for this long is restarted; requests themselves are bounded
# by the body deadline and by the database's and the connectors' own timeouts.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Header limits (gunicorn's defaults, spelled out): request line, number and size of header fields.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# Recycle workers now and then (a slow leak never takes a worker down at peak).
max_requests = 5000
max_requests_jitter = 500
# X-Forwarded-Proto is trusted only from these addresses: the reverse proxy on the same host by default.
forwarded_allow_ips = os.environ.get("OPSCONSOLE_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = "-"
errorlog = "-"
# Its own lines go through the app's log formatter too (opsconsole/core/logs.py): JSON lines in production.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opsconsole.core.logs import gunicorn_logging_config  # noqa: E402

logconfig_dict = gunicorn_logging_config(os.environ)


def on_starting(server: object) -> None:
    """Refuse to start with settings production must not run with, with the message alone."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from opsconsole.startup import refusal

    message = refusal(os.environ)
    if message:
        sys.stderr.write(f"opsconsole refuses to start: {message}\n")
        sys.stderr.flush()
        os._exit(1)


def child_exit(server: object, worker: object) -> None:
    """prometheus-client's multiprocess mode: a web worker that exited leaves the live sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
