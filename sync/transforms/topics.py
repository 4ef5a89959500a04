"""Does a webhook body fit its topic? Shopify signs only the body, so a captured body re-sent with another
``X-Shopify-Topic`` carries a valid signature. Each topic that makes a job has a documented shape; a body
that does not have it is refused before any job is made (the inbox quarantines it), and the destructive
flows check it again before they act.

Pure: no I/O. ``shop_domain`` is the domain of the shop the delivery was signed for.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

#: Topics whose job destroys or erases something: a replayed or re-labelled old delivery must not run them.
DESTRUCTIVE_TOPICS = frozenset({"orders/cancelled", "customers/redact", "shop/redact", "app/uninstalled"})

_ORDER_TOPICS = ("orders/create", "orders/updated", "orders/cancelled")
_CUSTOMER_TOPICS = ("customers/create", "customers/update")


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _gid_matches(payload: dict[str, Any], resource: str) -> str | None:
    """REST-shaped webhook bodies name their resource in ``admin_graphql_api_id``: an order's body re-sent
    under a customer topic says ``gid://shopify/Order/…``."""
    gid = payload.get("admin_graphql_api_id")
    if gid is None:
        return None
    expected = f"gid://shopify/{resource}/{payload.get('id')}"
    if gid != expected:
        return f"admin_graphql_api_id is {str(gid)[:80]!r}, not {expected!r}"
    return None


def _privacy_common(payload: dict[str, Any], shop_domain: str) -> str | None:
    if not _is_id(payload.get("shop_id")):
        return "shop_id is missing or not a number"
    domain = payload.get("shop_domain")
    if not isinstance(domain, str) or domain.strip().lower() != shop_domain.strip().lower():
        return f"shop_domain {str(domain)[:80]!r} is not the shop the delivery was signed for ({shop_domain})"
    return None


def _ids(value: Any, name: str) -> str | None:
    if not isinstance(value, list) or not all(_is_id(v) for v in value):
        return f"{name} is missing or not a list of ids"
    return None


def _customer(payload: dict[str, Any]) -> str | None:
    customer = payload.get("customer")
    if not isinstance(customer, dict) or not _is_id(customer.get("id")):
        return "customer.id is missing or not a number"
    if "line_items" in payload or "admin_graphql_api_id" in payload:
        return "the body is a resource (it has line_items or admin_graphql_api_id), not a privacy request"
    return None


def topic_shape_problem(topic: str, payload: dict[str, Any], *, shop_domain: str) -> str | None:
    """Why ``payload`` does not fit ``topic`` (one sentence), or None when it does. Topics not named here
    make no job and are not checked."""
    if topic in _ORDER_TOPICS:
        if not _is_id(payload.get("id")):
            return "id is missing or not a number"
        if not isinstance(payload.get("line_items"), list):
            return "line_items is missing: not an order"
        if problem := _gid_matches(payload, "Order"):
            return problem
        if topic == "orders/cancelled" and not payload.get("cancelled_at"):
            return "cancelled_at is empty: the order in the body is not cancelled"
        return None
    if topic == "orders/edited":
        edit = payload.get("order_edit")
        if not isinstance(edit, dict) or not _is_id(edit.get("order_id")):
            return "order_edit.order_id is missing or not a number"
        return None
    if topic == "refunds/create":
        if not _is_id(payload.get("id")) or not _is_id(payload.get("order_id")):
            return "id or order_id is missing or not a number: not a refund"
        if not isinstance(payload.get("refund_line_items"), list) or "line_items" in payload:
            return "refund_line_items is missing (or the body has line_items): not a refund"
        return _gid_matches(payload, "Refund")
    if topic in ("fulfillments/create", "fulfillments/update"):
        if not _is_id(payload.get("id")) or not _is_id(payload.get("order_id")):
            return "id or order_id is missing or not a number: not a fulfilment"
        return _gid_matches(payload, "Fulfillment")
    if topic == "products/update":
        if not _is_id(payload.get("id")) or not isinstance(payload.get("variants"), list):
            return "id or variants is missing: not a product"
        if "line_items" in payload:
            return "the body has line_items: an order, not a product"
        return _gid_matches(payload, "Product")
    if topic == "inventory_levels/update":
        if not _is_id(payload.get("inventory_item_id")) or not _is_id(payload.get("location_id")):
            return "inventory_item_id or location_id is missing or not a number: not an inventory level"
        return None
    if topic == "app/uninstalled":
        if not _is_id(payload.get("id")) or "line_items" in payload:
            return "id is missing, or the body has line_items: not a shop"
        domain = payload.get("myshopify_domain") or payload.get("domain")
        if not isinstance(domain, str) or domain.strip().lower() != shop_domain.strip().lower():
            return f"the shop in the body ({str(domain)[:80]!r}) is not the shop the delivery was signed for"
        return None
    if topic in _CUSTOMER_TOPICS:
        if not _is_id(payload.get("id")):
            return "id is missing or not a number"
        if "line_items" in payload:
            return "the body has line_items: an order, not a customer"
        return _gid_matches(payload, "Customer")
    if topic == "customers/redact":
        return (
            _privacy_common(payload, shop_domain)
            or _customer(payload)
            or _ids(payload.get("orders_to_redact"), "orders_to_redact")
        )
    if topic == "customers/data_request":
        request = payload.get("data_request")
        return (
            _privacy_common(payload, shop_domain)
            or _customer(payload)
            or _ids(payload.get("orders_requested"), "orders_requested")
            or (None if isinstance(request, dict) and request.get("id") else "data_request.id is missing")
        )
    if topic == "shop/redact":
        return _privacy_common(payload, shop_domain) or (
            None if set(payload) <= {"shop_id", "shop_domain"} else "the body carries more than a shop"
        )
    return None


def freshness_problem(
    topic: str, triggered_at: datetime | None, *, now: datetime, window: timedelta
) -> str | None:
    """A destructive topic must say when Shopify triggered it, and not longer ago than ``window`` (set wider
    than Shopify's 4-hour retry schedule): an old captured delivery re-sent later is not acted on."""
    if topic not in DESTRUCTIVE_TOPICS:
        return None
    if triggered_at is None:
        return "X-Shopify-Triggered-At is missing or unreadable on a destructive topic"
    if now - triggered_at > window:
        hours = window.total_seconds() / 3600
        return f"triggered at {triggered_at.isoformat()}, more than {hours:g} h ago"
    return None
