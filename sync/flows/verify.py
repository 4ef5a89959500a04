"""Read-back verification, the flow half: every write that carries money is checked against what Odoo
computed, to the cent. "Booked but different" is never a success: the job parks as a finance problem
(``booked_total_mismatch``, in FINANCE_CODES) naming both amounts, the difference and the likely cause, and
its recorded result holds what Odoo booked.

How to use it (sale orders in sync/flows/orders.py; invoices and credit notes the same way):

1. write and read Odoo's ``amount_untaxed``/``amount_tax``/``amount_total`` in the same round trip where
   the API allows (``web_save`` answers the record read with a specification);
2. call ``booked_verify`` with Shopify's totals (``MoneyTotals.of(total=..., tax=...)``), Odoo's, and what
   helps name a cause (the tax treatment, the company's rounding method, the rates, the lines sent, and a
   function reading Odoo's lines, called only when the totals differ);
3. it answers the booked totals for the job's result, or raises the finance problem. Save the link to the
   Odoo record BEFORE calling it: the record exists either way, and a replay must find it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from opsconsole.core.errors import BusinessRuleError
from sync.flows.context import JobContext
from sync.transforms.money import currency_decimals, quantum
from sync.transforms.verify import BOOKED_MISMATCH, LineBooked, LineSent, MoneyTotals, totals_check


def booked_verify(
    ctx: JobContext,
    *,
    document: str,
    odoo_model: str,
    odoo_id: int,
    expected: MoneyTotals,
    booked: MoneyTotals,
    currency: str,
    result: dict[str, Any],
    taxes_included: bool | None = None,
    rounding: str | None = None,
    rates: Sequence[Decimal] = (),
    lines_sent: Sequence[LineSent] = (),
    read_lines: Callable[[], Sequence[LineBooked]] | None = None,
    tax_tolerance: Decimal = Decimal(0),
    decimals: int | None = None,
) -> dict[str, str]:
    """Odoo's totals for the job's result when they are Shopify's to the cent; else the finance problem.

    ``document`` names the record for a person (``"Sale order S00042 (Shopify #1001)"``); ``result`` is
    what the job would have answered, kept on the parked job with ``booked`` and ``outcome`` set. Amounts
    are in ``currency`` (the currency the document is booked in), compared to its decimals (``decimals``:
    Odoo's, when the shop's mapping overrides ISO 4217's)."""
    q = quantum(currency_decimals(currency, decimals))
    expected, booked = expected.quantized(q), booked.quantized(q)
    options: dict[str, Any] = {
        "expected": expected,
        "booked": booked,
        "currency": currency,
        "taxes_included": taxes_included,
        "rounding": rounding,
        "rates": rates,
        "lines_sent": lines_sent,
        "tax_tolerance": tax_tolerance,
        "quantum": q,
    }
    check = totals_check(**options)
    if check.matches:
        return booked.as_dict()
    lines = None
    if read_lines is not None:
        with ctx.call("odoo", "read_lines_for_diagnosis"):
            lines = read_lines()
    check = totals_check(**options, lines_booked=lines)
    raise BusinessRuleError(
        check.message(document),
        code=BOOKED_MISMATCH,
        key="+".join(check.causes),
        system="odoo",
        details={
            **check.details(),
            "document": document,
            "odoo_model": odoo_model,
            "odoo_id": odoo_id,
            "result": {**result, "outcome": "booked_different", "booked": booked.as_dict()},
        },
    )
