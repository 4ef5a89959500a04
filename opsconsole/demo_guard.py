"""The guard of ``make run``: stops what the supervisor started when the supervisor itself is killed.

The supervisor (opsconsole/demo.py) starts this process first, with a pipe whose writing end only the
supervisor holds, and tells it each child's process group and whether it started the embedded
PostgreSQL. When the pipe ends without the word ``done`` (the supervisor was SIGKILLed, or crashed), the
guard sends SIGTERM to every group it was told about, SIGKILL to what is left after a grace period, and
stops the embedded PostgreSQL. The supervisor's children also get SIGTERM from the kernel the moment it
dies (PR_SET_PDEATHSIG); the guard covers their own children (gunicorn's workers, django-q2's processes),
which that signal does not reach when their parent lingers, and the database server, which is a daemon.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

from opsconsole.proctree import group_alive

GRACE_SECONDS = 10.0


def _signal_groups(pgids: list[int], sig: int) -> None:
    for pgid in pgids:
        with contextlib.suppress(ProcessLookupError, PermissionError):  # gone already
            os.killpg(pgid, sig)


def main() -> int:
    read_fd = int(sys.argv[1])
    os.setsid()  # Ctrl-C in the terminal is the supervisor's to handle, not ours
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    pgids: list[int] = []
    embedded = False
    done = False
    with os.fdopen(read_fd, "r") as pipe:
        for line in pipe:
            word, _, value = line.strip().partition(" ")
            if word == "group":
                pgids.append(int(value))
            elif word == "embedded":
                embedded = True
            elif word == "done":
                done = True
    if done:
        return 0
    sys.stderr.write("make run's supervisor is gone: stopping what it started\n")
    _signal_groups(pgids, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline and any(group_alive(pgid) for pgid in pgids):
        time.sleep(0.2)
    _signal_groups([pgid for pgid in pgids if group_alive(pgid)], signal.SIGKILL)
    if embedded:
        from opsconsole.embedded_pg import stop

        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
