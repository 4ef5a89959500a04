"""Build Shopify order payloads the way Shopify computes them, for property tests and error cases."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sync.transforms.types import ShippingTarget, ShopMappings

CENT = Decimal("0.01")
RATES = {
    "VAT 20%": Decimal("0.2"),
    "VAT 5.5%": Decimal("0.055"),
    "MwSt 19%": Decimal("0.19"),
    "GST": Decimal("0.05"),
    "PST": Decimal("0.07"),
    "State Tax": Decimal("0.06"),
    "Sales Tax": Decimal("0.0825"),
}


@dataclass(frozen=True)
class LineSpec:
    price: Decimal
    quantity: int
    discount: Decimal
    taxes: tuple[str, ...]  # titles from RATES
    sku: str = "SKU-1"


@dataclass(frozen=True)
class ShippingSpec:
    price: Decimal
    discount: Decimal = Decimal(0)
    taxes: tuple[str, ...] = ()
    code: str = "standard"


@dataclass
class OrderSpec:
    lines: list[LineSpec]
    shipping: list[ShippingSpec] = field(default_factory=list)
    taxes_included: bool = False


def money_set(amount: Decimal, presentment: Decimal | None = None, currency: str = "EUR") -> dict[str, Any]:
    return {
        "shop_money": {"amount": str(amount), "currency_code": currency},
        "presentment_money": {
            "amount": str(presentment if presentment is not None else amount),
            "currency_code": currency,
        },
    }


def shopify_taxes(net: Decimal, titles: tuple[str, ...], included: bool) -> list[Decimal]:
    """Shopify's tax per line: on the discounted line amount, rounded per line, half up."""
    rates = [RATES[t] for t in titles]
    if included:
        total_rate = 1 + sum(rates, Decimal(0))
        return [(net * r / total_rate).quantize(CENT, ROUND_HALF_UP) for r in rates]
    return [(net * r).quantize(CENT, ROUND_HALF_UP) for r in rates]


def _tax_lines(net: Decimal, titles: tuple[str, ...], included: bool) -> list[dict[str, Any]]:
    return [
        {
            "title": t,
            "rate": float(RATES[t]),
            "price": str(a),
            "price_set": money_set(a),
            "channel_liable": False,
        }
        for t, a in zip(titles, shopify_taxes(net, titles, included), strict=True)
    ]


def build_order(spec: OrderSpec, *, order_id: int = 1001) -> dict[str, Any]:
    total_tax = Decimal(0)
    total_net = Decimal(0)
    line_items = []
    for i, line in enumerate(spec.lines):
        net = line.price * line.quantity - line.discount
        tax_lines = _tax_lines(net, line.taxes, spec.taxes_included)
        total_tax += sum((Decimal(t["price"]) for t in tax_lines), Decimal(0))
        total_net += net
        allocations = (
            [
                {
                    "amount": str(line.discount),
                    "amount_set": money_set(line.discount),
                    "discount_application_index": 0,
                }
            ]
            if line.discount
            else []
        )
        line_items.append(
            {
                "id": 9000 + i,
                "sku": line.sku,
                "title": f"Product {i}",
                "name": f"Product {i} - Blue",
                "variant_title": "Blue",
                "quantity": line.quantity,
                "current_quantity": line.quantity,
                "price": str(line.price),
                "price_set": money_set(line.price),
                "taxable": bool(line.taxes),
                "tax_lines": tax_lines,
                "discount_allocations": allocations,
            }
        )
    shipping_lines = []
    for j, ship in enumerate(spec.shipping):
        net = ship.price - ship.discount
        tax_lines = _tax_lines(net, ship.taxes, spec.taxes_included)
        total_tax += sum((Decimal(t["price"]) for t in tax_lines), Decimal(0))
        total_net += net
        shipping_lines.append(
            {
                "id": 7000 + j,
                "code": ship.code,
                "title": ship.code.title(),
                "price": str(ship.price),
                "price_set": money_set(ship.price),
                "discounted_price": str(net),
                "discounted_price_set": money_set(net),
                "tax_lines": tax_lines,
                "discount_allocations": (
                    [
                        {
                            "amount": str(ship.discount),
                            "amount_set": money_set(ship.discount),
                            "discount_application_index": 1,
                        }
                    ]
                    if ship.discount
                    else []
                ),
            }
        )
    total = total_net if spec.taxes_included else total_net + total_tax
    return {
        "id": order_id,
        "name": f"#{order_id}",
        "email": "jane.doe@example.com",
        "currency": "EUR",
        "presentment_currency": "EUR",
        "taxes_included": spec.taxes_included,
        "financial_status": "paid",
        "cancelled_at": None,
        "created_at": "2025-03-01T10:00:00+01:00",
        "updated_at": "2025-03-01T10:00:05+01:00",
        "note": None,
        "note_attributes": [],
        "customer": {"id": 555, "email": "jane.doe@example.com", "first_name": "Jane", "last_name": "Doe"},
        "billing_address": None,
        "shipping_address": None,
        "total_price": str(total),
        "total_price_set": money_set(total),
        "total_tax": str(total_tax),
        "total_tax_set": money_set(total_tax),
        "line_items": line_items,
        "shipping_lines": shipping_lines,
        "discount_applications": [
            {
                "type": "discount_code",
                "code": "SPRING",
                "value_type": "fixed_amount",
                "target_type": "line_item",
            },
            {
                "type": "discount_code",
                "code": "FREESHIP",
                "value_type": "percentage",
                "target_type": "shipping_line",
            },
        ],
        "payment_gateway_names": ["shopify_payments"],
        "tags": "",
    }


def mappings_for(*, tax_rounding: str = "round_per_line", **overrides: Any) -> ShopMappings:
    values: dict[str, Any] = {
        "shop_domain": "demo.myshopify.com",
        "version": 7,
        "currency": "EUR",
        "company_id": 1,
        "pricelist_id": 3,
        "skus": {f"SKU-{i}": 100 + i for i in range(1, 6)},
        "taxes": {f"{title}|{rate.normalize():f}": 200 + n for n, (title, rate) in enumerate(RATES.items())},
        # the tax-included twins (Odoo 18+: price_include_override "tax_included")
        "taxes_included": {
            f"{title}|{rate.normalize():f}": 250 + n for n, (title, rate) in enumerate(RATES.items())
        },
        "shipping": {
            "standard": ShippingTarget(product_id=300, carrier_id=30),
            "express": ShippingTarget(301),
        },
        "gateways": {"shopify_payments": 400},
        "confirm_on": frozenset({"paid", "partially_paid", "authorized"}),
        "tax_rounding": tax_rounding,
    }
    values.update(overrides)
    return ShopMappings(**values)


TAX_COMBOS = (("VAT 20%",), ("VAT 5.5%",), ("MwSt 19%",), ("State Tax",), ("Sales Tax",), ("GST", "PST"), ())


def random_spec(rng: random.Random, *, taxes_included: bool) -> OrderSpec:
    lines = []
    for _ in range(rng.randint(1, 5)):
        price = Decimal(rng.randint(1, 50_000)) * CENT
        quantity = rng.choice((1, 1, 2, 3, 4, 5, 7, 12, 25))
        gross = price * quantity
        discount = Decimal(rng.randint(0, int(gross / CENT))) * CENT if rng.random() < 0.6 else Decimal(0)
        lines.append(
            LineSpec(price, quantity, discount, rng.choice(TAX_COMBOS), sku=f"SKU-{rng.randint(1, 5)}")
        )
    shipping = []
    if rng.random() < 0.7:
        ship_price = Decimal(rng.randint(0, 3_000)) * CENT
        ship_discount = (
            Decimal(rng.randint(0, int(ship_price / CENT))) * CENT if rng.random() < 0.3 else Decimal(0)
        )
        shipping.append(ShippingSpec(ship_price, ship_discount, rng.choice(TAX_COMBOS)))
    return OrderSpec(lines, shipping, taxes_included)
