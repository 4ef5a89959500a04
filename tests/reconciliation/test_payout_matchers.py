"""The payout matchers are pure: each balance transaction against its Odoo payment, the expected net to the
cent, the differences by class, and the journal entry's lines (balanced by construction)."""

from __future__ import annotations

from decimal import Decimal as D

from reconciliation.matchers.payouts import (
    FeeRule,
    Line,
    OdooPayment,
    TransactionMoney,
    match_payout,
    order_transaction_gid,
    payout_entry_lines,
)


def charge(n: int, amount: str, fee: str, *, currency: str = "EUR") -> Line:
    a, f = D(amount), D(fee)
    return Line(f"bt{n}", "CHARGE", a, f, a - f, currency, order_transaction_id=n, order_id=str(1000 + n))


def paid(n: int, amount: str, *, kind: str = "inbound", state: str = "paid") -> OdooPayment:
    return OdooPayment(n, f"P{n}", D(amount), kind, "EUR", state)


TRANSFER = Line("bt99", "TRANSFER", D("-0"), D("0"), D("0"), "EUR")


def test_a_payout_whose_every_line_has_its_payment_balances_to_the_cent():
    lines = [charge(1, "100.00", "1.65"), charge(2, "20.00", "0.53"), TRANSFER]
    result = match_payout(
        payout_net=D("117.82"),
        payout_currency="EUR",
        lines=lines,
        payments={
            order_transaction_gid(1): [paid(1, "100.00")],
            order_transaction_gid(2): [paid(2, "20.00")],
        },
        orders_in_odoo={"1001": True, "1002": True},
        fee_rule=FeeRule(D("0.014"), D("0.25")),
    )
    assert (result.expected_net, result.fees, result.difference) == (D("117.82"), D("2.18"), D("0.00"))
    assert [r.code for r in result.lines] == ["matched", "matched", "payout_transfer"]
    assert result.balances


def test_each_class_of_difference_is_named():
    refund = Line(
        "bt5", "REFUND", D("-10.00"), D("0"), D("-10.00"), "EUR", order_transaction_id=5, order_id="1005"
    )
    lines = [
        charge(1, "100.00", "1.65"),  # no payment, order in Odoo
        charge(2, "20.00", "0.53"),  # no payment, no order
        charge(3, "30.00", "0.67"),  # payment for another amount
        charge(4, "40.00", "2.00"),  # fee off the rate (0.81 expected)
        refund,  # a cancelled outbound payment only
        charge(6, "10.00", "0.39", currency="USD"),
        Line("bt7", "DISPUTE_WITHDRAWAL", D("-12.00"), D("0"), D("-12.00"), "EUR"),
        Line("bt8", "ADJUSTMENT", D("-1.00"), D("0"), D("-1.00"), "EUR"),
    ]
    result = match_payout(
        payout_net=D("150.00"),
        payout_currency="EUR",
        lines=lines,
        payments={
            order_transaction_gid(3): [paid(3, "31.00")],
            order_transaction_gid(4): [paid(4, "40.00")],
            order_transaction_gid(5): [paid(5, "10.00", kind="outbound", state="canceled")],
        },
        orders_in_odoo={"1001": True, "1002": False, "1005": True},
        fee_rule=FeeRule(D("0.014"), D("0.25")),
    )
    assert [r.code for r in result.lines] == [
        "payment_missing_in_odoo",
        "order_missing_in_odoo",
        "amount_differs",
        "fee_differs_from_rate",
        "payment_missing_in_odoo",
        "currency_differs",
        "dispute_without_match",
        "adjustment_without_match",
    ]
    assert result.expected_net == D("171.76") and result.difference == D("-21.76")
    assert "payout_net_differs" in result.differences and not result.balances


def test_adjustments_the_mapping_books_are_explained_and_the_entry_balances():
    lines = [
        charge(1, "100.00", "1.65"),
        Line("bt8", "ADJUSTMENT", D("-1.00"), D("0"), D("-1.00"), "EUR"),
        TRANSFER,
    ]
    result = match_payout(
        payout_net=D("97.35"),
        payout_currency="EUR",
        lines=lines,
        payments={order_transaction_gid(1): [paid(1, "100.00")]},
        orders_in_odoo={},
        explained_types=frozenset({"ADJUSTMENT"}),
    )
    assert result.balances
    entry = payout_entry_lines(payout_net=D("97.35"), lines=lines, label="P1")
    assert [(e.account, e.debit, e.credit) for e in entry] == [
        ("bank", D("97.35"), D("0.00")),
        ("fees", D("1.65"), D("0.00")),
        ("clearing", D("0.00"), D("100.00")),
        ("other", D("1.00"), D("0.00")),
    ]
    assert sum(e.debit for e in entry) == sum(e.credit for e in entry)


def test_an_amount_difference_on_an_order_edited_after_the_payout_is_named_so():
    edited = Line(
        "bt1",
        "CHARGE",
        D("50.00"),
        D("0.95"),
        D("49.05"),
        "EUR",
        order_transaction_id=1,
        order_id="1001",
        order_edited_after=True,
    )
    result = match_payout(
        payout_net=D("49.05"),
        payout_currency="EUR",
        lines=[edited],
        payments={order_transaction_gid(1): [paid(1, "45.00")]},
        orders_in_odoo={"1001": True},
    )
    assert [(r.code, r.detail) for r in result.lines] == [
        ("order_edited_after_payout", "Shopify 50.00, Odoo 45.00")
    ]
    assert not result.balances


def test_a_payment_booked_in_the_presentment_currency_is_compared_with_the_transactions_shop_money():
    # an order presented in USD and booked in USD (book_currency: presentment): its Odoo payment is the
    # transaction's 107.10 USD, the EUR payout's charge the transaction's 100.00 EUR
    lines = [charge(1, "100.00", "1.65"), TRANSFER]
    usd = OdooPayment(1, "P1", D("107.10"), "inbound", "USD", "paid")
    tx = TransactionMoney(D("100.00"), "EUR", D("107.10"), "USD")
    result = match_payout(
        payout_net=D("98.35"),
        payout_currency="EUR",
        lines=lines,
        payments={order_transaction_gid(1): [usd]},
        orders_in_odoo={"1001": True},
        fee_rule=FeeRule(D("0.014"), D("0.25")),
        transactions={order_transaction_gid(1): tx},
    )
    assert [(r.code, r.odoo_amount) for r in result.lines] == [
        ("matched", D("100.00")),
        ("payout_transfer", None),
    ]
    assert result.lines[0].odoo_label == "P1 (107.10 USD)"
    assert result.balances


def test_a_presentment_payment_off_by_a_cent_or_a_payout_line_off_its_shop_money_is_an_amount_difference():
    tx = TransactionMoney(D("100.00"), "EUR", D("107.10"), "USD")

    def match(payment: str, payout_amount: str) -> tuple[str, str]:
        result = match_payout(
            payout_net=D("0"),
            payout_currency="EUR",
            lines=[charge(1, payout_amount, "1.65")],
            payments={order_transaction_gid(1): [OdooPayment(1, "P1", D(payment), "inbound", "USD", "paid")]},
            orders_in_odoo={"1001": True},
            transactions={order_transaction_gid(1): tx},
        )
        return result.lines[0].code, result.lines[0].detail

    assert match("107.10", "100.00")[0] == "matched"
    assert match("107.11", "100.00") == ("amount_differs", "Shopify transaction 107.10 USD, Odoo 107.11 USD")
    assert match("107.10", "100.01") == ("amount_differs", "Shopify 100.01, Odoo 100.00")


def test_without_shopifys_amounts_of_its_transaction_a_payment_in_another_currency_is_a_currency_difference():
    result = match_payout(
        payout_net=D("98.35"),
        payout_currency="EUR",
        lines=[charge(1, "100.00", "1.65")],
        payments={order_transaction_gid(1): [OdooPayment(1, "P1", D("107.10"), "inbound", "USD", "paid")]},
        orders_in_odoo={"1001": True},
    )
    assert result.lines[0].code == "currency_differs"
