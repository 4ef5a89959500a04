"""Odoo's tax computation (account.tax, 17.0+), re-stated for the stand-in. Pure: no records, no I/O.

What it follows, from Odoo's ``addons/account/models/account_tax.py`` (``_batch_for_taxes_computation``,
``_propagate_extra_taxes_base``, ``_get_tax_details``, ``_add_tax_details_in_base_line``,
``_round_base_lines_tax_details``, ``_distribute_delta_amount_smoothly``, ``_get_tax_totals_summary``):

- taxes are flattened (groups give their children) and sorted by (sequence, id), then batched: consecutive
  taxes of the same computation type and price-inclusion share one divisor (two 10% included taxes on 120
  give 10 + 10, not 10.91 + 9.09);
- fixed amounts first, then price-included taxes from the last to the first, then price-excluded taxes from
  the first to the last, with "affect base of subsequent taxes" propagated between them;
- ``round_per_line`` rounds the base and every tax amount of each line; ``round_globally`` keeps them raw and
  rounds per tax over the whole document, then spreads the rounding difference across the lines so that the
  document totals are the rounded raw totals (for price-included taxes: so that untaxed + tax equals the
  rounded tax-included total);
- a document's untaxed amount is the sum of the lines' rounded bases plus their share of the difference, its
  tax amount the sum of the rounded tax amounts, its total the sum of both.

Left out: special modes (total_included/total_excluded), manual tax amounts, reverse-charge repartition
(negative factors), cash rounding, early-payment discounts and currency rates (one currency per document).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .common import round_to


@dataclass(frozen=True)
class Tax:
    id: int
    amount_type: str  # percent / fixed / division / group
    amount: float
    price_include: bool
    include_base_amount: bool = False
    is_base_affected: bool = True
    sequence: int = 1
    children: tuple[Tax, ...] = ()


@dataclass(frozen=True)
class BaseLine:
    price_unit: float
    quantity: float
    discount: float = 0.0
    taxes: tuple[Tax, ...] = ()


@dataclass
class TaxData:
    tax: Tax
    price_include: bool
    raw_base: float
    raw_amount: float
    base: float = 0.0
    amount: float = 0.0


@dataclass
class LineDetails:
    raw_total_excluded: float
    raw_total_included: float
    taxes: list[TaxData]
    total_excluded: float = 0.0
    total_included: float = 0.0
    delta_total_excluded: float = 0.0


@dataclass
class Totals:
    lines: list[LineDetails]
    untaxed: float
    tax: float
    total: float
    per_tax: dict[int, float] = field(default_factory=dict)


def _sorted(taxes: Iterable[Tax]) -> list[Tax]:
    out: list[Tax] = []
    for tax in sorted(taxes, key=lambda t: (t.sequence, t.id)):
        if tax.amount_type == "group":
            for child in sorted(tax.children, key=lambda t: (t.sequence, t.id)):
                if child not in out:
                    out.append(child)
        elif tax not in out:
            out.append(tax)
    return out


def _batches(taxes: list[Tax]) -> dict[int, list[Tax]]:
    out: dict[int, list[Tax]] = {}
    batch: list[Tax] = []
    is_base_affected = False
    for tax in reversed(taxes):
        if batch:
            same = (
                tax.amount_type == batch[0].amount_type
                and tax.price_include == batch[0].price_include
                and tax.include_base_amount == batch[0].include_base_amount
                and ((tax.include_base_amount and not is_base_affected) or not tax.include_base_amount)
            )
            if not same:
                for member in batch:
                    out[member.id] = batch
                batch = []
        is_base_affected = tax.is_base_affected
        batch.append(tax)
    for member in batch:
        out[member.id] = batch
    return out


def tax_details(
    price_unit: float, quantity: float, taxes: Iterable[Tax], rounding: float, method: str
) -> tuple[float, float, list[TaxData]]:
    """(total excluded, total included, per-tax data) of one line, as ``_get_tax_details`` computes it."""
    per_line = method == "round_per_line"
    ordered = _sorted(taxes)
    batch_of = _batches(ordered)
    data: dict[int, dict[str, Any]] = {
        t.id: {"tax": t, "batch": batch_of[t.id], "extra_tax": 0.0, "extra_base": 0.0} for t in ordered
    }
    raw_base = quantity * price_unit
    if per_line:
        raw_base = round_to(raw_base, rounding)

    def before(tax: Tax) -> Iterable[Tax]:
        for other in ordered:
            if other in data[tax.id]["batch"]:
                break
            yield other

    def after(tax: Tax) -> Iterable[Tax]:
        for other in reversed(ordered):
            if other in data[tax.id]["batch"]:
                break
            yield other

    def add_extra(tax: Tax, other: Tax, sign: int) -> None:
        amount = data[tax.id]["amount"]
        if "amount" not in data[other.id]:
            data[other.id]["extra_tax"] += sign * amount
        data[other.id]["extra_base"] += sign * amount

    def propagate(tax: Tax) -> None:
        if tax.price_include:
            if tax.include_base_amount:
                for other in after(tax):
                    if not other.is_base_affected:
                        add_extra(tax, other, -1)
            else:
                for other in after(tax):
                    add_extra(tax, other, -1)
            for other in before(tax):
                add_extra(tax, other, -1)
        elif tax.include_base_amount:
            for other in after(tax):
                if other.is_base_affected:
                    add_extra(tax, other, 1)

    def store(tax: Tax, amount: float) -> None:
        data[tax.id]["amount"] = round_to(amount, rounding) if per_line else amount
        propagate(tax)

    def fixed(tax: Tax, base: float) -> float | None:
        if tax.amount_type == "fixed":
            sign = -1 if price_unit < 0 else 1
            return sign * quantity * tax.amount
        return None

    def included(tax: Tax, base: float) -> float | None:
        batch = data[tax.id]["batch"]
        if tax.amount_type == "percent":
            total = sum(t.amount for t in batch) / 100.0
            factor = 1 / (1 + total) if total != -1 else 0.0
            return base * factor * tax.amount / 100.0
        if tax.amount_type == "division":
            return base * tax.amount / 100.0
        return None

    def excluded(tax: Tax, base: float) -> float | None:
        batch = data[tax.id]["batch"]
        if tax.amount_type == "percent":
            return base * tax.amount / 100.0
        if tax.amount_type == "division":
            total = sum(t.amount for t in batch) / 100.0
            divisor = 1.0 if total == 1.0 else 1 - total
            return base * tax.amount / 100.0 / divisor
        return None

    def evaluate(fn: Any, tax: Tax) -> None:
        if "amount" in data[tax.id]:
            return
        amount = fn(tax, raw_base + data[tax.id]["extra_tax"])
        if amount is not None:
            store(tax, amount)

    for tax in reversed(ordered):
        evaluate(fixed, tax)
    for tax in reversed(ordered):
        if tax.price_include:
            evaluate(included, tax)
    for tax in ordered:
        if not tax.price_include:
            evaluate(excluded, tax)

    for tax in reversed(ordered):
        d = data[tax.id]
        if "amount" not in d:
            continue
        batch_amount = sum(data[t.id]["amount"] for t in d["batch"])
        base = raw_base + d["extra_base"]
        if tax.price_include:
            base -= batch_amount
        d["base"] = base

    computed = [d for d in data.values() if "amount" in d]
    if computed:
        total_excluded = computed[0]["base"]
        total_included = total_excluded + sum(d["amount"] for d in computed)
    else:
        total_excluded = total_included = raw_base
    return (
        total_excluded,
        total_included,
        [TaxData(d["tax"], d["tax"].price_include, d["base"], d["amount"]) for d in computed],
    )


def distribute(delta: float, factors: list[float], rounding: float) -> list[float]:
    """``_distribute_delta_amount_smoothly``: spread a rounding difference, biggest factors first."""
    out = [0.0] * len(factors)
    if not factors or round_to(delta, rounding) == 0:
        return out
    sign = -1 if delta < 0 else 1
    errors = round(abs(delta / rounding))
    remaining = errors
    weights = [(i, abs(f)) for i, f in enumerate(factors)]
    weights.sort(key=lambda x: x[1], reverse=True)
    total = sum(w for _i, w in weights)
    normalized = [(i, w / total if total else 1 / len(weights)) for i, w in weights]
    for i, weight in normalized:
        if not remaining:
            break
        n = min(round(weight * errors), remaining)
        remaining -= n
        out[i] += sign * n * rounding
    for k in range(remaining):
        out[normalized[k][0]] += sign * rounding
    return out


def line_details(line: BaseLine, rounding: float, method: str) -> LineDetails:
    """``_add_tax_details_in_base_line``: raw amounts (already rounded when rounding per line)."""
    price = line.price_unit * (1 - line.discount / 100.0)
    excl, incl, taxes = tax_details(price, line.quantity, line.taxes, rounding, method)
    if method == "round_per_line":
        excl, incl = round_to(excl, rounding), round_to(incl, rounding)
        for t in taxes:
            t.raw_amount = round_to(t.raw_amount, rounding)
            t.raw_base = round_to(t.raw_base, rounding)
    return LineDetails(excl, incl, taxes)


def round_lines(details: list[LineDetails], rounding: float) -> None:
    """``_round_base_lines_tax_details`` for lines of one currency (in place)."""
    for d in details:
        d.total_excluded = round_to(d.raw_total_excluded, rounding)
        for t in d.taxes:
            t.base = round_to(t.raw_base, rounding)
            t.amount = round_to(t.raw_amount, rounding)
        d.delta_total_excluded = 0.0
        d.total_included = d.total_excluded + sum(t.amount for t in d.taxes)

    # per tax (and price inclusion): the rounded raw total is what the document must show
    groups: dict[tuple[int, bool], list[TaxData]] = {}
    for d in details:
        for t in d.taxes:
            groups.setdefault((t.tax.id, t.price_include), []).append(t)
    for (_tax_id, price_include), items in groups.items():
        raw_tax = sum(t.raw_amount for t in items)
        rounded_tax = sum(t.amount for t in items)
        delta_tax = round_to(raw_tax, rounding) - rounded_tax
        if round_to(delta_tax, rounding) != 0:
            for t, share in zip(
                items, distribute(delta_tax, [t.raw_amount for t in items], rounding), strict=True
            ):
                t.amount += share
        raw_base = sum(t.raw_base for t in items)
        base_sum = sum(t.base for t in items)
        if price_include:
            delta_base = round_to(raw_base + raw_tax, rounding) - (base_sum + rounded_tax + delta_tax)
        else:
            delta_base = round_to(raw_base, rounding) - base_sum
        if round_to(delta_base, rounding) != 0:
            for t, share in zip(
                items, distribute(delta_base, [t.raw_base for t in items], rounding), strict=True
            ):
                t.base += share

    # the whole document: untaxed (or, when every tax is included in the price, tax-included) total
    included_mode = not any(
        not t.price_include for d in details for t in d.taxes if round_to(t.amount, rounding) != 0
    )
    if included_mode:
        raw = sum(d.raw_total_excluded for d in details) + sum(t.raw_amount for d in details for t in d.taxes)
        if raw:
            current = sum(d.total_excluded for d in details) + sum(t.amount for d in details for t in d.taxes)
            delta = round_to(raw, rounding) - current
            for d, share in zip(
                details, distribute(delta, [d.raw_total_included for d in details], rounding), strict=True
            ):
                d.delta_total_excluded += share
    else:
        raw = sum(d.raw_total_excluded for d in details)
        if raw:
            delta = round_to(raw, rounding) - sum(d.total_excluded for d in details)
            for d, share in zip(
                details, distribute(delta, [d.raw_total_excluded for d in details], rounding), strict=True
            ):
                d.delta_total_excluded += share


def document_totals(lines: list[BaseLine], rounding: float, method: str) -> Totals:
    """A sale order's or an invoice's untaxed / tax / total, as ``_get_tax_totals_summary`` gives them."""
    details = [line_details(line, rounding, method) for line in lines]
    round_lines(details, rounding)
    untaxed = sum(d.total_excluded + d.delta_total_excluded for d in details)
    per_tax: dict[int, float] = {}
    for d in details:
        for t in d.taxes:
            per_tax[t.tax.id] = per_tax.get(t.tax.id, 0.0) + t.amount
    tax = sum(per_tax.values())
    untaxed, tax = round_to(untaxed, rounding), round_to(tax, rounding)
    return Totals(
        lines=details,
        untaxed=untaxed,
        tax=tax,
        total=round_to(untaxed + tax, rounding),
        per_tax={k: round_to(v, rounding) for k, v in per_tax.items()},
    )


def single_line(line: BaseLine, rounding: float, method: str) -> tuple[float, float]:
    """(price_subtotal, price_total) of an invoice line: the line rounded on its own."""
    d = line_details(line, rounding, method)
    round_lines([d], rounding)
    return round_to(d.total_excluded, rounding), round_to(d.total_included, rounding)


def raw_line(line: BaseLine, rounding: float, method: str) -> tuple[float, float]:
    """(price_subtotal, price_total) of a sale order line: the raw totals rounded to the currency."""
    d = line_details(line, rounding, method)
    return round_to(d.raw_total_excluded, rounding), round_to(d.raw_total_included, rounding)
