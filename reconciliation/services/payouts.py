"""Shopify Payments payouts: imported with their balance transactions (idempotent: one row per payout and
per transaction), each transaction matched to the Odoo record that explains it (the payment whose memo is
the Shopify order transaction's gid), the expected net computed to the cent, differences classified and
recorded as discrepancies, and ONE journal entry posted in Odoo for a paid payout that balances — never for
one that does not, never twice (our row, a row lock, and Odoo's look-up by the entry's ref).

The accounts come from the shop's SHOP mapping row: ``payout_journal_id``, ``payout_bank_account_id``,
``payout_clearing_account_id``, ``payout_fee_account_id`` and, to book adjustments, disputes and reserves,
``payout_other_account_id``; ``payout_fee_rate`` / ``payout_fee_flat`` check each charge's fee."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from reconciliation.matchers import payouts as m
from reconciliation.matchers.orders import Finding
from reconciliation.models import Payout, PayoutLine, ReconciliationRun
from reconciliation.services.discrepancies import discrepancies_clear, discrepancies_record
from sync.connectors.odoo import JournalEntryInput, JournalLine
from sync.engine.mappings import mapping_entries
from sync.models import MappingTable, ShopifyShop

logger = logging.getLogger("reconciliation.payouts")

PAYOUT_CODES = (
    m.ORDER_MISSING,
    m.PAYMENT_MISSING,
    m.AMOUNT_DIFFERS,
    m.ORDER_EDITED,
    m.FEE_DIFFERS,
    m.CURRENCY_DIFFERS,
    m.ADJUSTMENT_UNMATCHED,
    m.DISPUTE_UNMATCHED,
    m.NET_DIFFERS,
)
FINAL_SHOPIFY_STATUSES = ("PAID", "FAILED", "CANCELED")
OTHER_TYPES = frozenset(
    {
        "ADJUSTMENT",
        "DISPUTE_WITHDRAWAL",
        "DISPUTE_REVERSAL",
        "CHARGEBACK_FEE",
        "CHARGEBACK_FEE_REFUND",
        "RESERVED_FUNDS",
        "RESERVED_FUNDS_WITHDRAWAL",
        "RESERVED_FUNDS_REVERSAL",
        "RISK_REVERSAL",
        "RISK_WITHDRAWAL",
        "MERCHANT_GOODWILL",
        "APPLICATION_FEE_REFUND",
        "BILLING_DEBIT",
        "BILLING_DEBIT_REVERSAL",
        "SHOPIFY_COLLECTIVE_DEBIT",
        "SHOPIFY_COLLECTIVE_CREDIT",
    }
)


def _q(value: Decimal) -> Decimal:
    return Decimal(value).quantize(m.CENT)


def payout_settings(*, shop: ShopifyShop) -> dict[str, Any]:
    for entry in mapping_entries(shop=shop):
        if entry.table == MappingTable.SHOP and entry.key == "shop":
            return dict(entry.value)
    return {}


# ---- import --------------------------------------------------------------------------------------------


def payouts_import(*, shop: ShopifyShop, shopify: Any, pages: int = 20) -> list[Payout]:
    """Import payouts, newest first, until a page holds nothing new and nothing that can still change;
    then the balance transactions of each payout not posted yet. Safe to repeat: rows are keyed by gid."""
    touched: list[Payout] = []
    after = None
    for _ in range(pages):
        batch, after = shopify.payouts(first=50, after=after)
        fresh = False
        for p in batch:
            row, created = Payout.objects.update_or_create(
                shop=shop,
                payout_id=p.id,
                defaults={
                    "legacy_id": p.legacy_id,
                    "issued_at": p.issued_at,
                    "shopify_status": p.status,
                    "transaction_type": p.transaction_type,
                    "net": _q(p.net.amount),
                    "currency": p.net.currency,
                    "summary": {
                        "charges_gross": str(p.charges_gross.amount),
                        "charges_fee": str(p.charges_fee.amount),
                        "refunds_gross": str(p.refunds_gross.amount),
                        "refunds_fee": str(p.refunds_fee.amount),
                        "adjustments_gross": str(p.adjustments_gross.amount),
                        "adjustments_fee": str(p.adjustments_fee.amount),
                    },
                },
            )
            fresh = fresh or created or p.status not in FINAL_SHOPIFY_STATUSES
            touched.append(row)
        if not after or not fresh:
            break
    for row in touched:
        if row.status != Payout.Reconciliation.POSTED:
            payout_lines_import(payout=row, shopify=shopify)
    return touched


def payout_lines_import(*, payout: Payout, shopify: Any) -> int:
    rows = shopify.balance_transactions(payout_id=payout.payout_id, first=50)  # cost stays under 1,000
    for t in rows:
        PayoutLine.objects.update_or_create(
            payout=payout,
            transaction_id=t.id,
            defaults={
                "type": t.type,
                "source_type": t.source_type or "",
                "source_order_transaction_id": t.source_order_transaction_id,
                "order_id": t.order_id or "",
                "order_name": t.order_name or "",
                "transaction_date": t.transaction_date,
                "amount": _q(t.amount.amount),
                "fee": _q(t.fee.amount),
                "net": _q(t.net.amount),
                "currency": t.amount.currency,
                "adjustment_reason": t.adjustment_reason or "",
            },
        )
    return len(rows)


# ---- matching and posting ---------------------------------------------------------------------------


@dataclass
class PayoutCounts:
    payouts: int = 0
    matched: int = 0
    variance: int = 0
    posted: int = 0
    already_posted: int = 0
    bank_matched: int = 0
    lines: int = 0
    differences: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "unmatched": self.variance}


def _line(row: PayoutLine, edited: frozenset[str] = frozenset()) -> m.Line:
    order_id = row.order_id.rsplit("/", 1)[-1] if row.order_id else ""
    return m.Line(
        transaction_id=row.transaction_id,
        type=row.type,
        amount=row.amount,
        fee=row.fee,
        net=row.net,
        currency=row.currency,
        order_transaction_id=row.source_order_transaction_id,
        order_id=order_id,
        order_edited_after=order_id in edited,
    )


def _edited_after(payout: Payout, rows: list[PayoutLine], shopify: Any) -> frozenset[str]:
    """The orders of the payout's charges and refunds that Shopify changed after the payout was issued."""
    ids = sorted({r.order_id.rsplit("/", 1)[-1] for r in rows if r.order_id and r.type in m.PAYMENT_TYPES})
    if not ids or shopify is None:
        return frozenset()
    refs = shopify.order_refs(ids)
    return frozenset(
        str(ref.legacy_id) for ref in refs.values() if ref is not None and ref.updated_at > payout.issued_at
    )


def _foreign_transactions(
    lines: list[m.Line], payments: dict[str, list[m.OdooPayment]], currency: str, shopify: Any
) -> dict[str, m.TransactionMoney]:
    """Shopify's amounts (shop and presentment money) of the order transactions whose Odoo payments are in
    another currency than the payout's (orders booked in their presentment currency): one order_money call
    per such order. Without a Shopify client, none (those lines stay ``currency_differs``)."""
    orders = sorted(
        {
            line.order_id
            for line in lines
            if line.type in m.PAYMENT_TYPES
            and line.order_id
            and any(
                p.currency and p.currency != currency
                for p in payments.get(m.order_transaction_gid(line.order_transaction_id), ())
            )
        }
    )
    if not orders or shopify is None:
        return {}
    found: dict[str, m.TransactionMoney] = {}
    for order_id in orders:
        money = shopify.order_money(order_id)
        for tx in money.transactions if money is not None else ():
            found[tx.id] = m.TransactionMoney(
                _q(tx.amount.amount),
                tx.amount.currency,
                _q(tx.amount_presentment.amount),
                tx.amount_presentment.currency,
            )
    return found


def payout_reconcile(
    *,
    payout: Payout,
    odoo: Any,
    settings: dict[str, Any],
    run: ReconciliationRun | None = None,
    shopify: Any = None,
) -> m.PayoutResult:
    rows = list(payout.lines.all())
    edited = _edited_after(payout, rows, shopify)
    lines = [_line(r, edited) for r in rows]
    payments: dict[str, list[m.OdooPayment]] = {}
    for line in lines:
        gid = m.order_transaction_gid(line.order_transaction_id)
        if line.type in m.PAYMENT_TYPES and gid and gid not in payments:
            payments[gid] = [
                m.OdooPayment(p.id, p.name, _q(p.amount), p.payment_type, p.currency, p.state)
                for p in odoo.payments_for_reference(gid)
                if p.memo == gid or gid in p.memo.split()
            ]
    transactions = _foreign_transactions(lines, payments, payout.currency, shopify)
    order_ids = sorted({line.order_id for line in lines if line.order_id})
    known = {o.client_order_ref for o in odoo.sale_orders_by_refs(order_ids)} if order_ids else set()
    fee_rule = None
    if settings.get("payout_fee_rate") is not None:
        fee_rule = m.FeeRule(
            Decimal(str(settings["payout_fee_rate"])), Decimal(str(settings.get("payout_fee_flat", 0)))
        )
    result = m.match_payout(
        payout_net=payout.net,
        payout_currency=payout.currency,
        lines=lines,
        payments=payments,
        orders_in_odoo={i: i in known for i in order_ids},
        explained_types=OTHER_TYPES if settings.get("payout_other_account_id") else frozenset(),
        fee_rule=fee_rule,
        transactions=transactions,
    )
    by_id = {r.transaction_id: r for r in rows}
    for lr in result.lines:
        row = by_id[lr.transaction_id]
        row.match = lr.code
        row.odoo_model = "account.payment" if lr.odoo_id else ""
        row.odoo_id = lr.odoo_id
        row.odoo_label = lr.odoo_label[:120]
        row.odoo_amount = lr.odoo_amount
    PayoutLine.objects.bulk_update(rows, ["match", "odoo_model", "odoo_id", "odoo_label", "odoo_amount"])
    if run is not None:
        findings = []
        for lr in result.lines:
            if lr.code in (m.MATCHED, m.TRANSFER):
                continue
            row = by_id[lr.transaction_id]
            findings.append(
                Finding(
                    lr.code,
                    f"payout:{payout.legacy_id}:{row.transaction_id.rsplit('/', 1)[-1]}",
                    f"payout {payout.legacy_id} {row.type} {row.order_name}".strip(),
                    shopify_value=f"{row.type} {row.amount} {row.currency} (fee {row.fee})",
                    odoo_value=f"{lr.odoo_label} {lr.odoo_amount or ''}".strip() or "no match",
                    amount_shopify=row.amount,
                    amount_odoo=lr.odoo_amount,
                    currency=row.currency,
                    occurred_at=payout.issued_at,
                    details={"payout": payout.pk, "detail": lr.detail},
                )
            )
        if result.difference != m.ZERO:
            findings.append(
                Finding(
                    m.NET_DIFFERS,
                    f"payout:{payout.legacy_id}",
                    f"payout {payout.legacy_id}",
                    shopify_value=f"net {payout.net} {payout.currency}",
                    odoo_value=f"expected {result.expected_net} {payout.currency}",
                    amount_shopify=payout.net,
                    amount_odoo=result.expected_net,
                    currency=payout.currency,
                    occurred_at=payout.issued_at,
                    details={"payout": payout.pk, "difference": str(result.difference)},
                )
            )
        discrepancies_record(run=run, findings=findings)
    payout.expected_net = result.expected_net
    payout.difference = result.difference
    payout.fees = result.fees
    payout.differences = result.differences
    payout.reconciled_at = timezone.now()
    if payout.status != Payout.Reconciliation.POSTED:
        payout.status = Payout.Reconciliation.MATCHED if result.balances else Payout.Reconciliation.VARIANCE
    payout.save(
        update_fields=["expected_net", "difference", "fees", "differences", "reconciled_at", "status"]
    )
    return result


def payout_bank_match(*, payout: Payout, odoo: Any) -> bool:
    """The Odoo bank statement line of the payout's deposit, when the bank feed has it: the same amount, dated
    from two days before the payout to a week after; one naming the payout is preferred, otherwise it must
    be the only candidate."""
    day = payout.issued_at.date()
    lines = odoo.bank_statement_lines(
        amount=payout.net,
        date_from=(day - timedelta(days=2)).isoformat(),
        date_to=(day + timedelta(days=7)).isoformat(),
    )
    named = [line for line in lines if str(payout.legacy_id) in line.payment_ref]
    chosen = named[0] if named else (lines[0] if len(lines) == 1 else None)
    if chosen is None:
        return False
    payout.bank_line_id = chosen.id
    payout.bank_line_label = f"{chosen.journal} {chosen.date} {chosen.payment_ref}".strip()[:120]
    payout.save(update_fields=["bank_line_id", "bank_line_label"])
    return True


def payout_entry_ref(payout: Payout) -> str:
    return f"shopify-payout:{payout.payout_id}"


ENTRY_DIFFERS = "payout_entry_differs"


def payout_post(
    *, payout: Payout, odoo: Any, settings: dict[str, Any], run: ReconciliationRun | None = None
) -> str:
    """Post the payout's journal entry: only a PAID payout that balances, and once. Returns the outcome."""
    accounts = {
        "bank": settings.get("payout_bank_account_id"),
        "fees": settings.get("payout_fee_account_id"),
        "clearing": settings.get("payout_clearing_account_id"),
        "other": settings.get("payout_other_account_id"),
    }
    journal = settings.get("payout_journal_id")
    with transaction.atomic():
        locked = Payout.objects.select_for_update().get(pk=payout.pk)
        if locked.status == Payout.Reconciliation.POSTED or locked.odoo_move_id:
            return "already_posted"
        if locked.status != Payout.Reconciliation.MATCHED:
            return "not_balanced"
        if locked.shopify_status != "PAID":
            return "not_paid_yet"
        lines = [_line(r) for r in locked.lines.all()]
        entry_lines = m.payout_entry_lines(
            payout_net=locked.net, lines=lines, label=f"Shopify payout {locked.legacy_id}"
        )
        if not journal or any(not accounts[e.account] for e in entry_lines):
            return "accounts_not_mapped"
        debit = sum((e.debit for e in entry_lines), m.ZERO)
        credit = sum((e.credit for e in entry_lines), m.ZERO)
        if debit != credit:
            return "not_balanced"
        ref = odoo.post_journal_entry(
            JournalEntryInput(
                ref=payout_entry_ref(locked),
                journal_id=int(journal),
                date=locked.issued_at.date().isoformat(),
                lines=tuple(
                    JournalLine(int(accounts[e.account]), e.name, debit=e.debit, credit=e.credit)  # type: ignore[arg-type]
                    for e in entry_lines
                ),
            )
        )
        # A result we did not verify is not a success: what Odoo booked, by account, to the cent.
        sent: dict[int, Decimal] = {}
        for e in entry_lines:
            account = int(accounts[e.account])  # type: ignore[arg-type]
            sent[account] = sent.get(account, m.ZERO) + e.debit - e.credit
        booked: dict[int, Decimal] = {}
        for line in odoo.journal_entry_lines(ref.id):
            booked[line.account_id] = booked.get(line.account_id, m.ZERO) + line.debit - line.credit
        locked.odoo_move_id = ref.id
        locked.odoo_move_name = ref.name
        sent = {a: _q(v) for a, v in sent.items() if _q(v)}
        booked = {a: _q(v) for a, v in booked.items() if _q(v)}
        if sent != booked:
            locked.status = Payout.Reconciliation.VARIANCE
            locked.differences = sorted({*locked.differences, ENTRY_DIFFERS})
            locked.save(update_fields=["odoo_move_id", "odoo_move_name", "status", "differences"])
            logger.warning("payout %s: Odoo entry %s differs from what we sent", locked.legacy_id, ref.id)
            if run is not None:
                bank = int(accounts["bank"])  # type: ignore[arg-type]
                names = {int(v): k for k, v in accounts.items() if v}  # type: ignore[arg-type]

                def text(amounts: dict[int, Decimal]) -> str:
                    return ", ".join(f"{names.get(a, a)} {v}" for a, v in sorted(amounts.items()))

                discrepancies_record(
                    run=run,
                    findings=[
                        Finding(
                            ENTRY_DIFFERS,
                            f"payout:{locked.legacy_id}:entry",
                            f"payout {locked.legacy_id} journal entry {ref.name or ref.id}",
                            shopify_value=f"sent (debit - credit): {text(sent)}",
                            odoo_value=f"booked (debit - credit): {text(booked)}",
                            amount_shopify=sent.get(bank, m.ZERO),
                            amount_odoo=booked.get(bank, m.ZERO),
                            currency=locked.currency,
                            occurred_at=locked.issued_at,
                            details={"payout": locked.pk, "move": ref.id},
                        )
                    ],
                )
            return "entry_differs"
        locked.status = Payout.Reconciliation.POSTED
        locked.posted_at = timezone.now()
        locked.save(update_fields=["odoo_move_id", "odoo_move_name", "status", "posted_at"])
    return "posted" if ref.created else "found_posted"


def payouts_reconcile(*, run: ReconciliationRun, shopify: Any, odoo: Any) -> PayoutCounts:
    shop = run.shop
    settings = payout_settings(shop=shop)
    payouts_import(shop=shop, shopify=shopify)
    counts = PayoutCounts()
    window = Payout.objects.filter(
        shop=shop, issued_at__gte=run.window_start, issued_at__lt=run.window_end
    ).order_by("issued_at", "pk")
    for payout in window:
        counts.payouts += 1
        if payout.bank_line_id is None and payout_bank_match(payout=payout, odoo=odoo):
            counts.bank_matched += 1
        if payout.status == Payout.Reconciliation.POSTED:
            counts.already_posted += 1
            continue
        result = payout_reconcile(payout=payout, odoo=odoo, settings=settings, run=run, shopify=shopify)
        counts.lines += len(result.lines)
        for code in result.differences:
            counts.differences[code] = counts.differences.get(code, 0) + 1
        if not result.balances:
            counts.variance += 1
            continue
        counts.matched += 1
        outcome = payout_post(payout=payout, odoo=odoo, settings=settings, run=run)
        if outcome in ("posted", "found_posted"):
            counts.posted += 1
    discrepancies_clear(run=run, codes=PAYOUT_CODES, since=run.window_start, until=run.window_end)
    return counts
