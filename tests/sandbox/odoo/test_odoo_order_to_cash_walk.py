"""The stand-in, playing Odoo 19, answers the real order-to-cash walk call by call as the real server did.

``data/odoo19-order-to-cash-calls.json`` is a copy of
``/work/shared/reference/odoo/odoo19-order-to-cash-calls.json`` (its sha256 is ``WALK_SHA256``): one walk
through a real Odoo 19 with every call and its answer. The test makes the same calls (with the ids this
database gives) and compares each answer with the recorded one: the same keys, the same values wherever a
value does not depend on the database (ids, sequence numbers, view ids, dates).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.odoo import OdooFault

WALK_FILE = Path(__file__).parent / "data" / "odoo19-order-to-cash-calls.json"
WALK_SHA256 = "55cc5cca25c716941bdbb63f3606a807199c85e0e446917c4af3b5456acfd299"


def _walk() -> list[dict[str, Any]]:
    raw = WALK_FILE.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == WALK_SHA256
    return json.loads(raw)  # type: ignore[no-any-return]


def recorded(call: str, note: str | None = None) -> Any:
    for step in _walk():
        if step["call"] == call and (note is None or step["note"] == note):
            return step.get("result", step.get("error"))
    raise KeyError(call)


# The stand-in has no views (ir.ui.view): where the real server names a view id it answers False.
NO_VIEWS = {"view_id": False, "views": [[False, "form"]]}


def same_shape(actual: Any, expected: Any, *, keep: tuple[str, ...] = ()) -> None:
    """Same keys all the way down; equal values for the keys named in ``keep``."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), actual
        assert set(actual) == set(expected), set(actual) ^ set(expected)
        for key in expected:
            if key in NO_VIEWS:
                assert actual[key] == NO_VIEWS[key], key
            elif key in keep:
                assert actual[key] == expected[key], key
            else:
                same_shape(actual[key], expected[key], keep=keep)
    elif isinstance(expected, list) and expected and isinstance(expected[0], dict):
        assert isinstance(actual, list) and len(actual) == len(expected), actual
        for a, e in zip(actual, expected, strict=True):
            same_shape(a, e, keep=keep)
    else:
        assert type(actual) is type(expected) or {type(actual), type(expected)} <= {int, float}, (
            actual,
            expected,
        )


def test_the_walk_file_is_the_reference_copy() -> None:
    steps = _walk()
    assert len(steps) == 37
    shared = Path("/work/shared/reference/odoo/odoo19-order-to-cash-calls.json")
    if shared.is_file():
        assert shared.read_bytes() == WALK_FILE.read_bytes()


def test_the_order_to_cash_walk_answers_as_the_real_server(rpc_for) -> None:
    rpc = rpc_for(19)
    year = dt.date.today().year
    tax = rpc("account.tax", "search", [("name", "=", "15%"), ("type_tax_use", "=", "sale")])
    product = rpc.create(
        "product.product",
        {
            "name": "Cmp Probe",
            "default_code": "CMP-PROBE",
            "list_price": 25.0,
            "is_storable": True,
            "taxes_id": [(6, 0, tax)],
        },
    )

    # stock by inventory mode
    found = rpc(
        "product.product",
        "search_read",
        [("is_storable", "=", True), ("sale_ok", "=", True), ("id", "=", product)],
        fields=["id", "default_code", "list_price", "taxes_id"],
        limit=1,
    )
    same_shape(found, recorded("product.product.search_read"), keep=("list_price",))
    partner = rpc(
        "res.partner", "create", [{"name": "Flow Probe Customer", "email": "flowprobe@example.com"}]
    )
    assert isinstance(partner, list) and len(partner) == 1
    warehouse = rpc("stock.warehouse", "search_read", [], fields=["lot_stock_id"], limit=1)
    same_shape(warehouse, recorded("stock.warehouse.search_read"))
    assert warehouse[0]["lot_stock_id"][1] == "WH/Stock"
    quant = rpc(
        "stock.quant",
        "create",
        [{"product_id": product, "location_id": warehouse[0]["lot_stock_id"][0], "inventory_quantity": 10}],
    )
    body = rpc.body("stock.quant", "action_apply_inventory", quant)
    assert "result" not in body and "error" not in body  # recorded: "<no result key>"

    # order create and confirm
    so = rpc(
        "sale.order",
        "create",
        [
            {
                "partner_id": partner[0],
                "client_order_ref": "FLOWPROBE-1",
                "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 3, "price_unit": 10.0}]],
            }
        ],
    )
    assert rpc("sale.order", "action_confirm", so) is recorded("sale.order.action_confirm") is True
    picks = rpc("stock.picking", "search_read", [("sale_id", "=", so[0])], fields=["id", "state", "move_ids"])
    same_shape(picks, [recorded("stock.picking.search_read")[0]], keep=("state",))
    moves = rpc(
        "stock.move",
        "search_read",
        [("picking_id", "=", picks[0]["id"])],
        fields=["id", "product_uom_qty", "quantity", "picked"],
    )
    same_shape(moves, recorded("stock.move.search_read"), keep=("product_uom_qty", "quantity", "picked"))

    # partial delivery with the backorder wizard
    assert rpc("stock.move", "write", [moves[0]["id"]], {"quantity": 2, "picked": True}) is True
    assert rpc("stock.picking", "write", [picks[0]["id"]], {"carrier_tracking_ref": "TRACK-1"}) is True
    action = rpc("stock.picking", "button_validate", [picks[0]["id"]])
    expected_action = recorded(
        "stock.picking.button_validate", "partial validate -> backorder wizard action?"
    )
    same_shape(action, expected_action, keep=("name", "type", "view_mode", "res_model", "target"))
    assert action["context"] == {
        "button_validate_picking_ids": [picks[0]["id"]],
        "default_show_transfers": False,
        "default_pick_ids": [[4, picks[0]["id"]]],
    }
    wizard = rpc("stock.backorder.confirmation", "create", {}, context=action["context"])
    assert isinstance(wizard, int)
    assert rpc("stock.backorder.confirmation", "process", [wizard], context=action["context"]) is True
    both = rpc(
        "stock.picking",
        "search_read",
        [("sale_id", "=", so[0])],
        fields=["id", "name", "state", "backorder_id", "carrier_tracking_ref", "date_done"],
    )
    expected_both = [step for step in _walk() if step["call"] == "stock.picking.search_read"][1]["result"]
    assert [(p["state"], p["carrier_tracking_ref"]) for p in both] == [
        (p["state"], p["carrier_tracking_ref"]) for p in expected_both
    ]
    assert both[0]["backorder_id"] == [picks[0]["id"], both[1]["name"]]
    assert both[0]["date_done"] is False and re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", both[1]["date_done"]
    )
    assert re.fullmatch(r"WH/OUT/\d{5}", both[1]["name"])
    lines = rpc(
        "sale.order.line",
        "search_read",
        [("order_id", "=", so[0])],
        fields=["qty_delivered", "qty_invoiced", "qty_to_invoice", "invoice_status"],
    )
    same_shape(
        lines,
        recorded("sale.order.line.search_read"),
        keep=("qty_delivered", "qty_invoiced", "qty_to_invoice", "invoice_status"),
    )

    # invoice through sale.advance.payment.inv, post
    ctx = {"active_model": "sale.order", "active_ids": so, "active_id": so[0]}
    wiz = rpc("sale.advance.payment.inv", "create", {"advance_payment_method": "delivered"}, context=ctx)
    invoices_action = rpc("sale.advance.payment.inv", "create_invoices", [wiz], context=ctx)
    assert invoices_action["type"] == "ir.actions.act_window"
    assert invoices_action["xml_id"] == "account.action_move_out_invoice_type"
    assert invoices_action["name"] == invoices_action["display_name"] == "Invoices"
    name = rpc("sale.order", "read", so, ["name"])
    same_shape(name, recorded("sale.order.read"))
    invoice = rpc(
        "account.move",
        "search_read",
        [("invoice_origin", "=", name[0]["name"])],
        fields=[
            "id",
            "name",
            "state",
            "amount_total",
            "amount_residual",
            "payment_state",
            "move_type",
            "ref",
            "invoice_origin",
        ],
    )
    same_shape(
        invoice,
        recorded("account.move.search_read"),
        keep=("name", "state", "amount_total", "amount_residual", "payment_state", "move_type", "ref"),
    )
    assert invoice[0]["invoice_origin"] == name[0]["name"]
    assert (
        rpc("account.move", "action_post", [invoice[0]["id"]])
        is recorded("account.move.action_post")
        is False
    )

    # payment through account.payment.register
    bank = rpc("account.journal", "search_read", [("type", "=", "bank")], fields=["id", "name"], limit=1)
    same_shape(bank, recorded("account.journal.search_read"), keep=("name",))
    pay_ctx = {"active_model": "account.move", "active_ids": [invoice[0]["id"]]}
    register = rpc(
        "account.payment.register",
        "create",
        {
            "journal_id": bank[0]["id"],
            "payment_date": "2026-11-30",
            "communication": "shopify gid://shopify/OrderTransaction/1",
        },
        context=pay_ctx,
    )
    paid_action = rpc("account.payment.register", "action_create_payments", [register], context=pay_ctx)
    same_shape(
        paid_action,
        recorded("account.payment.register.action_create_payments"),
        keep=("name", "type", "res_model", "context", "view_mode"),
    )
    after = rpc(
        "account.move",
        "read",
        [invoice[0]["id"]],
        ["payment_state", "amount_residual", "state", "matched_payment_ids"],
    )
    same_shape(
        after,
        next(step for step in _walk() if step["call"] == "account.move.read")["result"],
        keep=("payment_state", "amount_residual", "state"),
    )
    assert after[0]["matched_payment_ids"] == [paid_action["res_id"]]
    payment = rpc(
        "account.payment",
        "search_read",
        [("memo", "ilike", "OrderTransaction")],
        fields=[
            "id",
            "name",
            "state",
            "amount",
            "memo",
            "is_reconciled",
            "is_matched",
            "move_id",
            "invoice_ids",
        ],
    )
    same_shape(
        payment,
        recorded("account.payment.search_read"),
        keep=("state", "amount", "memo", "is_reconciled", "is_matched"),
    )
    assert re.fullmatch(rf"PBNK1/{year}/\d{{5}}", payment[0]["name"])
    assert payment[0]["move_id"][1] == f"{payment[0]['name']} (shopify gid://shopify/OrderTransaction/1)"
    assert payment[0]["invoice_ids"] == [invoice[0]["id"]]

    # credit note through account.move.reversal
    journal = rpc("account.move", "read", [invoice[0]["id"]], ["journal_id"])
    same_shape(journal, [step for step in _walk() if step["call"] == "account.move.read"][1]["result"])
    assert journal[0]["journal_id"][1] == "Sales"
    reversal = rpc(
        "account.move.reversal",
        "create",
        {"reason": "shopify refund 1", "journal_id": journal[0]["journal_id"][0]},
        context=pay_ctx,
    )
    refund_action = rpc("account.move.reversal", "refund_moves", [reversal], context=pay_ctx)
    same_shape(
        refund_action,
        recorded("account.move.reversal.refund_moves"),
        keep=("name", "type", "res_model", "view_mode", "context"),
    )
    posted_name = rpc("account.move", "read", [invoice[0]["id"]], ["name"])[0]["name"]
    assert re.fullmatch(rf"INV/{year}/\d{{5}}", posted_name)
    credit = rpc(
        "account.move",
        "search_read",
        [("reversed_entry_id", "=", invoice[0]["id"])],
        fields=["id", "name", "state", "move_type", "amount_total", "ref"],
    )
    same_shape(
        credit,
        [step for step in _walk() if step["call"] == "account.move.search_read"][1]["result"],
        keep=("name", "state", "move_type", "amount_total"),
    )
    assert credit[0]["ref"] == f"Reversal of: {posted_name}, shopify refund 1"

    # return through stock.return.picking
    done = rpc(
        "stock.picking", "search_read", [("sale_id", "=", so[0]), ("state", "=", "done")], fields=["id"]
    )
    assert done == [{"id": picks[0]["id"]}]
    ret_ctx = {"active_model": "stock.picking", "active_id": done[0]["id"], "active_ids": [done[0]["id"]]}
    ret = rpc("stock.return.picking", "create", {"picking_id": done[0]["id"]}, context=ret_ctx)
    ret_lines = rpc(
        "stock.return.picking.line",
        "search_read",
        [("wizard_id", "=", ret)],
        fields=["id", "product_id", "quantity", "move_id"],
    )
    same_shape(ret_lines, recorded("stock.return.picking.line.search_read"), keep=("quantity",))
    assert ret_lines[0]["product_id"][1] == "[CMP-PROBE] Cmp Probe"
    assert ret_lines[0]["move_id"][1] == f"{name[0]['name']}/CMP-PROBE: Stock>Customers"
    assert rpc("stock.return.picking.line", "write", [ret_lines[0]["id"]], {"quantity": 1}) is True
    returned = rpc("stock.return.picking", "action_create_returns", [ret], context=ret_ctx)
    same_shape(
        returned,
        recorded("stock.return.picking.action_create_returns"),
        keep=("name", "view_mode", "res_model", "type"),
    )
    assert returned["context"] == ret_ctx
    assert rpc.read1("stock.picking", returned["res_id"], ["state", "origin", "return_id"]) == {
        "id": returned["res_id"],
        "state": "assigned",
        "origin": f"Return of {both[1]['name']}",
        "return_id": [done[0]["id"], both[1]["name"]],
    }

    # two refusals
    with pytest.raises(OdooFault) as err:
        rpc("sale.order", "_create_invoices", so)
    assert f"{err.value.name}: {err.value.message}" == recorded("sale.order._create_invoices")
    assert rpc("stock.picking", "button_validate", [done[0]["id"]]) is True
