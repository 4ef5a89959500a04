"""The other remote entry points: XML-RPC, the web session, ORM methods called remotely, multi-company."""

from __future__ import annotations

import xmlrpc.client

import pytest
import requests

from tests.support.odoo import OdooFault


def _xml(sb, service: str, legacy: bool = False) -> xmlrpc.client.ServerProxy:
    prefix = "xmlrpc" if legacy else "xmlrpc/2"
    return xmlrpc.client.ServerProxy(f"{sb.base_url}/{prefix}/{service}")


@pytest.mark.parametrize("version", [17, 19])
def test_xmlrpc_common_and_object(sandbox_for, version) -> None:
    sb = sandbox_for(version)
    common, obj = _xml(sb, "common"), _xml(sb, "object")
    # when
    info = common.version()
    uid = common.authenticate("sandbox", "admin", "admin", {})
    refused = common.authenticate("sandbox", "admin", "wrong", {})
    by_key = common.authenticate("sandbox", "admin", "sandbox-api-key", {})
    rows = obj.execute_kw(
        "sandbox", uid, "admin", "res.partner", "search_read", [[["id", "=", 3]]], {"fields": ["name"]}
    )
    created = obj.execute_kw(
        "sandbox", uid, "sandbox-api-key", "res.partner", "create", [{"name": "Via XML-RPC"}]
    )
    # then
    assert info["server_version_info"][:2] == [version, 0]
    assert (uid, refused, by_key) == (2, False, 2)
    assert rows == [{"id": 3, "name": "Mitchell Admin"}]
    assert isinstance(created, int)


def test_xmlrpc_faults_carry_odoos_codes(sandbox_for) -> None:
    sb = sandbox_for(19)
    obj = _xml(sb, "object")

    def fault(*args) -> xmlrpc.client.Fault:
        with pytest.raises(xmlrpc.client.Fault) as err:
            obj.execute_kw("sandbox", *args)
        return err.value

    quant = obj.execute_kw("sandbox", 2, "admin", "stock.quant", "search", [[]], {"limit": 1})
    user_error = fault(2, "admin", "sale.order", "create", [{"client_order_ref": "x"}])
    denied = fault(2, "wrong", "res.partner", "search", [[]])
    private = fault(2, "admin", "sale.order", "_create_invoices", [[1]])
    application = fault(2, "admin", "res.partner", "create", [{"nope": 1}])
    none_result = fault(2, "admin", "stock.quant", "action_apply_inventory", [quant])
    assert (user_error.faultCode, user_error.faultString.split(":")[0]) == (
        2,
        "The operation cannot be completed",
    )
    assert (denied.faultCode, denied.faultString) == (3, "Access Denied")
    assert (private.faultCode, private.faultString) == (
        4,
        "Private methods (such as 'sale.order._create_invoices') cannot be called remotely.",
    )
    assert application.faultCode == 1
    assert application.faultString.strip().endswith(
        "builtins.ValueError: Invalid field 'nope' on model 'res.partner'"
    )
    # API-NOTES I: a method returning nothing cannot be marshalled over XML-RPC
    assert none_result.faultCode == 1
    assert none_result.faultString.strip().endswith("cannot marshal None unless allow_none is enabled")


def test_legacy_xmlrpc_answers_string_fault_codes(sandbox_for) -> None:
    sb = sandbox_for(19)
    with pytest.raises(xmlrpc.client.Fault) as err:
        _xml(sb, "object", legacy=True).execute_kw(
            "sandbox", 2, "admin", "res.partner", "write", [[99999], {"name": "x"}]
        )
    assert err.value.faultCode == (
        "warning -- MissingError\n\n"
        "Record does not exist or has been deleted.\n(Record: res.partner(99999,), User: 2)"
    )


def test_web_session_authenticate_then_call_kw_on_the_cookie(sandbox_for) -> None:
    sb = sandbox_for(19)
    session = requests.Session()

    def call(path: str, params: dict, s: requests.Session = session) -> dict:
        return s.post(
            f"{sb.base_url}{path}",
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params},
            timeout=10,
        ).json()

    refused = call(
        "/web/session/authenticate",
        {"db": "sandbox", "login": "admin", "password": "nope"},
        requests.Session(),
    )
    info = call("/web/session/authenticate", {"db": "sandbox", "login": "admin", "password": "admin"})
    rows = call(
        "/web/dataset/call_kw/res.partner/search_read",
        {
            "model": "res.partner",
            "method": "search_read",
            "args": [[["id", "=", 3]]],
            "kwargs": {"fields": ["name"]},
        },
    )
    anonymous = call(
        "/web/dataset/call_kw",
        {"model": "res.partner", "method": "search", "args": [[]], "kwargs": {}},
        requests.Session(),
    )
    assert refused["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
    result = info["result"]
    assert (result["uid"], result["username"], result["db"], result["server_version"]) == (
        2,
        "admin",
        "sandbox",
        "19.0",
    )
    assert result["user_companies"]["current_company"] == 1
    assert "session_id" in session.cookies
    assert rows["result"] == [{"id": 3, "name": "Mitchell Admin"}]
    assert (anonymous["error"]["code"], anonymous["error"]["data"]["name"]) == (
        100,
        "odoo.http.SessionExpiredException",
    )


def test_copy_name_create_exists_and_default_get(rpc_for) -> None:
    rpc = rpc_for(19)
    copied = rpc("res.partner", "copy", [3])
    quick = rpc("res.partner", "name_create", "Quick Partner")
    assert len(copied) == 1  # API-NOTES I: copy answers a list of ids
    assert rpc.read1("res.partner", copied[0], ["name"])["name"] == "Mitchell Admin (copy)"
    assert quick == [quick[0], "Quick Partner"]
    assert rpc("res.partner", "exists", [3, 99999]) == [3]
    assert rpc("sale.order", "default_get", ["state", "name", "picking_policy", "partner_id"]) == {
        "state": "draft",
        "name": "New",
        "picking_policy": "direct",
    }
    assert rpc("sale.order", "default_get", ["partner_id"], context={"default_partner_id": 3}) == {
        "partner_id": 3
    }


def test_copy_of_an_order_takes_its_lines_but_not_its_reference(rpc_for) -> None:
    rpc = rpc_for(19)
    so = rpc.create(
        "sale.order",
        {
            "partner_id": 3,
            "client_order_ref": "REF-1",
            "order_line": [(0, 0, {"product_id": 1, "product_uom_qty": 2})],
        },
    )
    rpc("sale.order", "action_confirm", [so])
    copy = rpc("sale.order", "copy", [so])[0]
    read = rpc.read1("sale.order", copy, ["state", "client_order_ref", "name", "amount_total", "order_line"])
    original = rpc.read1("sale.order", so, ["name", "amount_total"])
    assert (read["state"], read["client_order_ref"]) == ("draft", False)
    assert read["name"] != original["name"] and read["amount_total"] == original["amount_total"]
    assert len(read["order_line"]) == 1


def test_read_group_by_a_relation_and_by_month(rpc_for) -> None:
    rpc = rpc_for(19)
    for name, qty in (("A", 2), ("B", 5)):
        so = rpc.create(
            "sale.order",
            {
                "partner_id": 3,
                "origin": name,
                "order_line": [(0, 0, {"product_id": 1, "product_uom_qty": qty})],
            },
        )
        assert so
    by_partner = rpc("sale.order", "read_group", [], ["amount_untaxed:sum"], ["partner_id"])
    by_month = rpc("sale.order", "read_group", [], [], ["date_order:month"], lazy=False)
    assert len(by_partner) == 1
    assert by_partner[0]["partner_id"] == [3, "Mitchell Admin"]
    assert by_partner[0]["partner_id_count"] == 2
    assert by_partner[0]["__domain"] == [["partner_id", "=", 3]]
    assert by_partner[0]["amount_untaxed"] == pytest.approx(
        sum(r["amount_untaxed"] for r in rpc("sale.order", "search_read", [], ["amount_untaxed"]))
    )
    assert by_month[0]["__count"] == 2 and set(by_month[0]) == {"date_order:month", "__count", "__domain"}


def test_message_post_writes_a_readable_chatter_message(rpc_for) -> None:
    rpc19, rpc18 = rpc_for(19), rpc_for(18)
    so19 = rpc19.create("sale.order", {"partner_id": 3})
    so18 = rpc18.create("sale.order", {"partner_id": 3})
    # when
    posted19 = rpc19(
        "sale.order", "message_post", [so19], body="Refund of 5.00 EUR issued in Shopify", subject="Refund"
    )
    posted18 = rpc18("sale.order", "message_post", [so18], body="Hello")
    # then (API-NOTES I: a list of ids on 19, an int on 18)
    assert isinstance(posted19, list) and isinstance(posted18, int)
    message = rpc19.read1(
        "mail.message",
        posted19[0],
        ["model", "res_id", "body", "subject", "message_type", "author_id", "preview", "record_name"],
    )
    name = rpc19.read1("sale.order", so19, ["name", "message_ids"])
    assert message == {
        "id": posted19[0],
        "model": "sale.order",
        "res_id": so19,
        "body": "<p>Refund of 5.00 EUR issued in Shopify</p>",
        "subject": "Refund",
        "message_type": "notification",
        "author_id": [3, "Mitchell Admin"],
        "preview": "Refund of 5.00 EUR issued in Shopify",
        "record_name": name["name"],
    }
    assert name["message_ids"] == posted19
    with pytest.raises(OdooFault) as err:
        rpc19("sale.order", "message_post", [so19], body="x", not_a_parameter=1)
    assert err.value.message == "Those values are not supported when posting or notifying: not_a_parameter"


def test_active_test_in_the_context_and_keyword_argument_forms(rpc_for) -> None:
    rpc = rpc_for(19)
    archived = rpc.create("res.partner", {"name": "Archived", "active": False})
    assert rpc("res.partner", "search", [("id", "=", archived)]) == []
    assert rpc("res.partner", "search", [("id", "=", archived)], context={"active_test": False}) == [archived]
    assert rpc("res.partner", "search", domain=[("id", "=", 3)]) == [3]
    assert rpc("res.partner", "read", [3], fields=["name"]) == [{"id": 3, "name": "Mitchell Admin"}]
    assert rpc(
        "res.partner", "search_read", domain=[("id", "in", [1, 3])], fields=["name"], order="id desc", limit=1
    ) == [{"id": 3, "name": "Mitchell Admin"}]
    assert rpc("res.partner", "read", [3], ["parent_id", "name"], load=None) == [
        {"id": 3, "parent_id": False, "name": "Mitchell Admin"}
    ]


def test_web_save_creates_and_reads_back_in_one_call(rpc_for) -> None:
    rpc = rpc_for(19)
    answer = rpc(
        "sale.order",
        "web_save",
        [],
        {
            "partner_id": 3,
            "order_line": [(0, 0, {"product_id": 1, "product_uom_qty": 2, "price_unit": 10.0})],
        },
        specification={
            "name": {},
            "amount_untaxed": {},
            "amount_total": {},
            "partner_id": {"fields": {"display_name": {}}},
        },
    )
    assert len(answer) == 1
    assert answer[0]["partner_id"] == {"id": 3, "display_name": "Mitchell Admin"}
    assert answer[0]["amount_untaxed"] == 20.0
    assert (
        answer[0]["amount_total"]
        == rpc.read1("sale.order", answer[0]["id"], ["amount_total"])["amount_total"]
    )


def test_multi_company_records_follow_allowed_company_ids(rpc_for) -> None:
    rpc = rpc_for(19)
    second = rpc.sandbox.control.seed_company(
        "Second Shop SAS", currency="USD", country="US", tax_rate=8.0, code="SH2"
    )
    c2 = second["company_id"]
    # when an order is made for each company (for a customer shared by both: the admin's partner is
    # company 1's, and an order of company 2 would refuse it)
    shared = rpc.create("res.partner", {"name": "Shared customer"})
    mine = rpc.create("sale.order", {"partner_id": shared})
    theirs = rpc.create("sale.order", {"partner_id": shared}, context={"allowed_company_ids": [c2]})
    # then records carry their company and the allowed companies decide what is seen
    read = rpc.read1(
        "sale.order",
        theirs,
        ["company_id", "warehouse_id", "currency_id"],
        context={"allowed_company_ids": [c2]},
    )
    assert read["company_id"] == [c2, "Second Shop SAS"]
    assert read["warehouse_id"][0] == second["warehouse_id"]
    assert read["currency_id"][1] == "USD"
    assert rpc(
        "sale.order", "search", [("id", "in", [mine, theirs])], context={"allowed_company_ids": [1]}
    ) == [mine]
    assert sorted(rpc("sale.order", "search", [("id", "in", [mine, theirs])])) == [mine, theirs]
    with pytest.raises(OdooFault) as hidden:
        rpc("sale.order", "read", [theirs], ["name"], context={"allowed_company_ids": [1]})
    with pytest.raises(OdooFault) as foreign:
        rpc("sale.order", "search", [], context={"allowed_company_ids": [99]})
    assert hidden.value.name == "odoo.exceptions.AccessError"
    assert "Note: this might be a multi-company issue." in hidden.value.message
    assert (foreign.value.name, foreign.value.message) == (
        "odoo.exceptions.AccessError",
        "Access to unauthorized or invalid companies.",
    )
    # each company has its own taxes, journals and sequence of invoices
    taxes = rpc(
        "account.tax",
        "search_read",
        [("type_tax_use", "=", "sale")],
        ["company_id"],
        context={"allowed_company_ids": [c2]},
    )
    assert {t["company_id"][0] for t in taxes} == {c2}


def test_an_order_of_one_company_refuses_a_customer_of_another_as_odoo_does(rpc_for) -> None:
    # given a second company and a customer of each company, and one shared by both
    rpc = rpc_for(19)
    c2 = rpc.sandbox.control.seed_company("Crossover SAS", currency="USD", country="US", code="XC2")[
        "company_id"
    ]
    mine = rpc.create("res.partner", {"name": "Ann of one", "company_id": 1})
    theirs = rpc.create(
        "res.partner", {"name": "Ann of two", "company_id": c2}, context={"allowed_company_ids": [c2]}
    )
    shared = rpc.create("res.partner", {"name": "Ann of all"})
    before = rpc("sale.order", "search_count", [])

    # when orders of company 1 are made for each
    with pytest.raises(OdooFault) as refused:
        rpc.create("sale.order", {"partner_id": theirs}, context={"allowed_company_ids": [1]})
    own = rpc.create("sale.order", {"partner_id": mine}, context={"allowed_company_ids": [1]})
    common = rpc.create("sale.order", {"partner_id": shared}, context={"allowed_company_ids": [1]})
    with pytest.raises(OdooFault) as rewritten:
        rpc(
            "sale.order",
            "write",
            [own],
            {"partner_shipping_id": theirs},
            context={"allowed_company_ids": [1, c2]},
        )

    # then the other company's customer is refused with Odoo's message, and nothing of it is written
    assert refused.value.name == "odoo.exceptions.UserError"
    lines = refused.value.message.split("\n")
    assert lines[0] == "Uh-oh! You\u2019ve got some company inconsistencies here:"
    assert lines[1].startswith("- “S")
    assert lines[1].endswith(
        "” belongs to company “Sandbox Retail SARL” while “Customer” (partner_id: 'Ann of two') "
        "belongs to another company."
    )
    assert lines[-1] == "To avoid a mess, no company crossover is allowed!"
    assert "partner_shipping_id: 'Ann of two'" in rewritten.value.message
    assert rpc("sale.order", "search_count", []) == before + 2
    assert rpc.read1("sale.order", own, ["partner_shipping_id"])["partner_shipping_id"][0] == mine
    assert rpc.read1("sale.order", common, ["partner_id"])["partner_id"][0] == shared
