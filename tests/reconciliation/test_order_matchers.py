"""The order matchers are pure: no database, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from reconciliation.matchers.orders import (
    CANCELLED_IN_ODOO_ONLY,
    CANCELLED_IN_SHOPIFY_ONLY,
    DUPLICATE_IN_ODOO,
    MISSING_IN_ODOO,
    MISSING_IN_SHOPIFY,
    TOTAL_DIFFERS,
    OdooOrder,
    ShopifyOrder,
    match_orders_page,
    odoo_only,
)

T = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def shopify(order_id: int, total: str = "10.00", *, cancelled: bool = False, currency: str = "EUR"):
    return ShopifyOrder(str(order_id), f"#{order_id}", T, T, cancelled, Decimal(total), currency)


def odoo(
    order_id: int, total: str = "10.00", state: str = "sale", *, odoo_id: int = 0, currency: str = "EUR"
):
    return OdooOrder(
        odoo_id or order_id + 1000, f"S{order_id}", str(order_id), state, Decimal(total), currency, T
    )


def by_ref(*orders: OdooOrder) -> dict[str, list[OdooOrder]]:
    out: dict[str, list[OdooOrder]] = {}
    for o in orders:
        out.setdefault(o.ref, []).append(o)
    return out


def test_a_clean_page_matches_every_order_and_finds_nothing():
    result = match_orders_page(
        [shopify(1), shopify(2, "0.10"), shopify(3, cancelled=True)],
        by_ref(odoo(1), odoo(2, "0.10"), odoo(3, state="cancel")),
    )
    assert (result.checked, result.matched, result.findings, result.missing) == (3, 3, [], [])


def test_each_kind_of_difference_is_found_with_both_values():
    result = match_orders_page(
        [
            shopify(1),
            shopify(2, cancelled=True),
            shopify(3),
            shopify(4, "10.00"),
            shopify(5),
            shopify(6, currency="USD"),
        ],
        by_ref(
            odoo(2),
            odoo(3, state="cancel"),
            odoo(4, "10.01"),
            odoo(5, odoo_id=51),
            odoo(5, odoo_id=52),
            odoo(6, currency="EUR"),
        ),
    )
    found = [(f.code, f.subject, f.shopify_value, f.odoo_value) for f in result.findings]
    assert found == [
        (MISSING_IN_ODOO, "order:1", "10.00 EUR", "no sale order"),
        (CANCELLED_IN_SHOPIFY_ONLY, "order:2", "cancelled", "S2 sale"),
        (CANCELLED_IN_ODOO_ONLY, "order:3", "open", "S3 cancelled"),
        (TOTAL_DIFFERS, "order:4", "10.00 EUR", "10.01 EUR"),
        (DUPLICATE_IN_ODOO, "order:5", "1 order", "S5, S5"),
        (TOTAL_DIFFERS, "order:6", "10.00 USD", "10.00 EUR"),
    ]
    assert result.findings[3].details["difference"] == "0.01"
    assert [o.order_id for o in result.missing] == ["1"]
    assert (result.checked, result.matched) == (6, 0)


def test_a_cancelled_duplicate_beside_the_live_order_is_not_a_difference():
    result = match_orders_page([shopify(7)], by_ref(odoo(7, state="cancel", odoo_id=70), odoo(7, odoo_id=71)))
    assert (result.matched, result.findings) == (1, [])


def test_odoo_orders_shopify_does_not_know_are_found():
    findings = odoo_only([odoo(8), odoo(9)], {"8": True, "9": False})
    assert [(f.code, f.subject, f.occurred_at) for f in findings] == [(MISSING_IN_SHOPIFY, "order:9", T)]


def test_an_order_booked_in_its_presentment_currency_is_compared_in_that_currency():
    # given Shopify orders of a EUR shop presented in USD: one booked in USD, one in EUR, one in USD but off
    # by a cent, and one booked in a currency Shopify never stated it in
    def presented(order_id: int) -> ShopifyOrder:
        return ShopifyOrder(
            str(order_id), f"#{order_id}", T, T, False, Decimal("126.00"), "EUR", Decimal("136.72"), "USD"
        )

    result = match_orders_page(
        [presented(1), presented(2), presented(3), presented(4)],
        by_ref(
            odoo(1, "136.72", currency="USD"),
            odoo(2, "126.00", currency="EUR"),
            odoo(3, "136.71", currency="USD"),
            odoo(4, "126.00", currency="GBP"),
        ),
    )
    # then the first two match, the cent is found in USD, the GBP order differs naming both currencies
    assert (result.checked, result.matched) == (4, 2)
    found = {
        f.subject: (f.code, f.shopify_value, f.odoo_value, f.details["difference"]) for f in result.findings
    }
    assert found == {
        "order:3": (TOTAL_DIFFERS, "136.72 USD", "136.71 USD", "-0.01"),
        "order:4": (TOTAL_DIFFERS, "126.00 EUR", "126.00 GBP", "0.00"),
    }
