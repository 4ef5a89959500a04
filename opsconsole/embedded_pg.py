"""The embedded PostgreSQL used when ``DATABASE_URL`` is unset (development, demo, tests on a laptop).

``pgserver`` ships PostgreSQL binaries inside its wheel. The data folder is ``.data/pg`` at the top of
the checkout (git-ignored) and is reused across runs; the server listens on a unix socket inside that
folder only (no TCP port), which is why the path must stay short. We start it with ``cleanup_mode=None``
so that it outlives the process that started it: web, worker and tests share one server, and
``python -m opsconsole.embedded_pg stop`` (called by ``make run`` on Ctrl-C) stops it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("OPSCONSOLE_DATA_DIR", BASE_DIR / ".data"))
PGDATA = DATA_DIR / "pg"
DATABASE_NAME = "opsconsole"

logger = logging.getLogger(__name__)


def _server():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        import pgserver

        # pgserver logs at INFO from an atexit hook, after logging has closed its streams.
        logging.getLogger("pgserver").setLevel(logging.WARNING)
        PGDATA.mkdir(parents=True, exist_ok=True)
        return pgserver.get_server(PGDATA, cleanup_mode=None)


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


def stop() -> None:
    """Stop the embedded server if it runs (used by ``make run`` on exit)."""
    if not (PGDATA / "postmaster.pid").exists():
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import POSTGRES_BIN_PATH  # type: ignore[import-untyped]

    user = ["runuser", "-u", "pgserver", "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [*user, str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(PGDATA), "-w", "stop", "-m", "fast"],
        check=False,
        capture_output=True,
    )


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "start"
    if command == "stop":
        stop()
    else:
        print(database_settings())
