"""stock: locations, warehouses, operation types, transfers, moves, quants, the backorder and return wizards.

Behaviour follows API-NOTES G/I and the real walk (odoo19-order-to-cash-calls.json): reservation on
confirmation, ``button_validate`` returning the backorder wizard's action on a partial transfer and ``True``
on one already done, inventory mode on quants, returns through ``stock.return.picking``.
"""

from __future__ import annotations

from typing import Any

from ..orm import Env, UserError
from .common import (
    Registry,
    active_ids,
    compute,
    env_company,
    method,
    now,
    on_create,
    on_write,
    records,
    set_defaults,
)
from .product import is_storable


def quant_for(env: Env, product_id: int, location_id: int, create: bool = True) -> int | None:
    for qid, q in env.db.tables["stock.quant"].items():
        if q.get("product_id") == product_id and q.get("location_id") == location_id and not q.get("lot_id"):
            return qid
    if not create:
        return None
    return (
        env.sudo()
        .with_context(_internal_quant=True)
        .create("stock.quant", {"product_id": product_id, "location_id": location_id})
    )


def is_internal(env: Env, location_id: Any) -> bool:
    return bool(location_id) and env.raw("stock.location", location_id, "usage") == "internal"


def internal_children(env: Env, location_id: int) -> list[int]:
    return env.search(
        "stock.location", [("id", "child_of", location_id), ("usage", "=", "internal")], check=False
    )


def moves_of(env: Env, picking_id: int) -> list[int]:
    return sorted(
        mid for mid, mv in env.db.tables["stock.move"].items() if mv.get("picking_id") == picking_id
    )


def lines_of(env: Env, move_id: int) -> list[int]:
    return sorted(lid for lid, ml in env.db.tables["stock.move.line"].items() if ml.get("move_id") == move_id)


def _add_quant(
    env: Env, product_id: int, location_id: int, quantity: float = 0.0, reserved: float = 0.0
) -> None:
    qid = quant_for(env, product_id, location_id)
    assert qid is not None
    q = env.rec("stock.quant", qid)
    env.set(
        "stock.quant",
        qid,
        quantity=float(q.get("quantity") or 0) + quantity,
        reserved_quantity=max(0.0, float(q.get("reserved_quantity") or 0) + reserved),
    )


# -- reservation ---------------------------------------------------------------------------------


def _move_line_vals(env: Env, mid: int, location_id: int, quantity: float) -> dict[str, Any]:
    mv = env.rec("stock.move", mid)
    return {
        "move_id": mid,
        "picking_id": mv.get("picking_id") or False,
        "product_id": mv["product_id"],
        "location_id": location_id,
        "location_dest_id": mv["location_dest_id"],
        "quantity": quantity,
        "product_uom_id": mv.get("product_uom") or env.raw("product.product", mv["product_id"], "uom_id"),
        "company_id": mv.get("company_id") or env.company(),
    }


def reserve_move(env: Env, mid: int) -> None:
    mv = env.rec("stock.move", mid)
    if mv.get("state") in ("done", "cancel", "draft"):
        return
    demand = float(mv.get("product_uom_qty") or 0)
    have = float(mv.get("quantity") or 0)
    need = demand - have
    if need > 0:
        if not is_internal(env, mv["location_id"]) or not is_storable(env, mv["product_id"]):
            # from a partner location or a product without stock tracking: nothing to reserve
            env.sudo().create("stock.move.line", _move_line_vals(env, mid, mv["location_id"], need))
            env.set("stock.move", mid, quantity=demand)
        else:
            for lid in internal_children(env, mv["location_id"]):
                if need <= 0:
                    break
                qid = quant_for(env, mv["product_id"], lid, create=False)
                if qid is None:
                    continue
                q = env.rec("stock.quant", qid)
                free = float(q.get("quantity") or 0) - float(q.get("reserved_quantity") or 0)
                take = min(free, need)
                if take <= 0:
                    continue
                env.set("stock.quant", qid, reserved_quantity=float(q.get("reserved_quantity") or 0) + take)
                env.sudo().create("stock.move.line", _move_line_vals(env, mid, lid, take))
                need -= take
                env.set(
                    "stock.move", mid, quantity=float(env.rec("stock.move", mid).get("quantity") or 0) + take
                )
    _move_state(env, mid)


def _move_state(env: Env, mid: int) -> None:
    mv = env.rec("stock.move", mid)
    if mv.get("state") in ("done", "cancel", "draft"):
        return
    qty, demand = float(mv.get("quantity") or 0), float(mv.get("product_uom_qty") or 0)
    state = "assigned" if qty >= demand else "partially_available" if qty > 0 else "confirmed"
    if mv.get("state") != state:
        env.set("stock.move", mid, state=state)


def reserve_picking(env: Env, picking_id: int) -> None:
    pick = env.rec("stock.picking", picking_id)
    if pick.get("state") in ("done", "cancel", "draft"):
        return
    for mid in moves_of(env, picking_id):
        reserve_move(env, mid)
    update_picking_state(env, picking_id)


def update_picking_state(env: Env, picking_id: int) -> None:
    moves = [env.rec("stock.move", m) for m in moves_of(env, picking_id)]
    states = {m.get("state") for m in moves}
    if not moves or states == {"draft"}:
        state = "draft"
    elif states <= {"done", "cancel"}:
        state = "done" if "done" in states else "cancel"
    elif any(float(m.get("quantity") or 0) > 0 for m in moves if m.get("state") not in ("done", "cancel")):
        state = "assigned"
    else:
        state = "confirmed"
    if env.rec("stock.picking", picking_id).get("state") != state:
        env.set("stock.picking", picking_id, state=state)


def unreserve_move(env: Env, mid: int, keep: float = 0.0) -> None:
    """Give back reserved quantities until the move holds ``keep``."""
    held = float(env.rec("stock.move", mid).get("quantity") or 0)
    for mlid in reversed(lines_of(env, mid)):
        if held <= keep:
            break
        ml = env.rec("stock.move.line", mlid)
        release = min(float(ml.get("quantity") or 0), held - keep)
        if is_internal(env, ml["location_id"]) and is_storable(env, ml["product_id"]):
            _add_quant(env, ml["product_id"], ml["location_id"], reserved=-release)
        left = float(ml.get("quantity") or 0) - release
        if left <= 0:
            env.sudo().unlink("stock.move.line", [mlid])
        else:
            env.set("stock.move.line", mlid, quantity=left)
        held -= release
    env.set("stock.move", mid, quantity=max(held, keep if keep <= held else held))


def _move_quantity_written(env: Env, ids: list[int], vals: dict[str, Any]) -> None:
    """Writing ``quantity`` on a move (17+) adjusts its move lines, as Odoo does (walk: 2 of 3)."""
    if "quantity" not in vals or env.context.get("_stock_internal"):
        return
    for mid in ids:
        mv = env.rec("stock.move", mid)
        if mv.get("state") in ("done", "cancel"):
            continue
        wanted = float(vals["quantity"] or 0)
        in_lines = sum(
            float(env.rec("stock.move.line", ml).get("quantity") or 0) for ml in lines_of(env, mid)
        )
        if wanted < in_lines:
            env.set("stock.move", mid, quantity=in_lines)
            unreserve_move(env, mid, keep=wanted)
        elif wanted > in_lines:
            env.sudo().create(
                "stock.move.line", _move_line_vals(env, mid, mv["location_id"], wanted - in_lines)
            )
        env.set("stock.move", mid, quantity=wanted)
        _move_state(env, mid)
        if mv.get("picking_id"):
            update_picking_state(env, mv["picking_id"])


def cancel_picking(env: Env, picking_id: int) -> None:
    pick = env.rec("stock.picking", picking_id)
    if pick.get("state") in ("done", "cancel"):
        return
    for mid in moves_of(env, picking_id):
        if env.rec("stock.move", mid).get("state") in ("done", "cancel"):
            continue
        unreserve_move(env, mid)
        for mlid in lines_of(env, mid):
            env.sudo().unlink("stock.move.line", [mlid])
        env.set("stock.move", mid, state="cancel", quantity=0.0)
    env.set("stock.picking", picking_id, state="cancel")


# -- validation ----------------------------------------------------------------------------------


def _done_move(env: Env, mid: int, qty: float) -> None:
    """Move ``qty`` of the move's product from its source to its destination."""
    mv = env.rec("stock.move", mid)
    storable = is_storable(env, mv["product_id"])
    left = qty
    for mlid in lines_of(env, mid):
        ml = env.rec("stock.move.line", mlid)
        take = min(left, float(ml.get("quantity") or 0))
        reserved = float(ml.get("quantity") or 0)
        if storable and is_internal(env, ml["location_id"]):
            _add_quant(env, ml["product_id"], ml["location_id"], quantity=-take, reserved=-reserved)
        if storable and is_internal(env, mv["location_dest_id"]) and take:
            _add_quant(env, ml["product_id"], mv["location_dest_id"], quantity=take)
        if take > 0:
            env.set("stock.move.line", mlid, quantity=take, picked=True, state="done")
        else:
            env.sudo().unlink("stock.move.line", [mlid])
        left -= take
    if left > 0:
        if storable and is_internal(env, mv["location_id"]):
            _add_quant(env, mv["product_id"], mv["location_id"], quantity=-left)
        if storable and is_internal(env, mv["location_dest_id"]):
            _add_quant(env, mv["product_id"], mv["location_dest_id"], quantity=left)
        line = env.sudo().create("stock.move.line", _move_line_vals(env, mid, mv["location_id"], left))
        env.set("stock.move.line", line, picked=True, state="done")
    env.set("stock.move", mid, quantity=qty, picked=True, state="done", date=now(env))


def done_picking(env: Env, picking_id: int, backorder: bool) -> int | None:
    """Move what the moves hold; the rest goes to a backorder (or is cancelled)."""
    pick = env.rec("stock.picking", picking_id)
    moves = [
        m
        for m in moves_of(env, picking_id)
        if env.rec("stock.move", m).get("state") not in ("done", "cancel")
    ]
    any_picked = any(env.rec("stock.move", m).get("picked") for m in moves)
    remaining: list[tuple[int, float]] = []
    for mid in moves:
        mv = env.rec("stock.move", mid)
        qty = float(mv.get("quantity") or 0) if (mv.get("picked") or not any_picked) else 0.0
        demand = float(mv.get("product_uom_qty") or 0)
        if qty < float(mv.get("quantity") or 0):
            unreserve_move(env, mid, keep=qty)
        if qty <= 0:
            remaining.append((mid, demand))
            continue
        if qty < demand:
            remaining.append((mid, demand - qty))
            env.set("stock.move", mid, product_uom_qty=qty)
        _done_move(env, mid, qty)
    for mid, _qty in remaining:
        if env.rec("stock.move", mid).get("state") != "done":
            env.set("stock.move", mid, state="cancel", quantity=0.0)
    env.set("stock.picking", picking_id, state="done", date_done=now(env))
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
            if pick.get(k)
        }
        vals["backorder_id"] = picking_id
        new_pick = env.sudo().create("stock.picking", vals)
        for mid, qty in remaining:
            old = env.rec("stock.move", mid)
            if old.get("state") == "cancel":
                # a move with nothing done moves to the backorder as it is
                env.set(
                    "stock.move",
                    mid,
                    picking_id=new_pick,
                    state="confirmed",
                    product_uom_qty=qty,
                    picked=False,
                )
                continue
            env.sudo().create(
                "stock.move",
                {
                    "product_id": old["product_id"],
                    "product_uom_qty": qty,
                    "picking_id": new_pick,
                    "location_id": old["location_id"],
                    "location_dest_id": old["location_dest_id"],
                    "sale_line_id": old.get("sale_line_id") or False,
                    "company_id": old.get("company_id") or env.company(),
                    "state": "confirmed",
                },
            )
        env.set("stock.picking", new_pick, state="confirmed")
        reserve_picking(env, new_pick)
    after_done(env, picking_id)
    return new_pick


def after_done(env: Env, picking_id: int) -> None:
    """Hook for the sale module (delivered quantities are computed, nothing to store here)."""
    return None


def picking_button_validate(env: Env, ids: Any) -> Any:
    ids = records(env, "stock.picking", ids)
    # README: validating a transfer that is already done answers True (no error)
    todo = [pid for pid in ids if env.rec("stock.picking", pid).get("state") != "done"]
    for pid in todo:
        pick = env.rec("stock.picking", pid)
        if pick.get("state") == "draft":
            picking_action_confirm(env, [pid])
        moves = [env.rec("stock.move", m) for m in moves_of(env, pid)]
        if pick.get("state") == "cancel" or not any(
            float(m.get("quantity") or 0) > 0 for m in moves if m.get("state") not in ("done", "cancel")
        ):
            raise UserError(
                "You cannot validate a transfer if no quantities are reserved nor done. "
                "You can use the info button on the top right corner of your screen to take a look at the "
                "transfer."
            )
    no_backorder = set(env.context.get("picking_ids_not_to_backorder") or [])
    needs_backorder = []
    if not env.context.get("skip_backorder"):
        for pid in todo:
            policy = env.raw(
                "stock.picking.type", env.rec("stock.picking", pid)["picking_type_id"], "create_backorder"
            )
            if policy != "ask":
                continue
            moves = [env.rec("stock.move", m) for m in moves_of(env, pid)]
            open_moves = [m for m in moves if m.get("state") not in ("done", "cancel")]
            any_picked = any(m.get("picked") for m in open_moves)
            if any(
                (float(m.get("quantity") or 0) if (m.get("picked") or not any_picked) else 0.0)
                < float(m.get("product_uom_qty") or 0)
                for m in open_moves
            ):
                needs_backorder.append(pid)
    if needs_backorder:
        return {
            "name": "Create Backorder?",
            "type": "ir.actions.act_window",
            "view_mode": "form",
            "res_model": "stock.backorder.confirmation",
            "views": [[False, "form"]],
            "view_id": False,
            "target": "new",
            "context": {
                "button_validate_picking_ids": ids,
                "default_show_transfers": False,
                "default_pick_ids": [[4, p] for p in needs_backorder],
            },
        }
    for pid in todo:
        policy = env.raw(
            "stock.picking.type", env.rec("stock.picking", pid)["picking_type_id"], "create_backorder"
        )
        done_picking(env, pid, backorder=pid not in no_backorder and policy != "never")
    return True


def picking_action_confirm(env: Env, ids: Any) -> bool:
    for pid in records(env, "stock.picking", ids):
        for mid in moves_of(env, pid):
            if env.rec("stock.move", mid).get("state") == "draft":
                env.set("stock.move", mid, state="confirmed")
        update_picking_state(env, pid)
        if env.rec("stock.picking", pid).get("state") != "draft":
            reserve_picking(env, pid)
    return True


def picking_action_assign(env: Env, ids: Any) -> bool:
    for pid in records(env, "stock.picking", ids):
        reserve_picking(env, pid)
    return True


def picking_action_cancel(env: Env, ids: Any) -> bool:
    for pid in records(env, "stock.picking", ids):
        cancel_picking(env, pid)
    return True


def after_stock_change(env: Env) -> None:
    """On 19 a waiting picking reserves by itself once stock arrives; on 17/18 it waits for action_assign."""
    if env.version < 19:
        return
    for pid, pick in list(env.db.tables["stock.picking"].items()):
        if pick.get("state") not in ("confirmed", "assigned"):
            continue
        if any(
            env.rec("stock.move", m).get("state") in ("confirmed", "partially_available")
            for m in moves_of(env, pid)
        ):
            reserve_picking(env, pid)


# -- wizards ----------------------------------------------------------------------------------------


def backorder_process(env: Env, ids: Any) -> bool:
    return _backorder(env, ids, cancel=False)


def backorder_process_cancel(env: Env, ids: Any) -> bool:
    return _backorder(env, ids, cancel=True)


def _backorder(env: Env, ids: Any, cancel: bool) -> bool:
    for wid in records(env, "stock.backorder.confirmation", ids):
        wiz = env.rec("stock.backorder.confirmation", wid)
        picks = list(env.context.get("button_validate_picking_ids") or wiz.get("pick_ids") or [])
        extra: dict[str, Any] = {"skip_backorder": True}
        if cancel:
            extra["picking_ids_not_to_backorder"] = list(wiz.get("pick_ids") or [])
        picking_button_validate(env.with_context(**extra), picks)
    return True


def _return_lines_on_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    wiz = env.rec("stock.return.picking", rid)
    picking = wiz.get("picking_id")
    if not picking:
        return
    if "product_return_moves" in vals:
        return
    for mid in moves_of(env, picking):
        mv = env.rec("stock.move", mid)
        if mv.get("state") != "done" or mv.get("origin_returned_move_id"):
            continue
        returned = sum(
            float(r.get("quantity") or 0)
            for r in env.db.tables["stock.move"].values()
            if r.get("origin_returned_move_id") == mid and r.get("state") != "cancel"
        )
        returnable = max(0.0, float(mv.get("quantity") or 0) - returned)
        env.create(
            "stock.return.picking.line",
            {
                "wizard_id": rid,
                "product_id": mv["product_id"],
                "move_id": mid,
                # 18 and 19 propose nothing to return (the walk reads 0.0); 17 proposes what was delivered
                "quantity": returnable if env.version < 18 else 0.0,
                "to_refund": True,
            },
        )


def create_returns(env: Env, ids: Any) -> dict[str, Any]:
    wid = records(env, "stock.return.picking", ids)[0]
    wiz = env.rec("stock.return.picking", wid)
    picking_id = wiz.get("picking_id")
    if not picking_id:
        raise UserError("You can only return done transfers.")
    pick = env.rec("stock.picking", picking_id)
    if pick.get("state") != "done":
        raise UserError("You may only return Done pickings.")
    lines = [
        lid
        for lid, line in env.db.tables["stock.return.picking.line"].items()
        if line.get("wizard_id") == wid
    ]
    todo = [lid for lid in lines if float(env.rec("stock.return.picking.line", lid).get("quantity") or 0) > 0]
    if not todo:
        raise UserError("Please specify at least one non-zero quantity.")
    ptype = env.rec("stock.picking.type", pick["picking_type_id"])
    return_type = ptype.get("return_picking_type_id") or pick["picking_type_id"]
    new_pick = env.sudo().create(
        "stock.picking",
        {
            "picking_type_id": return_type,
            "location_id": pick["location_dest_id"],
            "location_dest_id": pick["location_id"],
            "origin": f"Return of {pick.get('name')}",
            "partner_id": pick.get("partner_id") or False,
            "sale_id": pick.get("sale_id") or False,
            "return_id": picking_id,
        },
    )
    for lid in todo:
        line = env.rec("stock.return.picking.line", lid)
        orig = env.rec("stock.move", line["move_id"]) if line.get("move_id") else {}
        env.sudo().create(
            "stock.move",
            {
                "product_id": line["product_id"],
                "product_uom_qty": float(line["quantity"]),
                "picking_id": new_pick,
                "location_id": pick["location_dest_id"],
                "location_dest_id": pick["location_id"],
                "origin_returned_move_id": line.get("move_id") or False,
                "to_refund": bool(line.get("to_refund")),
                "sale_line_id": (orig.get("sale_line_id") or False) if line.get("to_refund") else False,
                "company_id": orig.get("company_id") or env.company(),
                "state": "confirmed",
            },
        )
    env.set("stock.picking", new_pick, state="confirmed")
    reserve_picking(env, new_pick)
    ctx = {k: env.context[k] for k in ("active_model", "active_id", "active_ids") if k in env.context}
    return {
        "name": "Returned Picking",
        "view_mode": "form",
        "res_model": "stock.picking",
        "res_id": new_pick,
        "type": "ir.actions.act_window",
        "context": ctx,
    }


def quant_action_apply_inventory(env: Env, ids: Any) -> None:
    for qid in records(env, "stock.quant", ids):
        q = env.rec("stock.quant", qid)
        counted = float(q.get("inventory_quantity") or 0.0)
        diff = counted - float(q.get("quantity") or 0.0)
        env.set(
            "stock.quant",
            qid,
            quantity=counted,
            inventory_quantity=0.0,
            inventory_quantity_set=False,
            inventory_diff_quantity=0.0,
            last_count_date=now(env)[:10] if "last_count_date" in env.model("stock.quant").fields else None,
        )
        _inventory_move(env, q["product_id"], q["location_id"], diff)
    after_stock_change(env)
    return None  # Odoo returns nothing: the JSON-RPC body then has no "result" key (walk)


def _inventory_move(env: Env, product_id: int, location_id: int, diff: float) -> None:
    """The done move Odoo records for an inventory adjustment ("Product Quantity Updated")."""
    if not diff:
        return
    adjust = env.search("stock.location", [("usage", "=", "inventory")], limit=1, check=False)
    if not adjust:
        return
    src, dst = (adjust[0], location_id) if diff > 0 else (location_id, adjust[0])
    mid = (
        env.sudo()
        .with_context(_stock_internal=True)
        .create(
            "stock.move",
            {
                "product_id": product_id,
                "product_uom_qty": abs(diff),
                "quantity": abs(diff),
                "location_id": src,
                "location_dest_id": dst,
                "company_id": env.raw("stock.location", location_id, "company_id") or env.company(),
                "state": "done",
                "picked": True,
                "is_inventory": True,
            }
            if "is_inventory" in env.model("stock.move").fields
            else {
                "product_id": product_id,
                "product_uom_qty": abs(diff),
                "quantity": abs(diff),
                "location_id": src,
                "location_dest_id": dst,
                "company_id": env.raw("stock.location", location_id, "company_id") or env.company(),
                "state": "done",
                "picked": True,
            },
        )
    )
    env.set("stock.move", mid, date=now(env))


def _quant_auto_apply(env: Env, vals: dict[str, Any]) -> int | None:
    """``inventory_quantity_auto_apply`` sets the quantity at once (its inverse applies the count)."""
    if "inventory_quantity_auto_apply" not in vals:
        return None
    qty = vals["inventory_quantity_auto_apply"]
    rest = {k: v for k, v in vals.items() if k != "inventory_quantity_auto_apply"}
    qid = quant_for(env, rest.get("product_id"), rest.get("location_id"), create=False)
    if qid is None:
        qid = env.with_context(_internal_quant=True).create("stock.quant", rest)
    env.write("stock.quant", [qid], {"inventory_quantity": qty})
    quant_action_apply_inventory(env, [qid])
    return qid


def _quant_count_existing(env: Env, vals: dict[str, Any]) -> int | None:
    """Inventory mode: a count for a product and place that already have a quant updates that quant
    (Odoo's ``stock.quant.create`` with ``inventory_quantity``), it does not make a second one."""
    if "inventory_quantity" not in vals or env.context.get("_internal_quant"):
        return None
    existing = quant_for(env, vals.get("product_id"), vals.get("location_id"), create=False)
    if existing is None or vals.get("lot_id"):
        return None
    env.write("stock.quant", [existing], {"inventory_quantity": vals["inventory_quantity"]})
    return existing


def _quant_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    rec = env.rec("stock.quant", rid)
    if "inventory_quantity" in vals:
        env.set("stock.quant", rid, inventory_quantity_set=True)
    if not rec.get("company_id"):
        env.set(
            "stock.quant",
            rid,
            company_id=env.raw("stock.location", rec["location_id"], "company_id") or env.company(),
        )


def _quant_write(env: Env, ids: list[int], vals: dict[str, Any]) -> None:
    if "inventory_quantity" in vals:
        for qid in ids:
            env.set("stock.quant", qid, inventory_quantity_set=True)
    if "quantity" in vals:
        after_stock_change(env)


def _picking_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    rec = env.rec("stock.picking", rid)
    ptype = env.rec("stock.picking.type", rec["picking_type_id"])
    updates: dict[str, Any] = {}
    if rec.get("name") in (None, False, "/", ""):
        wh = env.db.tables["stock.warehouse"].get(ptype.get("warehouse_id")) or {"code": "WH"}
        code = ptype.get("sequence_code") or "OUT"
        n = env.next_sequence(f"picking/{wh.get('code')}/{code}")
        updates["name"] = f"{wh.get('code')}/{code}/{n:05d}"
    if not rec.get("company_id"):
        updates["company_id"] = ptype.get("company_id") or env.company()
    if updates:
        env.set("stock.picking", rid, **updates)


def _warehouse_defaults(env: Env, vals: dict[str, Any], kind: str) -> int:
    company = vals.get("company_id") or env.company()
    code = vals.get("code") or "WH"
    if kind == "view":
        physical = env.search(
            "stock.location",
            [("name", "=", "Physical Locations"), ("usage", "=", "view")],
            limit=1,
            check=False,
        )
        return env.sudo().create(
            "stock.location",
            {
                "name": code,
                "usage": "view",
                "location_id": physical[0] if physical else False,
                "company_id": company,
            },
        )
    view = vals.get("view_location_id")
    if not view:  # the defaults run in field order: make the view location first
        view = vals["view_location_id"] = _warehouse_defaults(env, vals, "view")
    return env.sudo().create(
        "stock.location", {"name": "Stock", "usage": "internal", "location_id": view, "company_id": company}
    )


def _warehouse_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    """A new warehouse gets its receipt, delivery and internal operation types, as in Odoo."""
    wh = env.rec("stock.warehouse", rid)
    if wh.get("out_type_id"):
        return
    company = wh.get("company_id") or env.company()
    stock = wh["lot_stock_id"]
    customers = env.search("stock.location", [("usage", "=", "customer")], limit=1, check=False)
    suppliers = env.search("stock.location", [("usage", "=", "supplier")], limit=1, check=False)
    ctx = env.sudo()
    types = {}
    for key, name, code, seq, src, dst in (
        ("in", "Receipts", "incoming", "IN", suppliers[0] if suppliers else stock, stock),
        ("out", "Delivery Orders", "outgoing", "OUT", stock, customers[0] if customers else stock),
        ("int", "Internal Transfers", "internal", "INT", stock, stock),
    ):
        types[key] = ctx.create(
            "stock.picking.type",
            {
                "name": name,
                "code": code,
                "sequence_code": seq,
                "warehouse_id": rid,
                "company_id": company,
                "default_location_src_id": src,
                "default_location_dest_id": dst,
            },
        )
    env.set("stock.picking.type", types["out"], return_picking_type_id=types["in"])
    env.set(
        "stock.warehouse", rid, in_type_id=types["in"], out_type_id=types["out"], int_type_id=types["int"]
    )


def location_complete_name(env: Env, rec: dict[str, Any], depth: int = 0) -> str:
    """Odoo: ``parent.complete_name/name`` unless the location is a view without parent... (kept as seen)."""
    name = rec.get("name") or ""
    parent = rec.get("location_id")
    if parent and rec.get("usage") != "view" and depth < 20 and env.exists("stock.location", parent):
        prec = env.rec("stock.location", parent)
        return f"{location_complete_name(env, {**prec, 'id': parent}, depth + 1)}/{name}"
    return name


def warehouse_of(env: Env, location_id: Any) -> Any:
    for wid, wh in env.db.tables["stock.warehouse"].items():
        root = wh.get("view_location_id") or wh.get("lot_stock_id")
        if location_id and location_id in env.search(
            "stock.location", [("id", "child_of", root)], active_test=False, check=False
        ):
            return wid
    return False


def _carrier_tracking_url(env: Env, rec: dict[str, Any]) -> Any:
    """Odoo's ``delivery.carrier.fixed_get_tracking_link`` / ``base_on_rule_get_tracking_link``: the
    carrier's tracking URL with ``<shipmenttrackingnumber>`` replaced by the picking's tracking reference."""
    carrier, ref = rec.get("carrier_id"), rec.get("carrier_tracking_ref")
    if not carrier or not ref or not env.exists("delivery.carrier", carrier):
        return False
    url = env.raw("delivery.carrier", carrier, "tracking_url")
    return url.replace("<shipmenttrackingnumber>", ref) if url else False


def setup(reg: Registry, version: int) -> None:
    # -- locations, warehouses, operation types -------------------------------------------------
    loc = reg["stock.location"]
    loc.display_name = location_complete_name
    set_defaults(reg, "stock.location", {"active": True, "usage": "internal", "company_id": env_company})
    compute(reg, "stock.location", "complete_name", location_complete_name)
    compute(reg, "stock.location", "warehouse_id", lambda env, r: warehouse_of(env, r["id"]))

    set_defaults(
        reg,
        "stock.warehouse",
        {
            "active": True,
            "sequence": 10,
            "company_id": env_company,
            "reception_steps": "one_step",
            "delivery_steps": "ship_only",
            "view_location_id": lambda env, vals: _warehouse_defaults(env, vals, "view"),
            "lot_stock_id": lambda env, vals: _warehouse_defaults(env, vals, "stock"),
        },
    )
    on_create(reg, "stock.warehouse", _warehouse_create)

    set_defaults(
        reg,
        "stock.picking.type",
        {
            "active": True,
            "sequence": 1,
            "company_id": env_company,
            "create_backorder": "ask",
            "reservation_method": "at_confirm",
            "move_type": "direct",
        },
    )
    reg["stock.picking.type"].display_name = lambda env, r: (
        f"{env.raw('stock.warehouse', r['warehouse_id'], 'name')}: {r.get('name')}"
        if r.get("warehouse_id")
        else r.get("name", "")
    )

    # -- transfers and moves --------------------------------------------------------------------
    def picking_type_default(fname: str) -> Any:
        def default(env: Env, vals: dict[str, Any]) -> Any:
            ptype = vals.get("picking_type_id")
            if ptype and env.exists("stock.picking.type", ptype):
                return env.rec("stock.picking.type", ptype).get(fname) or None
            return None

        return default

    set_defaults(
        reg,
        "stock.picking",
        {
            "name": "/",
            "state": "draft",
            "move_type": "direct",
            "priority": "0",
            "scheduled_date": now,
            "location_id": picking_type_default("default_location_src_id"),
            "location_dest_id": picking_type_default("default_location_dest_id"),
            "is_locked": True,
        },
    )
    compute(
        reg,
        "stock.picking",
        "picking_type_code",
        lambda env, r: env.raw("stock.picking.type", r.get("picking_type_id"), "code"),
    )
    compute(reg, "stock.picking", "carrier_tracking_url", _carrier_tracking_url)
    compute(
        reg,
        "stock.picking",
        "return_count",
        lambda env, r: len(env.raw("stock.picking", r["id"], "return_ids")),
    )
    on_create(reg, "stock.picking", _picking_create)
    method(reg, "stock.picking", "button_validate", picking_button_validate)
    method(reg, "stock.picking", "action_confirm", picking_action_confirm)
    method(reg, "stock.picking", "action_assign", picking_action_assign)
    method(reg, "stock.picking", "action_cancel", picking_action_cancel)

    set_defaults(
        reg,
        "stock.move",
        {
            "state": "draft",
            "procure_method": "make_to_stock",
            "date": now,
            "company_id": env_company,
            "sequence": 10,
            "picked": False,
            "product_uom": lambda env, vals: (
                env.raw("product.product", vals.get("product_id"), "uom_id")
                if vals.get("product_id")
                else None
            ),
            "picking_type_id": lambda env, vals: (
                env.raw("stock.picking", vals.get("picking_id"), "picking_type_id")
                if vals.get("picking_id")
                else None
            ),
        },
    )
    compute(
        reg,
        "stock.move",
        "reference",
        lambda env, r: (
            env.raw("stock.picking", r.get("picking_id"), "name") if r.get("picking_id") else False
        ),
    )
    compute(
        reg,
        "stock.move",
        "picking_code",
        lambda env, r: (
            env.raw("stock.picking.type", r.get("picking_type_id"), "code")
            if r.get("picking_type_id")
            else False
        ),
    )
    on_write(reg, "stock.move", _move_quantity_written)

    def move_display(env: Env, r: dict[str, Any]) -> str:
        pick = r.get("picking_id")
        ref = env.raw("stock.picking", pick, "origin") or env.raw("stock.picking", pick, "name") or ""
        product = env.raw("product.product", r["product_id"], "default_code") or env.display_name(
            "product.product", r["product_id"]
        )
        src = env.raw("stock.location", r["location_id"], "name")
        dst = env.raw("stock.location", r["location_dest_id"], "name")
        return f"{ref}/{product}: {src}>{dst}"

    reg["stock.move"].display_name = move_display
    set_defaults(
        reg,
        "stock.move.line",
        {
            "date": now,
            "company_id": env_company,
            "picked": False,
            "state": "assigned",
            "product_uom_id": lambda env, vals: (
                env.raw("product.product", vals.get("product_id"), "uom_id")
                if vals.get("product_id")
                else None
            ),
        },
    )
    compute(
        reg,
        "stock.move.line",
        "reference",
        lambda env, r: (
            env.raw("stock.picking", r.get("picking_id"), "name") if r.get("picking_id") else False
        ),
    )

    # -- quants ---------------------------------------------------------------------------------
    set_defaults(reg, "stock.quant", {"in_date": now, "reserved_quantity": 0.0, "quantity": 0.0})
    compute(
        reg,
        "stock.quant",
        "available_quantity",
        lambda env, r: float(r.get("quantity") or 0) - float(r.get("reserved_quantity") or 0),
    )
    compute(
        reg,
        "stock.quant",
        "inventory_diff_quantity",
        lambda env, r: (
            (float(r.get("inventory_quantity") or 0) - float(r.get("quantity") or 0))
            if r.get("inventory_quantity_set")
            else 0.0
        ),
    )
    compute(reg, "stock.quant", "warehouse_id", lambda env, r: warehouse_of(env, r.get("location_id")))
    reg["stock.quant"].display_name = lambda env, r: env.display_name("product.product", r["product_id"])
    reg["stock.quant"].create_hooks.extend([_quant_auto_apply, _quant_count_existing])

    def auto_apply_set(env: Env, ids: list[int], value: Any) -> None:
        env.write("stock.quant", ids, {"inventory_quantity": value})
        quant_action_apply_inventory(env, ids)

    if "inventory_quantity_auto_apply" in reg["stock.quant"].fields:
        compute(
            reg,
            "stock.quant",
            "inventory_quantity_auto_apply",
            lambda env, r: float(r.get("quantity") or 0.0),
        ).inverse = auto_apply_set
    on_create(reg, "stock.quant", _quant_create)
    on_write(reg, "stock.quant", _quant_write)
    method(reg, "stock.quant", "action_apply_inventory", quant_action_apply_inventory)

    # -- wizards --------------------------------------------------------------------------------
    method(reg, "stock.backorder.confirmation", "process", backorder_process)
    method(reg, "stock.backorder.confirmation", "process_cancel_backorder", backorder_process_cancel)
    set_defaults(
        reg,
        "stock.return.picking",
        {"picking_id": lambda env, vals: (active_ids(env, "stock.picking") or [None])[0]},
    )
    on_create(reg, "stock.return.picking", _return_lines_on_create)
    compute(
        reg,
        "stock.return.picking",
        "picking_type_code",
        lambda env, r: (
            env.raw("stock.picking", r.get("picking_id"), "picking_type_code")
            if r.get("picking_id")
            else False
        ),
    )
    set_defaults(reg, "stock.return.picking.line", {"to_refund": True})
    compute(
        reg,
        "stock.return.picking.line",
        "move_quantity",
        lambda env, r: (
            float(env.raw("stock.move", r.get("move_id"), "quantity") or 0) if r.get("move_id") else 0.0
        ),
    )
    compute(
        reg,
        "stock.return.picking.line",
        "uom_id",
        lambda env, r: (
            env.raw("product.product", r.get("product_id"), "uom_id") if r.get("product_id") else False
        ),
    )
    method(
        reg,
        "stock.return.picking",
        "action_create_returns" if version >= 18 else "create_returns",
        create_returns,
    )
