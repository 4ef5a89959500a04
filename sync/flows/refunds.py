"""Refunds, Shopify → Odoo (``refunds/create``): the money given back and the goods taken back.

With a posted customer invoice for the order, a refund becomes a credit note made by Odoo's reversal wizard
(``account.move.reversal``) and cut down to exactly the refunded lines, shipping and adjustments
(transforms/refunds.py). Its total is read back before it is posted: a credit note that would not equal
Shopify's refund to the cent stays a draft and the job parks as the finance problem ``refund_mismatch``,
naming both amounts and the difference. Posted, it is paid by the refund's transactions, each registered as
an outgoing payment (``account.payment.register`` on the credit note) in the journal mapped for its gateway,
with the transaction's gid as the payment's memo, and read back paid.

Without an invoice yet (an order invoiced on delivery, refunded before it shipped), the order itself is
adjusted instead: the refunded quantities come off its lines (and so off the open delivery) and the shipping
line's price goes down by the shipping refunded; Odoo's new order total is read back and must be the old one
less the refund. What the order cannot absorb (quantities already delivered, a refund discrepancy) parks as
``refund_mismatch``. The refund's transactions are recorded on the order's link (``pending_transactions``)
and paid out to the customer when the order is invoiced and paid (sync/flows/cash.py).

Goods: ``restock_type`` ``return`` makes a return of those quantities from the order's delivery through
``stock.return.picking`` and validates it (Shopify has put them back in stock); ``cancel`` (and a return of
goods that never shipped) reduces the order lines, which reduces the open delivery, never below what was
delivered.

Idempotent per refund id: the credit note is found again by its reversal reason (``shopify refund <id>``),
payments by memo, returns by their key, and the order adjustments are recorded per refund on the order's link.
The credit note is linked to the refund (``ExternalLink`` of kind ``refund``, origin ``shopify``), so that the
outbound flow never pushes it back to Shopify.

A refund we made ourselves from an Odoo credit note (sync/flows/refunds_out.py) comes back as
``refunds/create`` too: it is linked to its credit note (origin ``odoo``) and the job does nothing. While the
outbound job has asked Shopify for a refund and not linked it yet (a worker that died in between), a refund
of the order with that job's note waits for it (a transient error: retried).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.utils import timezone

from opsconsole.core.errors import BusinessRuleError, ContractError, TransientError
from sync.connectors.odoo import (
    CreditNoteLine,
    InvoiceInfo,
    MoveLineEdit,
    OrderInfo,
    OrderLineInfo,
    OrderUpdate,
    PaymentInput,
    PickingInfo,
    ReturnInput,
    ReversalInput,
)
from sync.flows.context import JobContext
from sync.flows.currency import booked_amount, order_booking
from sync.flows.payloads import job_payload
from sync.models import ExternalLink, SyncJob
from sync.transforms.money import currency_decimals, quantum
from sync.transforms.refunds import (
    NoteLine,
    RefundDraft,
    plan_credit_note,
    refund_from_shopify,
    with_tip_given_back,
)

CENT = Decimal("0.01")


def _money(value: Decimal, q: Decimal = CENT) -> str:
    return str(value.quantize(q))


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _q(draft: RefundDraft) -> Decimal:
    """The quantum of the currency the refund is booked in (JPY: 1)."""
    return quantum(currency_decimals(draft.currency))


def _transactions_booked(ctx: JobContext, draft: RefundDraft) -> RefundDraft:
    """The refund's transactions in the currency the order is booked in. Shopify's REST transactions state
    ``amount`` in the presentment currency: for an order booked in the shop's currency (or the other way
    round) the amounts come from the order's GraphQL transactions, whose ``amountSet`` has both."""
    currency = draft.currency.upper()
    foreign = [t for t in draft.transactions if t.currency and t.currency.upper() != currency]
    if not foreign:
        return draft
    with ctx.call("shopify", "order_money"):
        money = ctx.shopify.order_money(draft.order_id)
    by_gid = {t.id: t for t in (money.transactions if money is not None else ())}
    transactions = []
    for tx in draft.transactions:
        if tx not in foreign:
            transactions.append(tx)
            continue
        found = by_gid.get(tx.gid)
        if found is None:
            raise ContractError(
                f"refund {draft.refund_id}: transaction {tx.gid} is not among order {draft.order_id}'s "
                "transactions in Shopify",
                system="shopify",
            )
        transactions.append(
            replace(tx, amount=booked_amount(found, currency, draft.order_id), currency=currency)
        )
    return replace(draft, transactions=tuple(transactions))


def _tax_rates(ctx: JobContext) -> dict[int, Decimal]:
    """Odoo tax id -> rate (a fraction), from the tax mapping's keys (``"VAT 20%|0.2"``)."""
    rates: dict[int, Decimal] = {}
    for key, tax_id in [*ctx.mappings.taxes.items(), *ctx.mappings.taxes_included.items()]:
        try:
            rates[tax_id] = Decimal(key.rpartition("|")[2])
        except ArithmeticError:
            continue
    return rates


def _adjustment_product(ctx: JobContext) -> int | None:
    mappings = ctx.mappings
    if mappings.refund_adjustment_product_id is not None:
        return mappings.refund_adjustment_product_id
    return mappings.rounding_adjustment.product_id if mappings.rounding_adjustment else None


def _taxes_included(ctx: JobContext, link: ExternalLink, order_id: str) -> bool:
    known = link.data.get("taxes_included")
    if isinstance(known, bool):
        return known
    with ctx.call("shopify", "fetch_order"):
        current = ctx.shopify.fetch_order_rest(order_id)
    included = bool((current or {}).get("taxes_included"))
    link.data = {**link.data, "taxes_included": included}
    link.save(update_fields=["data", "synced_at"])
    return included


def _mismatch(draft: RefundDraft, odoo_total: Decimal, *, where: str, problems: tuple[str, ...] = ()) -> None:
    shopify_total = draft.total if draft.transactions else draft.computed_total
    q = _q(draft)
    if odoo_total.quantize(q) == shopify_total.quantize(q):
        return
    difference = odoo_total - shopify_total
    because = f" ({'; '.join(problems)})" if problems else ""
    c = draft.currency
    raise BusinessRuleError(
        f"Shopify refund {draft.refund_id} of order {draft.order_id} gave back "
        f"{_money(shopify_total, q)} {c}, the Odoo {where} comes to {_money(odoo_total, q)} {c}: a "
        f"difference of {_money(difference, q)} {c}{because}",
        code="refund_mismatch",
        details={
            "order_id": draft.order_id,
            "refund_id": draft.refund_id,
            "currency": c,
            "shopify_total": _money(shopify_total, q),
            "odoo_total": _money(odoo_total, q),
            "difference": _money(difference, q),
            "where": where,
            "unmatched": list(problems),
        },
    )


def _journal(ctx: JobContext, gateway: str, draft: RefundDraft) -> int:
    journal = ctx.mappings.gateways.get(gateway)
    if journal is None:
        raise BusinessRuleError(
            f"no Odoo journal mapped for payment gateway {gateway!r} (refund {draft.refund_id})",
            code="unknown_gateway",
            key=gateway,
            details={"order_id": draft.order_id, "refund_id": draft.refund_id},
        )
    return journal


# --- the credit note --------------------------------------------------------------------------------


def _invoice_for(ctx: JobContext, order: OrderInfo, draft: RefundDraft) -> InvoiceInfo | None:
    """The invoice the credit note reverses. An order edited after invoicing has a further invoice for the
    lines the edit added (sync/flows/cash.py): the first invoice holding every refunded product (and the
    shipping, when refunded) is reversed; when none holds them all, the first, and the credit note's read
    back parks what it cannot take."""
    with ctx.call("odoo", "invoices_for_order"):
        moves = ctx.odoo.invoices_for_order(order.name)
    posted = [m for m in moves if m.move_type == "out_invoice" and m.state == "posted"]
    if len(posted) <= 1:
        return posted[-1] if posted else None
    wanted = set(draft.quantities())
    shipping = frozenset(t.product_id for t in ctx.mappings.shipping.values())
    for invoice in posted:
        with ctx.call("odoo", "move_lines"):
            products = {line.product_id for line in ctx.odoo.move_lines(invoice.id) if line.product_id}
        if wanted <= products and (not draft.shipping or products & shipping):
            return invoice
    return posted[0]


def _credited_before(
    ctx: JobContext, invoice: InvoiceInfo, credit_id: int
) -> dict[tuple[int, Decimal], Decimal]:
    """The units the invoice's posted credit notes (other than this one) took back, per (product, unit
    price), as Odoo has them: a customer may refund a line over several refunds, and each draft credit note
    repeats the whole invoice."""
    with ctx.call("odoo", "credit_notes_of"):
        notes = ctx.odoo.credit_notes_of(invoice.id)
    taken: dict[tuple[int, Decimal], Decimal] = {}
    for note in notes:
        if note.id == credit_id or note.state != "posted":
            continue
        with ctx.call("odoo", "move_lines"):
            lines = ctx.odoo.move_lines(note.id)
        for line in lines:
            if line.display_type == "product" and line.product_id:
                key = (line.product_id, line.price_unit)
                taken[key] = taken.get(key, Decimal(0)) + line.quantity
    return taken


def _credit_note(
    ctx: JobContext, draft: RefundDraft, invoice: InvoiceInfo
) -> tuple[InvoiceInfo, list[dict[str, Any]]]:
    with ctx.call("odoo", "reverse_invoice"):
        credit = ctx.odoo.reverse_invoice(ReversalInput(invoice.id, draft.reason, post=False))
    if credit.state == "draft":
        with ctx.call("odoo", "move_lines"):
            lines = ctx.odoo.move_lines(credit.id)
        plan = plan_credit_note(
            draft,
            [
                NoteLine(
                    id=line.id,
                    product_id=line.product_id,
                    quantity=line.quantity,
                    price_unit=line.price_unit,
                    tax_ids=line.tax_ids,
                    display_type=line.display_type,
                )
                for line in lines
            ],
            shipping_products=frozenset(t.product_id for t in ctx.mappings.shipping.values()),
            adjustment_product_id=_adjustment_product(ctx),
            tax_rates=_tax_rates(ctx),
            rounding=ctx.mappings.rounding_adjustment,
            duties_product_id=ctx.mappings.duties_product_id,
            tip_product_id=ctx.mappings.tip_product_id,
            credited=_credited_before(ctx, invoice, credit.id),
        )
        with ctx.call("odoo", "edit_draft_move"):
            credit = ctx.odoo.edit_draft_move(
                credit.id,
                MoveLineEdit(
                    keep=plan.keep,
                    remove=plan.remove,
                    add=tuple(
                        CreditNoteLine(
                            quantity=a.quantity,
                            price_unit=a.price_unit,
                            product_id=a.product_id,
                            name=a.name,
                            tax_ids=a.tax_ids,
                        )
                        for a in plan.add
                    ),
                ),
            )
        # Read back before posting: a credit note that differs from Shopify's refund is never posted.
        _mismatch(
            draft, credit.amount_total, where=f"credit note (draft {credit.id})", problems=plan.problems
        )
        with ctx.call("odoo", "post_move"):
            credit = ctx.odoo.post_move(credit.id)
    _mismatch(draft, credit.amount_total, where=f"credit note {credit.name}")
    if credit.currency and credit.currency.upper() != draft.currency.upper():
        raise BusinessRuleError(
            f"credit note {credit.name} of Shopify refund {draft.refund_id} is in {credit.currency}, the "
            f"order is booked in {draft.currency}",
            code="currency_mismatch",
            key=credit.currency,
            details={
                "order_id": draft.order_id,
                "refund_id": draft.refund_id,
                "odoo_credit_note_id": credit.id,
            },
        )
    q = _q(draft)
    in_presentment = ctx.booking is not None and ctx.booking.in_presentment
    payments = []
    for tx in draft.transactions:
        if not tx.succeeded or not tx.amount:
            continue
        journal = _journal(ctx, tx.gateway, draft)
        with ctx.call("odoo", "register_payment"):
            payment = ctx.odoo.register_payment(
                PaymentInput(
                    credit.id,
                    tx.gid,
                    amount=tx.amount,
                    journal_id=journal,
                    currency=draft.currency if in_presentment else None,
                )
            )
        payments.append(
            {
                "transaction": tx.gid,
                "gateway": tx.gateway,
                "amount": _money(tx.amount, q),
                "odoo_payment_id": payment.id,
                "odoo_amount": _money(payment.amount, q),
                "payment_type": payment.payment_type,
            }
        )
        if payment.amount.quantize(q) != tx.amount.quantize(q) or (
            payment.currency and payment.currency.upper() != draft.currency.upper()
        ):
            raise BusinessRuleError(
                f"refund transaction {tx.gid} of {_money(tx.amount, q)} {draft.currency} was booked in Odoo "
                f"as {_money(payment.amount, q)} {payment.currency} (payment {payment.name})",
                code="refund_mismatch",
                details={"order_id": draft.order_id, "refund_id": draft.refund_id, "transaction": tx.gid},
            )
    with ctx.call("odoo", "read_invoice"):
        after = ctx.odoo.read_invoice(credit.id)
    return (after or credit), payments


# --- the order, when nothing is invoiced yet ------------------------------------------------------


def _reduce_lines(order: OrderInfo, product_id: int, quantity: Decimal) -> tuple[dict[int, Decimal], Decimal]:
    """New quantities for the order's lines of a product, ``quantity`` fewer, taken from the last lines and
    never below what was delivered (Odoo refuses that). Returns the changes and what could not be taken."""
    lines = [line for line in order.lines if line.product_id == product_id and not line.display_type]
    changes: dict[int, Decimal] = {}
    left = quantity
    for line in reversed(lines):
        room = max(line.quantity - line.qty_delivered, Decimal(0))
        take = min(room, left)
        if take > 0:
            changes[line.id] = line.quantity - take
            left -= take
    return changes, left


def _adjust_order(
    ctx: JobContext, draft: RefundDraft, order: OrderInfo, quantities: dict[int, int], *, shipping: bool
) -> dict[str, Any]:
    set_quantities: dict[int, Decimal] = {}
    unabsorbed: dict[int, Decimal] = {}
    for product_id, qty in quantities.items():
        changes, left = _reduce_lines(order, product_id, Decimal(qty))
        set_quantities.update(changes)
        if left:
            unabsorbed[product_id] = left
    price_changes: dict[int, Decimal] = {}
    if shipping and draft.shipping:
        products = frozenset(t.product_id for t in ctx.mappings.shipping.values())
        ship = next((line for line in order.lines if line.product_id in products), None)
        if ship is not None:
            price_changes[ship.id] = ship.price_unit - draft.shipping
    if set_quantities or price_changes:
        with ctx.call("odoo", "update_order"):
            ctx.odoo.update_order(
                order.id, OrderUpdate(set_quantities=set_quantities, set_prices=price_changes)
            )
    return {
        "lines": {str(k): str(v) for k, v in set_quantities.items()},
        "shipping": {str(k): str(v) for k, v in price_changes.items()},
        "unabsorbed": {str(k): str(v) for k, v in unabsorbed.items()},
    }


# --- goods -----------------------------------------------------------------------------------------


def _kit_components(
    lines: Sequence[OrderLineInfo], outgoing: Sequence[PickingInfo], kits: set[int]
) -> dict[int, tuple[set[int], dict[int, Decimal]]]:
    """Kits among ``kits`` (product ids) that Odoo delivers as their components (mrp explodes the phantom
    bill of materials: each component's move carries the kit's sale line as ``sale_line_id``): kit product →
    (its sale lines, component product → quantity per kit). The quantity per kit is what the kit's lines
    move of the component (done: the quantity done; open: the demand) over the kits they sold."""
    out: dict[int, tuple[set[int], dict[int, Decimal]]] = {}
    for kit in kits:
        kit_lines = {line.id: line for line in lines if line.product_id == kit and not line.display_type}
        sold = sum((line.quantity for line in kit_lines.values()), Decimal(0))
        moved: dict[int, Decimal] = {}
        for picking in outgoing:
            for move in picking.moves:
                if (
                    move.sale_line_id not in kit_lines
                    or move.product_id in (None, kit)
                    or move.state == "cancel"
                ):
                    continue
                assert move.product_id is not None
                qty = move.quantity if move.state == "done" else move.demand
                moved[move.product_id] = moved.get(move.product_id, Decimal(0)) + qty
        if moved and sold > 0:
            out[kit] = (set(kit_lines), {c: q / sold for c, q in moved.items()})
    return out


def _restock(
    ctx: JobContext,
    draft: RefundDraft,
    order_id: int,
    on_return: Callable[[int], None] | None = None,
    lines: Sequence[OrderLineInfo] = (),
) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """Returns from the delivered pickings for ``return`` lines; what never shipped is handed back to be
    taken off the order (as a ``cancel``).

    A kit delivered as its components (Odoo with mrp) is returned as its components in the kit's
    proportions, from the moves of the kit's sale lines, as Odoo's return wizard lists a kit's delivery
    (one line per component move): whole kits only, up to what was delivered of every component; the kits
    not delivered whole are handed back as never shipped."""
    wanted = draft.quantities("return")
    if not wanted:
        return [], {}
    with ctx.call("odoo", "order_pickings"):
        pickings = ctx.odoo.order_pickings(order_id)
    outgoing = [p for p in pickings if not p.origin.startswith("Return of") and p.return_of is None]
    done = [p for p in outgoing if p.state == "done"]
    kits = _kit_components(lines, outgoing, set(wanted))
    kit_line_ids = {lid for line_ids, _ in kits.values() for lid in line_ids}
    # What to take back: (product, the sale lines its moves must be of: None for any but a kit's) → quantity.
    left: dict[tuple[int, frozenset[int] | None], Decimal] = {}
    unshipped: dict[int, int] = {}
    for pid, qty in wanted.items():
        if pid not in kits:
            left[(pid, None)] = Decimal(qty)
            continue
        line_ids, per_kit = kits[pid]
        delivered: dict[int, Decimal] = {}
        for picking in done:
            for move in picking.moves:
                if move.sale_line_id in line_ids and move.state == "done" and move.product_id in per_kit:
                    assert move.product_id is not None
                    delivered[move.product_id] = delivered.get(move.product_id, Decimal(0)) + move.quantity
        whole = min(int(delivered.get(c, Decimal(0)) / q) for c, q in per_kit.items())
        returned = min(qty, whole)
        if qty > returned:
            unshipped[pid] = qty - returned
        for component, per in per_kit.items():
            if returned:
                left[(component, frozenset(line_ids))] = per * returned
    returns: list[dict[str, Any]] = []
    for picking in done:
        take: dict[int, Decimal] = {}
        for move in picking.moves:
            if move.state != "done" or move.product_id is None:
                continue
            for key in ((move.product_id, None), *[k for k in left if k[0] == move.product_id and k[1]]):
                of = key[1]
                if key not in left or left[key] <= 0:
                    continue
                if of is None and move.sale_line_id in kit_line_ids:
                    continue  # a kit's component: returned with its kit, not as the product sold alone
                if of is not None and move.sale_line_id not in of:
                    continue
                got = min(left[key], move.quantity)
                if got > 0:
                    take[move.product_id] = take.get(move.product_id, Decimal(0)) + got
                    left[key] -= got
                break
        if not take:
            continue
        with ctx.call("odoo", "return_picking"):
            ret = ctx.odoo.return_picking(ReturnInput(picking.id, take, f"shopify-refund:{draft.refund_id}"))
        if on_return is not None:
            on_return(ret.picking_id)  # recorded before it is done: the fulfilments stream reads done returns
        if ret.state != "done":
            with ctx.call("odoo", "validate_picking"):
                ctx.odoo.validate_picking(ret.picking_id)
        returns.append(
            {
                "picking": picking.name,
                "return_id": ret.picking_id,
                "return": ret.name,
                "quantities": {str(k): str(v) for k, v in take.items()},
            }
        )
    for (pid, of), rest in left.items():
        if of is None and rest > 0:
            unshipped[pid] = unshipped.get(pid, 0) + int(rest)
    return returns, unshipped


# --- the flow --------------------------------------------------------------------------------------


def refund_create(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    payload = job_payload(job)
    order_id = str(payload.get("order_id"))
    refund_id = str(payload.get("id"))
    link = ExternalLink.objects.filter(
        shop=ctx.shop, kind=ExternalLink.Kind.ORDER, shopify_id=order_id
    ).first()
    if link is None:
        # The order's own job has not booked it yet (or parked): try again later, as its replay may.
        raise TransientError(f"Shopify order {order_id} of refund {refund_id} is not booked in Odoo yet")
    ours = ExternalLink.objects.filter(
        shop=ctx.shop, kind=ExternalLink.Kind.REFUND, shopify_id=refund_id
    ).first()
    if ours is not None and ours.data.get("origin") == "odoo":
        # Made by us from an Odoo credit note (sync/flows/refunds_out.py): Odoo has it already.
        return {"outcome": "made_in_odoo", "refund_id": refund_id, "odoo_credit_note_id": ours.odoo_id}
    pending = pending_out_refund(link, str(payload.get("note") or ""))
    if pending is not None:
        raise TransientError(
            f"Shopify refund {refund_id} may be the one credit note {pending.get('credit_note')} asked for, "
            "which is not linked yet: waiting for its job"
        )
    done = dict(link.data.get("refunds") or {})
    # In the currency the order is booked in (sync/flows/currency.py), as its link recorded.
    payload = order_booking(ctx, payload, link)
    draft = refund_from_shopify(payload, ctx.mappings, taxes_included=_taxes_included(ctx, link, order_id))
    draft = _transactions_booked(ctx, draft)
    # A tip given back is money beyond the items, shipping and duties (a refund discrepancy in Shopify), up
    # to the order's tip less what its other refunds gave back of it (the order's link keeps both).
    tip_left = _decimal(link.data.get("tip")) - sum(
        (_decimal(r.get("tip")) for rid, r in done.items() if rid != refund_id), Decimal(0)
    )
    draft = with_tip_given_back(draft, tip_left)
    with ctx.call("odoo", "read_order"):
        order = ctx.odoo.read_order(link.odoo_id)
    if order is None:
        raise BusinessRuleError(
            f"Odoo sale order {link.odoo_id} linked to Shopify order {order_id} is gone",
            code="odoo_order_missing",
            details={"order_id": order_id, "odoo_order_id": link.odoo_id},
        )
    record: dict[str, Any] = dict(done.get(refund_id) or {})
    if draft.tip and record.get("tip") != _money(draft.tip):
        record["tip"] = _money(draft.tip)
        _record(link, refund_id, record)
    result: dict[str, Any] = {
        "refund_id": refund_id,
        "odoo_order_id": order.id,
        "shopify_total": _money(draft.total),
        "currency": draft.currency,
    }

    def note_return(picking_id: int) -> None:
        record["return_ids"] = sorted({*record.get("return_ids", []), picking_id})
        _record(link, refund_id, record)

    returns, unshipped = _restock(ctx, draft, order.id, note_return, order.lines)
    result["returns"] = returns
    cancels = draft.quantities("cancel")
    for pid, qty in unshipped.items():
        cancels[pid] = cancels.get(pid, 0) + qty

    invoice = _invoice_for(ctx, order, draft)
    if invoice is None and draft.moves_money and not record.get("credit_note_id"):
        result.update(_refund_before_invoice(ctx, draft, order, link, record))
    else:
        if cancels and not record.get("order_reduced"):
            changes = _adjust_order(ctx, draft, order, cancels, shipping=False)
            record.update(order_reduced=True, reduced=changes)
            _record(link, refund_id, record)
            # What the order lost with those units, for the order flow's read back after a later edit
            # (sync/flows/orders.py takes it off Shopify's total with the refunds added back).
            with ctx.call("odoo", "read_order"):
                reduced = ctx.odoo.read_order(order.id, with_lines=False)
            if reduced is not None:
                taken = order.amount_total - reduced.amount_total
                record["adjustment"] = {"taken": _money(taken), "changes": changes}
                _record(link, refund_id, record)
        if invoice is not None and draft.moves_money:
            credit, payments = _credit_note(ctx, draft, invoice)
            record.update(credit_note_id=credit.id)
            _record(link, refund_id, record)
            ExternalLink.objects.update_or_create(
                shop=ctx.shop,
                kind=ExternalLink.Kind.REFUND,
                shopify_id=refund_id,
                defaults={
                    "odoo_model": "account.move",
                    "odoo_id": credit.id,
                    "label": credit.name[:120],
                    "data": {"origin": "shopify", "order_id": order_id},
                },
            )
            result.update(
                outcome="credit_note",
                odoo_invoice_id=invoice.id,
                odoo_credit_note_id=credit.id,
                odoo_credit_note=credit.name,
                odoo_total=_money(credit.amount_total),
                payment_state=credit.payment_state,
                amount_residual=_money(credit.amount_residual),
                payments=payments,
            )
        else:
            result["outcome"] = "restock_only"
    if draft.duties or draft.additional_fees or draft.tip:
        given = [
            f"{what} {_money(amount)}"
            for what, amount in (
                ("duties", draft.duties),
                ("tip", draft.tip),
                ("additional fees", draft.additional_fees),
            )
            if amount
        ]
        credited = (
            f" (credit note {result['odoo_credit_note']})" if result.get("outcome") == "credit_note" else ""
        )
        text = (
            f"Shopify refund {refund_id}: {', '.join(given[:-1]) + ' and ' if len(given) > 1 else ''}"
            f"{given[-1]} {draft.currency} given back{credited}"
        )
        if not record.get("noted"):
            with ctx.call("odoo", "post_order_message"):
                ctx.odoo.post_order_message(order.id, text, subject="Shopify refund")
            record["noted"] = True
            _record(link, refund_id, record)
    result["written_at"] = timezone.now().isoformat()
    return result


def refund_return_ids(link: ExternalLink | None) -> set[int]:
    """The Odoo returns made for Shopify refunds of this order (the fulfilments flow leaves them alone: the
    refund already settled them in Shopify)."""
    if link is None:
        return set()
    return {int(i) for r in (link.data.get("refunds") or {}).values() for i in r.get("return_ids", [])}


def pending_out_refund(link: ExternalLink, note: str) -> dict[str, Any] | None:
    """A refund the outbound flow may have made in Shopify for this order and not linked yet, whose note is
    ``note`` (sync/flows/refunds_out.py writes it before asking Shopify)."""
    if not note:
        return None
    for record in (link.data.get("refunds_out") or {}).values():
        if record.get("status") == "pending" and record.get("note") == note:
            return dict(record)
    return None


def _record(link: ExternalLink, refund_id: str, record: dict[str, Any]) -> None:
    refunds = dict(link.data.get("refunds") or {})
    refunds[refund_id] = record
    link.data = {**link.data, "refunds": refunds}
    link.save(update_fields=["data", "synced_at"])


def _refund_before_invoice(
    ctx: JobContext, draft: RefundDraft, order: OrderInfo, link: ExternalLink, record: dict[str, Any]
) -> dict[str, Any]:
    """No invoice yet: take the refund off the order, verified by Odoo's new total."""
    if record.get("order_adjusted"):
        return {"outcome": "order_adjusted", **record.get("adjustment", {})}
    quantities = draft.quantities()
    changes = _adjust_order(ctx, draft, order, quantities, shipping=True)
    record.update(order_adjusted=True, order_reduced=True, adjustment={"changes": changes})
    _record(link, draft.refund_id, record)
    with ctx.call("odoo", "read_order"):
        after = ctx.odoo.read_order(order.id, with_lines=False)
    assert after is not None
    taken = order.amount_total - after.amount_total
    record["adjustment"].update(
        odoo_before=_money(order.amount_total), odoo_after=_money(after.amount_total), taken=_money(taken)
    )
    record["pending_transactions"] = [
        {"gid": t.gid, "gateway": t.gateway, "amount": _money(t.amount)}
        for t in draft.transactions
        if t.succeeded
    ]
    _record(link, draft.refund_id, record)
    problems = tuple(
        f"product {pid}: {qty} already delivered, not taken off the order"
        for pid, qty in changes["unabsorbed"].items()
    ) + tuple(
        f"{what} {amount} not on the order"
        for what, amount in (
            ("refund discrepancy", draft.discrepancy),
            ("duties given back", draft.duties),
            ("tip given back", draft.tip),
        )
        if amount
    )
    _mismatch(draft, taken, where=f"order {order.name} (reduced before invoicing)", problems=problems)
    return {
        "outcome": "order_adjusted",
        "odoo_before": _money(order.amount_total),
        "odoo_after": _money(after.amount_total),
        "odoo_total": _money(taken),
        "changes": changes,
    }
