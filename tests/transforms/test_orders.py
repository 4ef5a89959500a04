from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from opsconsole.core.errors import BusinessRuleError
from sync.transforms import order_to_odoo, payment_journals, tax_key
from sync.transforms.orders import order_duties, order_lines_for, split_candidates
from sync.transforms.types import ContactDraft, OdooLineDraft, RoundingAdjustment
from tests.transforms.builders import LineSpec, OrderSpec, ShippingSpec, build_order, mappings_for, money_set
from tests.transforms.conftest import load

D = Decimal


def _consistent_reference(order: dict[str, Any]) -> dict[str, Any]:
    """The reference order with the tax Shopify's 6 % rate really gives (its fixture says 3.98 per line)."""
    fixed = copy.deepcopy(order)
    for line in fixed["line_items"]:
        line["tax_lines"][0]["price"] = "11.74"
        line["tax_lines"][0]["price_set"]["shop_money"]["amount"] = "11.74"
    fixed["total_tax_set"]["shop_money"]["amount"] = "35.22"
    fixed["total_price_set"]["shop_money"]["amount"] = "622.22"
    return fixed


def test_the_reference_order_parks_as_total_mismatch_because_its_tax_lines_do_not_follow_their_rate(
    reference_order, reference_mappings
):
    # given Shopify's published order #1001: 6 % State Tax but 3.98 per ~195.66 line (that is 2 %)
    # when
    with pytest.raises(BusinessRuleError) as raised:
        order_to_odoo(reference_order, reference_mappings)

    # then
    error = raised.value
    assert error.code == "total_mismatch"
    # the key names the cause (one problem for every order it hits); the order is in the details
    assert (error.key, error.details["order_id"]) == ("tax_lines_off_rate", "450789469")
    assert error.message.startswith(
        "Odoo would book 622.22 USD (tax 35.22), Shopify charged 598.94 USD (tax 11.94), "
        "difference 23.28 USD (tax 23.28): Odoo's tax computation differs from Shopify's tax lines: "
        "product 466157049 tax 'State Tax|0.06': Odoo 11.74, Shopify 3.98"
    )
    assert error.details["total_difference"] == "23.28"
    assert len(error.details["line_tax_differences"]) == 3


def test_the_reference_order_with_consistent_tax_becomes_an_exact_draft(reference_order, reference_mappings):
    # given
    order = _consistent_reference(reference_order)

    # when
    draft = order_to_odoo(order, reference_mappings)

    # then
    assert draft.client_order_ref == "450789469"
    assert draft.origin == "#1001"
    assert draft.currency == "USD"
    assert (draft.company_id, draft.pricelist_id, draft.carrier_id) == (1, 2, 41)
    assert draft.email == "bob.norman@mail.example.com"
    assert draft.note == "custom engraving: Happy Birthday\ncolour: green"
    assert draft.customer.external_id == "207119551"
    assert draft.customer.name == "Bob Norman"
    assert draft.customer.is_guest is False
    assert draft.invoice_contact == ContactDraft(
        type="invoice",
        name="Bob Norman",
        street="Chestnut Street 92",
        city="Louisville",
        zip="40202",
        state_code="KY",
        country_code="US",
        phone="+1(502)-459-2181",
    )
    assert draft.delivery_contact is not None and draft.delivery_contact.type == "delivery"
    assert draft.lines == (
        OdooLineDraft(
            "product",
            11,
            "IPod Nano - 8gb - green (discount -3.34: TENOFF)",
            1,
            D("195.66"),
            (21,),
            "466157049",
            "IPOD2008GREEN",
        ),
        OdooLineDraft(
            "product",
            12,
            "IPod Nano - 8gb - red (discount -3.33: TENOFF)",
            1,
            D("195.67"),
            (21,),
            "518995019",
            "IPOD2008RED",
        ),
        OdooLineDraft(
            "product",
            13,
            "IPod Nano - 8gb - black (discount -3.33: TENOFF)",
            1,
            D("195.67"),
            (21,),
            "703073504",
            "IPOD2008BLACK",
        ),
        OdooLineDraft("delivery", 31, "Free Shipping", 1, D("0.00"), (), "369256396", None),
    )
    totals = draft.expected_totals
    assert (totals.amount_untaxed, totals.amount_tax, totals.amount_total) == (
        D("587.00"),
        D("35.22"),
        D("622.22"),
    )
    assert totals.tax_by_id == ((21, D("35.22")),)
    assert totals.matches
    assert draft.confirm is True  # partially_refunded is in this shop's confirm_on
    assert draft.payment_gateways == ("bogus",)
    assert draft.lines[0].odoo_values(odoo_major=19)["tax_ids"] == [(6, 0, [21])]
    assert draft.lines[0].odoo_values(odoo_major=18)["tax_id"] == [(6, 0, [21])]


def test_the_2014_python_fixture_without_line_tax_lines_parks_and_says_why(reference_mappings):
    # given the old order shape: tax only at order level, subtotal 398.00 for three 199.00 lines
    order = load("python-api-order.json")

    # when
    with pytest.raises(BusinessRuleError) as raised:
        order_to_odoo(order, reference_mappings)

    # then
    assert raised.value.code == "total_mismatch"
    assert raised.value.details["odoo_total"] == "597.00"
    assert raised.value.details["shopify_total"] == "409.94"
    assert any("differs from the sum of its line tax_lines 0" in r for r in raised.value.details["reasons"])


def test_a_line_whose_discount_does_not_divide_by_its_quantity_is_split_into_two_exact_lines():
    # given 3 x 10.00 with 1.00 off: 29.00 / 3 is not a whole number of cents
    order = build_order(OrderSpec([LineSpec(D("10.00"), 3, D("1.00"), ("VAT 20%",))]))

    # when
    draft = order_to_odoo(order, mappings_for())

    # then
    assert [(line.quantity, line.price_unit) for line in draft.lines] == [(1, D("9.66")), (2, D("9.67"))]
    assert sum(line.subtotal for line in draft.lines) == D("29.00")
    totals = draft.expected_totals
    assert (totals.amount_untaxed, totals.amount_tax, totals.amount_total) == (
        D("29.00"),
        D("5.80"),
        D("34.80"),
    )


def test_a_split_is_chosen_so_that_odoo_rounds_each_line_s_tax_to_what_shopify_charged():
    # given 2 x 0.03 with 0.01 off at 20 %: Shopify charges round(0.05 * 0.2) = 0.01; the even split
    # (0.02 + 0.03) would give Odoo 0.00 + 0.01 = 0.01 too, and 0.01 + 0.04 gives 0.00 + 0.01
    order = build_order(OrderSpec([LineSpec(D("0.03"), 2, D("0.01"), ("VAT 20%",))]))

    # when
    draft = order_to_odoo(order, mappings_for())

    # then
    assert draft.expected_totals.amount_tax == D("0.01")
    assert draft.expected_totals.amount_total == D("0.06")


def test_split_candidates_add_up_exactly_and_prefer_unit_prices_one_cent_apart():
    candidates = split_candidates(2900, 3)

    assert candidates[0] == ((1, 966), (2, 967))
    assert all(sum(q * u for q, u in c) == 2900 and len(c) <= 2 for c in candidates)
    assert split_candidates(3000, 3)[0] == ((3, 1000),)


def test_shipping_discounts_are_booked_in_the_delivery_line_with_its_tax_and_carrier():
    # given shipping 10.00 with 4.00 off, taxed at 20 %, method "standard" -> carrier 30
    order = build_order(
        OrderSpec(
            [LineSpec(D("20.00"), 1, D(0), ("VAT 20%",))], [ShippingSpec(D("10.00"), D("4.00"), ("VAT 20%",))]
        )
    )

    # when
    draft = order_to_odoo(order, mappings_for())

    # then
    delivery = draft.lines[-1]
    assert delivery == OdooLineDraft(
        "delivery", 300, "Standard (discount -4.00: FREESHIP)", 1, D("6.00"), (200,), "7000"
    )
    assert draft.carrier_id == 30
    assert draft.expected_totals.amount_total == D("31.20") == D(order["total_price"])


def test_taxes_included_orders_total_the_sum_of_the_lines():
    # given a tax-included shop: 3 x 9.99 with 0.50 off, VAT 20 % included
    order = build_order(OrderSpec([LineSpec(D("9.99"), 3, D("0.50"), ("VAT 20%",))], taxes_included=True))

    # when
    draft = order_to_odoo(order, mappings_for())

    # then tax = 29.47 * 0.2 / 1.2 = 4.911... -> 4.91
    totals = draft.expected_totals
    assert (totals.amount_untaxed, totals.amount_tax, totals.amount_total) == (
        D("24.56"),
        D("4.91"),
        D("29.47"),
    )
    assert totals.matches


def test_a_presentment_currency_other_than_the_shop_currency_books_shop_money():
    # given a customer paying in USD in a EUR shop: presentment amounts are 1.1 x the shop amounts
    order = build_order(OrderSpec([LineSpec(D("10.00"), 2, D("1.00"), ("VAT 20%",))]))
    order["presentment_currency"] = "USD"
    line = order["line_items"][0]
    line["price"] = "11.00"  # the plain field carries the presentment amount here
    line["price_set"] = money_set(D("10.00"), D("11.00"))
    line["discount_allocations"][0]["amount_set"] = money_set(D("1.00"), D("1.10"))
    line["tax_lines"][0]["price_set"] = money_set(D("3.80"), D("4.18"))
    order["total_price"] = "25.08"
    order["total_price_set"] = money_set(D("22.80"), D("25.08"))
    order["total_tax_set"] = money_set(D("3.80"), D("4.18"))

    # when
    draft = order_to_odoo(order, mappings_for())

    # then
    assert draft.currency == "EUR"
    assert [(x.quantity, x.price_unit) for x in draft.lines] == [(1, D("9.50")), (1, D("9.50"))] or [
        (x.quantity, x.price_unit) for x in draft.lines
    ] == [(2, D("9.50"))]
    assert draft.expected_totals.amount_total == D("22.80")


def test_an_order_in_another_shop_currency_is_refused():
    order = build_order(OrderSpec([LineSpec(D("10.00"), 1, D(0), ())]))
    order["currency"] = "GBP"

    with pytest.raises(BusinessRuleError) as raised:
        order_to_odoo(order, mappings_for())

    assert (raised.value.code, raised.value.key) == ("currency_mismatch", "GBP")


def test_a_guest_checkout_gets_a_guest_partner_from_the_billing_address():
    # given
    order = build_order(OrderSpec([LineSpec(D("10.00"), 1, D(0), ())]))
    order["customer"] = None
    order["email"] = "guest@example.org"
    order["billing_address"] = {
        "first_name": "Ann",
        "last_name": "Lee",
        "address1": "1 Rue X",
        "city": "Lyon",
        "zip": "69001",
        "country_code": "fr",
        "province_code": None,
        "phone": "+33 6 12",
    }

    # when
    draft = order_to_odoo(order, mappings_for())

    # then
    assert draft.customer.is_guest is True
    assert draft.customer.external_id is None
    assert (draft.customer.name, draft.customer.email) == ("Ann Lee", "guest@example.org")
    assert draft.customer.address is not None and draft.customer.address.country_code == "FR"
    assert draft.invoice_contact is not None and draft.invoice_contact.city == "Lyon"
    assert draft.delivery_contact is None


def _order_with(**line_overrides: Any) -> dict[str, Any]:
    order = build_order(
        OrderSpec(
            [LineSpec(D("10.00"), 1, D(0), ("VAT 20%",)), LineSpec(D("5.00"), 1, D(0), (), sku="SKU-2")],
            [ShippingSpec(D("4.00"))],
        )
    )
    order["line_items"][0].update(line_overrides)
    return order


@pytest.mark.parametrize(
    ("mutate", "code", "key"),
    [
        (lambda o: o["line_items"][0].update(sku="NOPE-B"), "unknown_sku", "NOPE-B"),
        (lambda o: o["line_items"][0].update(sku=""), "missing_sku", "Product 0"),
        (lambda o: o["line_items"][0]["tax_lines"][0].update(title="Eco tax"), "unknown_tax", "Eco tax|0.2"),
        (
            lambda o: o["shipping_lines"][0].update(code="drone", title="Drone"),
            "unknown_shipping_method",
            "drone",
        ),
    ],
)
def test_each_missing_mapping_raises_its_stable_code_and_key(mutate, code, key):
    order = _order_with()
    mutate(order)

    with pytest.raises(BusinessRuleError) as raised:
        order_to_odoo(order, mappings_for())

    assert (raised.value.code, raised.value.key) == (code, key)
    assert raised.value.details["missing"] == {code: [key]}


def test_the_first_missing_mapping_is_raised_and_every_missing_key_is_listed():
    # given two unknown SKUs, an unknown tax and an unknown shipping method
    order = _order_with(sku="ZZZ")
    order["line_items"][1]["sku"] = "AAA"
    order["line_items"][1]["tax_lines"] = [{"title": "Eco", "rate": 0.01, "price": "0.05"}]
    order["shipping_lines"][0]["code"] = "drone"

    # when
    with pytest.raises(BusinessRuleError) as raised:
        order_to_odoo(order, mappings_for())

    # then SKUs first, sorted
    assert (raised.value.code, raised.value.key) == ("unknown_sku", "AAA")
    assert raised.value.details["missing"] == {
        "unknown_sku": ["AAA", "ZZZ"],
        "unknown_tax": ["Eco|0.01"],
        "unknown_shipping_method": ["drone"],
    }
    assert "and 3 other missing mappings" in raised.value.message


def test_the_shipping_title_is_the_fallback_key():
    order = _order_with()
    order["shipping_lines"][0].update(code="UPS-GROUND-17", title="express")

    draft = order_to_odoo(order, mappings_for())

    assert draft.lines[-1].product_id == 301
    assert draft.carrier_id is None


def test_an_unmapped_gateway_does_not_block_the_order_but_blocks_payment_mapping():
    order = _order_with()
    order["payment_gateway_names"] = ["paypal", "gift_card", "shopify_payments"]

    draft = order_to_odoo(order, mappings_for())
    with pytest.raises(BusinessRuleError) as raised:
        payment_journals(order, mappings_for())

    assert draft.payment_gateways == ("paypal", "gift_card", "shopify_payments")
    assert (raised.value.code, raised.value.key) == ("unknown_gateway", "gift_card")
    assert raised.value.details["missing"] == {"unknown_gateway": ["gift_card", "paypal"]}
    assert payment_journals(_order_with(), mappings_for()) == {"shopify_payments": 400}


def _order_with_tip(tip: str) -> dict[str, Any]:
    order = _order_with()
    order["total_tip_received"] = tip
    total = str(D(order["total_price"]) + D(tip))
    order["total_price"] = total
    order["total_price_set"]["shop_money"]["amount"] = total
    return order


def test_a_tip_without_a_tip_product_parks_naming_the_tip_not_a_total_mismatch():
    order = _order_with_tip("2.00")

    with pytest.raises(BusinessRuleError) as raised:
        order_to_odoo(order, mappings_for())

    assert (raised.value.code, raised.value.key) == ("tip_not_mapped", "shop")
    assert "received a tip of 2.00" in raised.value.message
    assert "tip_product_id" in raised.value.message


def test_a_tip_is_booked_tax_free_on_the_tip_product_to_shopifys_total_and_noted():
    order = _order_with_tip("2.35")

    draft = order_to_odoo(order, mappings_for(tip_product_id=77))

    tips = [line for line in draft.lines if line.kind == "tip"]
    assert [(t.product_id, t.quantity, t.price_unit, t.tax_ids) for t in tips] == [(77, 1, D("2.35"), ())]
    assert draft.expected_totals.matches
    assert draft.expected_totals.amount_total == D(order["total_price"])
    assert "Tip received: 2.35" in draft.note


def test_an_order_without_a_tip_books_no_tip_line_and_notes_none():
    draft = order_to_odoo(_order_with(), mappings_for(tip_product_id=77))

    assert not [line for line in draft.lines if line.kind == "tip"]
    assert "Tip" not in draft.note


def test_a_finance_approved_rounding_rule_books_a_small_difference_as_a_tax_free_line():
    # given Shopify rounded per line (0.0055 -> 0.01, twice),
    # and the Odoo company rounds globally (0.011 -> 0.01)
    order = build_order(
        OrderSpec(
            [
                LineSpec(D("0.10"), 1, D(0), ("VAT 5.5%",)),
                LineSpec(D("0.10"), 1, D(0), ("VAT 5.5%",), sku="SKU-2"),
            ]
        )
    )
    assert order["total_tax"] == "0.02"
    globally = mappings_for(tax_rounding="round_globally")
    with pytest.raises(BusinessRuleError) as raised:
        order_to_odoo(order, globally)
    assert "rounds taxes globally" in raised.value.message

    # when the shop has an approved rule of up to 0.05
    draft = order_to_odoo(
        order,
        mappings_for(tax_rounding="round_globally", rounding_adjustment=RoundingAdjustment(999, D("0.05"))),
    )

    # then
    assert draft.lines[-1].kind == "rounding"
    assert (draft.lines[-1].price_unit, draft.lines[-1].tax_ids) == (D("0.01"), ())
    assert draft.expected_totals.amount_total == D("0.22") == D(order["total_price"])
    assert draft.expected_totals.amount_tax == D("0.02") - D("0.01")


def test_confirm_follows_the_financial_status_and_never_confirms_a_cancelled_order():
    order = _order_with()
    assert order_to_odoo(order, mappings_for()).confirm is True
    order["financial_status"] = "pending"
    assert order_to_odoo(order, mappings_for()).confirm is False
    order["financial_status"] = "paid"
    order["cancelled_at"] = "2025-03-02T10:00:00+01:00"
    draft = order_to_odoo(order, mappings_for())
    assert (draft.confirm, draft.cancelled) == (False, True)


def test_the_note_joins_the_order_note_and_its_attributes():
    order = _order_with()
    order["note"] = "Leave at the door"
    order["note_attributes"] = [{"name": "gift wrap", "value": "yes"}]

    assert order_to_odoo(order, mappings_for()).note == "Leave at the door\n\ngift wrap: yes"


def test_tax_keys_normalise_the_rate():
    assert tax_key("VAT 20%", 0.2) == "VAT 20%|0.2"
    assert tax_key("VAT 20%", "0.200") == "VAT 20%|0.2"
    assert tax_key(" State Tax ", 0.06) == "State Tax|0.06"


def test_a_zero_decimal_currency_splits_in_whole_units():
    # given a JPY shop: 3 x 1000 with 100 off -> 2900 over 3 units
    order = build_order(OrderSpec([LineSpec(D("1000"), 3, D("100"), ())]))
    order["currency"] = "JPY"

    draft = order_to_odoo(order, mappings_for(currency="JPY"))

    assert [(x.quantity, x.price_unit) for x in draft.lines] == [(1, D("966")), (2, D("967"))]


def _order_with_duties(duties: str) -> dict[str, Any]:
    order = _order_with()
    bag = {
        "shop_money": {"amount": duties, "currency_code": "EUR"},
        "presentment_money": {"amount": duties, "currency_code": "EUR"},
    }
    order["original_total_duties_set"] = order["current_total_duties_set"] = bag
    order["line_items"][0]["duties"] = [
        {
            "id": "9",
            "harmonized_system_code": "610910",
            "country_code_of_origin": "PT",
            **bag,
            "tax_lines": [],
        }
    ]
    total = str(D(order["total_price"]) + D(duties))
    order["total_price"] = total
    order["total_price_set"]["shop_money"]["amount"] = total
    return order


def test_duties_without_a_duties_product_park_naming_them_not_as_a_total_mismatch():
    with pytest.raises(BusinessRuleError) as raised:
        order_to_odoo(_order_with_duties("1.90"), mappings_for())

    assert (raised.value.code, raised.value.key) == ("duties_not_mapped", "shop")
    assert "Shopify charged import duties of 1.90 EUR" in raised.value.message


def test_duties_are_booked_tax_free_on_the_duties_product_to_shopifys_total_and_noted():
    order = _order_with_duties("1.90")

    draft = order_to_odoo(order, mappings_for(duties_product_id=78))

    duties = [line for line in draft.lines if line.kind == "duties"]
    assert [(d.product_id, d.quantity, d.price_unit, d.tax_ids) for d in duties] == [(78, 1, D("1.90"), ())]
    assert draft.expected_totals.matches
    assert draft.expected_totals.amount_total == D(order["total_price"]) == D("22.90")
    assert "Duties charged: 1.90 EUR" in draft.note


def test_duties_stated_on_the_line_items_only_are_summed():
    order = _order_with_duties("1.90")
    order["original_total_duties_set"] = None
    order["line_items"][1]["duties"] = [{"id": "10", "price_set": order["line_items"][0]["duties"][0] | {}}]
    order["line_items"][1]["duties"][0]["price_set"] = {
        "shop_money": {"amount": "0.60", "currency_code": "EUR"},
        "presentment_money": {"amount": "0.60", "currency_code": "EUR"},
    }

    assert order_duties(order) == D("2.50")


def test_lines_priced_for_an_edit_carry_neither_the_tip_nor_the_duties_again():
    order = _order_with_duties("1.90")
    order["total_tip_received"] = "2.00"
    mappings = mappings_for(duties_product_id=78, tip_product_id=77)

    lines = order_lines_for(order, mappings, {str(order["line_items"][1]["id"]): 2})

    assert [(line.kind, line.quantity) for line in lines] == [("product", 2)]
