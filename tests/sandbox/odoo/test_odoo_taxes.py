"""The stand-in's tax engine against the examples Odoo's account_tax.py documents (pure, no server)."""

from __future__ import annotations

import pytest

from sandbox.odoo.models.taxes import BaseLine, Tax, distribute, document_totals, single_line, tax_details


def _t(tax_id: int, amount: float, kind: str = "percent", *, included: bool = False, **extra) -> Tax:
    return Tax(tax_id, kind, amount, included, **extra)


def test_percent_division_and_fixed_taxes() -> None:
    assert tax_details(100.0, 1, [_t(1, 10)], 0.01, "round_per_line")[:2] == (100.0, 110.0)
    assert tax_details(110.0, 1, [_t(1, 10, included=True)], 0.01, "round_per_line")[:2] == (100.0, 110.0)
    # "180 / (1 - 10%) = 200 (not price included)", "200 * (1 - 10%) = 180 (price included)"
    assert tax_details(180.0, 1, [_t(1, 10, "division")], 0.01, "round_per_line")[:2] == (180.0, 200.0)
    assert tax_details(200.0, 1, [_t(1, 10, "division", included=True)], 0.01, "round_per_line")[:2] == (
        180.0,
        200.0,
    )
    excluded, included, data = tax_details(10.0, 3, [_t(1, 1.0, "fixed")], 0.01, "round_per_line")
    assert (excluded, included, [d.raw_amount for d in data]) == (30.0, 33.0, [3.0])


def test_a_tax_affecting_the_base_of_the_next_one() -> None:
    # "t1: price-excluded 10% tax, include base amount; t2: price-excluded 10% tax ... 100 -> 110 -> 121"
    t1 = _t(1, 10, include_base_amount=True, sequence=1)
    t2 = _t(2, 10, sequence=2)
    excluded, included, data = tax_details(100.0, 1, [t2, t1], 0.01, "round_globally")
    assert (excluded, included) == (100.0, 121.0)
    assert [(d.tax.id, d.raw_amount) for d in data] == [(1, 10.0), (2, 11.0)]


def test_a_group_of_taxes_gives_its_children() -> None:
    group = _t(9, 0, "group", children=(_t(1, 5, sequence=1), _t(2, 10, sequence=2)))
    totals = document_totals([BaseLine(100.0, 1, 0, (group,))], 0.01, "round_per_line")
    assert (totals.untaxed, totals.tax, totals.total, totals.per_tax) == (
        100.0,
        15.0,
        115.0,
        {1: 5.0, 2: 10.0},
    )


def test_discount_applies_before_taxes() -> None:
    totals = document_totals([BaseLine(50.0, 2, 10.0, (_t(1, 20),))], 0.01, "round_per_line")
    assert (totals.untaxed, totals.tax, totals.total) == (90.0, 18.0, 108.0)


@pytest.mark.parametrize(
    ("method", "expected"),
    [("round_per_line", (35.58, 7.48, 43.06)), ("round_globally", (35.59, 7.47, 43.06))],
)
def test_round_per_line_and_globally_on_included_prices(method, expected) -> None:
    # _round_base_lines_tax_details docstring: two lines of 21.53 with 21% included
    line = BaseLine(21.53, 1, 0, (_t(1, 21, included=True),))
    totals = document_totals([line, line], 0.01, method)
    assert (totals.untaxed, totals.tax, totals.total) == expected
    assert single_line(line, 0.01, method) == (17.79, 21.53)


def test_round_globally_on_excluded_prices() -> None:
    # _round_tax_details_tax_amounts docstring: 2 x (12.12 x 12.12) at 23% -> 293.79 base, 67.57 tax
    line = BaseLine(12.12, 12.12, 0, (_t(1, 23),))
    totals = document_totals([line, line], 0.01, "round_globally")
    assert (totals.untaxed, totals.tax) == (293.79, 67.57)
    per_line = document_totals([line, line], 0.01, "round_per_line")
    assert (per_line.untaxed, per_line.tax) == (293.78, 67.56)


def test_two_included_percent_taxes_share_one_divisor() -> None:
    # _round_tax_details_base_lines docstring: 100 with two 10% included taxes -> 83.34 + 8.33 + 8.33
    totals = document_totals(
        [BaseLine(100.0, 1, 0, (_t(1, 10, included=True), _t(2, 10, included=True, sequence=2)))],
        0.01,
        "round_globally",
    )
    assert (totals.untaxed, totals.tax, totals.total, totals.per_tax) == (
        83.34,
        16.66,
        100.0,
        {1: 8.33, 2: 8.33},
    )


def test_a_rounding_difference_is_spread_biggest_factor_first() -> None:
    # _distribute_delta_amount_smoothly docstring: 0.03 over factors 0.4 / 0.3 / 0.3 at 3 digits
    assert [round(x, 3) for x in distribute(0.03, [0.4, 0.3, 0.3], 0.001)] == [0.012, 0.009, 0.009]
    assert distribute(0.0, [1.0, 2.0], 0.01) == [0.0, 0.0]
