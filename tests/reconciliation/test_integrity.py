"""The weekly integrity sample: a seeded (repeatable) sample of mapped products and linked customers, each
difference a discrepancy with both values (customer values masked)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from reconciliation.matchers.integrity import (
    CustomerSide,
    ProductSide,
    StockSide,
    compare_customers,
    compare_products,
    compare_stock,
    sample,
)
from reconciliation.models import Discrepancy
from reconciliation.services.runs import run_create, run_execute, runs_weekly
from sync.connectors.odoo import ProductInfo, QuantInfo
from sync.connectors.shopify.types import Customer, InventoryItemLevels
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


def test_stock_levels_differ_only_outside_what_sales_on_their_way_to_odoo_explain():
    found = compare_stock(
        [
            ("A", "1", 5, StockSide(5)),  # equal
            ("B", "1", 3, StockSide(5, pending_sales=2)),  # two sold, not yet in Odoo: fine
            ("C", "1", 2, StockSide(5, pending_sales=2)),  # one more missing than the pending sales explain
            ("D", "1", 6, StockSide(5)),  # Shopify offers more than Odoo may sell (an oversell risk)
            ("E", "1", None, StockSide(4)),  # not stocked at the location in Shopify
        ]
    )
    assert [(f.code, f.subject, f.shopify_value, f.odoo_value) for f in found] == [
        ("stock_level_differs", "stock:C@1", "2", "5 (2 sold, not yet in Odoo)"),
        ("stock_level_differs", "stock:D@1", "6", "5"),
        ("stock_level_differs", "stock:E@1", "not stocked", "4"),
    ]


class FakeShopifyWithStock(FakeShopify):
    def inventory_levels_by_sku(self, skus, locations):
        available = {"SKU-1": 7, "SKU-2": 9}  # SKU-2: Shopify offers 9, Odoo may sell 4
        return {
            s: InventoryItemLevels(s, f"gid://shopify/InventoryItem/{i}", "", "", True, {"L1": available[s]})
            for i, s in enumerate(skus)
            if "L1" in locations
        }


class FakeOdooWithStock(FakeOdoo):
    def stock_location_parents(self, location_ids):
        return {8: None}

    def stock_quants(self, product_ids, location_ids):
        on_hand = {1: ("10", "3"), 2: ("6", "2")}  # (quantity, reserved): 7 and 4 to sell
        return [
            QuantInfo(pid, pid, 8, Decimal(on_hand[pid][0]), Decimal(on_hand[pid][1]))
            for pid in product_ids
            if pid in on_hand
        ]


def test_the_weekly_sample_compares_stock_available_to_sell_per_mapped_location(shop):
    # given the shop pushes stock: Shopify location L1 is Odoo's location 8
    mapping_apply(shop=shop, rows=[MappingRow(MappingTable.LOCATION, "L1", {"location_id": 8})])
    [run] = runs_weekly(today=date(2026, 11, 30), enqueue=False)

    run = run_execute(run_id=run.pk, shopify=FakeShopifyWithStock(), odoo=FakeOdooWithStock())

    # then the level that differs is a discrepancy with both values, the equal one is not
    stock = Discrepancy.objects.filter(code="stock_level_differs")
    assert list(stock.values_list("subject", "shopify_value", "odoo_value")) == [("stock:SKU-2@L1", "9", "4")]
    assert run.counts["stock_levels_sampled"] == 2
