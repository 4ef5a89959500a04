"""The embedded PostgreSQL used when ``DATABASE_URL`` is unset (development, demo, tests on a laptop).

``pgserver`` ships PostgreSQL binaries inside its wheel. The data folder is ``.data/pg`` at the top of
the checkout (git-ignored) and is reused across runs; the server listens on a unix socket inside that
folder only (no TCP port), which is why the path must stay short. We start it with ``cleanup_mode=None``
so that it outlives the process that started it: web, worker and tests share one server, and
``python -m opsconsole.embedded_pg stop`` (called by ``make run`` on exit and by a test run that started
it) stops it.

Before handing over to pgserver, the state a previous run left is settled, each with one line on stderr
(pgserver itself would stop with an AssertionError, or reuse a dead server):

- a server left running on this data folder and ready: taken over;
- a server still shutting down (a smart shutdown waits for its clients to leave): given a few seconds,
  then stopped fast (then immediately), and started again;
- a server that was killed (a crash, SIGKILL, a reboot): its stale ``postmaster.pid`` is removed and the
  server started again (PostgreSQL recovers from its write-ahead log).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("OPSCONSOLE_DATA_DIR", BASE_DIR / ".data"))
PGDATA = DATA_DIR / "pg"
DATABASE_NAME = "opsconsole"
#: How long a server that is shutting down or starting gets to finish before we step in.
SETTLE_SECONDS = float(os.environ.get("OPSCONSOLE_EMBEDDED_PG_SETTLE_SECONDS", 10))

logger = logging.getLogger(__name__)

#: True when this process started the server (rather than finding it running).
started_here = False


def _say(message: str) -> None:
    sys.stderr.write(f"embedded PostgreSQL: {message}\n")
    sys.stderr.flush()


def _bin(name: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import POSTGRES_BIN_PATH  # type: ignore[import-untyped]
    return str(POSTGRES_BIN_PATH / name)


def _pg_ctl(*args: str) -> subprocess.CompletedProcess[str]:
    user = ["runuser", "-u", "pgserver", "--"] if os.geteuid() == 0 else []
    return subprocess.run(
        [*user, _bin("pg_ctl"), "-D", str(PGDATA), *args], check=False, capture_output=True, text=True
    )


def _postmaster() -> tuple[int, str] | None:
    """(pid, status) from postmaster.pid, or None when there is no such file."""
    try:
        lines = (PGDATA / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None
    pid = int(lines[0]) if lines and lines[0].strip().isdigit() else 0
    status = lines[7].strip() if len(lines) > 7 else ""
    return pid, status


def _is_our_postmaster(pid: int) -> bool:
    """The process ``pid`` is a postgres serving this data folder (not a recycled pid)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(argv) and argv[0].endswith(b"postgres") and str(PGDATA).encode() in argv


def _wait_until(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return bool(condition())


def _gone(pid: int) -> bool:
    return not _is_our_postmaster(pid)


def settle() -> str:
    """Bring the data folder to 'no server' or 'a ready server'; returns which ("absent" or "ready")."""
    found = _postmaster()
    if found is None:
        return "absent"
    pid, status = found
    if not _is_our_postmaster(pid):
        _say(
            f"the server (pid {pid}) was not shut down cleanly (a crash or a kill); removing its stale "
            "postmaster.pid and starting it again"
        )
        _remove_stale_locks()
        return "absent"
    if status == "ready":
        return "ready"
    # Starting or stopping: let it finish.
    if _wait_until(lambda: _gone(pid) or (_postmaster() or (0, ""))[1] == "ready", SETTLE_SECONDS):
        if _gone(pid):
            _say(f"the server (pid {pid}) finished shutting down; starting it again")
            _remove_stale_locks()
            return "absent"
        return "ready"
    _say(
        f"the server (pid {pid}) was still {status or 'busy'} after {SETTLE_SECONDS:g} s (clients still "
        "connected?); stopping it and starting it again"
    )
    for mode in ("fast", "immediate"):
        _pg_ctl("stop", "-m", mode, "-W")
        if _wait_until(lambda: _gone(pid), SETTLE_SECONDS):
            break
    else:
        raise RuntimeError(
            f"embedded PostgreSQL: the server (pid {pid}) on {PGDATA} does not stop; stop it by hand "
            f"(kill {pid}) and try again"
        )
    _remove_stale_locks()
    return "absent"


def _remove_stale_locks() -> None:
    """The lock files of a postmaster that no longer serves this folder. PostgreSQL removes them itself
    unless their pid is still taken: by a zombie nobody reaps (a container without an init) or by another
    process after a reboot."""
    (PGDATA / "postmaster.pid").unlink(missing_ok=True)
    for lock in PGDATA.glob(".s.PGSQL.*.lock"):
        lock.unlink(missing_ok=True)


def _server():  # type: ignore[no-untyped-def]
    global started_here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        import pgserver

        # pgserver logs at INFO from an atexit hook, after logging has closed its streams.
        logging.getLogger("pgserver").setLevel(logging.WARNING)
        PGDATA.mkdir(parents=True, exist_ok=True)
        state = settle()
        try:
            server = pgserver.get_server(PGDATA, cleanup_mode=None)
        except (AssertionError, subprocess.SubprocessError) as exc:
            raise RuntimeError(
                f"embedded PostgreSQL on {PGDATA} did not start ({exc.__class__.__name__}); its log is "
                f"{PGDATA / 'log'}. `make clean-data` starts from scratch (the data is lost)."
            ) from exc
        if state == "absent":
            started_here = True
        return server


def database_settings() -> dict[str, Any]:
    """Start (or reuse) the embedded server and return a Django ``DATABASES['default']`` dict."""
    server = _server()
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608 - constant
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{DATABASE_NAME}";')
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": socket_dir,
        "PORT": "",
    }


def running() -> bool:
    """A server serves the data folder (ready or not)."""
    found = _postmaster()
    return found is not None and _is_our_postmaster(found[0])


def stop() -> None:
    """Stop the embedded server if it runs (``make run`` on exit, a test run that started it)."""
    found = _postmaster()
    if found is None or not _is_our_postmaster(found[0]):
        return
    _pg_ctl("-w", "stop", "-m", "fast")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "start"
    if command == "stop":
        stop()
    else:
        print(database_settings())
