"""django-q2's ``qcluster`` with a shutdown deadline.

django-q2 stops gracefully on SIGTERM / SIGINT: the pusher stops, workers finish their task, the monitor
drains. When the database has gone away without closing its connections (a host that vanished, a frozen
server), those processes block in a database read with no end, and the cluster ignored SIGTERM for as
long as the database stayed away. Here, once a stop signal has arrived, the cluster has
``OPSCONSOLE_Q_SHUTDOWN_SECONDS`` (default 30) to stop; then every process of the cluster is killed and
the command exits 1 with a message. A job that was running is taken back by the job engine when its lease
expires (docs/runbooks.md, "A worker died"), so nothing is lost.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from django_q.cluster import Cluster
from django_q.management.commands.qcluster import Command as DjangoQCommand

from opsconsole.proctree import descendants

logger = logging.getLogger("opsconsole.worker")


class ShutdownDeadline:
    """Armed by the first stop signal; kills the cluster's processes if it has not stopped in time."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._armed = threading.Event()
        self._stopped = threading.Event()

    def arm(self) -> None:
        if not self._armed.is_set():
            self._armed.set()
            threading.Thread(target=self._watch, name="qcluster-shutdown-deadline", daemon=True).start()

    def stopped(self) -> None:
        self._stopped.set()

    def _watch(self) -> None:
        if self._stopped.wait(self.seconds):
            return
        victims = descendants(os.getpid())
        message = (
            f"qcluster did not stop within {self.seconds:g} s of the stop signal (a database that went away "
            f"blocks its processes); killing {len(victims)} cluster process(es) and exiting"
        )
        logger.error(message)
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):  # already gone
                os.kill(pid, signal.SIGKILL)
        os._exit(1)


def start_worker_threads(stop: threading.Event) -> list[threading.Thread]:
    """The background loops every worker runs beside django-q2's processes (settings.WORKER_THREADS, dotted
    paths, each called with ``stop``), as daemon threads of the cluster's main process. Named by setting so
    that this module depends on no app."""
    threads = []
    for path in getattr(settings, "WORKER_THREADS", ()):
        target = import_string(path)
        thread = threading.Thread(target=target, args=(stop,), name=f"worker:{path}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads


class Command(DjangoQCommand):
    help = DjangoQCommand.help + " Stops within OPSCONSOLE_Q_SHUTDOWN_SECONDS of SIGTERM, database or not."

    def handle(self, *args: Any, **options: Any) -> None:
        settings.SECRET_KEY  # noqa: B018 - as django-q2's command: signing needs it
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        deadline = ShutdownDeadline(settings.Q_SHUTDOWN_SECONDS)
        cluster = Cluster()  # installs its own SIGTERM / SIGINT handler; ours runs first, then its

        def on_stop(signum: int, frame: Any) -> None:
            deadline.arm()
            cluster.sig_handler(signum, frame)

        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        stop_threads = threading.Event()
        try:
            cluster.start()
            if options.get("run_once", False):
                cluster.stop()
            else:
                start_worker_threads(stop_threads)
            # django-q2's command returns here and the interpreter's exit waits for the cluster; we wait
            # for it ourselves, so that the deadline stays armed until the cluster has really stopped.
            if cluster.sentinel is not None:
                cluster.sentinel.join()
        finally:
            stop_threads.set()
            deadline.stopped()
