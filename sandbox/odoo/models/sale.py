"""sale: orders and their lines (amounts through the tax engine), confirmation, cancellation, invoicing.

Invoicing follows the walk: ``sale.advance.payment.inv`` created with the order as ``active_ids``, then
``create_invoices`` (``advance_payment_method`` ``delivered`` = a regular invoice of what is to invoice, which
the product's ``invoice_policy`` makes the ordered or the delivered quantity).
"""

from __future__ import annotations

from typing import Any

from ..orm import Env, UserError, ValidationError
from . import taxes
from .common import (
    Registry,
    active_ids,
    check_company,
    compute,
    currency_rounding,
    env_company,
    method,
    now,
    on_create,
    on_write,
    records,
    round_to,
    set_defaults,
)
from .methods import as_ids
from .product import is_service
from .stock import cancel_picking, moves_of, reserve_picking, unreserve_move, update_picking_state


def tax_field(version: int) -> str:
    return "tax_ids" if version >= 19 else "tax_id"


def uom_field(version: int) -> str:
    return "product_uom_id" if version >= 19 else "product_uom"


def tax_of(env: Env, tax_id: int) -> taxes.Tax:
    """An account.tax record as the engine sees it (price_include as Odoo 18+ computes it)."""
    t = env.rec("account.tax", tax_id)
    children = tuple(tax_of(env, c) for c in (t.get("children_tax_ids") or []) if c != tax_id)
    return taxes.Tax(
        id=tax_id,
        amount_type=t.get("amount_type") or "percent",
        amount=float(t.get("amount") or 0.0),
        price_include=bool(env.raw("account.tax", tax_id, "price_include")),
        include_base_amount=bool(t.get("include_base_amount")),
        is_base_affected=bool(t.get("is_base_affected", True)),
        sequence=int(t.get("sequence") or 0),
        children=children,
    )


def rounding_method(env: Env, company_id: Any) -> str:
    if company_id and env.exists("res.company", company_id):
        return env.rec("res.company", company_id).get("tax_calculation_rounding_method") or "round_per_line"
    return "round_per_line"


def order_lines(env: Env, order_id: int) -> list[int]:
    return sorted(
        env.db.lookup("sale.order.line", "order_id", order_id),
        key=lambda lid: (env.rec("sale.order.line", lid).get("sequence") or 0, lid),
    )


def base_line(env: Env, line: dict[str, Any], qty_field: str, tax_fname: str) -> taxes.BaseLine:
    return taxes.BaseLine(
        price_unit=float(line.get("price_unit") or 0.0),
        quantity=float(line.get(qty_field) or 0.0),
        discount=float(line.get("discount") or 0.0),
        taxes=tuple(tax_of(env, t) for t in (line.get(tax_fname) or []) if env.exists("account.tax", t)),
    )


def order_totals(env: Env, order: dict[str, Any]) -> taxes.Totals:
    tf = tax_field(env.version)
    lines = [
        base_line(env, env.rec("sale.order.line", lid), "product_uom_qty", tf)
        for lid in order_lines(env, order["id"])
        if not env.rec("sale.order.line", lid).get("display_type")
    ]
    currency = env.raw("sale.order", order["id"], "currency_id")
    return taxes.document_totals(
        lines, currency_rounding(env, currency), rounding_method(env, order.get("company_id"))
    )


def _line_amounts(env: Env, line: dict[str, Any]) -> tuple[float, float]:
    if line.get("display_type"):
        return 0.0, 0.0
    order = env.rec("sale.order", line["order_id"])
    currency = env.raw("sale.order", line["order_id"], "currency_id")
    bl = base_line(env, line, "product_uom_qty", tax_field(env.version))
    return taxes.raw_line(bl, currency_rounding(env, currency), rounding_method(env, order.get("company_id")))


# -- quantities ----------------------------------------------------------------------------------


def kit_components(env: Env, product_id: Any) -> list[tuple[int, float]]:
    """The components of a kit product (its phantom bill of materials, per one kit), when the stand-in plays
    mrp (control ``POST /_sandbox/kits``); none for any other product. See docs/sandboxes.md (mrp kits)."""
    kits = env.db.settings().get("mrp_kits") or {}
    return [(int(c), float(q)) for c, q in (kits.get(str(product_id)) or [])]


def qty_delivered(env: Env, line: dict[str, Any]) -> float:
    pid = line.get("product_id")
    if not pid or line.get("display_type"):
        return 0.0
    if is_service(env, pid):
        return float(line.get("qty_delivered") or 0.0)  # manual: what was written
    processed: dict[int, float] = {}
    for mv in env.db.tables["stock.move"].values():
        if mv.get("sale_line_id") != line["id"] or mv.get("state") != "done":
            continue
        src = env.raw("stock.location", mv.get("location_id"), "usage")
        dst = env.raw("stock.location", mv.get("location_dest_id"), "usage")
        product = int(mv.get("product_id") or 0)
        if dst == "customer" and src != "customer":
            processed[product] = processed.get(product, 0.0) + float(mv.get("quantity") or 0)
        elif src == "customer" and dst != "customer" and mv.get("to_refund"):
            processed[product] = processed.get(product, 0.0) - float(mv.get("quantity") or 0)
    components = kit_components(env, pid)
    if components:
        # sale_mrp: a kit line counts whole kits, the lowest ratio of each component's delivered (less
        # returned) quantity to its quantity per kit, floored (stock.move._compute_kit_quantities).
        return float(min(processed.get(c, 0.0) / q for c, q in components) // 1)
    return sum(processed.values())


def invoice_lines_of(env: Env, line_id: int) -> list[int]:
    return env.db.lookup("account.move.line", "sale_line_ids", line_id)


def qty_invoiced(env: Env, line: dict[str, Any]) -> float:
    total = 0.0
    for aml in invoice_lines_of(env, line["id"]):
        rec = env.rec("account.move.line", aml)
        move = env.db.tables["account.move"].get(rec.get("move_id")) or {}
        if move.get("state") == "cancel":
            continue
        qty = float(rec.get("quantity") or 0)
        if move.get("move_type") == "out_invoice":
            total += qty
        elif move.get("move_type") == "out_refund":
            total -= qty
    return total


def qty_to_invoice(env: Env, line: dict[str, Any]) -> float:
    order = env.rec("sale.order", line["order_id"])
    if order.get("state") != "sale" or line.get("display_type") or not line.get("product_id"):
        return 0.0
    policy = env.raw("product.product", line["product_id"], "invoice_policy") or "order"
    basis = float(line.get("product_uom_qty") or 0) if policy == "order" else qty_delivered(env, line)
    return basis - qty_invoiced(env, line)


def line_invoice_status(env: Env, line: dict[str, Any]) -> str:
    order = env.rec("sale.order", line["order_id"])
    if order.get("state") != "sale" or line.get("display_type"):
        return "no"
    to_invoice = qty_to_invoice(env, line)
    if round(to_invoice, 6) != 0:
        return "to invoice"
    ordered = float(line.get("product_uom_qty") or 0)
    invoiced = qty_invoiced(env, line)
    policy = (
        env.raw("product.product", line["product_id"], "invoice_policy")
        if line.get("product_id")
        else "order"
    )
    if policy == "order" and invoiced >= ordered:
        return "invoiced"
    if qty_delivered(env, line) > ordered:
        return "upselling"
    if invoiced >= ordered:
        return "invoiced"
    return "no"


def order_invoice_status(env: Env, order: dict[str, Any]) -> str:
    if order.get("state") != "sale":
        return "no"
    states = [
        line_invoice_status(env, {**env.rec("sale.order.line", lid), "id": lid})
        for lid in order_lines(env, order["id"])
        if not env.rec("sale.order.line", lid).get("display_type")
    ]
    if any(s == "to invoice" for s in states):
        return "to invoice"
    if states and all(s == "invoiced" for s in states):
        return "invoiced"
    if states and all(s in ("invoiced", "upselling") for s in states):
        return "upselling"
    return "no"


def order_invoices(env: Env, order: dict[str, Any]) -> list[int]:
    moves: set[int] = set()
    for lid in order_lines(env, order["id"]):
        for aml in invoice_lines_of(env, lid):
            move = env.rec("account.move.line", aml).get("move_id")
            if move and env.raw("account.move", move, "move_type") in ("out_invoice", "out_refund"):
                moves.add(move)
    return sorted(moves)


# -- orders --------------------------------------------------------------------------------------


def so_action_confirm(env: Env, ids: Any) -> bool:
    ids = records(env, "sale.order", ids)
    bad = [i for i in ids if env.rec("sale.order", i).get("state") not in ("draft", "sent")]
    if bad:
        if env.version >= 19:
            raise UserError("Some orders are not in a state requiring confirmation.")  # README (19)
        names = ", ".join(env.rec("sale.order", i).get("name") or "" for i in bad)
        raise UserError(f"The following orders are not in a state requiring confirmation: {names}")
    for oid in ids:
        env.set("sale.order", oid, state="sale", date_order=now(env))  # API-NOTES I: date_order becomes now
        _launch_deliveries(env, oid)
    return True


def _goods(env: Env, oid: int) -> list[int]:
    out = []
    for lid in order_lines(env, oid):
        line = env.rec("sale.order.line", lid)
        pid = line.get("product_id")
        if not pid or line.get("display_type") or is_service(env, pid):
            continue
        if env.raw("product.product", pid, "type") == "combo":
            continue
        out.append(lid)
    return out


def _launch_deliveries(env: Env, oid: int) -> None:
    order = env.rec("sale.order", oid)
    goods = _goods(env, oid)
    if not goods:
        return
    wh = (
        order.get("warehouse_id")
        or (
            env.search(
                "stock.warehouse", [("company_id", "=", order.get("company_id"))], limit=1, check=False
            )
            or [False]
        )[0]
    )
    if not wh:
        raise UserError("No warehouse found for the company of the order.")
    whrec = env.rec("stock.warehouse", wh)
    ptype = whrec["out_type_id"]
    customers = env.search("stock.location", [("usage", "=", "customer")], limit=1, check=False)[0]
    name = order.get("name") or ""
    ref = order.get("client_order_ref")
    origin = name if env.version >= 19 or not ref else f"{name} - {ref}"  # API-NOTES I
    pick = env.sudo().create(
        "stock.picking",
        {
            "origin": origin,
            "partner_id": order.get("partner_shipping_id") or order["partner_id"],
            "picking_type_id": ptype,
            "location_id": whrec["lot_stock_id"],
            "location_dest_id": customers,
            "sale_id": oid,
            "carrier_id": order.get("carrier_id") or False,
            "company_id": order.get("company_id"),
        },
    )
    for lid in goods:
        line = env.rec("sale.order.line", lid)
        # A kit (mrp phantom BOM) is exploded: one move per component, each of the kit's line.
        parts = kit_components(env, line["product_id"]) or [(line["product_id"], 1.0)]
        for product, per_kit in parts:
            env.sudo().create(
                "stock.move",
                {
                    "product_id": product,
                    "product_uom_qty": float(line.get("product_uom_qty") or 0.0) * per_kit,
                    "picking_id": pick,
                    "location_id": whrec["lot_stock_id"],
                    "location_dest_id": customers,
                    "sale_line_id": lid,
                    "origin": name,
                    "company_id": order.get("company_id"),
                    "warehouse_id": wh,
                    "partner_id": order.get("partner_shipping_id") or order["partner_id"],
                    "state": "confirmed",
                },
            )
    env.set("stock.picking", pick, state="confirmed")
    reserve_picking(env, pick)


def so_action_cancel(env: Env, ids: Any) -> Any:
    ids = records(env, "sale.order", ids)
    for oid in ids:
        if env.rec("sale.order", oid).get("locked"):
            raise UserError("You cannot cancel a locked order. Please unlock it first.")
    if env.version <= 18 and not env.context.get("disable_cancel_warning"):  # noqa: SIM102 - API-NOTES G/I
        if any(env.rec("sale.order", i).get("state") in ("sent", "sale") for i in ids):
            return {
                "name": "Cancel Sales Order",
                "type": "ir.actions.act_window",
                "view_mode": "form",
                "res_model": "sale.order.cancel",
                "views": [[False, "form"]],
                "target": "new",
                "context": {"default_order_id": ids[0]},
            }
    for oid in ids:
        for pid in sorted(
            p for p, rec in env.db.tables["stock.picking"].items() if rec.get("sale_id") == oid
        ):
            cancel_picking(env, pid)
        for mid in order_invoices(env, {"id": oid}):
            if env.rec("account.move", mid).get("state") == "draft":
                env.set("account.move", mid, state="cancel")
        env.set("sale.order", oid, state="cancel")
    return True


def so_action_draft(env: Env, ids: Any) -> bool:
    for oid in records(env, "sale.order", ids):
        if env.rec("sale.order", oid).get("state") in ("cancel", "sent"):
            env.set("sale.order", oid, state="draft")
    return True


def so_action_lock(env: Env, ids: Any) -> bool:
    for oid in records(env, "sale.order", ids):
        env.set("sale.order", oid, locked=True)
    return True


def so_action_unlock(env: Env, ids: Any) -> bool:
    for oid in records(env, "sale.order", ids):
        env.set("sale.order", oid, locked=False)
    return True


def so_cancel_wizard_action_cancel(env: Env, ids: Any) -> Any:
    for wid in records(env, "sale.order.cancel", ids):
        oid = env.rec("sale.order.cancel", wid)["order_id"]
        so_action_cancel(env.with_context(disable_cancel_warning=True), [oid])
    return True


def _so_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    rec = env.rec("sale.order", rid)
    updates: dict[str, Any] = {}
    if not rec.get("name") or rec.get("name") == "New":
        updates["name"] = f"S{env.next_sequence('sale.order'):05d}"
    if updates:
        env.set("sale.order", rid, **updates)


def _partner_child(ptype: str) -> Any:
    def default(env: Env, vals: dict[str, Any]) -> Any:
        partner = vals.get("partner_id")
        if not partner or not env.exists("res.partner", partner):
            return None
        child = env.search(
            "res.partner", [("parent_id", "=", partner), ("type", "=", ptype)], limit=1, check=False
        )
        return child[0] if child else partner

    return default


def _so_write(env: Env, ids: list[int], vals: dict[str, Any]) -> None:
    for oid in ids:
        order = env.rec("sale.order", oid)
        if order.get("locked") and set(vals) - {"locked", "note", "client_order_ref"}:
            raise UserError(
                "It is forbidden to modify the following fields in a locked order:\n"
                + "\n".join(sorted(vals))
            )


def _so_unlink(env: Env, ids: list[int]) -> None:
    for oid in ids:
        if env.rec("sale.order", oid).get("state") not in ("draft", "cancel"):
            raise UserError(
                "You can not delete a sent quotation or a confirmed sales order. You must first cancel it."
            )


def _sol_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    rec = env.rec("sale.order.line", rid)
    order = env.rec("sale.order", rec["order_id"])
    if order.get("state") == "cancel":
        raise UserError("You cannot add lines to a cancelled order.")
    pid = rec.get("product_id")
    if not pid and not rec.get("display_type"):
        raise ValidationError("Missing required product and UoM on accountable sale order line.")
    if order.get("state") == "sale" and pid and not is_service(env, pid):
        # Odoo launches a move for a line added to a confirmed order
        picks = sorted(
            p
            for p, pk in env.db.tables["stock.picking"].items()
            if pk.get("sale_id") == rec["order_id"] and pk.get("state") not in ("done", "cancel")
        )
        if picks:
            pick = env.rec("stock.picking", picks[0])
            env.sudo().create(
                "stock.move",
                {
                    "product_id": pid,
                    "product_uom_qty": float(rec.get("product_uom_qty") or 0),
                    "picking_id": picks[0],
                    "location_id": pick["location_id"],
                    "location_dest_id": pick["location_dest_id"],
                    "sale_line_id": rid,
                    "company_id": order.get("company_id"),
                    "state": "confirmed",
                },
            )
            reserve_picking(env, picks[0])
        else:
            _launch_deliveries_for_line(env, rec["order_id"])


def _launch_deliveries_for_line(env: Env, oid: int) -> None:
    has_open = any(
        pk.get("sale_id") == oid and pk.get("state") not in ("cancel",)
        for pk in env.db.tables["stock.picking"].values()
    )
    if not has_open:
        _launch_deliveries(env, oid)


def _sol_write(env: Env, ids: list[int], vals: dict[str, Any]) -> None:
    """A new ordered quantity on a confirmed order changes the open delivery's demand (Odoo's stock rule)."""
    if "product_uom_qty" not in vals:
        return
    for lid in ids:
        line = env.rec("sale.order.line", lid)
        order = env.rec("sale.order", line["order_id"])
        if order.get("state") != "sale" or not line.get("product_id") or is_service(env, line["product_id"]):
            continue
        delivered = qty_delivered(env, {**line, "id": lid})
        open_moves = [
            mid
            for mid, mv in env.db.tables["stock.move"].items()
            if mv.get("sale_line_id") == lid and mv.get("state") not in ("done", "cancel")
        ]
        wanted = max(0.0, float(line.get("product_uom_qty") or 0) - delivered)
        if open_moves:
            mid = open_moves[0]
            mv = env.rec("stock.move", mid)
            if wanted <= 0:
                unreserve_move(env, mid)
                env.set("stock.move", mid, state="cancel", product_uom_qty=0.0, quantity=0.0)
            else:
                if float(mv.get("quantity") or 0) > wanted:
                    unreserve_move(env, mid, keep=wanted)
                env.set("stock.move", mid, product_uom_qty=wanted)
                reserve_picking(env, mv["picking_id"])
            if mv.get("picking_id"):
                update_picking_state(env, mv["picking_id"])
        elif wanted > 0:
            _sol_create(env, lid, {})


def _sol_unlink(env: Env, ids: list[int]) -> None:
    for lid in ids:
        line = env.rec("sale.order.line", lid)
        order = env.db.tables["sale.order"].get(line["order_id"]) or {}
        if order.get("state") == "sale" and not line.get("display_type"):
            raise UserError(
                "You can not remove an order line once the sales order is confirmed.\n"
                "You should rather set the quantity to 0."
            )


# -- invoicing -----------------------------------------------------------------------------------


def _invoice_vals(env: Env, oid: int) -> dict[str, Any] | None:
    order = {**env.rec("sale.order", oid), "id": oid}
    tf = tax_field(env.version)
    uf = uom_field(env.version)
    lines = []
    for lid in order_lines(env, oid):
        line = {**env.rec("sale.order.line", lid), "id": lid}
        if line.get("display_type"):
            lines.append(
                (
                    0,
                    0,
                    {
                        "display_type": line["display_type"],
                        "name": line.get("name") or "",
                        "sale_line_ids": [(4, lid)],
                    },
                )
            )
            continue
        qty = qty_to_invoice(env, line)
        if round(qty, 6) == 0:
            continue
        lines.append(
            (
                0,
                0,
                {
                    "display_type": "product",
                    "product_id": line["product_id"],
                    "name": line.get("name") or "",
                    "quantity": qty,
                    "price_unit": float(line.get("price_unit") or 0),
                    "discount": float(line.get("discount") or 0),
                    "tax_ids": [(6, 0, list(line.get(tf) or []))],
                    "product_uom_id": line.get(uf) or False,
                    "sale_line_ids": [(4, lid)],
                },
            )
        )
    if not any(cmd[2].get("display_type") == "product" for cmd in lines):
        return None
    journal = env.search(
        "account.journal",
        [("type", "=", "sale"), ("company_id", "=", order.get("company_id"))],
        limit=1,
        check=False,
    )
    return {
        "move_type": "out_invoice",
        "partner_id": order.get("partner_invoice_id") or order["partner_id"],
        "partner_shipping_id": order.get("partner_shipping_id") or False,
        "invoice_origin": order.get("name") or "",
        "ref": order.get("client_order_ref") or False,  # the walk: ref is the customer reference
        "currency_id": env.raw("sale.order", oid, "currency_id"),
        "company_id": order.get("company_id"),
        "journal_id": journal[0] if journal else False,
        "invoice_user_id": order.get("user_id") or False,
        "invoice_line_ids": lines,
    }


def create_invoices(env: Env, ids: Any) -> dict[str, Any]:
    invoices = []
    for wid in records(env, "sale.advance.payment.inv", ids):
        wiz = env.rec("sale.advance.payment.inv", wid)
        orders = list(wiz.get("sale_order_ids") or []) or active_ids(env, "sale.order")
        if not orders:
            raise UserError("No sales orders to invoice: create the wizard with the orders as active_ids.")
        method_ = wiz.get("advance_payment_method") or "delivered"
        if method_ != "delivered":
            raise NotImplementedError(f"The sandbox does not play down payments ({method_!r})")
        for oid in orders:
            env.check_company_access("sale.order", [oid], "read")
            vals = _invoice_vals(env, oid)
            if vals is None:
                raise UserError(
                    "Cannot create an invoice. No items are available to invoice.\n\n"
                    "To resolve this issue, please ensure that:\n"
                    "   • The products have been delivered before attempting to invoice them.\n"
                    "   • The invoicing policy of the product is configured correctly.\n\n"
                    "If you want to invoice based on ordered quantities instead:\n"
                    "   • For consumable or storable products, open the product, go to the "
                    "'General Information' tab and change the 'Invoicing Policy' from 'Delivered Quantities' "
                    "to 'Ordered Quantities'.\n"
                    "   • For services (and other products), change the 'Invoicing Policy' to "
                    "'Prepaid/Fixed Price'.\n"
                )
            company = vals.get("company_id") or env.company()
            invoices.append(
                env.with_context(allowed_company_ids=[company]).sudo().create("account.move", vals)
            )
    action: dict[str, Any] = {
        "id": 0,
        "display_name": "Invoices",
        "name": "Invoices",
        "type": "ir.actions.act_window",
        "xml_id": "account.action_move_out_invoice_type",
        "res_model": "account.move",
        "view_mode": "list,form",
        "domain": "[('move_type', 'in', ['out_invoice', 'out_refund'])]",
        "context": {"default_move_type": "out_invoice"},
    }
    if len(invoices) == 1:
        action.update({"views": [[False, "form"]], "res_id": invoices[0], "view_mode": "form"})
    else:
        action["domain"] = [("id", "in", invoices)]
    return action


def setup(reg: Registry, version: int) -> None:
    tf, uf = tax_field(version), uom_field(version)

    # -- sale.order -----------------------------------------------------------------------------
    so = reg["sale.order"]
    # sale.order declares its customer and addresses check_company=True: another company's partner is
    # refused (on create, and on a write of these fields or of the company).
    partners = ("partner_id", "partner_invoice_id", "partner_shipping_id")
    so.constrain({*partners, "company_id"}, check_company("sale.order", partners))
    set_defaults(
        reg,
        "sale.order",
        {
            "name": "New",
            "state": "draft",
            "date_order": now,
            "company_id": env_company,
            "picking_policy": "direct",
            "locked": False,
            "user_id": lambda env, vals: env.uid,
            "partner_invoice_id": _partner_child("invoice"),
            "partner_shipping_id": _partner_child("delivery"),
            "pricelist_id": lambda env, vals: (
                env.search(
                    "product.pricelist",
                    [
                        "|",
                        ("company_id", "=", False),
                        ("company_id", "=", vals.get("company_id") or env.company()),
                    ],
                    limit=1,
                    check=False,
                )
                or [None]
            )[0],
            "warehouse_id": lambda env, vals: (
                env.search(
                    "stock.warehouse",
                    [("company_id", "=", vals.get("company_id") or env.company())],
                    limit=1,
                    check=False,
                )
                or [None]
            )[0],
            "require_signature": False,
            "require_payment": False,
        },
    )

    def currency(env: Env, r: dict[str, Any]) -> Any:
        pricelist = r.get("pricelist_id")
        if pricelist and env.exists("product.pricelist", pricelist):
            return env.rec("product.pricelist", pricelist).get("currency_id")
        return env.raw("res.company", r.get("company_id"), "currency_id")

    compute(reg, "sale.order", "currency_id", currency)
    compute(reg, "sale.order", "amount_untaxed", lambda env, r: order_totals(env, r).untaxed)
    compute(reg, "sale.order", "amount_tax", lambda env, r: order_totals(env, r).tax)
    compute(reg, "sale.order", "amount_total", lambda env, r: order_totals(env, r).total)
    compute(
        reg,
        "sale.order",
        "tax_calculation_rounding_method",
        lambda env, r: rounding_method(env, r.get("company_id")),
    )
    compute(reg, "sale.order", "invoice_ids", order_invoices)
    compute(reg, "sale.order", "invoice_count", lambda env, r: len(order_invoices(env, r)))
    compute(reg, "sale.order", "invoice_status", order_invoice_status)
    compute(
        reg,
        "sale.order",
        "delivery_count",
        lambda env, r: sum(1 for p in env.db.tables["stock.picking"].values() if p.get("sale_id") == r["id"]),
    )
    compute(
        reg,
        "sale.order",
        "amount_invoiced",
        lambda env, r: round_to(
            sum(
                (1 if env.raw("account.move", m, "move_type") == "out_invoice" else -1)
                * float(env.raw("account.move", m, "amount_total") or 0)
                for m in order_invoices(env, r)
                if env.raw("account.move", m, "state") == "posted"
            )
        ),
    )
    so.on_create.append(_so_create)
    so.on_write.append(_so_write)
    so.before_unlink.append(_so_unlink)
    method(reg, "sale.order", "action_confirm", so_action_confirm)
    method(reg, "sale.order", "action_cancel", so_action_cancel)
    method(reg, "sale.order", "action_draft", so_action_draft)
    method(reg, "sale.order", "action_lock", so_action_lock)
    method(reg, "sale.order", "action_unlock", so_action_unlock)
    if "sale.order.cancel" in reg:
        method(reg, "sale.order.cancel", "action_cancel", so_cancel_wizard_action_cancel)

    # -- sale.order.line ------------------------------------------------------------------------
    def product_field(fname: str, fallback: Any = None) -> Any:
        def default(env: Env, vals: dict[str, Any]) -> Any:
            pid = vals.get("product_id")
            if not pid or not env.exists("product.product", pid):
                return fallback
            return env.raw("product.product", pid, fname)

        return default

    def line_name(env: Env, vals: dict[str, Any]) -> Any:
        pid = vals.get("product_id")
        if not pid or not env.exists("product.product", pid):
            return None
        name = env.display_name("product.product", pid)
        extra = env.raw("product.product", pid, "description_sale")
        return f"{name}\n{extra}" if extra else name

    def line_taxes(env: Env, vals: dict[str, Any]) -> Any:
        pid = vals.get("product_id")
        if not pid or not env.exists("product.product", pid):
            return None
        order = env.db.tables["sale.order"].get(vals.get("order_id")) or {}
        company = order.get("company_id") or env.company()
        return [
            t
            for t in env.raw("product.product", pid, "taxes_id")
            if env.raw("account.tax", t, "company_id") == company
        ]

    set_defaults(
        reg,
        "sale.order.line",
        {
            "sequence": 10,
            "product_uom_qty": 1.0,
            "customer_lead": 0.0,
            "discount": 0.0,
            "is_delivery": False,
            "is_downpayment": False,
            "name": line_name,
            "price_unit": product_field("lst_price", 0.0),
            tf: line_taxes,
            uf: product_field("uom_id"),
        },
    )
    for fname, fn in (
        ("price_subtotal", lambda env, r: _line_amounts(env, r)[0]),
        ("price_total", lambda env, r: _line_amounts(env, r)[1]),
        ("price_tax", lambda env, r: round_to(_line_amounts(env, r)[1] - _line_amounts(env, r)[0])),
        ("qty_invoiced", qty_invoiced),
        ("qty_to_invoice", qty_to_invoice),
        ("invoice_status", line_invoice_status),
        ("invoice_lines", lambda env, r: invoice_lines_of(env, r["id"])),
        ("currency_id", lambda env, r: env.raw("sale.order", r["order_id"], "currency_id")),
        ("state", lambda env, r: env.raw("sale.order", r["order_id"], "state")),
        ("company_id", lambda env, r: env.raw("sale.order", r["order_id"], "company_id")),
        ("order_partner_id", lambda env, r: env.raw("sale.order", r["order_id"], "partner_id")),
        (
            "qty_delivered_method",
            lambda env, r: (
                "manual" if r.get("product_id") and is_service(env, r["product_id"]) else "stock_move"
            ),
        ),
        (
            "product_template_id",
            lambda env, r: (
                env.raw("product.product", r.get("product_id"), "product_tmpl_id")
                if r.get("product_id")
                else False
            ),
        ),
    ):
        if fname in reg["sale.order.line"].fields:
            compute(reg, "sale.order.line", fname, fn)
    delivered = compute(reg, "sale.order.line", "qty_delivered", qty_delivered)

    def set_delivered(env: Env, ids: list[int], value: Any) -> None:
        for lid in ids:
            env.set("sale.order.line", lid, qty_delivered=float(value or 0))

    delivered.inverse = set_delivered
    on_create(reg, "sale.order.line", _sol_create)
    on_write(reg, "sale.order.line", _sol_write)
    reg["sale.order.line"].before_unlink.append(_sol_unlink)

    def line_display(env: Env, r: dict[str, Any]) -> str:
        first = (r.get("name") or "").splitlines()[0] if r.get("name") else ""
        return f"{env.raw('sale.order', r['order_id'], 'name')} - {first}"

    reg["sale.order.line"].display_name = line_display

    # -- delivery.carrier -----------------------------------------------------------------------
    set_defaults(
        reg,
        "delivery.carrier",
        {
            "active": True,
            "delivery_type": "fixed",
            "invoice_policy": "estimated",
            "sequence": 10,
            "integration_level": "rate",
        },
    )

    # -- sale.advance.payment.inv ---------------------------------------------------------------
    set_defaults(
        reg,
        "sale.advance.payment.inv",
        {
            "advance_payment_method": "delivered",
            "sale_order_ids": lambda env, vals: active_ids(env, "sale.order") or None,
            "consolidated_billing": True,
        },
    )
    compute(reg, "sale.advance.payment.inv", "count", lambda env, r: len(r.get("sale_order_ids") or []))
    compute(
        reg,
        "sale.advance.payment.inv",
        "company_id",
        lambda env, r: (
            env.raw("sale.order", (r.get("sale_order_ids") or [False])[0], "company_id")
            if r.get("sale_order_ids")
            else env.company()
        ),
    )
    method(reg, "sale.advance.payment.inv", "create_invoices", create_invoices)


__all__ = ["as_ids", "moves_of", "order_totals", "setup", "tax_of"]
