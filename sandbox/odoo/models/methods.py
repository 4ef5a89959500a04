"""The ORM methods every model answers remotely, with Odoo's parameter names (JSON-2 passes them by name).

``search``, ``search_count``, ``search_read``, ``read``, ``create``, ``write``, ``unlink``, ``fields_get``,
``name_search``, ``name_create``, ``default_get``, ``exists``, ``copy``, ``read_group``, ``web_read``,
``web_save``, and ``message_post`` on the models that inherit ``mail.thread`` (those with ``message_ids``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from typing import Any

from ..orm import AccessError, Env, Field, Method, Model, ValidationError, empty_value, missing_error


def as_ids(ids: Any) -> list[int]:
    if ids is None or ids is False:
        return []
    if isinstance(ids, int) and not isinstance(ids, bool):
        return [ids]
    if isinstance(ids, (list, tuple)):
        out = []
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, int):
                raise ValueError(f"Invalid id {i!r}")
            out.append(i)
        return out
    raise ValueError(f"Invalid ids {ids!r}")


def thread_messages(model: str) -> Callable[[Env, dict[str, Any]], Any]:
    def compute(env: Env, rec: dict[str, Any]) -> list[int]:
        return env.search(
            "mail.message", [("model", "=", model), ("res_id", "=", rec["id"])], order="id desc", check=False
        )

    return compute


def drop_thread_messages(model: str) -> Callable[[Env, list[dict[str, Any]]], None]:
    """``mail.thread.unlink`` deletes the chatter of the deleted records."""

    def after(env: Env, removed: list[dict[str, Any]]) -> None:
        gone = {r["id"] for r in removed}
        table = env.db.tables["mail.message"]
        doomed = [
            mid for mid, msg in table.items() if msg.get("model") == model and msg.get("res_id") in gone
        ]
        if doomed:
            env.sudo().unlink("mail.message", doomed)

    return after


# Fields Odoo does not copy (copy=False), for the models where copy() matters to a client.
NOT_COPIED: dict[str, set[str]] = {
    "sale.order": {"name", "client_order_ref", "state", "date_order", "locked", "origin", "picking_ids"},
    "sale.order.line": {"qty_delivered", "qty_invoiced", "invoice_lines", "move_ids"},
    "account.move": {
        "name",
        "state",
        "payment_state",
        "ref",
        "invoice_date",
        "posted_before",
        "reversed_entry_id",
    },
    "account.payment": {"name", "state", "move_id", "is_matched", "is_reconciled"},
    "stock.picking": {"name", "state", "date_done", "backorder_id", "move_line_ids"},
    "product.product": {"default_code", "barcode"},
    "product.template": {"default_code", "barcode"},
    "res.partner": {"ref", "user_ids", "child_ids"},
    "res.users": {"login", "partner_id"},
    "ir.model.data": set(),
}
COPIED_LINES = {"sale.order": ["order_line"], "account.move": ["invoice_line_ids"]}


def _copy_record(env: Env, model: str, rid: int, default: dict[str, Any]) -> int:
    m = env.model(model)
    skip = NOT_COPIED.get(model, set()) | {
        "id",
        "display_name",
        "create_date",
        "write_date",
        "create_uid",
        "write_uid",
    }
    rec = env.rec(model, rid)
    vals: dict[str, Any] = {}
    for fname, f in m.fields.items():
        if fname in skip or fname in default or not f.held:
            continue
        if m.inherits and fname == m.inherits[1]:
            continue
        value = rec.get(fname)
        if value is None:
            continue
        if f.type == "many2many":
            vals[fname] = [(6, 0, list(value))]
        else:
            vals[fname] = value
    if m.inherits:
        parent, link = m.inherits
        vals[link] = _copy_record(env, parent, rec[link], {})
    if model == "res.partner" and "name" not in default and rec.get("name"):
        vals["name"] = f"{rec['name']} (copy)"
    if model == "product.template" and "name" not in default and rec.get("name"):
        vals["name"] = f"{rec['name']} (copy)"
    vals.update(default)
    new = env.with_context(_copying=True).create(model, vals)
    for line_field in COPIED_LINES.get(model, []):
        f = m.fields[line_field]
        assert f.relation and f.relation_field
        for line in env.raw(model, rid, line_field):
            _copy_record(env, f.relation, line, {f.relation_field: new})
    return new


_GRANULARITY = ("day", "week", "month", "quarter", "year")


def _period(day: dt.date, gran: str) -> tuple[str, str, str, str]:
    """(key, label, first day, first day after) of the period of ``day``."""
    if gran == "day":
        return (
            day.isoformat(),
            day.strftime("%d %b %Y"),
            day.isoformat(),
            (day + dt.timedelta(days=1)).isoformat(),
        )
    if gran == "week":
        start = day - dt.timedelta(days=day.weekday())
        iso = day.isocalendar()
        return (
            f"{iso.year}-{iso.week:02d}",
            f"W{iso.week} {iso.year}",
            start.isoformat(),
            (start + dt.timedelta(days=7)).isoformat(),
        )
    if gran == "month":
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        return (
            day.strftime("%Y-%m"),
            f"{calendar.month_name[day.month]} {day.year}",
            start.isoformat(),
            end.isoformat(),
        )
    if gran == "quarter":
        q = (day.month - 1) // 3 + 1
        start = dt.date(day.year, 3 * q - 2, 1)
        end = dt.date(day.year + (q == 4), (3 * q) % 12 + 1, 1)
        return f"{day.year}-Q{q}", f"Q{q} {day.year}", start.isoformat(), end.isoformat()
    return (
        str(day.year),
        str(day.year),
        dt.date(day.year, 1, 1).isoformat(),
        dt.date(day.year + 1, 1, 1).isoformat(),
    )


def _group_value(env: Env, m: Model, rid: int, spec: str) -> tuple[Any, Any, list[Any]]:
    """(key, value as read_group answers it, domain of the group) of one record for one groupby spec."""
    fname, _, gran = spec.partition(":")
    f = m.fields.get(fname)
    if f is None:
        raise ValueError(f"Invalid field {fname!r} on model {m.name!r}")
    raw = env.raw(m.name, rid, fname)
    if f.type in ("date", "datetime"):
        if not raw:
            return False, False, [(fname, "=", False)]
        gran = gran or "month"
        if gran not in _GRANULARITY:
            raise ValueError(f"Invalid date granularity {gran!r}")
        key, label, start, end = _period(dt.date.fromisoformat(str(raw)[:10]), gran)
        return key, label, ["&", (fname, ">=", start), (fname, "<", end)]
    if f.type == "many2one":
        if not raw:
            return False, False, [(fname, "=", False)]
        assert f.relation
        return raw, [raw, env.display_name(f.relation, raw)], [(fname, "=", raw)]
    if f.type in ("one2many", "many2many"):
        raise ValueError(f"Cannot group on the x2many field {fname!r} in this sandbox")
    return raw, raw, [(fname, "=", raw)]


def read_group(
    env: Env,
    m: Model,
    domain: Any,
    fields: Any,
    groupby: Any,
    offset: int = 0,
    limit: Any = None,
    orderby: Any = False,
    lazy: bool = True,
) -> list[dict[str, Any]]:
    groupby = [groupby] if isinstance(groupby, str) else list(groupby or [])
    if not groupby:
        raise ValueError("read_group needs a groupby in this sandbox")
    ids = env.search(m.name, domain or [])
    specs = groupby[:1] if lazy else groupby
    aggregates: list[tuple[str, str, str]] = []  # (alias, field, function)
    for spec in fields or []:
        if spec == "__count":
            continue
        name, _, func = spec.partition(":")
        if "(" in func:  # "alias:func(field)"
            func, _, rest = func.partition("(")
            fname = rest.rstrip(")")
        else:
            fname = name
        if fname.split(":")[0] in [g.split(":")[0] for g in specs]:
            continue
        f = m.fields.get(fname)
        if f is None:
            raise ValueError(f"Invalid field {fname!r} on model {m.name!r}")
        if not func:
            if f.type not in ("integer", "float", "monetary"):
                continue
            func = "sum"
        aggregates.append((name, fname, func))
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for rid in ids:
        keyvals = [_group_value(env, m, rid, spec) for spec in specs]
        key = tuple(k for k, _v, _d in keyvals)
        group = groups.get(key)
        if group is None:
            group = groups[key] = {
                "__ids": [],
                "__values": [v for _k, v, _d in keyvals],
                "__domains": [d for _k, _v, d in keyvals],
            }
        group["__ids"].append(rid)
    out = []
    for group in groups.values():
        row: dict[str, Any] = {}
        domain_parts: list[Any] = list(domain or [])
        for spec, value, leaves in zip(specs, group["__values"], group["__domains"], strict=True):
            row[spec] = value
            domain_parts.extend(leaves)
        count = len(group["__ids"])
        if lazy:
            row[f"{specs[0].split(':')[0]}_count"] = count
            if len(groupby) > 1:
                row["__context"] = {"group_by": groupby[1:]}
        else:
            row["__count"] = count
        for alias, fname, func in aggregates:
            values = [env.raw(m.name, rid, fname) for rid in group["__ids"]]
            nums = [v for v in values if v not in (False, None)]
            if func == "sum":
                row[alias] = sum(nums) if nums else 0
            elif func == "avg":
                row[alias] = sum(nums) / len(nums) if nums else False
            elif func == "min":
                row[alias] = min(nums) if nums else False
            elif func == "max":
                row[alias] = max(nums) if nums else False
            elif func in ("count", "count_distinct"):
                row[alias] = len(set(nums)) if func == "count_distinct" else len(nums)
            else:
                raise ValueError(f"Invalid aggregation function {func!r}")
        row["__domain"] = domain_parts
        out.append(row)
    if orderby:
        for part in reversed(str(orderby).split(",")):
            bits = part.strip().split()
            if not bits:
                continue
            desc = len(bits) > 1 and bits[1].lower() == "desc"
            out.sort(key=lambda r, k=bits[0]: (r.get(k) is False, str(r.get(k))), reverse=desc)
    if offset:
        out = out[offset:]
    if limit:
        out = out[: int(limit)]
    return out


def web_read(env: Env, model: str, ids: list[int], specification: dict[str, Any]) -> list[dict[str, Any]]:
    """Odoo 17+'s ``web_read``: ``read(load=None)`` then the sub-specifications of relational fields."""
    m = env.model(model)
    names = list(specification) or ["id"]
    if names == ["id"]:
        return [{"id": rid} for rid in ids if env.exists(model, rid)]
    rows = env.read(model, ids, names, load=None)
    for fname, spec in specification.items():
        f = m.fields.get(fname)
        if f is None or not isinstance(spec, dict) or not f.relation:
            continue
        if f.type == "many2one" and "fields" in spec:
            sub = dict(spec["fields"])
            want_name = "display_name" in sub
            for row in rows:
                if row[fname] is False:
                    continue
                values = web_read(
                    env.sudo(),
                    f.relation,
                    [row[fname]],
                    {k: v for k, v in sub.items() if k != "display_name"},
                )
                vals = values[0] if values else {"id": row[fname]}
                if want_name:
                    vals["display_name"] = env.display_name(f.relation, row[fname])
                row[fname] = vals
        elif f.type in ("one2many", "many2many") and spec.get("fields") is not None:
            for row in rows:
                sub_rows = {r["id"]: r for r in web_read(env, f.relation, row[fname], spec["fields"])}
                row[fname] = [sub_rows.get(i) or {"id": i} for i in row[fname]]
    return rows


def message_post(env: Env, model: str, rid: int, **kwargs: Any) -> int:
    """``mail.thread.message_post``: a mail.message on the record's chatter."""
    allowed = {
        "body",
        "subject",
        "message_type",
        "subtype_xmlid",
        "subtype_id",
        "partner_ids",
        "author_id",
        "email_from",
        "parent_id",
        "attachments",
        "attachment_ids",
        "body_is_html",
        "email_layout_xmlid",
        "record_name",
        "model_description",
        "mail_auto_delete",
        "outgoing_email_to",
    }
    unknown = set(kwargs) - allowed
    if unknown:
        raise ValueError(
            f"Those values are not supported when posting or notifying: {', '.join(sorted(unknown))}"
        )
    if kwargs.get("attachments") or kwargs.get("attachment_ids"):
        raise NotImplementedError("The sandbox does not play ir.attachment (message_post attachments)")
    message_type = kwargs.get("message_type") or "notification"
    if message_type == "user_notification":
        raise ValueError("Use message_notify to send a notification to an user.")
    user = env.rec("res.users", env.uid)
    author = kwargs.get("author_id") or user.get("partner_id")
    body = kwargs.get("body") or ""
    if body and not kwargs.get("body_is_html", False) and env.version >= 17:
        body = f"<p>{_escape(str(body))}</p>"
    subtype = kwargs.get("subtype_xmlid") or (
        "mail.mt_note" if message_type == "notification" else "mail.mt_comment"
    )
    vals = {
        "model": model,
        "res_id": rid,
        "body": body,
        "subject": kwargs.get("subject") or False,
        "message_type": message_type,
        "author_id": author,
        "email_from": kwargs.get("email_from") or env.raw("res.partner", author, "email") or False,
        "date": env.db.now().strftime("%Y-%m-%d %H:%M:%S"),
        "partner_ids": [(6, 0, list(kwargs.get("partner_ids") or []))],
        "is_internal": subtype == "mail.mt_note",
        "parent_id": kwargs.get("parent_id") or False,
    }
    return env.sudo().create("mail.message", vals)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")


def fields_get_desc(f: Field) -> dict[str, Any]:
    return dict(f.desc)


def orm_methods(m: Model, version: int) -> dict[str, Method]:
    model = m.name

    def search(
        env: Env, ids: Any, domain: Any = None, offset: int = 0, limit: Any = None, order: Any = None
    ) -> Any:
        return env.search(model, domain or [], offset=offset or 0, limit=limit or None, order=order or None)

    def search_count(env: Env, ids: Any, domain: Any = None, limit: Any = None) -> int:
        n = len(env.search(model, domain or []))
        return min(n, limit) if limit else n

    def search_read(
        env: Env,
        ids: Any,
        domain: Any = None,
        fields: Any = None,
        offset: int = 0,
        limit: Any = None,
        order: Any = None,
        **read_kwargs: Any,
    ) -> Any:
        for key in read_kwargs:
            if key != "load":
                raise TypeError(f"read() got an unexpected keyword argument '{key}'")
        found = env.search(model, domain or [], offset=offset or 0, limit=limit or None, order=order or None)
        return env.read(model, found, fields or None, load=read_kwargs.get("load", "_classic_read"))

    def read(env: Env, ids: Any, fields: Any = None, load: Any = "_classic_read") -> Any:
        return env.read(model, as_ids(ids), fields or None, load=load)

    def create(env: Env, ids: Any, vals_list: Any) -> Any:
        if isinstance(vals_list, dict):
            return env.create(model, vals_list)
        if not isinstance(vals_list, list):
            raise TypeError("create() takes a dict or a list of dicts")
        return [env.create(model, vals) for vals in vals_list]

    def write(env: Env, ids: Any, vals: Any) -> bool:
        return env.write(model, as_ids(ids), vals)

    def unlink(env: Env, ids: Any) -> bool:
        return env.unlink(model, as_ids(ids))

    def fields_get(env: Env, ids: Any, allfields: Any = None, attributes: Any = None) -> dict[str, Any]:
        out = {}
        for name, f in env.all_fields(model).items():
            if allfields and name not in allfields:
                continue
            desc = fields_get_desc(f)
            if attributes:
                desc = {k: v for k, v in desc.items() if k in attributes}
            out[name] = desc
        return out

    def name_search(
        env: Env,
        ids: Any,
        name: str = "",
        domain: Any = None,
        operator: str = "ilike",
        limit: int = 100,
        args: Any = None,
    ) -> Any:
        dom = list(domain or args or [])
        rec_name = env.model(model).rec_name
        if name:
            if rec_name is None:
                raise ValueError(f"Cannot search {model} by name")
            dom = ["&", *dom, (rec_name, operator, name)] if dom else [(rec_name, operator, name)]
        found = env.search(model, dom, limit=limit)
        return [[rid, env.display_name(model, rid)] for rid in found]

    def name_create(env: Env, ids: Any, name: str) -> Any:
        rec_name = env.model(model).rec_name
        if not rec_name:
            raise ValueError(f"Cannot execute name_create, no _rec_name defined on {model}")
        rid = env.create(model, {rec_name: name})
        return [rid, env.display_name(model, rid)]

    def default_get(env: Env, ids: Any, fields_list: Any = None, fields: Any = None) -> dict[str, Any]:
        names = fields_list if fields_list is not None else fields
        out = {}
        for fname in names or []:
            f = m.fields.get(fname)
            if f is None:
                continue
            value = env.default_value(model, fname, {})
            if value is None:
                continue
            if (
                f.type in ("one2many", "many2many")
                and isinstance(value, list)
                and value
                and isinstance(value[0], int)
            ):
                value = [(6, 0, value)]
            out[fname] = value
        return out

    def exists(env: Env, ids: Any) -> list[int]:
        return [i for i in as_ids(ids) if env.exists(model, i)]

    def copy(env: Env, ids: Any, default: Any = None) -> list[int]:
        ids = as_ids(ids)
        if default is not None and not isinstance(default, dict):
            raise TypeError("copy() default must be a dict")
        missing = [i for i in ids if not env.exists(model, i)]
        if missing:
            raise missing_error(model, missing, env.uid)
        env.check_company_access(model, ids, "read")
        return [_copy_record(env, model, rid, dict(default or {})) for rid in ids]

    def read_group_m(
        env: Env,
        ids: Any,
        domain: Any = None,
        fields: Any = None,
        groupby: Any = None,
        offset: int = 0,
        limit: Any = None,
        orderby: Any = False,
        lazy: bool = True,
    ) -> list[dict[str, Any]]:
        return read_group(env, m, domain, fields, groupby, offset, limit, orderby, lazy)

    def web_read_m(env: Env, ids: Any, specification: Any) -> list[dict[str, Any]]:
        return web_read(env, model, as_ids(ids), dict(specification or {}))

    def web_save(
        env: Env, ids: Any, vals: Any, specification: Any, next_id: Any = None
    ) -> list[dict[str, Any]]:
        ids = as_ids(ids)
        if ids:
            env.write(model, ids, dict(vals or {}))
        else:
            ids = [env.create(model, dict(vals or {}))]
        if next_id:
            ids = [int(next_id)]
        return web_read(env, model, ids, dict(specification or {}))

    methods = {
        "search": Method(search, api_model=True, writes=False),
        "search_count": Method(search_count, api_model=True, writes=False),
        "search_read": Method(search_read, api_model=True, writes=False, var_kwargs=True),
        "read": Method(read, writes=False),
        "create": Method(create, api_model=True),
        "write": Method(write),
        "unlink": Method(unlink),
        "fields_get": Method(fields_get, api_model=True, writes=False),
        "name_search": Method(name_search, api_model=True, writes=False),
        "name_create": Method(name_create, api_model=True),
        "default_get": Method(default_get, api_model=True, writes=False),
        "exists": Method(exists, writes=False),
        "copy": Method(copy),
        "read_group": Method(read_group_m, api_model=True, writes=False),
        "web_read": Method(web_read_m, writes=False),
        "web_save": Method(web_save),
    }

    def has_access(env: Env, ids: Any, operation: str) -> bool:
        raise AssertionError("answered by Sandbox._access_rights, which knows the user's rights")

    def check_access_rights(env: Env, ids: Any, operation: str, raise_exception: bool = True) -> bool:
        raise AssertionError("answered by Sandbox._access_rights, which knows the user's rights")

    # check_access_rights: @api.model on every model (deprecated since 18.0, removed after 19.0);
    # has_access: on every recordset from 18.0 (check_access is @api.private).
    methods["check_access_rights"] = Method(check_access_rights, api_model=True, writes=False)
    if version >= 18:
        methods["has_access"] = Method(has_access, writes=False)
    if "message_ids" in m.fields:

        def post(env: Env, ids: Any, **kwargs: Any) -> Any:
            ids = as_ids(ids)
            if len(ids) != 1:
                raise ValueError(f"Expected singleton: {model}({', '.join(map(str, ids))},)")
            if not env.exists(model, ids[0]):
                raise missing_error(model, ids, env.uid)
            env.check_company_access(model, ids, "read")
            mid = message_post(env, model, ids[0], **kwargs)
            return [mid] if version >= 19 else mid  # API-NOTES I: a list on 19, an int on 18

        methods["message_post"] = Method(post, var_kwargs=True)
    return methods


def empty_for(f: Field) -> Any:
    return empty_value(f.type)


def require_one(model: str, ids: list[int]) -> int:
    if len(ids) != 1:
        raise ValueError(f"Expected singleton: {model}({', '.join(map(str, ids))},)")
    return ids[0]


__all__ = ["ValidationError", "as_ids", "orm_methods", "require_one", "thread_messages"]


READ_METHODS = {
    "search",
    "search_read",
    "read",
    "search_count",
    "fields_get",
    "name_search",
    "default_get",
    "exists",
    "context_get",
    "read_group",
    "web_read",
    "has_access",
    "check_access_rights",
}


#: The access operation (``ir.model.access`` column) a remote method needs; any other public method writes.
OPERATIONS = {"create": "create", "name_create": "create", "copy": "create", "unlink": "unlink"}
ACCESS_OPERATIONS = ("read", "write", "create", "unlink")


def operation_of(method: str) -> str:
    return "read" if method in READ_METHODS else OPERATIONS.get(method, "write")


def access_allowed(model: str, operation: str, can_write: bool, denied: dict[str, list[str]]) -> bool:
    """The user's access rights on ``model``: a read-only API user reads only; ``denied`` takes rights away
    per model (as a missing ``ir.model.access`` line would)."""
    if operation not in ACCESS_OPERATIONS:
        raise ValueError(f"Invalid access mode {operation!r}")
    if operation in denied.get(model, []):
        return False
    return can_write or operation == "read"


def access_error(env: Env, model: str, operation: str) -> AccessError:
    m = env.model(model)
    verb = {"create": "create", "write": "modify", "unlink": "delete", "read": "access"}[operation]
    return AccessError(
        f"You are not allowed to {verb} '{m.description}' ({model}) records.\n\n"
        "This operation is allowed for the following groups:\n\t- Sales/User: Own Documents Only\n\n"
        "Contact your administrator to request access if necessary."
    )


def check_access(
    env: Env, model: str, method: str, can_write: bool, denied: dict[str, list[str]] | None = None
) -> None:
    """Refuse a call the user's access rights do not allow (``AccessError``, as Odoo's ORM raises it)."""
    operation = operation_of(method)
    if not access_allowed(model, operation, can_write, denied or {}):
        raise access_error(env, model, operation)
