"""The weekly integrity sample: a seeded (repeatable) sample of mapped products and linked customers, each
difference a discrepancy with both values (customer values masked)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from reconciliation.matchers.integrity import (
    CustomerSide,
    ProductSide,
    compare_customers,
    compare_products,
    sample,
)
from reconciliation.models import Discrepancy
from reconciliation.services.runs import run_create, run_execute, runs_weekly
from sync.connectors.odoo import ProductInfo
from sync.connectors.shopify.types import Customer
from sync.models import ExternalLink, MappingTable
from sync.services.mappings import MappingRow, mapping_apply
from tests.factories import ShopifyShopFactory


def test_the_sample_is_the_same_for_the_same_seed_and_bounded_by_the_population():
    population = [f"SKU-{i}" for i in range(100)]
    assert sample(population, 10, "1:2026-11-23") == sample(list(reversed(population)), 10, "1:2026-11-23")
    assert sample(population, 10, "1:2026-11-23") != sample(population, 10, "1:2026-11-30")
    assert sample(population[:3], 10, "x") == sorted(population[:3])


def test_products_and_customers_differences_are_named_with_both_values():
    products = compare_products(
        ["A", "B", "C", "D"],
        {
            "A": ProductSide(Decimal("10.00"), True),
            "B": ProductSide(Decimal("9.00"), True),
            "D": ProductSide(Decimal("1"), False),
        },
        {
            "A": ProductSide(Decimal("10.00"), True),
            "B": ProductSide(Decimal("9.50"), True),
            "C": ProductSide(Decimal("1"), True),
            "D": ProductSide(Decimal("1"), True),
        },
        "EUR",
    )
    assert [(f.code, f.subject, f.shopify_value, f.odoo_value) for f in products] == [
        ("product_price_differs", "sku:B", "9.00 EUR", "9.50 EUR"),
        ("product_missing_in_shopify", "sku:C", "no variant", "1 EUR"),
        ("product_active_differs", "sku:D", "not active", "active"),
    ]
    customers = compare_customers(
        [
            (
                "1",
                CustomerSide("Jane@Example.com", "Jane  Doe"),
                CustomerSide("jane@example.com", "jane doe"),
            ),
            (
                "2",
                CustomerSide("bob@example.com", "Bob Norman"),
                CustomerSide("bob@other.org", "Robert Norman"),
            ),
            ("3", CustomerSide("x@example.com", "X"), None),
        ]
    )
    assert [(f.code, f.subject, f.shopify_value, f.odoo_value) for f in customers] == [
        ("customer_email_differs", "customer:2", "b***@e***.com", "b***@o***.org"),
        ("customer_name_differs", "customer:2", "B*** N***", "R*** N***"),
        ("customer_missing_in_odoo", "customer:3", "present", "—"),
    ]


class FakeShopify:
    def variant_prices_by_sku(self, skus):
        prices = {"SKU-1": (Decimal("10.00"), "ACTIVE"), "SKU-2": (Decimal("12.00"), "ACTIVE")}
        return {s: prices[s] for s in skus if s in prices}

    def get_customer(self, customer_id):
        return Customer(
            f"gid://shopify/Customer/{customer_id}",
            int(customer_id),
            "jane@example.com",
            "Jane",
            "Doe",
            None,
            None,
            (),
            datetime(2026, 11, 1, tzinfo=UTC),
        )


class FakeOdoo:
    def find_products_by_sku(self, skus):
        prices = {"SKU-1": "10.0", "SKU-2": "12.5"}
        return {
            s: ProductInfo(1, s, s, "", Decimal(prices[s]), "consu", True, True) for s in skus if s in prices
        }

    def read_partner(self, partner_id):
        return {"name": "Jane Doe", "email": "jane.doe@example.com"}


@pytest.fixture
def shop(db):
    shop = ShopifyShopFactory(domain="integrity.myshopify.com")
    mapping_apply(
        shop=shop,
        rows=[
            MappingRow(MappingTable.SHOP, "shop", {"company_id": 1, "currency": "EUR"}),
            MappingRow(MappingTable.SKU, "SKU-1", {"product_id": 1}),
            MappingRow(MappingTable.SKU, "SKU-2", {"product_id": 2}),
        ],
    )
    ExternalLink.objects.create(
        shop=shop, kind="customer", shopify_id="7001", odoo_model="res.partner", odoo_id=5
    )
    return shop


def test_the_weekly_run_records_the_sample_s_differences_once_and_a_rerun_finds_the_same(shop):
    runs = runs_weekly(today=date(2026, 11, 30), enqueue=False)
    assert runs_weekly(today=date(2026, 11, 30), enqueue=False) == []
    run = run_execute(run_id=runs[0].pk, shopify=FakeShopify(), odoo=FakeOdoo())
    assert (run.window_start, run.window_end) == (
        datetime(2026, 11, 23, tzinfo=UTC),
        datetime(2026, 11, 30, tzinfo=UTC),
    )
    found = sorted(Discrepancy.objects.values_list("code", "subject", "amount_shopify", "amount_odoo"))
    assert found == [
        ("customer_email_differs", "customer:7001", None, None),
        ("product_price_differs", "sku:SKU-2", Decimal("12.00"), Decimal("12.50")),
    ]
    assert (run.counts["products_sampled"], run.counts["customers_sampled"], run.counts["differences"]) == (
        2,
        1,
        2,
    )
    again = run_create(
        shop=shop, kind="integrity", window_start=run.window_start, window_end=run.window_end, enqueue=False
    )
    again = run_execute(run_id=again.pk, shopify=FakeShopify(), odoo=FakeOdoo())
    assert again.counts == run.counts
    assert Discrepancy.objects.count() == 2 and set(
        Discrepancy.objects.values_list("times_seen", flat=True)
    ) == {2}
