"""Available to sell, per SKU and Shopify location, from Odoo's stock (pure: no I/O).

    available to sell = on hand - reserved - safety stock - channel allocation - peak buffer, never negative

and the value to set in Shopify given what Shopify holds now and the sales Shopify made that Odoo has not
booked yet (orders still on their way to Odoo). See docs/architecture.md, "Stock out".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sync.transforms.types import StockRules


@dataclass(frozen=True)
class StockFigures:
    sku: str
    location: str  # Shopify location id (numeric text)
    on_hand: int
    reserved: int
    safety: int
    allocation: int
    buffer: int
    available: int  # what Shopify should offer


def _rule(table: Mapping[tuple[str, str], int], sku: str, location: str) -> int:
    for key in ((sku, location), (sku, ""), ("", location), ("", "")):
        if key in table:
            return int(table[key])
    return 0


def available_to_sell(
    *,
    sku: str,
    location: str,
    on_hand: Decimal | int | float,
    reserved: Decimal | int | float,
    rules: StockRules | None,
    peak: bool | None = None,
) -> StockFigures:
    """The figures for one SKU at one Shopify location (its Odoo locations' quants summed by the caller).

    Odoo counts in the product's unit and may hold fractions; Shopify counts whole units, so what is free is
    rounded down. The most specific safety / allocation rule wins: SKU at the location, the SKU, the
    location, the shop. ``peak`` (default: the rules') adds the peak buffer."""
    rules = rules or StockRules()
    whole_on_hand = math.floor(Decimal(str(on_hand)))
    whole_reserved = math.ceil(Decimal(str(reserved)))
    safety = _rule(rules.safety, sku, location)
    fixed = _rule(rules.allocation, sku, location)
    free = max(0, whole_on_hand - whole_reserved - safety)
    share = (free * rules.allocation_percent) // 100
    allocation = max(fixed, share)
    in_peak = rules.peak if peak is None else peak
    buffer = rules.peak_buffer if in_peak else 0
    return StockFigures(
        sku=sku,
        location=location,
        on_hand=whole_on_hand,
        reserved=whole_reserved,
        safety=safety,
        allocation=allocation,
        buffer=buffer,
        available=max(0, free - allocation - buffer),
    )


def value_to_set(*, target: int, shopify: int | None, pending_sales: int = 0) -> int:
    """What to set Shopify's ``available`` to, so that no sale is overwritten and Odoo's truth wins.

    ``target`` is Odoo's available to sell; ``shopify`` what Shopify holds now; ``pending_sales`` the units
    of this SKU sold in Shopify whose orders Odoo has not booked yet (so Odoo's figure does not show them).

    - Shopify at or above the target: the target (Odoo's truth; never offer more than Odoo has).
    - Shopify below the target by no more than the pending sales: Shopify's value stays (those sales are
      real; Odoo's reservation will bring the target down to it).
    - Shopify below by more than that: raised to the target less the pending sales.

    When quiet (no order on its way) this is the target."""
    if shopify is None or shopify >= target:
        return target
    return max(target - max(0, pending_sales), shopify)
