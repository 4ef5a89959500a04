"""Contract of the connector's order-to-cash operations: totals with the order, invoicing through the wizard,
payments, credit notes, returns, validation with a backorder choice, tax settings, chatter.

Runs against the stand-in (17, 18, 19 over JSON-RPC; 19 over JSON-2) or, with ODOO_* set, a real Odoo. Each
test makes what it needs through the connector (products, taxes, stock, partners) with unique keys.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from opsconsole.core.errors import BusinessRuleError
from sync.connectors.odoo import (
    Address,
    MoveLineEdit,
    OdooClient,
    OdooConfig,
    OrderInput,
    OrderLineInput,
    PartnerInput,
    PaymentInput,
    PayoutInput,
    ReturnInput,
    ReversalInput,
    connect,
)


def _key(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _first(result: object) -> int:
    return int(result[0] if isinstance(result, list) else result)  # type: ignore[index,arg-type]


def _tax(client: OdooClient, rate: str, *, included: bool) -> int:
    vals: dict[str, object] = {"name": _key(f"CT {rate}%"), "amount": float(rate), "type_tax_use": "sale"}
    if client.version[0] >= 18:
        vals["price_include_override"] = "tax_included" if included else "tax_excluded"
    else:
        vals["price_include"] = included
    return _first(client.execute("account.tax", "create", vals_list=[vals]))


def _goods(client: OdooClient, *, policy: str = "order", stock: int = 10, price: str = "25.00") -> int:
    vals: dict[str, object] = {
        "name": _key("Contract goods"),
        "default_code": _key("CT-GOODS").upper(),
        "list_price": float(price),
        "invoice_policy": policy,
        "taxes_id": [(6, 0, [])],
    }
    vals.update({"type": "consu", "is_storable": True} if client.version[0] >= 18 else {"type": "product"})
    pid = _first(client.execute("product.product", "create", vals_list=[vals]))
    if stock:
        wh = client.execute("stock.warehouse", "search_read", domain=[], fields=["lot_stock_id"], limit=1)[0]
        quant = _first(
            client.execute(
                "stock.quant",
                "create",
                vals_list=[
                    {
                        "product_id": pid,
                        "location_id": wh["lot_stock_id"][0],
                        "inventory_quantity": float(stock),
                    }
                ],
            )
        )
        client.execute("stock.quant", "action_apply_inventory", [quant])
    return pid


def _partner(client: OdooClient) -> int:
    return client.find_or_create_partner(
        PartnerInput(_key("ct_o2c"), Address(name="Order To Cash", country_code="FR"))
    ).partner_id


def _order(client: OdooClient, lines: tuple[OrderLineInput, ...], *, confirm: bool = True) -> tuple[int, str]:
    key = _key("shopify")
    totals = client.create_sale_order_with_totals(
        OrderInput(partner_id=_partner(client), client_order_ref=key, lines=lines)
    )
    if confirm:
        client.confirm_order(totals.id)
    return totals.id, key


def _line(pid: int, qty: str, price: str = "25.00", taxes: tuple[int, ...] = ()) -> OrderLineInput:
    return OrderLineInput(product_id=pid, quantity=Decimal(qty), price_unit=Decimal(price), tax_ids=taxes)


def test_order_totals_come_back_with_the_created_order(odoo_config: OdooConfig) -> None:
    # given
    client = connect(odoo_config)
    client.whoami()
    tax = _tax(client, "10", included=False)
    pid = _goods(client, stock=0)
    order = OrderInput(
        partner_id=_partner(client),
        client_order_ref=_key("shopify"),
        lines=(_line(pid, "3", taxes=(tax,)), _line(pid, "1", "5.00", taxes=(tax,))),
    )
    before = client.calls
    # when
    created = client.create_sale_order_with_totals(order)
    calls = client.calls - before
    again = client.create_sale_order_with_totals(order)
    # then
    assert calls == 2  # the lookup, then web_save: created and read back in one round trip
    assert created.created is True and again.created is False
    assert (created.amount_untaxed, created.amount_tax, created.amount_total) == (
        Decimal("80"),
        Decimal("8"),
        Decimal("88"),
    )
    assert (again.id, again.name, again.amount_total) == (created.id, created.name, created.amount_total)
    assert created.state == "draft" and created.name and created.currency
    info = client.read_order(created.id, with_lines=False)
    assert info is not None and info.amount_total == Decimal("88")


def test_a_tax_included_price_is_split_by_odoo(odoo_config: OdooConfig) -> None:
    client = connect(odoo_config)
    tax = _tax(client, "21", included=True)
    pid = _goods(client, stock=0)
    totals = client.create_sale_order_with_totals(
        OrderInput(
            partner_id=_partner(client),
            client_order_ref=_key("shopify"),
            lines=(_line(pid, "1", "12.10", (tax,)),),
        )
    )
    assert (totals.amount_untaxed, totals.amount_tax, totals.amount_total) == (
        Decimal("10"),
        Decimal("2.1"),
        Decimal("12.1"),
    )


def test_an_order_invoiced_by_ordered_quantities_is_posted_once(odoo_config: OdooConfig) -> None:
    # given
    client = connect(odoo_config)
    tax = _tax(client, "20", included=False)
    pid = _goods(client, policy="order")
    oid, _ = _order(client, (_line(pid, "2", "10.00", (tax,)),))
    # when
    before = client.calls
    invoice = client.invoice_order(oid)
    invoice_calls = client.calls - before
    again = client.invoice_order(oid)
    # then: the wizard, its invoice posted and read back once
    assert invoice_calls == 4
    assert (invoice.move_type, invoice.state, invoice.payment_state) == ("out_invoice", "posted", "not_paid")
    assert (invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total) == (
        Decimal("20"),
        Decimal("4"),
        Decimal("24"),
    )
    assert invoice.amount_residual == Decimal("24")
    assert invoice.name and invoice.invoice_origin
    assert again.id == invoice.id
    assert [m.id for m in client.invoices_for_order(invoice.invoice_origin)] == [invoice.id]


def test_invoicing_by_delivered_quantities_follows_a_partial_delivery(odoo_config: OdooConfig) -> None:
    # given
    client = connect(odoo_config)
    pid = _goods(client, policy="delivery")
    oid, _ = _order(client, (_line(pid, "3", "10.00"),))
    with pytest.raises(BusinessRuleError) as nothing:
        client.invoice_order(oid)
    pick = client.order_pickings(oid)[0]
    # when
    done = client.validate_picking(
        pick.id, quantities={pick.moves[0].id: Decimal("2")}, backorder=True, tracking_ref="TRK-1"
    )
    invoice = client.invoice_order(oid)
    # then
    assert nothing.value.code == "order_invoice_refused"
    assert (done.state, len(done.backorder_ids), done.already_done) == ("done", 1, False)
    assert (invoice.amount_total, invoice.state) == (Decimal("20"), "posted")
    pickings = client.order_pickings(oid)
    assert [(p.state, p.tracking_ref, p.backorder_of) for p in pickings] == [
        ("done", "TRK-1", None),
        ("assigned", "", pick.id),
    ]
    assert client.validate_picking(pick.id).already_done is True


def test_a_delivery_validated_without_backorder_leaves_the_rest(odoo_config: OdooConfig) -> None:
    client = connect(odoo_config)
    pid = _goods(client)
    oid, _ = _order(client, (_line(pid, "3"),))
    pick = client.order_pickings(oid)[0]
    done = client.validate_picking(pick.id, quantities={pick.moves[0].id: Decimal("1")}, backorder=False)
    assert (done.state, done.backorder_ids) == ("done", ())
    info = client.read_order(oid)
    assert info is not None and [(line.quantity, line.qty_delivered) for line in info.lines] == [
        (Decimal("3"), Decimal("1"))
    ]
    assert len(client.order_pickings(oid)) == 1


def test_a_payment_with_memo_and_journal_pays_the_invoice_once(odoo_config: OdooConfig) -> None:
    # given
    client = connect(odoo_config)
    pid = _goods(client, policy="order")
    oid, _ = _order(client, (_line(pid, "4", "25.00"),))
    invoice = client.invoice_order(oid)
    journal = client.execute(
        "account.journal", "search_read", domain=[("type", "=", "bank")], fields=["id"], limit=1
    )[0]["id"]
    first_memo, second_memo = (
        _key("shopify gid://shopify/OrderTransaction"),
        _key("shopify gid://shopify/OrderTransaction"),
    )
    # when
    partial = client.register_payment(
        PaymentInput(invoice.id, first_memo, amount=Decimal("40"), journal_id=journal)
    )
    after_partial = client.read_invoice(invoice.id)
    retried = client.register_payment(
        PaymentInput(invoice.id, first_memo, amount=Decimal("40"), journal_id=journal)
    )
    # (the caller knows no earlier attempt registered the second memo: no look-up, 3 calls)
    before = client.calls
    rest = client.register_payment(PaymentInput(invoice.id, second_memo, journal_id=journal), look_up=False)
    rest_calls = client.calls - before
    paid = client.read_invoice(invoice.id)
    # then
    state = "posted" if client.version[0] < 18 else "paid"
    assert (partial.amount, partial.memo, partial.state, partial.is_reconciled) == (
        Decimal("40"),
        first_memo,
        state,
        True,
    )
    assert partial.invoice_ids == (invoice.id,)
    assert retried.id == partial.id
    assert after_partial is not None and (after_partial.payment_state, after_partial.amount_residual) == (
        "partial",
        Decimal("60"),
    )
    assert rest.amount == Decimal("60") and rest.memo == second_memo and rest.invoice_ids == (invoice.id,)
    assert rest_calls == 3
    assert paid is not None and (paid.payment_state, paid.amount_residual) == ("paid", Decimal("0"))
    if client.version[0] >= 18:
        assert sorted(paid.matched_payment_ids) == sorted([partial.id, rest.id])
    with pytest.raises(BusinessRuleError) as err:
        client.register_payment(PaymentInput(invoice.id, _key("late")))
    assert err.value.code == "payment_refused"


def _pricelist(client: OdooClient, currency: str) -> int:
    ids = client.execute(
        "res.currency", "search", domain=[("name", "=", currency)], limit=1, context={"active_test": False}
    )
    client.execute("res.currency", "write", [ids[0]], vals={"active": True})
    return _first(
        client.execute(
            "product.pricelist", "create", vals_list=[{"name": _key(f"CT {currency}"), "currency_id": ids[0]}]
        )
    )


def test_an_order_on_a_foreign_pricelist_is_invoiced_and_paid_in_its_currency(
    odoo_config: OdooConfig,
) -> None:
    # given a pricelist in USD (the company's currency is another) and an order on it
    client = connect(odoo_config)
    pricelist = _pricelist(client, "USD")
    pid = _goods(client, policy="order")
    order = client.create_sale_order_with_totals(
        OrderInput(
            partner_id=_partner(client),
            client_order_ref=_key("shopify"),
            lines=(_line(pid, "2", "54.25"),),
            pricelist_id=pricelist,
        )
    )
    client.confirm_order(order.id)
    invoice = client.invoice_order(order.id)
    journal = client.execute(
        "account.journal", "search_read", domain=[("type", "=", "bank")], fields=["id"], limit=1
    )[0]["id"]
    # when a payment is registered in USD
    memo = _key("gid://shopify/OrderTransaction")
    payment = client.register_payment(
        PaymentInput(invoice.id, memo, amount=Decimal("108.50"), journal_id=journal, currency="USD")
    )
    paid = client.read_invoice(invoice.id)
    # then Odoo took the order's currency from its pricelist, and the invoice and payment are in USD
    assert client.pricelist_currency(pricelist) == "USD"
    assert client.pricelist_currency(2_000_000_000) is None
    assert (order.currency, order.amount_total) == ("USD", Decimal("108.50"))
    assert (invoice.currency, invoice.amount_total) == ("USD", Decimal("108.50"))
    assert (payment.currency, payment.amount, payment.memo) == ("USD", Decimal("108.50"), memo)
    assert paid is not None and (paid.payment_state, paid.amount_residual) == ("paid", Decimal("0"))
    with pytest.raises(BusinessRuleError) as err:
        client.register_payment(PaymentInput(invoice.id, _key("memo"), currency="XXX"))
    assert (err.value.code, err.value.key) == ("unknown_currency", "XXX")


def test_a_payout_settles_what_a_sale_overpaid_a_smaller_invoice_once(odoo_config: OdooConfig) -> None:
    # given an invoice of 80 paid 100 by one payment (the order was reduced before it was invoiced)
    client = connect(odoo_config)
    pid = _goods(client, policy="order")
    oid, _ = _order(client, (_line(pid, "4", "20.00"),))
    invoice = client.invoice_order(oid)
    journal = client.execute(
        "account.journal", "search_read", domain=[("type", "=", "bank")], fields=["id"], limit=1
    )[0]["id"]
    sale = client.register_payment(
        PaymentInput(
            invoice.id, _key("gid://shopify/OrderTransaction"), amount=Decimal("100"), journal_id=journal
        )
    )
    overpaid = client.read_invoice(invoice.id)
    memo = _key("gid://shopify/OrderTransaction")
    assert invoice.partner_id is not None
    payout = PayoutInput(invoice.partner_id, memo, Decimal("20"), journal, against=(sale.id,))
    # when the 20 given back is paid out against it, twice
    paid_out = client.pay_out(payout)
    again = client.pay_out(payout)
    # then one outbound payment of 20, reconciled with the sale's open credit, and nothing is left open
    assert overpaid is not None and (overpaid.payment_state, overpaid.amount_residual) in {
        ("paid", Decimal("0")),
        ("in_payment", Decimal("0")),
    }
    assert (paid_out.payment_type, paid_out.amount, paid_out.memo, paid_out.is_reconciled) == (
        "outbound",
        Decimal("20"),
        memo,
        True,
    )
    assert again.id == paid_out.id
    assert len(client.payments_for_reference(memo)) == 1
    [sale_after] = [p for p in client.payments_for_reference(sale.memo) if p.id == sale.id]
    assert sale_after.is_reconciled is True
    open_lines = client.execute(
        "account.move.line",
        "search_read",
        domain=[
            ("payment_id", "in", [sale.id, paid_out.id]),
            ("account_type", "=", "asset_receivable"),
            ("reconciled", "=", False),
        ],
        fields=["amount_residual"],
    )
    assert open_lines == []


def test_a_credit_note_by_reversal_is_posted_and_found_again(odoo_config: OdooConfig) -> None:
    # given
    client = connect(odoo_config)
    pid = _goods(client, policy="order")
    oid, _ = _order(client, (_line(pid, "2", "15.00"),))
    invoice = client.invoice_order(oid)
    reason = _key("shopify refund")
    # when
    credit = client.reverse_invoice(ReversalInput(invoice.id, reason))
    again = client.reverse_invoice(ReversalInput(invoice.id, reason))
    # then
    assert (credit.move_type, credit.state, credit.amount_total) == ("out_refund", "posted", Decimal("30"))
    assert credit.ref == f"Reversal of: {invoice.name}, {reason}"
    assert credit.reversed_entry_id == invoice.id
    assert again.id == credit.id
    after = client.read_invoice(invoice.id)
    assert after is not None and after.payment_state == "not_paid"  # refund_moves leaves it to be matched


def test_a_return_takes_goods_back_once(odoo_config: OdooConfig) -> None:
    # given
    client = connect(odoo_config)
    pid = _goods(client, stock=10)
    oid, _ = _order(client, (_line(pid, "2"),))
    pick = client.order_pickings(oid)[0]
    client.validate_picking(pick.id)
    key = _key("shopify-return")
    # when
    ret = client.return_picking(ReturnInput(pick.id, {pid: Decimal("1")}, key))
    again = client.return_picking(ReturnInput(pick.id, {pid: Decimal("1")}, key))
    done = client.validate_picking(ret.picking_id)
    # then
    assert (ret.created, ret.state) == (True, "assigned")
    assert (again.picking_id, again.created) == (ret.picking_id, False)
    assert done.state == "done"
    info = client.read_order(oid)
    assert info is not None and [line.qty_delivered for line in info.lines] == [Decimal("1")]
    # and the order's pickings say which returns which delivery, and where the goods went back to
    by_id = {p.id: p for p in client.order_pickings(oid)}
    assert (by_id[pick.id].return_of, by_id[ret.picking_id].return_of) == (None, pick.id)
    assert by_id[ret.picking_id].location_dest_id == pick.location_id
    with pytest.raises(BusinessRuleError) as err:
        client.return_picking(ReturnInput(pick.id, {pid + 100000: Decimal("1")}, _key("bad")))
    assert err.value.code == "return_refused"


def test_a_sale_order_is_found_by_its_name_the_origin_of_its_invoices(odoo_config: OdooConfig) -> None:
    # given an invoiced order
    client = connect(odoo_config)
    pid = _goods(client, policy="order")
    oid, _ = _order(client, (_line(pid, "1", "9.00"),))
    invoice = client.invoice_order(oid)
    # when it is looked up by its invoice's origin
    found = client.find_order_by_name(invoice.invoice_origin)
    # then it is the order; a name nobody has finds nothing
    assert found is not None and (found.id, found.name) == (oid, invoice.invoice_origin)
    assert client.find_order_by_name(_key("no such order")) is None


def test_company_tax_settings_and_taxes_with_their_override(odoo_config: OdooConfig) -> None:
    client = connect(odoo_config)
    me = client.whoami()
    company = client.execute("res.users", "read", [me.uid], fields=["company_id"])[0]["company_id"][0]
    included, excluded = _tax(client, "7", included=True), _tax(client, "7", included=False)
    # when
    settings = client.company_tax_settings(company)
    taxes = {t.id: t for t in client.taxes(company_id=company)}
    # then
    assert settings.company_id == company and settings.currency
    assert settings.rounding_method in ("round_per_line", "round_globally")
    if client.version[0] >= 18:
        assert settings.price_include_default in ("tax_included", "tax_excluded")
        assert (taxes[included].price_include, taxes[included].price_include_override) == (
            True,
            "tax_included",
        )
        assert (taxes[excluded].price_include, taxes[excluded].price_include_override) == (
            False,
            "tax_excluded",
        )
    else:
        assert settings.price_include_default == ""
        assert (taxes[included].price_include, taxes[excluded].price_include) == (True, False)
    assert taxes[included].amount == Decimal("7") and taxes[included].company_id == company


def test_a_message_is_posted_on_the_order(odoo_config: OdooConfig) -> None:
    client = connect(odoo_config)
    pid = _goods(client, stock=0)
    oid, _ = _order(client, (_line(pid, "1"),), confirm=False)
    text = _key("Refunded in Shopify")
    mid = client.post_order_message(oid, text, subject="Shopify")
    rows = client.execute("mail.message", "read", [mid], fields=["model", "res_id", "body", "subject"])
    assert [(r["model"], r["res_id"], r["subject"]) for r in rows] == [("sale.order", oid, "Shopify")]
    assert text in rows[0]["body"]


def test_a_draft_credit_note_is_cut_down_posted_and_paid_back(odoo_config: OdooConfig) -> None:
    # given an invoice of 3 + 1 units and its credit note left a draft by the reversal wizard
    client = connect(odoo_config)
    tax = _tax(client, "20", included=False)
    goods, other = _goods(client, policy="order"), _goods(client, policy="order")
    oid, _ = _order(client, (_line(goods, "3", "10.00", (tax,)), _line(other, "1", "5.00", (tax,))))
    invoice = client.invoice_order(oid)
    reason = _key("shopify refund")
    draft = client.reverse_invoice(ReversalInput(invoice.id, reason, post=False))
    lines = client.move_lines(draft.id)
    keep = next(line for line in lines if line.product_id == goods)
    # when it keeps 2 of the first line and loses the other, then is posted and paid back
    edited = client.edit_draft_move(
        draft.id,
        MoveLineEdit(
            keep={keep.id: (Decimal("2"), Decimal("10.00"))},
            remove=tuple(line.id for line in lines if line.id != keep.id),
        ),
    )
    posted = client.post_move(draft.id)
    again = client.post_move(draft.id)
    memo = _key("gid://shopify/OrderTransaction")
    payment = client.register_payment(PaymentInput(draft.id, memo, amount=Decimal("24")))
    paid = client.read_invoice(draft.id)
    # then
    assert (draft.state, draft.amount_total) == ("draft", Decimal("42"))
    assert [(line.product_id, line.quantity, line.sale_line_ids != ()) for line in lines] == [
        (goods, Decimal("3"), True),
        (other, Decimal("1"), True),
    ]
    assert (edited.state, edited.amount_untaxed, edited.amount_tax, edited.amount_total) == (
        "draft",
        Decimal("20"),
        Decimal("4"),
        Decimal("24"),
    )
    assert (posted.state, posted.amount_total, posted.name != "") == ("posted", Decimal("24"), True)
    assert again.id == posted.id and again.state == "posted"
    assert (payment.payment_type, payment.amount, payment.memo) == ("outbound", Decimal("24"), memo)
    assert paid is not None and (paid.payment_state, paid.amount_residual) == ("paid", Decimal("0"))
    with pytest.raises(BusinessRuleError) as err:
        client.edit_draft_move(draft.id, MoveLineEdit(remove=(keep.id,)))
    assert err.value.code == "move_edit_refused"
