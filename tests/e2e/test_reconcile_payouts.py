"""Payouts end to end: a Shopify Payments payout imported with its balance transactions (Shopify's type
names), each matched to the Odoo payment the order-to-cash flow registered (memo = the order transaction's
gid); a payout that balances
posts ONE journal entry in Odoo (clearing → bank, fees → expense), never when it does not, never twice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import close_old_connections

from reconciliation.models import Discrepancy, Payout, PayoutLine
from reconciliation.services.payouts import payout_entry_ref, payout_post, payout_settings
from reconciliation.services.runs import run_create, run_execute
from sync.engine import mappings as engine_mappings
from sync.models import MappingEntry, MappingTable
from sync.services.mappings import MappingRow, mapping_apply
from sync.transforms.timestamps import parse_shopify_timestamp

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY", "CERAMICM-SAND"]


def _accounts(pipeline) -> dict[str, int]:
    env = pipeline.rpc.env

    def account(code):
        return env["account.account"].search([("code", "=", code)], limit=1)[0]

    values = {
        "payout_journal_id": env["account.journal"].search([("type", "=", "general")], limit=1)[0],
        "payout_bank_account_id": account("101401"),
        "payout_clearing_account_id": account("101402"),
        "payout_fee_account_id": account("600000"),
        "payout_fee_rate": "0.014",
        "payout_fee_flat": "0.25",
    }
    entry = MappingEntry.objects.get(shop=pipeline.shop, table="shop", key="shop", valid_to__isnull=True)
    entry.value = {**entry.value, **values}
    entry.save()
    engine_mappings._cache.clear()
    return values


def _payouts_run(pipeline, issued):
    close_old_connections()
    run = run_create(
        shop=pipeline.shop,
        kind="payouts",
        window_start=issued - timedelta(days=1),
        window_end=issued + timedelta(days=1),
        enqueue=False,
    )
    return run_execute(run_id=run.pk)


def _pay_in_odoo(pipeline, line, amount=None):
    env = pipeline.rpc.env
    bank = env["account.journal"].search([("type", "=", "bank")], limit=1)[0]
    partner = env["res.partner"].search([], limit=1)[0]
    payment = env["account.payment"].create(
        {
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": partner,
            "amount": float(amount if amount is not None else line.amount),
            "journal_id": bank,
            "memo": f"gid://shopify/OrderTransaction/{line.source_order_transaction_id}",
        }
    )
    env["account.payment"].browse(payment).action_post()
    return payment


def _entries(pipeline, ref):
    return pipeline.rpc.env["account.move"].search_read(
        [("ref", "=", ref)], ["state", "line_ids", "move_type"]
    )


def test_a_balancing_payout_posts_one_entry_once_and_an_unexplained_one_posts_nothing(pipeline):
    # given two orders booked, invoiced and paid in Odoo by the order-to-cash flow (each payment's memo is
    # the Shopify order transaction's gid), and paid out by Shopify Payments in one payout
    pipeline.generate_orders(2, skus=SKUS, quantity=1, seed=61, gift_card=False)
    pipeline.settle(expect_jobs=2)
    built = pipeline.shopify.control.build_payouts()
    assert len(built) == 1
    issued = parse_shopify_timestamp(pipeline.shopify.control.clock()["now"])
    accounts = _accounts(pipeline)
    env = pipeline.rpc.env
    booked = env["account.payment"].search_read(
        [("memo", "like", "gid://shopify/OrderTransaction/"), ("state", "!=", "canceled")], ["memo", "amount"]
    )
    assert len(booked) == 2
    # and a person cancelled one of those payments in Odoo
    undone = booked[0]
    env["account.payment"].browse(undone["id"]).action_cancel()

    # when the payout is reconciled
    first = _payouts_run(pipeline, issued)
    assert first.status == "succeeded", first.error

    # then it is imported with its transactions, in Shopify's type names, and found not explained
    payout = Payout.objects.get(shop=pipeline.shop)
    lines = list(PayoutLine.objects.filter(payout=payout))
    charges = [line for line in lines if line.type == "CHARGE"]
    assert {line.type for line in lines} == {"CHARGE", "TRANSFER"} and len(charges) == 2
    assert payout.net == Decimal(built[0]["amount"])
    assert (payout.status, first.counts["variance"], first.counts["posted"]) == ("variance", 1, 0)
    target = next(c for c in charges if undone["memo"].endswith(f"/{c.source_order_transaction_id}"))
    assert sorted((c.pk == target.pk, c.match) for c in charges) == [
        (False, "matched"),
        (True, "payment_missing_in_odoo"),
    ]
    assert payout.expected_net == payout.net and payout.difference == 0
    assert _entries(pipeline, payout_entry_ref(payout)) == []
    assert Discrepancy.objects.filter(kind="payouts", status="open").count() == 1
    # a second import changes nothing: one row per payout and per transaction
    again = _payouts_run(pipeline, issued)
    assert Payout.objects.count() == 1 and PayoutLine.objects.count() == len(lines)
    assert again.counts["posted"] == 0

    # when the payment is booked again in Odoo, for a wrong amount
    wrong = _pay_in_odoo(pipeline, target, amount=target.amount + Decimal("1.00"))
    variance = _payouts_run(pipeline, issued)
    payout.refresh_from_db()
    # then the difference is classified and nothing is posted
    assert (payout.status, variance.counts["posted"]) == ("variance", 0)
    assert PayoutLine.objects.get(pk=target.pk).match == "amount_differs"
    assert payout.differences == ["amount_differs"]
    assert _entries(pipeline, payout_entry_ref(payout)) == []
    assert (
        payout_post(payout=payout, odoo=None, settings=payout_settings(shop=pipeline.shop)) == "not_balanced"
    )
    assert payout.bank_line_id is None  # the bank feed has not brought the deposit yet

    # when the wrong payment is replaced by the right one, and the deposit arrives in Odoo's bank feed
    env["account.payment"].browse(wrong).action_cancel()
    _pay_in_odoo(pipeline, target)
    bank_journal = env["account.journal"].search([("type", "=", "bank")], limit=1)[0]
    statement_line = env["account.bank.statement.line"].create(
        {
            "journal_id": bank_journal,
            "date": issued.date().isoformat(),
            "amount": float(payout.net),
            "payment_ref": f"SHOPIFY PAYOUT {payout.legacy_id}",
        }
    )
    posted = _payouts_run(pipeline, issued)

    # then the payout balances and ONE entry is posted: bank gets the net, fees the fees, clearing the rest
    payout.refresh_from_db()
    assert (posted.counts["matched"], posted.counts["posted"], payout.status) == (1, 1, "posted")
    assert (posted.counts["bank_matched"], payout.bank_line_id) == (1, statement_line)
    entries = _entries(pipeline, payout_entry_ref(payout))
    assert [(e["state"], e["move_type"]) for e in entries] == [("posted", "entry")]
    moves = env["account.move.line"].search_read(
        [("move_id", "=", entries[0]["id"])], ["account_id", "debit", "credit"]
    )
    fees = sum((line.fee for line in charges), Decimal("0"))
    gross = sum((line.amount for line in charges), Decimal("0"))
    assert sorted(
        (r["account_id"][0], Decimal(str(r["debit"])), Decimal(str(r["credit"]))) for r in moves
    ) == sorted(
        [
            (accounts["payout_bank_account_id"], payout.net, Decimal("0")),
            (accounts["payout_fee_account_id"], fees, Decimal("0")),
            (accounts["payout_clearing_account_id"], Decimal("0"), gross),
        ]
    )
    assert Discrepancy.objects.filter(kind="payouts", status="open").count() == 0

    # and never twice: another run, and posting again, leave one entry
    third = _payouts_run(pipeline, issued)
    assert (third.counts["already_posted"], third.counts["posted"]) == (1, 0)
    assert (
        payout_post(payout=payout, odoo=None, settings=payout_settings(shop=pipeline.shop))
        == "already_posted"
    )
    assert len(_entries(pipeline, payout_entry_ref(payout))) == 1


def _settings(pipeline, **values):
    entry = MappingEntry.objects.get(shop=pipeline.shop, table="shop", key="shop", valid_to__isnull=True)
    entry.value = {**entry.value, **values}
    entry.save()
    engine_mappings._cache.clear()


def test_a_dispute_and_a_fee_off_the_rate_are_classified_and_a_mapped_dispute_account_lets_it_post(pipeline):
    # given two orders paid in Odoo by the order-to-cash flow, one of them disputed (a withdrawal and a
    # chargeback fee), in one payout
    orders = pipeline.generate_orders(2, skus=SKUS, quantity=1, seed=63, gift_card=False)
    pipeline.settle(expect_jobs=2)
    pipeline.shopify.control.dispute(orders[0]["id"], amount="12.00", reason="product_not_received")
    assert len(pipeline.shopify.control.build_payouts()) == 1
    issued = parse_shopify_timestamp(pipeline.shopify.control.clock()["now"])
    accounts = _accounts(pipeline)
    _settings(pipeline, payout_fee_rate="0.029")  # not the shop's real rate (1.4 % + 0.25)

    # when it is reconciled
    run = _payouts_run(pipeline, issued)

    # then the dispute has no match and the fees are off the configured rate: nothing is posted
    payout = Payout.objects.get(shop=pipeline.shop)
    lines = {line.type: line.match for line in PayoutLine.objects.filter(payout=payout)}
    assert lines["DISPUTE_WITHDRAWAL"] == "dispute_without_match"
    assert lines["CHARGEBACK_FEE"] == "dispute_without_match"
    assert lines["CHARGE"] == "fee_differs_from_rate"
    assert payout.differences == ["dispute_without_match", "fee_differs_from_rate"]
    assert (payout.status, run.counts["posted"]) == ("variance", 0)
    assert _entries(pipeline, payout_entry_ref(payout)) == []
    open_codes = set(Discrepancy.objects.filter(kind="payouts", status="open").values_list("code", flat=True))
    assert open_codes == {"dispute_without_match", "fee_differs_from_rate"}

    # when finance corrects the rate and maps an account for disputes
    other = pipeline.rpc.env["account.account"].search([("code", "=", "641000")], limit=1)[0]
    _settings(pipeline, payout_fee_rate="0.014", payout_other_account_id=other)
    posted = _payouts_run(pipeline, issued)

    # then it balances and posts one entry, the dispute's 27.00 on the mapped account
    payout.refresh_from_db()
    assert (payout.status, posted.counts["posted"]) == ("posted", 1)
    [entry] = _entries(pipeline, payout_entry_ref(payout))
    moves = pipeline.rpc.env["account.move.line"].search_read(
        [("move_id", "=", entry["id"])], ["account_id", "debit", "credit"]
    )
    by_account = {r["account_id"][0]: (Decimal(str(r["debit"])), Decimal(str(r["credit"]))) for r in moves}
    assert by_account[other] == (Decimal("27.00"), Decimal("0"))
    assert by_account[accounts["payout_bank_account_id"]] == (payout.net, Decimal("0"))
    assert sum(d for d, _ in by_account.values()) == sum(c for _, c in by_account.values())
    assert Discrepancy.objects.filter(kind="payouts", status="open").count() == 0


def test_a_payout_entry_odoo_booked_otherwise_than_we_sent_is_a_discrepancy_naming_both(pipeline):
    # given a paid-out payout whose orders are paid in Odoo, and its accounts mapped
    pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=67, gift_card=False)
    pipeline.settle(expect_jobs=1)
    built = pipeline.shopify.control.build_payouts()
    issued = parse_shopify_timestamp(pipeline.shopify.control.clock()["now"])
    accounts = _accounts(pipeline)
    net = Decimal(built[0]["amount"])
    # and an entry under the payout's ref already in Odoo, booked by someone else for 1.00 less to the bank
    env = pipeline.rpc.env
    ref = f"shopify-payout:gid://shopify/ShopifyPaymentsPayout/{built[0]['id']}"
    move = env["account.move"].create(
        {
            "move_type": "entry",
            "ref": ref,
            "journal_id": accounts["payout_journal_id"],
            "line_ids": [
                (
                    0,
                    0,
                    {"account_id": accounts["payout_bank_account_id"], "debit": float(net - 1), "credit": 0},
                ),
                (
                    0,
                    0,
                    {
                        "account_id": accounts["payout_clearing_account_id"],
                        "debit": 0,
                        "credit": float(net - 1),
                    },
                ),
            ],
        }
    )
    env["account.move"].browse(move).action_post()

    # when the payout is reconciled and its entry posted (found by its ref) and read back
    run = _payouts_run(pipeline, issued)

    # then it is not taken as posted: a discrepancy names what we sent and what Odoo booked
    payout = Payout.objects.get(shop=pipeline.shop)
    assert payout_entry_ref(payout) == ref
    assert (payout.status, run.counts["posted"], payout.odoo_move_id) == ("variance", 0, move)
    assert "payout_entry_differs" in payout.differences
    found = Discrepancy.objects.get(code="payout_entry_differs", status="open")
    assert (found.amount_shopify, found.amount_odoo) == (net, net - 1)
    assert f"bank {net}" in found.shopify_value and f"bank {net - 1}" in found.odoo_value


def test_a_payout_of_an_order_booked_in_its_presentment_currency_matches_by_the_transactions_shop_money(
    pipeline,
):
    # given a EUR shop that books orders in their presentment currency, and an order presented in USD, paid
    # in Odoo by a USD payment (the transaction's presentment amount), paid out in EUR (its shop amount)
    rpc = pipeline.rpc
    [usd] = rpc.env["res.currency"].with_context(active_test=False).search([("name", "=", "USD")])
    rpc.env["res.currency"].browse(usd).write({"active": True})
    pricelist = int(rpc.env["product.pricelist"].create({"name": "Shop USD", "currency_id": usd}))
    entry = MappingEntry.objects.get(shop=pipeline.shop, table="shop", key="shop", valid_to__isnull=True)
    mapping_apply(
        shop=pipeline.shop,
        rows=[
            MappingRow(MappingTable.SHOP, entry.key, {**entry.value, "book_currency": "presentment"}),
            MappingRow(MappingTable.PRICELIST, "USD", {"pricelist_id": pricelist}),
        ],
    )
    [order] = pipeline.generate_orders(
        1, skus=SKUS, quantity=1, seed=65, gift_card=False, presentment_currency="USD", discount_code=None
    )
    pipeline.settle(expect_jobs=1)
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == "succeeded", job.error_message
    [registered] = job.result["cash"]["payments"].values()
    usd_total = Decimal(order["total_price_set"]["presentment_money"]["amount"])
    eur_total = Decimal(order["total_price_set"]["shop_money"]["amount"])
    assert usd_total != eur_total and registered["amount"] == str(usd_total)
    assert len(pipeline.shopify.control.build_payouts()) == 1
    issued = parse_shopify_timestamp(pipeline.shopify.control.clock()["now"])
    _accounts(pipeline)
    # when the payout is reconciled
    run = _payouts_run(pipeline, issued)
    assert run.status == "succeeded", run.error
    # then its charge is matched (Odoo's USD payment is the transaction's USD amount, the charge its EUR
    # amount) and the payout balances and posts
    payout = Payout.objects.get(shop=pipeline.shop)
    [charge] = PayoutLine.objects.filter(payout=payout, type="CHARGE")
    assert (charge.amount, charge.currency) == (eur_total, "EUR")
    assert (charge.match, charge.odoo_amount) == ("matched", eur_total)
    assert charge.odoo_label.endswith(f"({usd_total} USD)")
    assert (payout.status, run.counts["posted"]) == ("posted", 1)
    assert Discrepancy.objects.filter(kind="payouts", status="open").count() == 0
