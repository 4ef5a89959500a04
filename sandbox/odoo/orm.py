"""A small in-memory ORM that behaves like Odoo's as seen from outside (RPC).

Records are plain dicts keyed by id per model. Stored fields live in the dict; one2many, computed and
delegated (``_inherits``) fields are resolved on read. Every change goes through :class:`Env`, which keeps
an undo log so that a failing call leaves nothing behind (one call = one transaction, as in Odoo) and a
dirty set that the store persists once the call succeeded.
"""

from __future__ import annotations

import copy
import datetime as dt
import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# --------------------------------------------------------------------------------------------------
# Exceptions, named as Odoo names them in error.data.name


class OdooError(Exception):
    name = "odoo.exceptions.UserError"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UserError(OdooError):
    name = "odoo.exceptions.UserError"


class ValidationError(OdooError):
    name = "odoo.exceptions.ValidationError"


class MissingError(OdooError):
    name = "odoo.exceptions.MissingError"


class AccessError(OdooError):
    name = "odoo.exceptions.AccessError"


class AccessDenied(OdooError):
    name = "odoo.exceptions.AccessDenied"


def error_name(exc: BaseException) -> str:
    if isinstance(exc, OdooError):
        return exc.name
    return f"builtins.{type(exc).__name__}"


# --------------------------------------------------------------------------------------------------
# Schema


@dataclass
class Field:
    type: str
    string: str = ""
    relation: str | None = None
    inverse_name: str | None = None  # one2many
    required: bool = False
    readonly: bool = False
    default: Any = None  # value or callable(env, vals)
    selection: list[tuple[str, str]] | None = None
    compute: Callable[[Env, dict[str, Any]], Any] | None = None  # non-stored, (env, record) -> raw value
    store: bool = True
    help: str = ""


@dataclass
class Model:
    name: str
    description: str
    fields: dict[str, Field]
    order: str = "id"
    rec_name: str | None = "name"
    parent_name: str | None = None
    inherits: tuple[str, str] | None = None  # (parent model, link field)
    methods: dict[str, Method] = field(default_factory=dict)
    display_name: Callable[[Env, dict[str, Any]], str] | None = None
    on_create: Callable[[Env, int, dict[str, Any]], None] | None = None
    on_write: Callable[[Env, list[int], dict[str, Any]], None] | None = None
    before_unlink: Callable[[Env, list[int]], None] | None = None
    transient: bool = False


@dataclass
class Method:
    func: Callable[..., Any]
    api_model: bool = False  # no ids
    writes: bool = True
    var_kwargs: bool = False  # accepts **kwargs (an unexpected JSON-2 parameter gives a 500 TypeError)


MAGIC = {
    "id": Field("integer", "ID", readonly=True),
    "display_name": Field("char", "Display Name", readonly=True, store=False),
    "create_date": Field("datetime", "Created on", readonly=True),
    "write_date": Field("datetime", "Last Updated on", readonly=True),
    "create_uid": Field("many2one", "Created by", relation="res.users", readonly=True),
    "write_uid": Field("many2one", "Last Updated by", relation="res.users", readonly=True),
}


# --------------------------------------------------------------------------------------------------
# Database state


class Database:
    """All tables of one Odoo database, plus sequences. Mutated only through an :class:`Env`."""

    def __init__(self, version: int, registry: dict[str, Model]):
        self.version = version
        self.registry = registry
        self.tables: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in registry}
        self.meta: dict[str, Any] = {"next_id": {}, "seq": {}}
        self.last_write_time: dt.datetime | None = None

    def now(self) -> dt.datetime:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        # Keep write_date strictly increasing so that ordering by (write_date, id) follows time.
        if self.last_write_time is not None and now <= self.last_write_time:
            now = self.last_write_time + dt.timedelta(microseconds=1)
        self.last_write_time = now
        return now

    def stamp(self) -> str:
        """write_date as stored: microseconds up to 18, whole seconds on 19 (API-NOTES I)."""
        now = self.now()
        if self.version >= 19:
            return now.strftime("%Y-%m-%d %H:%M:%S")
        return now.strftime("%Y-%m-%d %H:%M:%S.%f")


def to_public_datetime(value: Any) -> Any:
    """Odoo serialises datetimes to whole seconds over RPC whatever the database keeps."""
    if isinstance(value, str) and len(value) > 19:
        return value[:19]
    return value


# --------------------------------------------------------------------------------------------------
# Environment: one per call


class Env:
    def __init__(self, db: Database, uid: int, context: dict[str, Any] | None = None):
        self.db = db
        self.uid = uid
        self.context: dict[str, Any] = dict(context or {})
        self.undo: dict[tuple[str, int], dict[str, Any] | None] = {}
        self.meta_backup = copy.deepcopy(db.meta)

    @property
    def version(self) -> int:
        return self.db.version

    def with_context(self, **extra: Any) -> Env:
        clone = Env.__new__(Env)
        clone.db = self.db
        clone.uid = self.uid
        clone.context = {**self.context, **extra}
        clone.undo = self.undo
        clone.meta_backup = self.meta_backup
        return clone

    # -- transaction ----------------------------------------------------------------------------

    def _touch(self, model: str, rid: int) -> None:
        key = (model, rid)
        if key not in self.undo:
            rec = self.db.tables[model].get(rid)
            self.undo[key] = copy.deepcopy(rec) if rec is not None else None

    def rollback(self) -> None:
        for (model, rid), old in self.undo.items():
            if old is None:
                self.db.tables[model].pop(rid, None)
            else:
                self.db.tables[model][rid] = old
        self.db.meta = self.meta_backup
        self.undo = {}

    def dirty(self) -> list[tuple[str, int, dict[str, Any] | None]]:
        return [(m, rid, self.db.tables[m].get(rid)) for (m, rid) in self.undo]

    def next_sequence(self, code: str) -> int:
        seqs = self.db.meta.setdefault("seq", {})
        seqs[code] = seqs.get(code, 0) + 1
        return int(seqs[code])

    # -- schema helpers -------------------------------------------------------------------------

    def model(self, name: str) -> Model:
        try:
            return self.db.registry[name]
        except KeyError:
            raise UserError(f"Object {name} doesn't exist") from None

    def field(self, model: str, fname: str) -> Field | None:
        m = self.model(model)
        if fname in MAGIC:
            return MAGIC[fname]
        if fname in m.fields:
            return m.fields[fname]
        if m.inherits:
            parent, _link = m.inherits
            f = self.field(parent, fname)
            if f is not None and fname not in MAGIC:
                return f
        return None

    def all_fields(self, model: str) -> dict[str, Field]:
        m = self.model(model)
        out: dict[str, Field] = {}
        if m.inherits:
            out.update({k: v for k, v in self.all_fields(m.inherits[0]).items() if k not in MAGIC})
        out.update(m.fields)
        out.update(MAGIC)
        return out

    def exists(self, model: str, rid: int) -> bool:
        return rid in self.db.tables[model]

    def ids(self, model: str) -> list[int]:
        return list(self.db.tables[model])

    # -- values ---------------------------------------------------------------------------------

    def raw(self, model: str, rid: int, fname: str) -> Any:
        """The raw value of a field: an id (or False) for many2one, a list of ids for x2many."""
        m = self.model(model)
        rec = self.db.tables[model].get(rid)
        if rec is None:
            return False
        if fname == "id":
            return rid
        if fname == "display_name":
            return self.display_name(model, rid)
        if fname in MAGIC:
            return rec.get(fname, False)
        f = m.fields.get(fname)
        if f is None and m.inherits and fname not in m.fields:
            parent, link = m.inherits
            prid = rec.get(link)
            return self.raw(parent, prid, fname) if prid else False
        if f is None:
            raise ValueError(f"Invalid field {fname!r} on model {model!r}")
        if f.compute is not None:
            return f.compute(self, {**rec, "id": rid})
        if f.type == "one2many":
            assert f.relation and f.inverse_name
            comodel = self.model(f.relation)
            return self.search(f.relation, [(f.inverse_name, "=", rid)], order=comodel.order)
        value = rec.get(fname)
        if value is None:
            return [] if f.type == "many2many" else False
        return value

    def display_name(self, model: str, rid: int) -> str:
        m = self.model(model)
        rec = self.db.tables[model].get(rid)
        if rec is None:
            return ""
        if m.display_name is not None:
            return m.display_name(self, {**rec, "id": rid})
        if m.rec_name:
            value = self.raw(model, rid, m.rec_name)
            return str(value) if value else ""
        return f"{model},{rid}"

    def convert_read(self, f: Field, value: Any) -> Any:
        if f.type == "many2one":
            if not value:
                return False
            assert f.relation
            return [value, self.display_name(f.relation, value)]
        if f.type in ("one2many", "many2many"):
            return list(value or [])
        if f.type == "datetime":
            return to_public_datetime(value) if value else False
        if f.type in ("float", "monetary"):
            return float(value or 0.0)
        if f.type == "integer":
            return int(value or 0)
        if f.type == "boolean":
            return bool(value)
        if value is None:
            return False
        return value

    # -- read -----------------------------------------------------------------------------------

    def read(self, model: str, ids: Iterable[int], fields: list[str] | None = None) -> list[dict[str, Any]]:
        all_fields = self.all_fields(model)
        if fields:
            for fname in fields:
                if fname not in all_fields:
                    raise ValueError(f"Invalid field {fname!r} on model {model!r}")
            names = [f for f in fields if f != "id"]
        else:
            names = [n for n in all_fields if n != "id"]
        out = []
        for rid in ids:
            if not self.exists(model, rid):
                continue  # Odoo 17+ silently drops missing ids from read (API-NOTES I)
            row: dict[str, Any] = {"id": rid}
            for fname in names:
                row[fname] = self.convert_read(all_fields[fname], self.raw(model, rid, fname))
            out.append(row)
        return out

    # -- search ---------------------------------------------------------------------------------

    def search(
        self,
        model: str,
        domain: list[Any] | None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        active_test: bool | None = None,
    ) -> list[int]:
        m = self.model(model)
        domain = list(domain or [])
        tree = parse_domain(domain)
        if active_test is None:
            active_test = self.context.get("active_test", True)
        use_active = (
            active_test and self.field(model, "active") is not None and not domain_mentions(domain, "active")
        )
        matched = []
        for rid in list(self.db.tables[model]):
            if use_active and not self.raw(model, rid, "active"):
                continue
            if eval_tree(self, model, rid, tree):
                matched.append(rid)
        matched = self.sort(model, matched, order or m.order)
        if offset:
            matched = matched[offset:]
        if limit is not None and limit is not False:
            matched = matched[: int(limit)]
        return matched

    def sort(self, model: str, ids: list[int], order: str) -> list[int]:
        terms = []
        for part in (order or "id").split(","):
            bits = part.strip().split()
            if not bits:
                continue
            fname = bits[0]
            desc = len(bits) > 1 and bits[1].lower() == "desc"
            if self.field(model, fname) is None:
                raise ValueError(f"Invalid field {fname!r} on model {model!r}")
            terms.append((fname, desc))
        result = list(ids)
        for fname, desc in reversed(terms):
            f = self.field(model, fname)

            def key(rid: int, fname: str = fname, f: Field | None = f) -> tuple[int, Any]:
                v = self.raw(model, rid, fname)
                if f is not None and f.type == "many2one" and v and f.relation:
                    v = self.display_name(f.relation, v)
                if v is False or v is None or isinstance(v, list):
                    return (0, "")
                return (1, v)

            result.sort(key=key, reverse=desc)
        return result

    # -- create / write / unlink ----------------------------------------------------------------

    def check_fields(self, model: str, vals: dict[str, Any]) -> None:
        for fname in vals:
            if self.field(model, fname) is None:
                raise ValueError(f"Invalid field {fname!r} on model {model!r}")

    def create(self, model: str, vals: dict[str, Any]) -> int:
        m = self.model(model)
        if not isinstance(vals, dict):
            raise TypeError(f"create() values must be a dict, not {type(vals).__name__}")
        self.check_fields(model, vals)
        given = dict(vals)
        vals = dict(vals)
        # defaults: context default_<field>, then the field's own default
        for fname, f in m.fields.items():
            if fname in vals:
                continue
            ctx_key = f"default_{fname}"
            if ctx_key in self.context:
                vals[fname] = self.context[ctx_key]
            elif f.default is not None:
                vals[fname] = f.default(self, vals) if callable(f.default) else copy.deepcopy(f.default)
        # delegation (_inherits): create the parent record first from its fields
        if m.inherits:
            parent, link = m.inherits
            if not vals.get(link):
                pvals = {k: vals.pop(k) for k in list(vals) if k not in m.fields and k not in MAGIC}
                vals[link] = self.with_context(_create_from_child=True).create(parent, pvals)
            else:
                pvals = {k: vals.pop(k) for k in list(vals) if k not in m.fields and k not in MAGIC}
                if pvals:
                    self.write(parent, [vals[link]], pvals)
        rid = self._new_id(model)
        self._touch(model, rid)
        stamp = self.db.stamp()
        rec: dict[str, Any] = {
            "create_date": stamp,
            "write_date": stamp,
            "create_uid": self.uid,
            "write_uid": self.uid,
        }
        self.db.tables[model][rid] = rec
        deferred: list[tuple[str, Field, Any]] = []
        for fname, value in vals.items():
            f = m.fields.get(fname)
            if f is None or fname in MAGIC:
                continue
            if f.type == "one2many":
                deferred.append((fname, f, value))
            else:
                rec[fname] = self._convert_write(model, fname, f, value, rid)
        for fname, f in m.fields.items():
            if f.required and f.store and f.compute is None and f.type != "one2many":
                v = rec.get(fname)
                if v is None or v is False or v == "":
                    label = f.string or fname
                    raise ValidationError(
                        "The operation cannot be completed:\n"
                        f"- Create/update: a mandatory field is not set.\n"
                        f"- Delete: another model requires the record being deleted. "
                        f"If possible, archive it instead.\n\nModel: {m.description} ({model})\n"
                        f"Field: {label} ({fname})"
                    )
        for _fname, f, value in deferred:
            self._write_o2m(model, rid, f, value)
        if m.on_create:
            m.on_create(self, rid, given)
        return rid

    def _new_id(self, model: str) -> int:
        next_ids = self.db.meta.setdefault("next_id", {})
        current = max(next_ids.get(model, 0), max(self.db.tables[model], default=0))
        next_ids[model] = current + 1
        return int(current + 1)

    def write(self, model: str, ids: list[int], vals: dict[str, Any]) -> bool:
        m = self.model(model)
        if not isinstance(vals, dict):
            raise TypeError("write() values must be a dict")
        self.check_fields(model, vals)
        missing = [rid for rid in ids if not self.exists(model, rid)]
        if missing:
            raise MissingError(
                "Record does not exist or has been deleted.\n"
                f"(Record: {model}({', '.join(str(i) for i in missing)},), User: {self.uid})"
            )
        own = {k: v for k, v in vals.items() if k in m.fields}
        delegated = {k: v for k, v in vals.items() if k not in m.fields and k not in MAGIC}
        if delegated and m.inherits:
            parent, link = m.inherits
            pids = sorted(
                {self.db.tables[model][rid][link] for rid in ids if self.db.tables[model][rid].get(link)}
            )
            self.write(parent, pids, delegated)
        for rid in ids:
            self._touch(model, rid)
            rec = self.db.tables[model][rid]
            for fname, value in own.items():
                f = m.fields[fname]
                if f.compute is not None and not f.store:
                    continue  # Odoo ignores writes to non-stored computed fields without inverse
                if f.type == "one2many":
                    self._write_o2m(model, rid, f, value)
                else:
                    new = self._convert_write(model, fname, f, value, rid)
                    if f.required and (new is False or new is None or new == ""):
                        raise ValidationError(
                            "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n"  # noqa: E501
                            f"\nModel: {m.description} ({model})\nField: {f.string or fname} ({fname})"
                        )
                    rec[fname] = new
            rec["write_date"] = self.db.stamp()
            rec["write_uid"] = self.uid
        if m.on_write:
            m.on_write(self, ids, vals)
        return True

    def touch(self, model: str, rid: int) -> None:
        self._touch(model, rid)
        self.db.tables[model][rid]["write_date"] = self.db.stamp()
        self.db.tables[model][rid]["write_uid"] = self.uid

    def set(self, model: str, rid: int, **vals: Any) -> None:
        """Internal write with no checks (business methods)."""
        self._touch(model, rid)
        rec = self.db.tables[model][rid]
        rec.update(vals)
        rec["write_date"] = self.db.stamp()
        rec["write_uid"] = self.uid

    def unlink(self, model: str, ids: list[int]) -> bool:
        m = self.model(model)
        missing = [rid for rid in ids if not self.exists(model, rid)]
        if missing:
            raise MissingError(
                "Record does not exist or has been deleted.\n"
                f"(Record: {model}({', '.join(str(i) for i in missing)},), User: {self.uid})"
            )
        if m.before_unlink:
            m.before_unlink(self, ids)
        for rid in ids:
            # cascade: one2many children whose inverse is required go with the parent
            for f in m.fields.values():
                if f.type == "one2many" and f.relation and f.inverse_name and f.compute is None:
                    child_f = self.field(f.relation, f.inverse_name)
                    children = [
                        cid
                        for cid, crec in self.db.tables[f.relation].items()
                        if crec.get(f.inverse_name) == rid
                    ]
                    if child_f is not None and child_f.required:
                        if children:
                            self.unlink(f.relation, children)
                    else:
                        for cid in children:
                            self.set(f.relation, cid, **{f.inverse_name: False})
            self._touch(model, rid)
            self.db.tables[model].pop(rid, None)
        return True

    # -- value conversion -----------------------------------------------------------------------

    def _convert_write(self, model: str, fname: str, f: Field, value: Any, rid: int) -> Any:
        t = f.type
        if t == "many2one":
            if value in (False, None, 0):
                return False
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, (list, tuple)) and value and isinstance(value[0], int):
                    value = value[0]
                else:
                    raise ValueError(f"Wrong value for {model}.{fname}: {value!r}")
            assert f.relation
            if not self.exists(f.relation, value):
                raise ValidationError(
                    "The operation cannot be completed: another model requires the record being deleted. "
                    f"If possible, archive it instead.\n\nModel: {f.relation}, Constraint: {model}_{fname}_fkey"  # noqa: E501
                )
            return value
        if t == "many2many":
            current = (
                [] if rid not in self.db.tables[model] else list(self.db.tables[model][rid].get(fname) or [])
            )
            assert f.relation
            return self._apply_m2m(f.relation, current, value)
        if t == "selection":
            if value in (False, None):
                return False
            keys = [k for k, _ in (f.selection or [])]
            if value not in keys:
                raise ValueError(f"Wrong value for {model}.{fname}: {value!r}")
            return value
        if t in ("float", "monetary"):
            if value is False or value is None:
                return 0.0
            if isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    raise ValueError(f"could not convert string to float: {value!r}") from None
            return float(value)
        if t == "integer":
            if value is False or value is None:
                return 0
            return int(value)
        if t == "boolean":
            return bool(value)
        if t in ("char", "text", "html"):
            if value is False or value is None:
                return False
            return str(value)
        if t == "date":
            return value or False
        if t == "datetime":
            if not value:
                return False
            return str(value).replace("T", " ")
        return value

    def _apply_m2m(self, comodel: str, current: list[int], value: Any) -> list[int]:
        if value in (False, None):
            return []
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"Wrong value for many2many: {value!r}")
        ids = list(current)
        if value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            value = [(6, 0, list(value))]
        for cmd in value:
            if not isinstance(cmd, (list, tuple)) or not cmd:
                raise ValueError(f"Wrong x2many command: {cmd!r}")
            op = cmd[0]
            if op == 0:
                ids.append(self.create(comodel, cmd[2]))
            elif op == 1:
                self.write(comodel, [cmd[1]], cmd[2])
                if cmd[1] not in ids:
                    ids.append(cmd[1])
            elif op == 2:
                self.unlink(comodel, [cmd[1]])
                ids = [i for i in ids if i != cmd[1]]
            elif op == 3:
                ids = [i for i in ids if i != cmd[1]]
            elif op == 4:
                if not self.exists(comodel, cmd[1]):
                    raise MissingError(
                        f"Record does not exist or has been deleted.\n(Record: {comodel}({cmd[1]},))"
                    )
                if cmd[1] not in ids:
                    ids.append(cmd[1])
            elif op == 5:
                ids = []
            elif op == 6:
                new = list(cmd[2] or [])
                for i in new:
                    if not self.exists(comodel, i):
                        raise MissingError(
                            f"Record does not exist or has been deleted.\n(Record: {comodel}({i},))"
                        )
                ids = list(dict.fromkeys(new))
            else:
                raise ValueError(f"Unknown x2many command {op!r}")
        return ids

    def _write_o2m(self, model: str, rid: int, f: Field, value: Any) -> None:
        assert f.relation and f.inverse_name
        comodel, inverse = f.relation, f.inverse_name
        if value in (False, None):
            return
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"Wrong value for {model}.{f.inverse_name}: {value!r}")
        if value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            value = [(6, 0, list(value))]
        for cmd in value:
            if not isinstance(cmd, (list, tuple)) or not cmd:
                raise ValueError(f"Wrong x2many command: {cmd!r}")
            op = cmd[0]
            inv_required = bool(self.field(comodel, inverse) and self.field(comodel, inverse).required)  # type: ignore[union-attr]
            if op == 0:
                self.create(comodel, {**(cmd[2] or {}), inverse: rid})
            elif op == 1:
                self.write(comodel, [cmd[1]], cmd[2] or {})
            elif op == 2:
                self.unlink(comodel, [cmd[1]])
            elif op == 3:
                if inv_required:
                    self.unlink(comodel, [cmd[1]])
                else:
                    self.write(comodel, [cmd[1]], {inverse: False})
            elif op == 4:
                self.write(comodel, [cmd[1]], {inverse: rid})
            elif op in (5, 6):
                current = self.search(comodel, [(inverse, "=", rid)], active_test=False)
                keep = list(cmd[2] or []) if op == 6 else []
                for cid in current:
                    if cid in keep:
                        continue
                    if inv_required:
                        self.unlink(comodel, [cid])
                    else:
                        self.write(comodel, [cid], {inverse: False})
                for cid in keep:
                    self.write(comodel, [cid], {inverse: rid})
            else:
                raise ValueError(f"Unknown x2many command {op!r}")


# --------------------------------------------------------------------------------------------------
# Domains

OPERATORS = {
    "=",
    "!=",
    "<>",
    ">",
    ">=",
    "<",
    "<=",
    "in",
    "not in",
    "like",
    "ilike",
    "not like",
    "not ilike",
    "=like",
    "=ilike",
    "child_of",
    "parent_of",
    "=?",
}


def parse_domain(domain: list[Any]) -> Any:
    """Turn a prefix-notation domain into a tree: ('&', a, b) / ('|', a, b) / ('!', a) / ('leaf', t)."""
    if not isinstance(domain, (list, tuple)):
        raise ValueError(f"Invalid domain: {domain!r}")
    items = list(domain)
    if not items:
        return ("true",)
    pos = 0

    def parse() -> Any:
        nonlocal pos
        if pos >= len(items):
            raise ValueError(f"Invalid domain (missing operand): {domain!r}")
        tok = items[pos]
        pos += 1
        if tok in ("&", "|"):
            a = parse()
            b = parse()
            return (tok, a, b)
        if tok == "!":
            return ("!", parse())
        if isinstance(tok, (list, tuple)) and len(tok) == 3:
            fname, op, value = tok
            op = str(op).lower()
            if op not in OPERATORS:
                raise ValueError(f"Invalid leaf {list(tok)!r}")
            return ("leaf", (fname, op, value))
        if tok in (True, "TRUE_LEAF"):
            return ("true",)
        raise ValueError(f"Invalid leaf {tok!r}")

    nodes = []
    while pos < len(items):
        nodes.append(parse())
    tree = nodes[0]
    for node in nodes[1:]:
        tree = ("&", tree, node)
    return tree


def domain_mentions(domain: list[Any], fname: str) -> bool:
    return any(
        isinstance(t, (list, tuple)) and len(t) == 3 and str(t[0]).split(".")[0] == fname for t in domain
    )


def eval_tree(env: Env, model: str, rid: int, node: Any) -> bool:
    kind = node[0]
    if kind == "true":
        return True
    if kind == "&":
        return eval_tree(env, model, rid, node[1]) and eval_tree(env, model, rid, node[2])
    if kind == "|":
        return eval_tree(env, model, rid, node[1]) or eval_tree(env, model, rid, node[2])
    if kind == "!":
        return not eval_tree(env, model, rid, node[1])
    return eval_leaf(env, model, rid, node[1])


def _like(pattern: str, value: str, *, exact: bool, ci: bool) -> bool:
    if ci:
        pattern, value = pattern.lower(), value.lower()
    if not exact:
        return (
            pattern in value
            if "%" not in pattern and "_" not in pattern
            else _sql_like(f"%{pattern}%", value)
        )
    return _sql_like(pattern, value)


def _sql_like(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _compare(a: Any, op: str, b: Any) -> bool:
    if op in ("=", "=?"):
        if b is False or b is None:
            return a in (False, None, "", [])
        return a == b
    if op in ("!=", "<>"):
        if b is False or b is None:
            return a not in (False, None, "", [])
        return a != b
    if a in (False, None) or b in (False, None):
        return False
    if isinstance(a, str) and isinstance(b, str):
        b = b.replace("T", " ")
    try:
        if op == ">":
            return bool(a > b)
        if op == ">=":
            return bool(a >= b)
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
    except TypeError:
        return False
    raise ValueError(f"Invalid operator {op!r}")


def eval_leaf(env: Env, model: str, rid: int, leaf: tuple[str, str, Any]) -> bool:
    path, op, value = leaf
    if path in (1, 0) or isinstance(path, int):
        return _compare(path, op, value)
    if not isinstance(path, str):
        raise ValueError(f"Invalid leaf {list(leaf)!r}")
    head, _, rest = path.partition(".")
    f = env.field(model, head)
    if f is None:
        raise ValueError(f"Invalid field {model}.{head} in leaf {list(leaf)!r}")
    raw = env.raw(model, rid, head)
    if op == "=?" and (value is False or value is None):
        return True
    if rest:
        if f.type not in ("many2one", "one2many", "many2many"):
            raise ValueError(f"Invalid field {model}.{path} in leaf {list(leaf)!r}")
        assert f.relation
        related = [raw] if f.type == "many2one" and raw else (raw or [] if f.type != "many2one" else [])
        negative = op in ("!=", "<>", "not in", "not like", "not ilike")
        if negative:
            # Odoo: a negative operator on a path means "not any (positive)"
            pos = {"!=": "=", "<>": "=", "not in": "in", "not like": "like", "not ilike": "ilike"}[op]
            return not any(eval_leaf(env, f.relation, r, (rest, pos, value)) for r in related)
        return any(eval_leaf(env, f.relation, r, (rest, op, value)) for r in related)

    if op in ("child_of", "parent_of"):
        comodel = model if f.type not in ("many2one", "one2many", "many2many") else f.relation
        assert comodel
        targets = _ids_of(env, comodel, value)
        m = env.model(comodel)
        parent = m.parent_name or "parent_id"
        if op == "child_of":
            family = set(targets)
            frontier = list(targets)
            while frontier:
                nxt = [c for c in env.db.tables[comodel] if env.db.tables[comodel][c].get(parent) in frontier]
                nxt = [c for c in nxt if c not in family]
                family.update(nxt)
                frontier = nxt
        else:
            family = set()
            for t in targets:
                cur: Any = t
                while cur and cur not in family:
                    family.add(cur)
                    cur = env.db.tables[comodel].get(cur, {}).get(parent)
        if head == "id" or f.type not in ("many2one", "one2many", "many2many"):
            return rid in family
        values = [raw] if f.type == "many2one" else list(raw or [])
        return any(v in family for v in values if v)

    if f.type in ("one2many", "many2many"):
        values = list(raw or [])
        if op in ("in", "not in"):
            wanted = set(value if isinstance(value, (list, tuple)) else [value])
            hit = any(v in wanted for v in values)
            return hit if op == "in" else not hit
        if value is False or value is None:
            empty = not values
            return empty if op == "=" else not empty
        if isinstance(value, str):
            assert f.relation
            names = [env.display_name(f.relation, v) for v in values]
            pos_op = {"!=": "=", "not like": "like", "not ilike": "ilike"}.get(op, op)
            hit = any(_match_scalar(n, pos_op, value) for n in names)
            return hit if pos_op == op else not hit
        if op in ("=", "!=", "<>"):
            hit = value in values
            return hit if op == "=" else not hit
        return any(_compare(v, op, value) for v in values)

    if f.type == "many2one" and isinstance(value, str) and op not in ("in", "not in"):
        assert f.relation
        name = env.display_name(f.relation, raw) if raw else ""
        if op in ("=", "!=", "<>"):
            return _compare(name, op, value)
        return _match_scalar(name, op, value)

    if f.type == "datetime" and isinstance(value, str):
        value = value.replace("T", " ")
    return _match_scalar(raw, op, value)


def _match_scalar(raw: Any, op: str, value: Any) -> bool:
    if op in ("in", "not in"):
        seq = list(value) if isinstance(value, (list, tuple, set)) else [value]
        hit = raw in seq or (raw in (False, None) and (False in seq or None in seq))
        return hit if op == "in" else not hit
    if op in ("like", "ilike", "=like", "=ilike", "not like", "not ilike"):
        if value is False or value is None:
            hit = raw in (False, None, "")
            return not hit if op.startswith("not") else hit
        text = "" if raw in (False, None) else str(raw)
        exact = op.startswith("=")
        ci = "ilike" in op
        hit = _like(str(value), text, exact=exact, ci=ci)
        return not hit if op.startswith("not") else hit
    return _compare(raw, op, value)


def _ids_of(env: Env, model: str, value: Any) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, int)]
    if isinstance(value, str):
        return [
            rid
            for rid in env.db.tables[model]
            if fnmatch.fnmatch(env.display_name(model, rid).lower(), f"*{value.lower()}*")
        ]
    return []
