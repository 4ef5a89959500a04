"""Payouts as pure functions: each balance transaction of a Shopify Payments payout against the Odoo record
that should explain it, the expected net to the cent, the differences by class, and the one journal entry a
balancing payout posts (clearing account → bank, fees → fee expense, other movements → their account).

Shopify's transaction types (ShopifyPaymentsTransactionType, 2026-07): CHARGE, REFUND, ADJUSTMENT,
DISPUTE_WITHDRAWAL, DISPUTE_REVERSAL, CHARGEBACK_FEE, CHARGEBACK_FEE_REFUND, RESERVED_FUNDS,
RESERVED_FUNDS_WITHDRAWAL, RESERVED_FUNDS_REVERSAL, TRANSFER (the payout itself), TRANSFER_FAILURE,
TRANSFER_CANCEL, ... A payout's net is the sum of its other transactions' nets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

#: The payout's own movements: not part of what it pays out.
PAYOUT_TYPES = frozenset({"TRANSFER", "TRANSFER_FAILURE", "TRANSFER_CANCEL", "TRANSFER_REFUND"})
#: Movements an Odoo payment explains (its memo is the Shopify order transaction's gid).
PAYMENT_TYPES = frozenset({"CHARGE", "REFUND"})
DISPUTE_TYPES = frozenset(
    {"DISPUTE_WITHDRAWAL", "DISPUTE_REVERSAL", "CHARGEBACK_FEE", "CHARGEBACK_FEE_REFUND"}
)

# Difference codes, by class.
MATCHED = "matched"
ORDER_MISSING = "order_missing_in_odoo"
PAYMENT_MISSING = "payment_missing_in_odoo"
AMOUNT_DIFFERS = "amount_differs"
ORDER_EDITED = "order_edited_after_payout"
FEE_DIFFERS = "fee_differs_from_rate"
CURRENCY_DIFFERS = "currency_differs"
ADJUSTMENT_UNMATCHED = "adjustment_without_match"
DISPUTE_UNMATCHED = "dispute_without_match"
NET_DIFFERS = "payout_net_differs"
TRANSFER = "payout_transfer"


def order_transaction_gid(transaction_id: int | None) -> str:
    return f"gid://shopify/OrderTransaction/{transaction_id}" if transaction_id else ""


@dataclass(frozen=True)
class Line:
    transaction_id: str
    type: str
    amount: Decimal
    fee: Decimal
    net: Decimal
    currency: str
    order_transaction_id: int | None = None
    order_id: str = ""  # the Shopify order's numeric id (the Odoo sale order's client_order_ref)
    order_edited_after: bool = False  # Shopify changed the order after the payout was issued


@dataclass(frozen=True)
class OdooPayment:
    odoo_id: int
    name: str
    amount: Decimal  # positive, as Odoo shows it
    payment_type: str  # inbound | outbound
    currency: str
    state: str


@dataclass(frozen=True)
class TransactionMoney:
    """Shopify's amounts of one order transaction (``amountSet``): in the shop's currency, which is the
    payout's, and in the currency the customer paid in (presentment). An order booked in its presentment
    currency (``book_currency: presentment``) has its Odoo payments in the latter."""

    shop_amount: Decimal
    shop_currency: str
    presentment_amount: Decimal
    presentment_currency: str

    def in_currency(self, currency: str) -> Decimal | None:
        if currency.upper() == self.shop_currency.upper():
            return self.shop_amount
        if currency.upper() == self.presentment_currency.upper():
            return self.presentment_amount
        return None


@dataclass(frozen=True)
class FeeRule:
    """The rate Shopify charges this shop: ``rate`` of the amount plus ``flat`` per charge."""

    rate: Decimal
    flat: Decimal


@dataclass(frozen=True)
class LineResult:
    transaction_id: str
    code: str
    odoo_id: int | None = None
    odoo_label: str = ""
    odoo_amount: Decimal | None = None
    detail: str = ""


@dataclass
class PayoutResult:
    expected_net: Decimal
    payout_net: Decimal
    fees: Decimal
    lines: list[LineResult] = field(default_factory=list)

    @property
    def difference(self) -> Decimal:
        return self.payout_net - self.expected_net

    @property
    def differences(self) -> list[str]:
        codes = sorted({r.code for r in self.lines if r.code not in (MATCHED, TRANSFER)})
        if self.difference != ZERO:
            codes.append(NET_DIFFERS)
        return codes

    @property
    def balances(self) -> bool:
        return not self.differences


def match_payout(
    *,
    payout_net: Decimal,
    payout_currency: str,
    lines: Sequence[Line],
    payments: Mapping[str, Sequence[OdooPayment]],
    orders_in_odoo: Mapping[str, bool],
    explained_types: frozenset[str] = frozenset(),
    fee_rule: FeeRule | None = None,
    transactions: Mapping[str, TransactionMoney] | None = None,
) -> PayoutResult:
    """``payments`` maps an order transaction gid to the Odoo payments whose memo carries it;
    ``orders_in_odoo`` a Shopify order id to whether Odoo has its sale order; ``explained_types`` are the
    other movements (adjustments, disputes, reserves) the shop's mapping books to an account of their own;
    ``transactions`` an order transaction gid to Shopify's amounts of it, for the payments booked in
    another currency than the payout's: like is compared with like, the Odoo payment with the transaction's
    amount in the payment's currency, the payout's line with its amount in the shop's currency."""
    expected = sum((line.net for line in lines if line.type not in PAYOUT_TYPES), ZERO)
    fees = sum((line.fee for line in lines if line.type not in PAYOUT_TYPES), ZERO)
    result = PayoutResult(expected_net=expected, payout_net=payout_net, fees=fees)
    for line in lines:
        result.lines.append(
            _match_line(
                line, payout_currency, payments, orders_in_odoo, explained_types, fee_rule, transactions or {}
            )
        )
    return result


def _match_line(
    line: Line,
    payout_currency: str,
    payments: Mapping[str, Sequence[OdooPayment]],
    orders_in_odoo: Mapping[str, bool],
    explained_types: frozenset[str],
    fee_rule: FeeRule | None,
    transactions: Mapping[str, TransactionMoney],
) -> LineResult:
    tid = line.transaction_id
    if line.type in PAYOUT_TYPES:
        return LineResult(tid, TRANSFER)
    if line.currency != payout_currency:
        return LineResult(tid, CURRENCY_DIFFERS, detail=f"{line.currency} in a {payout_currency} payout")
    if line.type in PAYMENT_TYPES:
        wanted_type = "inbound" if line.type == "CHARGE" else "outbound"
        candidates = [
            p
            for p in payments.get(order_transaction_gid(line.order_transaction_id), ())
            if p.state != "canceled" and p.payment_type == wanted_type
        ]
        if not candidates:
            known = orders_in_odoo.get(line.order_id, False)
            return LineResult(tid, PAYMENT_MISSING if known else ORDER_MISSING)
        payment = candidates[0]
        label = payment.name
        # What the Odoo payment stands for in the payout's currency: its amount, or, for a payment booked
        # in the presentment currency, the transaction's shop amount once the payment is found to be the
        # transaction's presentment amount to the cent.
        compared = payment.amount
        if payment.currency and payment.currency != line.currency:
            tx = transactions.get(order_transaction_gid(line.order_transaction_id))
            booked = tx.in_currency(payment.currency) if tx is not None else None
            if tx is None or booked is None or tx.shop_currency.upper() != line.currency.upper():
                return LineResult(tid, CURRENCY_DIFFERS, payment.odoo_id, label, payment.amount)
            label = f"{payment.name} ({payment.amount} {payment.currency})"
            if payment.amount != booked:
                return LineResult(
                    tid,
                    AMOUNT_DIFFERS,
                    payment.odoo_id,
                    label,
                    None,
                    detail=f"Shopify transaction {booked} {payment.currency}, Odoo {payment.amount} "
                    f"{payment.currency}",
                )
            compared = tx.shop_amount
        if compared != abs(line.amount):
            return LineResult(
                tid,
                ORDER_EDITED if line.order_edited_after else AMOUNT_DIFFERS,
                payment.odoo_id,
                label,
                compared,
                detail=f"Shopify {abs(line.amount)}, Odoo {compared}",
            )
        if fee_rule is not None and line.type == "CHARGE":
            expected_fee = (line.amount * fee_rule.rate + fee_rule.flat).quantize(CENT)
            if abs(expected_fee - line.fee) > CENT:
                return LineResult(
                    tid,
                    FEE_DIFFERS,
                    payment.odoo_id,
                    label,
                    compared,
                    detail=f"fee {line.fee}, expected {expected_fee}",
                )
        return LineResult(tid, MATCHED, payment.odoo_id, label, compared)
    if line.type in explained_types:
        return LineResult(tid, MATCHED, detail="booked to its mapped account")
    return LineResult(tid, DISPUTE_UNMATCHED if line.type in DISPUTE_TYPES else ADJUSTMENT_UNMATCHED)


@dataclass(frozen=True)
class EntryLine:
    account: str  # bank | fees | clearing | other
    name: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def _side(account: str, name: str, value: Decimal) -> EntryLine | None:
    """A debit for a positive value, a credit for a negative one; nothing for zero."""
    if value == ZERO:
        return None
    return EntryLine(account, name, debit=value) if value > 0 else EntryLine(account, name, credit=-value)


def payout_entry_lines(*, payout_net: Decimal, lines: Sequence[Line], label: str) -> list[EntryLine]:
    """The journal entry of a payout: the bank receives the net, fees are an expense, the payments' clearing
    account gives up what customers paid (less refunds), and other movements go to their own account.
    Debits equal credits by construction (net + fees = charges + refunds + others)."""
    moving = [line for line in lines if line.type not in PAYOUT_TYPES]
    fees = sum((line.fee for line in moving), ZERO)
    paid = sum((line.amount for line in moving if line.type in PAYMENT_TYPES), ZERO)
    other = sum((line.amount for line in moving if line.type not in PAYMENT_TYPES), ZERO)
    candidates = [
        _side("bank", f"{label} net", payout_net),
        _side("fees", f"{label} Shopify Payments fees", fees),
        _side("clearing", f"{label} payments", -paid),
        _side("other", f"{label} adjustments, disputes, reserves", -other),
    ]
    return [c for c in candidates if c is not None]
