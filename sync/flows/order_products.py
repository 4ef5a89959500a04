"""Products an order is booked on beyond its SKUs, checked in Odoo before anything is written.

- A gift card sold as an order line goes on the shop's gift-card product (SHOP row key
  ``gift_card_product_id``). It must be what finance means by it: a service (no delivery), invoiced on
  ordered quantities, whose income account is a liability (the gift-card / deferred-revenue account: the
  card is owed to its holder until redeemed). Anything else parks as ``gift_card_product_invalid`` naming
  what is wrong, and nothing is booked.
- A tip (``total_tip_received``) goes on the shop's tip product (SHOP row key ``tip_product_id``). It must
  exist, be active and be a service (Odoo would otherwise try to deliver it); anything else parks as
  ``tip_product_invalid`` naming what is wrong, and nothing is booked.
- Import duties Shopify charged (``original_total_duties_set``) go on the shop's duties product (SHOP row key
  ``duties_product_id``), checked the same way: anything but an active service parks as
  ``duties_product_invalid`` naming the order, the duties and what is wrong, and nothing is booked. (Without
  the mapping the transform parks the order as ``duties_not_mapped``.)
- A bundle split by list price (sync/transforms/bundles.py) takes its components' list prices from Odoo now.

One ``product_facts`` read (at most 3 calls) per order that needs it; none for the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from opsconsole.core.errors import BusinessRuleError
from sync.flows.context import JobContext
from sync.transforms.orders import is_gift_card, order_duties, order_tip, unwrap_order
from sync.transforms.types import BundleRule, ShopMappings

#: ``account.account.account_type`` values a gift-card income account may have.
LIABILITY_TYPES = frozenset({"liability_current", "liability_non_current"})


def _sold(order: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [li for li in order.get("line_items") or [] if int(li.get("quantity") or 0) > 0]


def with_order_products(ctx: JobContext, mappings: ShopMappings, payload: Mapping[str, Any]) -> ShopMappings:
    """``mappings`` with the list prices the order's list-price bundles need, once the gift-card product (if
    the order sells a gift card) is checked; BusinessRuleError otherwise."""
    order = unwrap_order(payload)
    lines = _sold(order)
    gift = mappings.gift_card_product_id if any(is_gift_card(li) for li in lines) else None
    priced = {
        sku: rule
        for li in lines
        if not is_gift_card(li)
        and isinstance(rule := mappings.bundles.get(str(li.get("sku") or "")), BundleRule)
        and rule.mode == "components"
        and rule.split == "list_price"
        for sku in [str(li.get("sku"))]
    }
    tip = mappings.tip_product_id if order_tip(order) else None
    duties = mappings.duties_product_id if order_duties(order) else None
    wanted = {c.product_id for rule in priced.values() for c in rule.components}
    if gift is not None:
        wanted.add(gift)
    if tip is not None:
        wanted.add(tip)
    if duties is not None:
        wanted.add(duties)
    if not wanted:
        return mappings
    with ctx.call("odoo", "product_facts"):
        facts = ctx.odoo.product_facts(wanted)
    if gift is not None:
        _gift_card_check(order, gift, facts.get(gift))
    if tip is not None:
        _tip_check(order, tip, facts.get(tip))
    if duties is not None:
        _duties_check(order, duties, facts.get(duties))
    if not priced:
        return mappings
    bundles = dict(mappings.bundles)
    for sku, rule in priced.items():
        missing = [c.product_id for c in rule.components if c.product_id not in facts]
        if missing:
            raise BusinessRuleError(
                f"order {order.get('name') or order.get('id')}: the bundle rule of SKU {sku!r} names Odoo "
                f"product {missing[0]}, which Odoo does not have",
                code="bundle_rule_invalid",
                key=sku,
                details={"order_id": str(order.get("id")), "missing_products": missing},
            )
        bundles[sku] = replace(
            rule,
            components=tuple(replace(c, list_price=facts[c.product_id].list_price) for c in rule.components),
        )
    return replace(mappings, bundles=bundles)


def _gift_card_check(order: Mapping[str, Any], product_id: int, facts: Any) -> None:
    label = (
        f"order {order.get('name') or order.get('id')} sells a gift card, and the shop's gift-card product"
    )
    why = ""
    if facts is None:
        why = f"Odoo product {product_id} does not exist"
    elif not facts.active:
        why = f"Odoo product {product_id} ({facts.name}) is archived"
    elif facts.type != "service":
        why = (
            f"Odoo product {product_id} ({facts.name}) is of type {facts.type!r}, not a service: Odoo "
            "would deliver it"
        )
    elif facts.income_account_type not in LIABILITY_TYPES:
        account = facts.income_account_code or "none"
        why = (
            f"the income account of Odoo product {product_id} ({facts.name}) is {account} "
            f"({facts.income_account_type or 'no type'}), not a liability: a sold gift card is owed to its "
            "holder, not revenue"
        )
    elif facts.invoice_policy not in ("", "order"):
        why = (
            f"Odoo product {product_id} ({facts.name}) is invoiced on {facts.invoice_policy} quantities; a "
            "service is never delivered, so it must be invoiced on ordered quantities"
        )
    if why:
        raise BusinessRuleError(
            f"{label} cannot take it: {why}. Nothing was booked.",
            code="gift_card_product_invalid",
            key="shop",
            details={"order_id": str(order.get("id")), "gift_card_product_id": product_id},
        )


def _service_problem(product_id: int, facts: Any) -> str:
    """Why the product cannot take an amount that is no goods (empty: it can): missing, archived, or not a
    service (Odoo would deliver it)."""
    if facts is None:
        return f"Odoo product {product_id} does not exist"
    if not facts.active:
        return f"Odoo product {product_id} ({facts.name}) is archived"
    if facts.type != "service":
        return (
            f"Odoo product {product_id} ({facts.name}) is of type {facts.type!r}, not a service: Odoo "
            "would deliver it"
        )
    return ""


def _duties_check(order: Mapping[str, Any], product_id: int, facts: Any) -> None:
    why = _service_problem(product_id, facts)
    if why:
        currency = str(order.get("currency") or "")
        raise BusinessRuleError(
            f"order {order.get('name') or order.get('id')} was charged import duties of "
            f"{order_duties(order)} {currency}".rstrip()
            + f", and the shop's duties product cannot take them: {why}. Nothing was booked.",
            code="duties_product_invalid",
            key="shop",
            details={"order_id": str(order.get("id")), "duties_product_id": product_id},
        )


def _tip_check(order: Mapping[str, Any], product_id: int, facts: Any) -> None:
    why = _service_problem(product_id, facts)
    if why:
        raise BusinessRuleError(
            f"order {order.get('name') or order.get('id')} received a tip of {order_tip(order)}, and the "
            f"shop's tip product cannot take it: {why}. Nothing was booked.",
            code="tip_product_invalid",
            key="shop",
            details={"order_id": str(order.get("id")), "tip_product_id": product_id},
        )
