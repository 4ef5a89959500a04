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
    total: Money  # shop money
    total_presentment: Money | None = None  # in the currency the customer saw (presentmentMoney)


@dataclass(frozen=True)
class Location:
    id: str
    legacy_id: int
    name: str
    is_active: bool


@dataclass(frozen=True)
class VariantInfo:
    id: str
    sku: str
    barcode: str
    name: str
    gift_card: bool = False  # its product is a gift card (Product.isGiftCard)
    bundle: bool = False  # a bundle of other variants (ProductVariant.requiresComponents)


@dataclass(frozen=True)
class SalesChannels:
    """What recent orders used: shipping lines (code, title), payment gateways, tax lines (title, rate)."""

    orders: int
    shipping: tuple[tuple[str, str], ...]
    gateways: tuple[str, ...]
    taxes: tuple[tuple[str, str], ...]  # (title, rate as Shopify gives it, e.g. "0.2")
    taxes_included: tuple[bool, ...]  # the treatments seen


@dataclass(frozen=True)
class InventoryItemRef:
    inventory_item_id: str
    variant_id: str
    product_id: str
    sku: str
    quantities: dict[str, dict[str, int]] = field(default_factory=dict)  # location id → name → quantity


@dataclass(frozen=True)
class InventoryItemLevels:
    """One SKU's inventory item and its ``available`` quantity at each location where it is stocked
    (a location absent from ``available`` does not stock the item)."""

    sku: str
    inventory_item_id: str
    variant_id: str
    product_id: str
    tracked: bool
    available: dict[str, int] = field(default_factory=dict)  # location gid → available


@dataclass(frozen=True)
class ProductRef:
    """A Shopify product after ``productSet``: its id, status and variants (id, SKU)."""

    id: str
    status: str
    variants: tuple[tuple[str, str], ...]  # (variant gid, sku)
    updated_at: str = ""  # Shopify's updatedAt after the mutation


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
    tracking_urls: tuple[str, ...] = ()
    fulfillment_line_items: tuple[tuple[str, str, int], ...] = ()  # (fulfillment line item, line item, qty)


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
    deleted: tuple[WebhookSubscription, ...] = ()


@dataclass(frozen=True)
class Payout:
    id: str
    legacy_id: int
    issued_at: datetime
    status: str  # ShopifyPaymentsPayoutStatus: SCHEDULED | PAID | FAILED | CANCELED
    net: Money
    charges_gross: Money
    charges_fee: Money
    refunds_gross: Money
    refunds_fee: Money
    adjustments_gross: Money
    adjustments_fee: Money
    transaction_type: str = "DEPOSIT"  # DEPOSIT | WITHDRAWAL
    reserved_funds_gross: Money | None = None
    reserved_funds_fee: Money | None = None
    retried_payouts_gross: Money | None = None
    retried_payouts_fee: Money | None = None


@dataclass(frozen=True)
class AdjustmentOrder:
    """An order a balance adjustment (e.g. a refund or dispute correction) relates to."""

    order_transaction_id: int
    name: str
    amount: Money
    fees: Money
    net: Money


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
    test: bool = False
    order_name: str | None = None
    adjustments_orders: tuple[AdjustmentOrder, ...] = ()


@dataclass(frozen=True)
class Dispute:
    id: str
    legacy_id: int
    status: str  # DisputeStatus: NEEDS_RESPONSE | UNDER_REVIEW | WON | LOST | ACCEPTED | PREVENTED
    type: str  # DisputeType: CHARGEBACK | INQUIRY
    amount: Money
    reason: str  # ShopifyPaymentsDisputeReason
    network_reason_code: str | None
    initiated_at: datetime
    evidence_due_by: datetime | None
    evidence_sent_on: datetime | None
    finalized_on: datetime | None
    order_id: str | None
    order_name: str | None


@dataclass(frozen=True)
class OrdersCount:
    count: int
    precision: str  # EXACT | AT_LEAST (the count reached ``limit``)


@dataclass(frozen=True)
class TransactionFee:
    id: str
    type: str
    amount: Money
    flat_fee: Money
    rate: Decimal
    tax: Money


@dataclass(frozen=True)
class OrderTransaction:
    id: str
    kind: str  # OrderTransactionKind: SALE | CAPTURE | AUTHORIZATION | REFUND | VOID | ...
    status: str  # OrderTransactionStatus: SUCCESS | PENDING | FAILURE | ERROR | ...
    gateway: str | None
    payment_id: str | None
    amount: Money
    amount_presentment: Money
    processed_at: datetime | None
    parent_id: str | None
    fees: tuple[TransactionFee, ...]
    test: bool


@dataclass(frozen=True)
class OrderMoney:
    """What Shopify says an order received, refunded and still owes (shop currency)."""

    id: str
    legacy_id: int
    name: str
    refundable: bool
    financial_status: str | None
    total: Money
    net_payment: Money
    received: Money
    refunded: Money
    refunded_shipping: Money
    outstanding: Money
    transactions: tuple[OrderTransaction, ...]


@dataclass(frozen=True)
class SuggestedRefundLine:
    line_item_id: str
    quantity: int
    restock_type: str
    subtotal: Money
    tax: Money


@dataclass(frozen=True)
class SuggestedRefund:
    amount: Money
    subtotal: Money
    tax: Money
    maximum_refundable: Money
    shipping: Money
    shipping_tax: Money
    lines: tuple[SuggestedRefundLine, ...]
    # {kind, gateway, amount (Money), parent_id}: what to put in RefundInput.transactions
    transactions: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class RiskAssessment:
    risk_level: str  # RiskAssessmentResult: HIGH | MEDIUM | LOW | NONE | PENDING
    provider: str | None  # the app's title; None for Shopify's own assessment
    facts: tuple[tuple[str, str], ...]  # (description, sentiment)


@dataclass(frozen=True)
class OrderRisk:
    order_id: str
    recommendation: str  # OrderRiskRecommendationResult: ACCEPT | INVESTIGATE | CANCEL | NONE
    assessments: tuple[RiskAssessment, ...]


@dataclass(frozen=True)
class OrderCancellation:
    """Whether Shopify has cancelled an order (``orderCancel`` only starts a job: its answer is no result)."""

    order_id: str  # gid
    name: str
    cancelled_at: datetime | None
    cancel_reason: str | None  # OrderCancelReason: CUSTOMER | DECLINED | FRAUD | INVENTORY | OTHER | STAFF
    updated_at: datetime
    financial_status: str | None  # displayFinancialStatus


@dataclass(frozen=True)
class ReturnLine:
    id: str
    quantity: int
    fulfillment_line_item_id: str | None
    line_item_id: str | None
    note: str


@dataclass(frozen=True)
class Return:
    id: str
    name: str
    status: str  # ReturnStatus: OPEN | CLOSED | CANCELED | DECLINED | REQUESTED
    created_at: datetime
    total_quantity: int
    lines: tuple[ReturnLine, ...]


@dataclass(frozen=True)
class InventoryLevelRef:
    id: str
    location_id: str
    quantities: dict[str, int]
    idempotency_key: str


@dataclass(frozen=True)
class BulkOperation:
    id: str
    status: str  # CREATED | RUNNING | COMPLETED | CANCELING | CANCELED | FAILED | EXPIRED
    type: str  # QUERY | MUTATION
    error_code: str | None
    created_at: datetime
    completed_at: datetime | None
    object_count: int
    root_object_count: int
    file_size: int | None
    url: str | None
    partial_data_url: str | None
    query: str

    @property
    def finished(self) -> bool:
        return self.status in ("COMPLETED", "CANCELED", "FAILED", "EXPIRED")
