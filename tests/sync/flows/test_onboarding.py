"""Onboarding proposes and never writes: setup_shop reads both sides and proposes ONE mapping change with a
report (matched, ambiguous, missing on either side); nothing is created or changed in Odoo."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from opsconsole.demo_catalogue import demo_setup_catalogue
from sandbox import catalogue
from sync.engine.clients import shopify_client_for
from sync.models import MappingChange, MappingEntry
from sync.services.setup import SetupCatalogue, shop_setup
from tests.sync.flows.conftest import NO_WEBHOOKS

WRITES = {"create", "write", "unlink", "web_save", "copy", "action_archive"}


def _odoo_writes(booking) -> dict[str, list[str]]:
    calls = booking.odoo_standin.control.counters()["calls"]
    return {model: sorted(set(methods) & WRITES) for model, methods in calls.items() if set(methods) & WRITES}


@pytest.mark.parametrize("version", [17, 19])
def test_set_up_proposes_one_change_with_a_report_and_writes_nothing_to_odoo(booking_for, version):
    # given the demo shop and its Odoo, not set up yet, where one SKU has two Odoo products and one Odoo
    # product is not sold in Shopify
    booking = booking_for(version, setup=False)
    booking.odoo.execute(
        "product.product",
        "create",
        vals_list=[{"name": "Ceramic mug (old)", "default_code": "CERAMICM-SAND", "type": "consu"}],
    )
    booking.odoo.execute(
        "product.product",
        "create",
        vals_list=[{"name": "Gift wrap", "default_code": "GIFT-WRAP", "type": "consu", "sale_ok": True}],
    )
    booking.odoo_standin.control.reset_counters()

    # when set-up runs
    report = shop_setup(
        shop=booking.shop,
        callback_url=NO_WEBHOOKS,
        catalogue=SetupCatalogue.from_dict(demo_setup_catalogue()),
        leave_unmapped=["BEANIE-RUST"],
    )

    # then nothing was written to Odoo and nothing is mapped yet: one change waits for approval
    assert _odoo_writes(booking) == {}
    assert not MappingEntry.objects.filter(shop=booking.shop).exists()
    change = MappingChange.objects.get(shop=booking.shop)
    assert (change.pk, change.state) == (report.change_id, MappingChange.State.PROPOSED)
    tables = {row["table"] for row in change.rows}
    assert tables == {"shop", "sku", "tax", "shipping", "gateway", "location", "financial_status", "carrier"}
    # and the report says what matched and what did not
    found = report.report
    matched_skus = {e["shopify"] for e in found["matched"]["sku"]}
    assert "MERINOTE-M-NAVY" in matched_skus and "CERAMICM-SAND" not in matched_skus
    [ambiguous] = found["ambiguous"]["sku"]
    assert ambiguous["shopify"] == "CERAMICM-SAND" and "2 Odoo products" in ambiguous["why"]
    missing = {e["shopify"] for e in found["missing_in_odoo"]["sku"]}
    assert missing == set(catalogue.SHOPIFY_ONLY_SKUS) | {"BEANIE-RUST"}
    assert {e["odoo"] for e in found["missing_in_shopify"]["sku"]} >= {"GIFT-WRAP"}
    taxes = {(e["shopify"], e["odoo"], e["how"]) for e in found["matched"]["tax"]}
    assert ("VAT 20%|0.2", "20% VAT", "prices exclude tax") in taxes
    assert ("VAT 20%|0.2", "20% VAT (incl.)", "prices include tax") in taxes
    tax_row = next(r for r in change.rows if r["table"] == "tax" and r["key"] == "VAT 20%|0.2")
    assert set(tax_row["value"]) == {"tax_id", "name", "included_tax_id", "included_name"}
    shop_row = next(r for r in change.rows if r["table"] == "shop")["value"]
    assert (shop_row["currency"], shop_row["tax_rounding"], shop_row["taxes_included"]) == (
        "EUR",
        "round_per_line",
        False,
    )


def test_a_tax_included_shop_whose_odoo_lacks_tax_included_taxes_is_told_exactly_what_to_create(booking_for):
    # given a tax-included shop on Odoo 19 whose tax-included taxes were archived
    booking = booking_for(19, taxes_included=True, setup=False)
    included = booking.odoo.execute("account.tax", "search", domain=[("name", "like", "(incl.)")])
    booking.odoo.execute("account.tax", "write", included, vals={"active": False})
    booking.odoo_standin.control.reset_counters()

    # when set-up runs through the command
    out = io.StringIO()
    call_command(
        "setup_shop",
        "--domain",
        booking.shop.domain,
        "--callback-url",
        NO_WEBHOOKS,
        "--catalogue",
        _hints_file(),
        stdout=out,
    )

    # then the proposal maps what exists and the report names the Odoo tax to create, with its treatment
    change = MappingChange.objects.get(shop=booking.shop)
    tax_row = next(r for r in change.rows if r["table"] == "tax" and r["key"] == "VAT 20%|0.2")
    assert "included_tax_id" not in tax_row["value"]
    assert _odoo_writes(booking) == {}
    assert (
        "to create in Odoo yourself: an active sale tax, type percent, amount 20, price_include_override "
        "'tax_included' (Included in Price: Tax Included), for Shopify's 'VAT 20%' (prices include tax)"
    ) in out.getvalue()
    assert "nothing was written to Odoo" in out.getvalue()


def _hints_file() -> str:
    import json
    import tempfile

    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)  # noqa: SIM115
    json.dump(demo_setup_catalogue(), handle)
    handle.close()
    return handle.name


def test_the_report_names_price_include_override_for_a_missing_tax_included_tax():
    from decimal import Decimal

    from sync.transforms.onboarding import OdooSide, OdooTax, ShopifySide, propose

    shopify = ShopifySide("s.myshopify.com", "EUR", True, [], [], [], [], [("VAT 20%", "0.2")])
    odoo = OdooSide(
        19,
        [{"id": 1, "name": "Co", "currency": "EUR", "rounding": "round_globally"}],
        [{"id": 1, "name": "EUR", "currency": "EUR", "company_id": 1}],
        [],
        [OdooTax(3, "20% VAT", Decimal("20"), "percent", False)],
        [],
        [],
        [],
    )

    proposal = propose(shopify, odoo)

    assert proposal.missing_in_odoo["tax"] == [
        {"shopify": "VAT 20%|0.2", "why": "no Odoo sale tax for orders whose prices include tax"}
    ]
    assert proposal.create_in_odoo == [
        "an active sale tax, type percent, amount 20, price_include_override 'tax_included' (Included in "
        "Price: Tax Included), for Shopify's 'VAT 20%' (prices include tax)"
    ]
    assert (
        "shop",
        "shop",
        {
            "company_id": 1,
            "currency": "EUR",
            "pricelist_id": 1,
            "tax_rounding": "round_globally",
            "taxes_included": True,
        },
    ) in proposal.rows


PRODUCT_SET = (
    "mutation P($input: ProductSetInput!) { productSet(input: $input, synchronous: true) {"
    " product { id isGiftCard variants(first: 5) { nodes { sku requiresComponents } } }"
    " userErrors { field message code } } }"
)


def test_gift_cards_and_bundles_are_recognised_not_missing_in_odoo(booking_for):
    # given a gift-card product and two bundles in Shopify; Odoo has a product with one bundle's SKU (its kit)
    booking = booking_for(19, setup=False)
    shopify = shopify_client_for(booking.shop)
    for title, gift, sku, bundle in (
        ("Gift card", True, "GC-50", False),
        ("Brew set", False, "BUNDLE-BREW", True),
        ("Coffee gift set", False, "BUNDLE-COFFEE", True),
    ):
        data = shopify.graphql(
            PRODUCT_SET,
            {
                "input": {
                    "title": title,
                    "giftCard": gift,
                    "productOptions": [{"name": "Title", "values": [{"name": "Default Title"}]}],
                    "variants": [
                        {
                            "optionValues": [{"optionName": "Title", "name": "Default Title"}],
                            "sku": sku,
                            "price": "50.00",
                            "requiresComponents": bundle,
                        }
                    ],
                }
            },
        )["productSet"]
        assert data["userErrors"] == []
        assert data["product"]["isGiftCard"] is gift
        assert data["product"]["variants"]["nodes"] == [{"sku": sku, "requiresComponents": bundle}]
    [kit] = booking.odoo.execute(
        "product.product",
        "create",
        vals_list=[{"name": "Coffee gift set", "default_code": "BUNDLE-COFFEE", "type": "consu"}],
    )
    # when set-up runs
    report = shop_setup(
        shop=booking.shop,
        callback_url=NO_WEBHOOKS,
        catalogue=SetupCatalogue.from_dict(demo_setup_catalogue()),
    )
    # then the gift card and the bundles are recognised as such, not reported missing in Odoo
    found = report.report
    missing = {e["shopify"] for e in found["missing_in_odoo"].get("sku", [])}
    assert {"GC-50", "BUNDLE-BREW", "BUNDLE-COFFEE"}.isdisjoint(missing)
    [gift] = found["recognised"]["gift_card"]
    assert gift["shopify"] == "GC-50" and "gift_card_product_id" in gift["why"]
    bundles = {e["shopify"]: e for e in found["recognised"]["bundle"]}
    assert "BUNDLE row" in bundles["BUNDLE-BREW"]["why"]
    assert bundles["BUNDLE-COFFEE"]["how"] == "kit, by internal reference"
    # and the bundle whose SKU Odoo has is proposed as that kit; neither is proposed as a SKU
    change = MappingChange.objects.get(pk=report.change_id)
    rows = {(r["table"], r["key"]): r["value"] for r in change.rows}
    assert rows[("bundle", "BUNDLE-COFFEE")] == {"mode": "kit", "product_id": kit}
    assert not {
        ("sku", "GC-50"),
        ("sku", "BUNDLE-BREW"),
        ("sku", "BUNDLE-COFFEE"),
        ("bundle", "BUNDLE-BREW"),
    } & set(rows)
    assert found["summary"]["recognised"] == {"bundle": 2, "gift_card": 1}
