"""The stand-in's models are the real Odoo 19 field lists (and the recorded 17/18 differences)."""

from __future__ import annotations

import json

import pytest
import requests

from sandbox.odoo import schema
from sandbox.odoo.schema import extract
from tests.support.odoo import OdooFault


def test_the_extract_is_what_the_script_cuts_from_the_measured_reference() -> None:
    reference = extract.find_reference()
    if reference is None:
        pytest.skip(f"odoo19-fields.json not found in {[str(p) for p in extract.reference_candidates()]}")
    # when
    text = extract.render(extract.extract(reference))
    # then
    assert text == extract.OUTPUT.read_text(encoding="utf-8")
    measured = json.loads(reference.read_text(encoding="utf-8"))["models"]
    expanded = schema.fields_for(19)
    for model, fields in measured.items():
        if "__error__" in fields:
            assert model not in expanded
            continue
        assert expanded[model] == fields, model


def test_the_extract_says_where_it_comes_from() -> None:
    source = schema.measured()["source"]
    assert source["server_version"] == "19.0"
    assert source["modules"] == "sale_management,stock,account,contacts,delivery (demo data)"
    assert len(source["sha256"]) == 64
    assert source["not_in_server"] == {"sale.order.cancel": "Object sale.order.cancel doesn't exist"}
    assert len(schema.measured()["models"]) == 44


def test_compact_form_round_trips_every_attribute() -> None:
    desc = {
        "company_dependent": False,
        "groupable": True,
        "readonly": True,
        "required": False,
        "searchable": True,
        "sortable": True,
        "store": True,
        "string": "Status",
        "translate": False,
        "type": "selection",
        "selection": [["draft", "Draft"]],
    }
    assert schema.expand_field(schema.compact_field(desc)) == desc
    with pytest.raises(ValueError, match="help"):
        schema.compact_field({**desc, "help": "not carried"})


def test_every_model_not_measured_names_its_source() -> None:
    sources = schema.model_sources()
    extra = {m: s for m, s in sources.items() if not s.startswith("measured")}
    assert sorted(extra) == [
        "account.bank.statement",
        "account.payment.method",
        "ir.config_parameter",
        "mail.message",
        "product.attribute",
        "product.attribute.value",
        "product.template.attribute.line",
        "product.template.attribute.value",
        "res.groups",
        "res.lang",
        "sale.order.cancel",
        "stock.backorder.confirmation.line",
    ]
    assert all("odoo/odoo" in s for s in extra.values())


def test_fields_get_answers_the_measured_lists_on_19(rpc_for) -> None:
    rpc = rpc_for(19)
    expanded = schema.fields_for(19)
    for model in schema.measured()["models"]:
        # when
        answer = rpc(model, "fields_get")
        # then
        assert answer == expanded[model], model


@pytest.mark.parametrize("version", [17, 18])
def test_17_and_18_answer_the_recorded_overlays(rpc_for, version) -> None:
    rpc = rpc_for(version)
    changes = [c for c in schema.overlays()["changes"] if version in c["versions"]]
    assert changes
    for change in changes:
        fields = rpc(change["model"], "fields_get")
        for fname in change.get("remove", []):
            if fname not in change.get("add", {}):
                assert fname not in fields, (change["model"], fname)
        for fname, item in change.get("add", {}).items():
            assert fields[fname] == schema.expand_field(item), (change["model"], fname)


def test_sale_order_cancel_exists_on_18_and_not_on_19(rpc_for) -> None:
    assert "order_id" in rpc_for(18)("sale.order.cancel", "fields_get")
    with pytest.raises(OdooFault) as err:
        rpc_for(19)("sale.order.cancel", "fields_get")
    assert (err.value.name, err.value.message) == (
        "odoo.exceptions.UserError",
        "Object sale.order.cancel doesn't exist",
    )


def test_fields_get_filters_fields_and_attributes(rpc_for) -> None:
    rpc = rpc_for(19)
    answer = rpc("res.partner", "fields_get", ["color", "parent_id"], ["type", "relation", "store"])
    assert answer == {
        "color": {"type": "integer", "store": True},
        "parent_id": {"type": "many2one", "relation": "res.partner", "store": True},
    }


@pytest.mark.parametrize("version", [17, 18, 19])
def test_unknown_fields_are_refused_as_odoo_refuses_them(rpc_for, version) -> None:
    rpc = rpc_for(version)
    before = rpc("res.partner", "search_count", [])
    for call in (
        lambda: rpc("res.partner", "create", [{"name": "X", "nope": 1}]),
        lambda: rpc("res.partner", "write", [3], {"nope": 1}),
        lambda: rpc("res.partner", "read", [3], ["nope"]),
    ):
        with pytest.raises(OdooFault) as err:
            call()
        assert (err.value.name, err.value.message) == (
            "builtins.ValueError",
            "Invalid field 'nope' on model 'res.partner'",
        )
    with pytest.raises(OdooFault) as err:
        rpc("res.partner", "search", [("x", "=", 1)])
    word = "condition" if version >= 19 else "leaf"
    assert err.value.message == f"Invalid field res.partner.x in {word} ('x', '=', 1)"
    assert rpc("res.partner", "search_count", []) == before


def test_standard_fields_a_real_client_sets_are_there(rpc_for) -> None:
    rpc = rpc_for(19)
    # res.partner.color
    partner = rpc.create("res.partner", {"name": "Colourful", "color": 4})
    assert rpc.read1("res.partner", partner, ["color"]) == {"id": partner, "color": 4}
    # product.template.qty_available and product.product.virtual_available (computed from stock)
    tmpl = rpc.create("product.template", {"name": "Counted", "type": "consu", "is_storable": True})
    variant = rpc("product.template", "read", [tmpl], ["product_variant_id"])[0]["product_variant_id"][0]
    stock = rpc("stock.warehouse", "search_read", [], ["lot_stock_id"], limit=1)[0]["lot_stock_id"][0]
    quant = rpc.create("stock.quant", {"product_id": variant, "location_id": stock, "inventory_quantity": 7})
    rpc("stock.quant", "action_apply_inventory", [quant])
    assert rpc.read1("product.template", tmpl, ["qty_available"])["qty_available"] == 7.0
    assert rpc.read1("product.product", variant, ["virtual_available"])["virtual_available"] == 7.0
    # account.payment.memo and move_id
    pay = rpc.create("account.payment", {"amount": 5.0, "memo": "M-1", "partner_id": partner})
    assert rpc.read1("account.payment", pay, ["memo", "move_id", "state"]) == {
        "id": pay,
        "memo": "M-1",
        "move_id": False,
        "state": "draft",
    }
    rpc("account.payment", "action_post", [pay])
    move = rpc.read1("account.payment", pay, ["move_id"])["move_id"]
    assert move[1].endswith("(M-1)")


@pytest.mark.parametrize("version", [18, 19])
def test_price_include_is_computed_from_the_override_and_a_write_is_ignored(rpc_for, version) -> None:
    rpc = rpc_for(version)
    group = rpc("account.tax.group", "search", [], limit=1)[0]
    excluded = rpc.create("account.tax", {"name": "T-ex", "amount": 10, "tax_group_id": group})
    # when a client writes price_include (README: no inverse in 19, the write is silently ignored)
    assert rpc("account.tax", "write", [excluded], {"price_include": True}) is True
    included = rpc.create(
        "account.tax",
        {"name": "T-in", "amount": 10, "tax_group_id": group, "price_include_override": "tax_included"},
    )
    # then
    assert rpc.read1("account.tax", excluded, ["price_include", "price_include_override"]) == {
        "id": excluded,
        "price_include": False,
        "price_include_override": False,
    }
    assert rpc.read1("account.tax", included, ["price_include"])["price_include"] is True
    # and the company default decides when there is no override
    rpc("res.company", "write", [1], {"account_price_include": "tax_included"})
    assert rpc.read1("account.tax", excluded, ["price_include"])["price_include"] is True


def test_price_include_is_a_stored_boolean_on_17(rpc_for) -> None:
    rpc = rpc_for(17)
    group = rpc("account.tax.group", "search", [], limit=1)[0]
    tax = rpc.create(
        "account.tax", {"name": "T-in", "amount": 10, "tax_group_id": group, "price_include": True}
    )
    assert rpc.read1("account.tax", tax, ["price_include"])["price_include"] is True


def test_a_relation_to_a_model_the_sandbox_does_not_play_is_refused_loudly(rpc_for) -> None:
    rpc = rpc_for(19)
    so = rpc.create("sale.order", {"partner_id": 3})
    with pytest.raises(OdooFault) as err:
        rpc("sale.order", "write", [so], {"team_id": 1})
    assert err.value.name == "builtins.NotImplementedError"
    assert err.value.message == "The sandbox does not play crm.team, so it cannot set sale.order.team_id"
    assert rpc.read1("sale.order", so, ["team_id"])["team_id"] is False


def test_non_stored_fields_written_through_their_inverse(rpc_for) -> None:
    rpc = rpc_for(19)
    # product.template.standard_price lives on the variants
    tmpl = rpc.create("product.template", {"name": "Costed", "standard_price": 4.5})
    variant = rpc.read1("product.template", tmpl, ["product_variant_id"])["product_variant_id"][0]
    assert rpc.read1("product.product", variant, ["standard_price"])["standard_price"] == 4.5
    rpc("product.template", "write", [tmpl], {"standard_price": 6.0})
    assert rpc.read1("product.template", tmpl, ["standard_price"])["standard_price"] == 6.0
    # res.users.password sets what common.login accepts
    uid = rpc.create("res.users", {"login": "bob", "name": "Bob", "password": "s3cret"})
    login = requests.post(
        f"{rpc.sandbox.base_url}/jsonrpc",
        json={
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"service": "common", "method": "login", "args": ["sandbox", "bob", "s3cret"]},
        },
        timeout=10,
    ).json()
    assert login["result"] == uid
