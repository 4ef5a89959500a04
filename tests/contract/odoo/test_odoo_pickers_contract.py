"""The connector's picking operations (``pick_search``, ``pick_read``: the mapping screens' pickers), run
against the sandbox (17, 18, 19; JSON-RPC and JSON-2) or a real Odoo given credentials.

Each test creates the records it searches for, with unique names, through the connector; it works in the
user's own company (``allowed_company_ids``), as the shop's client does.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sync.connectors.odoo import OdooClient, OdooConfig, connect


def _key(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}".upper()


def _company_client(config: OdooConfig) -> tuple[OdooClient, int, str]:
    client = connect(config)
    uid = client.whoami().uid
    [user] = client.execute("res.users", "read", [uid], fields=["company_id"])
    return client.for_company(int(user["company_id"][0])), int(user["company_id"][0]), user["company_id"][1]


def _create(client: OdooClient, model: str, vals: dict[str, Any]) -> int:
    made = client.execute(model, "create", vals_list=[vals])
    return int(made[0] if isinstance(made, list) else made)


def _product(client: OdooClient, name: str, sku: str, barcode: str) -> int:
    return _create(
        client, "product.product", {"name": name, "default_code": sku, "barcode": barcode, "type": "consu"}
    )


def _tax(client: OdooClient, name: str, amount: float, *, included: bool, use: str = "sale") -> int:
    vals: dict[str, Any] = {"name": name, "amount": amount, "amount_type": "percent", "type_tax_use": use}
    if client.version[0] >= 18:
        vals["price_include_override"] = "tax_included" if included else "tax_excluded"
    else:
        vals["price_include"] = included
    return _create(client, "account.tax", vals)


def test_products_are_picked_by_sku_name_or_barcode_at_most_twenty(odoo_config: OdooConfig) -> None:
    # given 22 products sharing a word, one of them with its own SKU and barcode
    client, company_id, _ = _company_client(odoo_config)
    word = _key("PICK")
    sku = _key("SKU")
    barcode = str(uuid.uuid4().int)[:13]
    wanted = _product(client, f"Wanted {word}", sku, barcode)
    for n in range(21):
        _product(client, f"Other {word} {n}", _key("SKU"), str(uuid.uuid4().int)[:13])
    before = client.calls

    # when
    by_sku = client.pick_search("product", sku.lower())
    by_barcode = client.pick_search("product", barcode)
    by_name = client.pick_search("product", word)

    # then: one call each, the SKU and barcode find the one product, the name at most 20 of the 22
    assert client.calls - before == 3
    assert [(c.id, c.code, c.barcode, c.name) for c in by_sku] == [
        (wanted, sku, barcode, f"[{sku}] Wanted {word}")
    ]
    assert [c.id for c in by_barcode] == [wanted]
    assert len(by_name) == 20
    assert by_name[0].id == wanted
    assert all(c.company_id in (None, company_id) for c in by_name)


def test_sale_taxes_are_picked_by_name_or_rate_with_their_price_treatment(odoo_config: OdooConfig) -> None:
    # given a tax-included and a tax-excluded sale tax and a purchase tax of the same name
    client, company_id, company = _company_client(odoo_config)
    name = _key("VAT")
    included = _tax(client, f"{name} incl", 7.7, included=True)
    excluded = _tax(client, f"{name} excl", 7.7, included=False)
    purchase = _tax(client, f"{name} purchase", 7.7, included=False, use="purchase")

    # when
    found = client.pick_search("tax", name)
    by_rate = client.pick_search("tax", "7.7%")
    read = client.pick_read("tax", [included, excluded, purchase])

    # then: the sale taxes only, with what Odoo computes price_include to be
    assert [(c.id, c.price_include, c.amount, c.company_id, c.company) for c in found] == [
        (included, True, Decimal("7.7"), company_id, company),
        (excluded, False, Decimal("7.7"), company_id, company),
    ]
    if client.version[0] >= 18:
        assert [c.price_include_override for c in found] == ["tax_included", "tax_excluded"]
    assert {included, excluded} <= {c.id for c in by_rate}
    assert purchase not in {c.id for c in by_rate}
    assert sorted(read) == sorted([included, excluded])


def test_carriers_are_picked_by_name_with_their_delivery_product(odoo_config: OdooConfig) -> None:
    client, _, _ = _company_client(odoo_config)
    name = _key("Courier")
    product = _product(client, f"{name} delivery", _key("SHIP"), str(uuid.uuid4().int)[:13])
    carrier = _create(client, "delivery.carrier", {"name": name, "product_id": product})

    found = client.pick_search("carrier", name.lower())

    assert [(c.id, c.name, c.product_id) for c in found] == [(carrier, name, product)]


def test_bank_cash_and_sale_journals_are_picked_by_name_or_code_and_read_back_by_id(
    odoo_config: OdooConfig,
) -> None:
    # given a cash journal and a general (miscellaneous) one of the same name (not a bank journal: other
    # contract tests take the first bank journal for their statement lines)
    client, company_id, _ = _company_client(odoo_config)
    name = _key("Payments")
    code = uuid.uuid4().hex[:5].upper()
    cash = _create(client, "account.journal", {"name": name, "code": code, "type": "cash"})
    general = _create(
        client,
        "account.journal",
        {"name": f"{name} misc", "code": uuid.uuid4().hex[:5].upper(), "type": "general"},
    )

    # when
    by_name = client.pick_search("journal", name)
    by_code = client.pick_search("journal", code)
    read = client.pick_read("journal", [cash, general, 10**9])

    # then: a general journal is no payment method's journal
    assert [(c.id, c.code, c.journal_type, c.company_id) for c in by_name] == [
        (cash, code, "cash", company_id)
    ]
    assert [c.id for c in by_code] == [cash]
    assert list(read) == [cash]


def test_an_archived_product_is_not_offered_but_is_read_back_as_archived(odoo_config: OdooConfig) -> None:
    client, _, _ = _company_client(odoo_config)
    sku = _key("OLD")
    pid = _product(client, "Archived thing", sku, str(uuid.uuid4().int)[:13])
    client.execute("product.product", "write", [pid], vals={"active": False})

    assert client.pick_search("product", sku) == []
    assert client.pick_read("product", [pid])[pid].active is False
