"""A PostgreSQL cluster of one test's own, which the test may stop, start and restart.

The machine's PostgreSQL (127.0.0.1:5432) serves every other test, in parallel: a test that restarts
PostgreSQL must never touch it. This cluster is made with ``initdb`` in a short temporary folder and listens
on 127.0.0.1 at a free port (and on a unix socket inside its folder); it is stopped and removed afterwards.

The binaries are those of ``pgserver`` (a pinned requirement that ships PostgreSQL inside its wheel), so the
same code runs on a laptop and in CI. PostgreSQL refuses to run as root: under root (CI) every command
runs as the ``pgserver`` system user, created when missing, as the embedded database does
(opsconsole/embedded_pg.py).

The cluster's folder and port are handed to child processes through ``OPSCONSOLE_TEST_PG_DATA`` and
``OPSCONSOLE_TEST_PG_PORT``; ``PrivateCluster.from_env()`` takes over the cluster a parent started.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The system user that runs PostgreSQL when the tests run as root (the embedded database's, too).
SYSTEM_USER = "pgserver"

ENV_DATA = "OPSCONSOLE_TEST_PG_DATA"
ENV_PORT = "OPSCONSOLE_TEST_PG_PORT"


def _bin_path() -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        from pgserver._commands import POSTGRES_BIN_PATH  # type: ignore[import-untyped]
    return Path(POSTGRES_BIN_PATH)


def _as_root() -> bool:
    return os.geteuid() == 0


def _free_port() -> int:
    """A port nobody listens on, below the ephemeral range (32768-60999 on Linux), so that no outgoing
    connection takes it while the cluster is stopped for a while."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randint(20000, 30000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 30000 for the private PostgreSQL")


class PrivateCluster:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.bin = _bin_path()
        self.log_path = data_dir.parent / "postgres.log"

    @classmethod
    def from_env(cls) -> PrivateCluster:
        """The cluster a parent process started (its folder and port in the environment)."""
        return cls(Path(os.environ[ENV_DATA]), int(os.environ[ENV_PORT]))

    @property
    def env(self) -> dict[str, str]:
        return {ENV_DATA: str(self.data_dir), ENV_PORT: str(self.port)}

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        user = ["runuser", "-u", SYSTEM_USER, "--"] if _as_root() else []
        # Output to a file, never to a pipe: the server pg_ctl starts would inherit the pipe and hold it.
        with tempfile.TemporaryFile("w+") as out:
            done = subprocess.run(
                [*user, str(self.bin / name), *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                check=False,
                timeout=120,
            )
            out.seek(0)
            output = out.read()
        if check and done.returncode != 0:
            log = self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""
            raise RuntimeError(f"{name} {' '.join(args)} failed ({done.returncode}): {output}\n{log}")
        return subprocess.CompletedProcess(done.args, done.returncode, output, "")

    def init(self) -> None:
        root = self.data_dir.parent
        if _as_root():
            from pgserver.utils import ensure_prefix_permissions, ensure_user_exists  # type: ignore[import-untyped]

            entry = ensure_user_exists(SYSTEM_USER)
            ensure_prefix_permissions(self.bin)
            ensure_prefix_permissions(root)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
            "--no-instructions",
        )
        # Fast and small: a test's throwaway data (no fsync), few connections' worth of memory.
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                "\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 100\nshared_buffers = 32MB\n"
            )

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run("pg_ctl", "-D", str(self.data_dir), *args, check=check)

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data_dir}"
        self._pg_ctl("-w", "-t", "60", "-l", str(self.log_path), "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` ends every session (their transactions rolled back), as a restart
        for maintenance or a failover does; ``immediate`` is a crash (recovery from the WAL at start)."""
        self._pg_ctl("-w", "-t", "60", "-m", mode, "stop")

    def restart(self, mode: str = "fast") -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data_dir}"
        self._pg_ctl("-w", "-t", "60", "-m", mode, "-l", str(self.log_path), "-o", options, "restart")

    def running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def createdb(self, name: str) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A fresh cluster, started; stopped (immediately, it is thrown away) and removed afterwards."""
    # Short: the unix socket's path (<folder>/.s.PGSQL.<port>) must stay within 107 bytes.
    root = Path(tempfile.mkdtemp(prefix="ocpg-", dir="/tmp"))
    cluster = PrivateCluster(root / "data", _free_port())
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster.running():
            cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
