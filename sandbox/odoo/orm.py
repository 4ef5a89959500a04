"""A small in-memory ORM that behaves like Odoo's as seen from outside (RPC).

Every model's fields come from the real field lists (:mod:`sandbox.odoo.schema`); the behaviour modules
(:mod:`sandbox.odoo.models`) attach defaults, computations, constraints and methods to them. Records are
plain dicts keyed by id per model and hold the stored fields; one2many, computed and delegated
(``_inherits``) fields are resolved on read. Every change goes through :class:`Env`, which keeps an undo log
so that a failing call leaves nothing behind (one call = one transaction, as in Odoo) and a dirty set that
the store persists once the call succeeded.

How a field behaves follows from what ``fields_get`` says about it:

- stored (``store``) fields hold what was written, or their default;
- a field the stand-in computes (``compute``) is derived on read; a write to it is ignored unless the
  stand-in gives it an inverse;
- a non-stored field of a delegating model (``_inherits``) lives on the parent record;
- a non-stored, read-only field the stand-in does not compute reads as empty and a write to it is ignored,
  as Odoo ignores writes to computed fields without inverse (``account.tax.price_include`` on 19);
- a non-stored, writable field the stand-in has no inverse for is refused loudly (``NotImplementedError``):
  the stand-in does not pretend.
"""

from __future__ import annotations

import copy
import datetime as dt
import fnmatch
import re
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

# --------------------------------------------------------------------------------------------------
# Exceptions, named as Odoo names them in error.data.name. As in Odoo, the business errors derive from
# UserError (XML-RPC maps them to fault codes by that hierarchy).


class OdooError(Exception):
    name = "odoo.exceptions.UserError"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UserError(OdooError):
    name = "odoo.exceptions.UserError"


class ValidationError(UserError):
    name = "odoo.exceptions.ValidationError"


class MissingError(UserError):
    name = "odoo.exceptions.MissingError"


class AccessError(UserError):
    name = "odoo.exceptions.AccessError"


class AccessDenied(UserError):
    name = "odoo.exceptions.AccessDenied"


class RedirectWarning(UserError):
    name = "odoo.exceptions.RedirectWarning"


def error_name(exc: BaseException) -> str:
    if isinstance(exc, OdooError):
        return exc.name
    return f"builtins.{type(exc).__name__}"


def missing_error(model: str, ids: Iterable[int], uid: int) -> MissingError:
    listed = ", ".join(str(i) for i in ids)
    return MissingError(
        f"Record does not exist or has been deleted.\n(Record: {model}({listed},), User: {uid})"
    )


# --------------------------------------------------------------------------------------------------
# Schema

EMPTY_BY_TYPE: dict[str, Any] = {
    "many2one": False,
    "one2many": [],
    "many2many": [],
    "float": 0.0,
    "monetary": 0.0,
    "integer": 0,
    "boolean": False,
    "many2one_reference": 0,
}
NUMERIC = ("float", "monetary", "integer")


def empty_value(ftype: str) -> Any:
    return copy.copy(EMPTY_BY_TYPE.get(ftype, False))


@dataclass
class Field:
    """One field: ``desc`` is what ``fields_get`` answers (from the real lists); the rest is behaviour."""

    name: str
    desc: dict[str, Any]
    default: Any = None  # value, or callable(env, vals) -> value
    compute: Callable[[Env, dict[str, Any]], Any] | None = None  # derived on read from the record dict
    inverse: Callable[[Env, list[int], Any], None] | None = None  # makes a computed field writable
    delegate: str | None = None  # link field on this model when the value lives on the _inherits parent
    copy: bool = True
    ondelete: str | None = (
        None  # many2one: "cascade"; otherwise Odoo's default, restrict if required else null
    )

    @property
    def type(self) -> str:
        return str(self.desc["type"])

    @property
    def string(self) -> str:
        return str(self.desc.get("string") or self.name)

    @property
    def relation(self) -> str | None:
        return self.desc.get("relation")

    @property
    def relation_field(self) -> str | None:
        return self.desc.get("relation_field")

    @property
    def required(self) -> bool:
        return bool(self.desc.get("required"))

    @property
    def readonly(self) -> bool:
        return bool(self.desc.get("readonly"))

    @property
    def stored(self) -> bool:
        """Stored in Odoo's database (``fields_get`` ``store``)."""
        return bool(self.desc.get("store"))

    @property
    def held(self) -> bool:
        """Held in the stand-in's record dict."""
        return self.stored and self.compute is None and self.delegate is None and self.type != "one2many"

    @property
    def selection_keys(self) -> list[Any]:
        return [k for k, _label in (self.desc.get("selection") or [])]


@dataclass
class Method:
    func: Callable[..., Any]
    api_model: bool = False  # no ids
    writes: bool = True
    var_kwargs: bool = False  # accepts **kwargs (an unexpected JSON-2 parameter gives a 500 TypeError)


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
    on_create: list[Callable[[Env, int, dict[str, Any]], None]] = field(default_factory=list)
    on_write: list[Callable[[Env, list[int], dict[str, Any]], None]] = field(default_factory=list)
    before_unlink: list[Callable[[Env, list[int]], None]] = field(default_factory=list)
    after_unlink: list[Callable[[Env, list[dict[str, Any]]], None]] = field(default_factory=list)
    create_hooks: list[Callable[[Env, dict[str, Any]], int | None]] = field(
        default_factory=list
    )  # may answer an id
    constraints: list[tuple[frozenset[str], Callable[[Env, list[int]], None]]] = field(default_factory=list)
    transient: bool = False
    recursion_message: str | None = None  # ValidationError when the parent hierarchy loops
    company_rule: bool = False  # the multi-company record rule applies

    def constrain(self, fields: Iterable[str], check: Callable[[Env, list[int]], None]) -> None:
        self.constraints.append((frozenset(fields), check))

    def f(self, name: str) -> Field:
        try:
            return self.fields[name]
        except KeyError:
            raise KeyError(f"{self.name} has no field {name!r} in the field lists") from None


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
        # What a real Odoo's b-tree indexes do for lookups by a stored value (a move's lines, an order's
        # lines, a line's reconciliations): without them every such lookup scanned its whole table under
        # the stand-in's lock, so a flash sale's thousands of invoices made the stand-in, not the app, the
        # bottleneck (bench/peak.py). See :meth:`lookup`.
        self._indexes: dict[tuple[str, str], _Index] = {}
        self._touched: dict[str, set[int]] = {}

    def touched(self, model: str, rid: int) -> None:
        """A row of ``model`` is about to change (Env._touch): the indexes read it again."""
        self._touched.setdefault(model, set()).add(rid)

    def indexes_settle(self) -> None:
        """The call that touched rows ended (committed or rolled back): index their values as they stay."""
        for (model, _fname), index in self._indexes.items():
            index.refresh(self.tables[model], self._touched.get(model, ()))
        self._touched.clear()

    def lookup(self, model: str, fname: str, value: Any) -> list[int]:
        """Ids of the rows of ``model`` whose stored ``fname`` equals ``value`` (or, for a list of ids,
        holds it), ascending: what scanning the table for them returns, without the scan.

        The index keeps every value a row had since it was built (it only grows); a row's current value
        is always among them, because every change goes through Env._touch, which marks the row to be
        read again at the next lookup and when its call ends. Each hit is checked against the row as it
        is, so a stale entry or a deleted row never answers."""
        table = self.tables[model]
        index = self._indexes.get((model, fname))
        if index is None or index.table is not table:
            index = self._indexes[(model, fname)] = _Index(table, fname)
        else:
            index.refresh(table, self._touched.get(model, ()))
        return sorted(
            rid
            for rid in index.candidates(value)
            if (rec := table.get(rid)) is not None and _holds(rec, fname, value)
        )

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

    def settings(self) -> dict[str, Any]:
        return self.meta.setdefault("settings", {})  # type: ignore[no-any-return]


def _holds(rec: dict[str, Any], fname: str, value: Any) -> bool:
    stored = rec.get(fname)
    return value in stored if isinstance(stored, list) else bool(stored == value)


class _Index:
    """Row ids by a stored field's value (each id of a list value counts as a value); unhashable values
    are not indexed, so such a field must not be looked up through here."""

    def __init__(self, table: dict[int, dict[str, Any]], fname: str):
        self.table = table
        self.fname = fname
        self.by_value: dict[Any, set[int]] = {}
        for rid, rec in table.items():
            self._add(rid, rec)

    def _add(self, rid: int, rec: dict[str, Any]) -> None:
        stored = rec.get(self.fname)
        for v in stored if isinstance(stored, list) else (stored,):
            if isinstance(v, (int, str)) and not isinstance(v, bool):
                self.by_value.setdefault(v, set()).add(rid)

    def refresh(self, table: dict[int, dict[str, Any]], rids: Iterable[int]) -> None:
        for rid in rids:
            rec = table.get(rid)
            if rec is not None:
                self._add(rid, rec)

    def candidates(self, value: Any) -> AbstractSet[int]:
        return self.by_value.get(value, set())


def to_public_datetime(value: Any) -> Any:
    """Odoo serialises datetimes to whole seconds over RPC whatever the database keeps."""
    if isinstance(value, str) and len(value) > 19:
        return value[:19]
    return value


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?$")


# --------------------------------------------------------------------------------------------------
# Environment: one per call


class Env:
    def __init__(
        self, db: Database, uid: int, context: dict[str, Any] | None = None, *, su: bool = False
    ) -> None:
        self.db = db
        self.uid = uid
        self.su = su
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
        clone.su = self.su
        clone.context = {**self.context, **extra}
        clone.undo = self.undo
        clone.meta_backup = self.meta_backup
        return clone

    def sudo(self) -> Env:
        clone = self.with_context()
        clone.su = True
        return clone

    # -- transaction ----------------------------------------------------------------------------

    def _touch(self, model: str, rid: int) -> None:
        self.db.touched(model, rid)
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
        self.db.indexes_settle()

    def dirty(self) -> list[tuple[str, int, dict[str, Any] | None]]:
        """The rows this call changed, as they are now (to persist): the call is over."""
        self.db.indexes_settle()
        return [(m, rid, self.db.tables[m].get(rid)) for (m, rid) in self.undo]

    def next_sequence(self, code: str) -> int:
        seqs = self.db.meta.setdefault("seq", {})
        seqs[code] = seqs.get(code, 0) + 1
        return int(seqs[code])

    # -- users and companies --------------------------------------------------------------------

    def user_companies(self) -> list[int]:
        user = self.db.tables["res.users"].get(self.uid) or {}
        ids = list(user.get("company_ids") or [])
        if user.get("company_id") and user["company_id"] not in ids:
            ids.insert(0, user["company_id"])
        return ids or sorted(self.db.tables["res.company"])[:1]

    def companies(self) -> list[int]:
        """Odoo's ``env.companies``: ``allowed_company_ids`` of the context, else all the user's companies."""
        wanted = self.context.get("allowed_company_ids")
        if wanted:
            if not isinstance(wanted, (list, tuple)) or not all(isinstance(c, int) for c in wanted):
                raise ValueError(f"Invalid allowed_company_ids {wanted!r}")
            if not self.su and set(wanted) - set(self.user_companies()):
                raise AccessError("Access to unauthorized or invalid companies.")
            return list(wanted)
        return self.user_companies()

    def company(self) -> int:
        """Odoo's ``env.company``: the first allowed company, else the user's current company."""
        wanted = self.context.get("allowed_company_ids")
        if wanted:
            return int(self.companies()[0])
        user = self.db.tables["res.users"].get(self.uid) or {}
        return int(user.get("company_id") or self.user_companies()[0])

    def company_visible(self, model: str, rid: int) -> bool:
        m = self.model(model)
        if self.su or not m.company_rule:
            return True
        rec = self.db.tables[model].get(rid)
        if rec is None:
            return True
        cid = rec.get("company_id")
        return not cid or cid in self.companies()

    def check_company_access(self, model: str, ids: Iterable[int], operation: str) -> None:
        hidden = [rid for rid in ids if not self.company_visible(model, rid)]
        if not hidden:
            return
        m = self.model(model)
        user = self.db.tables["res.users"].get(self.uid) or {}
        uname = self.raw("res.partner", user.get("partner_id"), "name") if user.get("partner_id") else ""
        listed = "\n".join(
            f"- {m.description}, {self.display_name(model, rid)} ({model}: {rid})" for rid in hidden
        )
        raise AccessError(
            "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\n"
            f"Sorry, {uname} (id={self.uid}) doesn't have '{operation}' access to:\n{listed}\n\n"
            "If you really, really need access, perhaps you can win over your friendly administrator with "
            "a batch of freshly baked cookies.\n\nNote: this might be a multi-company issue. Switching "
            "company may help - in Odoo, not in real life!"
        )

    # -- schema helpers -------------------------------------------------------------------------

    def model(self, name: str) -> Model:
        try:
            return self.db.registry[name]
        except KeyError:
            raise UserError(f"Object {name} doesn't exist") from None

    def field(self, model: str, fname: str) -> Field | None:
        return self.model(model).fields.get(fname)

    def all_fields(self, model: str) -> dict[str, Field]:
        return self.model(model).fields

    def exists(self, model: str, rid: Any) -> bool:
        return isinstance(rid, int) and rid in self.db.tables[model]

    def ids(self, model: str) -> list[int]:
        return list(self.db.tables[model])

    def rec(self, model: str, rid: int) -> dict[str, Any]:
        """The stored dict of a record (business methods read through this)."""
        return self.db.tables[model][rid]

    # -- values ---------------------------------------------------------------------------------

    def raw(self, model: str, rid: Any, fname: str) -> Any:
        """The raw value of a field: an id (or False) for many2one, a list of ids for x2many."""
        m = self.model(model)
        rec = self.db.tables[model].get(rid) if isinstance(rid, int) else None
        if rec is None:
            f0 = m.fields.get(fname)
            return empty_value(f0.type) if f0 else False
        if fname == "id":
            return rid
        if fname == "display_name":
            return self.display_name(model, rid)
        f = m.fields.get(fname)
        if f is None:
            raise ValueError(f"Invalid field {fname!r} on model {model!r}")
        if f.compute is not None:
            return f.compute(self, {**rec, "id": rid})
        if f.delegate is not None:
            assert m.inherits is not None
            link = rec.get(f.delegate)
            return self.raw(m.inherits[0], link, fname) if link else empty_value(f.type)
        if f.type == "one2many":
            if not f.relation or not f.relation_field or f.relation not in self.db.registry:
                return []
            comodel = self.model(f.relation)
            return self.search(f.relation, [(f.relation_field, "=", rid)], order=comodel.order, check=False)
        if not f.held:
            return empty_value(f.type)
        value = rec.get(fname)
        if value is None:
            return empty_value(f.type)
        return value

    def display_name(self, model: str, rid: Any) -> str:
        m = self.model(model)
        rec = self.db.tables[model].get(rid) if isinstance(rid, int) else None
        if rec is None:
            return ""
        if m.display_name is not None:
            return m.display_name(self, {**rec, "id": rid})
        if m.rec_name and m.rec_name in m.fields:
            value = self.raw(model, rid, m.rec_name)
            return str(value) if value else ""
        return f"{model},{rid}"

    def convert_read(self, f: Field, value: Any, load: str | None = "_classic_read") -> Any:
        t = f.type
        if t == "many2one":
            if not value:
                return False
            if load is None:
                return value
            if not f.relation or f.relation not in self.db.registry:
                return [value, f"{f.relation},{value}"]
            return [value, self.display_name(f.relation, value)]
        if t in ("one2many", "many2many"):
            return list(value or [])
        if t == "datetime":
            return to_public_datetime(value) if value else False
        if t in ("float", "monetary"):
            return float(value or 0.0)
        if t in ("integer", "many2one_reference"):
            return int(value or 0)
        if t == "boolean":
            return bool(value)
        if t in ("json", "properties", "properties_definition"):
            return value if value not in (None,) else False
        if value is None:
            return False
        return value

    # -- read -----------------------------------------------------------------------------------

    def read(
        self,
        model: str,
        ids: Iterable[int],
        fields: list[str] | None = None,
        load: str | None = "_classic_read",
    ) -> list[dict[str, Any]]:
        all_fields = self.all_fields(model)
        if fields:
            for fname in fields:
                if fname not in all_fields:
                    raise ValueError(f"Invalid field {fname!r} on model {model!r}")
            names = [f for f in fields if f != "id"]
        else:
            names = [
                n
                for n, f in all_fields.items()
                if n != "id" and f.type not in ("binary",) and not self._unplayed_relation(f)
            ]
        ids = [rid for rid in ids if self.exists(model, rid)]  # Odoo 17+ drops missing ids (API-NOTES I)
        self.check_company_access(model, ids, "read")
        out = []
        for rid in ids:
            row: dict[str, Any] = {"id": rid}
            for fname in names:
                row[fname] = self.convert_read(all_fields[fname], self.raw(model, rid, fname), load)
            out.append(row)
        return out

    def _search_candidates(self, model: str, domain: list[Any]) -> list[int]:
        """The rows a search must evaluate: all of them, or, when the domain is a plain conjunction with a
        ``(many2one, '=', id)`` leaf on a stored field (a one2many read is one), only those the index
        holds for that id (a superset of the matches: every row is still evaluated in full)."""
        m = self.model(model)
        if all(isinstance(item, (list, tuple)) and len(item) == 3 for item in domain):
            for fname, op, value in domain:
                f = m.fields.get(fname) if isinstance(fname, str) else None
                if (
                    op == "="
                    and f is not None
                    and f.type == "many2one"
                    and f.held
                    and isinstance(value, int)
                    and not isinstance(value, bool)
                ):
                    return self.db.lookup(model, fname, value)
        return list(self.db.tables[model])

    def _unplayed_relation(self, f: Field) -> bool:
        return bool(f.relation) and f.relation not in self.db.registry

    # -- search ---------------------------------------------------------------------------------

    def search(
        self,
        model: str,
        domain: list[Any] | None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        active_test: bool | None = None,
        check: bool = True,
    ) -> list[int]:
        m = self.model(model)
        domain = list(domain or [])
        tree = parse_domain(domain)
        if check:
            validate_tree(self, model, tree)
        if active_test is None:
            active_test = bool(self.context.get("active_test", True))
        use_active = active_test and "active" in m.fields and not domain_mentions(domain, "active")
        allowed = set(self.companies()) if m.company_rule and not self.su else None
        table = self.db.tables[model]
        matched = []
        for rid in self._search_candidates(model, domain):
            if use_active and not self.raw(model, rid, "active"):
                continue
            if allowed is not None:
                cid = table[rid].get("company_id")
                if cid and cid not in allowed:
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
            if fname != "id" and self.field(model, fname) is None:
                raise ValueError(f"Invalid field {fname!r} on model {model!r}")
            terms.append((fname, desc))
        result = list(ids)
        for fname, desc in reversed(terms):
            f = self.field(model, fname)

            def key(rid: int, fname: str = fname, f: Field | None = f) -> tuple[int, Any]:
                v = self.raw(model, rid, fname)
                if f is not None and f.type == "many2one" and v and f.relation in self.db.registry:
                    v = self.display_name(str(f.relation), v)
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

    def default_value(self, model: str, fname: str, vals: dict[str, Any]) -> Any:
        """The default Odoo would put in ``fname`` (context ``default_<field>`` first)."""
        f = self.model(model).fields[fname]
        key = f"default_{fname}"
        if key in self.context:
            return self.context[key]
        if f.default is not None:
            return f.default(self, vals) if callable(f.default) else copy.deepcopy(f.default)
        return None

    def create(self, model: str, vals: dict[str, Any]) -> int:
        m = self.model(model)
        if not isinstance(vals, dict):
            raise TypeError(f"create() values must be a dict, not {type(vals).__name__}")
        self.check_fields(model, vals)
        for answer in m.create_hooks:
            found = answer(self, vals)
            if found is not None:
                return found
        given = dict(vals)
        vals = dict(vals)
        # defaults: context default_<field>, then the field's own default (own fields only)
        for fname, f in m.fields.items():
            if fname in vals or f.delegate is not None:
                continue
            value = self.default_value(model, fname, vals)
            if value is not None:
                vals[fname] = value
        # delegation (_inherits): create the parent record first from its fields
        if m.inherits:
            parent, link = m.inherits
            pvals = {k: vals.pop(k) for k in list(vals) if m.fields[k].delegate is not None}
            if not vals.get(link):
                vals[link] = self.with_context(_create_from_child=model).create(parent, pvals)
            elif pvals:
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
        deferred: list[tuple[Field, Any]] = []
        for fname, value in vals.items():
            f = m.fields[fname]
            if fname in ("id", "display_name", "create_date", "write_date", "create_uid", "write_uid"):
                continue
            if f.type == "one2many" and f.compute is None:
                deferred.append((f, value))
            elif f.held:
                rec[fname] = self._convert_write(model, fname, f, value, rid)
            elif f.inverse is not None:
                deferred.append((f, value))
            else:
                self._unheld_write(model, f, value)
        if (
            m.company_rule
            and rec.get("company_id")
            and not self.su
            and rec["company_id"] not in self.companies()
        ):
            self.check_company_access(model, [rid], "create")
        for f, value in deferred:
            if f.type == "one2many" and f.inverse is None:
                self._write_o2m(model, rid, f, value)
            else:
                assert f.inverse is not None
                f.inverse(self, [rid], value)
        self._check_required(model, rid)
        for hook in m.on_create:
            hook(self, rid, given)
        self._run_constraints(model, [rid], set(vals))
        return rid

    def _unheld_write(self, model: str, f: Field, value: Any) -> None:
        """A write to a field the stand-in does not hold: ignored if Odoo ignores it, refused otherwise."""
        if f.compute is not None or f.readonly:
            return  # Odoo ignores writes to computed fields without inverse
        if f.type == "one2many":
            return
        raise NotImplementedError(
            f"The sandbox does not play {model}.{f.name} (a non-stored field Odoo writes through an inverse "
            "the sandbox does not have)"
        )

    def _check_required(self, model: str, rid: int) -> None:
        m = self.model(model)
        rec = self.db.tables[model][rid]
        for fname, f in m.fields.items():
            if not f.required or not f.held:
                continue
            v = rec.get(fname)
            if f.type in NUMERIC or f.type == "boolean":
                if v is None:
                    rec[fname] = empty_value(f.type)
                continue
            if v is None or v is False or v == "" or (f.type == "many2many" and not v):
                raise self.required_error(model, f)

    def required_error(self, model: str, f: Field) -> ValidationError:
        m = self.model(model)
        if self.version >= 19:
            return ValidationError(
                f"The operation cannot be completed: Missing required value for the field "
                f"'{f.string}' ({f.name}).\nModel: '{m.description}' ({model})\n"
                "- create/update: a mandatory field is not set\n"
                "- delete: another model requires the record being deleted, you can archive it instead\n"
            )
        return ValidationError(
            "The operation cannot be completed:\n"
            "- Create/update: a mandatory field is not set.\n"
            "- Delete: another model requires the record being deleted. If possible, archive it instead.\n\n"
            f"Model: {m.description} ({model})\nField: {f.string} ({f.name})\n"
        )

    def _run_constraints(self, model: str, ids: list[int], written: set[str]) -> None:
        m = self.model(model)
        if m.parent_name and m.parent_name in written and m.recursion_message:
            self.check_recursion(model, ids)
        for fields, check in m.constraints:
            if fields & written:
                check(self, ids)

    def check_recursion(self, model: str, ids: list[int]) -> None:
        m = self.model(model)
        assert m.parent_name
        table = self.db.tables[model]
        for rid in ids:
            seen = {rid}
            cur = table.get(rid, {}).get(m.parent_name)
            while cur:
                if cur in seen:
                    raise ValidationError(str(m.recursion_message))
                seen.add(cur)
                cur = table.get(cur, {}).get(m.parent_name)

    def _new_id(self, model: str) -> int:
        next_ids = self.db.meta.setdefault("next_id", {})
        # Every id is handed out here and the last one is kept, so the table's ids are only read (a scan)
        # when this database has not handed out one of this model yet.
        current = next_ids[model] if model in next_ids else max(self.db.tables[model], default=0)
        next_ids[model] = current + 1
        return int(current + 1)

    def write(self, model: str, ids: list[int], vals: dict[str, Any]) -> bool:
        m = self.model(model)
        if not isinstance(vals, dict):
            raise TypeError("write() values must be a dict")
        self.check_fields(model, vals)
        missing = [rid for rid in ids if not self.exists(model, rid)]
        if missing:
            raise missing_error(model, missing, self.uid)
        self.check_company_access(model, ids, "write")
        delegated = {k: v for k, v in vals.items() if m.fields[k].delegate is not None}
        own = {k: v for k, v in vals.items() if k not in delegated}
        if delegated and m.inherits:
            parent, link = m.inherits
            pids = sorted(
                {self.db.tables[model][rid][link] for rid in ids if self.db.tables[model][rid].get(link)}
            )
            self.write(parent, pids, delegated)
        inverses: list[tuple[Field, Any]] = []
        for rid in ids:
            self._touch(model, rid)
            rec = self.db.tables[model][rid]
            for fname, value in own.items():
                if fname in ("id", "display_name", "create_date", "write_date", "create_uid", "write_uid"):
                    continue
                f = m.fields[fname]
                if f.type == "one2many" and f.compute is None and f.inverse is None:
                    self._write_o2m(model, rid, f, value)
                elif f.held:
                    new = self._convert_write(model, fname, f, value, rid)
                    empty = new is False or new is None or new == "" or (f.type == "many2many" and not new)
                    if f.required and f.type not in NUMERIC and f.type != "boolean" and empty:
                        raise self.required_error(model, f)
                    rec[fname] = new
                elif f.inverse is not None:
                    if rid == ids[0]:
                        inverses.append((f, value))
                else:
                    self._unheld_write(model, f, value)
            rec["write_date"] = self.db.stamp()
            rec["write_uid"] = self.uid
        for f, value in inverses:
            assert f.inverse is not None
            f.inverse(self, list(ids), value)
        for hook in m.on_write:
            hook(self, ids, vals)
        self._run_constraints(model, ids, set(vals))
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
            raise missing_error(model, missing, self.uid)
        self.check_company_access(model, ids, "unlink")
        for hook in m.before_unlink:
            hook(self, ids)
        doomed = set(ids)
        removed: list[dict[str, Any]] = []
        for rid in ids:
            if not self.exists(model, rid):
                continue  # went with a cascade already
            self._unlink_references(model, rid, doomed)
            self._touch(model, rid)
            removed.append({**self.db.tables[model].pop(rid), "id": rid})
        # Odoo's BaseModel.unlink also deletes the records' external ids (README: seen on 19)
        if model != "ir.model.data":
            table = self.db.tables["ir.model.data"]
            for xid, x in list(table.items()):
                if x.get("model") == model and x.get("res_id") in doomed:
                    self._touch("ir.model.data", xid)
                    table.pop(xid, None)
        for after in m.after_unlink:
            after(self, removed)
        return True

    def _unlink_references(self, model: str, rid: int, doomed: AbstractSet[int]) -> None:
        """What the database's foreign keys do: cascade the owned lines, null the rest, refuse if required."""
        for other_name, other in self.db.registry.items():
            for f in other.fields.values():
                if not f.held or f.relation != model:
                    continue
                if f.type == "many2one":
                    refs = [
                        oid
                        for oid, orec in self.db.tables[other_name].items()
                        if orec.get(f.name) == rid and not (other_name == model and oid in doomed)
                    ]
                    if not refs:
                        continue
                    if f.ondelete == "cascade":
                        self.unlink(other_name, refs)
                    elif f.required:
                        raise ValidationError(self._fk_message(other_name, f.name))
                    else:
                        for oid in refs:
                            self.set(other_name, oid, **{f.name: False})
                elif f.type == "many2many":
                    for oid, orec in self.db.tables[other_name].items():
                        if rid in (orec.get(f.name) or []):
                            self._touch(other_name, oid)
                            orec[f.name] = [x for x in orec[f.name] if x != rid]

    def _fk_message(self, model: str, fname: str) -> str:
        m = self.model(model)
        table = model.replace(".", "_")
        if self.version >= 19:
            return (
                "The operation cannot be completed: another model requires the record being deleted. "
                f"If possible, archive it instead.\n\nModel: '{m.description}' ({model})\n"
                f"Constraint: {table}_{fname}_fkey"
            )
        return (
            "The operation cannot be completed: another model requires the record being deleted. "
            f"If possible, archive it instead.\n\nModel: {m.description} ({model}), "
            f"Constraint: {table}_{fname}_fkey"
        )

    # -- value conversion -----------------------------------------------------------------------

    def _check_relation_played(self, model: str, f: Field, value: Any) -> None:
        if f.relation and f.relation not in self.db.registry and value not in (False, None, [], 0):
            raise NotImplementedError(
                f"The sandbox does not play {f.relation}, so it cannot set {model}.{f.name}"
            )

    def _convert_write(self, model: str, fname: str, f: Field, value: Any, rid: int) -> Any:
        t = f.type
        self._check_relation_played(model, f, value)
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
                raise MissingError(
                    "Record does not exist or has been deleted.\n"
                    f"(Record: {f.relation}({value},), User: {self.uid})"
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
            if value not in f.selection_keys:
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
            if isinstance(value, (list, dict)):
                raise TypeError(
                    f"float() argument must be a string or a real number, not '{type(value).__name__}'"
                )
            return float(value)
        if t in ("integer", "many2one_reference"):
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
            if not value:
                return False
            text = str(value)[:10]
            if not _DATE.match(text):
                raise ValueError(f"time data {value!r} does not match format '%Y-%m-%d'")
            return text
        if t == "datetime":
            if not value:
                return False
            text = str(value).replace("T", " ")
            if _DATE.match(text):
                text += " 00:00:00"
            if not _DATETIME.match(text):
                raise ValueError(f"time data {value!r} does not match format '%Y-%m-%d %H:%M:%S'")
            return text[:19] if self.version >= 19 else text
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
                    raise missing_error(comodel, [cmd[1]], self.uid)
                if cmd[1] not in ids:
                    ids.append(cmd[1])
            elif op == 5:
                ids = []
            elif op == 6:
                new = list(cmd[2] or [])
                missing = [i for i in new if not self.exists(comodel, i)]
                if missing:
                    raise missing_error(comodel, missing, self.uid)
                ids = list(dict.fromkeys(new))
            else:
                raise ValueError(f"Unknown x2many command {op!r}")
        return ids

    def _write_o2m(self, model: str, rid: int, f: Field, value: Any) -> None:
        assert f.relation and f.relation_field
        comodel, inverse = f.relation, f.relation_field
        if value in (False, None):
            return
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"Wrong value for {model}.{f.name}: {value!r}")
        if value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            value = [(6, 0, list(value))]
        inv_field = self.field(comodel, inverse)
        inv_required = bool(inv_field and inv_field.required)
        for cmd in value:
            if not isinstance(cmd, (list, tuple)) or not cmd:
                raise ValueError(f"Wrong x2many command: {cmd!r}")
            op = cmd[0]
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
                current = self.search(comodel, [(inverse, "=", rid)], active_test=False, check=False)
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
    "any",
    "not any",
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
                raise ValueError(f"Invalid leaf {tuple(tok)!r}")
            return ("leaf", (fname, op, value))
        if tok in (True, "TRUE_LEAF"):
            return ("true",)
        if tok in (False, "FALSE_LEAF"):
            return ("false",)
        raise ValueError(f"Invalid leaf {tok!r}")

    nodes = []
    while pos < len(items):
        nodes.append(parse())
    tree = nodes[0]
    for node in nodes[1:]:
        tree = ("&", tree, node)
    return tree


def _invalid_field(env: Env, model: str, fname: str, leaf: tuple[Any, ...]) -> ValueError:
    if env.version >= 19:
        return ValueError(f"Invalid field {model}.{fname} in condition {leaf!r}")
    return ValueError(f"Invalid field {model}.{fname} in leaf {leaf!r}")


def validate_tree(env: Env, model: str, node: Any) -> None:
    """Odoo checks every condition of a domain before it runs the query, whatever the data."""
    kind = node[0]
    if kind in ("&", "|"):
        validate_tree(env, model, node[1])
        validate_tree(env, model, node[2])
    elif kind == "!":
        validate_tree(env, model, node[1])
    elif kind == "leaf":
        path, op, value = node[1]
        if isinstance(path, int):
            return
        if not isinstance(path, str):
            raise ValueError(f"Invalid leaf {tuple(node[1])!r}")
        current = model
        parts = path.split(".")
        for i, part in enumerate(parts):
            f = env.field(current, part)
            if f is None and part != "id":
                raise _invalid_field(env, current, part, tuple(node[1]))
            if i < len(parts) - 1:
                if f is None or f.type not in ("many2one", "one2many", "many2many") or not f.relation:
                    raise _invalid_field(env, current, path, tuple(node[1]))
                if f.relation not in env.db.registry:
                    raise NotImplementedError(f"The sandbox does not play {f.relation} (in {path!r})")
                current = f.relation
        if op in ("any", "not any"):
            f = env.field(current, parts[-1])
            if f is None or not f.relation:
                raise ValueError(f"Operator {op!r} needs a relational field: {tuple(node[1])!r}")
            validate_tree(env, f.relation, parse_domain(value))


def domain_mentions(domain: list[Any], fname: str) -> bool:
    return any(
        isinstance(t, (list, tuple)) and len(t) == 3 and str(t[0]).split(".")[0] == fname for t in domain
    )


def eval_tree(env: Env, model: str, rid: int, node: Any) -> bool:
    kind = node[0]
    if kind == "true":
        return True
    if kind == "false":
        return False
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
        return bool(a == b)
    if op in ("!=", "<>"):
        if b is False or b is None:
            return a not in (False, None, "", [])
        return bool(a != b)
    # By identity: 0 == False in Python, and ("id", ">", 0) must hold for every record, as in Odoo's SQL.
    if a is None or a is False or b is None or b is False:
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


def eval_leaf(env: Env, model: str, rid: int, leaf: tuple[Any, str, Any]) -> bool:
    path, op, value = leaf
    if isinstance(path, int):
        return _compare(path, op, value)
    if not isinstance(path, str):
        raise ValueError(f"Invalid leaf {tuple(leaf)!r}")
    head, _, rest = path.partition(".")
    f = env.field(model, head)
    if f is None and head != "id":
        raise _invalid_field(env, model, head, tuple(leaf))
    raw = rid if head == "id" else env.raw(model, rid, head)
    ftype = "integer" if f is None else f.type
    if op == "=?" and (value is False or value is None):
        return True
    if op in ("any", "not any"):
        assert f is not None and f.relation
        related = [raw] if ftype == "many2one" and raw else (list(raw or []) if ftype != "many2one" else [])
        sub = parse_domain(value)
        hit = any(eval_tree(env, f.relation, r, sub) for r in related if env.exists(f.relation, r))
        return hit if op == "any" else not hit
    if rest:
        if f is None or ftype not in ("many2one", "one2many", "many2many"):
            raise _invalid_field(env, model, path, tuple(leaf))
        assert f.relation
        related = [raw] if ftype == "many2one" and raw else (list(raw or []) if ftype != "many2one" else [])
        negative = op in ("!=", "<>", "not in", "not like", "not ilike")
        if negative:
            # Odoo: a negative operator on a path means "not any (positive)"
            pos = {"!=": "=", "<>": "=", "not in": "in", "not like": "like", "not ilike": "ilike"}[op]
            return not any(eval_leaf(env, f.relation, r, (rest, pos, value)) for r in related)
        return any(eval_leaf(env, f.relation, r, (rest, op, value)) for r in related)

    if op in ("child_of", "parent_of"):
        comodel = (
            model if ftype not in ("many2one", "one2many", "many2many") else (f.relation if f else model)
        )
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
        if head == "id" or ftype not in ("many2one", "one2many", "many2many"):
            return rid in family
        values = [raw] if ftype == "many2one" else list(raw or [])
        return any(v in family for v in values if v)

    if ftype in ("one2many", "many2many"):
        values = list(raw or [])
        if op in ("in", "not in"):
            wanted = set(value if isinstance(value, (list, tuple)) else [value])
            hit = any(v in wanted for v in values)
            return hit if op == "in" else not hit
        if value is False or value is None:
            empty = not values
            return empty if op == "=" else not empty
        if isinstance(value, str):
            assert f is not None and f.relation
            names = [env.display_name(f.relation, v) for v in values]
            pos_op = {"!=": "=", "not like": "like", "not ilike": "ilike"}.get(op, op)
            hit = any(_match_scalar(n, pos_op, value) for n in names)
            return hit if pos_op == op else not hit
        if op in ("=", "!=", "<>"):
            hit = value in values
            return hit if op == "=" else not hit
        return any(_compare(v, op, value) for v in values)

    if ftype == "many2one" and isinstance(value, str) and op not in ("in", "not in"):
        assert f is not None and f.relation
        name = env.display_name(f.relation, raw) if raw else ""
        if op in ("=", "!=", "<>"):
            return _compare(name, op, value)
        return _match_scalar(name, op, value)

    if ftype == "datetime" and isinstance(value, str):
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
