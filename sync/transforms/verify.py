"""Read-back verification, the pure half: what Odoo booked next to what Shopify charged, to the cent, and
the likely cause of a difference.

Any document that carries money uses it: sale orders now (sync/flows/orders.py), invoices and credit notes
next. The flow half (sync/flows/verify.py) reads Odoo's computed totals and raises the finance problem.

Causes, each a word (the problem's key groups every document it hits) with a sentence for the person:

- ``tax_treatment``: Odoo's untaxed amount is what Shopify charged in total (prices that include tax were
  booked with tax added on top), or Odoo's total is Shopify's net (the reverse);
- ``tax_rate``: the Odoo tax amount is not the mapped rate of the base (the Odoo tax has another rate);
- ``tax_rounding``: only the tax differs, by at most a cent per line (the company's rounding method);
- ``unit_price``: Odoo changed a unit price we sent (a pricelist or a product price rule);
- ``discount``: Odoo holds a discount (%) we did not send (a pricelist discount or a discount line);
- ``line_count``: Odoo holds lines we did not send, or misses some (an edit made in Odoo);
- ``unexplained``: none of these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

#: The error code of a document booked with totals other than Shopify's (in FINANCE_CODES).
BOOKED_MISMATCH = "booked_total_mismatch"


@dataclass(frozen=True)
class MoneyTotals:
    """A document's untaxed amount, tax and total, in one currency."""

    untaxed: Decimal
    tax: Decimal
    total: Decimal

    @classmethod
    def of(cls, *, total: Decimal, tax: Decimal) -> MoneyTotals:
        return cls(untaxed=total - tax, tax=tax, total=total)

    def quantized(self, q: Decimal) -> MoneyTotals:
        """Odoo answers floats (29.7): in the currency's decimals (29.70), exact for a currency's amounts."""
        return MoneyTotals(self.untaxed.quantize(q), self.tax.quantize(q), self.total.quantize(q))

    def as_dict(self) -> dict[str, str]:
        return {
            "amount_untaxed": str(self.untaxed),
            "amount_tax": str(self.tax),
            "amount_total": str(self.total),
        }


@dataclass(frozen=True)
class LineSent:
    """A line as we sent it, to compare with the line Odoo holds (for the likely cause)."""

    product_id: int | None
    quantity: Decimal
    price_unit: Decimal


@dataclass(frozen=True)
class LineBooked:
    product_id: int | None
    quantity: Decimal
    price_unit: Decimal
    discount: Decimal = Decimal(0)


@dataclass(frozen=True)
class TotalsCheck:
    expected: MoneyTotals  # what Shopify charged
    booked: MoneyTotals  # what Odoo computed
    currency: str
    tax_tolerance: Decimal = Decimal(0)  # a finance-approved rounding rule may leave the tax this far off
    causes: tuple[str, ...] = ()
    reasons: tuple[str, ...] = field(default=())

    @property
    def total_difference(self) -> Decimal:
        return self.booked.total - self.expected.total

    @property
    def tax_difference(self) -> Decimal:
        return self.booked.tax - self.expected.tax

    @property
    def matches(self) -> bool:
        return self.total_difference == 0 and abs(self.tax_difference) <= self.tax_tolerance

    def message(self, document: str) -> str:
        c = self.currency
        because = "; ".join(self.reasons) if self.reasons else "no likely cause found"
        return (
            f"{document} was booked in Odoo at {self.booked.total} {c} (untaxed {self.booked.untaxed}, "
            f"tax {self.booked.tax}), Shopify charged {self.expected.total} {c} (untaxed "
            f"{self.expected.untaxed}, tax {self.expected.tax}): difference {self.total_difference} {c} "
            f"(tax {self.tax_difference}). "
            f"Likely cause: {because}"
        )

    def details(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "booked": self.booked.as_dict(),
            "shopify": self.expected.as_dict(),
            "total_difference": str(self.total_difference),
            "tax_difference": str(self.tax_difference),
            "causes": list(self.causes),
            "reasons": list(self.reasons),
        }


def totals_check(
    *,
    expected: MoneyTotals,
    booked: MoneyTotals,
    currency: str,
    taxes_included: bool | None = None,
    rounding: str | None = None,
    rates: Sequence[Decimal] = (),
    lines_sent: Sequence[LineSent] = (),
    lines_booked: Sequence[LineBooked] | None = None,
    quantum: Decimal = Decimal("0.01"),
    tax_tolerance: Decimal = Decimal(0),
) -> TotalsCheck:
    """Compare Odoo's totals with Shopify's; on a difference, name the likely causes.

    ``rates``: the tax rates the document uses (one rate: the tax-rate check can say which is wrong);
    ``lines_booked``: Odoo's lines, read only when the totals differ (the price and discount checks).
    """
    check = TotalsCheck(expected=expected, booked=booked, currency=currency, tax_tolerance=tax_tolerance)
    if check.matches:
        return check
    causes: list[str] = []
    reasons: list[str] = []
    if taxes_included and booked.untaxed == expected.total and booked.tax:
        causes.append("tax_treatment")
        reasons.append(
            f"Shopify's prices include tax, but Odoo added {booked.tax} of tax on top of them: the Odoo "
            "taxes on the order are tax-excluded (on Odoo 18+ a tax includes the price only with "
            "price_include_override 'tax_included'); map a tax-included Odoo tax for these orders"
        )
    elif taxes_included is False and booked.total == expected.untaxed and booked.tax:
        causes.append("tax_treatment")
        reasons.append(
            "Shopify's prices exclude tax, but Odoo took the tax out of them: the Odoo taxes on the "
            "order are tax-included; map a tax-excluded Odoo tax for these orders"
        )
    if not causes and lines_booked is not None:
        sent = list(lines_sent)
        if len(sent) != len(lines_booked):
            causes.append("line_count")
            reasons.append(f"Odoo holds {len(lines_booked)} lines, {len(sent)} were sent")
        else:
            prices = [
                f"{s.price_unit} -> {b.price_unit}"
                for s, b in zip(sent, lines_booked, strict=True)
                if s.price_unit != b.price_unit
            ]
            if prices:
                causes.append("unit_price")
                reasons.append(
                    "Odoo changed unit prices we sent (" + ", ".join(prices[:5]) + "): a pricelist or "
                    "price rule on the order's pricelist recomputed them"
                )
            discounts = [str(b.discount) for b in lines_booked if b.discount]
            if discounts:
                causes.append("discount")
                reasons.append(
                    f"Odoo applies a discount of {', '.join(discounts[:5])} % on lines we sent without one "
                    "(a pricelist discount policy or a discount line)"
                )
    if not causes and check.total_difference == check.tax_difference:
        base = expected.untaxed
        if len(rates) == 1 and base and booked.tax and abs(booked.tax - base * rates[0]) > quantum * 2:
            actual = (booked.tax / base * 100).quantize(Decimal("0.01"))
            causes.append("tax_rate")
            reasons.append(
                f"Odoo's tax is {actual} % of the untaxed amount, Shopify charged {rates[0] * 100:g} %: the "
                "mapped Odoo tax has another rate"
            )
        elif abs(check.tax_difference) <= quantum * max(len(lines_sent), 1):
            causes.append("tax_rounding")
            reasons.append(
                f"only the tax differs, by {check.tax_difference}: Odoo rounds taxes "
                f"{'per line' if rounding == 'round_per_line' else 'globally' if rounding else 'its own way'}"
                " and Shopify's tax lines were rounded otherwise"
            )
    if not causes:
        causes.append("unexplained")
        reasons.append("the lines, prices and taxes sent match; compare the order with Shopify's in Odoo")
    return TotalsCheck(
        expected=expected,
        booked=booked,
        currency=currency,
        tax_tolerance=tax_tolerance,
        causes=tuple(causes),
        reasons=tuple(reasons),
    )
