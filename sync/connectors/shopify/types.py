"""Typed results of the Shopify connector. Money is ``Decimal`` with a currency code."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class ThrottleStatus:
    maximum_available: float
    currently_available: float
    restore_rate: float


@dataclass(frozen=True)
class QueryCost:
    requested: int
    actual: int | None
    throttle: ThrottleStatus | None


@dataclass(frozen=True)
class ApiWarning:
    kind: str  # "version_mismatch" | "deprecated"
    message: str
    requested_version: str
    served_version: str


@dataclass(frozen=True)
class GraphQLResponse:
    data: dict[str, Any]
    cost: QueryCost | None
    api_version: str
    deprecated_reason: str | None
    attempts: int


@dataclass(frozen=True)
class ShopInfo:
    id: str
    name: str
    domain: str
    currency: str
    taxes_included: bool
    plan: str
    api_version: str


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class OrderRef:
    id: str  # GID
    legacy_id: int
    name: str
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    financial_status: str | None
    total: Money


@dataclass(frozen=True)
class Location:
    id: str
    legacy_id: int
    name: str
    is_active: bool


@dataclass(frozen=True)
class InventoryItemRef:
    inventory_item_id: str
    variant_id: str
    product_id: str
    sku: str
    quantities: dict[str, dict[str, int]] = field(default_factory=dict)  # location id → name → quantity


@dataclass(frozen=True)
class InventorySet:
    """One quantity to set. ``change_from`` is the quantity we believe Shopify holds now (compare-and-set);
    ``None`` opts out (refused from 2026-04)."""

    inventory_item_id: str
    location_id: str
    quantity: int
    change_from: int | None


@dataclass(frozen=True)
class InventoryChange:
    inventory_item_id: str
    location_id: str
    name: str
    delta: int
    quantity_after: int | None


@dataclass(frozen=True)
class InventoryAdjustment:
    group_id: str | None
    changes: tuple[InventoryChange, ...]
    idempotency_key: str


@dataclass(frozen=True)
class Fulfillment:
    id: str
    legacy_id: int
    name: str
    status: str
    tracking_company: str | None
    tracking_numbers: tuple[str, ...]
    line_items: tuple[tuple[str, int], ...]  # (line item GID, quantity)


@dataclass(frozen=True)
class RefundLine:
    line_item_id: str
    quantity: int
    restock_type: str = "NO_RESTOCK"  # RETURN | CANCEL | NO_RESTOCK
    location_id: str | None = None


@dataclass(frozen=True)
class Refund:
    id: str
    legacy_id: int
    created_at: datetime | None
    total: Money
    total_presentment: Money
    idempotency_key: str


@dataclass(frozen=True)
class Customer:
    id: str
    legacy_id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    note: str | None
    tags: tuple[str, ...]
    updated_at: datetime


@dataclass(frozen=True)
class WebhookSubscription:
    id: str
    topic: str  # GraphQL enum form, e.g. ORDERS_CREATE
    callback_url: str
    api_version: str


@dataclass(frozen=True)
class SubscriptionSync:
    created: tuple[WebhookSubscription, ...]
    kept: tuple[WebhookSubscription, ...]


@dataclass(frozen=True)
class Payout:
    id: str
    legacy_id: int
    issued_at: datetime
    status: str
    net: Money
    charges_gross: Money
    charges_fee: Money
    refunds_gross: Money
    refunds_fee: Money
    adjustments_gross: Money
    adjustments_fee: Money


@dataclass(frozen=True)
class BalanceTransaction:
    id: str
    transaction_date: datetime
    type: str
    source_type: str | None
    source_id: int | None
    source_order_transaction_id: int | None
    amount: Money
    fee: Money
    net: Money
    order_id: str | None
    payout_id: str | None
    payout_status: str | None
    adjustment_reason: str | None
