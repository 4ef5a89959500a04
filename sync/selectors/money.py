"""An order's money timeline for the console: what Shopify took and gave back beside what Odoo booked for it
(invoice, payments, credit notes), from our own records of each verified write (the order's link and its
jobs' results), with the finance problems of the order where the two differ. No call to Shopify or Odoo."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.models import ExternalLink, JobState, SyncJob


@dataclass(frozen=True)
class MoneyRow:
    when: Any
    what: str
    shopify: str  # amount Shopify states ("" when it does not apply)
    odoo: str  # amount Odoo booked ("" when nothing was booked)
    odoo_ref: str
    job_id: int | None
    differs: bool = False
    note: str = ""


@dataclass(frozen=True)
class MoneyTimeline:
    order_id: str
    odoo_order_id: int | None
    invoice: str
    rows: list[MoneyRow] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return sum(1 for row in self.rows if row.differs)


def _amount(value: Any) -> str:
    try:
        return str(Decimal(str(value)).quantize(Decimal("0.01"))) if value not in (None, "") else ""
    except InvalidOperation:
        return ""


def order_money_timeline(*, job: SyncJob) -> MoneyTimeline | None:
    """The timeline of the Shopify order a job belongs to (None for jobs of no order)."""
    kind, _, order_id = job.subject.partition(":")
    if kind != "order" or not order_id:
        return None
    link = ExternalLink.objects.filter(
        shop=job.shop_id, kind=ExternalLink.Kind.ORDER, shopify_id=order_id
    ).first()
    jobs = list(
        SyncJob.objects.filter(
            shop=job.shop_id, subject=job.subject, kind__in=("order.upsert", "refund.create")
        )
        .order_by("created_at", "pk")
        .only(
            "pk",
            "kind",
            "state",
            "result",
            "error_code",
            "error_context",
            "finance",
            "created_at",
            "finished_at",
        )
    )
    rows: list[MoneyRow] = []
    seen_payments: set[str] = set()
    for j in jobs:
        result = j.result or {}
        when = j.finished_at or j.created_at
        if j.kind == "order.upsert":
            if result.get("outcome") in ("created", "found_existing"):
                rows.append(
                    MoneyRow(
                        when,
                        "Order booked",
                        _amount(result.get("amount_total")),
                        _amount((result.get("booked") or {}).get("amount_total")),
                        str(result.get("odoo_order_name") or result.get("odoo_order_id") or ""),
                        j.pk,
                    )
                )
            cash = result.get("cash") or {}
            if cash.get("odoo_invoice_id") and not any(r.what == "Invoice posted" for r in rows):
                rows.append(
                    MoneyRow(
                        when,
                        "Invoice posted",
                        "",
                        _amount(cash.get("invoice_total")),
                        str(cash.get("invoice") or ""),
                        j.pk,
                        note=f"{cash.get('payment_state', '')}, {_amount(cash.get('amount_residual'))} left",
                    )
                )
            for gid, payment in (cash.get("payments") or {}).items():
                if gid in seen_payments:
                    continue
                seen_payments.add(gid)
                rows.append(
                    MoneyRow(
                        when,
                        f"{payment.get('kind', 'sale').capitalize()} ({payment.get('gateway')})",
                        _amount(payment.get("amount")),
                        _amount(payment.get("amount")),
                        f"payment {payment.get('odoo_payment_id')}",
                        j.pk,
                        note=gid,
                    )
                )
            for gid, state in (cash.get("not_registered") or {}).items():
                rows.append(MoneyRow(when, f"Transaction {state}", "", "", "", j.pk, note=gid))
        elif j.kind == "refund.create" and j.state == JobState.SUCCEEDED:
            rows.append(
                MoneyRow(
                    when,
                    f"Refund {result.get('refund_id', '')}",
                    _amount(result.get("shopify_total")),
                    _amount(result.get("odoo_total")),
                    str(result.get("odoo_credit_note") or result.get("outcome") or ""),
                    j.pk,
                    differs=_amount(result.get("shopify_total")) != _amount(result.get("odoo_total")),
                )
            )
            for payment in result.get("payments") or []:
                rows.append(
                    MoneyRow(
                        when,
                        f"Refund paid out ({payment.get('gateway')})",
                        _amount(payment.get("amount")),
                        _amount(payment.get("odoo_amount")),
                        f"payment {payment.get('odoo_payment_id')}",
                        j.pk,
                        differs=_amount(payment.get("amount")) != _amount(payment.get("odoo_amount")),
                        note=str(payment.get("transaction", "")),
                    )
                )
        if j.state in (JobState.NEEDS_ATTENTION, JobState.DEAD) and j.finance:
            details = j.error_context or {}
            rows.append(
                MoneyRow(
                    when,
                    f"Finance problem: {j.error_code}",
                    _amount(
                        details.get("shopify_total") or (details.get("expected") or {}).get("amount_total")
                    ),
                    _amount(details.get("odoo_total") or (details.get("booked") or {}).get("amount_total")),
                    str(details.get("odoo_id") or ""),
                    j.pk,
                    differs=True,
                    note=_amount(details.get("difference"))
                    and f"difference {_amount(details.get('difference'))}",
                )
            )
    cash_link = (link.data.get("cash") or {}) if link else {}
    return MoneyTimeline(
        order_id=order_id,
        odoo_order_id=link.odoo_id if link else None,
        invoice=str(cash_link.get("invoice") or ""),
        rows=rows,
    )
