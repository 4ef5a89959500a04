"""The sandbox answers like Odoo: checked with odoorpc and raw HTTP."""

from __future__ import annotations

import json
import urllib.request

import odoorpc
import pytest
import requests

from sandbox.odoo.testing import odoo_sandbox


def _odoo(sb):
    o = odoorpc.ODOO(sb.host, port=sb.port)
    o.login("sandbox", "admin", "admin")
    return o


def _rpc(sb, service, method, *args):
    body = {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 1,
        "params": {"service": service, "method": method, "args": list(args)},
    }
    return requests.post(f"{sb.base_url}/jsonrpc", json=body, timeout=10)


@pytest.mark.parametrize("version,code", [(18, 200), (19, 0)])
def test_jsonrpc_error_shape_per_version(sandbox_for, version, code) -> None:
    sb = sandbox_for(version)
    resp = _rpc(sb, "object", "execute_kw", "sandbox", 2, "admin", "res.partner", "create", [{"nope": 1}])
    assert resp.status_code == 200
    err = resp.json()["error"]
    assert err["code"] == code
    assert err["message"] == "Odoo Server Error"
    assert err["data"]["name"] == "builtins.ValueError"


@pytest.mark.parametrize("version", [17, 18, 19])
def test_error_names(sandbox_for, version) -> None:
    sb = sandbox_for(version)

    def name(model, method, args, kw=None):
        r = _rpc(sb, "object", "execute_kw", "sandbox", 2, "admin", model, method, args, kw or {}).json()
        return r["error"]["data"]["name"] if "error" in r else r["result"]

    assert name("sale.order", "create", [{"client_order_ref": "x"}]) == "odoo.exceptions.ValidationError"
    assert name("no.such.model", "search", [[]]) == "odoo.exceptions.UserError"
    assert name("res.partner", "no_such_method", [[3]]) == "builtins.AttributeError"
    assert name("res.partner", "_private", [[3]]) == (
        "odoo.exceptions.AccessError" if version >= 19 else "builtins.AttributeError"
    )
    assert name("res.partner", "write", [[99999], {"name": "x"}]) == "odoo.exceptions.MissingError"
    assert name("res.partner", "write", [[3], {"country_id": "France"}]) == "builtins.ValueError"
    assert name("res.partner", "read", [[99999]], {"fields": ["name"]}) == []
    assert (
        name(
            "ir.model.data",
            "create",
            [{"module": "base", "name": "main_company", "model": "res.company", "res_id": 1}],
        )
        == "odoo.exceptions.ValidationError"
    )
    assert _rpc(sb, "common", "login", "sandbox", "admin", "wrong").json()["result"] is False


def test_version_differences_in_fields(sandbox_for) -> None:
    fields = {}
    for v in (17, 18, 19):
        o = _odoo(sandbox_for(v))
        fields[v] = (
            set(o.env["sale.order.line"].fields_get()),
            set(o.env["res.partner"].fields_get()),
            set(o.env["product.product"].fields_get()),
        )
    assert {"tax_id", "product_uom"} <= fields[18][0] and not {"tax_ids", "product_uom_id"} & fields[18][0]
    assert {"tax_ids", "product_uom_id"} <= fields[19][0] and not {"tax_id", "product_uom"} & fields[19][0]
    assert "mobile" in fields[18][1] and "mobile" not in fields[19][1]
    assert "is_storable" in fields[18][2] and "is_storable" not in fields[17][2]


def test_cancel_wizard_on_18_and_direct_cancel_on_19(sandbox_for) -> None:
    results = {}
    for v in (18, 19):
        o = _odoo(sandbox_for(v))
        pid = o.env["product.product"].search([("default_code", "=", "CANVASTO-STD")])[0]
        so = o.env["sale.order"].create({"partner_id": 3, "order_line": [(0, 0, {"product_id": pid})]})
        o.env["sale.order"].browse(so).action_confirm()
        results[v] = (
            o.execute_kw("sale.order", "action_cancel", [[so]]),
            o.env["sale.order"].read(so, ["state"])[0]["state"],
        )
    assert results[18][0]["res_model"] == "sale.order.cancel" and results[18][1] == "sale"
    assert results[19] == (True, "cancel")


def test_picking_origin_and_backorder_wizard(sandbox_for) -> None:
    sb = sandbox_for(18)
    o = _odoo(sb)
    pid = o.env["product.product"].search([("default_code", "=", "CANVASTO-STD")])[0]
    so = o.env["sale.order"].create(
        {
            "partner_id": 3,
            "client_order_ref": "REF9",
            "order_line": [(0, 0, {"product_id": pid, "product_uom_qty": 3})],
        }
    )
    assert o.execute_kw("sale.order", "action_confirm", [[so]]) is True
    pick = o.env["stock.picking"].search([("sale_id", "=", so)])
    name = o.env["sale.order"].read(so, ["name"])[0]["name"]
    assert o.env["stock.picking"].read(pick, ["origin"])[0]["origin"] == f"{name} - REF9"
    move = o.env["stock.move"].search([("picking_id", "=", pick[0])])
    o.env["stock.move"].write(move, {"quantity": 1})
    action = o.execute_kw("stock.picking", "button_validate", [pick])
    assert action["res_model"] == "stock.backorder.confirmation"
    wiz = o.execute_kw("stock.backorder.confirmation", "create", [{}], {"context": action["context"]})
    o.execute_kw("stock.backorder.confirmation", "process", [[wiz]], {"context": action["context"]})
    picks = o.env["stock.picking"].search_read([("sale_id", "=", so)], ["state", "backorder_id"], order="id")
    assert [(p["state"], bool(p["backorder_id"])) for p in picks] == [("done", False), ("assigned", True)]
    assert (
        o.execute_kw(
            "sale.order.line", "search_read", [[("order_id", "=", so)]], {"fields": ["qty_delivered"]}
        )[0]["qty_delivered"]
        == 1.0
    )


def test_action_post_returns_false_and_none_results_have_no_result_key(sandbox_for) -> None:
    sb = sandbox_for(19)
    o = _odoo(sb)
    move = o.env["account.move"].create(
        {
            "move_type": "out_invoice",
            "partner_id": 3,
            "invoice_line_ids": [(0, 0, {"name": "x", "quantity": 1, "price_unit": 10})],
        }
    )
    assert o.execute_kw("account.move", "action_post", [[move]]) is False
    quant = o.env["stock.quant"].search([], limit=1)
    o.env["stock.quant"].write(quant, {"inventory_quantity": 3})
    r = _rpc(
        sb, "object", "execute_kw", "sandbox", 2, "admin", "stock.quant", "action_apply_inventory", [quant]
    ).json()
    assert "result" not in r and "error" not in r


def test_domains(sandbox_for) -> None:
    o = _odoo(sandbox_for(19))
    P = o.env["res.partner"]
    parent = P.create({"name": "Acme Corp", "is_company": True})
    child = P.create({"name": "Bob", "parent_id": parent, "type": "delivery"})
    grandchild = P.create({"name": "Bobby", "parent_id": child, "email": "bobby@x.io"})
    other = P.create({"name": "Zed", "email": "ZED@X.IO"})
    mine = [parent, child, grandchild, other]
    base = [("id", "in", mine)]
    assert P.search([*base, ("id", "child_of", parent)], order="id") == [parent, child, grandchild]
    assert P.search([*base, "|", ("name", "=", "Zed"), ("name", "=like", "Bo_")], order="id") == [
        child,
        other,
    ]
    assert P.search([*base, "!", ("email", "=", False)], order="id") == [grandchild, other]
    assert P.search([*base, ("email", "=ilike", "zed@x.io")]) == [other]
    assert P.search([*base, ("name", "ilike", "bob")], order="id") == [child, grandchild]
    assert P.search([*base, ("name", "not ilike", "bob")], order="id") == [parent, other]
    assert P.search([*base, ("parent_id.name", "=", "Acme Corp")]) == [child]
    assert P.search([*base, ("id", ">", child), ("id", "<=", other)], order="id") == [grandchild, other]
    # 0 is a number here, not False: paging "by id above the last one" starts at 0 (Odoo compares in SQL)
    assert P.search([*base, ("id", ">", 0)], order="id") == mine
    assert P.search(base, order="id desc", limit=2, offset=1) == [grandchild, child]
    assert P.search_count([*base, ("type", "not in", ["delivery"])]) == 3
    assert o.execute_kw("res.partner", "read", [[child]], {"fields": ["parent_id"]})[0]["parent_id"] == [
        parent,
        "Acme Corp",
    ]


def test_x2many_commands(sandbox_for) -> None:
    o = _odoo(sandbox_for(19))
    taxes = o.env["account.tax"].search([("type_tax_use", "=", "sale")])
    pid = o.env["product.product"].search([("default_code", "=", "CANVASTO-STD")])[0]
    so = o.env["sale.order"].create(
        {
            "partner_id": 3,
            "order_line": [
                (0, 0, {"product_id": pid, "tax_ids": [(6, 0, taxes[:2])]}),
                (0, 0, {"product_id": pid}),
            ],
        }
    )
    lines = o.env["sale.order"].read(so, ["order_line"])[0]["order_line"]
    o.env["sale.order"].write(
        [so], {"order_line": [(1, lines[0], {"tax_ids": [(3, taxes[0]), (4, taxes[2])]}), (2, lines[1], 0)]}
    )
    read = o.env["sale.order.line"].read(lines[:1], ["tax_ids"])
    assert read[0]["tax_ids"] == [taxes[1], taxes[2]]
    assert o.env["sale.order"].read(so, ["order_line"])[0]["order_line"] == [lines[0]]
    o.env["sale.order.line"].write(lines[:1], {"tax_ids": [(5, 0, 0)]})
    assert o.env["sale.order.line"].read(lines[:1], ["tax_ids"])[0]["tax_ids"] == []


def test_json2_statuses(sandbox_for) -> None:
    sb = sandbox_for(19)
    h = {"Authorization": "bearer sandbox-api-key", "X-Odoo-Database": "sandbox"}
    url = sb.base_url + "/json/2"
    assert (
        requests.post(
            f"{url}/res.partner/search", json={"domain": []}, headers={"Authorization": "bearer x"}, timeout=5
        ).status_code
        == 401
    )
    assert requests.post(f"{url}/no.model/search", json={}, headers=h, timeout=5).status_code == 404
    assert requests.post(f"{url}/res.partner/_private", json={}, headers=h, timeout=5).status_code == 403
    assert requests.get(f"{url}/res.partner/search", headers=h, timeout=5).status_code == 404
    assert requests.post(f"{url}/res.partner/search", data="{", headers=h, timeout=5).status_code == 400
    r = requests.post(
        f"{url}/sale.order/create", json={"vals_list": [{"client_order_ref": "x"}]}, headers=h, timeout=5
    )
    assert (r.status_code, r.json()["name"]) == (422, "odoo.exceptions.ValidationError")
    assert (
        requests.post(
            f"{url}/res.partner/search_read", json={"domain": [], "bogus": 1}, headers=h, timeout=5
        ).status_code
        == 500
    )
    assert (
        requests.post(
            f"{url}/res.partner/search", json={"domain": [], "bogus": 1}, headers=h, timeout=5
        ).status_code
        == 422
    )
    r = requests.post(f"{url}/res.partner/create", json={"vals_list": [{"name": "J2"}]}, headers=h, timeout=5)
    assert r.status_code == 200 and isinstance(r.json(), list)
    assert (
        requests.post(
            f"{url}/res.partner/search", json={}, headers={**h, "X-Odoo-Database": "other"}, timeout=5
        ).status_code
        == 404
    )


def test_json2_and_web_version_on_18(sandbox_for) -> None:
    sb = sandbox_for(18)
    assert (
        requests.post(
            f"{sb.base_url}/json/2/res.partner/search", json={}, timeout=5, allow_redirects=False
        ).status_code
        == 303
    )
    assert requests.get(f"{sb.base_url}/web/version", timeout=5).status_code == 404
    assert requests.get(f"{sandbox_for(19).base_url}/web/version", timeout=5).json() == {
        "version_info": [19, 0, 0, "final", 0, ""],
        "version": "19.0",
    }


def test_write_date_precision_per_version(sandbox_for) -> None:
    for version, op_sees_again in ((18, True), (19, False)):
        o = _odoo(sandbox_for(version))
        pid = o.env["res.partner"].create({"name": "Cursor"})
        wd = o.env["res.partner"].read(pid, ["write_date"])[0]["write_date"]
        assert len(wd) == 19
        again = o.env["res.partner"].search([("id", "=", pid), ("write_date", ">", wd)])
        assert (again == [pid]) is op_sees_again


def test_control_api_seed_stock_and_validate(sandbox_for) -> None:
    sb = sandbox_for(19)
    o = _odoo(sb)
    assert o.env["product.product"].search_count([("default_code", "=", "LTD-HOODIE-M")]) == 0
    assert o.env["product.product"].search_count([("default_code", "=", "MERINOTE-S-NAVY")]) == 1
    names = [
        r["complete_name"]
        for r in o.env["stock.location"].search_read([("usage", "=", "internal")], ["complete_name"])
    ]
    assert sorted(names) == ["WH/Stock", "WH/Stock/City Store"]
    codes = {j["code"] for j in o.env["account.journal"].search_read([], ["code"])}
    assert {"BNK1", "GIFT", "SHOP", "INV"} <= codes
    sb.control.set_stock("MERINOTE-S-NAVY", 3, location="WH/Stock/City Store")
    pid = o.env["product.product"].search([("default_code", "=", "MERINOTE-S-NAVY")])[0]
    assert o.env["product.product"].read(pid, ["qty_available"])[0]["qty_available"] == 43.0
    so = o.env["sale.order"].create(
        {"partner_id": 3, "order_line": [(0, 0, {"product_id": pid, "product_uom_qty": 2})]}
    )
    o.env["sale.order"].browse(so).action_confirm()
    done = sb.control.validate_picking(order_id=so, tracking_ref="1Z999")
    assert (done["state"], done["backorder_ids"]) == ("done", [])
    pick = o.env["stock.picking"].read(done["picking_id"], ["carrier_tracking_ref", "state"])[0]
    assert (pick["carrier_tracking_ref"], pick["state"]) == ("1Z999", "done")
    assert o.env["product.product"].read(pid, ["qty_available"])[0]["qty_available"] == 41.0


def test_state_survives_a_restart(tmp_path) -> None:
    with odoo_sandbox(tmp_path, version=18) as sb:
        o = _odoo(sb)
        pid = o.env["res.partner"].create({"name": "Durable"})
        sb.control.credentials(login="admin", api_key="rotated-key")
        sb.kill()  # no clean shutdown: what was answered must be on disk
        sb.start()
        o = _odoo(sb)
        assert o.env["res.partner"].read(pid, ["name"])[0]["name"] == "Durable"
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {
                    "service": "common",
                    "method": "login",
                    "args": ["sandbox", "admin", "rotated-key"],
                },
            }
        ).encode()
        with urllib.request.urlopen(
            urllib.request.Request(
                sb.base_url + "/jsonrpc", data=body, headers={"Content-Type": "application/json"}
            )
        ) as resp:
            assert json.loads(resp.read())["result"] == 2
