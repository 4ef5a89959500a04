"""Small helpers the behaviour modules share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..orm import Env, Field, Method, Model, UserError, missing_error
from .methods import as_ids

Registry = dict[str, Model]


def today(env: Env, vals: dict[str, Any] | None = None) -> str:
    return dt.date.today().isoformat()


def now(env: Env, vals: dict[str, Any] | None = None) -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def env_company(env: Env, vals: dict[str, Any] | None = None) -> int:
    return env.company()


def first(model: str, domain: list[Any] | None = None) -> Callable[[Env, dict[str, Any]], Any]:
    def default(env: Env, vals: dict[str, Any]) -> Any:
        ids = env.search(model, domain or [], limit=1, check=False)
        return ids[0] if ids else False

    return default


def company_currency(env: Env, company_id: Any) -> int | bool:
    if not company_id or not env.exists("res.company", company_id):
        return False
    return env.rec("res.company", company_id).get("currency_id") or False


def currency_rounding(env: Env, currency_id: Any) -> float:
    if currency_id and env.exists("res.currency", currency_id):
        return float(env.rec("res.currency", currency_id).get("rounding") or 0.01)
    return 0.01


def round_to(value: float, rounding: float = 0.01) -> float:
    """Odoo's ``float_round`` with HALF-UP on the decimal representation (as ``currency.round``)."""
    if not rounding:
        return value
    step = Decimal(str(rounding))
    # Odoo rounds the value after normalising float noise (float_round uses the epsilon magic); going
    # through repr() and Decimal gives the same half-up result on the amounts a shop produces.
    quantum = Decimal(repr(value)).quantize(Decimal("1e-12"), rounding=ROUND_HALF_UP)
    return float((quantum / step).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * step)


def is_zero(value: float, rounding: float = 0.01) -> bool:
    return round_to(value, rounding) == 0


def set_default(reg: Registry, model: str, fname: str, value: Any) -> None:
    reg[model].f(fname).default = value


def set_defaults(reg: Registry, model: str, defaults: dict[str, Any]) -> None:
    for fname, value in defaults.items():
        if fname in reg[model].fields:
            set_default(reg, model, fname, value)


def compute(reg: Registry, model: str, fname: str, fn: Callable[[Env, dict[str, Any]], Any]) -> Field:
    f = reg[model].f(fname)
    f.compute = fn
    f.delegate = None
    return f


def related(reg: Registry, model: str, fname: str, link: str, target: str | None = None) -> None:
    """A field read from (and written to) the record behind the many2one ``link`` (Odoo ``related=``)."""
    m = reg[model]
    comodel = m.f(link).relation
    assert comodel
    target = target or fname

    def read(env: Env, rec: dict[str, Any]) -> Any:
        other = rec.get(link)
        return env.raw(comodel, other, target) if other else env.raw(comodel, None, target)

    def write(env: Env, ids: list[int], value: Any) -> None:
        others = sorted({env.rec(model, rid).get(link) for rid in ids if env.rec(model, rid).get(link)})
        if others:
            env.write(comodel, others, {target: value})

    f = compute(reg, model, fname, read)
    if not f.readonly:
        f.inverse = write


def method(reg: Registry, model: str, name: str, func: Callable[..., Any], **kw: Any) -> None:
    if model in reg:
        reg[model].methods[name] = Method(func, **kw)


def on_create(reg: Registry, model: str, hook: Callable[[Env, int, dict[str, Any]], None]) -> None:
    reg[model].on_create.append(hook)


def on_write(reg: Registry, model: str, hook: Callable[[Env, list[int], dict[str, Any]], None]) -> None:
    reg[model].on_write.append(hook)


def before_unlink(reg: Registry, model: str, hook: Callable[[Env, list[int]], None]) -> None:
    reg[model].before_unlink.append(hook)


def records(env: Env, model: str, ids: Any) -> list[int]:
    """The ids a method was called on, all existing (MissingError otherwise), visible to the company."""
    ids = as_ids(ids)
    missing = [i for i in ids if not env.exists(model, i)]
    if missing:
        raise missing_error(model, missing, env.uid)
    env.check_company_access(model, ids, "write")
    return ids


def active_ids(env: Env, model: str) -> list[int]:
    """``active_ids`` (or ``active_id``) of the wizard context, for ``active_model`` == model."""
    if env.context.get("active_model") != model:
        return []
    ids = env.context.get("active_ids")
    if not ids and env.context.get("active_id"):
        ids = [env.context["active_id"]]
    return as_ids(ids or [])


def act_window(name: str, res_model: str, res_id: int | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": "ir.actions.act_window", "res_model": res_model}
    if res_id is not None:
        out["res_id"] = res_id
    out.update(extra)
    return out


def xmlid_res_id(env: Env, complete: str) -> int | None:
    module, _, name = complete.partition(".")
    for rec in env.db.tables["ir.model.data"].values():
        if rec.get("module") == module and rec.get("name") == name:
            return int(rec["res_id"])
    return None


__all__ = [
    "Registry",
    "UserError",
    "act_window",
    "active_ids",
    "as_ids",
    "company_currency",
    "compute",
    "currency_rounding",
    "env_company",
    "first",
    "is_zero",
    "method",
    "now",
    "on_create",
    "on_write",
    "records",
    "related",
    "round_to",
    "set_default",
    "set_defaults",
    "today",
]


def check_company(model: str, fnames: tuple[str, ...]) -> Callable[[Env, list[int]], None]:
    """Odoo's ``_check_company`` for the fields a model declares ``check_company=True`` (the model has
    ``_check_company_auto``): a record of a company may point at a record of no company (shared), of the same
    company or of a parent company; anything else is refused with Odoo 17+'s UserError, at most five lines."""

    def parents(env: Env, company: int) -> set[int]:
        seen = {company}
        current = env.raw("res.company", company, "parent_id")
        while current and current not in seen:
            seen.add(current)
            current = env.raw("res.company", current, "parent_id")
        return seen

    def check(env: Env, ids: list[int]) -> None:
        m = env.model(model)
        lines = []
        for rid in ids:
            company = env.raw(model, rid, "company_id")
            if not company:
                continue
            allowed = parents(env, company)
            for fname in fnames:
                f = m.fields[fname]
                value = env.raw(model, rid, fname)
                targets = as_ids(value) if value else []
                wrong = [
                    t
                    for t in targets
                    if env.exists(str(f.relation), t)
                    and env.raw(str(f.relation), t, "company_id")
                    and env.raw(str(f.relation), t, "company_id") not in allowed
                ]
                if wrong:
                    names = ", ".join(repr(env.display_name(str(f.relation), t)) for t in wrong)
                    lines.append(
                        f"- “{env.display_name(model, rid)}” belongs to company "
                        f"“{env.display_name('res.company', company)}” while “{f.string}” ({fname}: {names}) "
                        "belongs to another company."
                    )
        if lines:
            raise UserError(
                "\n".join(
                    [
                        "Uh-oh! You\u2019ve got some company inconsistencies here:",
                        *lines[:5],
                        "To avoid a mess, no company crossover is allowed!",
                    ]
                )
            )

    return check
