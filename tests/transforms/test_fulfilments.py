"""Fulfilments, pure: what a delivery shipped, which fulfilment order lines it fulfils, and its tracking."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from opsconsole.core.errors import BusinessRuleError
from sync.transforms.fulfilments import (
    ShippedLine,
    Tracking,
    kit_deliveries,
    line_difference,
    merge_shipped,
    plan_fulfilment,
    shipped_lines,
    tracking_for,
)
from sync.transforms.types import BundleComponent, BundleRule, CarrierTarget

PARIS, LYON = "gid://shopify/Location/1", "gid://shopify/Location/2"


@dataclass
class Move:
    product_id: int
    sku: str
    quantity: Decimal
    state: str = "done"
    product_name: str = "a product"
    sale_line_id: int | None = None


def fo(fo_id: str, location: str, *lines: tuple[str, str, int], status: str = "OPEN") -> dict:  # type: ignore[type-arg]
    return {
        "id": fo_id,
        "status": status,
        "assignedLocation": {"location": {"id": location}},
        "lineItems": {
            "nodes": [
                {"id": f"{fo_id}/{sku}", "remainingQuantity": qty, "lineItem": {"id": li, "sku": sku}}
                for sku, li, qty in lines
            ]
        },
    }


def test_shipped_lines_are_done_moves_per_shopify_sku_in_whole_units():
    moves = [
        Move(1, "ODOO-TEE", Decimal("2")),
        Move(1, "ODOO-TEE", Decimal("1")),
        Move(2, "CAP", Decimal("1"), state="cancel"),
        Move(3, "MUG", Decimal("0")),
    ]
    assert shipped_lines(moves, skus_by_product={1: "TEE-M"}) == [ShippedLine("TEE-M", 3)]
    with pytest.raises(BusinessRuleError) as exc:
        shipped_lines([Move(1, "TEE", Decimal("1.5"))], skus_by_product={})
    assert exc.value.code == "fractional_quantity"


def test_a_delivery_fulfils_only_the_fulfilment_orders_of_its_location():
    orders = [fo("FO1", PARIS, ("TEE", "L1", 2)), fo("FO2", LYON, ("TEE", "L1", 2), ("CAP", "L2", 1))]

    [group] = plan_fulfilment(orders, [ShippedLine("TEE", 2)], location_id=LYON)

    assert group.location_id == LYON
    assert group.by_fulfillment_order() == [
        {"fulfillmentOrderId": "FO2", "fulfillmentOrderLineItems": [{"id": "FO2/TEE", "quantity": 2}]}
    ]
    assert group.lines == (("TEE", "L1", 2),)


def test_without_a_mapped_location_lines_at_two_locations_are_two_fulfilments():
    orders = [
        fo("FO1", PARIS, ("TEE", "L1", 1)),
        fo("FO2", LYON, ("CAP", "L2", 1)),
        fo("FO3", LYON, ("MUG", "L3", 1), status="CLOSED"),
    ]

    groups = plan_fulfilment(orders, [ShippedLine("TEE", 1), ShippedLine("CAP", 1)], location_id=None)

    assert [(g.location_id, g.lines) for g in groups] == [
        (PARIS, (("TEE", "L1", 1),)),
        (LYON, (("CAP", "L2", 1),)),
    ]


def test_more_than_shopify_has_open_is_refused_with_what_is_left():
    orders = [fo("FO1", PARIS, ("TEE", "L1", 1))]
    with pytest.raises(BusinessRuleError) as exc:
        plan_fulfilment(orders, [ShippedLine("TEE", 3)], location_id=PARIS, location_label="WH/Stock")
    assert exc.value.code == "fulfilment_quantity"
    assert "2 x TEE" in str(exc.value) and "WH/Stock" in str(exc.value)
    assert exc.value.details["left"] == {"TEE": 2}


def test_tracking_maps_the_carrier_and_prefers_odoos_url():
    carriers = {"Express Delivery": CarrierTarget("DHL Express", "https://dhl.example/{number}")}
    assert tracking_for(
        carrier="Express Delivery", number="JD01", odoo_url="", carriers=carriers
    ) == Tracking("DHL Express", "JD01", "https://dhl.example/JD01")
    assert tracking_for(
        carrier="Express Delivery", number="JD01", odoo_url="https://odoo.example/JD01", carriers=carriers
    ) == Tracking("DHL Express", "JD01", "https://odoo.example/JD01")
    assert tracking_for(carrier="", number="", odoo_url="", carriers={}) == Tracking()
    with pytest.raises(BusinessRuleError) as exc:
        tracking_for(carrier="Pigeon Post", number="1", odoo_url="", carriers=carriers)
    assert (exc.value.code, exc.value.key) == ("unknown_carrier", "Pigeon Post")


def test_line_difference_names_each_sku_that_differs():
    assert line_difference({"TEE": 2, "CAP": 1}, {"TEE": 2, "MUG": 1}) == {"CAP": (1, 0), "MUG": (0, 1)}


def test_a_kit_shipped_fulfils_its_bundle_and_components_shipped_count_as_whole_bundles():
    # given a bundle of 1 mug (product 11) and 2 bags of beans (12), a kit (20), and a tee sold apart
    bundles = {
        "BUNDLE-BREW": BundleRule(
            mode="components",
            components=(BundleComponent(11, 1, Decimal(1)), BundleComponent(12, 2, Decimal(1))),
        ),
        "BUNDLE-KIT": BundleRule(mode="kit", product_id=20),
    }
    moves = [
        Move(11, "MUG", Decimal("3")),
        Move(12, "BEANS", Decimal("4")),
        Move(12, "BEANS", Decimal("1")),
        Move(20, "KIT-ODOO", Decimal("2")),
        Move(1, "ODOO-TEE", Decimal("1")),
    ]
    # when / then: 2 whole bundles (5 bags allow 2), the third mug and the fifth bag stay themselves
    shipped = shipped_lines(moves, skus_by_product={1: "TEE-M"}, bundles=bundles)
    assert sorted(shipped, key=lambda line: line.sku) == [
        ShippedLine("BEANS", 1),
        ShippedLine("BUNDLE-BREW", 2),
        ShippedLine("BUNDLE-KIT", 2),
        ShippedLine("MUG", 1),
        ShippedLine("TEE-M", 1),
    ]
    # and without the rules, the same moves are what Odoo holds
    assert {line.sku for line in shipped_lines(moves, skus_by_product={1: "TEE-M"})} == {
        "MUG",
        "BEANS",
        "KIT-ODOO",
        "TEE-M",
    }


def test_a_kit_delivered_as_components_is_the_whole_kits_odoo_counts_less_those_fulfilled():
    # given a kit (product 9, line 70) whose components 1 and 2 were shipped, with a tee (product 3)
    moves = [
        Move(1, "MUG", Decimal(2), sale_line_id=70),
        Move(2, "BEANS", Decimal(3), sale_line_id=70),
        Move(3, "TEE", Decimal(1), sale_line_id=71),
    ]
    # when Odoo counts 2 kits delivered on the line and 1 was fulfilled before
    rest, kits = kit_deliveries(
        moves, kit_lines={70: ("BUNDLE", 9, Decimal(2))}, fulfilled={"BUNDLE": 1, "TEE": 4}
    )
    # then one more kit is fulfilled, and only the tee is left a shipped line of its own
    assert kits == [ShippedLine("BUNDLE", 1)]
    assert [m.sku for m in rest] == ["TEE"]
    assert merge_shipped(shipped_lines(rest, skus_by_product={}), kits) == [
        ShippedLine("TEE", 1),
        ShippedLine("BUNDLE", 1),
    ]


def test_a_partial_kit_is_nothing_to_fulfil_and_a_kit_product_shipped_itself_is_left_as_it_is():
    partial, none = kit_deliveries(
        [Move(1, "MUG", Decimal(1), sale_line_id=70)],
        kit_lines={70: ("BUNDLE", 9, Decimal(0))},
        fulfilled={},
    )
    assert (partial, none) == ([], [])
    itself = [Move(9, "KIT", Decimal(1), sale_line_id=70)]
    assert kit_deliveries(itself, kit_lines={70: ("BUNDLE", 9, Decimal(1))}, fulfilled={}) == (itself, [])
