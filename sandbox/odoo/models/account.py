"""account: taxes, journals, journal entries and their items, reconciliation, payments, the payment and
credit-note wizards, bank statement lines.

What it imitates (sources in docs/sandboxes.md): a draft invoice carries its tax and receivable journal items
(Odoo syncs them on every change); posting numbers it per journal and returns ``False``; amounts come from
the tax engine (:mod:`.taxes`) with the company's rounding method; ``payment_state`` follows Odoo 17+'s
``_compute_payment_state`` (community: fully reconciled is ``paid``; ``in_payment`` only with the Accounting
app, which the sandbox turns on with the control setting ``accounting_app``); payments through
``account.payment.register`` reconcile with the invoice; credit notes through ``account.move.reversal``.
"""

from __future__ import annotations

from typing import Any

from ..orm import Env, UserError, ValidationError
from . import taxes
from .common import (
    Registry,
    act_window,
    active_ids,
    compute,
    currency_rounding,
    env_company,
    is_zero,
    method,
    on_create,
    on_write,
    records,
    round_to,
    set_defaults,
    today,
)
from .methods import as_ids
from .sale import tax_of

INVOICE_TYPES = ("out_invoice", "out_refund", "in_invoice", "in_refund", "out_receipt", "in_receipt")
REVERSE_TYPE = {
    "entry": "entry",
    "out_invoice": "out_refund",
    "out_refund": "out_invoice",
    "in_invoice": "in_refund",
    "in_refund": "in_invoice",
    "out_receipt": "out_refund",
    "in_receipt": "in_refund",
}
DRAFT_LABEL = {
    "out_invoice": "Draft Invoice",
    "out_refund": "Draft Credit Note",
    "in_invoice": "Draft Bill",
    "in_refund": "Draft Vendor Credit Note",
    "out_receipt": "Draft Sales Receipt",
    "in_receipt": "Draft Purchase Receipt",
    "entry": "Draft Entry",
}


def direction_sign(move_type: str) -> int:
    return 1 if move_type in ("entry", "in_invoice", "out_refund", "in_receipt") else -1


def settings(env: Env) -> dict[str, Any]:
    return env.db.settings()


# -- accounts ------------------------------------------------------------------------------------


def company_accounts(env: Env, company: int, account_type: str) -> list[int]:
    return sorted(
        (
            aid
            for aid, acc in env.db.tables["account.account"].items()
            if acc.get("account_type") == account_type
            and company in (acc.get("company_ids") or [])
            and acc.get("active", True)
        ),
        key=lambda aid: (str(env.rec("account.account", aid).get("code_store") or ""), aid),
    )


def partner_account(env: Env, company: int, partner_id: Any, kind: str) -> int | bool:
    fname = "property_account_receivable_id" if kind == "receivable" else "property_account_payable_id"
    if partner_id and env.exists("res.partner", partner_id):
        commercial = env.raw("res.partner", partner_id, "commercial_partner_id") or partner_id
        acc = env.rec("res.partner", commercial).get(fname)
        if acc and company in (env.rec("account.account", acc).get("company_ids") or []):
            return int(acc)
    found = company_accounts(
        env, company, "asset_receivable" if kind == "receivable" else "liability_payable"
    )
    return found[0] if found else False


def is_reconcilable(env: Env, account_id: Any) -> bool:
    return bool(account_id) and bool(env.rec("account.account", account_id).get("reconcile"))


def income_account(env: Env, company: int, product_id: Any, journal_id: Any) -> int | bool:
    if product_id and env.exists("product.product", product_id):
        acc = env.raw("product.product", product_id, "property_account_income_id")
        if acc:
            return int(acc)
        categ = env.raw("product.product", product_id, "categ_id")
        if categ and env.raw("product.category", categ, "property_account_income_categ_id"):
            return int(env.raw("product.category", categ, "property_account_income_categ_id"))
    acc = env.raw("res.company", company, "income_account_id")
    if acc:
        return int(acc)
    if journal_id and env.exists("account.journal", journal_id):
        return env.rec("account.journal", journal_id).get("default_account_id") or False
    return False


def tax_account(env: Env, company: int) -> int | bool:
    found = company_accounts(env, company, "liability_current")
    return found[0] if found else False


# -- journal items -------------------------------------------------------------------------------


def move_lines(env: Env, move_id: int, display_types: tuple[str, ...] | None = None) -> list[int]:
    lines = env.db.tables["account.move.line"]
    return [
        lid
        for lid in env.db.lookup("account.move.line", "move_id", move_id)
        if display_types is None or lines[lid].get("display_type") in display_types
    ]


def partials_of(env: Env, line_id: int) -> list[int]:
    return sorted(
        {
            *env.db.lookup("account.partial.reconcile", "debit_move_id", line_id),
            *env.db.lookup("account.partial.reconcile", "credit_move_id", line_id),
        }
    )


def line_residual(env: Env, line: dict[str, Any]) -> float:
    acc = line.get("account_id")
    if not acc or not env.exists("account.account", acc):
        return 0.0
    account = env.rec("account.account", acc)
    if not account.get("reconcile") and account.get("account_type") not in (
        "asset_cash",
        "liability_credit_card",
    ):
        return 0.0
    residual = float(line.get("balance") or 0.0)
    for pid in partials_of(env, line["id"]):
        p = env.rec("account.partial.reconcile", pid)
        if p.get("debit_move_id") == line["id"]:
            residual -= float(p.get("amount") or 0)
        else:
            residual += float(p.get("amount") or 0)
    return round_to(residual, currency_rounding(env, line.get("currency_id")))


def reconcile_lines(env: Env, ids: list[int]) -> bool:
    """``account.move.line.reconcile``: partials between debits and credits of one account, full when done."""
    lines = [{**env.rec("account.move.line", lid), "id": lid} for lid in ids]
    if not lines:
        return True
    accounts = {line.get("account_id") for line in lines}
    if len(accounts) > 1:
        names = ", ".join(sorted(env.display_name("account.account", a) for a in accounts if a))
        raise UserError(f"Entries are not from the same account: {names}")
    account = accounts.pop()
    if not is_reconcilable(env, account) and env.raw("account.account", account, "account_type") not in (
        "asset_cash",
        "liability_credit_card",
    ):
        raise UserError(
            f"Account {env.display_name('account.account', account)} does not allow reconciliation. "
            "First change "
            "the configuration of this account to allow it."
        )
    for line in lines:
        if env.raw("account.move", line["move_id"], "state") != "posted":
            raise UserError("You can only reconcile posted entries.")
    debits = [line for line in lines if line_residual(env, line) > 0]
    credits = [line for line in lines if line_residual(env, line) < 0]
    key = lambda line: (str(line.get("date") or ""), line["id"])  # noqa: E731
    debits.sort(key=key)
    credits.sort(key=key)
    company = lines[0].get("company_id") or env.company()
    di = ci = 0
    while di < len(debits) and ci < len(credits):
        d, c = debits[di], credits[ci]
        amount = min(line_residual(env, d), -line_residual(env, c))
        if amount <= 0:
            break
        env.sudo().create(
            "account.partial.reconcile",
            {
                "debit_move_id": d["id"],
                "credit_move_id": c["id"],
                "amount": amount,
                "debit_amount_currency": amount,
                "credit_amount_currency": amount,
                "company_id": company,
            },
        )
        if is_zero(line_residual(env, d)):
            di += 1
        if is_zero(line_residual(env, c)):
            ci += 1
    _full_reconcile(env, [line["id"] for line in lines])
    after_reconcile(env, {line["move_id"] for line in lines})
    return True


def _full_reconcile(env: Env, ids: list[int]) -> None:
    """When a group of lines linked by partials is fully matched, Odoo records it as one full reconcile."""
    group: set[int] = set()
    frontier = list(ids)
    while frontier:
        lid = frontier.pop()
        if lid in group:
            continue
        group.add(lid)
        for pid in partials_of(env, lid):
            p = env.rec("account.partial.reconcile", pid)
            frontier.extend([p["debit_move_id"], p["credit_move_id"]])
    lines = [
        {**env.rec("account.move.line", lid), "id": lid}
        for lid in group
        if env.exists("account.move.line", lid)
    ]
    if not lines or any(not is_zero(line_residual(env, line)) for line in lines):
        return
    if any(line.get("full_reconcile_id") for line in lines):
        return
    full = env.sudo().create("account.full.reconcile", {})
    for line in lines:
        env.set("account.move.line", line["id"], full_reconcile_id=full)
        for pid in partials_of(env, line["id"]):
            env.set("account.partial.reconcile", pid, full_reconcile_id=full)


def unreconcile(env: Env, ids: list[int]) -> bool:
    moves = set()
    for lid in ids:
        moves.add(env.rec("account.move.line", lid).get("move_id"))
        for pid in partials_of(env, lid):
            p = env.rec("account.partial.reconcile", pid)
            for side in ("debit_move_id", "credit_move_id"):
                other = p.get(side)
                if other and env.exists("account.move.line", other):
                    moves.add(env.rec("account.move.line", other).get("move_id"))
                    env.set("account.move.line", other, full_reconcile_id=False)
            full = p.get("full_reconcile_id")
            env.sudo().unlink("account.partial.reconcile", [pid])
            if full and env.exists("account.full.reconcile", full):
                env.sudo().unlink("account.full.reconcile", [full])
    after_reconcile(env, {m for m in moves if m})
    return True


def after_reconcile(env: Env, move_ids: set[int]) -> None:
    """Payments follow their journal items: is_matched / paid once the liquidity line is matched."""
    for mid in move_ids:
        pay = env.db.tables["account.move"].get(mid, {}).get("origin_payment_id")
        if pay and env.exists("account.payment", pay):
            refresh_payment_state(env, pay)


# -- invoices: dynamic lines and amounts -------------------------------------------------------


def _company_of(env: Env, move: dict[str, Any]) -> int:
    return int(move.get("company_id") or env.company())


def _base_lines(env: Env, move_id: int) -> tuple[list[int], list[taxes.BaseLine]]:
    ids = move_lines(env, move_id, ("product",))
    bls = []
    for lid in ids:
        line = env.rec("account.move.line", lid)
        bls.append(
            taxes.BaseLine(
                price_unit=float(line.get("price_unit") or 0),
                quantity=float(line.get("quantity") or 0),
                discount=float(line.get("discount") or 0),
                taxes=tuple(
                    tax_of(env, t) for t in line.get("tax_ids") or [] if env.exists("account.tax", t)
                ),
            )
        )
    return ids, bls


def invoice_totals(env: Env, move: dict[str, Any]) -> taxes.Totals:
    _ids, bls = _base_lines(env, move["id"])
    company = _company_of(env, move)
    method_ = env.raw("res.company", company, "tax_calculation_rounding_method") or "round_per_line"
    return taxes.document_totals(bls, currency_rounding(env, move.get("currency_id")), method_)


def sync_invoice(env: Env, move_id: int) -> None:
    """Odoo keeps a draft invoice's tax and payment-term journal items in step with its product lines."""
    if env.context.get("_account_sync") or not env.exists("account.move", move_id):
        return
    move = {**env.rec("account.move", move_id), "id": move_id}
    if move.get("move_type") not in INVOICE_TYPES or move.get("state") != "draft":
        return
    inner = env.sudo().with_context(_account_sync=True)
    company = _company_of(env, move)
    currency = move.get("currency_id") or env.raw("res.company", company, "currency_id")
    sign = direction_sign(move["move_type"])
    rounding = currency_rounding(env, move.get("currency_id"))
    ids, bls = _base_lines(env, move_id)
    method_ = env.raw("res.company", company, "tax_calculation_rounding_method") or "round_per_line"
    details = [taxes.line_details(bl, rounding, method_) for bl in bls]
    taxes.round_lines(details, rounding)
    partner = (
        env.raw("res.partner", move.get("partner_id"), "commercial_partner_id")
        if move.get("partner_id")
        else False
    )
    total = 0.0
    for lid, d in zip(ids, details, strict=True):
        base = round_to(d.total_excluded + d.delta_total_excluded, rounding)
        line = env.rec("account.move.line", lid)
        updates: dict[str, Any] = {
            "balance": sign * base,
            "amount_currency": sign * base,
            "partner_id": partner,
        }
        if not line.get("account_id"):
            updates["account_id"] = income_account(
                env, company, line.get("product_id"), move.get("journal_id")
            )
        env.set("account.move.line", lid, **updates)
        total += sign * base
    existing_tax = {
        env.rec("account.move.line", lid).get("tax_line_id"): lid
        for lid in move_lines(env, move_id, ("tax",))
    }
    existing_term = move_lines(env, move_id, ("payment_term",))
    per_tax: dict[int, float] = {}
    for d in details:
        for t in d.taxes:
            per_tax[t.tax.id] = per_tax.get(t.tax.id, 0.0) + t.amount
    for tax_id, amount in per_tax.items():
        amount = round_to(amount, rounding)
        if is_zero(amount, rounding):
            continue
        vals = {
            "name": env.raw("account.tax", tax_id, "name"),
            "account_id": tax_account(env, company),
            "partner_id": partner,
            "balance": sign * amount,
            "amount_currency": sign * amount,
            "currency_id": currency,
        }
        lid = existing_tax.pop(tax_id, None)
        if lid is not None:
            inner.write("account.move.line", [lid], vals)
        else:
            inner.create(
                "account.move.line",
                {**vals, "move_id": move_id, "display_type": "tax", "tax_line_id": tax_id},
            )
        total += sign * amount
    for lid in existing_tax.values():
        inner.unlink("account.move.line", [lid])
    if not ids:
        for lid in existing_term:
            inner.unlink("account.move.line", [lid])
        return
    kind = "receivable" if move["move_type"].startswith("out") else "payable"
    term_vals = {
        "name": move.get("payment_reference") or "",
        "account_id": partner_account(env, company, move.get("partner_id"), kind),
        "partner_id": partner,
        "balance": round_to(-total, rounding),
        "amount_currency": round_to(-total, rounding),
        "currency_id": currency,
        "date_maturity": move.get("invoice_date_due") or move.get("invoice_date") or move.get("date"),
    }
    if existing_term:
        inner.write("account.move.line", existing_term[:1], term_vals)
        for lid in existing_term[1:]:
            inner.unlink("account.move.line", [lid])
    else:
        inner.create("account.move.line", {**term_vals, "move_id": move_id, "display_type": "payment_term"})


def move_amounts(env: Env, move: dict[str, Any]) -> dict[str, float]:
    """``account.move._compute_amount`` from the journal items."""
    sign = direction_sign(move.get("move_type") or "entry")
    untaxed = tax = total = residual = 0.0
    is_invoice = move.get("move_type") in INVOICE_TYPES
    for lid in move_lines(env, move["id"]):
        line = {**env.rec("account.move.line", lid), "id": lid}
        balance = float(line.get("balance") or 0)
        dtype = line.get("display_type")
        if is_invoice:
            if dtype == "tax":
                tax += balance
                total += balance
            elif dtype in ("product", "rounding"):
                untaxed += balance
                total += balance
            elif dtype == "payment_term":
                residual += line_residual(env, line)
        elif balance > 0:
            total += balance
    rounding = currency_rounding(env, move.get("currency_id"))
    if not is_invoice:
        return {
            "amount_untaxed": 0.0,
            "amount_tax": 0.0,
            "amount_total": round_to(abs(total), rounding),
            "amount_residual": 0.0,
            "amount_untaxed_signed": 0.0,
            "amount_tax_signed": 0.0,
            "amount_total_signed": round_to(abs(total), rounding),
            "amount_residual_signed": 0.0,
            "amount_total_in_currency_signed": round_to(abs(total), rounding),
        }
    return {
        "amount_untaxed": round_to(sign * untaxed, rounding),
        "amount_tax": round_to(sign * tax, rounding),
        "amount_total": round_to(sign * total, rounding),
        "amount_residual": round_to(-sign * residual, rounding),
        "amount_untaxed_signed": round_to(-untaxed, rounding),
        "amount_tax_signed": round_to(-tax, rounding),
        "amount_total_signed": round_to(-total, rounding),
        "amount_residual_signed": round_to(residual, rounding),
        "amount_total_in_currency_signed": round_to(-total, rounding),
    }


def _counterparts(env: Env, move_id: int) -> list[dict[str, Any]]:
    """What the move's receivable/payable items are reconciled with (one entry per partial)."""
    out = []
    for lid in move_lines(env, move_id, ("payment_term",)):
        for pid in partials_of(env, lid):
            p = env.rec("account.partial.reconcile", pid)
            other = p["credit_move_id"] if p["debit_move_id"] == lid else p["debit_move_id"]
            if not env.exists("account.move.line", other):
                continue
            other_move = env.rec("account.move.line", other)["move_id"]
            if other_move != move_id:
                out.append(env.rec("account.move", other_move) | {"id": other_move})
    return out


def payment_state(env: Env, move: dict[str, Any]) -> str:
    if move.get("payment_state") == "invoicing_legacy":
        return "invoicing_legacy"
    if move.get("state") != "posted" or move.get("move_type") not in INVOICE_TYPES:
        return "not_paid"
    rounding = currency_rounding(env, move.get("currency_id"))
    residual = move_amounts(env, move)["amount_residual"]
    counterparts = _counterparts(env, move["id"])
    if is_zero(residual, rounding) and move_lines(env, move["id"], ("payment_term",)):
        payments = [c.get("origin_payment_id") for c in counterparts if c.get("origin_payment_id")]
        statements = [c for c in counterparts if c.get("statement_line_id")]
        if payments or statements:
            if all(
                env.raw("account.payment", p, "is_matched")
                for p in payments
                if env.exists("account.payment", p)
            ):
                return "paid"
            # Odoo's community hook answers "paid"; the Accounting app (enterprise) answers "in_payment"
            return "in_payment" if settings(env).get("accounting_app") else "paid"
        types = {c.get("move_type") for c in counterparts}
        mtype = move["move_type"]
        if (
            (mtype in ("out_invoice", "out_receipt") and types in ({"out_refund"}, {"out_refund", "entry"}))
            or (mtype in ("in_invoice", "in_receipt") and types in ({"in_refund"}, {"in_refund", "entry"}))
            or (mtype in ("out_refund", "in_refund") and types == {"entry"})
        ):
            return "reversed"
        return "paid"
    if counterparts:
        return "partial"
    return "not_paid"


def move_display(env: Env, rec: dict[str, Any]) -> str:
    """``account.move._get_move_display_name(show_ref=True)``."""
    name = ""
    if rec.get("state") == "draft":
        name += DRAFT_LABEL.get(rec.get("move_type") or "entry", "Draft Entry") + " "
    if not rec.get("name") or rec.get("name") == "/":
        name += f"(* {rec['id']})"
    else:
        name += str(rec["name"])
    ref = rec.get("ref")
    if ref:
        short = ref if len(ref) <= 50 else ref[:46] + " [...]"
        name += f" ({short})"
    return name


# -- posting --------------------------------------------------------------------------------------


def _journal_prefix(env: Env, move: dict[str, Any]) -> str:
    journal = env.db.tables["account.journal"].get(move.get("journal_id")) or {}
    code = journal.get("code") or "MISC"
    if move.get("move_type") in ("out_refund", "in_refund") and journal.get("refund_sequence"):
        return f"R{code}"
    if move.get("origin_payment_id") and journal.get("payment_sequence") and env.version >= 18:
        return f"P{code}"
    return str(code)


def post_moves(env: Env, ids: list[int]) -> None:
    for mid in ids:
        move = {**env.rec("account.move", mid), "id": mid}
        mtype = move.get("move_type") or "entry"
        if move.get("state") == "posted":
            raise UserError(f"The entry {move.get('name')} (id {mid}) is already posted.")
        if move.get("state") == "cancel":
            raise UserError("You cannot post a cancelled entry.")
        lines = move_lines(env, mid)
        if mtype in INVOICE_TYPES:
            if not move.get("partner_id"):
                label = "Customer" if mtype.startswith("out") else "Vendor"
                doc = {"out_invoice": "Customer Invoice", "out_refund": "Customer Credit Note"}.get(
                    mtype, "Vendor Bill"
                )
                raise UserError(f"The field '{label}' is required, please complete it to validate the {doc}.")
            if not move_lines(env, mid, ("product",)):
                raise UserError("You need to add a line before posting.")
            sync_invoice(env, mid)
            if move_amounts(env, move)["amount_total"] < 0 and mtype in ("out_invoice", "in_invoice"):
                raise UserError(
                    "You cannot validate an invoice with a negative total amount. You should create a credit "
                    "note instead. Use the action menu to transform it into a credit note or refund."
                )
        else:
            debit = sum(max(float(env.rec("account.move.line", lid).get("balance") or 0), 0) for lid in lines)
            credit = sum(
                max(-float(env.rec("account.move.line", lid).get("balance") or 0), 0) for lid in lines
            )
            if not lines or not is_zero(debit - credit):
                raise UserError(
                    "The move is not balanced.\nThe total of debits equals "
                    f"{debit:.2f} and the total of credits equals {credit:.2f}.\n"
                    "You might want to specify a default account on journal "
                    f'"{env.display_name("account.journal", move.get("journal_id"))}" '
                    "to automatically balance each move."
                )
        updates: dict[str, Any] = {"state": "posted", "posted_before": True}
        if mtype in INVOICE_TYPES and not move.get("invoice_date"):
            updates["invoice_date"] = today(env)
            updates["date"] = today(env)
        if mtype in INVOICE_TYPES and not move.get("invoice_date_due"):
            updates["invoice_date_due"] = updates.get("invoice_date") or move.get("invoice_date")
        if not move.get("name") or move.get("name") == "/":
            year = str(updates.get("date") or move.get("date") or today(env))[:4]
            prefix = _journal_prefix(env, move)
            n = env.next_sequence(f"account.move/{move.get('company_id')}/{prefix}/{year}")
            updates["name"] = f"{prefix}/{year}/{n:05d}"
            updates["sequence_prefix"] = f"{prefix}/{year}/"
            updates["sequence_number"] = n
        if mtype in ("out_invoice", "out_receipt") and not move.get("payment_reference"):
            updates["payment_reference"] = updates.get("name") or move.get("name")
        env.set("account.move", mid, **updates)
        for lid in move_lines(env, mid, ("payment_term",)):
            env.set(
                "account.move.line",
                lid,
                date_maturity=updates.get("invoice_date_due")
                or move.get("invoice_date_due")
                or updates.get("date")
                or move.get("date"),
                name=updates.get("payment_reference") or move.get("payment_reference") or "",
            )
        for lid in move_lines(env, mid):
            env.set("account.move.line", lid, date=updates.get("date") or move.get("date"))


def move_action_post(env: Env, ids: Any) -> bool:
    post_moves(env, records(env, "account.move", ids))
    return False  # account.move.action_post returns False (API-NOTES I, walk)


def move_button_draft(env: Env, ids: Any) -> bool:
    for mid in records(env, "account.move", ids):
        move = env.rec("account.move", mid)
        if move.get("state") not in ("posted", "cancel"):
            continue
        if move.get("origin_payment_id") or move.get("statement_line_id"):
            raise UserError(
                "You cannot reset to draft an entry of a payment or a bank statement line from here."
            )
        unreconcile(env, move_lines(env, mid))
        env.set("account.move", mid, state="draft")
        sync_invoice(env, mid)
    return True


def move_button_cancel(env: Env, ids: Any) -> bool:
    for mid in records(env, "account.move", ids):
        if env.rec("account.move", mid).get("state") != "draft":
            raise UserError("Only draft journal entries can be cancelled.")
        env.set("account.move", mid, state="cancel")
    return True


def js_assign_outstanding_line(env: Env, ids: Any, line_id: int) -> bool:
    """Use an outstanding credit (a posted credit note or payment) on the invoice."""
    mid = records(env, "account.move", ids)[0]
    if not env.exists("account.move.line", line_id):
        raise UserError("Record does not exist or has been deleted.")
    account = env.rec("account.move.line", line_id).get("account_id")
    mine = [
        lid
        for lid in move_lines(env, mid)
        if env.rec("account.move.line", lid).get("account_id") == account
        and not is_zero(line_residual(env, {**env.rec("account.move.line", lid), "id": lid}))
    ]
    return reconcile_lines(env, [line_id, *mine])


def _move_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    move = env.rec("account.move", rid)
    if env.version >= 19 and move.get("name") == "/" and move.get("state") == "draft":
        env.set("account.move", rid, name=False)  # the walk reads name False on a draft invoice (19)
    sync_invoice(env, rid)


def _move_write(env: Env, ids: list[int], vals: dict[str, Any]) -> None:
    protected = {"invoice_line_ids", "line_ids", "partner_id", "journal_id", "currency_id", "company_id"}
    for mid in ids:
        move = env.rec("account.move", mid)
        if move.get("state") == "posted" and protected & set(vals) and not env.context.get("_account_sync"):
            raise UserError("You cannot modify a posted journal entry: reset it to draft first.")
        sync_invoice(env, mid)


def _aml_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    rec = env.rec("account.move.line", rid)
    move = env.db.tables["account.move"].get(rec.get("move_id")) or {}
    if move.get("state") == "posted" and not env.context.get("_account_sync"):
        raise UserError("You cannot modify a posted journal entry: reset it to draft first.")
    updates: dict[str, Any] = {}
    pid = rec.get("product_id")
    is_invoice = move.get("move_type") in INVOICE_TYPES
    if "debit" in vals or "credit" in vals:
        updates["balance"] = float(vals.get("debit") or 0) - float(vals.get("credit") or 0)
        updates["amount_currency"] = updates["balance"]
    if (
        is_invoice
        and rec.get("display_type") in (False, None, "product")
        and not env.context.get("_account_sync")
    ):
        updates["display_type"] = rec.get("display_type") or "product"
        if pid and not rec.get("name") and "name" not in vals:
            updates["name"] = env.display_name("product.product", pid)
        if pid and "price_unit" not in vals:
            updates["price_unit"] = float(env.raw("product.product", pid, "lst_price") or 0.0)
        if pid and "tax_ids" not in vals:
            company = move.get("company_id") or env.company()
            updates["tax_ids"] = [
                t
                for t in env.raw("product.product", pid, "taxes_id")
                if env.raw("account.tax", t, "company_id") == company
            ]
        if pid and not rec.get("product_uom_id"):
            updates["product_uom_id"] = env.raw("product.product", pid, "uom_id")
        if "quantity" not in vals:
            updates["quantity"] = 1.0
    if not rec.get("currency_id"):
        updates["currency_id"] = move.get("currency_id") or env.raw(
            "res.company", env.company(), "currency_id"
        )
    if not rec.get("partner_id") and move.get("partner_id") and not env.context.get("_account_sync"):
        updates["partner_id"] = env.raw("res.partner", move["partner_id"], "commercial_partner_id")
    if not rec.get("date"):
        updates["date"] = move.get("date")
    if updates:
        env.set("account.move.line", rid, **updates)
    if not env.context.get("_account_sync") and rec.get("move_id"):
        sync_invoice(env, rec["move_id"])


def _aml_write(env: Env, ids: list[int], vals: dict[str, Any]) -> None:
    if "debit" in vals or "credit" in vals:
        for lid in ids:
            line = env.rec("account.move.line", lid)
            debit = float(vals["debit"]) if "debit" in vals else max(float(line.get("balance") or 0), 0)
            credit = float(vals["credit"]) if "credit" in vals else max(-float(line.get("balance") or 0), 0)
            env.set("account.move.line", lid, balance=debit - credit, amount_currency=debit - credit)
    if env.context.get("_account_sync"):
        return
    moves = {env.rec("account.move.line", lid).get("move_id") for lid in ids}
    for mid in moves:
        if (
            mid
            and env.rec("account.move", mid).get("state") == "posted"
            and set(vals)
            & {
                "debit",
                "credit",
                "balance",
                "account_id",
                "price_unit",
                "quantity",
                "tax_ids",
            }
        ):
            raise UserError("You cannot modify a posted journal entry: reset it to draft first.")
        if mid:
            sync_invoice(env, mid)


def _aml_after_unlink(env: Env, removed: list[dict[str, Any]]) -> None:
    if env.context.get("_account_sync"):
        return
    for mid in {r.get("move_id") for r in removed}:
        if mid:
            sync_invoice(env, mid)


def _aml_before_unlink(env: Env, ids: list[int]) -> None:
    if env.context.get("_account_sync"):
        return
    for lid in ids:
        mid = env.rec("account.move.line", lid).get("move_id")
        if mid and env.raw("account.move", mid, "state") == "posted":
            raise UserError("You cannot delete an item linked to a posted entry.")


# -- payments ------------------------------------------------------------------------------------


def memo_field(version: int) -> str:
    return "memo" if version >= 18 else "ref"


def _payment_lines(env: Env, pay: dict[str, Any]) -> tuple[list[int], list[int]]:
    """(liquidity lines, counterpart lines) of the payment's journal entry."""
    move = pay.get("move_id")
    if not move or not env.exists("account.move", move):
        return [], []
    outstanding = outstanding_account(env, pay)
    liquidity, counterpart = [], []
    for lid in move_lines(env, move):
        if env.rec("account.move.line", lid).get("account_id") == outstanding:
            liquidity.append(lid)
        else:
            counterpart.append(lid)
    return liquidity, counterpart


def outstanding_account(env: Env, pay: dict[str, Any]) -> int | bool:
    line = pay.get("payment_method_line_id")
    if line and env.exists("account.payment.method.line", line):
        acc = env.rec("account.payment.method.line", line).get("payment_account_id")
        if acc:
            return int(acc)
    journal = env.db.tables["account.journal"].get(pay.get("journal_id")) or {}
    return journal.get("default_account_id") or False


def payment_is_matched(env: Env, pay: dict[str, Any]) -> bool:
    liquidity, _ = _payment_lines(env, pay)
    if not liquidity:
        return False
    lines = [{**env.rec("account.move.line", lid), "id": lid} for lid in liquidity]
    if any(not env.exists("account.account", line.get("account_id")) for line in lines):
        return False
    reconciled = [bool(partials_of(env, line["id"])) for line in lines]
    return all(reconciled) and all(is_zero(line_residual(env, line)) for line in lines)


def payment_is_reconciled(env: Env, pay: dict[str, Any]) -> bool:
    _, counterpart = _payment_lines(env, pay)
    lines = [
        {**env.rec("account.move.line", lid), "id": lid}
        for lid in counterpart
        if is_reconcilable(env, env.rec("account.move.line", lid).get("account_id"))
    ]
    return bool(lines) and all(is_zero(line_residual(env, line)) for line in lines)


def refresh_payment_state(env: Env, pay_id: int) -> None:
    pay = {**env.rec("account.payment", pay_id), "id": pay_id}
    if env.version < 18 or pay.get("state") not in ("in_process", "paid"):
        return
    outstanding = outstanding_account(env, pay)
    direct = bool(outstanding) and env.raw("account.account", outstanding, "account_type") == "asset_cash"
    state = "paid" if direct or payment_is_matched(env, pay) else "in_process"
    if pay.get("state") != state:
        env.set("account.payment", pay_id, state=state)


def payment_action_post(env: Env, ids: Any) -> bool:
    for pid in records(env, "account.payment", ids):
        pay = {**env.rec("account.payment", pid), "id": pid}
        if pay.get("state") != "draft":
            raise UserError("Only a draft payment can be posted.")
        if not pay.get("partner_id") and pay.get("partner_type"):
            pass  # Odoo allows payments without partner
        company = pay.get("company_id") or env.company()
        outstanding = outstanding_account(env, pay)
        if not outstanding:
            raise UserError(
                "You can't create a new payment without an outstanding payments/receipts account set "
                "either on "
                "the company or the payment method."
            )
        destination = pay.get("destination_account_id") or partner_account(
            env,
            company,
            pay.get("partner_id"),
            "receivable" if pay.get("partner_type") == "customer" else "payable",
        )
        amount = float(pay.get("amount") or 0.0)
        sign = 1 if pay.get("payment_type") == "inbound" else -1
        memo = pay.get(memo_field(env.version)) or False
        partner = (
            env.raw("res.partner", pay["partner_id"], "commercial_partner_id")
            if pay.get("partner_id")
            else False
        )
        inner = env.sudo().with_context(_account_sync=True)
        move = inner.create(
            "account.move",
            {
                "move_type": "entry",
                "journal_id": pay["journal_id"],
                "date": pay.get("date") or today(env),
                "ref": memo,
                "partner_id": partner,
                "company_id": company,
                "currency_id": pay.get("currency_id") or env.raw("res.company", company, "currency_id"),
                "origin_payment_id": pid,
            },
        )
        label = memo or ""
        lines = [(outstanding, sign * amount), (destination, -sign * amount)]
        writeoff = env.context.get("_payment_writeoff")
        if writeoff:
            account, wo_amount = writeoff
            lines[1] = (destination, -sign * (amount + wo_amount))
            lines.append((account, sign * wo_amount))
        for account, balance in lines:
            inner.create(
                "account.move.line",
                {
                    "move_id": move,
                    "account_id": account,
                    "partner_id": partner,
                    "name": label,
                    "balance": balance,
                    "amount_currency": balance,
                    "display_type": "product",
                    "currency_id": pay.get("currency_id") or env.raw("res.company", company, "currency_id"),
                },
            )
        post_moves(inner, [move])
        state = "posted" if env.version < 18 else "in_process"
        env.set(
            "account.payment",
            pid,
            move_id=move,
            state=state,
            name=env.rec("account.move", move).get("name"),
            destination_account_id=destination,
            outstanding_account_id=outstanding,
        )
        refresh_payment_state(env, pid)
    return True


def payment_action_cancel(env: Env, ids: Any) -> bool:
    for pid in records(env, "account.payment", ids):
        pay = env.rec("account.payment", pid)
        if pay.get("move_id"):
            unreconcile(env, move_lines(env, pay["move_id"]))
            env.set("account.move", pay["move_id"], state="cancel")
        env.set("account.payment", pid, state="canceled" if env.version >= 18 else "cancel")
    return True


def payment_action_draft(env: Env, ids: Any) -> bool:
    for pid in records(env, "account.payment", ids):
        pay = env.rec("account.payment", pid)
        if pay.get("move_id"):
            unreconcile(env, move_lines(env, pay["move_id"]))
            env.set("account.move", pay["move_id"], state="draft")
        env.set("account.payment", pid, state="draft")
    return True


def payment_reconciled_invoices(env: Env, pay: dict[str, Any]) -> list[int]:
    out: set[int] = set()
    _, counterpart = _payment_lines(env, pay)
    for lid in counterpart:
        for pid in partials_of(env, lid):
            p = env.rec("account.partial.reconcile", pid)
            other = p["credit_move_id"] if p["debit_move_id"] == lid else p["debit_move_id"]
            if env.exists("account.move.line", other):
                mid = env.rec("account.move.line", other)["move_id"]
                if env.raw("account.move", mid, "move_type") in INVOICE_TYPES:
                    out.add(mid)
    return sorted(out)


# -- account.payment.register ------------------------------------------------------------------


def _register_lines(env: Env) -> list[int]:
    moves = active_ids(env, "account.move")
    if moves:
        for mid in moves:
            if env.raw("account.move", mid, "state") != "posted":
                raise UserError("You can only register payment for posted journal entries.")
        lines = [lid for mid in moves for lid in move_lines(env, mid, ("payment_term",))]
    else:
        lines = active_ids(env, "account.move.line")
        for lid in lines:
            if env.raw("account.move", env.rec("account.move.line", lid)["move_id"], "state") != "posted":
                raise UserError("You can only register payment for posted journal entries.")
    open_lines = [
        lid
        for lid in lines
        if not is_zero(line_residual(env, {**env.rec("account.move.line", lid), "id": lid}))
    ]
    if (moves or lines) and not open_lines:
        raise UserError(
            "You can't register a payment because there is nothing left to pay on the selected journal items."
        )
    return open_lines


def _default_journal(env: Env, company: Any) -> int | None:
    found = env.search(
        "account.journal",
        [("type", "in", ["bank", "cash"]), ("company_id", "=", company)],
        limit=1,
        check=False,
    )
    return found[0] if found else None


def _register_default(fname: str) -> Any:
    def default(env: Env, vals: dict[str, Any]) -> Any:
        lines = vals.get("line_ids")
        if isinstance(lines, list) and lines and isinstance(lines[0], (list, tuple)):
            lines = list(lines[0][2])
        if not lines:
            lines = _register_lines(env)
        if not lines:
            return None
        first = env.rec("account.move.line", lines[0])
        move = env.rec("account.move", first["move_id"])
        company = move.get("company_id") or env.company()
        residual = sum(line_residual(env, {**env.rec("account.move.line", lid), "id": lid}) for lid in lines)
        if fname == "line_ids":
            return lines
        if fname == "amount":
            return abs(residual)
        if fname == "payment_type":
            return "inbound" if residual > 0 else "outbound"
        if fname == "partner_type":
            return "customer" if move.get("move_type", "").startswith("out") else "supplier"
        if fname == "partner_id":
            return (
                env.raw("res.partner", move.get("partner_id"), "commercial_partner_id")
                if move.get("partner_id")
                else False
            )
        if fname == "currency_id":
            # Odoo's _compute_currency_id: the journal's own currency, else the invoice's (source currency).
            journal = vals.get("journal_id") or _default_journal(env, company)
            own = env.raw("account.journal", journal, "currency_id") if journal else False
            return own or move.get("currency_id")
        if fname == "company_id":
            return company
        if fname == "journal_id":
            return _default_journal(env, company)
        if fname == "communication":
            if len({env.rec("account.move.line", lid)["move_id"] for lid in lines}) != 1:
                return None
            return move.get("payment_reference") or move.get("ref") or move.get("name") or None
        return None

    return default


def _method_line(env: Env, journal_id: Any, payment_type: str) -> int | None:
    fname = (
        "inbound_payment_method_line_ids" if payment_type == "inbound" else "outbound_payment_method_line_ids"
    )
    lines = env.raw("account.journal", journal_id, fname) if journal_id else []
    return lines[0] if lines else None


def _journal_method_lines(env: Env, journal: dict[str, Any], payment_type: str) -> list[int]:
    out = []
    for lid, line in env.db.tables["account.payment.method.line"].items():
        if line.get("journal_id") != journal["id"]:
            continue
        method_ = line.get("payment_method_id")
        if method_ and env.raw("account.payment.method", method_, "payment_type") == payment_type:
            out.append(lid)
    return sorted(
        out, key=lambda lid: (env.rec("account.payment.method.line", lid).get("sequence") or 0, lid)
    )


def create_payments(env: Env, ids: Any) -> dict[str, Any]:
    payments = []
    for wid in records(env, "account.payment.register", ids):
        wiz = {**env.rec("account.payment.register", wid), "id": wid}
        lines = list(wiz.get("line_ids") or [])
        if not lines:
            raise UserError(
                "You can't register a payment because there is nothing left to pay on the selected "
                "journal items."
            )
        groups: dict[Any, list[int]] = {}
        for lid in lines:
            line = env.rec("account.move.line", lid)
            key = "all" if wiz.get("group_payment") else line["move_id"]
            groups.setdefault(key, []).append(lid)
        total_residual = sum(
            abs(line_residual(env, {**env.rec("account.move.line", ml), "id": ml})) for ml in lines
        )
        for group_lines in groups.values():
            residual = sum(
                line_residual(env, {**env.rec("account.move.line", ml), "id": ml}) for ml in group_lines
            )
            share = abs(residual) if len(groups) > 1 else float(wiz.get("amount") or 0)
            first = env.rec("account.move.line", group_lines[0])
            move = env.rec("account.move", first["move_id"])
            currency = wiz.get("currency_id") or move.get("currency_id")
            if move.get("currency_id") and currency != move.get("currency_id"):
                # Real Odoo converts the amount at the day's rate; the sandbox keeps no rates and books
                # journal items in the document's currency, so it refuses rather than pay a wrong amount.
                raise UserError(
                    f"Sandbox: a payment in {env.display_name('res.currency', currency)} of an invoice in "
                    f"{env.display_name('res.currency', move.get('currency_id'))} needs exchange rates, "
                    "which the sandbox does not model."
                )
            payment_type = wiz.get("payment_type") or ("inbound" if residual > 0 else "outbound")
            vals: dict[str, Any] = {
                "date": wiz.get("payment_date") or today(env),
                "amount": share,
                "payment_type": payment_type,
                "partner_type": wiz.get("partner_type") or ("customer" if residual > 0 else "supplier"),
                "journal_id": wiz.get("journal_id"),
                "currency_id": currency,
                "partner_id": wiz.get("partner_id") or False,
                "company_id": move.get("company_id") or env.company(),
                "destination_account_id": first.get("account_id"),
                memo_field(env.version): wiz.get("communication")
                or move.get("payment_reference")
                or move.get("name")
                or False,
            }
            method_line = wiz.get("payment_method_line_id") or _method_line(
                env, wiz.get("journal_id"), payment_type
            )
            if method_line:
                vals["payment_method_line_id"] = method_line
            pay = env.sudo().create("account.payment", vals)
            writeoff = None
            difference = round_to(abs(residual) - share)
            if difference > 0 and wiz.get("payment_difference_handling") == "reconcile" and len(groups) == 1:
                if not wiz.get("writeoff_account_id"):
                    raise UserError("Please define a write-off account to mark the invoice as fully paid.")
                writeoff = (
                    wiz["writeoff_account_id"],
                    difference if payment_type == "inbound" else -difference,
                )
            payment_action_post(env.with_context(_payment_writeoff=writeoff) if writeoff else env, [pay])
            _, counterpart = _payment_lines(env, {**env.rec("account.payment", pay), "id": pay})
            counter = [
                ml
                for ml in counterpart
                if env.rec("account.move.line", ml).get("account_id") == first.get("account_id")
            ]
            reconcile_lines(env, counter + group_lines)
            invoices = sorted({env.rec("account.move.line", ml)["move_id"] for ml in group_lines})
            env.set("account.payment", pay, invoice_ids=invoices)
            if "matched_payment_ids" in env.model("account.move").fields:
                for inv in invoices:
                    current = env.rec("account.move", inv).get("matched_payment_ids") or []
                    env.set("account.move", inv, matched_payment_ids=sorted({*current, pay}))
            refresh_payment_state(env, pay)
            payments.append(pay)
        _ = total_residual
    if len(payments) == 1:
        return {
            "name": "Payments",
            "type": "ir.actions.act_window",
            "res_model": "account.payment",
            "context": {"create": False},
            "view_mode": "form",
            "res_id": payments[0],
        }
    return {
        "name": "Payments",
        "type": "ir.actions.act_window",
        "res_model": "account.payment",
        "context": {"create": False},
        "view_mode": "list,form",
        "domain": [("id", "in", payments)],
    }


# -- credit notes: account.move.reversal -----------------------------------------------------------


def _reverse_one(env: Env, wiz: dict[str, Any], mid: int, post: bool) -> int:
    move = {**env.rec("account.move", mid), "id": mid}
    if move.get("state") != "posted":
        raise UserError("You can only reverse posted moves.")
    reason = wiz.get("reason")
    ref = f"Reversal of: {move.get('name')}, {reason}" if reason else f"Reversal of: {move.get('name')}"
    mtype = REVERSE_TYPE[move.get("move_type") or "entry"]
    date = wiz.get("date") or today(env)
    inner = env.sudo()
    vals: dict[str, Any] = {
        "move_type": mtype,
        "partner_id": move.get("partner_id") or False,
        "journal_id": wiz.get("journal_id") or move.get("journal_id"),
        "date": date,
        "ref": ref,
        "reversed_entry_id": mid,
        "invoice_origin": move.get("invoice_origin") or False,
        "currency_id": move.get("currency_id"),
        "company_id": move.get("company_id"),
        "partner_shipping_id": move.get("partner_shipping_id") or False,
        "invoice_user_id": move.get("invoice_user_id") or False,
    }
    if move.get("move_type") in INVOICE_TYPES:
        vals["invoice_date"] = date
        lines = []
        for lid in move_lines(env, mid):
            line = env.rec("account.move.line", lid)
            if line.get("display_type") not in ("product", "line_section", "line_note"):
                continue
            lines.append(
                (
                    0,
                    0,
                    {
                        k: v
                        for k, v in {
                            "display_type": line.get("display_type"),
                            "product_id": line.get("product_id") or False,
                            "name": line.get("name") or "",
                            "quantity": line.get("quantity") or 0.0,
                            "price_unit": line.get("price_unit") or 0.0,
                            "discount": line.get("discount") or 0.0,
                            "tax_ids": [(6, 0, list(line.get("tax_ids") or []))],
                            "product_uom_id": line.get("product_uom_id") or False,
                            "account_id": line.get("account_id") or False,
                            "sale_line_ids": [(6, 0, list(line.get("sale_line_ids") or []))],
                        }.items()
                    },
                )
            )
        vals["invoice_line_ids"] = lines
        new = inner.create("account.move", vals)
    else:
        new = inner.create("account.move", vals)
        for lid in move_lines(env, mid):
            line = env.rec("account.move.line", lid)
            inner.with_context(_account_sync=True).create(
                "account.move.line",
                {
                    "move_id": new,
                    "account_id": line.get("account_id"),
                    "partner_id": line.get("partner_id") or False,
                    "name": line.get("name") or "",
                    "balance": -float(line.get("balance") or 0),
                    "amount_currency": -float(line.get("amount_currency") or 0),
                    "display_type": line.get("display_type") or "product",
                    "currency_id": line.get("currency_id"),
                },
            )
    if post:
        post_moves(env, [new])
        account_lines: dict[Any, list[int]] = {}
        for lid in move_lines(env, mid) + move_lines(env, new):
            line = env.rec("account.move.line", lid)
            if is_reconcilable(env, line.get("account_id")) and not is_zero(
                line_residual(env, {**line, "id": lid})
            ):
                account_lines.setdefault(line["account_id"], []).append(lid)
        for ids in account_lines.values():
            reconcile_lines(env, ids)
    return new


def reverse_moves(env: Env, ids: Any, is_modify: bool = False) -> dict[str, Any]:
    wid = records(env, "account.move.reversal", ids)[0]
    wiz = {**env.rec("account.move.reversal", wid), "id": wid}
    moves = list(wiz.get("move_ids") or [])
    if not moves:
        raise UserError("You can only reverse posted moves.")
    new_moves = []
    copies = []
    for mid in moves:
        cancel = is_modify or env.raw("account.move", mid, "move_type") == "entry"
        new_moves.append(_reverse_one(env, wiz, mid, post=cancel))
        if is_modify:
            copies.append(
                env.model("account.move")
                .methods["copy"]
                .func(
                    env.sudo(),
                    [mid],
                    {"date": wiz.get("date") or today(env), "invoice_date": wiz.get("date") or today(env)},
                )[0]
            )
    env.set("account.move.reversal", wid, new_move_ids=new_moves)
    targets = copies if is_modify else new_moves
    if len(targets) == 1:
        mtype = env.raw("account.move", targets[0], "move_type")
        return {
            "name": "Reverse Moves",
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "view_mode": "form",
            "res_id": targets[0],
            "context": {"default_move_type": mtype},
        }
    return {
        "name": "Reverse Moves",
        "type": "ir.actions.act_window",
        "res_model": "account.move",
        "view_mode": "list,form",
        "domain": [("id", "in", targets)],
    }


# -- bank statement lines --------------------------------------------------------------------------


def _statement_line_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    """The statement line's journal entry: the bank account against the suspense account, posted."""
    line = env.rec("account.bank.statement.line", rid)
    journal = {**env.rec("account.journal", line["journal_id"]), "id": line["journal_id"]}
    company = journal.get("company_id") or env.company()
    liquidity = journal.get("default_account_id")
    suspense = journal.get("suspense_account_id") or env.raw(
        "res.company", company, "account_journal_suspense_account_id"
    )
    if not liquidity or not suspense:
        raise UserError(
            "You can't create a new statement line without a suspense account set on the "
            f"{journal.get('name')} journal."
        )
    amount = float(line.get("amount") or 0)
    inner = env.sudo().with_context(_account_sync=True)
    move = line["move_id"]
    currency = journal.get("currency_id") or env.raw("res.company", company, "currency_id")
    inner.write(
        "account.move",
        [move],
        {
            "journal_id": journal["id"],
            "company_id": company,
            "currency_id": currency,
            "partner_id": line.get("partner_id") or False,
            "statement_line_id": rid,
            "ref": line.get("payment_ref") or False,
        },
    )
    partner = line.get("partner_id") or False
    for account, balance in ((liquidity, amount), (suspense, -amount)):
        inner.create(
            "account.move.line",
            {
                "move_id": move,
                "account_id": account,
                "partner_id": partner,
                "name": line.get("payment_ref") or "",
                "balance": balance,
                "amount_currency": balance,
                "display_type": "product",
                "currency_id": currency,
            },
        )
    env.set(
        "account.bank.statement.line",
        rid,
        company_id=company,
        internal_index=f"{line.get('date') or ''}{rid:010d}",
    )
    post_moves(inner, [move])


def statement_parts(env: Env, st_id: int) -> tuple[list[int], list[int], list[int]]:
    """(liquidity, suspense, other) journal items of a statement line."""
    st = env.rec("account.bank.statement.line", st_id)
    journal = env.rec("account.journal", st["journal_id"])
    company = journal.get("company_id")
    suspense = journal.get("suspense_account_id") or env.raw(
        "res.company", company, "account_journal_suspense_account_id"
    )
    liquidity, susp, other = [], [], []
    for lid in move_lines(env, st["move_id"]):
        acc = env.rec("account.move.line", lid).get("account_id")
        if acc == journal.get("default_account_id"):
            liquidity.append(lid)
        elif acc == suspense:
            susp.append(lid)
        else:
            other.append(lid)
    return liquidity, susp, other


def statement_is_reconciled(env: Env, st: dict[str, Any]) -> bool:
    _liq, susp, other = statement_parts(env, st["id"])
    if any(not is_zero(float(env.rec("account.move.line", ml).get("balance") or 0)) for ml in susp):
        return False
    return all(
        is_zero(line_residual(env, {**env.rec("account.move.line", ml), "id": ml}))
        for ml in other
        if is_reconcilable(env, env.rec("account.move.line", ml).get("account_id"))
    )


def statement_reconcile(env: Env, st_id: int, line_ids: list[int]) -> dict[str, Any]:
    """What the bank reconciliation widget does when the user validates a match (sandbox control API).

    The suspense item is replaced by counterpart items on the matched items' accounts, each reconciled with
    its match; what is left unmatched stays on the suspense account.
    """
    if not env.exists("account.bank.statement.line", st_id):
        raise ValueError(f"statement line {st_id} not found")
    st = env.rec("account.bank.statement.line", st_id)
    _liq, susp, _other = statement_parts(env, st_id)
    if not susp:
        raise UserError("This statement line is already reconciled.")
    inner = env.sudo().with_context(_account_sync=True)
    remaining = -sum(
        float(env.rec("account.move.line", ml).get("balance") or 0) for ml in susp
    )  # bank amount
    suspense_account = env.rec("account.move.line", susp[0])["account_id"]
    currency = env.rec("account.move.line", susp[0]).get("currency_id")
    for ml in susp:
        inner.unlink("account.move.line", [ml])
    pairs = []
    for target in line_ids:
        if not env.exists("account.move.line", target):
            raise ValueError(f"journal item {target} not found")
        t = {**env.rec("account.move.line", target), "id": target}
        residual = line_residual(env, t)
        if is_zero(residual) or is_zero(remaining):
            continue
        # the counterpart takes the target's residual, at most what the bank line still has
        take = -(1 if residual > 0 else -1) * min(abs(residual), abs(remaining))
        counter = inner.create(
            "account.move.line",
            {
                "move_id": st["move_id"],
                "account_id": t["account_id"],
                "partner_id": t.get("partner_id") or st.get("partner_id") or False,
                "name": st.get("payment_ref") or "",
                "balance": take,
                "amount_currency": take,
                "display_type": "product",
                "currency_id": currency,
            },
        )
        remaining += take
        pairs.append((counter, target))
    if not is_zero(remaining):
        inner.create(
            "account.move.line",
            {
                "move_id": st["move_id"],
                "account_id": suspense_account,
                "partner_id": st.get("partner_id") or False,
                "name": st.get("payment_ref") or "",
                "balance": -remaining,
                "amount_currency": -remaining,
                "display_type": "product",
                "currency_id": currency,
            },
        )
    for counter, target in pairs:
        reconcile_lines(env, [counter, target])
    return {
        "statement_line_id": st_id,
        "is_reconciled": statement_is_reconciled(
            env, {**env.rec("account.bank.statement.line", st_id), "id": st_id}
        ),
        "matched": [target for _c, target in pairs],
    }


# -- setup --------------------------------------------------------------------------------------


def _tax_name_unique(env: Env, ids: list[int]) -> None:
    table = env.db.tables["account.tax"]
    for rid in ids:
        t = table[rid]
        if t.get("type_tax_use") == "none":
            continue
        for oid, other in table.items():
            if oid == rid:
                continue
            same = all(
                other.get(k) == t.get(k)
                for k in ("company_id", "name", "type_tax_use", "tax_scope", "country_id")
            )
            if same:
                company = env.display_name("res.company", t.get("company_id"))
                raise ValidationError(f"Tax names must be unique!\n- {t.get('name')} in {company}")


def _journal_liquidity_account(env: Env, rid: int, journal: dict[str, Any]) -> None:
    """A bank or cash journal created without a default account gets its own liquidity account (type
    asset_cash, named as the journal, the next free code under the company's bank or cash prefix) and the
    company's suspense account, as Odoo's account.journal create does (_prepare_liquidity_account_vals)."""
    company = journal.get("company_id") or env.company()
    field = "bank_account_code_prefix" if journal["type"] == "bank" else "cash_account_code_prefix"
    prefix = env.raw("res.company", company, field) or ("1014" if journal["type"] == "bank" else "1015")
    used = {
        env.raw("account.account", aid, "code")
        for aid, acc in env.db.tables["account.account"].items()
        if company in (acc.get("company_ids") or [company])
    }
    n = 1
    while f"{prefix}{n:02d}" in used:
        n += 1
    account = env.sudo().create(
        "account.account",
        {
            "code": f"{prefix}{n:02d}",
            "name": journal.get("name"),
            "account_type": "asset_cash",
            "currency_id": journal.get("currency_id") or False,
            "company_ids": [company],
        },
    )
    vals: dict[str, Any] = {"default_account_id": account}
    if not journal.get("suspense_account_id"):
        vals["suspense_account_id"] = env.raw("res.company", company, "account_journal_suspense_account_id")
    env.set("account.journal", rid, **vals)


def _journal_create(env: Env, rid: int, vals: dict[str, Any]) -> None:
    """Bank and cash journals get their manual payment method lines, as in Odoo."""
    journal = {**env.rec("account.journal", rid), "id": rid}
    if journal.get("type") not in ("bank", "cash", "credit"):
        return
    if journal.get("type") in ("bank", "cash") and not journal.get("default_account_id"):
        _journal_liquidity_account(env, rid, journal)
    for payment_type in ("inbound", "outbound"):
        if _journal_method_lines(env, journal, payment_type):
            continue
        methods = env.search(
            "account.payment.method",
            [("code", "=", "manual"), ("payment_type", "=", payment_type)],
            limit=1,
            check=False,
        )
        if methods:
            env.sudo().create(
                "account.payment.method.line",
                {
                    "journal_id": rid,
                    "payment_method_id": methods[0],
                    "name": "Manual Payment",
                    "sequence": 10,
                },
            )


def setup(reg: Registry, version: int) -> None:
    # -- accounts, taxes, journals --------------------------------------------------------------
    set_defaults(
        reg,
        "account.account",
        {
            "active": True,
            "company_ids": lambda env, vals: [env.company()],
            "reconcile": lambda env, vals: (
                vals.get("account_type") in ("asset_receivable", "liability_payable")
            ),
        },
    )
    code = compute(reg, "account.account", "code", lambda env, r: r.get("code_store") or False)

    def set_code(env: Env, ids: list[int], value: Any) -> None:
        for rid in ids:
            env.set("account.account", rid, code_store=value)

    code.inverse = set_code
    reg["account.account"].display_name = lambda env, r: (
        f"{r.get('code_store') or ''} {r.get('name') or ''}".strip()
    )
    reg["account.account"].order = "code_store, id" if "code_store" in reg["account.account"].fields else "id"

    set_defaults(
        reg,
        "account.tax",
        {
            "active": True,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "sequence": 1,
            "company_id": env_company,
            "include_base_amount": False,
            "is_base_affected": True,
            "tax_exigibility": "on_invoice",
            "country_id": lambda env, vals: (
                env.raw("res.company", vals.get("company_id") or env.company(), "account_fiscal_country_id")
                or env.raw("res.company", vals.get("company_id") or env.company(), "country_id")
                or None
            ),
            "tax_group_id": lambda env, vals: (
                env.search(
                    "account.tax.group",
                    [("company_id", "=", vals.get("company_id") or env.company())],
                    limit=1,
                    check=False,
                )
                or [None]
            )[0],
        },
    )
    if version >= 18:

        def price_include(env: Env, r: dict[str, Any]) -> bool:
            # README: computed from price_include_override (false: the company default); a write is ignored
            override = r.get("price_include_override")
            if override:
                return bool(override == "tax_included")
            return env.raw("res.company", r.get("company_id"), "account_price_include") == "tax_included"

        compute(reg, "account.tax", "price_include", price_include)
        compute(
            reg,
            "account.tax",
            "company_price_include",
            lambda env, r: env.raw("res.company", r.get("company_id"), "account_price_include"),
        )
    compute(
        reg,
        "account.tax",
        "country_code",
        lambda env, r: env.raw("res.country", r.get("country_id"), "code") if r.get("country_id") else False,
    )
    reg["account.tax"].constrain(
        {"name", "type_tax_use", "company_id", "tax_scope", "country_id"}, _tax_name_unique
    )
    set_defaults(reg, "account.tax.group", {"sequence": 10, "company_id": env_company})

    set_defaults(
        reg,
        "account.journal",
        {
            "active": True,
            "sequence": 10,
            "company_id": env_company,
            "invoice_reference_type": "invoice",
            "invoice_reference_model": "odoo",
            "refund_sequence": lambda env, vals: vals.get("type") in ("sale", "purchase"),
            "payment_sequence": lambda env, vals: vals.get("type") in ("bank", "cash", "credit"),
        },
    )
    on_create(reg, "account.journal", _journal_create)
    compute(
        reg,
        "account.journal",
        "inbound_payment_method_line_ids",
        lambda env, r: _journal_method_lines(env, r, "inbound"),
    )
    compute(
        reg,
        "account.journal",
        "outbound_payment_method_line_ids",
        lambda env, r: _journal_method_lines(env, r, "outbound"),
    )
    set_defaults(reg, "account.payment.method.line", {"sequence": 10})
    if "payment_type" in reg["account.payment.method.line"].fields:
        compute(
            reg,
            "account.payment.method.line",
            "payment_type",
            lambda env, r: env.raw("account.payment.method", r.get("payment_method_id"), "payment_type"),
        )
    reg["account.payment.method.line"].display_name = lambda env, r: (
        r.get("name") or env.raw("account.payment.method", r.get("payment_method_id"), "name")
    )

    # -- journal entries ------------------------------------------------------------------------
    def default_journal(env: Env, vals: dict[str, Any]) -> Any:
        mtype = str(vals.get("move_type") or env.context.get("default_move_type") or "entry")
        company = vals.get("company_id") or env.company()
        jtype = "sale" if mtype.startswith("out") else "purchase" if mtype.startswith("in") else "general"
        found = env.search(
            "account.journal", [("type", "=", jtype), ("company_id", "=", company)], limit=1, check=False
        )
        return found[0] if found else None

    set_defaults(
        reg,
        "account.move",
        {
            "state": "draft",
            "move_type": "entry",
            "name": "/",
            "auto_post": "no",
            "date": today,
            "payment_state": "not_paid",
            "journal_id": default_journal,
            "company_id": lambda env, vals: (
                env.raw("account.journal", vals.get("journal_id"), "company_id")
                if vals.get("journal_id")
                else env.company()
            ),
            "currency_id": lambda env, vals: (
                (
                    env.raw("account.journal", vals.get("journal_id"), "currency_id")
                    if vals.get("journal_id")
                    else False
                )
                or env.raw("res.company", vals.get("company_id") or env.company(), "currency_id")
            ),
            "posted_before": False,
        },
    )
    move = reg["account.move"]
    move.display_name = move_display
    amount_fields = (
        "amount_untaxed",
        "amount_tax",
        "amount_total",
        "amount_residual",
        "amount_untaxed_signed",
        "amount_tax_signed",
        "amount_total_signed",
        "amount_residual_signed",
        "amount_total_in_currency_signed",
    )
    for fname in amount_fields:
        if fname in move.fields:
            compute(reg, "account.move", fname, lambda env, r, fname=fname: move_amounts(env, r)[fname])
    compute(reg, "account.move", "payment_state", payment_state)
    if "status_in_payment" in move.fields:
        compute(
            reg,
            "account.move",
            "status_in_payment",
            lambda env, r: r.get("state") if r.get("state") in ("draft", "cancel") else payment_state(env, r),
        )
    compute(
        reg, "account.move", "direction_sign", lambda env, r: direction_sign(r.get("move_type") or "entry")
    )
    compute(
        reg,
        "account.move",
        "commercial_partner_id",
        lambda env, r: (
            env.raw("res.partner", r.get("partner_id"), "commercial_partner_id")
            if r.get("partner_id")
            else False
        ),
    )
    compute(
        reg,
        "account.move",
        "company_currency_id",
        lambda env, r: env.raw("res.company", r.get("company_id"), "currency_id"),
    )
    compute(
        reg,
        "account.move",
        "tax_calculation_rounding_method",
        lambda env, r: env.raw("res.company", r.get("company_id"), "tax_calculation_rounding_method"),
    )
    if "payment_count" in move.fields and "matched_payment_ids" in move.fields:
        compute(reg, "account.move", "payment_count", lambda env, r: len(r.get("matched_payment_ids") or []))

    invoice_lines = compute(
        reg,
        "account.move",
        "invoice_line_ids",
        lambda env, r: move_lines(env, r["id"], ("product", "line_section", "line_note")),
    )

    def set_invoice_lines(env: Env, ids: list[int], value: Any) -> None:
        for mid in ids:
            f = env.model("account.move").fields["line_ids"]
            env._write_o2m("account.move", mid, f, value)
            sync_invoice(env, mid)

    invoice_lines.inverse = set_invoice_lines
    on_create(reg, "account.move", _move_create)
    on_write(reg, "account.move", _move_write)
    method(reg, "account.move", "action_post", move_action_post)
    method(reg, "account.move", "button_draft", move_button_draft)
    method(reg, "account.move", "button_cancel", move_button_cancel)
    method(reg, "account.move", "js_assign_outstanding_line", js_assign_outstanding_line)

    def action_register_payment(env: Env, ids: Any) -> dict[str, Any]:
        ids = records(env, "account.move", ids)
        return act_window(
            "Pay",
            "account.payment.register",
            view_mode="form",
            views=[[False, "form"]],
            context={"active_model": "account.move", "active_ids": ids},
            target="new",
        )

    method(reg, "account.move", "action_register_payment", action_register_payment)

    # -- journal items --------------------------------------------------------------------------
    aml = reg["account.move.line"]
    set_defaults(
        reg,
        "account.move.line",
        {
            "display_type": "product",
            "sequence": 10,
            "quantity": 1.0,
            "discount": 0.0,
            "balance": 0.0,
            "amount_currency": 0.0,
            "currency_id": lambda env, vals: (
                (
                    env.raw("account.move", vals.get("move_id"), "currency_id")
                    if vals.get("move_id")
                    else False
                )
                or env.raw("res.company", env.company(), "currency_id")
            ),
            "date": lambda env, vals: (
                env.raw("account.move", vals.get("move_id"), "date") if vals.get("move_id") else None
            ),
        },
    )
    for fname, fn in (
        ("debit", lambda env, r: max(float(r.get("balance") or 0), 0.0)),
        ("credit", lambda env, r: max(-float(r.get("balance") or 0), 0.0)),
        ("amount_residual", lambda env, r: line_residual(env, r)),
        ("amount_residual_currency", lambda env, r: line_residual(env, r)),
        (
            "reconciled",
            lambda env, r: is_reconcilable(env, r.get("account_id")) and is_zero(line_residual(env, r)),
        ),
        ("parent_state", lambda env, r: env.raw("account.move", r.get("move_id"), "state")),
        ("account_type", lambda env, r: env.raw("account.account", r.get("account_id"), "account_type")),
        ("move_name", lambda env, r: env.raw("account.move", r.get("move_id"), "name")),
        ("journal_id", lambda env, r: env.raw("account.move", r.get("move_id"), "journal_id")),
        ("company_id", lambda env, r: env.raw("account.move", r.get("move_id"), "company_id")),
        (
            "company_currency_id",
            lambda env, r: env.raw(
                "res.company", env.raw("account.move", r.get("move_id"), "company_id"), "currency_id"
            ),
        ),
        ("ref", lambda env, r: env.raw("account.move", r.get("move_id"), "ref")),
        ("invoice_date", lambda env, r: env.raw("account.move", r.get("move_id"), "invoice_date")),
        ("payment_id", lambda env, r: env.raw("account.move", r.get("move_id"), "origin_payment_id")),
        ("statement_line_id", lambda env, r: env.raw("account.move", r.get("move_id"), "statement_line_id")),
        (
            "matched_debit_ids",
            lambda env, r: env.db.lookup("account.partial.reconcile", "credit_move_id", r["id"]),
        ),
        (
            "matched_credit_ids",
            lambda env, r: env.db.lookup("account.partial.reconcile", "debit_move_id", r["id"]),
        ),
    ):
        if fname in aml.fields:
            f = compute(reg, "account.move.line", fname, fn)
            if fname in ("debit", "credit"):
                f.inverse = lambda env, ids, value: None  # applied by the write hook from both values

    def line_amounts(env: Env, r: dict[str, Any]) -> tuple[float, float]:
        if r.get("display_type") not in ("product",):
            return 0.0, 0.0
        move_rec = env.db.tables["account.move"].get(r.get("move_id")) or {}
        if move_rec.get("move_type") not in INVOICE_TYPES:
            return 0.0, 0.0
        company = move_rec.get("company_id") or env.company()
        bl = taxes.BaseLine(
            price_unit=float(r.get("price_unit") or 0),
            quantity=float(r.get("quantity") or 0),
            discount=float(r.get("discount") or 0),
            taxes=tuple(tax_of(env, t) for t in r.get("tax_ids") or [] if env.exists("account.tax", t)),
        )
        method_ = env.raw("res.company", company, "tax_calculation_rounding_method") or "round_per_line"
        return taxes.single_line(bl, currency_rounding(env, move_rec.get("currency_id")), method_)

    compute(reg, "account.move.line", "price_subtotal", lambda env, r: line_amounts(env, r)[0])
    compute(reg, "account.move.line", "price_total", lambda env, r: line_amounts(env, r)[1])
    aml.display_name = lambda env, r: " ".join(
        x
        for x in (str(env.raw("account.move", r.get("move_id"), "name") or ""), str(r.get("name") or ""))
        if x
    )
    aml.on_create.append(_aml_create)
    aml.on_write.append(_aml_write)
    aml.before_unlink.append(_aml_before_unlink)
    aml.after_unlink.append(_aml_after_unlink)
    method(
        reg,
        "account.move.line",
        "reconcile",
        lambda env, ids: reconcile_lines(env, records(env, "account.move.line", ids)),
    )
    method(
        reg,
        "account.move.line",
        "remove_move_reconcile",
        lambda env, ids: unreconcile(env, records(env, "account.move.line", ids)),
    )
    compute(
        reg,
        "account.partial.reconcile",
        "max_date",
        lambda env, r: (
            max(
                str(env.raw("account.move.line", r.get("debit_move_id"), "date") or ""),
                str(env.raw("account.move.line", r.get("credit_move_id"), "date") or ""),
            )
            or False
        ),
    )
    compute(
        reg,
        "account.full.reconcile",
        "reconciled_line_ids",
        lambda env, r: env.db.lookup("account.move.line", "full_reconcile_id", r["id"]),
    )

    # -- payments -------------------------------------------------------------------------------
    mf = memo_field(version)
    set_defaults(
        reg,
        "account.payment",
        {
            "state": "draft",
            "payment_type": "inbound",
            "partner_type": "customer",
            "date": today,
            "amount": 0.0,
            "journal_id": lambda env, vals: (
                env.search(
                    "account.journal",
                    [
                        ("type", "in", ["bank", "cash"]),
                        ("company_id", "=", vals.get("company_id") or env.company()),
                    ],
                    limit=1,
                    check=False,
                )
                or [None]
            )[0],
            "company_id": lambda env, vals: (
                env.raw("account.journal", vals.get("journal_id"), "company_id")
                if vals.get("journal_id")
                else env.company()
            ),
            "currency_id": lambda env, vals: (
                (
                    env.raw("account.journal", vals.get("journal_id"), "currency_id")
                    if vals.get("journal_id")
                    else False
                )
                or env.raw("res.company", vals.get("company_id") or env.company(), "currency_id")
            ),
            "payment_method_line_id": lambda env, vals: _method_line(
                env, vals.get("journal_id"), vals.get("payment_type") or "inbound"
            ),
        },
    )
    pay = reg["account.payment"]
    pay.display_name = lambda env, r: r.get("name") or "Draft Payment"
    compute(reg, "account.payment", "is_matched", lambda env, r: payment_is_matched(env, r))
    compute(reg, "account.payment", "is_reconciled", lambda env, r: payment_is_reconciled(env, r))
    compute(reg, "account.payment", "reconciled_invoice_ids", payment_reconciled_invoices)
    compute(
        reg,
        "account.payment",
        "reconciled_invoices_count",
        lambda env, r: len(payment_reconciled_invoices(env, r)),
    )
    compute(
        reg,
        "account.payment",
        "amount_signed",
        lambda env, r: float(r.get("amount") or 0) * (-1 if r.get("payment_type") == "outbound" else 1),
    )
    compute(
        reg,
        "account.payment",
        "payment_method_id",
        lambda env, r: (
            env.raw("account.payment.method.line", r.get("payment_method_line_id"), "payment_method_id")
            if r.get("payment_method_line_id")
            else False
        ),
    )
    out_acc = compute(
        reg, "account.payment", "outstanding_account_id", lambda env, r: outstanding_account(env, r)
    )
    out_acc.inverse = None
    if mf not in pay.fields:
        raise KeyError(f"account.payment has no {mf} on {version}")
    method(reg, "account.payment", "action_post", payment_action_post)
    method(reg, "account.payment", "action_cancel", payment_action_cancel)
    method(reg, "account.payment", "action_draft", payment_action_draft)

    # -- wizards --------------------------------------------------------------------------------
    register_defaults: dict[str, Any] = {
        fname: _register_default(fname)
        for fname in (
            "line_ids",
            "amount",
            "payment_type",
            "partner_type",
            "partner_id",
            "currency_id",
            "company_id",
            "journal_id",
            "communication",
        )
    }
    register_defaults.update(
        {"payment_date": today, "payment_difference_handling": "open", "group_payment": False}
    )
    set_defaults(reg, "account.payment.register", register_defaults)
    compute(
        reg,
        "account.payment.register",
        "source_amount",
        lambda env, r: abs(
            sum(
                line_residual(env, {**env.rec("account.move.line", ml), "id": ml})
                for ml in r.get("line_ids") or []
            )
        ),
    )
    method(reg, "account.payment.register", "action_create_payments", create_payments)

    set_defaults(
        reg,
        "account.move.reversal",
        {
            "move_ids": lambda env, vals: active_ids(env, "account.move") or None,
            "date": today,
            "journal_id": lambda env, vals: (
                env.raw("account.move", (active_ids(env, "account.move") or [None])[0], "journal_id")
                if active_ids(env, "account.move")
                else None
            ),
            "company_id": lambda env, vals: (
                env.raw("account.move", (active_ids(env, "account.move") or [None])[0], "company_id")
                if active_ids(env, "account.move")
                else env.company()
            ),
        },
    )

    def check_reversal(env: Env, rid: int, vals: dict[str, Any]) -> None:
        for mid in env.rec("account.move.reversal", rid).get("move_ids") or []:
            if env.raw("account.move", mid, "state") != "posted":
                raise UserError("You can only reverse posted moves.")

    on_create(reg, "account.move.reversal", check_reversal)
    method(
        reg,
        "account.move.reversal",
        "refund_moves",
        lambda env, ids: reverse_moves(env, ids, is_modify=False),
    )
    method(
        reg, "account.move.reversal", "modify_moves", lambda env, ids: reverse_moves(env, ids, is_modify=True)
    )
    method(reg, "account.move.reversal", "reverse_moves", reverse_moves)

    # -- bank statements ------------------------------------------------------------------------
    set_defaults(
        reg,
        "account.bank.statement.line",
        {
            "journal_id": lambda env, vals: (
                env.context.get("default_journal_id")
                or (
                    env.search(
                        "account.journal",
                        [("type", "=", "bank"), ("company_id", "=", env.company())],
                        limit=1,
                        check=False,
                    )
                    or [None]
                )[0]
            ),
            "company_id": lambda env, vals: (
                env.raw("account.journal", vals.get("journal_id"), "company_id")
                if vals.get("journal_id")
                else env.company()
            ),
            "sequence": 1,
        },
    )
    compute(reg, "account.bank.statement.line", "is_reconciled", statement_is_reconciled)

    def st_residual(env: Env, r: dict[str, Any]) -> float:
        _liq, susp, _other = statement_parts(env, r["id"])
        return -sum(float(env.rec("account.move.line", ml).get("balance") or 0) for ml in susp)

    compute(reg, "account.bank.statement.line", "amount_residual", st_residual)
    compute(
        reg,
        "account.bank.statement.line",
        "currency_id",
        lambda env, r: (
            env.raw("account.journal", r.get("journal_id"), "currency_id")
            or env.raw("res.company", r.get("company_id"), "currency_id")
        ),
    )
    on_create(reg, "account.bank.statement.line", _statement_line_create)
    set_defaults(reg, "account.bank.statement", {"date": today, "company_id": env_company})


__all__ = ["as_ids", "setup", "statement_reconcile"]
