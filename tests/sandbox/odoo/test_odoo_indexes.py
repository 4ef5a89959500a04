"""The stand-in's lookups by a stored value (a move's lines, an order's lines, a one2many read, a search by a
many2one) go through indexes, as a real Odoo's do through PostgreSQL's, instead of scanning the table under
the stand-in's lock: they must answer exactly what the scan would, through creates, writes, unlinks and
rolled-back calls."""

from __future__ import annotations

import random
from typing import Any

from sandbox.odoo.orm import Env
from sandbox.odoo.store import Store


def _scan(env: Env, model: str, fname: str, value: Any) -> list[int]:
    return sorted(rid for rid, rec in env.db.tables[model].items() if rec.get(fname) == value)


def test_lookups_answer_what_a_scan_would_through_creates_writes_unlinks_and_rollbacks():
    store = Store(None, 19)
    db = store.db
    rng = random.Random(18)
    parents = [Env(db, 1).create("res.partner", {"name": f"co {i}", "is_company": True}) for i in range(4)]
    children: list[int] = []
    for step in range(300):
        env = Env(db, 1)
        action = rng.choice(["create", "create", "write", "unlink", "rolled_back"])
        if action == "create" or not children:
            children.append(env.create("res.partner", {"name": f"c{step}", "parent_id": rng.choice(parents)}))
        elif action == "write":
            env.write("res.partner", [rng.choice(children)], {"parent_id": rng.choice([*parents, False])})
        elif action == "unlink":
            gone = children.pop(rng.randrange(len(children)))
            env.unlink("res.partner", [gone])
        else:
            # a call that changes rows, looks them up mid-call, then fails: its changes are undone
            moved = rng.choice(children)
            env.write("res.partner", [moved], {"parent_id": parents[0]})
            made = env.create("res.partner", {"name": "undone", "parent_id": parents[1]})
            assert moved in db.lookup("res.partner", "parent_id", parents[0])
            assert made in db.lookup("res.partner", "parent_id", parents[1])
            env.rollback()
            assert made not in db.lookup("res.partner", "parent_id", parents[1])
            continue
        env.dirty()  # the call ends
        parent = rng.choice(parents)
        assert db.lookup("res.partner", "parent_id", parent) == _scan(env, "res.partner", "parent_id", parent)
    for parent in parents:
        env = Env(db, 1)
        expected = _scan(env, "res.partner", "parent_id", parent)
        assert db.lookup("res.partner", "parent_id", parent) == expected
        assert sorted(env.search("res.partner", [("parent_id", "=", parent)])) == expected
        assert sorted(env.raw("res.partner", parent, "child_ids")) == expected


class _NoScan(dict):
    """A table that refuses to be walked once armed: whoever scans it fails."""

    armed = False

    def _refuse(self) -> None:
        if self.armed:
            raise AssertionError("the table was scanned")

    def __iter__(self):  # type: ignore[no-untyped-def]
        self._refuse()
        return super().__iter__()

    def items(self):  # type: ignore[no-untyped-def]
        self._refuse()
        return super().items()

    def values(self):  # type: ignore[no-untyped-def]
        self._refuse()
        return super().values()

    def keys(self):  # type: ignore[no-untyped-def]
        self._refuse()
        return super().keys()


def test_a_search_by_a_many2one_and_a_one2many_read_do_not_scan_the_table():
    store = Store(None, 19)
    db = store.db
    env = Env(db, 1)
    parent = env.create("res.partner", {"name": "company", "is_company": True})
    kids = [env.create("res.partner", {"name": f"kid {i}", "parent_id": parent}) for i in range(3)]
    for i in range(200):
        env.create("res.partner", {"name": f"other {i}"})
    env.dirty()
    table = _NoScan(db.tables["res.partner"])
    db.tables["res.partner"] = table
    assert db.lookup("res.partner", "parent_id", parent) == kids  # the index is built (one scan)
    table.armed = True

    env = Env(db, 1)
    assert sorted(env.search("res.partner", [("parent_id", "=", parent)])) == kids
    assert sorted(env.raw("res.partner", parent, "child_ids")) == kids
    late = env.create("res.partner", {"name": "late kid", "parent_id": parent})
    assert sorted(env.search("res.partner", [("parent_id", "=", parent)])) == [*kids, late]
