"""The weekly integrity sample as pure functions: a sample of products (price, active), their stock levels and
customers (e-mail, name) compared between Shopify and Odoo, each difference a finding with both values."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from reconciliation.matchers.orders import Finding
from sync.transforms.privacy import mask_email, mask_words

PRODUCT_MISSING_IN_SHOPIFY = "product_missing_in_shopify"
PRODUCT_MISSING_IN_ODOO = "product_missing_in_odoo"
PRICE_DIFFERS = "product_price_differs"
ACTIVE_DIFFERS = "product_active_differs"
CUSTOMER_MISSING_IN_SHOPIFY = "customer_missing_in_shopify"
CUSTOMER_MISSING_IN_ODOO = "customer_missing_in_odoo"
EMAIL_DIFFERS = "customer_email_differs"
NAME_DIFFERS = "customer_name_differs"
STOCK_DIFFERS = "stock_level_differs"

INTEGRITY_CODES = (
    PRODUCT_MISSING_IN_SHOPIFY,
    PRODUCT_MISSING_IN_ODOO,
    PRICE_DIFFERS,
    ACTIVE_DIFFERS,
    CUSTOMER_MISSING_IN_SHOPIFY,
    CUSTOMER_MISSING_IN_ODOO,
    EMAIL_DIFFERS,
    NAME_DIFFERS,
    STOCK_DIFFERS,
)


def sample(population: Sequence[str], size: int, seed: str) -> list[str]:
    """The same sample for the same population and seed (a re-run of a week samples the same records)."""
    ordered = sorted(population)
    return sorted(random.Random(seed).sample(ordered, min(size, len(ordered))))


@dataclass(frozen=True)
class ProductSide:
    price: Decimal
    active: bool


def compare_products(
    skus: Sequence[str], shopify: dict[str, ProductSide], odoo: dict[str, ProductSide], currency: str
) -> list[Finding]:
    out: list[Finding] = []
    for sku in skus:
        s, o = shopify.get(sku), odoo.get(sku)
        subject = f"sku:{sku}"
        if s is None or o is None:
            code = PRODUCT_MISSING_IN_SHOPIFY if s is None else PRODUCT_MISSING_IN_ODOO
            out.append(
                Finding(
                    code,
                    subject,
                    sku,
                    shopify_value="no variant" if s is None else f"{s.price} {currency}",
                    odoo_value="no product" if o is None else f"{o.price} {currency}",
                )
            )
            continue
        if s.price != o.price:
            out.append(
                Finding(
                    PRICE_DIFFERS,
                    subject,
                    sku,
                    shopify_value=f"{s.price} {currency}",
                    odoo_value=f"{o.price} {currency}",
                    amount_shopify=s.price,
                    amount_odoo=o.price,
                    currency=currency,
                )
            )
        if s.active != o.active:
            out.append(
                Finding(
                    ACTIVE_DIFFERS,
                    subject,
                    sku,
                    shopify_value="active" if s.active else "not active",
                    odoo_value="active" if o.active else "archived",
                )
            )
    return out


@dataclass(frozen=True)
class CustomerSide:
    email: str
    name: str


def _norm(text: str) -> str:
    return " ".join((text or "").split()).casefold()


def compare_customers(
    pairs: Sequence[tuple[str, CustomerSide | None, CustomerSide | None]],
) -> list[Finding]:
    """(Shopify customer id, Shopify's values, Odoo's values) → the differences (e-mail and name compared
    without case or extra spaces). The values kept are masked: customer data is never shown in clear."""
    out: list[Finding] = []
    for customer_id, s, o in pairs:
        subject = f"customer:{customer_id}"
        if s is None or o is None:
            code = CUSTOMER_MISSING_IN_SHOPIFY if s is None else CUSTOMER_MISSING_IN_ODOO
            out.append(
                Finding(
                    code,
                    subject,
                    customer_id,
                    shopify_value="—" if s is None else "present",
                    odoo_value="—" if o is None else "present",
                )
            )
            continue
        if _norm(s.email) != _norm(o.email):
            out.append(
                Finding(
                    EMAIL_DIFFERS,
                    subject,
                    customer_id,
                    shopify_value=mask_email(s.email),
                    odoo_value=mask_email(o.email),
                )
            )
        if _norm(s.name) != _norm(o.name):
            out.append(
                Finding(
                    NAME_DIFFERS,
                    subject,
                    customer_id,
                    shopify_value=mask_words(s.name),
                    odoo_value=mask_words(o.name),
                )
            )
    return out


@dataclass(frozen=True)
class StockSide:
    """At one Shopify location: what Odoo says may be sold (available to sell, by the stock-out rules) and the
    units of orders Shopify sold that Odoo has not booked yet."""

    available_to_sell: int
    pending_sales: int = 0


def compare_stock(
    levels: Sequence[tuple[str, str, int | None, StockSide]],
) -> list[Finding]:
    """(SKU, Shopify location, Shopify's available or None when not stocked there, Odoo's side) → the
    differences. Shopify may be below Odoo's figure by the units of sales still on their way to Odoo (the
    stock flow leaves those), never above it and never further below."""
    out: list[Finding] = []
    for sku, location, shopify_available, odoo in levels:
        low = odoo.available_to_sell - odoo.pending_sales
        if shopify_available is not None and low <= shopify_available <= odoo.available_to_sell:
            continue
        pending = f" ({odoo.pending_sales} sold, not yet in Odoo)" if odoo.pending_sales else ""
        out.append(
            Finding(
                STOCK_DIFFERS,
                f"stock:{sku}@{location}",
                f"{sku} at {location}",
                shopify_value="not stocked" if shopify_available is None else str(shopify_available),
                odoo_value=f"{odoo.available_to_sell}{pending}",
            )
        )
    return out
