"""The models and business methods the integration needs, per Odoo version (API-NOTES G and I).

A registry is built per version: field names differ (``tax_id``/``tax_ids``, ``product_uom``/
``product_uom_id``, ``mobile``, ``is_storable`` vs ``type='product'``, ``ref``/``memo``) and so do some
behaviours (the sale.order cancel wizard on 17/18, the picking ``origin`` format).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from .orm import (
    AccessError,
    Env,
    Field,
    Method,
    Model,
    UserError,
    ValidationError,
)

F = Field


def _sel(*keys: str) -> list[tuple[str, str]]:
    return [(k, k.replace("_", " ").title()) for k in keys]


def _today(env: Env) -> str:
    return dt.date.today().isoformat()


def _now(env: Env, vals: dict[str, Any] | None = None) -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _company(env: Env, vals: dict[str, Any] | None = None) -> int | bool:
    return 1 if env.exists("res.company", 1) else False


def _first(model: str, domain: list[Any] | None = None) -> Callable[[Env, dict[str, Any]], Any]:
    def default(env: Env, vals: dict[str, Any]) -> Any:
        ids = env.search(model, domain or [], limit=1)
        return ids[0] if ids else False

    return default


def _r2(x: float) -> float:
    return round(x + 0.0, 2)


# --------------------------------------------------------------------------------------------------
# Generic ORM methods (Odoo parameter names, so JSON-2 named parameters map onto them)


def orm_methods(model: str) -> dict[str, Method]:
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
        return env.read(model, found, fields or None)

    def read(env: Env, ids: Any, fields: Any = None, load: str = "_classic_read") -> Any:
        return env.read(model, _as_ids(ids), fields or None)

    def create(env: Env, ids: Any, vals_list: Any) -> Any:
        if isinstance(vals_list, dict):
            return env.create(model, vals_list)
        if not isinstance(vals_list, list):
            raise TypeError("create() takes a dict or a list of dicts")
        return [env.create(model, vals) for vals in vals_list]

    def write(env: Env, ids: Any, vals: Any) -> bool:
        return env.write(model, _as_ids(ids), vals)

    def unlink(env: Env, ids: Any) -> bool:
        return env.unlink(model, _as_ids(ids))

    def fields_get(env: Env, ids: Any, allfields: Any = None, attributes: Any = None) -> dict[str, Any]:
        out = {}
        for name, f in env.all_fields(model).items():
            if allfields and name not in allfields:
                continue
            desc: dict[str, Any] = {
                "type": f.type,
                "string": f.string or name.replace("_", " ").title(),
                "required": f.required,
                "readonly": f.readonly or (f.compute is not None),
                "store": f.store and f.compute is None,
                "searchable": True,
                "sortable": f.store and f.compute is None,
                "help": f.help,
            }
            if f.relation:
                desc["relation"] = f.relation
            if f.inverse_name:
                desc["relation_field"] = f.inverse_name
            if f.selection is not None:
                desc["selection"] = [list(s) for s in f.selection]
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
        rec_name = env.model(model).rec_name or "display_name"
        if name:
            dom = [*dom, (rec_name, operator, name)] if dom else [(rec_name, operator, name)]
            if len(dom) > 1:
                dom = ["&", *dom] if len(dom) == 2 else dom
        found = env.search(model, dom, limit=limit)
        return [[rid, env.display_name(model, rid)] for rid in found]

    def default_get(env: Env, ids: Any, fields_list: Any) -> dict[str, Any]:
        m = env.model(model)
        out = {}
        for fname in fields_list or []:
            if f"default_{fname}" in env.context:
                out[fname] = env.context[f"default_{fname}"]
            elif fname in m.fields and m.fields[fname].default is not None:
                d = m.fields[fname].default
                out[fname] = d(env, {}) if callable(d) else d
        return out

    def exists(env: Env, ids: Any) -> list[int]:
        return [i for i in _as_ids(ids) if env.exists(model, i)]

    return {
        "search": Method(search, api_model=True, writes=False),
        "search_count": Method(search_count, api_model=True, writes=False),
        "search_read": Method(search_read, api_model=True, writes=False, var_kwargs=True),
        "read": Method(read, writes=False),
        "create": Method(create, api_model=True),
        "write": Method(write),
        "unlink": Method(unlink),
        "fields_get": Method(fields_get, api_model=True, writes=False),
        "name_search": Method(name_search, api_model=True, writes=False),
        "default_get": Method(default_get, api_model=True, writes=False),
        "exists": Method(exists, writes=False),
    }


def _as_ids(ids: Any) -> list[int]:
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


# --------------------------------------------------------------------------------------------------
# Computations shared by several models


def _line_amounts(env: Env, model: str, rid: int, qty_field: str, tax_field: str) -> tuple[float, float]:
    rec = env.db.tables[model][rid]
    qty = float(rec.get(qty_field) or 0.0)
    price = float(rec.get("price_unit") or 0.0)
    disc = float(rec.get("discount") or 0.0)
    base = qty * price * (1 - disc / 100.0)
    tax = 0.0
    included = 0.0
    for tid in rec.get(tax_field) or []:
        t = env.db.tables["account.tax"].get(tid)
        if not t:
            continue
        rate = float(t.get("amount") or 0.0) / 100.0
        if t.get("price_include"):
            included += rate
        else:
            tax += rate
    if included:
        untaxed = base / (1 + included)
        return _r2(untaxed), _r2(base - untaxed + untaxed * tax)
    return _r2(base), _r2(base * tax)


def quant_for(env: Env, product_id: int, location_id: int, create: bool = True) -> int | None:
    for qid, q in env.db.tables["stock.quant"].items():
        if q.get("product_id") == product_id and q.get("location_id") == location_id and not q.get("lot_id"):
            return qid
    if not create:
        return None
    return env.create("stock.quant", {"product_id": product_id, "location_id": location_id, "quantity": 0.0})


def internal_children(env: Env, location_id: int) -> list[int]:
    return env.search("stock.location", [("id", "child_of", location_id), ("usage", "=", "internal")])


def is_storable(env: Env, product_id: int) -> bool:
    if env.version >= 18:
        return bool(env.raw("product.product", product_id, "is_storable"))
    return env.raw("product.product", product_id, "type") == "product"


def qty_in(env: Env, product_id: int, location_ids: list[int], field: str = "quantity") -> float:
    total = 0.0
    for q in env.db.tables["stock.quant"].values():
        if q.get("product_id") == product_id and q.get("location_id") in location_ids:
            if field == "available":
                total += float(q.get("quantity") or 0) - float(q.get("reserved_quantity") or 0)
            else:
                total += float(q.get(field) or 0)
    return total


def all_internal(env: Env) -> list[int]:
    return [lid for lid, loc in env.db.tables["stock.location"].items() if loc.get("usage") == "internal"]


# --------------------------------------------------------------------------------------------------
# Stock logic


def reserve_picking(env: Env, picking_id: int) -> None:
    pick = env.db.tables["stock.picking"][picking_id]
    if pick.get("state") in ("done", "cancel", "draft"):
        return
    src = pick["location_id"]
    locations = internal_children(env, src)
    for mid in env.search("stock.move", [("picking_id", "=", picking_id)]):
        move = env.db.tables["stock.move"][mid]
        if move.get("state") in ("done", "cancel", "assigned"):
            continue
        if not is_storable(env, move["product_id"]):
            env.set("stock.move", mid, quantity=move["product_uom_qty"], state="assigned")
            continue
        need = float(move["product_uom_qty"]) - float(move.get("quantity") or 0.0)
        for lid in locations:
            if need <= 0:
                break
            qid = quant_for(env, move["product_id"], lid, create=False)
            if qid is None:
                continue
            q = env.db.tables["stock.quant"][qid]
            free = float(q.get("quantity") or 0) - float(q.get("reserved_quantity") or 0)
            take = min(free, need)
            if take <= 0:
                continue
            env.set("stock.quant", qid, reserved_quantity=float(q.get("reserved_quantity") or 0) + take)
            env.create(
                "stock.move.line",
                {
                    "move_id": mid,
                    "picking_id": picking_id,
                    "product_id": move["product_id"],
                    "location_id": lid,
                    "location_dest_id": move["location_dest_id"],
                    "quantity": take,
                },
            )
            need -= take
            env.set(
                "stock.move",
                mid,
                quantity=float(env.db.tables["stock.move"][mid].get("quantity") or 0) + take,
            )
        move = env.db.tables["stock.move"][mid]
        if float(move.get("quantity") or 0) >= float(move["product_uom_qty"]):
            env.set("stock.move", mid, state="assigned")
        elif float(move.get("quantity") or 0) > 0:
            env.set("stock.move", mid, state="partially_available")
        else:
            env.set("stock.move", mid, state="confirmed")
    _update_picking_state(env, picking_id)


def _update_picking_state(env: Env, picking_id: int) -> None:
    moves = [
        env.db.tables["stock.move"][m] for m in env.search("stock.move", [("picking_id", "=", picking_id)])
    ]
    states = {m.get("state") for m in moves}
    if not moves:
        state = "draft"
    elif states <= {"done", "cancel"}:
        state = "done" if "done" in states else "cancel"
    elif any(float(m.get("quantity") or 0) > 0 for m in moves if m.get("state") not in ("done", "cancel")):
        state = "assigned"
    else:
        state = "confirmed"
    if env.db.tables["stock.picking"][picking_id].get("state") != state:
        env.set("stock.picking", picking_id, state=state)


def unreserve_move(env: Env, mid: int) -> None:
    for mlid in env.search("stock.move.line", [("move_id", "=", mid)]):
        ml = env.db.tables["stock.move.line"][mlid]
        qid = quant_for(env, ml["product_id"], ml["location_id"], create=False)
        if qid is not None:
            q = env.db.tables["stock.quant"][qid]
            env.set(
                "stock.quant",
                qid,
                reserved_quantity=max(0.0, float(q.get("reserved_quantity") or 0) - ml["quantity"]),
            )
        env.unlink("stock.move.line", [mlid])
    env.set("stock.move", mid, quantity=0.0)


def cancel_picking(env: Env, picking_id: int) -> None:
    pick = env.db.tables["stock.picking"][picking_id]
    if pick.get("state") in ("done", "cancel"):
        return
    for mid in env.search("stock.move", [("picking_id", "=", picking_id)]):
        if env.db.tables["stock.move"][mid].get("state") in ("done", "cancel"):
            continue
        unreserve_move(env, mid)
        env.set("stock.move", mid, state="cancel")
    env.set("stock.picking", picking_id, state="cancel")


def done_picking(env: Env, picking_id: int, backorder: bool) -> int | None:
    """Move stock for what is set on the moves; the rest goes to a backorder (or is cancelled)."""
    pick = env.db.tables["stock.picking"][picking_id]
    remaining: list[tuple[int, float]] = []
    for mid in env.search("stock.move", [("picking_id", "=", picking_id)]):
        move = env.db.tables["stock.move"][mid]
        if move.get("state") in ("done", "cancel"):
            continue
        done_qty = float(move.get("quantity") or 0.0)
        demand = float(move["product_uom_qty"])
        storable = is_storable(env, move["product_id"])
        left = done_qty
        for mlid in env.search("stock.move.line", [("move_id", "=", mid)]):
            ml = env.db.tables["stock.move.line"][mlid]
            take = min(left, float(ml["quantity"]))
            qid = quant_for(env, ml["product_id"], ml["location_id"], create=storable)
            if qid is not None and storable:
                q = env.db.tables["stock.quant"][qid]
                env.set(
                    "stock.quant",
                    qid,
                    quantity=float(q.get("quantity") or 0) - take,
                    reserved_quantity=max(
                        0.0, float(q.get("reserved_quantity") or 0) - float(ml["quantity"])
                    ),
                )
            env.set("stock.move.line", mlid, quantity=take, picked=True, state="done")
            left -= take
        if left > 0 and storable:
            qid = quant_for(env, move["product_id"], pick["location_id"])
            assert qid is not None
            q = env.db.tables["stock.quant"][qid]
            env.set("stock.quant", qid, quantity=float(q.get("quantity") or 0) - left)
            env.create(
                "stock.move.line",
                {
                    "move_id": mid,
                    "picking_id": picking_id,
                    "product_id": move["product_id"],
                    "location_id": pick["location_id"],
                    "location_dest_id": move["location_dest_id"],
                    "quantity": left,
                    "picked": True,
                    "state": "done",
                },
            )
        if done_qty < demand:
            remaining.append((mid, demand - done_qty))
            if done_qty > 0:
                env.set("stock.move", mid, product_uom_qty=done_qty, state="done", picked=True)
            else:
                env.set("stock.move", mid, state="cancel")
        else:
            env.set("stock.move", mid, state="done", picked=True)
    env.set("stock.picking", picking_id, state="done", date_done=_now(env))
    new_pick = None
    if remaining and backorder:
        vals = {
            k: pick.get(k)
            for k in (
                "origin",
                "partner_id",
                "picking_type_id",
                "location_id",
                "location_dest_id",
                "sale_id",
                "carrier_id",
            )
        }
        vals = {k: v for k, v in vals.items() if v is not None}
        vals["backorder_id"] = picking_id
        new_pick = env.create("stock.picking", vals)
        for mid, qty in remaining:
            old = env.db.tables["stock.move"][mid]
            env.create(
                "stock.move",
                {
                    "name": old.get("name"),
                    "product_id": old["product_id"],
                    "product_uom_qty": qty,
                    "picking_id": new_pick,
                    "location_id": old["location_id"],
                    "location_dest_id": old["location_dest_id"],
                    "sale_line_id": old.get("sale_line_id") or False,
                    "state": "confirmed",
                },
            )
        env.set("stock.picking", new_pick, state="confirmed")
        reserve_picking(env, new_pick)
    return new_pick


# --------------------------------------------------------------------------------------------------
# Business methods


def _orders(env: Env, ids: Any) -> list[int]:
    ids = _as_ids(ids)
    missing = [i for i in ids if not env.exists("sale.order", i)]
    if missing:
        from .orm import MissingError

        raise MissingError(
            f"Record does not exist or has been deleted.\n(Record: sale.order({missing[0]},), User: {env.uid})"  # noqa: E501
        )
    return ids


def so_action_confirm(env: Env, ids: Any) -> bool:
    ids = _orders(env, ids)
    bad = [i for i in ids if env.db.tables["sale.order"][i].get("state") not in ("draft", "sent")]
    if bad:
        names = ", ".join(env.db.tables["sale.order"][i].get("name") or "" for i in bad)
        raise UserError(f"The following orders are not in a state requiring confirmation: {names}")
    for oid in ids:
        order = env.db.tables["sale.order"][oid]
        env.set("sale.order", oid, state="sale", date_order=_now(env))
        lines = env.search("sale.order.line", [("order_id", "=", oid)], order="sequence, id")
        goods = []
        for lid in lines:
            line = env.db.tables["sale.order.line"][lid]
            pid = line.get("product_id")
            if not pid or line.get("display_type"):
                continue
            if env.raw("product.product", pid, "type") == "service":
                continue
            goods.append(lid)
        if not goods:
            continue
        wh = order.get("warehouse_id") or _first("stock.warehouse")(env, {})
        whrec = env.db.tables["stock.warehouse"][wh]
        ptype = whrec["out_type_id"]
        customers = env.search("stock.location", [("usage", "=", "customer")], limit=1)[0]
        name = order.get("name") or ""
        ref = order.get("client_order_ref")
        origin = name if env.version >= 19 or not ref else f"{name} - {ref}"
        pick = env.create(
            "stock.picking",
            {
                "origin": origin,
                "partner_id": order.get("partner_shipping_id") or order["partner_id"],
                "picking_type_id": ptype,
                "location_id": whrec["lot_stock_id"],
                "location_dest_id": customers,
                "sale_id": oid,
                "carrier_id": order.get("carrier_id") or False,
            },
        )
        for lid in goods:
            line = env.db.tables["sale.order.line"][lid]
            env.create(
                "stock.move",
                {
                    "name": line.get("name") or "",
                    "product_id": line["product_id"],
                    "product_uom_qty": float(line.get("product_uom_qty") or 0.0),
                    "picking_id": pick,
                    "location_id": whrec["lot_stock_id"],
                    "location_dest_id": customers,
                    "sale_line_id": lid,
                    "state": "confirmed",
                },
            )
        env.set("stock.picking", pick, state="confirmed")
        reserve_picking(env, pick)
    return True


def so_action_cancel(env: Env, ids: Any) -> Any:
    ids = _orders(env, ids)
    for oid in ids:
        if env.db.tables["sale.order"][oid].get("locked"):
            raise UserError("You cannot cancel a locked order. Please unlock it first.")
    if env.version <= 18 and not env.context.get("disable_cancel_warning"):  # noqa: SIM102
        if any(env.db.tables["sale.order"][i].get("state") in ("sent", "sale") for i in ids):
            oid = ids[0]
            return {
                "name": "Cancel Sales Order",
                "type": "ir.actions.act_window",
                "view_mode": "form",
                "res_model": "sale.order.cancel",
                "views": [[False, "form"]],
                "target": "new",
                "context": {"default_order_id": oid},
            }
    for oid in ids:
        for pid in env.search("stock.picking", [("sale_id", "=", oid)]):
            cancel_picking(env, pid)
        order = env.db.tables["sale.order"][oid]
        for mid in env.search(
            "account.move", [("invoice_origin", "=", order.get("name")), ("state", "=", "draft")]
        ):
            env.set("account.move", mid, state="cancel")
        env.set("sale.order", oid, state="cancel")
    return True


def so_action_draft(env: Env, ids: Any) -> bool:
    ids = _orders(env, ids)
    for oid in ids:
        if env.db.tables["sale.order"][oid].get("state") in ("cancel", "sent"):
            env.set("sale.order", oid, state="draft")
    return True


def so_action_lock(env: Env, ids: Any) -> bool:
    for oid in _orders(env, ids):
        env.set("sale.order", oid, locked=True)
    return True


def so_action_unlock(env: Env, ids: Any) -> bool:
    for oid in _orders(env, ids):
        env.set("sale.order", oid, locked=False)
    return True


def so_cancel_wizard_action_cancel(env: Env, ids: Any) -> Any:
    for wid in _as_ids(ids):
        oid = env.db.tables["sale.order.cancel"][wid]["order_id"]
        so_action_cancel(env.with_context(disable_cancel_warning=True), [oid])
    return True


def picking_button_validate(env: Env, ids: Any) -> Any:
    ids = _as_ids(ids)
    for pid in ids:
        pick = env.db.tables["stock.picking"].get(pid)
        if pick is None:
            from .orm import MissingError

            raise MissingError(
                f"Record does not exist or has been deleted.\n(Record: stock.picking({pid},), User: {env.uid})"  # noqa: E501
            )
        if pick.get("state") in ("done", "cancel"):
            raise UserError("You cannot validate a transfer that is already done or cancelled.")
        moves = [env.db.tables["stock.move"][m] for m in env.search("stock.move", [("picking_id", "=", pid)])]
        if not any(float(m.get("quantity") or 0) > 0 for m in moves):
            raise UserError(
                "You cannot validate a transfer if no quantities are reserved nor done. "
                "To force the transfer, encode quantities."
            )
    no_backorder = set(env.context.get("picking_ids_not_to_backorder") or [])
    needs_backorder = []
    if not env.context.get("skip_backorder"):
        for pid in ids:
            moves = [
                env.db.tables["stock.move"][m] for m in env.search("stock.move", [("picking_id", "=", pid)])
            ]
            if any(
                float(m.get("quantity") or 0) < float(m["product_uom_qty"])
                for m in moves
                if m.get("state") not in ("done", "cancel")
            ):
                needs_backorder.append(pid)
    if needs_backorder:
        return {
            "name": "Create Backorder?",
            "type": "ir.actions.act_window",
            "view_mode": "form",
            "res_model": "stock.backorder.confirmation",
            "views": [[False, "form"]],
            "target": "new",
            "context": {
                "button_validate_picking_ids": ids,
                "default_show_transfers": False,
                "default_pick_ids": [[4, p] for p in needs_backorder],
            },
        }
    for pid in ids:
        done_picking(env, pid, backorder=pid not in no_backorder)
    return True


def picking_action_assign(env: Env, ids: Any) -> bool:
    for pid in _as_ids(ids):
        reserve_picking(env, pid)
    return True


def picking_action_cancel(env: Env, ids: Any) -> bool:
    for pid in _as_ids(ids):
        cancel_picking(env, pid)
    return True


def backorder_process(env: Env, ids: Any) -> bool:
    return _backorder(env, ids, cancel=False)


def backorder_process_cancel(env: Env, ids: Any) -> bool:
    return _backorder(env, ids, cancel=True)


def _backorder(env: Env, ids: Any, cancel: bool) -> bool:
    for wid in _as_ids(ids):
        wiz = env.db.tables["stock.backorder.confirmation"][wid]
        picks = list(env.context.get("button_validate_picking_ids") or wiz.get("pick_ids") or [])
        extra = {"skip_backorder": True}
        if cancel:
            extra["picking_ids_not_to_backorder"] = list(wiz.get("pick_ids") or [])
        picking_button_validate(env.with_context(**extra), picks)
    return True


def quant_action_apply_inventory(env: Env, ids: Any) -> None:
    for qid in _as_ids(ids):
        q = env.db.tables["stock.quant"][qid]
        env.set(
            "stock.quant",
            qid,
            quantity=float(q.get("inventory_quantity") or 0.0),
            inventory_quantity=0.0,
            inventory_quantity_set=False,
        )
    after_stock_change(env)
    return None  # Odoo returns nothing: the JSON-RPC body then has no "result" key


def after_stock_change(env: Env) -> None:
    """On 19 a waiting picking reserves by itself once stock arrives; on 17/18 it waits for action_assign."""
    if env.version < 19:
        return
    for pid in env.search("stock.picking", [("state", "in", ["confirmed", "assigned"])]):
        moves = env.search(
            "stock.move", [("picking_id", "=", pid), ("state", "in", ["confirmed", "partially_available"])]
        )
        if moves:
            reserve_picking(env, pid)


def move_action_post(env: Env, ids: Any) -> bool:
    for mid in _as_ids(ids):
        move = env.db.tables["account.move"].get(mid)
        if move is None:
            from .orm import MissingError

            raise MissingError(
                f"Record does not exist or has been deleted.\n(Record: account.move({mid},), User: {env.uid})"
            )
        if move.get("state") != "draft":
            raise UserError("Only draft journal entries can be posted.")
        mtype = move.get("move_type")
        lines = env.search("account.move.line", [("move_id", "=", mid)])
        if mtype != "entry":
            if not move.get("partner_id"):
                label = "Customer" if mtype.startswith("out") else "Vendor"
                raise UserError(
                    f"The field '{label}' is required, please complete it to validate the {_move_label(mtype)}."  # noqa: E501
                )
            if not lines:
                raise UserError("You need to add a line before posting.")
        else:
            debit = sum(float(env.db.tables["account.move.line"][lid].get("debit") or 0) for lid in lines)
            credit = sum(float(env.db.tables["account.move.line"][lid].get("credit") or 0) for lid in lines)
            if not lines or round(debit - credit, 2) != 0:
                raise UserError(
                    "The move is not balanced.\nThe total of debits equals "
                    f"{debit:.2f} and the total of credits equals {credit:.2f}."
                )
        journal = env.db.tables["account.journal"].get(move.get("journal_id")) or {}
        year = (move.get("date") or _today(env))[:4]
        prefix = {"out_invoice": "INV", "out_refund": "RINV"}.get(mtype, journal.get("code") or "MISC")
        n = env.next_sequence(f"account.move/{prefix}/{year}")
        vals: dict[str, Any] = {"state": "posted", "name": f"{prefix}/{year}/{n:05d}"}
        if mtype != "entry" and not move.get("invoice_date"):
            vals["invoice_date"] = _today(env)
        env.set("account.move", mid, **vals)
    return False  # account.move.action_post returns False (API-NOTES I)


def _move_label(mtype: str) -> str:
    return {"out_invoice": "Customer Invoice", "out_refund": "Customer Credit Note"}.get(
        mtype, "Journal Entry"
    )


def move_button_draft(env: Env, ids: Any) -> bool:
    for mid in _as_ids(ids):
        env.set("account.move", mid, state="draft")
    return True


def move_button_cancel(env: Env, ids: Any) -> bool:
    for mid in _as_ids(ids):
        if env.db.tables["account.move"][mid].get("state") == "posted":
            raise UserError("You cannot cancel a posted journal entry; reset it to draft first.")
        env.set("account.move", mid, state="cancel")
    return True


def payment_action_post(env: Env, ids: Any) -> bool:
    for pid in _as_ids(ids):
        pay = env.db.tables["account.payment"][pid]
        if pay.get("state") not in ("draft",):
            raise UserError("Only a draft payment can be posted.")
        journal = env.db.tables["account.journal"].get(pay.get("journal_id")) or {}
        year = (pay.get("date") or _today(env))[:4]
        code = journal.get("code") or "BNK1"
        prefix = f"P{code}" if env.version >= 18 else code
        n = env.next_sequence(f"account.payment/{prefix}/{year}")
        env.set(
            "account.payment",
            pid,
            state="in_process" if env.version >= 18 else "posted",
            name=f"{prefix}/{year}/{n:05d}",
        )
    return True


def users_context_get(env: Env, ids: Any) -> dict[str, Any]:
    user = env.db.tables["res.users"].get(env.uid) or {}
    return {"lang": user.get("lang") or "en_US", "tz": user.get("tz") or "Europe/Brussels", "uid": env.uid}


# --------------------------------------------------------------------------------------------------
# Hooks


def _so_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    rec = env.db.tables["sale.order"][rid]
    if not rec.get("name") or rec.get("name") == "New":
        rec["name"] = f"S{env.next_sequence('sale.order'):05d}"
    partner = rec["partner_id"]
    for fname, ptype in (("partner_invoice_id", "invoice"), ("partner_shipping_id", "delivery")):
        if not rec.get(fname):
            child = env.search("res.partner", [("parent_id", "=", partner), ("type", "=", ptype)], limit=1)
            rec[fname] = child[0] if child else partner


def _sol_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    rec = env.db.tables["sale.order.line"][rid]
    order = env.db.tables["sale.order"][rec["order_id"]]
    if order.get("state") == "cancel":
        raise UserError("You cannot add lines to a cancelled order.")
    pid = rec.get("product_id")
    tax_f = "tax_ids" if env.version >= 19 else "tax_id"
    uom_f = "product_uom_id" if env.version >= 19 else "product_uom"
    if pid:
        if "name" not in vals or not rec.get("name"):
            rec["name"] = env.display_name("product.product", pid)
        if "price_unit" not in vals:
            rec["price_unit"] = float(env.raw("product.product", pid, "lst_price") or 0.0)
        if tax_f not in vals:
            rec[tax_f] = list(env.raw("product.product", pid, "taxes_id") or [])
        if not rec.get(uom_f):
            rec[uom_f] = env.raw("product.product", pid, "uom_id") or False
    elif not rec.get("display_type"):
        raise ValidationError("Missing required product and UoM on accountable sale order line.")
    if order.get("state") == "sale" and pid and env.raw("product.product", pid, "type") != "service":
        # Odoo adds a move for a line added to a confirmed order
        picks = env.search(
            "stock.picking",
            [("sale_id", "=", rec["order_id"]), ("state", "not in", ["done", "cancel"])],
            limit=1,
        )
        if picks:
            pick = env.db.tables["stock.picking"][picks[0]]
            env.create(
                "stock.move",
                {
                    "name": rec.get("name") or "",
                    "product_id": pid,
                    "product_uom_qty": float(rec.get("product_uom_qty") or 0),
                    "picking_id": picks[0],
                    "location_id": pick["location_id"],
                    "location_dest_id": pick["location_dest_id"],
                    "sale_line_id": rid,
                    "state": "confirmed",
                },
            )
            reserve_picking(env, picks[0])


def _sol_unlink(env: Env, ids: list[int]) -> None:
    for lid in ids:
        line = env.db.tables["sale.order.line"][lid]
        order = env.db.tables["sale.order"].get(line["order_id"]) or {}
        if order.get("state") == "sale" and not line.get("display_type"):
            raise UserError(
                "You can not remove an order line once the sales order is confirmed.\n"
                "You should rather set the quantity to 0."
            )


def _so_unlink(env: Env, ids: list[int]) -> None:
    for oid in ids:
        if env.db.tables["sale.order"][oid].get("state") not in ("draft", "cancel"):
            raise UserError(
                "You can not delete a sent quotation or a confirmed sales order. You must first cancel it."
            )


def _so_write(env: Env, ids: list[int], vals: dict[str, Any]) -> None:
    for oid in ids:
        order = env.db.tables["sale.order"][oid]
        if order.get("locked") and set(vals) - {"locked", "note", "client_order_ref"}:
            raise UserError(
                "It is forbidden to modify the following fields in a locked order:\n"
                + "\n".join(sorted(vals))
            )


def _imd_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    _imd_unique(env, [rid])


def _imd_write(env: Env, ids: list[int], vals: dict[str, Any]) -> None:
    _imd_unique(env, ids)


def _imd_unique(env: Env, ids: list[int]) -> None:
    table = env.db.tables["ir.model.data"]
    for rid in ids:
        rec = table[rid]
        key = (rec.get("module"), rec.get("name"))
        for oid, other in table.items():
            if oid != rid and (other.get("module"), other.get("name")) == key:
                raise ValidationError(
                    "The operation cannot be completed: duplicate key value violates unique constraint "
                    f'"ir_model_data_module_name_uniq_index"\nDETAIL:  Key (module, name)=({key[0]}, {key[1]}) already exists.'  # noqa: E501
                )


def _quant_write(env: Env, ids: list[int], vals: dict[str, Any]) -> None:
    if "quantity" in vals:
        after_stock_change(env)


def _aml_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    rec = env.db.tables["account.move.line"][rid]
    move = env.db.tables["account.move"].get(rec.get("move_id")) or {}
    if move.get("state") == "posted":
        raise UserError("You cannot modify a posted journal entry.")
    if rec.get("product_id") and not rec.get("name"):
        rec["name"] = env.display_name("product.product", rec["product_id"])
    if rec.get("product_id") and "price_unit" not in vals and move.get("move_type") != "entry":
        rec["price_unit"] = float(env.raw("product.product", rec["product_id"], "lst_price") or 0.0)
    if rec.get("product_id") and "tax_ids" not in vals and move.get("move_type") != "entry":
        rec["tax_ids"] = list(env.raw("product.product", rec["product_id"], "taxes_id") or [])


def _partner_display(env: Env, rec: dict[str, Any]) -> str:
    name = rec.get("name") or ""
    parent = rec.get("parent_id")
    if parent and env.exists("res.partner", parent):
        pname = env.display_name("res.partner", parent)
        if not name:
            name = {"invoice": "Invoice Address", "delivery": "Delivery Address"}.get(
                rec.get("type") or "", ""
            )
        return f"{pname}, {name}" if name else pname
    return name


def _location_complete_name(env: Env, rec: dict[str, Any], depth: int = 0) -> str:
    """Odoo: ``parent.complete_name/name`` unless the location is a view or has no parent."""
    name = rec.get("name") or ""
    parent = rec.get("location_id")
    if parent and rec.get("usage") != "view" and depth < 20 and env.exists("stock.location", parent):
        prec = env.db.tables["stock.location"][parent]
        return f"{_location_complete_name(env, {**prec, 'id': parent}, depth + 1)}/{name}"
    return name


def _product_display(env: Env, rec: dict[str, Any]) -> str:
    tmpl = rec.get("product_tmpl_id")
    name = env.raw("product.template", tmpl, "name") if tmpl else ""
    variant = rec.get("variant_label")
    if variant:
        name = f"{name} ({variant})"
    code = rec.get("default_code")
    return f"[{code}] {name}" if code else str(name)


# --------------------------------------------------------------------------------------------------
# Registry


def build_registry(version: int) -> dict[str, Model]:
    v = version
    tax_f = "tax_ids" if v >= 19 else "tax_id"
    uom_f = "product_uom_id" if v >= 19 else "product_uom"
    groups_f = "group_ids" if v >= 19 else "groups_id"

    def so_amounts(env: Env, rec: dict[str, Any]) -> tuple[float, float]:
        untaxed = tax = 0.0
        for lid in env.search("sale.order.line", [("order_id", "=", rec["id"])]):
            a, t = _line_amounts(env, "sale.order.line", lid, "product_uom_qty", tax_f)
            untaxed += a
            tax += t
        return _r2(untaxed), _r2(tax)

    def move_amounts(env: Env, rec: dict[str, Any]) -> tuple[float, float]:
        untaxed = tax = 0.0
        for lid in env.search("account.move.line", [("move_id", "=", rec["id"])]):
            line = env.db.tables["account.move.line"][lid]
            if rec.get("move_type") == "entry":
                untaxed += float(line.get("debit") or 0)
                continue
            if line.get("display_type") in ("line_section", "line_note"):
                continue
            a, t = _line_amounts(env, "account.move.line", lid, "quantity", "tax_ids")
            untaxed += a
            tax += t
        return _r2(untaxed), _r2(tax)

    def qty_delivered(env: Env, rec: dict[str, Any]) -> float:
        total = 0.0
        for mid in env.search("stock.move", [("sale_line_id", "=", rec["id"]), ("state", "=", "done")]):
            total += float(env.db.tables["stock.move"][mid].get("quantity") or 0)
        return total

    def line_subtotal(env: Env, rec: dict[str, Any]) -> float:
        return _line_amounts(env, "sale.order.line", rec["id"], "product_uom_qty", tax_f)[0]

    def line_total(env: Env, rec: dict[str, Any]) -> float:
        a, t = _line_amounts(env, "sale.order.line", rec["id"], "product_uom_qty", tax_f)
        return _r2(a + t)

    def product_qty(field: str) -> Callable[[Env, dict[str, Any]], float]:
        def compute(env: Env, rec: dict[str, Any]) -> float:
            return qty_in(env, rec["id"], all_internal(env), field)

        return compute

    partner_fields = {
        "name": F("char", "Name"),
        "complete_name": F("char", "Complete Name", compute=lambda e, r: _partner_display(e, r), store=False),
        "email": F("char", "Email"),
        "phone": F("char", "Phone"),
        "street": F("char", "Street"),
        "street2": F("char", "Street2"),
        "zip": F("char", "Zip"),
        "city": F("char", "City"),
        "state_id": F("many2one", "State", relation="res.country.state"),
        "country_id": F("many2one", "Country", relation="res.country"),
        "ref": F("char", "Reference"),
        "vat": F("char", "Tax ID"),
        "company_name": F("char", "Company Name"),
        "website": F("char", "Website Link"),
        "lang": F("char", "Language", default="en_US"),
        "comment": F("html", "Notes"),
        "is_company": F("boolean", "Is a Company", default=False),
        "company_type": F(
            "selection",
            "Company Type",
            selection=_sel("person", "company"),
            store=False,
            compute=lambda e, r: "company" if r.get("is_company") else "person",
        ),
        "parent_id": F("many2one", "Related Company", relation="res.partner"),
        "child_ids": F("one2many", "Contact", relation="res.partner", inverse_name="parent_id"),
        "type": F(
            "selection",
            "Address Type",
            selection=_sel("contact", "invoice", "delivery", "other"),
            default="contact",
        ),
        "active": F("boolean", "Active", default=True),
        "company_id": F("many2one", "Company", relation="res.company"),
        "customer_rank": F("integer", "Customer Rank", default=0),
        "user_ids": F("one2many", "Users", relation="res.users", inverse_name="partner_id"),
    }
    if v <= 18:
        partner_fields["mobile"] = F("char", "Mobile")

    template_fields: dict[str, Field] = {
        "name": F("char", "Name", required=True),
        "default_code": F("char", "Internal Reference"),
        "barcode": F("char", "Barcode"),
        "list_price": F("float", "Sales Price", default=1.0),
        "standard_price": F("float", "Cost", default=0.0),
        "sale_ok": F("boolean", "Can be Sold", default=True),
        "purchase_ok": F("boolean", "Can be Purchased", default=True),
        "active": F("boolean", "Active", default=True),
        "taxes_id": F("many2many", "Sales Taxes", relation="account.tax"),
        "uom_id": F("many2one", "Unit", relation="uom.uom", default=_first("uom.uom")),
        "categ_id": F(
            "many2one", "Product Category", relation="product.category", default=_first("product.category")
        ),
        "description_sale": F("text", "Sales Description"),
        "product_variant_ids": F(
            "one2many", "Products", relation="product.product", inverse_name="product_tmpl_id"
        ),
        "company_id": F("many2one", "Company", relation="res.company"),
    }
    if v >= 18:
        template_fields["type"] = F(
            "selection",
            "Product Type",
            selection=_sel("consu", "service", "combo"),
            default="consu",
            required=True,
        )
        template_fields["is_storable"] = F("boolean", "Track Inventory", default=False)
    else:
        template_fields["type"] = F(
            "selection",
            "Product Type",
            selection=_sel("consu", "service", "product"),
            default="consu",
            required=True,
        )
        template_fields["detailed_type"] = F(
            "selection",
            "Product Type",
            selection=_sel("consu", "service", "product"),
            store=False,
            compute=lambda e, r: r.get("type") or "consu",
        )

    sol_fields: dict[str, Field] = {
        "order_id": F("many2one", "Order Reference", relation="sale.order", required=True),
        "sequence": F("integer", "Sequence", default=10),
        "product_id": F("many2one", "Product", relation="product.product"),
        "name": F("text", "Description"),
        "product_uom_qty": F("float", "Quantity", default=1.0),
        "price_unit": F("float", "Unit Price", default=0.0),
        "discount": F("float", "Discount (%)", default=0.0),
        tax_f: F("many2many", "Taxes", relation="account.tax"),
        uom_f: F("many2one", "Unit", relation="uom.uom"),
        "display_type": F("selection", "Display Type", selection=_sel("line_section", "line_note")),
        "is_delivery": F("boolean", "Is a Delivery", default=False),
        "qty_delivered": F("float", "Delivery Quantity", compute=qty_delivered, store=False),
        "qty_invoiced": F("float", "Invoiced Quantity", compute=lambda e, r: 0.0, store=False),
        "price_subtotal": F("monetary", "Subtotal", compute=line_subtotal, store=False),
        "price_total": F("monetary", "Total", compute=line_total, store=False),
        "state": F(
            "selection",
            "Order Status",
            selection=_sel("draft", "sent", "sale", "cancel"),
            store=False,
            compute=lambda e, r: e.raw("sale.order", r["order_id"], "state"),
        ),
        "currency_id": F(
            "many2one",
            "Currency",
            relation="res.currency",
            store=False,
            compute=lambda e, r: e.raw("sale.order", r["order_id"], "currency_id"),
        ),
        "move_ids": F("one2many", "Stock Moves", relation="stock.move", inverse_name="sale_line_id"),
    }

    account_move_fields: dict[str, Field] = {
        "name": F("char", "Number", default="/"),
        "move_type": F(
            "selection",
            "Type",
            selection=_sel(
                "entry", "out_invoice", "out_refund", "in_invoice", "in_refund", "out_receipt", "in_receipt"
            ),
            default="entry",
            required=True,
        ),
        "state": F(
            "selection", "Status", selection=_sel("draft", "posted", "cancel"), default="draft", required=True
        ),
        "partner_id": F("many2one", "Partner", relation="res.partner"),
        "date": F("date", "Date", default=lambda e, vals: _today(e)),
        "invoice_date": F("date", "Invoice/Bill Date"),
        "ref": F("char", "Reference"),
        "invoice_origin": F("char", "Origin"),
        "narration": F("html", "Terms and Conditions"),
        "journal_id": F(
            "many2one",
            "Journal",
            relation="account.journal",
            required=True,
            default=lambda e, vals: (
                e.search(
                    "account.journal",
                    [
                        (
                            "type",
                            "=",
                            "sale" if str(vals.get("move_type", "entry")).startswith("out") else "general",
                        )
                    ],
                    limit=1,
                )
                or [False]
            )[0],
        ),
        "currency_id": F(
            "many2one",
            "Currency",
            relation="res.currency",
            default=lambda e, vals: e.raw("res.company", 1, "currency_id"),
        ),
        "company_id": F("many2one", "Company", relation="res.company", default=_company),
        "line_ids": F("one2many", "Journal Items", relation="account.move.line", inverse_name="move_id"),
        "invoice_line_ids": F(
            "one2many", "Invoice lines", relation="account.move.line", inverse_name="move_id"
        ),
        "reversed_entry_id": F("many2one", "Reversal of", relation="account.move"),
        "amount_untaxed": F(
            "monetary", "Untaxed Amount", store=False, compute=lambda e, r: move_amounts(e, r)[0]
        ),
        "amount_tax": F("monetary", "Tax", store=False, compute=lambda e, r: move_amounts(e, r)[1]),
        "amount_total": F(
            "monetary", "Total", store=False, compute=lambda e, r: _r2(sum(move_amounts(e, r)))
        ),
        "amount_residual": F(
            "monetary",
            "Amount Due",
            store=False,
            compute=lambda e, r: _r2(sum(move_amounts(e, r))),  # no reconciliation: nothing is ever paid
        ),
        "payment_state": F(
            "selection",
            "Payment Status",
            selection=_sel("not_paid", "in_payment", "paid", "partial", "reversed", "invoicing_legacy"),
            default="not_paid",
        ),
    }

    payment_fields: dict[str, Field] = {
        "name": F("char", "Number", default="/"),
        "payment_type": F(
            "selection",
            "Payment Type",
            selection=_sel("outbound", "inbound"),
            default="inbound",
            required=True,
        ),
        "partner_type": F(
            "selection", "Partner Type", selection=_sel("customer", "supplier"), default="customer"
        ),
        "amount": F("monetary", "Amount", default=0.0),
        "journal_id": F(
            "many2one",
            "Journal",
            relation="account.journal",
            required=True,
            default=_first("account.journal", [("type", "in", ["bank", "cash"])]),
        ),
        "partner_id": F("many2one", "Customer/Vendor", relation="res.partner"),
        "date": F("date", "Date", default=lambda e, vals: _today(e)),
        "currency_id": F(
            "many2one",
            "Currency",
            relation="res.currency",
            default=lambda e, vals: e.raw("res.company", 1, "currency_id"),
        ),
        "company_id": F("many2one", "Company", relation="res.company", default=_company),
    }
    if v >= 18:
        payment_fields["memo"] = F("char", "Memo")
        payment_fields["state"] = F(
            "selection",
            "Status",
            selection=_sel("draft", "in_process", "paid", "canceled", "rejected"),
            default="draft",
            required=True,
        )
    else:
        payment_fields["ref"] = F("char", "Reference")
        payment_fields["state"] = F(
            "selection", "Status", selection=_sel("draft", "posted", "cancel"), default="draft", required=True
        )

    user_fields: dict[str, Field] = {
        "login": F("char", "Login", required=True),
        "name": F(
            "char",
            "Name",
            store=False,
            compute=lambda e, r: (
                e.raw("res.partner", r.get("partner_id"), "name") if r.get("partner_id") else ""
            ),
        ),
        "partner_id": F("many2one", "Related Partner", relation="res.partner", required=True),
        "company_id": F("many2one", "Company", relation="res.company", default=_company),
        "company_ids": F("many2many", "Companies", relation="res.company"),
        groups_f: F("many2many", "Groups", relation="res.groups"),
        "active": F("boolean", "Active", default=True),
        "lang": F("char", "Language", default="en_US"),
        "tz": F("char", "Timezone", default="Europe/Brussels"),
        "share": F("boolean", "Share User", default=False),
    }

    reg: list[Model] = [
        Model(
            "res.currency",
            "Currency",
            {
                "name": F("char", "Currency", required=True),
                "symbol": F("char", "Symbol"),
                "full_name": F("char", "Name"),
                "active": F("boolean", "Active", default=True),
                "decimal_places": F("integer", "Decimal Places", default=2),
                "rounding": F("float", "Rounding Factor", default=0.01),
            },
            order="active desc, name",
        ),
        Model(
            "res.company",
            "Companies",
            {
                "name": F("char", "Company Name", required=True),
                "partner_id": F("many2one", "Partner", relation="res.partner"),
                "currency_id": F("many2one", "Currency", relation="res.currency", required=True),
                "country_id": F("many2one", "Country", relation="res.country"),
                "email": F("char", "Email"),
                "vat": F("char", "Tax ID"),
                "sequence": F("integer", "Sequence", default=10),
            },
            order="sequence, name",
        ),
        Model(
            "res.groups",
            "Access Groups",
            {
                "name": F("char", "Name", required=True),
                "full_name": F("char", "Group Name"),
                "xml_id": F("char", "External ID"),
            },
        ),
        Model(
            "res.users",
            "User",
            user_fields,
            order="name, login",
            rec_name="login",
            display_name=lambda e, r: (
                e.raw("res.partner", r.get("partner_id"), "name")
                if r.get("partner_id")
                else r.get("login", "")
            ),
        ),
        Model(
            "res.lang",
            "Languages",
            {
                "name": F("char", "Name", required=True),
                "code": F("char", "Locale Code", required=True),
                "iso_code": F("char", "ISO code"),
                "active": F("boolean", "Active", default=False),
                "direction": F("selection", "Direction", selection=_sel("ltr", "rtl"), default="ltr"),
            },
            order="active desc, name",
        ),
        Model(
            "res.country",
            "Country",
            {
                "name": F("char", "Country Name", required=True),
                "code": F("char", "Country Code"),
                "phone_code": F("integer", "Country Calling Code"),
                "currency_id": F("many2one", "Currency", relation="res.currency"),
                "state_ids": F("one2many", "States", relation="res.country.state", inverse_name="country_id"),
            },
            order="name",
        ),
        Model(
            "res.country.state",
            "Country state",
            {
                "name": F("char", "State Name", required=True),
                "code": F("char", "State Code", required=True),
                "country_id": F("many2one", "Country", relation="res.country", required=True),
            },
            order="country_id, name",
            display_name=lambda e, r: f"{r.get('name')} ({e.raw('res.country', r['country_id'], 'code')})",
        ),
        Model(
            "res.partner",
            "Contact",
            partner_fields,
            order="complete_name ASC, id DESC",
            parent_name="parent_id",
            display_name=_partner_display,
        ),
        Model(
            "uom.uom",
            "Product Unit of Measure",
            {
                "name": F("char", "Unit", required=True),
                "active": F("boolean", "Active", default=True),
                "factor": F("float", "Ratio", default=1.0),
            },
        ),
        Model(
            "product.category",
            "Product Category",
            {
                "name": F("char", "Name", required=True),
                "parent_id": F("many2one", "Parent Category", relation="product.category"),
            },
            parent_name="parent_id",
        ),
        Model(
            "product.template",
            "Product",
            template_fields,
            order="is_favorite desc, name, id" if False else "name, id",
        ),
        Model(
            "product.product",
            "Product",
            {
                "product_tmpl_id": F(
                    "many2one", "Product Template", relation="product.template", required=True
                ),
                "default_code": F("char", "Internal Reference"),
                "barcode": F("char", "Barcode"),
                "active": F("boolean", "Active", default=True),
                "variant_label": F("char", "Variant"),
                "lst_price": F(
                    "float",
                    "Sales Price",
                    store=False,
                    compute=lambda e, r: e.raw("product.template", r["product_tmpl_id"], "list_price"),
                ),
                "qty_available": F("float", "Quantity On Hand", store=False, compute=product_qty("quantity")),
                "free_qty": F("float", "Free To Use Quantity", store=False, compute=product_qty("available")),
            },
            order="default_code, name, id",
            inherits=("product.template", "product_tmpl_id"),
            display_name=_product_display,
        ),
        Model(
            "product.pricelist",
            "Pricelist",
            {
                "name": F("char", "Pricelist Name", required=True),
                "active": F("boolean", "Active", default=True),
                "currency_id": F("many2one", "Currency", relation="res.currency", required=True),
                "company_id": F("many2one", "Company", relation="res.company"),
                "sequence": F("integer", "Sequence", default=16),
            },
            order="sequence, id",
        ),
        Model(
            "account.account",
            "Account",
            {
                "name": F("char", "Account Name", required=True),
                "code": F("char", "Code", required=True),
                "account_type": F(
                    "selection",
                    "Type",
                    selection=_sel(
                        "asset_receivable",
                        "asset_cash",
                        "asset_current",
                        "liability_payable",
                        "liability_current",
                        "income",
                        "expense",
                        "equity",
                    ),
                    required=True,
                ),
                "active": F("boolean", "Active", default=True),
            },
            order="code",
            display_name=lambda e, r: f"{r.get('code')} {r.get('name')}",
        ),
        Model(
            "account.tax",
            "Tax",
            {
                "name": F("char", "Tax Name", required=True),
                "amount": F("float", "Amount", default=0.0),
                "amount_type": F(
                    "selection",
                    "Tax Computation",
                    selection=_sel("group", "fixed", "percent", "division"),
                    default="percent",
                ),
                "type_tax_use": F(
                    "selection", "Tax Type", selection=_sel("sale", "purchase", "none"), default="sale"
                ),
                "price_include": F("boolean", "Included in Price", default=False),
                "active": F("boolean", "Active", default=True),
                "company_id": F("many2one", "Company", relation="res.company", default=_company),
                "sequence": F("integer", "Sequence", default=1),
                "description": F("char", "Label on Invoices"),
            },
            order="sequence,id",
        ),
        Model(
            "account.journal",
            "Journal",
            {
                "name": F("char", "Journal Name", required=True),
                "code": F("char", "Short Code", required=True),
                "type": F(
                    "selection",
                    "Type",
                    selection=_sel("sale", "purchase", "cash", "bank", "general", "credit"),
                    required=True,
                ),
                "active": F("boolean", "Active", default=True),
                "company_id": F("many2one", "Company", relation="res.company", default=_company),
                "currency_id": F("many2one", "Currency", relation="res.currency"),
                "default_account_id": F("many2one", "Default Account", relation="account.account"),
                "sequence": F("integer", "Sequence", default=10),
            },
            order="sequence, type, code",
        ),
        Model(
            "delivery.carrier",
            "Shipping Methods",
            {
                "name": F("char", "Delivery Method", required=True),
                "product_id": F("many2one", "Delivery Product", relation="product.product", required=True),
                "delivery_type": F(
                    "selection",
                    "Provider",
                    selection=_sel("base_on_rule", "fixed"),
                    default="fixed",
                    required=True,
                ),
                "fixed_price": F("float", "Fixed Price", default=0.0),
                "active": F("boolean", "Active", default=True),
                "company_id": F("many2one", "Company", relation="res.company"),
                "sequence": F("integer", "Sequence", default=10),
            },
            order="sequence, id",
        ),
        Model(
            "stock.location",
            "Inventory Locations",
            {
                "name": F("char", "Location Name", required=True),
                "complete_name": F(
                    "char", "Full Location Name", store=False, compute=_location_complete_name
                ),
                "location_id": F("many2one", "Parent Location", relation="stock.location"),
                "child_ids": F("one2many", "Contains", relation="stock.location", inverse_name="location_id"),
                "usage": F(
                    "selection",
                    "Location Type",
                    selection=_sel(
                        "supplier", "view", "internal", "customer", "inventory", "production", "transit"
                    ),
                    default="internal",
                    required=True,
                ),
                "active": F("boolean", "Active", default=True),
                "company_id": F("many2one", "Company", relation="res.company"),
                "warehouse_id": F(
                    "many2one",
                    "Warehouse",
                    relation="stock.warehouse",
                    store=False,
                    compute=lambda e, r: _warehouse_of(e, r["id"]),
                ),
            },
            order="complete_name, id",
            parent_name="location_id",
            display_name=_location_complete_name,
        ),
        Model(
            "stock.warehouse",
            "Warehouse",
            {
                "name": F("char", "Warehouse", required=True),
                "code": F("char", "Short Name", required=True),
                "lot_stock_id": F("many2one", "Location Stock", relation="stock.location", required=True),
                "view_location_id": F("many2one", "View Location", relation="stock.location"),
                "out_type_id": F("many2one", "Out Type", relation="stock.picking.type"),
                "company_id": F("many2one", "Company", relation="res.company", default=_company),
                "active": F("boolean", "Active", default=True),
            },
            order="sequence,id" if False else "id",
        ),
        Model(
            "stock.picking.type",
            "Picking Type",
            {
                "name": F("char", "Operation Type", required=True),
                "code": F(
                    "selection",
                    "Type of Operation",
                    selection=_sel("incoming", "outgoing", "internal"),
                    required=True,
                ),
                "sequence_code": F("char", "Sequence Prefix", required=True),
                "warehouse_id": F("many2one", "Warehouse", relation="stock.warehouse"),
                "default_location_src_id": F(
                    "many2one", "Default Source Location", relation="stock.location"
                ),
                "default_location_dest_id": F(
                    "many2one", "Default Destination Location", relation="stock.location"
                ),
                "active": F("boolean", "Active", default=True),
            },
            display_name=lambda e, r: (
                f"{e.raw('stock.warehouse', r['warehouse_id'], 'name')}: {r.get('name')}"
                if r.get("warehouse_id")
                else r.get("name", "")
            ),
        ),
        Model(
            "stock.quant",
            "Quants",
            {
                "product_id": F("many2one", "Product", relation="product.product", required=True),
                "location_id": F("many2one", "Location", relation="stock.location", required=True),
                "lot_id": F("many2one", "Lot/Serial Number", relation="stock.lot"),
                "quantity": F("float", "Quantity", default=0.0),
                "reserved_quantity": F("float", "Reserved Quantity", default=0.0),
                "available_quantity": F(
                    "float",
                    "Available Quantity",
                    store=False,
                    compute=lambda e, r: (
                        float(r.get("quantity") or 0) - float(r.get("reserved_quantity") or 0)
                    ),
                ),
                "inventory_quantity": F("float", "Counted Quantity", default=0.0),
                "inventory_quantity_set": F("boolean", "Inventory Quantity Set", default=False),
                "company_id": F("many2one", "Company", relation="res.company", default=_company),
                "warehouse_id": F(
                    "many2one",
                    "Warehouse",
                    relation="stock.warehouse",
                    store=False,
                    compute=lambda e, r: _warehouse_of(e, r["location_id"]),
                ),
            },
            rec_name=None,
            display_name=lambda e, r: e.display_name("product.product", r["product_id"]),
        ),
        Model(
            "stock.lot",
            "Lot/Serial",
            {
                "name": F("char", "Lot/Serial Number", required=True),
                "product_id": F("many2one", "Product", relation="product.product", required=True),
            },
        ),
        Model(
            "stock.picking",
            "Transfer",
            {
                "name": F("char", "Reference", default="/"),
                "origin": F("char", "Source Document"),
                "state": F(
                    "selection",
                    "Status",
                    selection=_sel("draft", "waiting", "confirmed", "assigned", "done", "cancel"),
                    default="draft",
                ),
                "partner_id": F("many2one", "Contact", relation="res.partner"),
                "picking_type_id": F(
                    "many2one", "Operation Type", relation="stock.picking.type", required=True
                ),
                "location_id": F("many2one", "Source Location", relation="stock.location", required=True),
                "location_dest_id": F(
                    "many2one", "Destination Location", relation="stock.location", required=True
                ),
                "move_ids": F("one2many", "Stock Moves", relation="stock.move", inverse_name="picking_id"),
                "move_line_ids": F(
                    "one2many", "Operations", relation="stock.move.line", inverse_name="picking_id"
                ),
                "sale_id": F("many2one", "Sales Order", relation="sale.order"),
                "backorder_id": F("many2one", "Back Order of", relation="stock.picking"),
                "scheduled_date": F("datetime", "Scheduled Date", default=_now),
                "date_done": F("datetime", "Date of Transfer"),
                "carrier_id": F("many2one", "Carrier", relation="delivery.carrier"),
                "carrier_tracking_ref": F("char", "Tracking Reference"),
                "move_type": F(
                    "selection", "Shipping Policy", selection=_sel("direct", "one"), default="direct"
                ),
                "company_id": F("many2one", "Company", relation="res.company", default=_company),
                "picking_type_code": F(
                    "selection",
                    "Type of Operation",
                    selection=_sel("incoming", "outgoing", "internal"),
                    store=False,
                    compute=lambda e, r: e.raw("stock.picking.type", r["picking_type_id"], "code"),
                ),
            },
            order="priority desc, scheduled_date asc, id desc" if False else "scheduled_date asc, id desc",
            on_create=lambda e, rid, vals: _picking_name(e, rid),
        ),
        Model(
            "stock.move",
            "Stock Move",
            {
                "name": F("char", "Description"),
                "product_id": F("many2one", "Product", relation="product.product", required=True),
                "product_uom_qty": F("float", "Demand", default=0.0),
                "quantity": F("float", "Quantity", default=0.0),
                "picked": F("boolean", "Picked", default=False),
                "state": F(
                    "selection",
                    "Status",
                    selection=_sel(
                        "draft", "waiting", "confirmed", "partially_available", "assigned", "done", "cancel"
                    ),
                    default="draft",
                ),
                "picking_id": F("many2one", "Transfer", relation="stock.picking"),
                "location_id": F("many2one", "Source Location", relation="stock.location", required=True),
                "location_dest_id": F(
                    "many2one", "Destination Location", relation="stock.location", required=True
                ),
                "sale_line_id": F("many2one", "Sale Line", relation="sale.order.line"),
                "move_line_ids": F(
                    "one2many", "Move Lines", relation="stock.move.line", inverse_name="move_id"
                ),
                "product_uom": F("many2one", "UoM", relation="uom.uom", default=_first("uom.uom")),
            },
            order="sequence, id" if False else "id",
        ),
        Model(
            "stock.move.line",
            "Product Moves (Stock Move Line)",
            {
                "move_id": F("many2one", "Stock Operation", relation="stock.move"),
                "picking_id": F("many2one", "Transfer", relation="stock.picking"),
                "product_id": F("many2one", "Product", relation="product.product", required=True),
                "location_id": F("many2one", "From", relation="stock.location", required=True),
                "location_dest_id": F("many2one", "To", relation="stock.location", required=True),
                "quantity": F("float", "Quantity", default=0.0),
                "picked": F("boolean", "Picked", default=False),
                "lot_id": F("many2one", "Lot/Serial Number", relation="stock.lot"),
                "state": F(
                    "selection",
                    "Status",
                    selection=_sel("draft", "assigned", "done", "cancel"),
                    default="assigned",
                ),
            },
            rec_name=None,
        ),
        Model(
            "stock.backorder.confirmation",
            "Backorder Confirmation",
            {
                "pick_ids": F("many2many", "Pickings", relation="stock.picking"),
                "show_transfers": F("boolean", "Show Transfers", default=False),
            },
            rec_name=None,
            transient=True,
        ),
        Model(
            "sale.order",
            "Sales Order",
            {
                "name": F("char", "Order Reference", default="New", required=True),
                "partner_id": F("many2one", "Customer", relation="res.partner", required=True),
                "partner_invoice_id": F("many2one", "Invoice Address", relation="res.partner"),
                "partner_shipping_id": F("many2one", "Delivery Address", relation="res.partner"),
                "client_order_ref": F("char", "Customer Reference"),
                "origin": F("char", "Source Document"),
                "date_order": F("datetime", "Order Date", default=_now, required=True),
                "pricelist_id": F(
                    "many2one", "Pricelist", relation="product.pricelist", default=_first("product.pricelist")
                ),
                "currency_id": F(
                    "many2one",
                    "Currency",
                    relation="res.currency",
                    default=lambda e, vals: e.raw("res.company", 1, "currency_id"),
                ),
                "order_line": F(
                    "one2many", "Order Lines", relation="sale.order.line", inverse_name="order_id"
                ),
                "state": F(
                    "selection", "Status", selection=_sel("draft", "sent", "sale", "cancel"), default="draft"
                ),
                "locked": F("boolean", "Locked", default=False),
                "note": F("html", "Terms and conditions"),
                "company_id": F(
                    "many2one", "Company", relation="res.company", default=_company, required=True
                ),
                "warehouse_id": F(
                    "many2one", "Warehouse", relation="stock.warehouse", default=_first("stock.warehouse")
                ),
                "user_id": F("many2one", "Salesperson", relation="res.users", default=lambda e, vals: e.uid),
                "carrier_id": F("many2one", "Delivery Method", relation="delivery.carrier"),
                "picking_ids": F("one2many", "Transfers", relation="stock.picking", inverse_name="sale_id"),
                "delivery_count": F(
                    "integer",
                    "Delivery Orders",
                    store=False,
                    compute=lambda e, r: len(e.search("stock.picking", [("sale_id", "=", r["id"])])),
                ),
                "invoice_ids": F(
                    "many2many",
                    "Invoices",
                    relation="account.move",
                    store=False,
                    compute=lambda e, r: e.search(
                        "account.move",
                        [
                            ("invoice_origin", "=", r.get("name")),
                            ("move_type", "in", ["out_invoice", "out_refund"]),
                        ],
                    ),
                ),
                "invoice_status": F(
                    "selection",
                    "Invoice Status",
                    selection=_sel("upselling", "invoiced", "to invoice", "no"),
                    store=False,
                    compute=lambda e, r: "to invoice" if r.get("state") == "sale" else "no",
                ),
                "amount_untaxed": F(
                    "monetary", "Untaxed Amount", store=False, compute=lambda e, r: so_amounts(e, r)[0]
                ),
                "amount_tax": F("monetary", "Taxes", store=False, compute=lambda e, r: so_amounts(e, r)[1]),
                "amount_total": F(
                    "monetary", "Total", store=False, compute=lambda e, r: _r2(sum(so_amounts(e, r)))
                ),
            },
            order="date_order desc, id desc",
            on_create=_so_create,
            before_unlink=_so_unlink,
            on_write=_so_write,
        ),
        Model(
            "sale.order.line",
            "Sales Order Line",
            sol_fields,
            order="order_id, sequence, id",
            on_create=_sol_create,
            before_unlink=_sol_unlink,
        ),
        Model(
            "sale.order.cancel",
            "Sales Order Cancel",
            {
                "order_id": F("many2one", "Sale Order", relation="sale.order", required=True),
            },
            rec_name=None,
            transient=True,
        ),
        Model("account.move", "Journal Entry", account_move_fields, order="date desc, name desc, id desc"),
        Model(
            "account.move.line",
            "Journal Item",
            {
                "move_id": F("many2one", "Journal Entry", relation="account.move", required=True),
                "product_id": F("many2one", "Product", relation="product.product"),
                "name": F("char", "Label"),
                "quantity": F("float", "Quantity", default=1.0),
                "price_unit": F("float", "Unit Price", default=0.0),
                "discount": F("float", "Discount (%)", default=0.0),
                "tax_ids": F("many2many", "Taxes", relation="account.tax"),
                "account_id": F("many2one", "Account", relation="account.account"),
                "debit": F("monetary", "Debit", default=0.0),
                "credit": F("monetary", "Credit", default=0.0),
                "display_type": F(
                    "selection",
                    "Display Type",
                    selection=_sel(
                        "product", "line_section", "line_note", "tax", "payment_term", "rounding", "cogs"
                    ),
                    default="product",
                ),
                "partner_id": F("many2one", "Partner", relation="res.partner"),
                "price_subtotal": F(
                    "monetary",
                    "Subtotal",
                    store=False,
                    compute=lambda e, r: _line_amounts(
                        e, "account.move.line", r["id"], "quantity", "tax_ids"
                    )[0],
                ),
                "price_total": F(
                    "monetary",
                    "Total",
                    store=False,
                    compute=lambda e, r: _r2(
                        sum(_line_amounts(e, "account.move.line", r["id"], "quantity", "tax_ids"))
                    ),
                ),
                "sale_line_ids": F("many2many", "Sales Order Lines", relation="sale.order.line"),
            },
            rec_name=None,
            on_create=_aml_create,
        ),
        Model("account.payment", "Payments", payment_fields, order="date desc, name desc"),
        Model(
            "ir.model.data",
            "Model Data",
            {
                "name": F("char", "External Identifier", required=True),
                "module": F("char", "Module", required=True),
                "model": F("char", "Model Name", required=True),
                "res_id": F("integer", "Record ID"),
                "noupdate": F("boolean", "Non Updatable", default=False),
                "complete_name": F(
                    "char",
                    "Complete ID",
                    store=False,
                    compute=lambda e, r: f"{r.get('module')}.{r.get('name')}",
                ),
            },
            order="module, model, name",
            on_create=_imd_create,
            on_write=_imd_write,
            display_name=lambda e, r: f"{r.get('module')}.{r.get('name')}",
        ),
        Model(
            "ir.config_parameter",
            "System Parameter",
            {
                "key": F("char", "Key", required=True),
                "value": F("text", "Value", required=True),
            },
            rec_name="key",
        ),
    ]
    registry = {m.name: m for m in reg}
    for m in reg:
        m.methods.update(orm_methods(m.name))
    so = registry["sale.order"].methods
    so["action_confirm"] = Method(so_action_confirm)
    so["action_cancel"] = Method(so_action_cancel)
    so["action_draft"] = Method(so_action_draft)
    so["action_lock"] = Method(so_action_lock)
    so["action_unlock"] = Method(so_action_unlock)
    registry["sale.order.cancel"].methods["action_cancel"] = Method(so_cancel_wizard_action_cancel)
    pk = registry["stock.picking"].methods
    pk["button_validate"] = Method(picking_button_validate)
    pk["action_assign"] = Method(picking_action_assign)
    pk["action_cancel"] = Method(picking_action_cancel)
    bo = registry["stock.backorder.confirmation"].methods
    bo["process"] = Method(backorder_process)
    bo["process_cancel_backorder"] = Method(backorder_process_cancel)
    registry["stock.quant"].methods["action_apply_inventory"] = Method(quant_action_apply_inventory)
    registry["stock.quant"].on_write = _quant_write
    registry["product.template"].on_create = _template_create
    am = registry["account.move"].methods
    am["action_post"] = Method(move_action_post)
    am["button_draft"] = Method(move_button_draft)
    am["button_cancel"] = Method(move_button_cancel)
    registry["account.payment"].methods["action_post"] = Method(payment_action_post)
    registry["res.users"].methods["context_get"] = Method(users_context_get, api_model=True, writes=False)
    return registry


def _template_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    """A template created on its own gets its single variant, as in Odoo."""
    if env.context.get("_create_from_child"):
        return
    variant = {"product_tmpl_id": rid}
    for key in ("default_code", "barcode"):
        if vals.get(key):
            variant[key] = vals[key]
    env.with_context(_create_from_child=True).create("product.product", variant)


def _warehouse_of(env: Env, location_id: Any) -> Any:
    for wid, wh in env.db.tables["stock.warehouse"].items():
        root = wh.get("view_location_id") or wh.get("lot_stock_id")
        if location_id and location_id in env.search(
            "stock.location", [("id", "child_of", root)], active_test=False
        ):
            return wid
    return False


def _picking_name(env: Env, rid: int) -> None:
    rec = env.db.tables["stock.picking"][rid]
    if rec.get("name") in (None, False, "/"):
        ptype = env.db.tables["stock.picking.type"][rec["picking_type_id"]]
        wh = env.db.tables["stock.warehouse"].get(ptype.get("warehouse_id")) or {"code": "WH"}
        code = ptype.get("sequence_code") or "OUT"
        n = env.next_sequence(f"picking/{wh['code']}/{code}")
        rec["name"] = f"{wh['code']}/{code}/{n:05d}"


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
}


def check_access(env: Env, model: str, method: str, can_write: bool) -> None:
    if can_write or method in READ_METHODS:
        return
    m = env.model(model)
    verb = {"create": "create", "write": "modify", "unlink": "delete"}.get(method, "modify")
    raise AccessError(
        f"You are not allowed to {verb} '{m.description}' ({model}) records.\n\n"
        "This operation is allowed for the following groups:\n\t- Sales/User: Own Documents Only\n\n"
        "Contact your administrator to request access if necessary."
    )
