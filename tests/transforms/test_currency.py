"""Multi-currency: which currency an order is booked in, its amounts in that currency to that currency's
decimals, the chatter note with the other currency's amounts, and the validation of the mapping rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from opsconsole.core.errors import BusinessRuleError, ContractError
from sync.transforms.currency import (
    Booking,
    booked_mappings,
    booking_for,
    currency_mapping_errors,
    currency_note,
    in_booked_currency,
)
from sync.transforms.money import currency_decimals, quantum
from sync.transforms.orders import order_to_odoo
from sync.transforms.verify import MoneyTotals, totals_check
from tests.transforms.builders import mappings_for


def _bag(shop: str, presented: str, currency: str) -> dict[str, Any]:
    return {
        "shop_money": {"amount": shop, "currency_code": "EUR"},
        "presentment_money": {"amount": presented, "currency_code": currency},
    }


def _order(currency: str = "USD") -> dict[str, Any]:
    """A EUR shop's order presented in ``currency``: 2 x 50.00 EUR (VAT 20 % on top) and 5.00 EUR shipping;
    Shopify computed each currency on its own prices (USD 54.25 and 5.43, JPY 8000 and 800)."""
    p = {
        "USD": {
            "unit": "54.25",
            "line_tax": "21.70",
            "ship": "5.43",
            "ship_tax": "1.09",
            "tax": "22.79",
            "subtotal": "108.50",
            "total": "136.72",
        },
        "JPY": {
            "unit": "8000",
            "line_tax": "3200",
            "ship": "800",
            "ship_tax": "160",
            "tax": "3360",
            "subtotal": "16000",
            "total": "20160",
        },
        "EUR": {
            "unit": "50.00",
            "line_tax": "20.00",
            "ship": "5.00",
            "ship_tax": "1.00",
            "tax": "21.00",
            "subtotal": "100.00",
            "total": "126.00",
        },
    }[currency]
    return {
        "id": 820982911946154508,
        "name": "#1001",
        "currency": "EUR",
        "presentment_currency": currency,
        "taxes_included": False,
        "financial_status": "paid",
        "cancelled_at": None,
        "created_at": "2026-11-30T10:00:00+01:00",
        "updated_at": "2026-11-30T10:00:05+01:00",
        "customer": {"id": 555, "email": "jane.doe@example.com", "first_name": "Jane", "last_name": "Doe"},
        "subtotal_price": "100.00",
        "subtotal_price_set": _bag("100.00", p["subtotal"], currency),
        "total_shipping_price_set": _bag("5.00", p["ship"], currency),
        "total_tax": "21.00",
        "total_tax_set": _bag("21.00", p["tax"], currency),
        "total_price": "126.00",
        "total_price_set": _bag("126.00", p["total"], currency),
        "current_total_duties_set": None,
        "line_items": [
            {
                "id": 1,
                "sku": "SKU-1",
                "title": "Merino tee",
                "quantity": 2,
                "price": "50.00",
                "price_set": _bag("50.00", p["unit"], currency),
                "discount_allocations": [],
                "tax_lines": [
                    {
                        "title": "VAT 20%",
                        "rate": 0.2,
                        "price": "20.00",
                        "price_set": _bag("20.00", p["line_tax"], currency),
                    }
                ],
            }
        ],
        "shipping_lines": [
            {
                "id": 2,
                "code": "standard",
                "title": "Standard",
                "price": "5.00",
                "price_set": _bag("5.00", p["ship"], currency),
                "discounted_price": "5.00",
                "discounted_price_set": _bag("5.00", p["ship"], currency),
                "discount_allocations": [],
                "tax_lines": [
                    {
                        "title": "VAT 20%",
                        "rate": 0.2,
                        "price": "1.00",
                        "price_set": _bag("1.00", p["ship_tax"], currency),
                    }
                ],
            }
        ],
        "payment_gateway_names": ["shopify_payments"],
    }


PRESENTMENT = {"book_currency": "presentment", "pricelists": {"USD": 9, "JPY": 11}}


def test_by_default_an_order_presented_in_usd_is_booked_in_the_shop_currency() -> None:
    # given a EUR shop with no rule, and an order the customer saw in USD
    mappings = mappings_for()
    order = _order("USD")
    # when its booking is decided and the order transformed
    booking = booking_for(order, mappings)
    draft = order_to_odoo(in_booked_currency(order, booking), booked_mappings(mappings, booking))
    # then it is booked in EUR with the shop's pricelist and Shopify's shop money, to the cent
    assert booking == Booking("EUR", "EUR", "USD", "shop_money", 3)
    assert (booking.presented_otherwise, booking.in_presentment) == (True, False)
    assert (draft.currency, draft.pricelist_id) == ("EUR", 3)
    assert (draft.expected_totals.shopify_total, draft.expected_totals.shopify_tax) == (
        Decimal("126.00"),
        Decimal("21.00"),
    )
    assert [(line.quantity, line.price_unit) for line in draft.lines] == [
        (2, Decimal("50.00")),
        (1, Decimal("5.00")),
    ]
    assert draft.expected_totals.matches


def test_with_the_presentment_rule_it_is_booked_in_usd_with_the_usd_pricelist() -> None:
    mappings = mappings_for(**PRESENTMENT)
    order = _order("USD")
    booking = booking_for(order, mappings)
    booked = booked_mappings(mappings, booking)
    draft = order_to_odoo(in_booked_currency(order, booking), booked)
    assert booking == Booking("USD", "EUR", "USD", "presentment_money", 9)
    assert (booked.currency, booked.pricelist_id, booked.currency_decimals) == ("USD", 9, None)
    assert (draft.currency, draft.pricelist_id) == ("USD", 9)
    assert (draft.expected_totals.shopify_total, draft.expected_totals.shopify_tax) == (
        Decimal("136.72"),
        Decimal("22.79"),
    )
    assert (draft.expected_totals.amount_total, draft.expected_totals.amount_tax) == (
        Decimal("136.72"),
        Decimal("22.79"),
    )
    assert [(line.quantity, line.price_unit) for line in draft.lines] == [
        (2, Decimal("54.25")),
        (1, Decimal("5.43")),
    ]


def test_an_order_in_the_shop_currency_is_booked_in_it_whatever_the_rule() -> None:
    mappings = mappings_for(**PRESENTMENT)
    order = _order("EUR")
    booking = booking_for(order, mappings)
    assert booking == Booking("EUR", "EUR", "EUR", "shop_money", 3)
    assert booked_mappings(mappings, booking) is mappings
    assert in_booked_currency(order, booking) is order
    assert currency_note(order, booking) == ""


def test_a_presentment_currency_without_a_pricelist_parks_naming_it() -> None:
    mappings = mappings_for(book_currency="presentment", pricelists={"JPY": 11})
    with pytest.raises(BusinessRuleError) as err:
        booking_for(_order("USD"), mappings)
    assert (err.value.code, err.value.key) == ("unknown_pricelist", "USD")
    assert "no Odoo pricelist is mapped for USD" in str(err.value)


def test_yen_is_booked_in_whole_yen() -> None:
    # given an order presented in JPY (0 decimals) under the presentment rule
    mappings = mappings_for(**PRESENTMENT)
    order = _order("JPY")
    booking = booking_for(order, mappings)
    draft = order_to_odoo(in_booked_currency(order, booking), booked_mappings(mappings, booking))
    # then its lines and totals are whole yen, as Shopify charged
    assert (draft.currency, draft.pricelist_id) == ("JPY", 11)
    assert [(line.quantity, line.price_unit) for line in draft.lines] == [
        (2, Decimal("8000")),
        (1, Decimal("800")),
    ]
    assert (draft.expected_totals.amount_total, draft.expected_totals.amount_tax) == (
        Decimal("20160"),
        Decimal("3360"),
    )
    assert draft.expected_totals.matches


def test_a_yen_amount_with_decimals_is_refused_not_rounded() -> None:
    mappings = mappings_for(**PRESENTMENT)
    order = _order("JPY")
    order["shipping_lines"][0]["discounted_price_set"]["presentment_money"]["amount"] = "800.50"
    booking = booking_for(order, mappings)
    with pytest.raises(ContractError, match="more decimals than the currency"):
        order_to_odoo(in_booked_currency(order, booking), booked_mappings(mappings, booking))


def test_the_read_back_compares_to_the_booked_currency_decimals() -> None:
    # Odoo answers floats: 20160.0 yen is Shopify's 20160, and a yen off is a difference of 1
    q = quantum(currency_decimals("JPY"))
    assert q == Decimal("1")
    shopify = MoneyTotals.of(total=Decimal("20160"), tax=Decimal("3360")).quantized(q)
    same = MoneyTotals(Decimal("16800.0"), Decimal("3360.0"), Decimal("20160.0")).quantized(q)
    off = MoneyTotals(Decimal("16801.0"), Decimal("3360.0"), Decimal("20161.0")).quantized(q)
    assert totals_check(expected=shopify, booked=same, currency="JPY", quantum=q).matches
    check = totals_check(expected=shopify, booked=off, currency="JPY", quantum=q)
    assert (check.matches, check.total_difference) == (False, Decimal("1"))
    assert "20161 JPY" in check.message("Sale order S1")


def test_rewriting_is_idempotent_and_keeps_the_shop_amounts_aside() -> None:
    order = _order("USD")
    booking = booking_for(order, mappings_for(**PRESENTMENT))
    once = in_booked_currency(order, booking)
    assert in_booked_currency(once, booking) == once
    assert once["currency"] == "USD" and order["currency"] == "EUR"
    assert once["total_price"] == "136.72" and once["line_items"][0]["price"] == "54.25"
    assert once["total_price_set"]["original_shop_money"] == {"amount": "126.00", "currency_code": "EUR"}
    assert once["current_total_duties_set"] is None


def test_a_money_bag_without_presentment_money_is_a_contract_error() -> None:
    order = _order("USD")
    del order["total_tax_set"]["presentment_money"]
    booking = booking_for(order, mappings_for(**PRESENTMENT))
    with pytest.raises(ContractError, match="total_tax_set"):
        in_booked_currency(order, booking)


def test_the_chatter_note_states_the_amounts_in_the_currency_not_booked() -> None:
    order = _order("USD")
    shop = booking_for(order, mappings_for())
    assert currency_note(order, shop) == (
        "Shopify order #1001 was presented to the customer in USD and is booked in the shop's currency EUR.\n"
        "As the customer saw it, in USD: subtotal 108.50 USD, shipping 5.43 USD, tax 22.79 USD, "
        "total 136.72 USD.\n"
        "Booked (EUR): subtotal 100.00 EUR, shipping 5.00 EUR, tax 21.00 EUR, total 126.00 EUR."
    )
    presented = booking_for(order, mappings_for(**PRESENTMENT))
    # the same note from the payload as the flow holds it (already in the booked currency)
    assert currency_note(in_booked_currency(order, presented), presented) == (
        "Shopify order #1001 was presented to the customer in USD and is booked in USD (the shop's rule "
        "book_currency: presentment).\n"
        "In the shop's currency EUR: subtotal 100.00 EUR, shipping 5.00 EUR, tax 21.00 EUR, "
        "total 126.00 EUR.\n"
        "Booked (USD): subtotal 108.50 USD, shipping 5.43 USD, tax 22.79 USD, total 136.72 USD."
    )


def test_a_booking_survives_the_link() -> None:
    booking = Booking("USD", "EUR", "USD", "presentment_money", 9)
    assert Booking.from_dict(booking.as_dict()) == booking


@pytest.mark.parametrize(
    ("table", "key", "value", "errors"),
    [
        ("shop", "shop", {"book_currency": "presentment"}, []),
        ("shop", "shop", {"book_currency": "shop", "currency": "EUR"}, []),
        ("shop", "shop", {"currency": "EUR"}, []),
        ("shop", "shop", {"book_currency": "customer"}, ["book_currency must be one of shop, presentment"]),
        ("pricelist", "USD", {"pricelist_id": 9}, []),
        ("pricelist", "usd", {"pricelist_id": 9}, ["the key of a pricelist row is a currency code"]),
        ("pricelist", "JPY", {"pricelist_id": "9"}, ["pricelist_id of JPY must be an Odoo pricelist id"]),
        ("pricelist", "USD", None, []),
    ],
)
def test_the_currency_rows_are_validated_when_proposed(
    table: str, key: str, value: dict[str, Any] | None, errors: list[str]
) -> None:
    found = currency_mapping_errors(table, key, value)
    assert len(found) == len(errors)
    for message, start in zip(found, errors, strict=True):
        assert message.startswith(start)
