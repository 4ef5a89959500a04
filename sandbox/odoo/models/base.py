"""base, contacts and mail: partners, companies, users, currencies, countries, external ids, chatter."""

from __future__ import annotations

import html
import re
from typing import Any

from ..orm import Env, Method, ValidationError
from .common import Registry, compute, env_company, on_create, related, set_defaults


def _partner_display(env: Env, rec: dict[str, Any]) -> str:
    name = rec.get("name") or ""
    parent = rec.get("parent_id")
    if parent and env.exists("res.partner", parent):
        pname = (
            _partner_display(env, {**env.rec("res.partner", parent), "id": parent})
            if parent != rec.get("id")
            else ""
        )
        if not name:
            name = {
                "invoice": "Invoice Address",
                "delivery": "Delivery Address",
                "other": "Other Address",
            }.get(rec.get("type") or "", "")
        return f"{pname}, {name}" if name else pname
    return name


def _commercial_partner(env: Env, rec: dict[str, Any]) -> int:
    current = rec
    rid = rec["id"]
    seen = set()
    while not current.get("is_company") and current.get("parent_id") and rid not in seen:
        seen.add(rid)
        rid = current["parent_id"]
        if not env.exists("res.partner", rid):
            break
        current = env.rec("res.partner", rid)
    return int(rid)


def _company_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    """A company gets its own partner when none is given, as in Odoo."""
    env.set("res.partner", env.rec("res.company", rid)["partner_id"], company_id=rid)
    # the creating user gets access to the new company (Odoo adds it to the creator's allowed companies)
    user = env.db.tables["res.users"].get(env.uid)
    if user is not None and rid not in (user.get("company_ids") or []):
        env.set("res.users", env.uid, company_ids=[*(user.get("company_ids") or []), rid])


def _imd_unique(env: Env, ids: list[int]) -> None:
    table = env.db.tables["ir.model.data"]
    for rid in ids:
        rec = table[rid]
        key = (rec.get("module"), rec.get("name"))
        for oid, other in table.items():
            if oid != rid and (other.get("module"), other.get("name")) == key:
                raise ValidationError(
                    "The operation cannot be completed: duplicate key value violates unique constraint "
                    f'"ir_model_data_module_name_uniq_index"\nDETAIL:  '
                    f"Key (module, name)=({key[0]}, {key[1]}) "
                    "already exists."
                )


def _strip_html(text: Any) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", str(text or ""))).strip()


def users_context_get(env: Env, ids: Any) -> dict[str, Any]:
    user = env.db.tables["res.users"].get(env.uid) or {}
    partner = env.db.tables["res.partner"].get(user.get("partner_id")) or {}
    return {
        "lang": partner.get("lang") or "en_US",
        "tz": partner.get("tz") or "Europe/Brussels",
        "uid": env.uid,
    }


def setup(reg: Registry, version: int) -> None:
    # -- res.partner ----------------------------------------------------------------------------
    partner = reg["res.partner"]
    partner.display_name = _partner_display
    partner.recursion_message = "You cannot create recursive Partner hierarchies."
    set_defaults(
        reg,
        "res.partner",
        {
            "active": True,
            "type": "contact",
            "lang": lambda env, vals: env.context.get("lang") or "en_US",
            "tz": lambda env, vals: env.context.get("tz") or False,
            "autopost_bills": "ask",
            "is_company": False,
            "color": 0,
            "customer_rank": 0,
            "supplier_rank": 0,
        },
    )
    compute(reg, "res.partner", "complete_name", _partner_display)
    compute(reg, "res.partner", "commercial_partner_id", _commercial_partner)
    compute(
        reg, "res.partner", "email_normalized", lambda env, r: (r.get("email") or "").strip().lower() or False
    )
    company_type = compute(
        reg, "res.partner", "company_type", lambda env, r: "company" if r.get("is_company") else "person"
    )
    company_type.inverse = lambda env, ids, value: env.write(
        "res.partner", ids, {"is_company": value == "company"}
    )
    compute(
        reg,
        "res.partner",
        "sale_order_count",
        lambda env, r: len(env.search("sale.order", [("partner_id", "child_of", r["id"])], check=False)),
    )

    # -- res.company ----------------------------------------------------------------------------
    set_defaults(
        reg,
        "res.company",
        {
            "active": True,
            "sequence": 10,
            "currency_id": lambda env, vals: (
                env.rec("res.company", env.company()).get("currency_id")
                if env.exists("res.company", env.company())
                else False
            ),
            "account_price_include": "tax_excluded",
            "tax_calculation_rounding_method": "round_per_line",
            "cost_method": "standard",
            "fiscalyear_last_day": 31,
            "fiscalyear_last_month": "12",
            "horizon_days": 365,
            "inventory_period": "manual",
            "layout_background": "Blank",
            "security_lead": 0.0,
        },
    )
    for fname in (
        "street",
        "street2",
        "zip",
        "city",
        "state_id",
        "country_id",
        "vat",
        "website",
        "company_registry",
    ):
        if fname in reg["res.company"].fields and fname in partner.fields:
            related(reg, "res.company", fname, "partner_id")
    reg["res.company"].recursion_message = "You cannot create recursive companies."
    # partner_id is required, but Odoo makes the partner on create when it is not given
    reg["res.company"].f("partner_id").default = lambda env, vals: env.sudo().create(
        "res.partner", {"name": vals.get("name") or "", "is_company": True}
    )
    on_create(reg, "res.company", _company_create)

    # -- res.users ------------------------------------------------------------------------------
    set_defaults(
        reg,
        "res.users",
        {
            "active": True,
            "share": False,
            "notification_type": "email",
            "company_id": env_company,
            "company_ids": lambda env, vals: [vals.get("company_id") or env.company()],
        },
    )
    reg["res.users"].display_name = lambda env, r: (
        env.raw("res.partner", r.get("partner_id"), "name") or r.get("login", "")
    )

    def set_password(env: Env, ids: list[int], value: Any) -> None:
        creds = env.db.meta.setdefault("credentials", {})
        for uid in ids:
            entry = creds.setdefault(str(uid), {"password": "", "api_keys": [], "can_write": False})
            entry["password"] = str(value or "")

    for fname in ("password", "new_password"):
        if fname in reg["res.users"].fields:
            compute(reg, "res.users", fname, lambda env, r: "").inverse = set_password

    def pricelist(env: Env, r: dict[str, Any]) -> Any:
        chosen = r.get("property_product_pricelist")
        if chosen and env.exists("product.pricelist", chosen):
            return chosen
        found = env.search("product.pricelist", [], limit=1, check=False)
        return found[0] if found else False

    def set_pricelist(env: Env, ids: list[int], value: Any) -> None:
        for rid in ids:
            env.set("res.partner", rid, property_product_pricelist=value or False)

    if "property_product_pricelist" in reg["res.partner"].fields:
        compute(reg, "res.partner", "property_product_pricelist", pricelist).inverse = set_pricelist
    reg["res.users"].methods["context_get"] = Method(users_context_get, api_model=True, writes=False)

    # -- currencies, countries, languages, groups ----------------------------------------------
    set_defaults(reg, "res.currency", {"active": True, "rounding": 0.01, "position": "after"})
    compute(
        reg,
        "res.currency",
        "decimal_places",
        lambda env, r: max(0, -int(f"{float(r.get('rounding') or 0.01):e}".split("e")[1])),
    )
    reg["res.country.state"].display_name = lambda env, r: (
        f"{r.get('name')} ({env.raw('res.country', r.get('country_id'), 'code')})"
    )
    set_defaults(reg, "res.lang", {"active": False, "direction": "ltr", "date_format": "%m/%d/%Y"})
    compute(reg, "res.groups", "full_name", lambda env, r: r.get("name") or "")

    # -- ir.model.data --------------------------------------------------------------------------
    imd = reg["ir.model.data"]
    set_defaults(reg, "ir.model.data", {"noupdate": False})
    compute(reg, "ir.model.data", "complete_name", lambda env, r: f"{r.get('module')}.{r.get('name')}")
    imd.display_name = lambda env, r: f"{r.get('module')}.{r.get('name')}"
    imd.constrain({"module", "name"}, _imd_unique)

    # -- mail.message ---------------------------------------------------------------------------
    set_defaults(reg, "mail.message", {"message_type": "comment", "is_internal": False})

    def record_name(env: Env, r: dict[str, Any]) -> Any:
        model, res_id = r.get("model"), r.get("res_id")
        if model in env.db.registry and res_id and env.exists(model, res_id):
            return env.display_name(model, res_id)
        return False

    compute(reg, "mail.message", "record_name", record_name)
    compute(reg, "mail.message", "preview", lambda env, r: _strip_html(r.get("body"))[:190])

    # -- res.partner.category -------------------------------------------------------------------
    set_defaults(reg, "res.partner.category", {"active": True, "color": 0})
