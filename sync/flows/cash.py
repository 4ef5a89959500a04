"""Order to cash: a booked Shopify order invoiced in Odoo and paid by Shopify's transactions.

The shop's policy (``invoice_on`` on the SHOP mapping row): ``paid`` (default) invoices once Shopify says the
order is paid (or partially paid); ``delivered`` once Odoo has delivered every unit of its goods; ``off``
never. The invoice is made by Odoo's invoicing wizard (``sale.advance.payment.inv``; the private
``_create_invoices`` is refused remotely), posted, and read back: its untaxed amount, tax and total must be
Shopify's current totals to the cent (``booked_verify``, sync/flows/verify.py: a finance problem otherwise,
the invoice kept and found again on replay).

Every successful ``SALE`` or ``CAPTURE`` transaction (read from Shopify's order, in the currency the order
is booked in: shop money, or presentment money under ``book_currency: presentment``, sync/flows/currency.py)
is then
registered on the invoice (``account.payment.register``) in the journal mapped for its gateway (GATEWAY
mapping; a gateway entry may name the payment method line whose outstanding account receives it, which is
how gift-card redemptions reach the gift-card liability account), with the transaction's gid as the
payment's memo — exactly, so that reconciliation finds a payment by transaction. Authorisations not captured,
pending transactions (bank transfer, cash on delivery), failures and voids register nothing and are listed
as Shopify states them. Refund transactions are the refund flow's (credit notes, sync/flows/refunds.py),
except those of a refund made before the invoice existed (the order was reduced instead, so the sales
overpay the invoice by what was given back): each is paid out to the customer here (an outbound customer
payment, memo = its gid, in its gateway's journal) and reconciled with the sales' open credit, read back
matched and to the cent.

Idempotent per transaction: the order's link keeps the invoice id, the transactions registered and, saved
before each registration, the transaction being registered; a payment is looked up by its memo first when
an earlier attempt may have registered it (that mark is there), so that steady state spends no call on it.
Read back: the invoice's ``payment_state`` and ``amount_residual`` must be what the registered amounts make
them (``payment_mismatch`` otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from opsconsole.core.errors import BusinessRuleError
from sync.connectors.odoo import InvoiceInfo, MoveLineEdit, PaymentInfo, PaymentInput, PayoutInput
from sync.flows.context import JobContext
from sync.flows.currency import booked_amount, order_booking
from sync.flows.verify import booked_verify
from sync.models import ExternalLink
from sync.transforms.money import currency_decimals, quantum, shop_money
from sync.transforms.orders import unwrap_order
from sync.transforms.verify import MoneyTotals

INVOICE_ON = ("paid", "delivered", "off")
PAID_STATUSES = frozenset({"paid", "partially_paid", "partially_refunded", "refunded"})
PAYING_KINDS = frozenset({"SALE", "CAPTURE"})
ZERO = Decimal(0)


def _money(value: Decimal, q: Decimal = Decimal("0.01")) -> str:
    return str(value.quantize(q))


def _save(link: ExternalLink, cash: dict[str, Any]) -> None:
    link.data = {**link.data, "cash": cash}
    link.save(update_fields=["data", "synced_at"])


def _delivered(ctx: JobContext, odoo_order_id: int) -> bool:
    with ctx.call("odoo", "read_order"):
        info = ctx.odoo.read_order(odoo_order_id)
    if info is None:
        return False
    # Shipping, sold gift cards, tips and duties are services: Odoo never delivers them.
    services = {t.product_id for t in ctx.mappings.shipping.values()} | {
        ctx.mappings.gift_card_product_id,
        ctx.mappings.tip_product_id,
        ctx.mappings.duties_product_id,
    }
    goods = [line for line in info.lines if not line.display_type and line.product_id not in services]
    return bool(goods) and all(line.qty_delivered >= line.quantity for line in goods)


def _ready(ctx: JobContext, order: Mapping[str, Any], link: ExternalLink, policy: str) -> str | None:
    """Why the order is not to be invoiced yet (None: it is)."""
    status = str(order.get("financial_status") or "")
    if order.get("cancelled_at"):
        return "cancelled"
    if policy == "paid" and status not in PAID_STATUSES:
        return f"financial status {status or 'unknown'}: nothing captured yet"
    if policy == "delivered" and not _delivered(ctx, link.odoo_id):
        return "not delivered yet"
    return None


def _invoice(
    ctx: JobContext, order: Mapping[str, Any], link: ExternalLink, cash: dict[str, Any]
) -> InvoiceInfo:
    known = cash.get("invoice_id")
    if known:
        with ctx.call("odoo", "read_invoice"):
            found = ctx.odoo.read_invoice(int(known))
        if found is not None and found.state != "cancel":
            return found
    with ctx.call("odoo", "invoice_order"):
        invoice = ctx.odoo.invoice_order(link.odoo_id)
    cash.update(invoice_id=invoice.id, invoice=invoice.name)
    # From here on every payment registration is recorded before it is made (``paying``, see _register).
    cash.setdefault("paying", [])
    _save(link, cash)  # before the check: the invoice exists either way, and a replay must find it
    mappings = ctx.mappings
    q = quantum(currency_decimals(mappings.currency, mappings.currency_decimals))
    if invoice.currency and invoice.currency.upper() != mappings.currency.upper():
        raise BusinessRuleError(
            f"Invoice {invoice.name} (Shopify {order.get('name') or order.get('id')}) is in "
            f"{invoice.currency}, the order is booked in {mappings.currency}",
            code="currency_mismatch",
            key=invoice.currency,
            details={"odoo_order_id": link.odoo_id, "odoo_invoice_id": invoice.id},
        )
    total = shop_money(order, "current_total_price", default=shop_money(order, "total_price"))
    tax = shop_money(order, "current_total_tax", default=shop_money(order, "total_tax", default=ZERO))
    booked_verify(
        ctx,
        document=f"Invoice {invoice.name} (Shopify {order.get('name') or order.get('id')})",
        odoo_model="account.move",
        odoo_id=invoice.id,
        expected=MoneyTotals.of(total=total, tax=tax).quantized(q),
        booked=MoneyTotals(invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total).quantized(q),
        currency=mappings.currency,
        decimals=mappings.currency_decimals,
        result={"odoo_order_id": link.odoo_id, "odoo_invoice_id": invoice.id},
        taxes_included=bool(order.get("taxes_included")),
        rounding=mappings.tax_rounding,
    )
    return invoice


def _invoice_additions(
    ctx: JobContext, order: Mapping[str, Any], link: ExternalLink, cash: dict[str, Any], first: InvoiceInfo
) -> list[InvoiceInfo]:
    """The order's further invoices: lines an order edit added after it was invoiced (sync/flows/orders.py
    marks them ``invoice_again``) are invoiced by the wizard, which invoices what is left to invoice, posted
    and verified: the new invoice is Shopify's current total (and tax) less what Odoo invoiced before, net of
    credit notes. Kept on the link and found again; the mark is cleared before the check, as for the first
    invoice, so that a finance problem keeps the invoice made."""
    known: list[InvoiceInfo] = []
    for iid in cash.get("more_invoices") or []:
        with ctx.call("odoo", "read_invoice"):
            found = ctx.odoo.read_invoice(int(iid))
        if found is not None and found.state != "cancel":
            known.append(found)
    if not link.data.get("invoice_again"):
        return known
    with ctx.call("odoo", "invoice_order"):
        new = ctx.odoo.invoice_order(link.odoo_id, post=False)
    if new.state == "draft":
        new = _only_added_lines(ctx, order, link, new)
    if new.id in {first.id, *(k.id for k in known)}:
        raise BusinessRuleError(
            f"Shopify order {order.get('name') or order.get('id')} was edited after it was invoiced, but "
            "Odoo's sale order has nothing left to invoice for the lines added "
            f"({', '.join(m.name for m in [first, *known])})",
            code="order_invoice_refused",
            key="edit_after_invoice",
            details={"order_id": str(order.get("id")), "odoo_order_id": link.odoo_id},
        )
    with ctx.call("odoo", "invoices_for_order"):
        moves = ctx.odoo.invoices_for_order(first.invoice_origin)
    before = [m for m in moves if m.state == "posted" and m.id != new.id]
    sign = {"out_invoice": Decimal(1), "out_refund": Decimal(-1)}
    before_total = sum((sign.get(m.move_type, ZERO) * m.amount_total for m in before), ZERO)
    before_tax = sum((sign.get(m.move_type, ZERO) * m.amount_tax for m in before), ZERO)
    cash["more_invoices"] = [*(k.id for k in known), new.id]
    _save(link, cash)
    link.data = {**link.data, "invoice_again": []}
    link.save(update_fields=["data", "synced_at"])
    mappings = ctx.mappings
    q = quantum(currency_decimals(mappings.currency, mappings.currency_decimals))
    total = shop_money(order, "current_total_price", default=shop_money(order, "total_price"))
    tax = shop_money(order, "current_total_tax", default=shop_money(order, "total_tax", default=ZERO))
    booked_verify(
        ctx,
        document=f"Invoice {new.name} (Shopify {order.get('name') or order.get('id')}, lines an edit added)",
        odoo_model="account.move",
        odoo_id=new.id,
        expected=MoneyTotals.of(total=total - before_total, tax=tax - before_tax).quantized(q),
        booked=MoneyTotals(new.amount_untaxed, new.amount_tax, new.amount_total).quantized(q),
        currency=mappings.currency,
        decimals=mappings.currency_decimals,
        result={"odoo_order_id": link.odoo_id, "odoo_invoice_id": new.id},
        taxes_included=bool(order.get("taxes_included")),
        rounding=mappings.tax_rounding,
    )
    return [*known, new]


def _early_refunds(link: ExternalLink) -> bool:
    return any(r.get("pending_transactions") for r in (link.data.get("refunds") or {}).values())


def _only_added_lines(
    ctx: JobContext, order: Mapping[str, Any], link: ExternalLink, draft: InvoiceInfo
) -> InvoiceInfo:
    """The wizard invoices every line with something left to invoice, and a credit note (a refund without
    restock, a shipping refund) leaves its lines to invoice again: the draft keeps the added products' lines
    only, then is posted."""
    added = {str(i) for i in link.data.get("invoice_again") or []}
    skus = {str(li.get("sku") or "") for li in order.get("line_items") or [] if str(li.get("id")) in added}
    products = {ctx.mappings.skus[sku] for sku in skus if sku in ctx.mappings.skus}
    with ctx.call("odoo", "move_lines"):
        lines = ctx.odoo.move_lines(draft.id)
    remove = tuple(
        line.id
        for line in lines
        if line.display_type in ("", "product") and (line.product_id not in products or line.quantity <= 0)
    )
    if remove:
        with ctx.call("odoo", "edit_draft_move"):
            ctx.odoo.edit_draft_move(draft.id, MoveLineEdit(remove=remove))
    with ctx.call("odoo", "post_move"):
        return ctx.odoo.post_move(draft.id)


def _owing(ctx: JobContext, invoices: list[InvoiceInfo], fresh: Mapping[int, InvoiceInfo]) -> InvoiceInfo:
    """The invoice a new payment pays: the first that still owes something (the last, read now, when none
    does). ``fresh``: invoices read in this job and not paid since, taken as read (no second read)."""
    read: InvoiceInfo | None = None
    for each in invoices:
        read = fresh.get(each.id)
        if read is None:
            with ctx.call("odoo", "read_invoice"):
                read = ctx.odoo.read_invoice(each.id)
        if read is not None and read.amount_residual > 0:
            return read
    return read if read is not None else invoices[-1]


def _register(
    ctx: JobContext, link: ExternalLink, cash: dict[str, Any], payment: PaymentInput
) -> PaymentInfo:
    """Register one Shopify transaction's payment, exactly once.

    The memo (the transaction's gid) is the idempotency key, but Odoo is searched by it only when an earlier
    attempt may have registered it: the transaction is recorded in ``paying`` (saved before the call), so a
    worker killed or an answer lost after Odoo wrote leaves the mark, and the next attempt looks first. In
    steady state the registration is 3 calls, not 4. An order invoiced before the mark existed (no
    ``paying`` list) is always looked up."""
    paying = cash.get("paying")
    look_up = paying is None or payment.memo in paying
    if paying is not None and payment.memo not in paying:
        cash["paying"] = [*paying, payment.memo]
        _save(link, cash)
    with ctx.call("odoo", "register_payment"):
        return ctx.odoo.register_payment(payment, look_up=look_up)


def _pay_out_early_refunds(
    ctx: JobContext,
    order: Mapping[str, Any],
    link: ExternalLink,
    cash: dict[str, Any],
    invoice: InvoiceInfo,
    registered: Mapping[str, Mapping[str, str]],
) -> dict[str, dict[str, str]]:
    """The refund transactions of refunds made before the invoice (recorded by sync/flows/refunds.py as
    ``pending_transactions``), each booked as an outgoing payment to the customer (memo = its gid) in the
    journal of its gateway and reconciled with the open credit the sales left; read back: the amount to the
    cent, and matched (a payout left open would leave the customer's credit standing)."""
    paid_out: dict[str, dict[str, str]] = dict(cash.get("paid_out") or {})
    pending = [
        t
        for r in (link.data.get("refunds") or {}).values()
        for t in r.get("pending_transactions", [])
        if t.get("gid") and t["gid"] not in paid_out
    ]
    if not pending or not registered or invoice.partner_id is None:
        return paid_out
    against = tuple(sorted({int(p["odoo_payment_id"]) for p in registered.values()}))
    for t in pending:
        gateway = str(t.get("gateway") or "")
        journal = ctx.mappings.gateways.get(gateway)
        if journal is None:
            raise BusinessRuleError(
                f"no Odoo journal mapped for payment gateway {gateway!r}",
                code="unknown_gateway",
                key=gateway,
                details={"order_id": str(order.get("id")), "transaction": t["gid"]},
            )
        amount = Decimal(str(t["amount"]))
        with ctx.call("odoo", "pay_out"):
            payment = ctx.odoo.pay_out(
                PayoutInput(
                    invoice.partner_id,
                    t["gid"],
                    amount,
                    journal,
                    against=against,
                    # in the currency the order is booked in (sync/flows/currency.py)
                    currency=ctx.mappings.currency if ctx.booking and ctx.booking.in_presentment else None,
                )
            )
        if payment.amount.quantize(Decimal("0.01")) != amount.quantize(Decimal("0.01")) or not (
            payment.is_reconciled
        ):
            raise BusinessRuleError(
                f"Shopify refund transaction {t['gid']} of {_money(amount)} was paid out in Odoo as "
                f"{_money(payment.amount)} (payment {payment.name}, "
                f"{'matched' if payment.is_reconciled else 'not matched with the sales it pays back'})",
                code="payment_mismatch",
                key="refund_before_invoice",
                details={
                    "order_id": str(order.get("id")),
                    "transaction": t["gid"],
                    "odoo_payment_id": payment.id,
                    "shopify_total": _money(amount),
                    "odoo_total": _money(payment.amount),
                    "difference": _money(payment.amount - amount),
                },
            )
        paid_out[t["gid"]] = {
            "gateway": gateway,
            "kind": "refund",
            "amount": _money(amount),
            "odoo_payment_id": str(payment.id),
        }
        cash["paid_out"] = paid_out
        _save(link, cash)
    return paid_out


def order_to_cash(ctx: JobContext, payload: Mapping[str, Any], link: ExternalLink) -> dict[str, Any]:
    """Invoice and pay the order as far as the shop's policy and Shopify's transactions allow; what was done
    (or why nothing was) for the job's result."""
    # In the currency the order is booked in (sync/flows/currency.py), as its link recorded: also when the
    # caller is not the order flow (a released hold, a delivery made in Shopify).
    order = unwrap_order(order_booking(ctx, payload, link))
    policy = ctx.mappings.invoice_on
    currency = ctx.mappings.currency  # the booked currency
    q = quantum(currency_decimals(currency, ctx.mappings.currency_decimals))
    in_presentment = ctx.booking is not None and ctx.booking.in_presentment

    def _money_q(value: Decimal) -> str:
        return _money(value, q)

    cash: dict[str, Any] = dict(link.data.get("cash") or {})
    # What Shopify says was paid: its financial status and what the order still owes. A partial capture
    # (or payment) after another leaves the status partially_paid but owes less, and must be registered.
    status = str(order.get("financial_status") or "")
    if order.get("total_outstanding") is not None:
        status = f"{status} (outstanding {order['total_outstanding']})"
    if policy == "off":
        return {"policy": policy}
    if not cash.get("invoice_id"):
        why = _ready(ctx, order, link, policy)
        if why is not None:
            return {"policy": policy, "invoice": "waiting", "why": why}
    elif cash.get("seen_status") == status and cash.get("settled") and not link.data.get("invoice_again"):
        return {"policy": policy, "invoice": cash["invoice"], "payments": "unchanged"}
    invoice = _invoice(ctx, order, link, cash)
    invoices = [invoice, *_invoice_additions(ctx, order, link, cash, invoice)]
    # each read (or made and read back) by this job just now
    fresh: dict[int, InvoiceInfo] = {i.id: i for i in invoices}

    with ctx.call("shopify", "order_money"):
        money = ctx.shopify.order_money(str(order["id"]))
    transactions = money.transactions if money is not None else ()
    registered: dict[str, dict[str, str]] = dict(cash.get("payments") or {})
    states: dict[str, str] = {}
    for tx in transactions:
        kind, tx_status = tx.kind.upper(), tx.status.upper()
        if kind == "REFUND":
            continue
        if kind not in PAYING_KINDS or tx_status != "SUCCESS":
            states[tx.id] = f"{kind.lower()} {tx_status.lower()}"
            continue
        if tx.id in registered:
            continue
        gateway = tx.gateway or ""
        journal = ctx.mappings.gateways.get(gateway)
        if journal is None:
            raise BusinessRuleError(
                f"no Odoo journal mapped for payment gateway {gateway!r}",
                code="unknown_gateway",
                key=gateway,
                details={"order_id": str(order.get("id")), "transaction": tx.id},
            )
        amount = booked_amount(tx, currency, str(order.get("id")))
        target = _owing(ctx, invoices, fresh)
        if target.amount_residual <= 0 and _early_refunds(link):
            # Refunds before the invoice made it smaller than the sales: a sale it has no room for is the
            # customer's credit, which the refunds' payouts then settle (_pay_out_early_refunds).
            invoice_partner = target.partner_id or 0
            with ctx.call("odoo", "pay_out"):
                payment = ctx.odoo.pay_out(
                    PayoutInput(
                        invoice_partner,
                        tx.id,
                        amount,
                        journal,
                        payment_date=tx.processed_at.date().isoformat() if tx.processed_at else None,
                        payment_type="inbound",
                        currency=currency if in_presentment else None,
                    )
                )
        else:
            payment = _register(
                ctx,
                link,
                cash,
                PaymentInput(
                    target.id,
                    tx.id,
                    amount=amount,
                    journal_id=journal,
                    payment_date=tx.processed_at.date().isoformat() if tx.processed_at else None,
                    payment_method_line_id=ctx.mappings.gateway_method_lines.get(gateway),
                    # in the booked currency, whatever the journal's own (the wizard's default)
                    currency=currency if in_presentment else None,
                ),
            )
        fresh.pop(target.id, None)  # paid now: read again if another transaction pays it
        if payment.amount.quantize(q) != amount.quantize(q) or (
            payment.currency and payment.currency.upper() != currency.upper()
        ):
            raise BusinessRuleError(
                f"Shopify transaction {tx.id} of {_money_q(amount)} {currency} is booked in Odoo as "
                f"{_money_q(payment.amount)} {payment.currency} (payment {payment.name})",
                code="payment_mismatch",
                details={
                    "order_id": str(order.get("id")),
                    "transaction": tx.id,
                    "odoo_payment_id": payment.id,
                },
            )
        registered[tx.id] = {
            "gateway": gateway,
            "kind": kind.lower(),
            "amount": _money_q(amount),
            "odoo_payment_id": str(payment.id),
        }
        cash["payments"] = registered
        if tx.id in (cash.get("paying") or ()):
            cash["paying"] = [m for m in cash["paying"] if m != tx.id]
        _save(link, cash)

    afters = []
    for each in invoices:
        with ctx.call("odoo", "read_invoice"):
            read = ctx.odoo.read_invoice(each.id)
        assert read is not None
        afters.append(read)
    after = afters[0]
    invoiced = sum((a.amount_total for a in afters), ZERO)
    paid = sum((Decimal(p["amount"]) for p in registered.values()), ZERO)
    residual = max(invoiced - paid, ZERO)
    owing = sum((a.amount_residual for a in afters), ZERO)
    expected_state = {"paid", "in_payment"} if residual == 0 else ({"partial"} if paid else {"not_paid"})
    booked_states = {a.payment_state for a in afters}
    state_ok = booked_states <= expected_state if len(afters) == 1 or residual == 0 else True
    if not state_ok or owing.quantize(q) != residual.quantize(q):
        names = ", ".join(a.name for a in afters)
        raise BusinessRuleError(
            f"invoice {names} reads {'/'.join(sorted(booked_states))} with {_money_q(owing)} to pay, "
            f"but Shopify's transactions paid {_money_q(paid)} of {_money_q(invoiced)}",
            code="payment_mismatch",
            details={
                "order_id": str(order.get("id")),
                "odoo_invoice_id": after.id,
                "odoo_invoice_ids": [a.id for a in afters],
                "odoo_residual": _money_q(owing),
                "expected_residual": _money_q(residual),
                "payment_state": after.payment_state,
            },
        )
    # Refunds Shopify made before this invoice existed reduced the order (sync/flows/refunds.py), so the
    # sales overpay the smaller invoice by what was given back: each refund transaction is paid out to the
    # customer and matched with the sales' open credit.
    paid_out = _pay_out_early_refunds(ctx, order, link, cash, after, registered)
    owed = sum((Decimal(p["amount"]) for p in paid_out.values()), ZERO)
    if paid - owed > invoiced:
        pending = [
            t
            for r in (link.data.get("refunds") or {}).values()
            for t in r.get("pending_transactions", [])
            if t.get("gid") not in paid_out
        ]
        raise BusinessRuleError(
            f"invoice {after.name} of {_money_q(invoiced)} is paid {_money_q(paid)} by Shopify's "
            f"sales and {_money_q(owed)} was paid back: {_money_q(paid - owed - invoiced)} overpaid "
            "that no refund transaction accounts for",
            code="payment_mismatch",
            key="refund_before_invoice",
            details={
                "order_id": str(order.get("id")),
                "odoo_invoice_id": after.id,
                "shopify_total": _money_q(paid - owed),
                "odoo_total": _money_q(invoiced),
                "difference": _money_q(invoiced - (paid - owed)),
                "pending_transactions": pending,
            },
        )
    cash.update(seen_status=status, settled=True, payment_state=after.payment_state)
    _save(link, cash)
    more = (
        {
            "more_invoices": [
                {"invoice": a.name, "odoo_invoice_id": a.id, "total": _money(a.amount_total)}
                for a in afters[1:]
            ]
        }
        if len(afters) > 1
        else {}
    )
    return {
        "policy": policy,
        "invoice": after.name,
        "odoo_invoice_id": after.id,
        "invoice_total": _money_q(after.amount_total),
        **more,
        "paid": _money_q(paid),
        "paid_out": {gid: p for gid, p in paid_out.items()},
        "payment_state": after.payment_state,
        "amount_residual": _money_q(owing),
        "payments": registered,
        "not_registered": states,
    }
