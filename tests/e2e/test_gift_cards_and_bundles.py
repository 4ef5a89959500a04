"""Gift cards and bundles through both stand-ins with a real worker: a gift card sold is booked on the shop's
gift-card service product (income account: the gift-card liability), never delivered; a gift card redeemed
pays the invoice through the payment method line whose outstanding account is that liability; a bundle is
booked as its kit or as its components, every total Shopify's to the cent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sandbox import catalogue
from sync.connectors.odoo import OdooClient, connect
from sync.models import ExternalLink, JobState, MappingEntry, MappingTable
from sync.services.mappings import MappingRow, mapping_apply
from tests.support.odoo import odoo_config

pytestmark = pytest.mark.e2e

STANDARD = catalogue.TAXES["standard"]
TAX = [str(STANDARD["shopify_title"]), str(STANDARD["rate"])]


def _client(pipeline: Any) -> OdooClient:
    return connect(odoo_config(pipeline.odoo))


def _order(pipeline: Any, seed: int, **options: Any) -> dict[str, Any]:
    opts = {
        "skus": ["MERINOTE-M-NAVY"],
        "quantity": 1,
        "seed": seed,
        "discount_code": None,
        "automatic_discount": False,
        "gift_card": False,
        "shipping": "STANDARD",
        "presentment_currency": "EUR",
        "guest": False,
    }
    opts.update(options)
    return pipeline.generate_orders(1, **opts)[0]  # type: ignore[no-any-return]


def _gift_card_setup(pipeline: Any) -> dict[str, int]:
    """What a retailer's Odoo holds for gift cards: a liability account, a service product whose income
    account it is, and on the gift-card journal an incoming payment method line whose outstanding account it
    is (Odoo's own objects, created as a person would)."""
    env = pipeline.rpc.env
    account = env["account.account"].create(
        {
            "code": "259100",
            "name": "Gift cards outstanding",
            "account_type": "liability_current",
            "reconcile": True,
        }
    )
    product = env["product.product"].create(
        {
            "name": "Gift card",
            "default_code": "GIFT-CARD",
            "type": "service",
            "list_price": 0.0,
            "invoice_policy": "order",
            "taxes_id": [(6, 0, [])],
            "property_account_income_id": account,
        }
    )
    [journal] = env["account.journal"].search([("code", "=", "GIFT")])
    [manual] = env["account.payment.method"].search(
        [("code", "=", "manual"), ("payment_type", "=", "inbound")]
    )
    method_line = env["account.payment.method.line"].create(
        {
            "name": "Gift card redemption",
            "journal_id": journal,
            "payment_method_id": manual,
            "payment_account_id": account,
        }
    )
    return {"account": account, "product": product, "journal": journal, "method_line": method_line}


def _map(pipeline: Any, rows: list[MappingRow]) -> None:
    mapping_apply(shop=pipeline.shop, rows=rows)


def _shop_row(pipeline: Any, **values: Any) -> MappingRow:
    entry = MappingEntry.objects.get(shop=pipeline.shop, table=MappingTable.SHOP, valid_to__isnull=True)
    return MappingRow(MappingTable.SHOP, entry.key, {**entry.value, **values})


def _gateway_row(pipeline: Any, gateway: str, **values: Any) -> MappingRow:
    entry = MappingEntry.objects.get(
        shop=pipeline.shop, table=MappingTable.GATEWAY, key=gateway, valid_to__isnull=True
    )
    return MappingRow(MappingTable.GATEWAY, gateway, {**entry.value, **values})


def _link(pipeline: Any, order: dict[str, Any]) -> ExternalLink:
    return ExternalLink.objects.get(shop=pipeline.shop, kind="order", shopify_id=str(order["id"]))


def test_a_gift_card_sold_is_booked_on_the_liability_product_exact_and_not_delivered(pipeline: Any) -> None:
    # given the shop's gift-card product mapped
    odoo = _gift_card_setup(pipeline)
    _map(pipeline, [_shop_row(pipeline, gift_card_product_id=odoo["product"])])
    # when a paid order of a T-shirt and a 50.00 gift card is handled
    order = _order(
        pipeline,
        181,
        custom_lines=[{"title": "Gift card", "price": "50.00", "quantity": 1, "gift_card": True}],
    )
    [card] = [li for li in order["line_items"] if li["gift_card"]]
    pipeline.settle(expect_jobs=1)
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == JobState.SUCCEEDED, job.error_message
    # then the sale order has one line of the gift-card product at 50.00 and totals Shopify's
    client = _client(pipeline)
    link = _link(pipeline, order)
    info = client.read_order(link.odoo_id)
    assert info is not None
    assert info.amount_total == Decimal(order["total_price"])
    assert info.amount_tax == Decimal(order["total_tax"])
    gift_lines = [line for line in info.lines if line.product_id == odoo["product"]]
    assert [(line.quantity, line.price_unit) for line in gift_lines] == [(Decimal(1), Decimal("50.00"))]
    assert Decimal(card["price"]) == Decimal("50.00") and card["tax_lines"] == []
    # and Odoo's delivery holds the T-shirt, not the card
    pickings = client.order_pickings(link.odoo_id)
    moves = [m for ms in client.picking_moves([p.id for p in pickings]).values() for m in ms]
    assert moves and {m.sku for m in moves} == {"MERINOTE-M-NAVY"}
    # and the invoice books the card on the gift-card liability, exact to the cent
    invoice = client.read_invoice(job.result["cash"]["odoo_invoice_id"])
    assert invoice is not None and invoice.amount_total == Decimal(order["total_price"])
    assert invoice.payment_state == "paid"
    [card_line] = pipeline.rpc.env["account.move.line"].search_read(
        [("move_id", "=", invoice.id), ("product_id", "=", odoo["product"])], ["account_id", "credit"]
    )
    assert (card_line["account_id"][0], Decimal(str(card_line["credit"]))) == (
        odoo["account"],
        Decimal("50.00"),
    )


def test_a_gift_card_without_its_product_parks_and_is_booked_once_it_is_mapped(pipeline: Any) -> None:
    # given no gift-card product mapped
    odoo = _gift_card_setup(pipeline)
    order = _order(
        pipeline,
        182,
        custom_lines=[{"title": "Gift card", "price": "25.00", "quantity": 2, "gift_card": True}],
    )
    pipeline.settle(expect_jobs=1)
    # then the order parks naming the cause, and nothing is in Odoo
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == JobState.NEEDS_ATTENTION
    assert (job.error_code, job.error_key) == ("gift_card_not_mapped", "shop")
    assert pipeline.sale_orders(order["id"]) == []
    # when a product that is not a liability is mapped, it still parks, naming why
    [tee] = pipeline.rpc.env["product.product"].search([("default_code", "=", "MERINOTE-M-NAVY")])
    _map(pipeline, [_shop_row(pipeline, gift_card_product_id=tee)])
    pipeline.settle(expect_jobs=1)
    job.refresh_from_db()
    assert (job.state, job.error_code) == (JobState.NEEDS_ATTENTION, "gift_card_product_invalid")
    assert "not a service" in job.error_message
    assert pipeline.sale_orders(order["id"]) == []
    # when the gift-card product is mapped, the parked order is replayed and booked exact
    _map(pipeline, [_shop_row(pipeline, gift_card_product_id=odoo["product"])])
    pipeline.settle(expect_jobs=1)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error_message
    [sale] = pipeline.sale_orders(order["id"])
    assert Decimal(str(sale["amount_total"])) == Decimal(order["total_price"])


def test_a_gift_card_redeemed_pays_through_the_liability_account(pipeline: Any) -> None:
    # given the gift_card gateway mapped to the journal's redemption method line
    odoo = _gift_card_setup(pipeline)
    _map(pipeline, [_gateway_row(pipeline, "gift_card", payment_method_line_id=odoo["method_line"])])
    # when an order paid 20.00 by gift card and the rest by card is handled
    order = _order(pipeline, 183, gift_card="20.00")
    pipeline.settle(expect_jobs=1)
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == JobState.SUCCEEDED, job.error_message
    cash = job.result["cash"]
    # then the invoice is paid, and the gift card's payment moved 20.00 out of the gift-card liability
    client = _client(pipeline)
    invoice = client.read_invoice(cash["odoo_invoice_id"])
    assert invoice is not None and (invoice.payment_state, invoice.amount_residual) == ("paid", Decimal(0))
    [gift] = [gid for gid, p in cash["payments"].items() if p["gateway"] == "gift_card"]
    [payment] = client.payments_for_reference(gift)
    assert payment.amount == Decimal("20.00")
    [row] = pipeline.rpc.env["account.payment"].read(
        [payment.id], ["outstanding_account_id", "payment_method_line_id", "move_id"]
    )
    assert row["payment_method_line_id"][0] == odoo["method_line"]
    assert row["outstanding_account_id"][0] == odoo["account"]
    liability = pipeline.rpc.env["account.move.line"].search_read(
        [("move_id", "=", row["move_id"][0]), ("account_id", "=", odoo["account"])], ["debit", "credit"]
    )
    assert [(Decimal(str(x["debit"])), Decimal(str(x["credit"]))) for x in liability] == [
        (Decimal("20.00"), Decimal(0))
    ]
    # and the card's part by Shopify Payments is not on the liability
    [other] = [gid for gid, p in cash["payments"].items() if p["gateway"] == "shopify_payments"]
    [card_payment] = client.payments_for_reference(other)
    [card_row] = pipeline.rpc.env["account.payment"].read([card_payment.id], ["outstanding_account_id"])
    assert card_row["outstanding_account_id"][0] != odoo["account"]


def _product_id(pipeline: Any, sku: str) -> int:
    [pid] = pipeline.rpc.env["product.product"].search([("default_code", "=", sku)])
    return int(pid)


def test_a_bundle_sold_as_a_kit_is_one_line_of_the_kit_exact(pipeline: Any) -> None:
    # given a kit product in Odoo and the bundle SKU mapped to it
    kit = pipeline.rpc.env["product.product"].create(
        {"name": "Coffee gift set", "default_code": "KIT-COFFEE", "type": "consu", "list_price": 59.0}
    )
    _map(pipeline, [MappingRow(MappingTable.BUNDLE, "BUNDLE-COFFEE", {"mode": "kit", "product_id": kit})])
    # when an order of two bundles is handled
    order = _order(
        pipeline,
        184,
        custom_lines=[
            {"title": "Coffee gift set", "sku": "BUNDLE-COFFEE", "price": "59.00", "quantity": 2, "tax": TAX}
        ],
        discount_code="WELCOME10",
    )
    pipeline.settle(expect_jobs=1)
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == JobState.SUCCEEDED, job.error_message
    # then the order is the kit, twice, and totals Shopify's
    info = _client(pipeline).read_order(_link(pipeline, order).odoo_id)
    assert info is not None
    kits = [line for line in info.lines if line.product_id == kit]
    assert sum((line.quantity for line in kits), Decimal(0)) == 2
    assert all(line.name.startswith("Coffee gift set") for line in kits)
    assert (info.amount_total, info.amount_tax) == (
        Decimal(order["total_price"]),
        Decimal(order["total_tax"]),
    )


@pytest.mark.parametrize("split", ["ratio", "list_price"])
def test_a_bundle_sold_as_its_components_is_split_exact(pipeline: Any, split: str) -> None:
    # given a bundle of a mug and two bags of beans
    mug, beans = _product_id(pipeline, "CERAMICM-SAND"), _product_id(pipeline, "COFFEEBE-WHOLE")
    components = [
        {"product_id": mug, "quantity": 1, "ratio": "1", "name": "Mug"},
        {"product_id": beans, "quantity": 2, "ratio": "2", "name": "Beans"},
    ]
    if split == "list_price":
        components = [{k: v for k, v in c.items() if k != "ratio"} for c in components]
    _map(
        pipeline,
        [
            MappingRow(
                MappingTable.BUNDLE,
                "BUNDLE-BREW",
                {"mode": "components", "split": split, "components": components},
            )
        ],
    )
    # when an order of three bundles at 33.33 (a 10 % code off) and a T-shirt is handled
    order = _order(
        pipeline,
        185,
        custom_lines=[
            {"title": "Brew set", "sku": "BUNDLE-BREW", "price": "33.33", "quantity": 3, "tax": TAX}
        ],
        discount_code="WELCOME10",
    )
    [bundle] = [li for li in order["line_items"] if li["sku"] == "BUNDLE-BREW"]
    pipeline.settle(expect_jobs=1)
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == JobState.SUCCEEDED, job.error_message
    # then the components are on the order, 3 mugs and 6 bags, adding up to the bundle line exactly
    info = _client(pipeline).read_order(_link(pipeline, order).odoo_id)
    assert info is not None
    parts = [line for line in info.lines if line.product_id in (mug, beans)]
    quantities = {
        pid: sum((x.quantity for x in parts if x.product_id == pid), Decimal(0)) for pid in (mug, beans)
    }
    assert quantities == {mug: Decimal(3), beans: Decimal(6)}
    net = Decimal(bundle["price"]) * 3 - sum(
        (Decimal(a["amount"]) for a in bundle["discount_allocations"]), Decimal(0)
    )
    assert sum((x.price_unit * x.quantity for x in parts), Decimal(0)) == net
    mug_share = sum((x.price_unit * x.quantity for x in parts if x.product_id == mug), Decimal(0))
    # ratio 1 : 2; list price 16.00 : 2 x 12.90
    expected_share = net / 3 if split == "ratio" else net * Decimal("16.00") / Decimal("41.80")
    assert abs(mug_share - expected_share) <= Decimal("0.05")
    assert (info.amount_total, info.amount_tax) == (
        Decimal(order["total_price"]),
        Decimal(order["total_tax"]),
    )
    # and Odoo delivers the components
    client = _client(pipeline)
    pickings = client.order_pickings(info.id)
    moves = [m for ms in client.picking_moves([p.id for p in pickings]).values() for m in ms]
    assert {m.sku for m in moves} == {"CERAMICM-SAND", "COFFEEBE-WHOLE", "MERINOTE-M-NAVY"}


def test_a_kit_delivered_as_its_components_comes_back_as_its_components_when_refunded_with_a_return(
    pipeline: Any,
) -> None:
    # given Odoo with mrp: a kit of a mug and two bags of beans (phantom bill of materials), the bundle SKU
    # mapped to it, and a paid order of two kits and a tee, invoiced and delivered (as the components)
    env = pipeline.rpc.env
    kit = env["product.product"].create(
        {"name": "Brew kit", "default_code": "KIT-BREW", "type": "consu", "list_price": 39.9}
    )
    pipeline.odoo.control.add_kit("KIT-BREW", [("CERAMICM-SAND", 1), ("COFFEEBE-WHOLE", 2)])
    mug, beans = _product_id(pipeline, "CERAMICM-SAND"), _product_id(pipeline, "COFFEEBE-WHOLE")
    _map(pipeline, [MappingRow(MappingTable.BUNDLE, "BUNDLE-KIT", {"mode": "kit", "product_id": kit})])
    order = _order(
        pipeline,
        185,
        custom_lines=[
            {"title": "Brew kit", "sku": "BUNDLE-KIT", "price": "39.90", "quantity": 2, "tax": TAX}
        ],
    )
    pipeline.settle(expect_jobs=1)
    [job] = pipeline.order_jobs(order["id"], "order.upsert")
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert job.result["cash"]["payment_state"] == "paid"
    client = _client(pipeline)
    odoo_id = _link(pipeline, order).odoo_id
    [delivery] = client.order_pickings(odoo_id)
    client.validate_picking(delivery.id)
    info = client.read_order(odoo_id)
    assert info is not None
    [kit_line] = [line for line in info.lines if line.product_id == kit]
    assert kit_line.qty_delivered == 2
    # when Shopify refunds one kit, restocked as a return
    bundle = next(li for li in order["line_items"] if li["sku"] == "BUNDLE-KIT")
    before = len(pipeline.jobs())
    refund = pipeline.shopify.control.refund(
        order["id"], line_items=[{"line_item_id": bundle["id"], "quantity": 1, "restock_type": "return"}]
    )
    pipeline.settle(expect_jobs=before + 1)
    [job] = pipeline.jobs(subject=f"order:{order['id']}", kind="refund.create")
    assert job.state == JobState.SUCCEEDED, job.error_message
    # then the delivery's return takes back one kit's components (a mug, two bags), validated
    [ret] = job.result["returns"]
    assert ret["quantities"] == {str(mug): "1", str(beans): "2"}
    [read] = client.execute("stock.picking", "read", [ret["return_id"]], fields=["state", "origin"])
    assert read["state"] == "done" and delivery.name in read["origin"]
    moves = client.picking_moves([ret["return_id"]])[ret["return_id"]]
    assert sorted((m.product_id, m.quantity) for m in moves) == sorted(
        [(mug, Decimal(1)), (beans, Decimal(2))]
    )
    # and the kit line counts one kit delivered, the tee untouched, nothing taken off the order
    info = client.read_order(odoo_id)
    assert info is not None
    [kit_line] = [line for line in info.lines if line.product_id == kit]
    assert (kit_line.quantity, kit_line.qty_delivered) == (Decimal(2), Decimal(1))
    [tee] = [line for line in info.lines if line.sku == "MERINOTE-M-NAVY"]
    assert tee.qty_delivered == 1
    # and the credit note is the refund, to the cent
    refunded = sum(
        (Decimal(t["amount"]) for t in refund["transactions"] if t["kind"] == "refund"), Decimal(0)
    )
    credit = client.read_invoice(job.result["odoo_credit_note_id"])
    assert credit is not None and credit.amount_total == refunded
    assert (credit.payment_state, credit.amount_residual) == ("paid", Decimal(0))
