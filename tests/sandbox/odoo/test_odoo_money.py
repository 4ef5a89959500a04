"""Money in the stand-in: taxes (included and excluded, rounded per line or globally), invoices from orders,
payment states as payments, credit notes and the bank reconcile."""

from __future__ import annotations

import pytest

from tests.support.odoo import OdooFault


def _tax(rpc, name: str, amount: float, *, included: bool) -> int:
    group = rpc("account.tax.group", "search", [], limit=1)[0]
    vals = {"name": name, "amount": amount, "tax_group_id": group}
    if rpc.version >= 18:
        vals["price_include_override"] = "tax_included" if included else "tax_excluded"
    else:
        vals["price_include"] = included
    return rpc.create("account.tax", vals)


def _tax_field(rpc) -> str:
    return "tax_ids" if rpc.version >= 19 else "tax_id"


def _invoice(rpc, amount: float = 100.0, taxes: tuple[int, ...] = ()) -> int:
    inv = rpc.create(
        "account.move",
        {
            "move_type": "out_invoice",
            "partner_id": 3,
            "invoice_line_ids": [
                (0, 0, {"name": "x", "quantity": 1, "price_unit": amount, "tax_ids": [(6, 0, list(taxes))]})
            ],
        },
    )
    assert rpc("account.move", "action_post", [inv]) is False
    return inv


def _pay(rpc, invoice: int, amount: float | None = None, memo: str | None = None) -> dict:
    ctx = {"active_model": "account.move", "active_ids": [invoice]}
    vals = {}
    if amount is not None:
        vals["amount"] = amount
    if memo is not None:
        vals["communication"] = memo
    wizard = rpc("account.payment.register", "create", vals, context=ctx)
    return rpc("account.payment.register", "action_create_payments", [wizard], context=ctx)


@pytest.mark.parametrize("version", [17, 18, 19])
def test_a_tax_included_order_computes_untaxed_tax_and_total_as_odoo(rpc_for, version) -> None:
    rpc = rpc_for(version)
    tax = _tax(rpc, "21% incl", 21.0, included=True)
    tf = _tax_field(rpc)
    line = {"product_id": 1, "price_unit": 21.53, tf: [(6, 0, [tax])]}
    so = rpc.create("sale.order", {"partner_id": 3, "order_line": [(0, 0, line), (0, 0, line)]})
    # round per line (Odoo's default): each line is 17.79 + 3.74
    per_line = rpc.read1("sale.order", so, ["amount_untaxed", "amount_tax", "amount_total"])
    # round globally (account_tax.py's own docstring example): 35.59 + 7.47 = 43.06
    rpc("res.company", "write", [1], {"tax_calculation_rounding_method": "round_globally"})
    globally = rpc.read1("sale.order", so, ["amount_untaxed", "amount_tax", "amount_total"])
    lines = rpc(
        "sale.order.line",
        "search_read",
        [("order_id", "=", so)],
        ["price_subtotal", "price_total", "price_tax"],
    )
    assert (per_line["amount_untaxed"], per_line["amount_tax"], per_line["amount_total"]) == (
        35.58,
        7.48,
        43.06,
    )
    assert (globally["amount_untaxed"], globally["amount_tax"], globally["amount_total"]) == (
        35.59,
        7.47,
        43.06,
    )
    assert [(x["price_subtotal"], x["price_total"], x["price_tax"]) for x in lines] == [
        (17.79, 21.53, 3.74)
    ] * 2


def test_two_included_taxes_share_the_price_and_excluded_taxes_round_globally(rpc_for) -> None:
    rpc = rpc_for(19)
    a, b = _tax(rpc, "10% A", 10.0, included=True), _tax(rpc, "10% B", 10.0, included=True)
    vat = _tax(rpc, "23%", 23.0, included=False)
    rpc("res.company", "write", [1], {"tax_calculation_rounding_method": "round_globally"})
    both = rpc.create(
        "sale.order",
        {
            "partner_id": 3,
            "order_line": [(0, 0, {"product_id": 1, "price_unit": 100.0, "tax_ids": [(6, 0, [a, b])]})],
        },
    )
    line = {"product_id": 1, "price_unit": 12.12, "product_uom_qty": 12.12, "tax_ids": [(6, 0, [vat])]}
    excluded = rpc.create("sale.order", {"partner_id": 3, "order_line": [(0, 0, line), (0, 0, line)]})
    # account_tax.py docstrings: 100 with two 10% included taxes is 83.34 + 2 x 8.33; the two 12.12 x 12.12
    # lines at 23% are 293.79 + 67.57 (rounded per line they would be 293.78 + 67.56)
    fields = ["amount_untaxed", "amount_tax", "amount_total"]
    assert [rpc.read1("sale.order", both, fields)[f] for f in fields] == [83.34, 16.66, 100.0]
    assert [rpc.read1("sale.order", excluded, fields)[f] for f in fields] == [293.79, 67.57, 361.36]


def test_an_invoice_carries_tax_and_receivable_items_while_draft(rpc_for) -> None:
    rpc = rpc_for(19)
    tax = rpc("account.tax", "search", [("name", "=", "15%"), ("type_tax_use", "=", "sale")])[0]
    inv = rpc.create(
        "account.move",
        {
            "move_type": "out_invoice",
            "partner_id": 3,
            "invoice_line_ids": [
                (0, 0, {"name": "x", "quantity": 3, "price_unit": 10, "tax_ids": [(6, 0, [tax])]})
            ],
        },
    )
    items = rpc(
        "account.move.line",
        "search_read",
        [("move_id", "=", inv)],
        ["display_type", "debit", "credit", "balance", "account_id", "price_subtotal", "price_total"],
        order="id",
    )
    assert [(i["display_type"], i["debit"], i["credit"]) for i in items] == [
        ("product", 0.0, 30.0),
        ("tax", 0.0, 4.5),
        ("payment_term", 34.5, 0.0),
    ]
    assert [i["account_id"][1] for i in items] == [
        "400000 Product Sales",
        "251000 Tax Received",
        "121000 Account Receivable",
    ]
    assert (items[0]["price_subtotal"], items[0]["price_total"]) == (30.0, 34.5)
    move = rpc.read1(
        "account.move",
        inv,
        ["amount_untaxed", "amount_tax", "amount_total", "amount_residual", "name", "state"],
    )
    assert move == {
        "id": inv,
        "amount_untaxed": 30.0,
        "amount_tax": 4.5,
        "amount_total": 34.5,
        "amount_residual": 34.5,
        "name": False,
        "state": "draft",
    }
    # a changed line is followed by the tax and receivable items, as Odoo syncs them
    rpc("account.move", "write", [inv], {"invoice_line_ids": [(1, items[0]["id"], {"quantity": 4})]})
    assert rpc.read1("account.move", inv, ["amount_total"])["amount_total"] == 46.0
    assert len(rpc("account.move.line", "search", [("move_id", "=", inv)])) == 3


@pytest.mark.parametrize("version", [17, 18, 19])
def test_payment_state_goes_not_paid_partial_paid(rpc_for, version) -> None:
    rpc = rpc_for(version)
    inv = _invoice(rpc, 100.0)
    fields = ["payment_state", "amount_residual"]
    start = rpc.read1("account.move", inv, fields)
    _pay(rpc, inv, 40.0)
    partial = rpc.read1("account.move", inv, fields)
    _pay(rpc, inv)
    paid = rpc.read1("account.move", inv, fields)
    assert (start["payment_state"], start["amount_residual"]) == ("not_paid", 100.0)
    assert (partial["payment_state"], partial["amount_residual"]) == ("partial", 60.0)
    assert (paid["payment_state"], paid["amount_residual"]) == ("paid", 0.0)
    with pytest.raises(OdooFault) as err:
        _pay(rpc, inv)
    assert err.value.message == (
        "You can't register a payment because there is nothing left to pay on the selected journal items."
    )


@pytest.mark.parametrize(
    ("version", "memo", "state"), [(17, "ref", "posted"), (18, "memo", "paid"), (19, "memo", "paid")]
)
def test_register_payment_books_the_memo_per_version(rpc_for, version, memo, state) -> None:
    rpc = rpc_for(version)
    inv = _invoice(rpc, 20.0)
    action = _pay(rpc, inv, memo="shopify gid://shopify/OrderTransaction/9")
    payment = rpc.read1(
        "account.payment", action["res_id"], [memo, "state", "amount", "is_reconciled", "is_matched"]
    )
    assert payment == {
        "id": action["res_id"],
        memo: "shopify gid://shopify/OrderTransaction/9",
        "state": state,
        "amount": 20.0,
        "is_reconciled": True,
        "is_matched": False,
    }


def test_paying_a_draft_invoice_is_refused(rpc_for) -> None:
    rpc = rpc_for(19)
    inv = rpc.create(
        "account.move",
        {
            "move_type": "out_invoice",
            "partner_id": 3,
            "invoice_line_ids": [(0, 0, {"name": "x", "price_unit": 5})],
        },
    )
    with pytest.raises(OdooFault) as err:
        rpc(
            "account.payment.register",
            "create",
            {},
            context={"active_model": "account.move", "active_ids": [inv]},
        )
    assert (err.value.name, err.value.message) == (
        "odoo.exceptions.UserError",
        "You can only register payment for posted journal entries.",
    )
    assert rpc("account.payment", "search_count", []) == 0


def test_in_payment_with_the_accounting_app_until_the_bank_line_is_matched(rpc_for) -> None:
    rpc = rpc_for(19)
    control = rpc.sandbox.control
    assert control.settings(accounting_app=True) == {"accounting_app": True}
    outstanding = rpc("account.account", "search", [("code", "=", "101402")])[0]
    bank = rpc("account.journal", "search", [("code", "=", "BNK1")])[0]
    method_line = rpc.read1("account.journal", bank, ["inbound_payment_method_line_ids"])[
        "inbound_payment_method_line_ids"
    ][0]
    rpc("account.payment.method.line", "write", [method_line], {"payment_account_id": outstanding})
    inv = _invoice(rpc, 50.0)
    # when paid through an outstanding receipts account
    pay = _pay(rpc, inv)["res_id"]
    before = (
        rpc.read1("account.move", inv, ["payment_state"])["payment_state"],
        rpc.read1("account.payment", pay, ["state", "is_matched"]),
    )
    # and the bank says the money arrived, matched with the payment's outstanding item
    statement = control.statement_line(50.0, payment_ref="deposit", partner_id=3)
    move = rpc.read1("account.payment", pay, ["move_id"])["move_id"][0]
    liquidity = rpc("account.move.line", "search", [("move_id", "=", move), ("account_id", "=", outstanding)])
    matched = control.reconcile_statement_line(statement["statement_line_id"], liquidity)
    # then
    assert before == ("in_payment", {"id": pay, "state": "in_process", "is_matched": False})
    assert matched == {
        "statement_line_id": statement["statement_line_id"],
        "is_reconciled": True,
        "matched": liquidity,
    }
    assert rpc.read1("account.move", inv, ["payment_state"])["payment_state"] == "paid"
    assert rpc.read1("account.payment", pay, ["state", "is_matched"]) == {
        "id": pay,
        "state": "paid",
        "is_matched": True,
    }
    line = rpc.read1(
        "account.bank.statement.line",
        statement["statement_line_id"],
        ["is_reconciled", "amount_residual", "amount"],
    )
    assert line == {
        "id": statement["statement_line_id"],
        "is_reconciled": True,
        "amount_residual": 0.0,
        "amount": 50.0,
    }


def test_a_community_server_says_paid_with_the_same_outstanding_account(rpc_for) -> None:
    rpc = rpc_for(19)
    outstanding = rpc("account.account", "search", [("code", "=", "101402")])[0]
    bank = rpc("account.journal", "search", [("code", "=", "BNK1")])[0]
    method_line = rpc.read1("account.journal", bank, ["inbound_payment_method_line_ids"])[
        "inbound_payment_method_line_ids"
    ][0]
    rpc("account.payment.method.line", "write", [method_line], {"payment_account_id": outstanding})
    inv = _invoice(rpc, 50.0)
    pay = _pay(rpc, inv)["res_id"]
    assert rpc.read1("account.move", inv, ["payment_state"])["payment_state"] == "paid"
    assert rpc.read1("account.payment", pay, ["state"])["state"] == "in_process"


def test_a_statement_line_can_match_an_invoice_directly(rpc_for) -> None:
    rpc = rpc_for(19)
    control = rpc.sandbox.control
    inv = _invoice(rpc, 80.0)
    receivable = rpc(
        "account.move.line", "search", [("move_id", "=", inv), ("display_type", "=", "payment_term")]
    )
    statement = control.statement_line(30.0, payment_ref="part", partner_id=3)
    result = control.reconcile_statement_line(statement["statement_line_id"], receivable)
    assert result["is_reconciled"] is True
    assert rpc.read1("account.move", inv, ["payment_state", "amount_residual"]) == {
        "id": inv,
        "payment_state": "partial",
        "amount_residual": 50.0,
    }


@pytest.mark.parametrize("version", [17, 19])
def test_a_credit_note_in_modify_mode_reverses_the_invoice(rpc_for, version) -> None:
    rpc = rpc_for(version)
    inv = _invoice(rpc, 30.0)
    ctx = {"active_model": "account.move", "active_ids": [inv]}
    wizard = rpc("account.move.reversal", "create", {"reason": "wrong price"}, context=ctx)
    action = rpc("account.move.reversal", "modify_moves", [wizard], context=ctx)
    reversal_field = "reversal_move_ids" if version >= 18 else "reversal_move_id"
    original = rpc.read1("account.move", inv, ["payment_state", reversal_field, "name"])
    credit = rpc.read1(
        "account.move", original[reversal_field][0], ["state", "move_type", "amount_total", "ref"]
    )
    replacement = rpc.read1("account.move", action["res_id"], ["state", "move_type", "amount_total"])
    assert original["payment_state"] == "reversed"
    assert (credit["state"], credit["move_type"], credit["amount_total"]) == ("posted", "out_refund", 30.0)
    assert credit["ref"] == f"Reversal of: {original['name']}, wrong price"
    assert (replacement["state"], replacement["move_type"], replacement["amount_total"]) == (
        "draft",
        "out_invoice",
        30.0,
    )


def test_a_posted_credit_note_used_on_the_invoice_reverses_it(rpc_for) -> None:
    rpc = rpc_for(19)
    inv = _invoice(rpc, 30.0)
    ctx = {"active_model": "account.move", "active_ids": [inv]}
    action = rpc(
        "account.move.reversal",
        "refund_moves",
        [rpc("account.move.reversal", "create", {}, context=ctx)],
        context=ctx,
    )
    credit = action["res_id"]
    assert (
        rpc.read1("account.move", inv, ["payment_state"])["payment_state"] == "not_paid"
    )  # a draft credit note
    rpc("account.move", "action_post", [credit])
    outstanding = rpc(
        "account.move.line", "search", [("move_id", "=", credit), ("display_type", "=", "payment_term")]
    )
    # when
    rpc("account.move", "js_assign_outstanding_line", [inv], outstanding[0])
    # then
    assert rpc.read1("account.move", inv, ["payment_state", "amount_residual"]) == {
        "id": inv,
        "payment_state": "reversed",
        "amount_residual": 0.0,
    }


def test_reversing_a_draft_is_refused(rpc_for) -> None:
    rpc = rpc_for(19)
    inv = rpc.create(
        "account.move",
        {
            "move_type": "out_invoice",
            "partner_id": 3,
            "invoice_line_ids": [(0, 0, {"name": "x", "price_unit": 5})],
        },
    )
    with pytest.raises(OdooFault) as err:
        rpc(
            "account.move.reversal",
            "create",
            {},
            context={"active_model": "account.move", "active_ids": [inv]},
        )
    assert (err.value.name, err.value.message) == (
        "odoo.exceptions.UserError",
        "You can only reverse posted moves.",
    )


def _storable(rpc, code: str, policy: str) -> int:
    vals = {
        "name": code,
        "default_code": code,
        "list_price": 10.0,
        "invoice_policy": policy,
        "taxes_id": [(6, 0, [])],
    }
    vals.update({"is_storable": True} if rpc.version >= 18 else {"type": "product"})
    pid = rpc.create("product.product", vals)
    location = rpc("stock.warehouse", "search_read", [], ["lot_stock_id"], limit=1)[0]["lot_stock_id"][0]
    quant = rpc.create("stock.quant", {"product_id": pid, "location_id": location, "inventory_quantity": 10})
    rpc("stock.quant", "action_apply_inventory", [quant])
    return pid


def _invoice_order(rpc, so: int) -> dict:
    ctx = {"active_model": "sale.order", "active_ids": [so], "active_id": so}
    wizard = rpc("sale.advance.payment.inv", "create", {"advance_payment_method": "delivered"}, context=ctx)
    return rpc("sale.advance.payment.inv", "create_invoices", [wizard], context=ctx)


def test_invoicing_by_delivered_quantities_follows_the_delivery(rpc_for) -> None:
    rpc = rpc_for(19)
    pid = _storable(rpc, "DLV-1", "delivery")
    so = rpc.create(
        "sale.order", {"partner_id": 3, "order_line": [(0, 0, {"product_id": pid, "product_uom_qty": 3})]}
    )
    rpc("sale.order", "action_confirm", [so])
    # nothing delivered: nothing to invoice
    with pytest.raises(OdooFault) as err:
        _invoice_order(rpc, so)
    assert err.value.message.startswith("Cannot create an invoice. No items are available to invoice.")
    assert rpc("account.move", "search_count", []) == 0
    # deliver 2 of 3, then invoice
    pick = rpc("stock.picking", "search", [("sale_id", "=", so)])[0]
    move = rpc("stock.move", "search", [("picking_id", "=", pick)])[0]
    rpc("stock.move", "write", [move], {"quantity": 2, "picked": True})
    action = rpc("stock.picking", "button_validate", [pick])
    rpc(
        "stock.backorder.confirmation",
        "process",
        [rpc("stock.backorder.confirmation", "create", {}, context=action["context"])],
        context=action["context"],
    )
    invoice = _invoice_order(rpc, so)["res_id"]
    lines = rpc(
        "account.move.line",
        "search_read",
        [("move_id", "=", invoice), ("display_type", "=", "product")],
        ["quantity", "sale_line_ids"],
    )
    order_line = rpc(
        "sale.order.line",
        "search_read",
        [("order_id", "=", so)],
        ["qty_invoiced", "qty_to_invoice", "invoice_status"],
    )[0]
    order = rpc.read1("sale.order", so, ["invoice_ids", "invoice_count", "invoice_status"])
    assert [x["quantity"] for x in lines] == [2.0]
    assert lines[0]["sale_line_ids"] == [order_line["id"]]
    assert (order_line["qty_invoiced"], order_line["qty_to_invoice"], order_line["invoice_status"]) == (
        2.0,
        0.0,
        "no",
    )
    assert order == {"id": so, "invoice_ids": [invoice], "invoice_count": 1, "invoice_status": "no"}


def test_invoicing_by_ordered_quantities_and_a_refund_lowers_what_is_invoiced(rpc_for) -> None:
    rpc = rpc_for(19)
    pid = _storable(rpc, "ORD-1", "order")
    so = rpc.create(
        "sale.order", {"partner_id": 3, "order_line": [(0, 0, {"product_id": pid, "product_uom_qty": 3})]}
    )
    rpc("sale.order", "action_confirm", [so])
    invoice = _invoice_order(rpc, so)["res_id"]
    rpc("account.move", "action_post", [invoice])
    status_after_invoice = rpc.read1("sale.order", so, ["invoice_status"])["invoice_status"]
    ctx = {"active_model": "account.move", "active_ids": [invoice]}
    credit = rpc(
        "account.move.reversal",
        "refund_moves",
        [rpc("account.move.reversal", "create", {}, context=ctx)],
        context=ctx,
    )["res_id"]
    line = rpc("sale.order.line", "search_read", [("order_id", "=", so)], ["qty_invoiced", "qty_to_invoice"])[
        0
    ]
    assert status_after_invoice == "invoiced"
    assert (line["qty_invoiced"], line["qty_to_invoice"]) == (0.0, 3.0)
    assert rpc.read1("sale.order", so, ["invoice_ids"])["invoice_ids"] == [invoice, credit]


def test_the_order_currency_is_its_pricelists_and_the_payment_follows_the_journal_or_the_invoice(
    rpc_for,
) -> None:
    # given a USD pricelist (the company's currency is EUR) and an order on it, invoiced
    rpc = rpc_for(19)
    usd = rpc("res.currency", "search", [("name", "=", "USD")], limit=1)[0]
    eur = rpc("res.currency", "search", [("name", "=", "EUR")], limit=1)[0]
    pricelist = rpc.create("product.pricelist", {"name": "USD", "currency_id": usd})
    line = {"product_id": 1, "price_unit": 54.25, "product_uom_qty": 2}
    so = rpc.create("sale.order", {"partner_id": 3, "pricelist_id": pricelist, "order_line": [(0, 0, line)]})
    # then Odoo computes the order's currency from its pricelist (pricelist_id.currency_id)
    assert rpc.read1("sale.order", so, ["currency_id"])["currency_id"][0] == usd
    rpc("sale.order", "action_confirm", [so])
    invoice = rpc.create(
        "account.move",
        {
            "move_type": "out_invoice",
            "partner_id": 3,
            "currency_id": usd,
            "invoice_line_ids": [(0, 0, {"name": "x", "quantity": 2, "price_unit": 54.25})],
        },
    )
    rpc("account.move", "action_post", [invoice])
    ctx = {"active_model": "account.move", "active_ids": [invoice]}
    # when a payment is registered in a journal without a currency of its own: the wizard takes the invoice's
    bank = rpc("account.journal", "search", [("type", "=", "bank")], limit=1)[0]
    wizard = rpc("account.payment.register", "create", {"journal_id": bank, "amount": 50.0}, context=ctx)
    assert rpc.read1("account.payment.register", wizard, ["currency_id"])["currency_id"][0] == usd
    rpc("account.payment.register", "action_create_payments", [wizard], context=ctx)
    assert rpc.read1("account.move", invoice, ["amount_residual"])["amount_residual"] == 58.5
    # and in a journal whose own currency is EUR: the wizard defaults to EUR, which needs a conversion
    rpc("account.journal", "write", [bank], {"currency_id": eur})
    wizard = rpc("account.payment.register", "create", {"journal_id": bank}, context=ctx)
    assert rpc.read1("account.payment.register", wizard, ["currency_id"])["currency_id"][0] == eur
    with pytest.raises(OdooFault) as err:
        rpc("account.payment.register", "action_create_payments", [wizard], context=ctx)
    assert "needs exchange rates" in err.value.message
    # and naming USD pays it in USD whatever the journal's currency
    wizard = rpc("account.payment.register", "create", {"journal_id": bank, "currency_id": usd}, context=ctx)
    rpc("account.payment.register", "action_create_payments", [wizard], context=ctx)
    assert rpc.read1("account.move", invoice, ["payment_state", "amount_residual"]) == {
        "id": invoice,
        "payment_state": "paid",
        "amount_residual": 0.0,
    }


def test_journal_items_carry_their_accounts_type(rpc_for) -> None:
    # Odoo 19: account.move.line.account_type is related to account_id.account_type, stored and searchable.
    rpc = rpc_for(19)
    inv = _invoice(rpc, 40.0)
    items = rpc("account.move.line", "search_read", [("move_id", "=", inv)], ["account_id", "account_type"])
    expected = {
        i["id"]: rpc.read1("account.account", i["account_id"][0], ["account_type"])["account_type"]
        for i in items
    }
    receivable = rpc(
        "account.move.line", "search", [("move_id", "=", inv), ("account_type", "=", "asset_receivable")]
    )
    assert {i["id"]: i["account_type"] for i in items} == expected
    assert "asset_receivable" in expected.values()
    assert receivable == [i for i, t in expected.items() if t == "asset_receivable"]


@pytest.mark.parametrize("jtype", ["bank", "cash"])
def test_a_new_bank_or_cash_journal_gets_its_own_liquidity_account(rpc_for, jtype) -> None:
    # Odoo: account.journal create for a bank or cash journal without default_account_id creates its
    # liquidity account (_prepare_liquidity_account_vals: the journal's name, type asset_cash).
    rpc = rpc_for(19)
    journal = rpc.create(
        "account.journal", {"name": f"Second {jtype}", "code": f"X{jtype[:3].upper()}", "type": jtype}
    )
    read = rpc.read1("account.journal", journal, ["default_account_id", "suspense_account_id"])
    assert read["default_account_id"], read
    account = rpc.read1("account.account", read["default_account_id"][0], ["name", "account_type", "code"])
    others = rpc("account.journal", "search_read", [("id", "!=", journal)], ["default_account_id"])
    assert (account["name"], account["account_type"]) == (f"Second {jtype}", "asset_cash")
    assert read["default_account_id"][0] not in {
        j["default_account_id"] and j["default_account_id"][0] for j in others
    }
    assert read["suspense_account_id"]
