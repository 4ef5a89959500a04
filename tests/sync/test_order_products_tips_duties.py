"""The products an order's tip and duties are booked on, checked in Odoo (a running Odoo stand-in) before
anything is written (sync/flows/order_products.py): without a mapped product the order parks as
``tip_not_mapped`` / ``duties_not_mapped`` naming the order and the amount; a mapped product that is missing,
archived or not a service parks as ``tip_product_invalid`` / ``duties_product_invalid`` naming what is wrong;
an active service passes. Nothing is written to Odoo either way."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from opsconsole.core.errors import BusinessRuleError
from sandbox.odoo.testing import RunningOdooSandbox, odoo_sandbox
from sync.connectors.odoo import connect
from sync.flows.context import JobContext
from sync.flows.order_products import with_order_products
from sync.models import SyncJob
from sync.transforms import order_to_odoo
from tests.factories import ShopifyShopFactory
from tests.support.odoo import Rpc, odoo_config
from tests.transforms.builders import LineSpec, OrderSpec, ShippingSpec, build_order, mappings_for

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def odoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningOdooSandbox]:
    with odoo_sandbox(tmp_path_factory.mktemp("odoo-order-products")) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def products(odoo: RunningOdooSandbox) -> dict[str, int]:
    rpc = Rpc(odoo)
    service = {"type": "service", "list_price": 0.0, "invoice_policy": "order", "taxes_id": [(6, 0, [])]}
    archived = rpc.create("product.product", {"name": "Old tips", **service})
    rpc("product.product", "write", [archived], {"active": False})
    return {
        "tip": rpc.create("product.product", {"name": "Tips", **service}),
        "duties": rpc.create("product.product", {"name": "Import duties", **service}),
        "goods": rpc.create("product.product", {"name": "Boxed duties", "type": "consu", "list_price": 1.0}),
        "archived": archived,
    }


def _ctx(odoo: RunningOdooSandbox) -> JobContext:
    job = SyncJob.objects.create(
        kind="order.upsert",
        flow="orders",
        shop=ShopifyShopFactory(),
        idempotency_key="order-products",
        subject="order:1001",
        input={},
    )
    client = connect(odoo_config(odoo))
    return JobContext(
        job=job,
        odoo_factory=lambda: client,
        shopify_factory=lambda: None,  # type: ignore[arg-type,return-value]
        mappings_loader=mappings_for,
        on_auth_failure=lambda exc: None,
    )


def _order(*, tip: str = "0.00", duties: str | None = None) -> dict[str, Any]:
    order = build_order(
        OrderSpec(
            [
                LineSpec(Decimal("10.00"), 1, Decimal(0), ("VAT 20%",)),
                LineSpec(Decimal("5.00"), 1, Decimal(0), (), sku="SKU-2"),
            ],
            [ShippingSpec(Decimal("4.00"))],
        )
    )
    extra = Decimal(tip) + Decimal(duties or "0")
    order["total_tip_received"] = tip
    if duties is not None:
        bag = {
            "shop_money": {"amount": duties, "currency_code": "EUR"},
            "presentment_money": {"amount": duties, "currency_code": "EUR"},
        }
        order["original_total_duties_set"] = order["current_total_duties_set"] = bag
        order["line_items"][0]["duties"] = [
            {
                "id": "7",
                "harmonized_system_code": "610910",
                "country_code_of_origin": "PT",
                **bag,
                "tax_lines": [],
            }
        ]
    total = str(Decimal(order["total_price"]) + extra)
    order["total_price"] = total
    order["total_price_set"]["shop_money"]["amount"] = total
    return order


def _raised(ctx: JobContext, order: dict[str, Any], **products: int | None) -> BusinessRuleError:
    with pytest.raises(BusinessRuleError) as raised:
        mappings = with_order_products(ctx, replace(mappings_for(), **products), order)
        order_to_odoo(order, mappings)
    return raised.value


def test_a_tip_without_a_tip_product_parks_as_tip_not_mapped_naming_the_order_and_the_tip(odoo, products):
    error = _raised(_ctx(odoo), _order(tip="2.50"), tip_product_id=None)

    assert (error.code, error.key) == ("tip_not_mapped", "shop")
    assert error.message.startswith("order #1001: it received a tip of 2.50")


@pytest.mark.parametrize(
    ("which", "why"),
    [
        ("goods", "is of type 'consu', not a service"),
        ("archived", "(Old tips) is archived"),
        ("missing", "does not exist"),
    ],
)
def test_a_tip_product_that_is_no_active_service_parks_as_tip_product_invalid(odoo, products, which, why):
    product = products.get(which, 10**9)

    error = _raised(_ctx(odoo), _order(tip="2.50"), tip_product_id=product)

    assert (error.code, error.key) == ("tip_product_invalid", "shop")
    assert error.message.startswith(
        f"order #1001 received a tip of 2.50, and the shop's tip product cannot take it: Odoo product "
        f"{product}"
    )
    assert why in error.message and error.message.endswith("Nothing was booked.")
    assert error.details == {"order_id": "1001", "tip_product_id": product}


def test_duties_without_a_duties_product_park_as_duties_not_mapped_naming_the_order_and_the_duties(
    odoo, products
):
    error = _raised(_ctx(odoo), _order(duties="3.20"), duties_product_id=None)

    assert (error.code, error.key) == ("duties_not_mapped", "shop")
    assert error.message.startswith("order #1001: Shopify charged import duties of 3.20 EUR")
    assert "duties_product_id" in error.message and "Nothing was booked" in error.message


@pytest.mark.parametrize(
    ("which", "why"),
    [
        ("goods", "is of type 'consu', not a service"),
        ("archived", "(Old tips) is archived"),
        ("missing", "does not exist"),
    ],
)
def test_a_duties_product_that_is_no_active_service_parks_as_duties_product_invalid(
    odoo, products, which, why
):
    product = products.get(which, 10**9)

    error = _raised(_ctx(odoo), _order(duties="3.20"), duties_product_id=product)

    assert (error.code, error.key) == ("duties_product_invalid", "shop")
    assert error.message.startswith(
        f"order #1001 was charged import duties of 3.20 EUR, and the shop's duties product cannot take them: "
        f"Odoo product {product}"
    )
    assert why in error.message and error.message.endswith("Nothing was booked.")


def test_an_active_service_takes_the_tip_and_the_duties_to_shopifys_total(odoo, products):
    order = _order(tip="2.50", duties="3.20")
    mappings = replace(mappings_for(), tip_product_id=products["tip"], duties_product_id=products["duties"])

    draft = order_to_odoo(order, with_order_products(_ctx(odoo), mappings, order))

    extra = [(line.kind, line.product_id, line.price_unit, line.tax_ids) for line in draft.lines[-2:]]
    assert extra == [
        ("tip", products["tip"], Decimal("2.50"), ()),
        ("duties", products["duties"], Decimal("3.20"), ()),
    ]
    assert draft.expected_totals.matches
    assert draft.expected_totals.amount_total == Decimal(order["total_price"]) == Decimal("26.70")
    assert "Duties charged: 3.20 EUR" in draft.note
