from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sync.transforms.types import ShippingTarget, ShopMappings

DATA = Path(__file__).parent / "data"


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture
def reference_order() -> dict[str, Any]:
    return load("app-js-2025-01-order.json")


@pytest.fixture
def reference_mappings() -> ShopMappings:
    """Every mapping the reference order (#1001, USD) needs."""
    return ShopMappings(
        shop_domain="jsmith.myshopify.com",
        version=4,
        currency="USD",
        company_id=1,
        pricelist_id=2,
        skus={"IPOD2008GREEN": 11, "IPOD2008RED": 12, "IPOD2008BLACK": 13},
        taxes={"State Tax|0.06": 21},
        shipping={"Free Shipping": ShippingTarget(product_id=31, carrier_id=41)},
        gateways={"bogus": 51},
        confirm_on=frozenset({"paid", "partially_paid", "authorized", "partially_refunded"}),
    )
