"""A deadline on reading request bodies, as WSGI middleware around Django (opsconsole/wsgi.py).

A client that declares a body and sends it a byte at a time would otherwise hold a server thread for as
long as it likes. ``BodyDeadline`` gives each request with a body ``REQUEST_BODY_SECONDS`` from the moment
the server hands it to the app. Under gunicorn (which puts the connection in ``environ["gunicorn.socket"]``)
one watchdog thread per process shuts the connection for reading when a deadline passes: a read blocked
inside the server returns at once, whatever the server's own read loop does, and our ``wsgi.input``
wrapper raises ``BodyReadTimeout`` instead of handing the app a truncated body. Under other servers (the
test live server) the deadline is checked between reads only. ``BodyReadTimeout`` is an ``OSError``:
Django turns it into ``UnreadablePostError``; BodyDeadlineMiddleware answers 408 and closes the connection.

The header phase is bounded by the reverse proxy in front (deploy/nginx.conf: ``client_header_timeout``);
with that proxy, bodies reach gunicorn already buffered and this deadline is never near.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any


class BodyReadTimeout(TimeoutError):
    """The request body did not arrive before the deadline."""


class _Watch:
    __slots__ = ("deadline", "expired", "sock")

    def __init__(self, sock: socket.socket | None, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.expired = False


class _Watchdog:
    """One thread per process: at each registered deadline, ``shutdown(SHUT_RD)`` the socket."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Watch]] = []
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, watch: _Watch) -> None:
        with self._cond:
            heapq.heappush(self._heap, (watch.deadline, next(self._counter), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="body-deadline", daemon=True)
                self._thread.start()
            self._cond.notify()

    def discard(self, watch: _Watch) -> None:
        watch.sock = None  # the heap entry stays until its deadline and is then ignored

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                deadline, _, watch = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
            sock = watch.sock
            if sock is not None:
                watch.expired = True
                with contextlib.suppress(OSError):  # already closed by the server: nothing left to stop
                    sock.shutdown(socket.SHUT_RD)


_watchdog = _Watchdog()


class DeadlineInput:
    """A ``wsgi.input`` whose reads end at the watch's deadline."""

    def __init__(self, stream: Any, watch: _Watch) -> None:
        self._stream = stream
        self._watch = watch

    def _call(self, method: str, *args: Any) -> Any:
        if self._watch.expired or time.monotonic() >= self._watch.deadline:
            raise BodyReadTimeout("request body not received in time")
        result = getattr(self._stream, method)(*args)
        if self._watch.expired:  # the watchdog cut the read short: what we have is not the body
            raise BodyReadTimeout("request body not received in time")
        return result

    def read(self, *args: Any) -> bytes:
        return self._call("read", *args)  # type: ignore[no-any-return]

    def readline(self, *args: Any) -> bytes:
        return self._call("readline", *args)  # type: ignore[no-any-return]

    def readlines(self, *args: Any) -> list[bytes]:
        return self._call("readlines", *args)  # type: ignore[no-any-return]

    def __iter__(self) -> DeadlineInput:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def _has_body(environ: dict[str, Any]) -> bool:
    length = environ.get("CONTENT_LENGTH") or ""
    return (length.isdigit() and int(length) > 0) or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "")


class BodyDeadline:
    """WSGI middleware: a request with a body gets ``seconds()`` to deliver it."""

    def __init__(self, app: Callable[..., Iterable[bytes]], seconds: Callable[[], float]) -> None:
        self.app = app
        self.seconds = seconds

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not _has_body(environ):
            return self.app(environ, start_response)
        sock = environ.get("gunicorn.socket")
        watch = _Watch(sock if isinstance(sock, socket.socket) else None, time.monotonic() + self.seconds())
        environ["wsgi.input"] = DeadlineInput(environ["wsgi.input"], watch)
        if watch.sock is not None:
            _watchdog.add(watch)
        try:
            return self.app(environ, start_response)
        finally:
            _watchdog.discard(watch)
