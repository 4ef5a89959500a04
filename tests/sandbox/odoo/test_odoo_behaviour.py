"""Behaviour a real Odoo showed (reference/odoo/README.md, API-NOTES I): constraints, messages, error
classes, JSON-RPC and JSON-2 shapes."""

from __future__ import annotations

import pytest
import requests

from tests.support.odoo import OdooFault


def _product(rpc, code: str, **extra) -> int:
    storable = {"is_storable": True} if rpc.version >= 18 else {"type": "product"}
    return rpc.create("product.product", {"name": f"P {code}", "default_code": code, **storable, **extra})


@pytest.mark.parametrize("version", [17, 18, 19])
def test_a_partner_cannot_become_its_own_ancestor(rpc_for, version) -> None:
    rpc = rpc_for(version)
    top = rpc.create("res.partner", {"name": "Top", "is_company": True})
    child = rpc.create("res.partner", {"name": "Child", "parent_id": top})
    grandchild = rpc.create("res.partner", {"name": "Grandchild", "parent_id": child})
    # when
    with pytest.raises(OdooFault) as err:
        rpc("res.partner", "write", [top], {"parent_id": grandchild})
    with pytest.raises(OdooFault) as self_err:
        rpc("res.partner", "write", [child], {"parent_id": child})
    # then
    assert (err.value.name, err.value.message) == (
        "odoo.exceptions.ValidationError",
        "You cannot create recursive Partner hierarchies.",
    )
    assert self_err.value.message == "You cannot create recursive Partner hierarchies."
    assert rpc.read1("res.partner", top, ["parent_id"])["parent_id"] is False
    # and searches keep working (the first stand-in answered RecursionError after such a loop)
    assert rpc("res.partner", "search", [("id", "child_of", top)], order="id") == [top, child, grandchild]


def test_unlink_removes_the_records_external_ids(rpc_for) -> None:
    rpc = rpc_for(19)
    partner = rpc.create("res.partner", {"name": "Bound"})
    rpc.create(
        "ir.model.data", {"module": "opsconsole", "name": "p1", "model": "res.partner", "res_id": partner}
    )
    # when
    assert rpc("res.partner", "unlink", [partner]) is True
    # then
    assert rpc("ir.model.data", "search", [("module", "=", "opsconsole"), ("name", "=", "p1")]) == []
    # and the external id can be used again
    again = rpc.create("res.partner", {"name": "Bound again"})
    rpc.create(
        "ir.model.data", {"module": "opsconsole", "name": "p1", "model": "res.partner", "res_id": again}
    )


def test_a_partner_an_order_needs_cannot_be_deleted_and_order_lines_go_with_their_order(rpc_for) -> None:
    rpc = rpc_for(19)
    partner = rpc.create("res.partner", {"name": "Customer"})
    pid = _product(rpc, "DEL-1")
    so = rpc.create("sale.order", {"partner_id": partner, "order_line": [(0, 0, {"product_id": pid})]})
    # when / then
    with pytest.raises(OdooFault) as err:
        rpc("res.partner", "unlink", [partner])
    assert err.value.name == "odoo.exceptions.ValidationError"
    assert err.value.message.startswith(
        "The operation cannot be completed: another model requires the record being deleted."
    )
    assert rpc("res.partner", "search_count", [("id", "=", partner)]) == 1
    lines = rpc.read1("sale.order", so, ["order_line"])["order_line"]
    rpc("sale.order", "unlink", [so])
    assert rpc("sale.order.line", "search", [("id", "in", lines)]) == []


@pytest.mark.parametrize("version", [18, 19])
def test_a_duplicate_barcode_is_refused(rpc_for, version) -> None:
    rpc = rpc_for(version)
    first = _product(rpc, "BC-1", barcode="4006381333931")
    before = rpc("product.product", "search_count", [])
    # when
    with pytest.raises(OdooFault) as err:
        _product(rpc, "BC-2", barcode="4006381333931")
    second = _product(rpc, "BC-3")
    with pytest.raises(OdooFault) as write_err:
        rpc("product.product", "write", [second], {"barcode": "4006381333931"})
    # then
    names = ["[BC-1] P BC-1", "[BC-2] P BC-2"]
    listed = str(names) if version >= 19 else ", ".join(names)
    assert err.value.name == "odoo.exceptions.ValidationError"
    assert err.value.message == (
        "Barcode(s) already assigned:\n\n"
        f'- Barcode "4006381333931" already assigned to product(s): {listed}\n\n'
        "Note: products that you don't have access to will not be shown above."
    )
    assert write_err.value.message.startswith("Barcode(s) already assigned:")
    assert rpc("product.product", "search_count", []) == before + 1
    assert rpc.read1("product.product", first, ["barcode"])["barcode"] == "4006381333931"


def _confirmed_order(rpc, qty: float = 3.0, stock: float = 10.0) -> tuple[int, int, int]:
    pid = _product(rpc, f"VAL-{qty}-{stock}")
    location = rpc("stock.warehouse", "search_read", [], ["lot_stock_id"], limit=1)[0]["lot_stock_id"][0]
    quant = rpc.create(
        "stock.quant", {"product_id": pid, "location_id": location, "inventory_quantity": stock}
    )
    rpc("stock.quant", "action_apply_inventory", [quant])
    so = rpc.create(
        "sale.order", {"partner_id": 3, "order_line": [(0, 0, {"product_id": pid, "product_uom_qty": qty})]}
    )
    rpc("sale.order", "action_confirm", [so])
    pick = rpc("stock.picking", "search", [("sale_id", "=", so)])[0]
    return so, pick, pid


@pytest.mark.parametrize("version", [17, 18, 19])
def test_validating_a_done_picking_answers_true(rpc_for, version) -> None:
    rpc = rpc_for(version)
    _so, pick, _pid = _confirmed_order(rpc)
    assert rpc("stock.picking", "button_validate", [pick]) is True
    # when (README: "on a picking that is already done it returns True (no error)")
    again = rpc("stock.picking", "button_validate", [pick])
    # then
    assert again is True
    assert rpc.read1("stock.picking", pick, ["state"])["state"] == "done"


def test_a_partial_picking_answers_the_backorder_wizard_and_process_cancel_makes_none(rpc_for) -> None:
    rpc = rpc_for(19)
    so, pick, _pid = _confirmed_order(rpc)
    move = rpc("stock.move", "search", [("picking_id", "=", pick)])[0]
    rpc("stock.move", "write", [move], {"quantity": 1, "picked": True})
    # when
    action = rpc("stock.picking", "button_validate", [pick])
    wizard = rpc.create("stock.backorder.confirmation", {}, context=action["context"])
    assert rpc(
        "stock.backorder.confirmation", "process_cancel_backorder", [wizard], context=action["context"]
    )
    # then
    assert action == {
        "name": "Create Backorder?",
        "type": "ir.actions.act_window",
        "view_mode": "form",
        "res_model": "stock.backorder.confirmation",
        "views": [[False, "form"]],
        "view_id": False,
        "target": "new",
        "context": {
            "button_validate_picking_ids": [pick],
            "default_show_transfers": False,
            "default_pick_ids": [[4, pick]],
        },
    }
    assert rpc("stock.picking", "search_read", [("sale_id", "=", so)], ["state"]) == [
        {"id": pick, "state": "done"}
    ]
    line = rpc("sale.order.line", "search_read", [("order_id", "=", so)], ["qty_delivered"])[0]
    assert line["qty_delivered"] == 1.0


def test_nothing_reserved_nor_done_cannot_be_validated(rpc_for) -> None:
    rpc = rpc_for(19)
    _so, pick, _pid = _confirmed_order(rpc, qty=2, stock=0)
    with pytest.raises(OdooFault) as err:
        rpc("stock.picking", "button_validate", [pick])
    assert err.value.name == "odoo.exceptions.UserError"
    assert err.value.message.startswith(
        "You cannot validate a transfer if no quantities are reserved nor done."
    )


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (19, "Some orders are not in a state requiring confirmation."),
        (18, "The following orders are not in a state requiring confirmation: {name}"),
    ],
)
def test_confirming_a_cancelled_order_is_a_user_error(rpc_for, version, message) -> None:
    rpc = rpc_for(version)
    so = rpc.create("sale.order", {"partner_id": 3})
    rpc("sale.order", "action_cancel", [so], context={"disable_cancel_warning": True})
    name = rpc.read1("sale.order", so, ["name"])["name"]
    with pytest.raises(OdooFault) as err:
        rpc("sale.order", "action_confirm", [so])
    assert (err.value.name, err.value.message) == ("odoo.exceptions.UserError", message.format(name=name))
    assert rpc.read1("sale.order", so, ["state"])["state"] == "cancel"


def test_a_missing_required_value_is_a_validation_error_in_19s_words(rpc_for) -> None:
    rpc = rpc_for(19)
    with pytest.raises(OdooFault) as err:
        rpc("sale.order", "create", [{"client_order_ref": "no-customer"}])
    assert err.value.name == "odoo.exceptions.ValidationError"
    assert err.value.message == (
        "The operation cannot be completed: Missing required value for the field 'Customer' (partner_id).\n"
        "Model: 'Sales Order' (sale.order)\n"
        "- create/update: a mandatory field is not set\n"
        "- delete: another model requires the record being deleted, you can archive it instead\n"
    )
    assert rpc("sale.order", "search_count", [("client_order_ref", "=", "no-customer")]) == 0


def test_a_missing_required_value_in_18s_words(rpc_for) -> None:
    rpc = rpc_for(18)
    with pytest.raises(OdooFault) as err:
        rpc("sale.order", "create", [{"client_order_ref": "no-customer"}])
    assert err.value.message.endswith("Model: Sales Order (sale.order)\nField: Customer (partner_id)\n")


def test_json2_statuses_as_recorded(sandbox_for) -> None:
    sb = sandbox_for(19)
    headers = {"Authorization": "bearer sandbox-api-key", "X-Odoo-Database": "sandbox"}
    url = f"{sb.base_url}/json/2"

    def post(path: str, payload: object, **kw) -> requests.Response:
        return requests.post(
            f"{url}/{path}", json=payload, headers=kw.pop("headers", headers), timeout=10, **kw
        )

    missing = post("sale.order/create", {"vals_list": [{"client_order_ref": "x"}]})
    unknown_field = post("res.partner/search", {"domain": [["x", "=", 1]]})
    private = post("sale.order/_create_invoices", {"ids": [1]})
    bad_key = post("res.partner/search", {"domain": []}, headers={"Authorization": "bearer wrong"})
    gone = post("res.partner/write", {"ids": [99999], "vals": {"name": "x"}})
    db = post("res.partner/search", {"domain": []}, headers={**headers, "X-Odoo-Database": "nope"})
    nothing = post("stock.quant/action_apply_inventory", {"ids": []})
    assert (missing.status_code, missing.json()["name"]) == (422, "odoo.exceptions.ValidationError")
    assert missing.json()["message"].startswith("The operation cannot be completed: Missing required value")
    assert (unknown_field.status_code, unknown_field.json()["name"]) == (500, "builtins.ValueError")
    assert unknown_field.json()["message"] == "Invalid field res.partner.x in condition ('x', '=', 1)"
    assert private.status_code == 403
    assert (bad_key.status_code, bad_key.json()["name"]) == (401, "werkzeug.exceptions.Unauthorized")
    assert (gone.status_code, gone.json()["name"]) == (404, "odoo.exceptions.MissingError")
    assert db.status_code == 404 and db.headers["Content-Type"].startswith("text/html")
    assert (nothing.status_code, nothing.text) == (200, "null")
    assert set(missing.json()) == {"name", "message", "arguments", "context", "debug"}


@pytest.mark.parametrize(
    ("version", "name"), [(19, "odoo.exceptions.AccessError"), (18, "builtins.AttributeError")]
)
def test_private_methods_are_refused_remotely(rpc_for, version, name) -> None:
    rpc = rpc_for(version)
    so = rpc.create("sale.order", {"partner_id": 3})
    with pytest.raises(OdooFault) as err:
        rpc("sale.order", "_create_invoices", [so])
    assert err.value.name == name
    if version >= 19:
        assert (
            err.value.message
            == "Private methods (such as 'sale.order._create_invoices') cannot be called remotely."
        )


def test_a_method_returning_none_answers_without_result_key(rpc_for) -> None:
    rpc = rpc_for(19)
    quant = rpc("stock.quant", "search", [], limit=1)
    body = rpc.body("stock.quant", "action_apply_inventory", quant)
    assert body == {"jsonrpc": "2.0", "id": 1}


@pytest.mark.parametrize("version", [18, 19])
def test_error_shape_of_json_rpc(rpc_for, version) -> None:
    rpc = rpc_for(version)
    body = rpc.body("res.partner", "write", [99999], {"name": "x"})
    error = body["error"]
    assert (error["code"], error["message"]) == (0 if version >= 19 else 200, "Odoo Server Error")
    assert error["data"]["name"] == "odoo.exceptions.MissingError"
    assert error["data"]["message"] == (
        "Record does not exist or has been deleted.\n(Record: res.partner(99999,), User: 2)"
    )
    assert set(error["data"]) == {"name", "message", "arguments", "context", "debug"}
    assert rpc("res.partner", "read", [99999], ["name"]) == []
