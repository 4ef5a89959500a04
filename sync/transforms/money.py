"""Exact money helpers and a model of how Odoo computes an order's taxes and totals.

The model (``odoo_totals``) follows the tax engine of Odoo 18/19 for plain percentage taxes that do not
affect the base of other taxes:

- a line's base is ``price_unit * quantity`` (our unit prices have the currency's decimals, so exact);
- tax-excluded: ``tax = base * rate``; tax-included: ``tax = base * rate / (1 + sum of the line's rates)``
  (for one tax that is ``base - base / (1 + rate)``), the untaxed amount being ``base - taxes``;
- ``round_per_line``: each line's tax is rounded to the currency (half-up, like Odoo's ``float_round``)
  before summing; ``round_globally``: unrounded taxes are summed per tax, then rounded once;
- tax-excluded: total = untaxed + tax; tax-included: total = sum of bases (Odoo keeps the included total).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from opsconsole.core.errors import ContractError

# ISO 4217 minor units that are not 2. Odoo's own currency rounding can be overridden per shop
# (ShopMappings.currency_decimals) where the Odoo currency is configured differently.
_DECIMALS_NOT_TWO = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}


def currency_decimals(code: str, override: int | None = None) -> int:
    if override is not None:
        return override
    return _DECIMALS_NOT_TWO.get(code.upper(), 2)


def quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def to_decimal(value: Any, *, what: str) -> Decimal:
    """Parse a Shopify amount or rate (decimal string; JSON numbers go through ``str``, never float math)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        raise ContractError(f"{what}: expected a decimal amount, got {value!r}", system="shopify")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ContractError(f"{what}: {value!r} is not a decimal amount", system="shopify") from exc


def shop_money(obj: Mapping[str, Any], field: str, *, default: Decimal | None = None) -> Decimal:
    """``obj[field + "_set"].shop_money.amount`` when present, else ``obj[field]``.

    A payload of an order booked in its presentment currency is rewritten first (sync/transforms/currency.py
    ``in_booked_currency``), so that this reads the booked currency's amounts everywhere."""
    money_set = obj.get(f"{field}_set")
    if isinstance(money_set, Mapping):
        shop = money_set.get("shop_money")
        if isinstance(shop, Mapping) and shop.get("amount") is not None:
            return to_decimal(shop["amount"], what=f"{field}_set.shop_money.amount")
    value = obj.get(field)
    if value is None:
        if default is not None:
            return default
        raise ContractError(f"missing amount {field!r}", system="shopify")
    return to_decimal(value, what=field)


def round_money(amount: Decimal, q: Decimal) -> Decimal:
    return amount.quantize(q, rounding=ROUND_HALF_UP)


def floor_money(amount: Decimal, q: Decimal) -> Decimal:
    return amount.quantize(q, rounding=ROUND_DOWN)


def normalize_rate(rate: Decimal) -> str:
    """``Decimal("0.20")`` -> ``"0.2"``; never scientific notation."""
    text = format(rate.normalize(), "f")
    return text if text not in ("-0",) else "0"


def tax_key(title: str, rate: Any) -> str:
    """The key of a Shopify tax in ``ShopMappings.taxes``: ``"VAT 20%|0.2"``."""
    return f"{title.strip()}|{normalize_rate(to_decimal(rate, what='tax rate'))}"


@dataclass(frozen=True)
class Tax:
    tax_id: int
    rate: Decimal


@dataclass(frozen=True)
class TaxedBase:
    """One Odoo line as the tax engine sees it: its base (price_unit * qty) and its taxes."""

    base: Decimal
    taxes: tuple[Tax, ...]


def line_taxes(base: Decimal, taxes: Sequence[Tax], *, included: bool) -> list[Decimal]:
    """Unrounded tax amounts of one line, in the order of ``taxes``."""
    if not taxes:
        return []
    if included:
        # base * rate / (1 + rates): multiply before dividing, so that an exact half cent stays exact
        # and rounds half-up as Odoo's float_round does (dividing first leaves 0.0949999...).
        divisor = 1 + sum((t.rate for t in taxes), Decimal(0))
        return [base * t.rate / divisor for t in taxes]
    return [base * t.rate for t in taxes]


@dataclass(frozen=True)
class OdooTotals:
    amount_untaxed: Decimal
    amount_tax: Decimal
    amount_total: Decimal
    tax_by_id: tuple[tuple[int, Decimal], ...]


def odoo_totals(lines: Iterable[TaxedBase], *, included: bool, rounding: str, q: Decimal) -> OdooTotals:
    per_tax: dict[int, Decimal] = defaultdict(Decimal)
    bases = Decimal(0)
    for line in lines:
        bases += line.base
        for tax, amount in zip(line.taxes, line_taxes(line.base, line.taxes, included=included), strict=True):
            per_tax[tax.tax_id] += round_money(amount, q) if rounding == "round_per_line" else amount
    tax_by_id = tuple(sorted((tid, round_money(amount, q)) for tid, amount in per_tax.items()))
    amount_tax = sum((amount for _, amount in tax_by_id), Decimal(0))
    bases = round_money(bases, q)
    if included:
        return OdooTotals(bases - amount_tax, amount_tax, bases, tax_by_id)
    return OdooTotals(bases, amount_tax, bases + amount_tax, tax_by_id)


def item_tax_rounded(base: Decimal, taxes: Sequence[Tax], *, included: bool, q: Decimal) -> list[Decimal]:
    return [round_money(a, q) for a in line_taxes(base, taxes, included=included)]
