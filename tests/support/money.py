"""An order's money as each system holds it, for end-to-end tests that compare them to the cent.

Odoo's side is read from Odoo: the order's posted customer invoices and credit notes (``account.move``,
``amount_total`` and ``amount_residual``) and the payments whose memo is one of Shopify's transaction gids
(``account.payment``, inbound or outbound). Shopify's side is read from Shopify's Admin API
(``Order.currentTotalPriceSet``, ``netPaymentSet``, ``totalOutstandingSet`` and the transactions).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sync.connectors.odoo import OdooClient
from sync.connectors.shopify.client import ShopifyClient

ZERO = Decimal(0)


@dataclass(frozen=True)
class OdooMoney:
    invoiced: Decimal  # posted customer invoices
    credited: Decimal  # posted credit notes
    received: Decimal  # inbound payments of Shopify's transactions
    paid_out: Decimal  # outbound payments of Shopify's refund transactions
    residual: Decimal  # what the invoices still owe less what the credit notes still owe
    drafts: int  # customer invoices or credit notes left in draft

    @property
    def receivable(self) -> Decimal:
        return self.invoiced - self.credited - self.received + self.paid_out


@dataclass(frozen=True)
class ShopifyMoney:
    current_total: Decimal  # what the customer owes for what they keep
    net_payment: Decimal  # received less refunded
    outstanding: Decimal
    transaction_ids: tuple[str, ...]

    @property
    def receivable(self) -> Decimal:
        return self.current_total - self.net_payment


def shopify_money(shopify: ShopifyClient, order_id: int | str) -> ShopifyMoney:
    money = shopify.order_money(order_id)
    assert money is not None
    data: dict[str, Any] = shopify.graphql(
        "query($id: ID!) { order(id: $id) { currentTotalPriceSet { shopMoney { amount } } } }",
        {"id": f"gid://shopify/Order/{order_id}"},
    )
    current = Decimal(data["order"]["currentTotalPriceSet"]["shopMoney"]["amount"])
    succeeded = tuple(
        t.id
        for t in money.transactions
        if t.status.upper() == "SUCCESS" and t.kind.upper() in ("SALE", "CAPTURE", "REFUND")
    )
    return ShopifyMoney(current, money.net_payment.amount, money.outstanding.amount, succeeded)


def odoo_money(odoo: OdooClient, order_name: str, transaction_ids: tuple[str, ...]) -> OdooMoney:
    moves = odoo.invoices_for_order(order_name)
    posted = [m for m in moves if m.state == "posted"]
    invoices = [m for m in posted if m.move_type == "out_invoice"]
    credits = [m for m in posted if m.move_type == "out_refund"]
    received = paid_out = ZERO
    for gid in transaction_ids:
        for payment in odoo.payments_for_reference(gid):
            if payment.memo != gid or payment.state in ("draft", "canceled", "cancel"):
                continue
            if payment.payment_type == "inbound":
                received += payment.amount
            else:
                paid_out += payment.amount
    return OdooMoney(
        invoiced=sum((m.amount_total for m in invoices), ZERO),
        credited=sum((m.amount_total for m in credits), ZERO),
        received=received,
        paid_out=paid_out,
        residual=sum((m.amount_residual for m in invoices), ZERO)
        - sum((m.amount_residual for m in credits), ZERO),
        drafts=len([m for m in moves if m.state == "draft"]),
    )


def assert_money_agrees(
    shopify: ShopifyClient, odoo: OdooClient, order_id: int | str, order_name: str
) -> None:
    """Both systems agree on the order's money to the cent: nothing left in draft, invoices less credit
    notes equal Shopify's current total, payments less payouts equal its net payment, nothing owed."""
    theirs = shopify_money(shopify, order_id)
    ours = odoo_money(odoo, order_name, theirs.transaction_ids)
    assert ours.drafts == 0
    assert ours.invoiced - ours.credited == theirs.current_total
    assert ours.received - ours.paid_out == theirs.net_payment
    assert ours.receivable == theirs.receivable == theirs.outstanding == ZERO
    assert ours.residual == ZERO
