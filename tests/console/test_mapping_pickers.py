"""The propose form's pickers: Odoo products, sale taxes, carriers and journals searched in the shop's Odoo
company (the Odoo stand-in, over HTTP), and an id checked before it can be proposed."""

from __future__ import annotations

from typing import Any

import pytest

from opsconsole.core.models import AuditEntry
from sync.engine.clients import clients_reset
from sync.models import MappingChange, MappingTable
from sync.services.mappings import MappingRow, mapping_apply
from tests.support.odoo import Rpc


def _product(rpc: Rpc, sku: str) -> dict[str, Any]:
    [row] = rpc("product.product", "search_read", [("default_code", "=", sku)], ["display_name"])
    return row  # type: ignore[no-any-return]


def _pick(client, shop, table: str, field: str, **params: Any):  # type: ignore[no-untyped-def]
    return client.get(
        "/mappings/pick/", {"shop": shop.pk, "table": table, "field": field, **params}, HTTP_HX_REQUEST="true"
    )


def test_a_product_is_found_by_sku_and_shown_with_its_id_and_company(odoo_shop, odoo, client_for):
    client, _ = client_for("integration_admin")
    product = _product(odoo["rpc"], "MERINOTE-S-NAVY")

    response = _pick(client, odoo_shop, "sku", "product_id", q="merinote-s-na")

    assert response.status_code == 200
    assert response.content.decode().count('data-testid="pick-result"') == 1
    assert f"[MERINOTE-S-NAVY] {product['display_name'].split('] ', 1)[1]}" in response.content.decode()
    assert f"(id {product['id']}, " in response.content.decode()


def test_choosing_a_product_fills_the_hidden_id_and_the_internal_reference(odoo_shop, odoo, client_for):
    client, _ = client_for("integration_admin")
    product = _product(odoo["rpc"], "MERINOTE-S-NAVY")

    body = _pick(client, odoo_shop, "sku", "product_id", choose=product["id"]).content.decode()

    assert f'name="f_product_id" value="{product["id"]}"' in body
    assert 'id="f-default_code" type="text" name="f_default_code" value="MERINOTE-S-NAVY"' in body
    assert 'hx-swap-oob="true"' in body


def test_another_companys_product_is_neither_offered_nor_chosen(odoo_shop, odoo, client_for):
    client, _ = client_for("integration_admin")

    search = _pick(client, odoo_shop, "sku", "product_id", q="SECOND-TEE").content.decode()
    chosen = _pick(client, odoo_shop, "sku", "product_id", choose=odoo["their_product"]).content.decode()

    assert 'data-testid="pick-none"' in search
    assert 'name="f_product_id"' not in chosen
    assert f"Odoo has no product {odoo['their_product']} for this shop" in chosen


def test_journals_of_the_shops_company_only_bank_cash_and_sale(odoo_shop, odoo, client_for):
    client, _ = client_for("integration_admin")
    rpc: Rpc = odoo["rpc"]
    ours = rpc("account.journal", "search_read", [("company_id", "=", 1)], ["name", "code", "type"])

    body = _pick(client, odoo_shop, "gateway", "journal_id", q="Bank").content.decode()

    offered = [j for j in ours if "bank" in j["name"].lower() or "bank" in j["code"].lower()]
    offered = [j for j in offered if j["type"] in ("bank", "cash", "sale")]
    assert offered
    assert body.count('data-testid="pick-result"') == len(offered)
    for journal in offered:
        assert f"{journal['name']} [{journal['code']}] · {journal['type']} (id {journal['id']}, " in body
    for journal in odoo["second"]["journals"].values():
        assert f"(id {journal}, " not in body


def test_sale_taxes_show_how_they_treat_prices(odoo_shop, odoo, client_for):
    client, _ = client_for("integration_admin")
    rpc: Rpc = odoo["rpc"]
    taxes = rpc(
        "account.tax",
        "search_read",
        [("type_tax_use", "=", "sale"), ("company_id", "=", 1), ("name", "ilike", "vat")],
        ["name", "price_include", "price_include_override"],
    )

    body = _pick(client, odoo_shop, "tax", "included_tax_id", q="Vat").content.decode()

    assert len(taxes) >= 2
    assert body.count('data-testid="pick-result"') == len(taxes)
    for tax in taxes:
        treatment = "prices include tax" if tax["price_include"] else "prices exclude tax"
        if not tax["price_include_override"]:
            treatment += " (company default)"
        assert f"{tax['name']} · " in body and f"· {treatment} (id {tax['id']}, " in body


def test_a_search_needs_two_characters_and_asks_odoo_nothing_before(odoo_shop, odoo, client_for):
    client, _ = client_for("integration_admin")
    odoo["sandbox"].control.reset_counters()

    body = _pick(client, odoo_shop, "sku", "product_id", q="M").content.decode()

    assert "Type at least 2 characters" in body
    assert odoo["sandbox"].control.counters()["total"] == 0


def test_searches_are_rate_limited_per_person(odoo_shop, client_for):
    client, _ = client_for("integration_admin")

    answers = [_pick(client, odoo_shop, "shipping", "carrier_id", q="xx").status_code for _ in range(31)]

    assert answers[:30] == [200] * 30
    assert answers[30] == 429


@pytest.mark.parametrize("role", ["viewer", "ops", "finance"])
def test_only_mapping_editors_search(odoo_shop, client_for, role):
    client, _ = client_for(role)

    assert _pick(client, odoo_shop, "sku", "product_id", q="MERINO").status_code == 403


def test_a_shop_the_user_is_not_given_is_not_searched(odoo_shop, client_for):
    from sync.models import ShopAccess
    from tests.factories import ShopifyShopFactory

    client, admin = client_for("integration_admin")
    other: Any = ShopifyShopFactory(domain="other.myshopify.com")
    ShopAccess.objects.create(user=admin, shop=other)

    assert _pick(client, odoo_shop, "sku", "product_id", q="MERINO").status_code == 404


def test_an_admin_proposes_a_sku_mapping_with_a_picked_product(odoo_shop, odoo, client_for):
    client, admin = client_for("integration_admin", "ada")
    product = _product(odoo["rpc"], "MERINOTE-S-NAVY")

    response = client.post(
        "/mappings/propose/",
        {
            "shop": odoo_shop.pk,
            "table": "sku",
            "key": "ABC-123",
            "f_product_id": str(product["id"]),
            "f_default_code": "MERINOTE-S-NAVY",
        },
    )

    change = MappingChange.objects.get()
    assert response.status_code == 302
    assert (change.proposed_by, change.rows) == (
        admin,
        [
            {
                "table": "sku",
                "key": "ABC-123",
                "value": {"product_id": product["id"], "default_code": "MERINOTE-S-NAVY"},
            }
        ],
    )
    assert AuditEntry.objects.get(action="mapping.propose").actor_name == "ada"


@pytest.mark.parametrize(
    ("table", "fields", "message"),
    [
        (
            "sku",
            {"f_product_id": "999999"},
            "sku K: product_id 999999 is no product that company 1 of Odoo can use",
        ),
        ("sku", {"f_product_id": "THEIRS"}, "is no product that company 1 of Odoo can use"),
        ("gateway", {"f_journal_id": "GENERAL"}, "is no journal that company 1 of Odoo can use"),
        (
            "tax",
            {"f_tax_id": "INCLUDED", "f_name": "x"},
            "includes tax in the price, but this field is for prices that exclude tax",
        ),
    ],
)
def test_a_typed_id_of_the_wrong_record_is_refused_and_nothing_is_proposed(
    odoo_shop, odoo, client_for, table, fields, message
):
    client, _ = client_for("integration_admin")
    rpc: Rpc = odoo["rpc"]
    ids = {
        "THEIRS": lambda: odoo["their_product"],
        "GENERAL": lambda: rpc(
            "account.journal", "search", [("type", "=", "general"), ("company_id", "=", 1)], limit=1
        )[0],
        "INCLUDED": lambda: rpc(
            "account.tax",
            "search",
            [("type_tax_use", "=", "sale"), ("company_id", "=", 1), ("price_include", "=", True)],
            limit=1,
        )[0],
    }
    data = {k: str(ids[v]()) if v in ids else v for k, v in fields.items()}
    if table == "gateway":
        data["f_name"] = "Stripe"

    response = client.post("/mappings/propose/", {"shop": odoo_shop.pk, "table": table, "key": "K", **data})

    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert MappingChange.objects.count() == 0


def test_odoo_down_refuses_the_proposal_and_says_so(shop, client_for):
    # the console's shop points at an Odoo nobody answers for
    shop.odoo.url = "http://127.0.0.1:9"
    shop.odoo.save()
    clients_reset()
    client, _ = client_for("integration_admin")

    response = client.post(
        "/mappings/propose/", {"shop": shop.pk, "table": "sku", "key": "K", "f_product_id": "41"}
    )

    assert response.status_code == 200
    assert "could not be asked whether the ids exist, so nothing was proposed" in response.content.decode()
    assert MappingChange.objects.count() == 0


def test_a_current_mapping_shows_its_id_in_the_picker_without_asking_odoo(shop, client_for):
    mapping_apply(
        shop=shop, rows=[MappingRow(MappingTable.SKU, "NEW-1", {"product_id": 77, "default_code": "N1"})]
    )
    client, _ = client_for("integration_admin")

    body = client.get(f"/mappings/propose/?shop={shop.pk}&table=sku&key=NEW-1").content.decode()

    assert 'name="f_product_id" value="77"' in body
    assert "id 77 · N1" in body
