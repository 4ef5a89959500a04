"""Orders from tax-included and tax-excluded shops book Shopify's totals to the cent on Odoo 17, 18 and 19,
and every booking is read back: a difference parks as a finance problem, never a success."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sync.models import ExternalLink, JobState, MappingTable
from sync.services.mappings import MappingRow, mapping_apply

VERSIONS = (17, 18, 19)


def _money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("taxes_included", [False, True], ids=["tax-excluded", "tax-included"])
def test_an_order_books_shopify_s_totals_to_the_cent_and_the_result_holds_what_odoo_booked(
    booking_for, version, taxes_included
):
    # given a shop whose prices include (or exclude) tax, set up from the demo catalogue on Odoo <version>
    booking = booking_for(version, taxes_included=taxes_included)
    order = booking.order(
        skus=["MERINOTE-M-NAVY", "CERAMICM-SAND"], quantity=3, seed=11, discount_code="WELCOME10"
    )
    assert order["taxes_included"] is taxes_included

    # when the order's job runs
    job = booking.run(order)

    # then it succeeded, and Odoo holds one confirmed order with Shopify's total and tax, to the cent
    assert job.state == JobState.SUCCEEDED, job.error_message
    [odoo_order] = booking.sale_orders(order["id"])
    assert odoo_order["state"] == "sale"
    assert _money(odoo_order["amount_total"]) == Decimal(order["total_price"])
    assert _money(odoo_order["amount_tax"]) == Decimal(order["total_tax"])
    # and the job's result is what Odoo booked, read back, not what Shopify said
    assert job.result["booked"] == {
        "amount_untaxed": str(_money(odoo_order["amount_untaxed"])),
        "amount_tax": str(_money(odoo_order["amount_tax"])),
        "amount_total": str(_money(odoo_order["amount_total"])),
    }
    assert job.result["taxes_included"] is taxes_included
    assert not job.finance


@pytest.mark.parametrize("version", VERSIONS)
def test_a_tax_included_order_whose_odoo_tax_excludes_the_price_parks_before_anything_is_written(
    booking_for, version
):
    # given a tax-included shop whose mapping points its VAT 20% at the tax-EXCLUDED Odoo tax
    booking = booking_for(version, taxes_included=True)
    excluded = booking.tax_id("20% VAT")
    entry = booking.shop.mappings.get(table=MappingTable.TAX, key="VAT 20%|0.2", valid_to__isnull=True)
    mapping_apply(
        shop=booking.shop,
        rows=[MappingRow(MappingTable.TAX, "VAT 20%|0.2", {**entry.value, "included_tax_id": excluded})],
    )
    order = booking.order(skus=["MERINOTE-M-NAVY"], quantity=1, seed=3, discount_code=None)

    # when its job runs
    job = booking.run(order)

    # then it parks as a finance problem that says why, and Odoo holds no order for it
    assert job.state == JobState.NEEDS_ATTENTION
    assert job.error_code == "tax_treatment_mismatch"
    assert job.finance
    assert "Shopify's prices include tax, but the Odoo tax '20% VAT'" in job.error_message
    assert "price_include_override is 'tax_included'" in job.error_message
    assert booking.sale_orders(order["id"]) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_an_order_booked_different_parks_as_booked_but_different_with_both_amounts_and_the_cause(
    booking_for, version
):
    # given a tax-included shop whose first order booked right (the flow now knows Odoo's taxes)
    booking = booking_for(version, taxes_included=True)
    first = booking.order(skus=["MERINOTE-M-NAVY"], quantity=1, seed=5, discount_code=None)
    assert booking.run(first).state == JobState.SUCCEEDED
    # and then someone in Odoo turns the tax-included VAT 20% into a tax-excluded one
    booking.set_tax_treatment(booking.tax_id("20% VAT (incl.)"), included=False)
    order = booking.order(skus=["MERINOTE-M-NAVY"], quantity=1, seed=6, discount_code=None)
    total, tax = Decimal(order["total_price"]), Decimal(order["total_tax"])

    # when the next order's job runs
    job = booking.run(order)

    # then Odoo booked tax on top, the read-back saw it, and the job parked as a finance problem
    [odoo_order] = booking.sale_orders(order["id"])
    booked_total = _money(odoo_order["amount_total"])
    assert booked_total == (total * Decimal("1.2")).quantize(Decimal("0.01"))
    assert job.state == JobState.NEEDS_ATTENTION
    assert job.error_code == "booked_total_mismatch"
    assert job.error_key == "tax_treatment"
    assert job.finance
    assert f"booked in Odoo at {booked_total} EUR" in job.error_message
    assert f"Shopify charged {total} EUR (untaxed {total - tax}, tax {tax})" in job.error_message
    assert f"difference {booked_total - total} EUR" in job.error_message
    assert "Odoo added" in job.error_message and "on top of them" in job.error_message
    # the recorded result is what Odoo booked; the order stays a draft for a person to decide
    assert job.result["outcome"] == "booked_different"
    assert job.result["booked"]["amount_total"] == str(booked_total)
    assert odoo_order["state"] == "draft"
    assert (
        ExternalLink.objects.get(shop=booking.shop, kind="order", shopify_id=str(order["id"])).odoo_id
        == (odoo_order["id"])
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_the_company_s_tax_rounding_method_is_read_from_odoo(booking_for, version):
    # given an Odoo company that rounds taxes globally, and a mapping that still says per line
    booking = booking_for(version)
    booking.odoo.execute(
        "res.company", "write", [1], vals={"tax_calculation_rounding_method": "round_globally"}
    )
    order = booking.order(skus=["MERINOTE-M-NAVY", "CERAMICM-SAND"], quantity=1, seed=9, discount_code=None)

    # when its job runs
    job = booking.run(order)

    # then the flow worked with Odoo's method
    assert job.result is not None and job.result["tax_rounding"] == "round_globally", job.error_message
