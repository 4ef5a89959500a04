"""product and uom: templates and their variants (with attributes), categories, units, pricelists."""

from __future__ import annotations

import itertools
from typing import Any

from ..orm import Env, ValidationError
from .common import Registry, compute, first, on_create, on_write, set_defaults


def is_storable(env: Env, product_id: int) -> bool:
    if env.version >= 18:
        return bool(env.raw("product.product", product_id, "is_storable"))
    return env.raw("product.product", product_id, "type") == "product"


def is_service(env: Env, product_id: int) -> bool:
    return env.raw("product.product", product_id, "type") == "service"


# -- stock quantities ------------------------------------------------------------------------------


def internal_locations(env: Env) -> list[int]:
    """Internal locations the quantities count (context ``location`` / ``warehouse_id`` narrows them)."""
    table = env.db.tables["stock.location"]
    companies = set(env.companies())
    ids = [
        lid
        for lid, loc in table.items()
        if loc.get("usage") == "internal" and (not loc.get("company_id") or loc["company_id"] in companies)
    ]
    root = env.context.get("location")
    if not root and env.context.get("warehouse_id"):
        wh = env.db.tables["stock.warehouse"].get(env.context["warehouse_id"])
        root = wh.get("view_location_id") if wh else None
    if isinstance(root, int) and root:
        family = set(env.search("stock.location", [("id", "child_of", root)], active_test=False, check=False))
        ids = [lid for lid in ids if lid in family]
    return ids


def on_hand(env: Env, product_id: int, kind: str = "quantity") -> float:
    locations = set(internal_locations(env))
    total = 0.0
    for q in env.db.tables["stock.quant"].values():
        if q.get("product_id") == product_id and q.get("location_id") in locations:
            if kind == "free":
                total += float(q.get("quantity") or 0) - float(q.get("reserved_quantity") or 0)
            else:
                total += float(q.get("quantity") or 0)
    return total


def pending(env: Env, product_id: int, direction: str) -> float:
    """Quantity of moves not done yet that bring the product in (``incoming``) or take it out."""
    locations = set(internal_locations(env))
    total = 0.0
    for mv in env.db.tables["stock.move"].values():
        if mv.get("product_id") != product_id or mv.get("state") in ("done", "cancel", "draft"):
            continue
        src_in = mv.get("location_id") in locations
        dst_in = mv.get("location_dest_id") in locations
        if direction == "incoming" and dst_in and not src_in:
            total += float(mv.get("product_uom_qty") or 0)
        if direction == "outgoing" and src_in and not dst_in:
            total += float(mv.get("product_uom_qty") or 0)
    return total


# -- variants ----------------------------------------------------------------------------------------


def _variant_values(env: Env, product: dict[str, Any]) -> list[str]:
    names = []
    for ptav in product.get("product_template_attribute_value_ids") or []:
        if env.exists("product.template.attribute.value", ptav):
            names.append(env.raw("product.template.attribute.value", ptav, "name") or "")
    return [n for n in names if n]


def product_display(env: Env, rec: dict[str, Any]) -> str:
    tmpl = rec.get("product_tmpl_id")
    name = str(env.raw("product.template", tmpl, "name") or "") if tmpl else ""
    values = _variant_values(env, rec)
    if values:
        name = f"{name} ({', '.join(values)})"
    code = rec.get("default_code")
    return f"[{code}] {name}" if code else name


def template_variants(env: Env, tmpl_id: int, active_test: bool = False) -> list[int]:
    return [
        pid
        for pid, p in env.db.tables["product.product"].items()
        if p.get("product_tmpl_id") == tmpl_id and (not active_test or p.get("active", True))
    ]


def _create_variants(env: Env, tmpl_id: int) -> None:
    """One variant per combination of the template's attribute values (Odoo ``_create_variant_ids``)."""
    lines = [
        lid
        for lid, line in env.db.tables["product.template.attribute.line"].items()
        if line.get("product_tmpl_id") == tmpl_id and line.get("active", True)
    ]
    value_sets = []
    for lid in sorted(
        lines, key=lambda i: (env.rec("product.template.attribute.line", i).get("sequence") or 0, i)
    ):
        attribute = env.rec("product.template.attribute.line", lid).get("attribute_id")
        if env.raw("product.attribute", attribute, "create_variant") != "always":
            continue
        ptavs = [
            vid
            for vid, v in env.db.tables["product.template.attribute.value"].items()
            if v.get("attribute_line_id") == lid and v.get("ptav_active", True)
        ]
        if ptavs:
            value_sets.append(sorted(ptavs))
    combos = [list(c) for c in itertools.product(*value_sets)] if value_sets else [[]]
    existing = template_variants(env, tmpl_id)
    by_combo = {
        tuple(sorted(env.rec("product.product", pid).get("product_template_attribute_value_ids") or [])): pid
        for pid in existing
    }
    ctx = env.with_context(_create_from_child="product.template")
    for combo in combos:
        key = tuple(sorted(combo))
        if key in by_combo:
            continue
        blank = by_combo.pop((), None)
        if blank is not None:
            env.set("product.product", blank, product_template_attribute_value_ids=list(key))
            env.set("product.product", blank, combination_indices=",".join(map(str, key)))
            continue
        ctx.create(
            "product.product",
            {
                "product_tmpl_id": tmpl_id,
                "product_template_attribute_value_ids": [(6, 0, list(key))],
            },
        )
    wanted = {tuple(sorted(c)) for c in combos}
    for combo_key, pid in by_combo.items():
        if combo_key not in wanted:
            env.set("product.product", pid, active=False)


def _template_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    """A template created on its own gets its variants; a single one takes the code and barcode given."""
    if env.context.get("_create_from_child") == "product.product":
        return
    _create_variants(env, rid)
    variants = template_variants(env, rid)
    if len(variants) == 1:
        extra = {k: vals[k] for k in ("default_code", "barcode") if vals.get(k)}
        if extra:
            env.write("product.product", variants, extra)
    if vals.get("standard_price") and variants:
        env.write("product.product", variants, {"standard_price": float(vals["standard_price"])})


def _single_variant(env: Env, tmpl_id: int) -> int | None:
    variants = template_variants(env, tmpl_id, active_test=True)
    return variants[0] if len(variants) == 1 else None


def _check_barcodes(env: Env, ids: list[int]) -> None:
    """``product.product._check_barcode_uniqueness``: a barcode once per company (README: seen on 19)."""
    table = env.db.tables["product.product"]
    duplicates: dict[str, list[int]] = {}
    for rid in ids:
        barcode = table[rid].get("barcode")
        if not barcode:
            continue
        company = env.raw("product.product", rid, "company_id")
        same = [
            pid
            for pid, p in table.items()
            if p.get("barcode") == barcode
            and (not company or env.raw("product.product", pid, "company_id") in (False, company))
        ]
        if len(same) > 1:
            duplicates[barcode] = same
    if not duplicates:
        return
    lines = []
    for barcode, same in duplicates.items():
        names = [env.display_name("product.product", pid) for pid in same]
        listed = str(names) if env.version >= 19 else ", ".join(names)
        lines.append(f'- Barcode "{barcode}" already assigned to product(s): {listed}')
    text = "\n".join(lines) + "\n\nNote: products that you don't have access to will not be shown above."
    raise ValidationError(f"Barcode(s) already assigned:\n\n{text}")


def _ptal_changed(env: Env, ids: list[int], vals: dict[str, Any] | None = None) -> None:
    templates = set()
    for lid in ids if isinstance(ids, list) else [ids]:
        line = env.rec("product.template.attribute.line", lid)
        templates.add(line["product_tmpl_id"])
        existing = {
            v.get("product_attribute_value_id"): vid
            for vid, v in env.db.tables["product.template.attribute.value"].items()
            if v.get("attribute_line_id") == lid
        }
        for value in line.get("value_ids") or []:
            if value not in existing:
                env.create(
                    "product.template.attribute.value",
                    {"attribute_line_id": lid, "product_attribute_value_id": value, "ptav_active": True},
                )
        for value, vid in existing.items():
            env.set(
                "product.template.attribute.value", vid, ptav_active=value in (line.get("value_ids") or [])
            )
    for tmpl in templates:
        _create_variants(env, tmpl)


def setup(reg: Registry, version: int) -> None:
    storable_default = {"is_storable": False} if version >= 18 else {}
    set_defaults(
        reg,
        "product.template",
        {
            "active": True,
            "type": "consu",
            "sale_ok": True,
            "purchase_ok": True,
            "list_price": 1.0,
            "sequence": 1,
            "tracking": "none",
            "service_tracking": "no",
            "invoice_policy": "order",
            "uom_id": first("uom.uom"),
            "categ_id": first("product.category"),
            "taxes_id": lambda env, vals: [
                t for t in [env.raw("res.company", env.company(), "account_sale_tax_id")] if t
            ],
            "is_favorite": False,
            **storable_default,
        },
    )
    if version < 18:
        set_defaults(
            reg, "product.template", {"detailed_type": lambda env, vals: vals.get("type") or "consu"}
        )

        def sync_type(env: Env, ids: list[int], vals: dict[str, Any]) -> None:
            if "detailed_type" in vals and "type" not in vals:
                for rid in ids:
                    env.set("product.template", rid, type=vals["detailed_type"])

        on_write(reg, "product.template", sync_type)
    on_create(reg, "product.template", _template_create)

    def tmpl_barcode(env: Env, r: dict[str, Any]) -> Any:
        single = _single_variant(env, r["id"])
        return env.rec("product.product", single).get("barcode") or False if single else False

    def tmpl_barcode_set(env: Env, ids: list[int], value: Any) -> None:
        for rid in ids:
            single = _single_variant(env, rid)
            if single:
                env.write("product.product", [single], {"barcode": value})

    compute(reg, "product.template", "barcode", tmpl_barcode).inverse = tmpl_barcode_set

    def tmpl_default_code(env: Env, r: dict[str, Any]) -> Any:
        single = _single_variant(env, r["id"])
        return env.rec("product.product", single).get("default_code") or False if single else False

    def tmpl_default_code_set(env: Env, ids: list[int], value: Any) -> None:
        for rid in ids:
            single = _single_variant(env, rid)
            if single:
                env.write("product.product", [single], {"default_code": value})

    compute(reg, "product.template", "default_code", tmpl_default_code).inverse = tmpl_default_code_set

    def tmpl_cost(env: Env, r: dict[str, Any]) -> float:
        single = _single_variant(env, r["id"])
        return float(env.rec("product.product", single).get("standard_price") or 0.0) if single else 0.0

    def tmpl_cost_set(env: Env, ids: list[int], value: Any) -> None:
        for rid in ids:
            variants = template_variants(env, rid, active_test=True)
            if variants:
                env.write("product.product", variants, {"standard_price": float(value or 0.0)})

    if "standard_price" in reg["product.template"].fields:
        compute(reg, "product.template", "standard_price", tmpl_cost).inverse = tmpl_cost_set
    compute(
        reg,
        "product.template",
        "product_variant_count",
        lambda env, r: len(template_variants(env, r["id"], True)),
    )
    compute(
        reg,
        "product.template",
        "product_variant_id",
        lambda env, r: (sorted(template_variants(env, r["id"], True)) or [False])[0],
    )
    for fname, kind in (("qty_available", "quantity"), ("free_qty", "free")):
        if fname in reg["product.template"].fields:
            compute(
                reg,
                "product.template",
                fname,
                lambda env, r, kind=kind: sum(
                    on_hand(env, p, kind) for p in template_variants(env, r["id"], True)
                ),
            )
    compute(
        reg,
        "product.template",
        "virtual_available",
        lambda env, r: sum(
            on_hand(env, p) + pending(env, p, "incoming") - pending(env, p, "outgoing")
            for p in template_variants(env, r["id"], True)
        ),
    )

    # -- product.product ------------------------------------------------------------------------
    variant = reg["product.product"]
    variant.display_name = product_display
    set_defaults(reg, "product.product", {"active": True, "is_favorite": False})
    variant.constrain({"barcode"}, _check_barcodes)
    compute(reg, "product.product", "qty_available", lambda env, r: on_hand(env, r["id"]))
    compute(reg, "product.product", "free_qty", lambda env, r: on_hand(env, r["id"], "free"))
    compute(reg, "product.product", "incoming_qty", lambda env, r: pending(env, r["id"], "incoming"))
    compute(reg, "product.product", "outgoing_qty", lambda env, r: pending(env, r["id"], "outgoing"))
    compute(
        reg,
        "product.product",
        "virtual_available",
        lambda env, r: (
            on_hand(env, r["id"]) + pending(env, r["id"], "incoming") - pending(env, r["id"], "outgoing")
        ),
    )
    compute(
        reg,
        "product.product",
        "price_extra",
        lambda env, r: sum(
            float(env.raw("product.template.attribute.value", v, "price_extra") or 0)
            for v in r.get("product_template_attribute_value_ids") or []
        ),
    )

    def lst_price(env: Env, r: dict[str, Any]) -> float:
        base = float(env.raw("product.template", r["product_tmpl_id"], "list_price") or 0)
        return base + float(env.raw("product.product", r["id"], "price_extra") or 0)

    def lst_price_set(env: Env, ids: list[int], value: Any) -> None:
        for rid in ids:
            extra = float(env.raw("product.product", rid, "price_extra") or 0)
            env.write(
                "product.template",
                [env.rec("product.product", rid)["product_tmpl_id"]],
                {"list_price": float(value) - extra},
            )

    compute(reg, "product.product", "lst_price", lst_price).inverse = lst_price_set
    compute(reg, "product.product", "code", lambda env, r: r.get("default_code") or False)
    compute(reg, "product.product", "partner_ref", product_display)
    compute(
        reg,
        "product.product",
        "combination_indices",
        lambda env, r: ",".join(str(v) for v in sorted(r.get("product_template_attribute_value_ids") or [])),
    )

    # -- attributes -----------------------------------------------------------------------------
    set_defaults(
        reg, "product.attribute", {"create_variant": "always", "display_type": "radio", "sequence": 20}
    )
    set_defaults(reg, "product.attribute.value", {"sequence": 10})
    set_defaults(reg, "product.template.attribute.line", {"active": True, "sequence": 10})
    set_defaults(reg, "product.template.attribute.value", {"ptav_active": True, "price_extra": 0.0})
    compute(
        reg,
        "product.template.attribute.value",
        "name",
        lambda env, r: env.raw("product.attribute.value", r.get("product_attribute_value_id"), "name"),
    )
    compute(
        reg,
        "product.template.attribute.value",
        "attribute_id",
        lambda env, r: env.raw("product.template.attribute.line", r.get("attribute_line_id"), "attribute_id"),
    )
    compute(
        reg,
        "product.template.attribute.value",
        "product_tmpl_id",
        lambda env, r: env.raw(
            "product.template.attribute.line", r.get("attribute_line_id"), "product_tmpl_id"
        ),
    )

    def ptav_display(env: Env, r: dict[str, Any]) -> str:
        attribute = env.raw("product.template.attribute.value", r["id"], "attribute_id")
        name = env.raw("product.template.attribute.value", r["id"], "name")
        return f"{env.display_name('product.attribute', attribute)}: {name}"

    reg["product.template.attribute.value"].display_name = ptav_display
    on_create(reg, "product.template.attribute.line", lambda env, rid, vals: _ptal_changed(env, [rid]))
    on_write(reg, "product.template.attribute.line", _ptal_changed)

    # -- categories, units, pricelists ---------------------------------------------------------
    category = reg["product.category"]
    category.recursion_message = "You cannot create recursive categories."

    def category_name(env: Env, r: dict[str, Any]) -> str:
        names = [r.get("name") or ""]
        parent = r.get("parent_id")
        seen = {r["id"]}
        while parent and parent not in seen and env.exists("product.category", parent):
            seen.add(parent)
            names.insert(0, env.rec("product.category", parent).get("name") or "")
            parent = env.rec("product.category", parent).get("parent_id")
        return " / ".join(names)

    compute(reg, "product.category", "complete_name", category_name)
    category.display_name = category_name
    set_defaults(reg, "uom.uom", {"active": True, "relative_factor": 1.0, "sequence": 10})
    compute(reg, "uom.uom", "rounding", lambda env, r: 0.01)
    compute(reg, "uom.uom", "factor", lambda env, r: float(r.get("relative_factor") or 1.0))
    set_defaults(
        reg,
        "product.pricelist",
        {
            "active": True,
            "sequence": 16,
            "currency_id": lambda env, vals: env.raw("res.company", env.company(), "currency_id"),
        },
    )
