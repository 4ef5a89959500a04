"""Stock in the stand-in: inventory mode, reservation, partial deliveries, returns."""

from __future__ import annotations

import pytest

from tests.support.odoo import OdooFault


def _stock_location(rpc) -> int:
    return int(rpc("stock.warehouse", "search_read", [], ["lot_stock_id"], limit=1)[0]["lot_stock_id"][0])


def _product(rpc, code: str, stock: float) -> int:
    vals = {"name": code, "default_code": code}
    vals.update({"is_storable": True} if rpc.version >= 18 else {"type": "product"})
    pid = rpc.create("product.product", vals)
    if stock:
        quant = rpc.create(
            "stock.quant",
            {"product_id": pid, "location_id": _stock_location(rpc), "inventory_quantity": stock},
        )
        rpc("stock.quant", "action_apply_inventory", [quant])
    return pid


def test_inventory_mode_counts_into_the_existing_quant_and_records_the_adjustment(rpc_for) -> None:
    rpc = rpc_for(19)
    pid = _product(rpc, "INV-1", 10)
    location = _stock_location(rpc)
    # when a second count is created for the same product and place
    second = rpc.create("stock.quant", {"product_id": pid, "location_id": location, "inventory_quantity": 4})
    before_apply = rpc.read1(
        "stock.quant",
        second,
        ["quantity", "inventory_quantity", "inventory_quantity_set", "inventory_diff_quantity"],
    )
    rpc("stock.quant", "action_apply_inventory", [second])
    # then
    quants = rpc(
        "stock.quant", "search_read", [("product_id", "=", pid)], ["quantity", "inventory_quantity_set"]
    )
    moves = rpc(
        "stock.move",
        "search_read",
        [("product_id", "=", pid)],
        ["state", "quantity", "location_id", "location_dest_id"],
        order="id",
    )
    assert before_apply == {
        "id": second,
        "quantity": 10.0,
        "inventory_quantity": 4.0,
        "inventory_quantity_set": True,
        "inventory_diff_quantity": -6.0,
    }
    assert quants == [{"id": second, "quantity": 4.0, "inventory_quantity_set": False}]
    assert [(m["state"], m["quantity"], m["location_id"][1], m["location_dest_id"][1]) for m in moves] == [
        ("done", 10.0, "Virtual Locations/Inventory adjustment", "WH/Stock"),
        ("done", 6.0, "WH/Stock", "Virtual Locations/Inventory adjustment"),
    ]
    assert rpc.read1("product.product", pid, ["qty_available"])["qty_available"] == 4.0


def test_writing_a_smaller_quantity_on_a_move_gives_back_the_reservation(rpc_for) -> None:
    rpc = rpc_for(19)
    pid = _product(rpc, "RES-1", 10)
    so = rpc.create(
        "sale.order", {"partner_id": 3, "order_line": [(0, 0, {"product_id": pid, "product_uom_qty": 3})]}
    )
    rpc("sale.order", "action_confirm", [so])
    reserved = rpc("stock.quant", "search_read", [("product_id", "=", pid)], ["reserved_quantity"])[0][
        "reserved_quantity"
    ]
    move = rpc("stock.move", "search", [("sale_line_id.order_id", "=", so)])[0]
    rpc("stock.move", "write", [move], {"quantity": 1})
    after = rpc("stock.quant", "search_read", [("product_id", "=", pid)], ["reserved_quantity"])[0][
        "reserved_quantity"
    ]
    assert (reserved, after) == (3.0, 1.0)
    assert rpc.read1("stock.move", move, ["state", "quantity"]) == {
        "id": move,
        "state": "partially_available",
        "quantity": 1.0,
    }


@pytest.mark.parametrize("version", [18, 19])
def test_a_waiting_delivery_reserves_by_itself_on_19_only(rpc_for, version) -> None:
    rpc = rpc_for(version)
    pid = _product(rpc, "WAIT-1", 0)
    so = rpc.create(
        "sale.order", {"partner_id": 3, "order_line": [(0, 0, {"product_id": pid, "product_uom_qty": 2})]}
    )
    rpc("sale.order", "action_confirm", [so])
    pick = rpc("stock.picking", "search", [("sale_id", "=", so)])[0]
    waiting = rpc.read1("stock.picking", pick, ["state"])["state"]
    quant = rpc.create(
        "stock.quant", {"product_id": pid, "location_id": _stock_location(rpc), "inventory_quantity": 5}
    )
    rpc("stock.quant", "action_apply_inventory", [quant])
    after = rpc.read1("stock.picking", pick, ["state"])["state"]
    assert waiting == "confirmed"
    assert after == ("assigned" if version >= 19 else "confirmed")  # API-NOTES I


@pytest.mark.parametrize(
    ("version", "method", "proposed"), [(17, "create_returns", 2.0), (19, "action_create_returns", 0.0)]
)
def test_a_return_brings_the_goods_back_and_lowers_the_delivered_quantity(
    rpc_for, version, method, proposed
) -> None:
    rpc = rpc_for(version)
    pid = _product(rpc, "RET-1", 10)
    so = rpc.create(
        "sale.order", {"partner_id": 3, "order_line": [(0, 0, {"product_id": pid, "product_uom_qty": 2})]}
    )
    rpc("sale.order", "action_confirm", [so])
    pick = rpc("stock.picking", "search", [("sale_id", "=", so)])[0]
    assert rpc("stock.picking", "button_validate", [pick]) is True
    ctx = {"active_model": "stock.picking", "active_id": pick, "active_ids": [pick]}
    wizard = rpc("stock.return.picking", "create", {}, context=ctx)
    lines = rpc(
        "stock.return.picking.line", "search_read", [("wizard_id", "=", wizard)], ["quantity", "to_refund"]
    )
    # when 17 proposes what was delivered and 18+ proposes nothing; return one
    rpc("stock.return.picking.line", "write", [lines[0]["id"]], {"quantity": 1})
    action = rpc("stock.return.picking", method, [wizard], context=ctx)
    returned = action["res_id"]
    assert rpc("stock.picking", "button_validate", [returned]) is True
    # then
    assert [(x["quantity"], x["to_refund"]) for x in lines] == [(proposed, True)]
    line = rpc("sale.order.line", "search_read", [("order_id", "=", so)], ["qty_delivered"])[0]
    assert line["qty_delivered"] == 1.0
    assert rpc.read1("product.product", pid, ["qty_available"])["qty_available"] == 9.0
    assert (
        rpc.read1("stock.picking", returned, ["picking_type_code", "state", "return_id"])["picking_type_code"]
        == "incoming"
    )
    assert rpc.read1("stock.picking", pick, ["return_count"])["return_count"] == 1


def test_a_return_of_nothing_is_refused(rpc_for) -> None:
    rpc = rpc_for(19)
    pid = _product(rpc, "RET-0", 5)
    so = rpc.create(
        "sale.order", {"partner_id": 3, "order_line": [(0, 0, {"product_id": pid, "product_uom_qty": 1})]}
    )
    rpc("sale.order", "action_confirm", [so])
    pick = rpc("stock.picking", "search", [("sale_id", "=", so)])[0]
    rpc("stock.picking", "button_validate", [pick])
    ctx = {"active_model": "stock.picking", "active_id": pick, "active_ids": [pick]}
    wizard = rpc("stock.return.picking", "create", {}, context=ctx)
    with pytest.raises(OdooFault) as err:
        rpc("stock.return.picking", "action_create_returns", [wizard], context=ctx)
    assert (err.value.name, err.value.message) == (
        "odoo.exceptions.UserError",
        "Please specify at least one non-zero quantity.",
    )
    assert rpc("stock.picking", "search_count", [("sale_id", "=", so)]) == 1


def test_a_new_warehouse_gets_its_locations_and_operation_types(rpc_for) -> None:
    rpc = rpc_for(19)
    wh = rpc.create("stock.warehouse", {"name": "Second", "code": "W2"})
    read = rpc.read1(
        "stock.warehouse",
        wh,
        ["lot_stock_id", "view_location_id", "out_type_id", "in_type_id", "int_type_id"],
    )
    assert read["lot_stock_id"][1] == "W2/Stock"
    assert read["view_location_id"][1] == "W2"
    types = rpc(
        "stock.picking.type",
        "read",
        [read["in_type_id"][0], read["out_type_id"][0], read["int_type_id"][0]],
        ["code", "sequence_code"],
    )
    assert [(t["code"], t["sequence_code"]) for t in types] == [
        ("incoming", "IN"),
        ("outgoing", "OUT"),
        ("internal", "INT"),
    ]


def test_inventory_quantity_auto_apply_sets_the_stock_at_once(rpc_for) -> None:
    rpc = rpc_for(19)
    pid = _product(rpc, "AUTO-1", 0)
    quant = rpc.create(
        "stock.quant",
        {"product_id": pid, "location_id": _stock_location(rpc), "inventory_quantity_auto_apply": 12},
    )
    created = rpc.read1("product.product", pid, ["qty_available"])["qty_available"]
    rpc("stock.quant", "write", [quant], {"inventory_quantity_auto_apply": 5})
    assert (created, rpc.read1("product.product", pid, ["qty_available"])["qty_available"]) == (12.0, 5.0)
    assert (
        rpc.read1("stock.quant", quant, ["inventory_quantity_auto_apply"])["inventory_quantity_auto_apply"]
        == 5.0
    )
