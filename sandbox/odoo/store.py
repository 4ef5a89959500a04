"""Persistence: every record as one JSON row in SQLite, written once per successful call (WAL).

A database written by an older stand-in (another ``SCHEMA`` or version) is not loaded: it is replaced by a
fresh one, as its records would not fit the models played now.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

from .models import build_registry
from .orm import Database, Env
from .seed import base_data, default_credentials

log = logging.getLogger("sandbox.odoo")

#: Bumped whenever the records a database holds stop fitting the models (2: the real Odoo 19 field lists).
SCHEMA = 2


class Store:
    def __init__(self, data_dir: Path | None, version: int):
        self.version = version
        self.registry = build_registry(version)
        self.conn: sqlite3.Connection | None = None
        if data_dir is not None:
            data_dir.mkdir(parents=True, exist_ok=True)
            path = data_dir / f"odoo-{version}.sqlite3"
            self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS records (model TEXT NOT NULL, id INTEGER NOT NULL, data TEXT NOT NULL, "  # noqa: E501
                "PRIMARY KEY (model, id))"
            )
            self.conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self.db = Database(version, self.registry)
        if not self._load():
            self.reset()

    # ------------------------------------------------------------------------------------------

    def _load(self) -> bool:
        if self.conn is None:
            return False
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'meta'").fetchone()
        if row is None:
            return False
        meta = json.loads(row[0])
        if meta.get("schema") != SCHEMA or meta.get("version", self.version) != self.version:
            log.warning("the stored Odoo sandbox database is from another stand-in: starting a fresh one")
            return False
        self.db.meta = meta
        for model, rid, data in self.conn.execute("SELECT model, id, data FROM records"):
            if model in self.db.tables:
                self.db.tables[model][rid] = json.loads(data)
        return True

    def reset(self) -> None:
        self.db.tables = {name: {} for name in self.registry}
        self.db.meta = {
            "next_id": {},
            "seq": {},
            "credentials": default_credentials(),
            "schema": SCHEMA,
            "version": self.version,
        }
        env = Env(self.db, uid=1)
        base_data(env)
        self.persist_all()

    def persist_all(self) -> None:
        if self.conn is None:
            return
        with self._tx() as cur:
            cur.execute("DELETE FROM records")
            cur.executemany(
                "INSERT INTO records (model, id, data) VALUES (?, ?, ?)",
                [
                    (m, rid, json.dumps(rec))
                    for m, table in self.db.tables.items()
                    for rid, rec in table.items()
                ],
            )
            cur.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('meta', ?)", (json.dumps(self.db.meta),)
            )

    def persist(self, dirty: list[tuple[str, int, dict[str, Any] | None]]) -> None:
        if self.conn is None:
            return
        with self._tx() as cur:
            upserts = [(m, rid, json.dumps(rec)) for m, rid, rec in dirty if rec is not None]
            deletes = [(m, rid) for m, rid, rec in dirty if rec is None]
            if upserts:
                cur.executemany("INSERT OR REPLACE INTO records (model, id, data) VALUES (?, ?, ?)", upserts)
            if deletes:
                cur.executemany("DELETE FROM records WHERE model = ? AND id = ?", deletes)
            cur.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('meta', ?)", (json.dumps(self.db.meta),)
            )

    def _tx(self) -> _Tx:
        assert self.conn is not None
        return _Tx(self.conn)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class _Tx:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Cursor:
        self.conn.execute("BEGIN")
        return self.conn.cursor()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")
