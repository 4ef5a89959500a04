"""Money arithmetic for generated orders: exact decimals, allocation and tax as Shopify computes them.

Shopify computes tax per line item on the discounted line total (``rate * amount`` when taxes are
excluded, ``amount * rate / (1 + rate)`` when prices include tax), rounds each line half-up to the
cent, and sums the lines into the order's tax lines. Discounts are allocated to lines: a percentage
discount line by line, a fixed amount across lines in proportion to their totals with the rounding
remainder on the last line. Each currency of an order (shop and presentment) is computed on its own
unit prices, so that both sets add up exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

#: Fixed exchange rates from EUR for presentment currencies (sandbox values).
FX_FROM_EUR: dict[str, Decimal] = {
    "EUR": Decimal("1"),
    "USD": Decimal("1.0850"),
    "GBP": Decimal("0.8420"),
    "CHF": Decimal("0.9530"),
}


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def s(value: Decimal) -> str:
    return str(q2(value))


def money_set(
    shop_amount: Decimal, shop_currency: str, pres_amount: Decimal, pres_currency: str
) -> dict[str, Any]:
    return {
        "shop_money": {"amount": s(shop_amount), "currency_code": shop_currency},
        "presentment_money": {"amount": s(pres_amount), "currency_code": pres_currency},
    }


def convert(amount: Decimal, shop_currency: str, pres_currency: str) -> Decimal:
    if shop_currency == pres_currency:
        return q2(amount)
    rate = FX_FROM_EUR[pres_currency] / FX_FROM_EUR[shop_currency]
    return q2(amount * rate)


@dataclass
class Discount:
    kind: str  # "code" | "automatic" | "manual"
    value_type: str  # "percentage" | "fixed_amount"
    value: Decimal  # percentage as 10 for 10 %, or an amount in the currency being computed
    code: str = ""
    title: str = ""


@dataclass
class LineIn:
    unit_price: Decimal
    quantity: int
    tax_rate: Decimal | None  # None: not taxable
    tax_title: str = ""


@dataclass
class LineOut:
    total: Decimal
    allocations: list[Decimal]  # one per discount application
    discounted: Decimal
    tax: Decimal


@dataclass
class Priced:
    lines: list[LineOut]
    shipping: list[tuple[Decimal, Decimal]]  # (price, tax) per shipping line
    total_line_items_price: Decimal
    total_discounts: Decimal
    subtotal_price: Decimal
    total_tax: Decimal
    total_shipping: Decimal
    total_price: Decimal
    tax_lines: dict[tuple[str, Decimal], Decimal] = field(default_factory=dict)


def allocate(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split ``amount`` over ``weights`` proportionally, to the cent; the remainder goes to the last
    non-zero weight."""
    total = sum(weights, ZERO)
    if total == 0 or amount == 0:
        return [ZERO for _ in weights]
    out = [q2(amount * w / total) for w in weights]
    last = max(i for i, w in enumerate(weights) if w > 0)
    out[last] += amount - sum(out, ZERO)
    return out


def line_tax(amount: Decimal, rate: Decimal | None, taxes_included: bool) -> Decimal:
    if rate is None or amount <= 0:
        return ZERO
    if taxes_included:
        return q2(amount * rate / (1 + rate))
    return q2(amount * rate)


def price_order(
    lines: list[LineIn],
    discounts: list[Discount],
    shipping: list[tuple[Decimal, Decimal | None, str]],
    *,
    taxes_included: bool,
) -> Priced:
    totals = [q2(li.unit_price * li.quantity) for li in lines]
    remaining = list(totals)
    allocations: list[list[Decimal]] = [[] for _ in lines]
    for d in discounts:
        if d.value_type == "percentage":
            parts = [q2(t * d.value / 100) for t in totals]
        else:
            parts = allocate(min(d.value, sum(remaining, ZERO)), remaining)
        parts = [min(p, r) for p, r in zip(parts, remaining, strict=True)]
        for i, p in enumerate(parts):
            allocations[i].append(p)
            remaining[i] -= p
    out_lines: list[LineOut] = []
    tax_lines: dict[tuple[str, Decimal], Decimal] = {}
    for li, total, allocs in zip(lines, totals, allocations, strict=True):
        discounted = total - sum(allocs, ZERO)
        tax = line_tax(discounted, li.tax_rate, taxes_included)
        out_lines.append(LineOut(total, allocs, discounted, tax))
        if li.tax_rate is not None:
            key = (li.tax_title, li.tax_rate)
            tax_lines[key] = tax_lines.get(key, ZERO) + tax
    ship_out: list[tuple[Decimal, Decimal]] = []
    for price, rate, title in shipping:
        tax = line_tax(price, rate, taxes_included)
        ship_out.append((q2(price), tax))
        if rate is not None:
            key = (title, rate)
            tax_lines[key] = tax_lines.get(key, ZERO) + tax
    total_line_items = sum(totals, ZERO)
    total_discounts = sum((sum(a, ZERO) for a in allocations), ZERO)
    subtotal = total_line_items - total_discounts
    total_tax = sum((lo.tax for lo in out_lines), ZERO) + sum((t for _, t in ship_out), ZERO)
    total_shipping = sum((p for p, _ in ship_out), ZERO)
    total_price = subtotal + total_shipping + (ZERO if taxes_included else total_tax)
    return Priced(
        out_lines,
        ship_out,
        total_line_items,
        total_discounts,
        subtotal,
        total_tax,
        total_shipping,
        total_price,
        tax_lines,
    )
