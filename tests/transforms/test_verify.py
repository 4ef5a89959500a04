"""Read-back verification, the pure half: both amounts, the difference and the likely cause."""

from decimal import Decimal as D

import pytest

from opsconsole.core.errors import BusinessRuleError
from sync.transforms import order_to_odoo
from sync.transforms.verify import LineBooked, LineSent, MoneyTotals, totals_check
from tests.transforms.builders import LineSpec, OrderSpec, build_order, mappings_for


def test_totals_to_the_cent_match():
    check = totals_check(
        expected=MoneyTotals.of(total=D("107.90"), tax=D("17.98")),
        booked=MoneyTotals(D("89.92"), D("17.98"), D("107.90")),
        currency="EUR",
    )
    assert check.matches and check.causes == ()


def test_tax_added_on_top_of_tax_included_prices_is_named_as_the_tax_treatment():
    # the order: 107.90 tax included, booked by Odoo as 107.90 + 20 % = 129.48
    check = totals_check(
        expected=MoneyTotals.of(total=D("107.90"), tax=D("17.98")),
        booked=MoneyTotals(D("107.90"), D("21.58"), D("129.48")),
        currency="EUR",
        taxes_included=True,
        rates=[D("0.2")],
    )

    assert not check.matches
    assert check.causes == ("tax_treatment",)
    assert (check.total_difference, check.tax_difference) == (D("21.58"), D("3.60"))
    assert check.message("Sale order S00001 (Shopify #1001)").startswith(
        "Sale order S00001 (Shopify #1001) was booked in Odoo at 129.48 EUR (untaxed 107.90, tax 21.58), "
        "Shopify charged 107.90 EUR (untaxed 89.92, tax 17.98): difference 21.58 EUR (tax 3.60). "
        "Likely cause: Shopify's prices include tax, but Odoo added 21.58 of tax on top of them"
    )


def test_a_cent_of_tax_is_the_rounding_method_and_a_changed_unit_price_is_the_pricelist():
    expected = MoneyTotals.of(total=D("36.00"), tax=D("6.00"))
    rounding = totals_check(
        expected=expected,
        booked=MoneyTotals(D("30.00"), D("6.01"), D("36.01")),
        currency="EUR",
        rounding="round_globally",
        rates=[D("0.2")],
        lines_sent=[LineSent(1, D(3), D("10.00"))],
    )
    priced = totals_check(
        expected=expected,
        booked=MoneyTotals(D("27.00"), D("5.40"), D("32.40")),
        currency="EUR",
        rates=[D("0.2")],
        lines_sent=[LineSent(1, D(3), D("10.00"))],
        lines_booked=[LineBooked(1, D(3), D("9.00"))],
    )

    assert rounding.causes == ("tax_rounding",)
    assert "Odoo rounds taxes globally" in rounding.reasons[0]
    assert priced.causes == ("unit_price",)
    assert "10.00 -> 9.00" in priced.reasons[0]


@pytest.mark.parametrize("included", [False, True])
def test_each_order_takes_the_odoo_tax_of_its_own_treatment(included):
    order = build_order(OrderSpec([LineSpec(D("12.00"), 2, D(0), ("VAT 20%",))], taxes_included=included))

    draft = order_to_odoo(order, mappings_for())

    assert draft.lines[0].tax_ids == ((250,) if included else (200,))
    assert draft.taxes_used == (("VAT 20%|0.2", 250 if included else 200, D("0.2")),)


def test_a_tax_included_order_without_a_tax_included_mapping_parks_as_unknown_tax_saying_which():
    order = build_order(OrderSpec([LineSpec(D("12.00"), 1, D(0), ("VAT 20%",))], taxes_included=True))

    with pytest.raises(BusinessRuleError) as parked:
        order_to_odoo(order, mappings_for(taxes_included={}))

    assert (parked.value.code, parked.value.key) == ("unknown_tax", "VAT 20%|0.2")
    assert "for orders whose prices include tax (taxes_included True)" in parked.value.message
