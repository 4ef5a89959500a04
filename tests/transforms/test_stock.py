"""Available to sell and the value to set (sync/transforms/stock.py): pure, no database."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from sync.transforms.stock import available_to_sell, value_to_set
from sync.transforms.types import StockRules

LOC = "gid://shopify/Location/1"


def test_available_is_on_hand_less_reserved_safety_and_allocation():
    # given
    rules = StockRules(safety={("", ""): 2, ("SKU-A", ""): 3}, allocation={("", LOC): 4})
    # when
    figures = available_to_sell(sku="SKU-A", location=LOC, on_hand=Decimal("20"), reserved=5, rules=rules)
    # then: the SKU's safety stock (3) wins over the shop's (2)
    assert (figures.on_hand, figures.reserved, figures.safety, figures.allocation) == (20, 5, 3, 4)
    assert figures.available == 8


def test_the_most_specific_rule_wins_sku_at_location_first():
    rules = StockRules(safety={("SKU-A", LOC): 1, ("SKU-A", ""): 5, ("", LOC): 7, ("", ""): 9})
    assert available_to_sell(sku="SKU-A", location=LOC, on_hand=10, reserved=0, rules=rules).safety == 1
    assert available_to_sell(sku="SKU-B", location=LOC, on_hand=10, reserved=0, rules=rules).safety == 7
    assert available_to_sell(sku="SKU-B", location="other", on_hand=10, reserved=0, rules=rules).safety == 9


def test_an_allocation_share_and_the_peak_buffer_are_held_back():
    rules = StockRules(allocation_percent=25, peak=True, peak_buffer=2)
    figures = available_to_sell(sku="S", location=LOC, on_hand=21, reserved=1, rules=rules)
    assert (figures.allocation, figures.buffer, figures.available) == (5, 2, 13)
    assert (
        available_to_sell(sku="S", location=LOC, on_hand=21, reserved=1, rules=rules, peak=False).available
        == 15
    )


def test_fractions_round_towards_selling_less_and_nothing_is_negative():
    figures = available_to_sell(
        sku="S", location=LOC, on_hand=Decimal("3.7"), reserved=Decimal("0.2"), rules=None
    )
    assert (figures.on_hand, figures.reserved, figures.available) == (3, 1, 2)
    assert available_to_sell(sku="S", location=LOC, on_hand=1, reserved=4, rules=StockRules()).available == 0


def test_the_value_to_set_keeps_a_sale_odoo_has_not_booked():
    # Shopify sold 2 that Odoo does not know yet: Shopify's 8 stays (target 10).
    assert value_to_set(target=10, shopify=8, pending_sales=2) == 8
    # Shopify above Odoo's truth: brought down.
    assert value_to_set(target=10, shopify=14, pending_sales=2) == 10
    # Shopify below by more than the pending sales: raised to what is left.
    assert value_to_set(target=10, shopify=3, pending_sales=2) == 8
    # Quiet (no order on its way): the target.
    assert value_to_set(target=10, shopify=3) == 10
    assert value_to_set(target=10, shopify=None, pending_sales=5) == 10


@given(target=st.integers(0, 500), shopify=st.integers(-50, 500) | st.none(), pending=st.integers(0, 50))
def test_the_value_to_set_never_offers_more_than_odoo_and_never_drops_below_its_truth(
    target, shopify, pending
):
    value = value_to_set(target=target, shopify=shopify, pending_sales=pending)
    assert value <= target
    assert value >= min(target - pending, target if shopify is None else shopify)
    if pending == 0:
        assert value == target
