"""The Shopify connector: the Admin GraphQL operations the flows need, returning typed values.

I/O only: no ORM, no mapping logic. Every error is one of ``opsconsole.core.errors``; GraphQL
``userErrors`` become ``BusinessRuleError(code, key)``. Every document sent is a constant of
``documents.py`` (validated against Shopify's real 2026-07 schema by the contract suite).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import requests

from opsconsole.core.errors import BusinessRuleError, ContractError, TransientError
from sync.connectors.shopify import documents as docs
from sync.connectors.shopify.config import ShopifyConfig
from sync.connectors.shopify.rest_shape import order_to_rest
from sync.connectors.shopify.throttle import Throttle
from sync.connectors.shopify.transport import Transport
from sync.connectors.shopify.types import (
    AdjustmentOrder,
    ApiWarning,
    BalanceTransaction,
    BulkOperation,
    Customer,
    Dispute,
    Fulfillment,
    InventoryAdjustment,
    InventoryChange,
    InventoryItemLevels,
    InventoryItemRef,
    InventoryLevelRef,
    InventorySet,
    Location,
    Money,
    OrderCancellation,
    OrderMoney,
    OrderRef,
    OrderRisk,
    OrdersCount,
    OrderTransaction,
    Payout,
    ProductRef,
    Refund,
    RefundLine,
    Return,
    ReturnLine,
    RiskAssessment,
    SalesChannels,
    ShopInfo,
    SubscriptionSync,
    SuggestedRefund,
    SuggestedRefundLine,
    TransactionFee,
    VariantInfo,
    WebhookSubscription,
)
from sync.connectors.shopify.webhooks import PRIVACY_TOPICS

MAX_BATCH = 250
ORDER_PAGE = 50
#: Order refs per request: a ref costs 4 points (the order, its totalPriceSet and both of its monies), so
#: 250 of them would pass Shopify's single-query limit of 1,000 points.
ORDER_REF_BATCH = 200
BULK_DOWNLOAD_TIMEOUT = 60.0


class StaleQuantityError(BusinessRuleError):
    """``changeFromQuantity`` no longer matches Shopify: re-read the quantity and decide again."""


def gid(kind: str, value: int | str) -> str:
    text = str(value)
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{text}"


def parse_dt(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def req_dt(value: str | None) -> datetime:
    parsed = parse_dt(value)
    if parsed is None:
        raise ContractError("Shopify answered without a required timestamp", system="shopify")
    return parsed


def _money(node: dict[str, Any] | None) -> Money:
    if not node:
        return Money(Decimal("0"), "")
    return Money(Decimal(str(node["amount"])), node["currencyCode"])


def _shop_money(bag: dict[str, Any] | None) -> Money:
    return _money((bag or {}).get("shopMoney"))


def _key_for(idempotency_key: str | None) -> str:
    return idempotency_key or str(uuid.uuid4())


def _check_user_errors(
    payload: dict[str, Any] | None, operation: str, key: str = "", *, subject: str = ""
) -> dict[str, Any]:
    """Raise Shopify's userErrors as a BusinessRuleError. ``key`` names the cause (default: the field);
    ``subject`` (an order id) is the record it happened to and goes in the details, never in the key."""
    if payload is None:
        raise ContractError(f"{operation} returned no payload", system="shopify")
    errors = payload.get("userErrors") or payload.get("orderCancelUserErrors") or []
    if errors:
        first = errors[0]
        code = first.get("code") or "shopify_user_error"
        message = "; ".join(e.get("message", "") for e in errors)
        cls = StaleQuantityError if code == "CHANGE_FROM_QUANTITY_STALE" else BusinessRuleError
        raise cls(
            f"{operation}: {message}",
            code=str(code),
            key=key or ".".join(first.get("field") or []),
            system="shopify",
            details={"userErrors": errors, **({"subject": subject} if subject else {})},
        )
    return payload


def _fulfillment(f: dict[str, Any]) -> Fulfillment:
    info = f["trackingInfo"]
    items = f["fulfillmentLineItems"]["nodes"]
    return Fulfillment(
        f["id"],
        int(f["legacyResourceId"]),
        f["name"],
        f["status"],
        info[0]["company"] if info else None,
        tuple(t["number"] for t in info if t["number"]),
        tuple((n["lineItem"]["id"], n["quantity"]) for n in items),
        tuple(t["url"] for t in info if t.get("url")),
        tuple((n["id"], n["lineItem"]["id"], n["quantity"]) for n in items),
    )


def _order_ref(n: dict[str, Any]) -> OrderRef:
    return OrderRef(
        n["id"],
        int(n["legacyResourceId"]),
        n["name"],
        req_dt(n["createdAt"]),
        req_dt(n["updatedAt"]),
        parse_dt(n["cancelledAt"]),
        n["displayFinancialStatus"],
        _money(n["totalPriceSet"]["shopMoney"]),
        _money(n["totalPriceSet"].get("presentmentMoney"))
        if n["totalPriceSet"].get("presentmentMoney")
        else None,
    )


def _bulk(n: dict[str, Any]) -> BulkOperation:
    return BulkOperation(
        n["id"],
        n["status"],
        n["type"],
        n.get("errorCode"),
        req_dt(n["createdAt"]),
        parse_dt(n.get("completedAt")),
        int(n["objectCount"]),
        int(n["rootObjectCount"]),
        int(n["fileSize"]) if n.get("fileSize") is not None else None,
        n.get("url"),
        n.get("partialDataUrl"),
        n["query"],
    )


def _return(n: dict[str, Any]) -> Return:
    if n["returnLineItems"]["pageInfo"]["hasNextPage"]:
        raise ContractError(f"return {n['id']} has more lines than one read returns", system="shopify")
    lines = []
    for x in n["returnLineItems"]["nodes"]:
        fli = x.get("fulfillmentLineItem") or {}
        lines.append(
            ReturnLine(
                x["id"],
                x["quantity"],
                fli.get("id"),
                (fli.get("lineItem") or {}).get("id"),
                x.get("returnReasonNote") or "",
            )
        )
    return Return(n["id"], n["name"], n["status"], req_dt(n["createdAt"]), n["totalQuantity"], tuple(lines))


def _search_window(
    *,
    updated_at_min: datetime | None = None,
    updated_at_max: datetime | None = None,
    created_at_min: datetime | None = None,
    created_at_max: datetime | None = None,
) -> list[str]:
    terms = []
    for name, value, op in (
        ("updated_at", updated_at_min, ">="),
        ("updated_at", updated_at_max, "<="),
        ("created_at", created_at_min, ">="),
        ("created_at", created_at_max, "<="),
    ):
        if value is not None:
            terms.append(f"{name}:{op}'{value.isoformat()}'")
    return terms


def _created_search(since: datetime, until: datetime) -> str:
    return f"created_at:>='{since.isoformat()}' created_at:<'{until.isoformat()}'"


class ShopifyClient:
    """One shop. Thread-safe enough to share within a worker; the throttle store is what workers share."""

    def __init__(
        self, config: ShopifyConfig, *, throttle: Throttle | None = None, transport: Transport | None = None
    ):
        self.config = config
        self.transport = transport or Transport(config, throttle=throttle)

    # -- plumbing ----------------------------------------------------------------------------------------
    def close(self) -> None:
        self.transport.http.close()

    def graphql(
        self, query: str, variables: dict[str, Any] | None = None, *, estimate: int | None = None
    ) -> dict[str, Any]:
        return self.transport.execute(query, variables, estimate=estimate).data

    @property
    def warnings(self) -> list[ApiWarning]:
        return self.transport.warnings

    @property
    def api_version_seen(self) -> str | None:
        return self.transport.api_version_seen

    # -- shop --------------------------------------------------------------------------------------------
    def shop_info(self) -> ShopInfo:
        resp = self.transport.execute(docs.SHOP_INFO, estimate=3)
        s = resp.data["shop"]
        return ShopInfo(
            s["id"],
            s["name"],
            s["myshopifyDomain"],
            s["currencyCode"],
            s["taxesIncluded"],
            s["plan"]["publicDisplayName"],
            resp.api_version,
        )

    def access_scopes(self) -> set[str]:
        """The access scopes the merchant granted the app on this shop (``currentAppInstallation``)."""
        data = self.graphql(docs.APP_SCOPES, estimate=2)
        return {str(s["handle"]) for s in data["currentAppInstallation"]["accessScopes"]}

    def locations(self) -> list[Location]:
        data = self.graphql(docs.LOCATIONS, estimate=52)
        return [
            Location(n["id"], int(n["legacyResourceId"]), n["name"], n["isActive"])
            for n in data["locations"]["nodes"]
        ]

    # -- orders ------------------------------------------------------------------------------------------
    def iter_variants(self, *, page_size: int = 100) -> Iterator[VariantInfo]:
        """Every product variant with its SKU and barcode, a page at a time (cursor pagination)."""
        after = None
        while True:
            data = self.graphql(
                docs.VARIANTS_PAGE, {"first": page_size, "after": after}, estimate=2 + page_size
            )
            conn = data["productVariants"]
            for n in conn["nodes"]:
                yield VariantInfo(
                    id=n["id"],
                    sku=n.get("sku") or "",
                    barcode=n.get("barcode") or "",
                    name=n.get("displayName") or "",
                    gift_card=bool((n.get("product") or {}).get("isGiftCard")),
                    bundle=bool(n.get("requiresComponents")),
                )
            if not conn["pageInfo"]["hasNextPage"]:
                return
            after = conn["pageInfo"]["endCursor"]

    def recent_sales_channels(self, *, orders: int = 100) -> SalesChannels:
        """1 call: the shipping methods, payment gateways and taxes of the newest ``orders`` orders."""
        data = self.graphql(docs.RECENT_ORDER_CHANNELS, {"first": orders}, estimate=2 + orders * 8)
        shipping: dict[tuple[str, str], None] = {}
        gateways: dict[str, None] = {}
        taxes: dict[tuple[str, str], None] = {}
        treatments: dict[bool, None] = {}
        nodes = data["orders"]["nodes"]
        for n in nodes:
            treatments[bool(n.get("taxesIncluded"))] = None
            for g in n.get("paymentGatewayNames") or []:
                gateways[str(g)] = None
            for t in n.get("taxLines") or []:
                taxes[(str(t.get("title") or ""), str(t.get("rate")))] = None
            for sl in (n.get("shippingLines") or {}).get("nodes") or []:
                shipping[(str(sl.get("code") or ""), str(sl.get("title") or ""))] = None
        return SalesChannels(
            orders=len(nodes),
            shipping=tuple(shipping),
            gateways=tuple(gateways),
            taxes=tuple(taxes),
            taxes_included=tuple(treatments),
        )

    def fetch_order_rest(self, order_id: int | str) -> dict[str, Any] | None:
        """The order as the ``orders/create`` webhook body would carry it now (for the fields a sync uses),
        or ``None`` when Shopify has no such order."""
        order_gid = gid("Order", order_id)
        data = self.graphql(docs.ORDER_QUERY, {"id": order_gid, "after": None}, estimate=400)
        node = data.get("order")
        if node is None:
            return None
        lines = list(node["lineItems"]["nodes"])
        page = node["lineItems"]["pageInfo"]
        while page["hasNextPage"]:
            more = self.graphql(docs.ORDER_LINES, {"id": order_gid, "after": page["endCursor"]}, estimate=600)
            lines += more["order"]["lineItems"]["nodes"]
            page = more["order"]["lineItems"]["pageInfo"]
        node["lineItems"]["nodes"] = lines
        return order_to_rest(node)

    def iter_orders(
        self,
        *,
        updated_at_min: datetime | None = None,
        updated_at_max: datetime | None = None,
        created_at_min: datetime | None = None,
        created_at_max: datetime | None = None,
        page_size: int = ORDER_PAGE,
    ) -> Iterator[OrderRef]:
        """Orders created or updated in a time window, oldest update first (cursor pagination)."""
        terms = _search_window(
            updated_at_min=updated_at_min,
            updated_at_max=updated_at_max,
            created_at_min=created_at_min,
            created_at_max=created_at_max,
        )
        after = None
        while True:
            data = self.graphql(
                docs.ORDERS,
                {"first": page_size, "after": after, "query": " ".join(terms)},
                estimate=2 + page_size * 6,
            )
            conn = data["orders"]
            for n in conn["nodes"]:
                yield _order_ref(n)
            if not conn["pageInfo"]["hasNextPage"]:
                return
            after = conn["pageInfo"]["endCursor"]

    def iter_orders_created(
        self, *, since: datetime, until: datetime, page_size: int = ORDER_REF_BATCH
    ) -> Iterator[OrderRef]:
        """Orders created in [since, until), oldest first by creation, one page of ``page_size`` at a time
        (cursor pagination on ``CREATED_AT``, which later updates of an order do not move)."""
        search = _created_search(since, until)
        after = None
        while True:
            data = self.graphql(
                docs.ORDERS_CREATED,
                {"first": page_size, "after": after, "query": search},
                estimate=2 + page_size * 6,
            )
            conn = data["orders"]
            for n in conn["nodes"]:
                yield _order_ref(n)
            if not conn["pageInfo"]["hasNextPage"]:
                return
            after = conn["pageInfo"]["endCursor"]

    def start_orders_export(self, *, since: datetime, until: datetime) -> BulkOperation:
        """A bulk operation exporting the orders created in [since, until) (for windows too large to page
        through); read it with ``exported_orders`` once it is COMPLETED."""
        return self.run_bulk_query(docs.orders_export_query(_created_search(since, until)))

    def exported_orders(self, operation: BulkOperation) -> Iterator[OrderRef]:
        """The orders of a finished ``start_orders_export``, streamed line by line from its JSONL file."""
        for row in self.bulk_results(operation):
            if "__parentId" not in row:
                yield _order_ref(row)

    def list_orders(self, **window: Any) -> list[OrderRef]:
        return list(self.iter_orders(**window))

    def orders_count(
        self,
        *,
        updated_at_min: datetime | None = None,
        updated_at_max: datetime | None = None,
        created_at_min: datetime | None = None,
        created_at_max: datetime | None = None,
        query: str | None = None,
        limit: int | None = 10000,
    ) -> OrdersCount:
        """``ordersCount`` for a time window (and/or a search ``query``). Shopify stops counting at ``limit``
        (10,000 unless given; ``None`` for no limit) and then answers ``precision == "AT_LEAST"``."""
        terms = _search_window(
            updated_at_min=updated_at_min,
            updated_at_max=updated_at_max,
            created_at_min=created_at_min,
            created_at_max=created_at_max,
        )
        if query:
            terms.append(query)
        data = self.graphql(docs.ORDERS_COUNT, {"query": " ".join(terms) or None, "limit": limit}, estimate=1)
        count = data.get("ordersCount")
        if count is None:
            raise ContractError("ordersCount answered null", system="shopify")
        return OrdersCount(int(count["count"]), count["precision"])

    def order_refs(self, order_ids: Sequence[int | str]) -> dict[str, OrderRef | None]:
        """Orders by id in one ``nodes`` call per ORDER_REF_BATCH ids: GID → ref, ``None`` where Shopify has
        none."""
        out: dict[str, OrderRef | None] = {}
        ids = [gid("Order", i) for i in order_ids]
        for start in range(0, len(ids), ORDER_REF_BATCH):
            chunk = ids[start : start + ORDER_REF_BATCH]
            data = self.graphql(docs.ORDER_NODES, {"ids": chunk}, estimate=len(chunk) * 4)
            for wanted, node in zip(chunk, data["nodes"], strict=True):
                out[wanted] = _order_ref(node) if node and node.get("__typename") == "Order" else None
        return out

    def cancel_order(
        self,
        order_id: int | str,
        *,
        reason: str = "OTHER",
        refund: bool = False,
        restock: bool = False,
        staff_note: str | None = None,
        notify_customer: bool = False,
    ) -> None:
        """``orderCancel``; ``refund`` refunds to the original payment methods (``refundMethod``: the
        ``refund`` argument is deprecated in 2026-07)."""
        data = self.graphql(
            docs.ORDER_CANCEL,
            {
                "id": gid("Order", order_id),
                "reason": reason,
                "refundMethod": {"originalPaymentMethodsRefund": refund},
                "restock": restock,
                "notifyCustomer": notify_customer,
                "staffNote": staff_note,
            },
            estimate=10,
        )
        _check_user_errors(data["orderCancel"], "orderCancel", subject=str(order_id))

    def order_cancellation(self, order_id: int | str) -> OrderCancellation | None:
        """Whether (and why, and when) Shopify has cancelled the order: the read-back of ``cancel_order``,
        whose mutation only starts a job. ``None``: Shopify has no such order."""
        data = self.graphql(docs.ORDER_CANCELLATION, {"id": gid("Order", order_id)}, estimate=2)
        o = data.get("order")
        if o is None:
            return None
        return OrderCancellation(
            o["id"],
            o["name"],
            parse_dt(o.get("cancelledAt")),
            o.get("cancelReason"),
            req_dt(o.get("updatedAt")),
            o.get("displayFinancialStatus"),
        )

    def order_money(self, order_id: int | str) -> OrderMoney | None:
        """What Shopify says the order received, refunded and still owes, with its transactions (payment
        ids and processing fees)."""
        data = self.graphql(docs.ORDER_MONEY, {"id": gid("Order", order_id)}, estimate=60)
        o = data.get("order")
        if o is None:
            return None
        transactions = tuple(
            OrderTransaction(
                t["id"],
                t["kind"],
                t["status"],
                t.get("gateway"),
                t.get("paymentId"),
                _shop_money(t["amountSet"]),
                _money(t["amountSet"]["presentmentMoney"]),
                parse_dt(t.get("processedAt")),
                (t.get("parentTransaction") or {}).get("id"),
                tuple(
                    TransactionFee(
                        f["id"],
                        f["type"],
                        _money(f["amount"]),
                        _money(f["flatFee"]),
                        Decimal(str(f["rate"])),
                        _money(f["taxAmount"]),
                    )
                    for f in t["fees"]
                ),
                t["test"],
            )
            for t in o["transactions"]
        )
        return OrderMoney(
            o["id"],
            int(o["legacyResourceId"]),
            o["name"],
            o["refundable"],
            o.get("displayFinancialStatus"),
            _shop_money(o["totalPriceSet"]),
            _shop_money(o["netPaymentSet"]),
            _shop_money(o["totalReceivedSet"]),
            _shop_money(o["totalRefundedSet"]),
            _shop_money(o["totalRefundedShippingSet"]),
            _shop_money(o["totalOutstandingSet"]),
            transactions,
        )

    def suggested_refund(
        self,
        order_id: int | str,
        *,
        lines: Sequence[RefundLine] = (),
        refund_shipping: bool = False,
        shipping_amount: Decimal | None = None,
        full: bool = False,
    ) -> SuggestedRefund:
        """Shopify's own computation of a refund (amounts, taxes, the transactions to refund them with)."""
        variables: dict[str, Any] = {
            "id": gid("Order", order_id),
            "refundLineItems": [
                {
                    "lineItemId": gid("LineItem", x.line_item_id),
                    "quantity": x.quantity,
                    "restockType": x.restock_type,
                    **({"locationId": gid("Location", x.location_id)} if x.location_id else {}),
                }
                for x in lines
            ]
            or None,
            "refundShipping": refund_shipping or None,
            "shippingAmount": str(shipping_amount) if shipping_amount is not None else None,
            "suggestFullRefund": full or None,
        }
        data = self.graphql(docs.SUGGESTED_REFUND, variables, estimate=20)
        order = data.get("order")
        if order is None:
            raise BusinessRuleError(
                f"Shopify has no order {order_id}",
                code="shopify_order_not_found",
                system="shopify",
                details={"order_id": str(order_id)},
            )
        s = order["suggestedRefund"]
        return SuggestedRefund(
            _shop_money(s["amountSet"]),
            _shop_money(s["subtotalSet"]),
            _shop_money(s["totalTaxSet"]),
            _shop_money(s["maximumRefundableSet"]),
            _shop_money(s["shipping"]["amountSet"]),
            _shop_money(s["shipping"]["taxSet"]),
            tuple(
                SuggestedRefundLine(
                    x["lineItem"]["id"],
                    x["quantity"],
                    x["restockType"],
                    _shop_money(x["subtotalSet"]),
                    _shop_money(x["totalTaxSet"]),
                )
                for x in s["refundLineItems"]
            ),
            tuple(
                {
                    "kind": t["kind"],
                    "gateway": t.get("gateway"),
                    "amount": _shop_money(t["amountSet"]),
                    "parent_id": (t.get("parentTransaction") or {}).get("id"),
                }
                for t in s["suggestedTransactions"]
            ),
        )

    def order_risk(self, order_id: int | str) -> OrderRisk | None:
        """The order's risk assessments (Shopify's own and apps') and Shopify's recommendation."""
        data = self.graphql(docs.ORDER_RISK, {"id": gid("Order", order_id)}, estimate=10)
        o = data.get("order")
        if o is None:
            return None
        risk = o["risk"]
        return OrderRisk(
            o["id"],
            risk["recommendation"],
            tuple(
                RiskAssessment(
                    a["riskLevel"],
                    (a.get("provider") or {}).get("title"),
                    tuple((f["description"], f["sentiment"]) for f in a["facts"]),
                )
                for a in risk["assessments"]
            ),
        )

    # -- refunds, returns and fulfilments ----------------------------------------------------------------
    def create_refund(
        self,
        order_id: int | str,
        *,
        lines: Sequence[RefundLine] = (),
        full_shipping: bool = False,
        shipping_amount: Decimal | None = None,
        note: str | None = None,
        currency: str | None = None,
        transactions: Sequence[dict[str, Any]] = (),
        idempotency_key: str | None = None,
    ) -> Refund:
        key = _key_for(idempotency_key)
        refund_input: dict[str, Any] = {
            "orderId": gid("Order", order_id),
            "note": note,
            "notify": False,
            "refundLineItems": [
                {
                    "lineItemId": gid("LineItem", x.line_item_id),
                    "quantity": x.quantity,
                    "restockType": x.restock_type,
                    **({"locationId": gid("Location", x.location_id)} if x.location_id else {}),
                }
                for x in lines
            ],
        }
        if currency:
            refund_input["currency"] = currency
        if full_shipping:
            refund_input["shipping"] = {"fullRefund": True}
        elif shipping_amount is not None:
            refund_input["shipping"] = {"amount": str(shipping_amount)}
        if transactions:
            refund_input["transactions"] = list(transactions)
        data = self.graphql(docs.REFUND_CREATE, {"input": refund_input, "idempotencyKey": key}, estimate=10)
        payload = _check_user_errors(data["refundCreate"], "refundCreate", subject=str(order_id))
        r = payload["refund"]
        return Refund(
            r["id"],
            int(r["legacyResourceId"]),
            parse_dt(r["createdAt"]),
            _money(r["totalRefundedSet"]["shopMoney"]),
            _money(r["totalRefundedSet"]["presentmentMoney"]),
            key,
        )

    def fulfillment_orders(self, order_id: int | str) -> list[dict[str, Any]]:
        data = self.graphql(docs.FULFILLMENT_ORDERS, {"id": gid("Order", order_id)}, estimate=530)
        order = data.get("order")
        if order is None:
            raise BusinessRuleError(
                f"Shopify has no order {order_id}",
                code="shopify_order_not_found",
                system="shopify",
                details={"order_id": str(order_id)},
            )
        return list(order["fulfillmentOrders"]["nodes"])

    def create_fulfillment(
        self,
        order_id: int | str,
        *,
        lines: Sequence[tuple[str | int, int]] | None = None,
        tracking_company: str | None = None,
        tracking_number: str | None = None,
        tracking_url: str | None = None,
        notify_customer: bool = False,
    ) -> Fulfillment:
        """Fulfil ``lines`` ((line item id, quantity); all that remains when ``None``) with tracking."""
        fos = [fo for fo in self.fulfillment_orders(order_id) if fo["status"] in ("OPEN", "IN_PROGRESS")]
        groups = []
        if lines is None:
            groups = [{"fulfillmentOrderId": fo["id"]} for fo in fos]
        else:
            wanted = {gid("LineItem", li): qty for li, qty in lines}
            for fo in fos:
                items = []
                for foli in fo["lineItems"]["nodes"]:
                    li = foli["lineItem"]["id"]
                    if li in wanted and wanted[li] > 0 and foli["remainingQuantity"] > 0:
                        take = min(wanted[li], foli["remainingQuantity"])
                        items.append({"id": foli["id"], "quantity": take})
                        wanted[li] -= take
                if items:
                    groups.append({"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": items})
            left = {k: v for k, v in wanted.items() if v > 0}
            if left:
                raise BusinessRuleError(
                    f"Nothing left to fulfil for {sorted(left)}",
                    code="fulfillment_quantity",
                    system="shopify",
                    details={"order_id": str(order_id)},
                )
        if not groups:
            raise BusinessRuleError(
                "The order has nothing left to fulfil",
                code="fulfillment_quantity",
                system="shopify",
                details={"order_id": str(order_id)},
            )
        return self.create_fulfillment_for(
            groups,
            tracking_company=tracking_company,
            tracking_number=tracking_number,
            tracking_url=tracking_url,
            notify_customer=notify_customer,
            subject=str(order_id),
        )

    def create_fulfillment_for(
        self,
        line_items_by_fulfillment_order: Sequence[dict[str, Any]],
        *,
        tracking_company: str | None = None,
        tracking_number: str | None = None,
        tracking_url: str | None = None,
        notify_customer: bool = False,
        subject: str = "",
    ) -> Fulfillment:
        """``fulfillmentCreate`` for fulfilment order lines chosen by the caller (all at one location:
        ``[{"fulfillmentOrderId", "fulfillmentOrderLineItems": [{"id", "quantity"}]}]``). fulfillmentCreate
        takes no ``@idempotent`` key in 2026-07: the caller makes it once (sync/flows/fulfilments.py)."""
        tracking = {
            k: v
            for k, v in (("company", tracking_company), ("number", tracking_number), ("url", tracking_url))
            if v
        }
        data = self.graphql(
            docs.FULFILLMENT_CREATE,
            {
                "fulfillment": {
                    "lineItemsByFulfillmentOrder": list(line_items_by_fulfillment_order),
                    "notifyCustomer": notify_customer,
                    **({"trackingInfo": tracking} if tracking else {}),
                }
            },
            estimate=10,
        )
        payload = _check_user_errors(data["fulfillmentCreate"], "fulfillmentCreate", subject=subject)
        return _fulfillment(payload["fulfillment"])

    def order_fulfillments(self, order_id: int | str) -> list[Fulfillment]:
        """The order's fulfilments. ``Order.fulfillments`` is a list without pagination: an answer that may
        have been cut (the maximum of fulfilments, or a fulfilment with more lines than one page) is an
        error, never a short list."""
        data = self.graphql(docs.ORDER_FULFILLMENTS, {"id": gid("Order", order_id)}, estimate=900)
        order = data.get("order")
        if order is None:
            raise BusinessRuleError(
                f"Shopify has no order {order_id}",
                code="shopify_order_not_found",
                system="shopify",
                details={"order_id": str(order_id)},
            )
        found = order["fulfillments"]
        if len(found) >= docs.ORDER_FULFILLMENTS_MAX or any(
            f["fulfillmentLineItems"]["pageInfo"]["hasNextPage"] for f in found
        ):
            raise ContractError(
                f"order {order_id} has more fulfilments or fulfilment lines than one read returns",
                system="shopify",
            )
        return [_fulfillment(f) for f in found]

    def update_fulfillment_tracking(
        self,
        fulfillment_id: int | str,
        *,
        company: str | None = None,
        numbers: Sequence[str] = (),
        urls: Sequence[str] = (),
        notify_customer: bool = False,
    ) -> Fulfillment:
        """``fulfillmentTrackingInfoUpdate``: replace the fulfilment's carrier, tracking numbers and URLs."""
        tracking: dict[str, Any] = {"numbers": list(numbers)}
        if company:
            tracking["company"] = company
        if urls:
            tracking["urls"] = list(urls)
        data = self.graphql(
            docs.FULFILLMENT_TRACKING_UPDATE,
            {
                "id": gid("Fulfillment", fulfillment_id),
                "tracking": tracking,
                "notifyCustomer": notify_customer,
            },
            estimate=10,
        )
        payload = _check_user_errors(
            data["fulfillmentTrackingInfoUpdate"],
            "fulfillmentTrackingInfoUpdate",
            subject=str(fulfillment_id),
        )
        return _fulfillment(payload["fulfillment"])

    def cancel_fulfillment(self, fulfillment_id: int | str) -> Fulfillment:
        """``fulfillmentCancel``: the items go back to an open fulfilment order."""
        data = self.graphql(docs.FULFILLMENT_CANCEL, {"id": gid("Fulfillment", fulfillment_id)}, estimate=10)
        payload = _check_user_errors(
            data["fulfillmentCancel"], "fulfillmentCancel", subject=str(fulfillment_id)
        )
        return _fulfillment(payload["fulfillment"])

    def create_return(
        self,
        order_id: int | str,
        lines: Sequence[tuple[str, int, str]],
        *,
        requested_at: datetime | None = None,
    ) -> Return:
        """``returnCreate`` (an OPEN return, approved): ``lines`` are (fulfillment line item id, quantity,
        note)."""
        data = self.graphql(
            docs.RETURN_CREATE,
            {
                "input": {
                    "orderId": gid("Order", order_id),
                    "returnLineItems": [
                        {
                            "fulfillmentLineItemId": gid("FulfillmentLineItem", fli),
                            "quantity": qty,
                            **({"returnReasonNote": note} if note else {}),
                        }
                        for fli, qty, note in lines
                    ],
                    **({"requestedAt": requested_at.isoformat()} if requested_at else {}),
                }
            },
            estimate=10,
        )
        payload = _check_user_errors(data["returnCreate"], "returnCreate", subject=str(order_id))
        return _return(payload["return"])

    def order_returns(self, order_id: int | str) -> list[Return]:
        out: list[Return] = []
        after = None
        while True:
            data = self.graphql(
                docs.ORDER_RETURNS, {"id": gid("Order", order_id), "after": after}, estimate=840
            )
            order = data.get("order")
            if order is None:
                raise BusinessRuleError(
                    f"Shopify has no order {order_id}",
                    code="shopify_order_not_found",
                    system="shopify",
                    details={"order_id": str(order_id)},
                )
            out += [_return(n) for n in order["returns"]["nodes"]]
            page = order["returns"]["pageInfo"]
            if not page["hasNextPage"]:
                return out
            after = page["endCursor"]

    # -- inventory ---------------------------------------------------------------------------------------
    def inventory_items_by_sku(
        self, skus: Sequence[str], *, with_locations: Sequence[str] = ()
    ) -> dict[str, InventoryItemRef]:
        """Inventory item, variant and product ids per SKU (and the available/on_hand quantities at
        ``with_locations``)."""
        out: dict[str, InventoryItemRef] = {}
        for start in range(0, len(skus), 50):
            chunk = list(skus[start : start + 50])
            search = " OR ".join(f"sku:{json.dumps(s)}" for s in chunk)
            data = self.graphql(
                docs.VARIANTS_BY_SKU,
                {"query": search, "first": max(1, len(chunk) * 2)},
                estimate=2 + len(chunk) * 2 * 4,
            )
            for n in data["productVariants"]["nodes"]:
                if n["sku"] in chunk and n["sku"] not in out:
                    out[n["sku"]] = InventoryItemRef(
                        n["inventoryItem"]["id"], n["id"], n["product"]["id"], n["sku"]
                    )
        if with_locations:
            for sku, ref in list(out.items()):
                out[sku] = InventoryItemRef(
                    ref.inventory_item_id,
                    ref.variant_id,
                    ref.product_id,
                    ref.sku,
                    self.inventory_quantities(ref.inventory_item_id, with_locations),
                )
        return out

    def inventory_levels_by_sku(
        self, skus: Sequence[str], location_ids: Sequence[str]
    ) -> dict[str, InventoryItemLevels]:
        """Per SKU: its inventory item, whether it is tracked, and ``available`` at each of ``location_ids``
        that stocks it (at most 8); 1 query per 25 SKUs. SKUs Shopify does not have are absent."""
        locations = [gid("Location", loc) for loc in location_ids]
        if not 1 <= len(locations) <= docs.INVENTORY_LOCATIONS_MAX:
            raise ValueError(f"1 to {docs.INVENTORY_LOCATIONS_MAX} locations at a time, not {len(locations)}")
        out: dict[str, InventoryItemLevels] = {}
        wanted = list(dict.fromkeys(s for s in skus if s))
        for start in range(0, len(wanted), 25):
            chunk = wanted[start : start + 25]
            search = " OR ".join(f"sku:{json.dumps(s)}" for s in chunk)
            first = len(chunk) + 5  # a SKU held by two variants shows up (the first wins)
            variables: dict[str, Any] = {"query": search, "first": first}
            variables.update({f"l{i}": loc for i, loc in enumerate(locations)})
            data = self.graphql(
                docs.INVENTORY_BY_SKU[len(locations)],
                variables,
                estimate=2 + first * (3 + 2 * len(locations)),
            )
            for n in data["productVariants"]["nodes"]:
                if n["sku"] not in chunk or n["sku"] in out:
                    continue
                item = n["inventoryItem"]
                available = {}
                for i, loc in enumerate(locations):
                    level = item.get(f"l{i}")
                    if level is not None:
                        available[loc] = next(
                            (q["quantity"] for q in level["quantities"] if q["name"] == "available"), 0
                        )
                out[n["sku"]] = InventoryItemLevels(
                    sku=n["sku"],
                    inventory_item_id=item["id"],
                    variant_id=n["id"],
                    product_id=n["product"]["id"],
                    tracked=bool(item["tracked"]),
                    available=available,
                )
        return out

    def inventory_quantities(
        self,
        inventory_item_id: str,
        location_ids: Sequence[str],
        names: Sequence[str] = ("available", "on_hand"),
    ) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for loc in location_ids:
            data = self.graphql(
                docs.INVENTORY_LEVEL,
                {"item": inventory_item_id, "location": gid("Location", loc), "names": list(names)},
                estimate=4,
            )
            level = (data.get("inventoryItem") or {}).get("inventoryLevel")
            if level is not None:
                out[gid("Location", loc)] = {q["name"]: q["quantity"] for q in level["quantities"]}
        return out

    def activate_inventory(
        self,
        inventory_item_id: str,
        location_id: str,
        *,
        available: int | None = None,
        idempotency_key: str | None = None,
    ) -> InventoryLevelRef:
        """``inventoryActivate``: stock the item at a location (``available`` defaults to 0 there)."""
        key = _key_for(idempotency_key)
        data = self.graphql(
            docs.INVENTORY_ACTIVATE,
            {
                "item": gid("InventoryItem", inventory_item_id),
                "location": gid("Location", location_id),
                "available": available,
                "idempotencyKey": key,
            },
            estimate=10,
        )
        level = _check_user_errors(data["inventoryActivate"], "inventoryActivate", inventory_item_id)[
            "inventoryLevel"
        ]
        return InventoryLevelRef(
            level["id"],
            level["location"]["id"],
            {q["name"]: q["quantity"] for q in level["quantities"]},
            key,
        )

    def set_inventory_quantities(
        self,
        quantities: Sequence[InventorySet],
        *,
        reason: str = "correction",
        name: str = "available",
        reference_document_uri: str | None = None,
        idempotency_key: str | None = None,
    ) -> list[InventoryAdjustment]:
        """``inventorySetQuantities`` in batches of at most 250, each with its own ``@idempotent`` key derived
        from ``idempotency_key`` (so a retried job reuses the same keys)."""
        base = _key_for(idempotency_key)
        results = []
        for index, start in enumerate(range(0, len(quantities), MAX_BATCH)):
            batch = quantities[start : start + MAX_BATCH]
            key = (
                base
                if len(quantities) <= MAX_BATCH
                else str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}/{index}"))
            )
            results.append(
                self._set_batch(batch, reason=reason, name=name, reference=reference_document_uri, key=key)
            )
        return results

    def _set_batch(
        self, batch: Sequence[InventorySet], *, reason: str, name: str, reference: str | None, key: str
    ) -> InventoryAdjustment:
        payload = {
            "name": name,
            "reason": reason,
            "referenceDocumentUri": reference,
            "quantities": [
                {
                    "inventoryItemId": q.inventory_item_id,
                    "locationId": gid("Location", q.location_id),
                    "quantity": q.quantity,
                    "changeFromQuantity": q.change_from,
                }
                for q in batch
            ],
        }
        data = self.graphql(docs.INVENTORY_SET, {"input": payload, "idempotencyKey": key}, estimate=10)
        body = data["inventorySetQuantities"]
        if body and body.get("userErrors"):
            errors = body["userErrors"]
            first = errors[0]
            idx = _index_from_field(first.get("field"))
            item = batch[idx].inventory_item_id if idx is not None and idx < len(batch) else ""
            cls = (
                StaleQuantityError if first.get("code") == "CHANGE_FROM_QUANTITY_STALE" else BusinessRuleError
            )
            raise cls(
                f"inventorySetQuantities: {first['message']}",
                code=first.get("code") or "inventory_error",
                key=item,
                system="shopify",
                details={"userErrors": errors},
            )
        group = _check_user_errors(body, "inventorySetQuantities")["inventoryAdjustmentGroup"]
        changes = tuple(
            InventoryChange(
                c["item"]["id"] if c.get("item") else "",
                c["location"]["id"] if c.get("location") else "",
                c["name"],
                c["delta"],
                c.get("quantityAfterChange"),
            )
            for c in (group or {}).get("changes", [])
        )
        return InventoryAdjustment(group["id"] if group else None, changes, key)

    # -- products ----------------------------------------------------------------------------------------
    def update_variant_prices(
        self, product_id: str, prices: Sequence[tuple[str, Decimal, Decimal | None]]
    ) -> None:
        """``productVariantsBulkUpdate``: (variant id, price, compare-at price) for one product."""
        variants = [
            {"id": v, "price": str(p), **({"compareAtPrice": str(c)} if c is not None else {})}
            for v, p, c in prices
        ]
        data = self.graphql(
            docs.VARIANT_PRICES, {"productId": gid("Product", product_id), "variants": variants}, estimate=10
        )
        _check_user_errors(data["productVariantsBulkUpdate"], "productVariantsBulkUpdate", product_id)

    def product_set(self, product: dict[str, Any], *, product_id: str | None = None) -> ProductRef:
        """``productSet`` (synchronous): create a product, or update ``product_id``. Fields left out of
        ``product`` are left as they are; a ``variants`` list given replaces the product's variants."""
        data = self.graphql(
            docs.PRODUCT_SET,
            {"input": product, "identifier": {"id": gid("Product", product_id)} if product_id else None},
            estimate=10 + 250,
        )
        body = _check_user_errors(data["productSet"], "productSet", product_id or "")
        node = body["product"]
        return ProductRef(
            node["id"],
            node["status"],
            tuple((v["id"], v["sku"] or "") for v in node["variants"]["nodes"]),
            node.get("updatedAt") or "",
        )

    def update_variants(self, product_id: str, variants: Sequence[dict[str, Any]]) -> str:
        """``productVariantsBulkUpdate``: price, compareAtPrice, barcode or inventoryItem.sku per variant.
        Returns the product's ``updatedAt`` after it."""
        data = self.graphql(
            docs.VARIANTS_UPDATE,
            {"productId": gid("Product", product_id), "variants": list(variants)},
            estimate=10,
        )
        body = _check_user_errors(data["productVariantsBulkUpdate"], "productVariantsBulkUpdate", product_id)
        return str((body.get("product") or {}).get("updatedAt") or "")

    def products_by_sku(self, skus: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        """SKU → (product gid, variant gid, product status) for the SKUs Shopify has (50 a query)."""
        out: dict[str, tuple[str, str, str]] = {}
        wanted = list(dict.fromkeys(s for s in skus if s))
        for start in range(0, len(wanted), 50):
            chunk = wanted[start : start + 50]
            search = " OR ".join(f"sku:{json.dumps(s)}" for s in chunk)
            data = self.graphql(
                docs.PRODUCTS_BY_SKU, {"query": search, "first": len(chunk) + 5}, estimate=2 + 3 * len(chunk)
            )
            for n in data["productVariants"]["nodes"]:
                if n["sku"] in chunk and n["sku"] not in out:
                    out[n["sku"]] = (n["product"]["id"], n["id"], n["product"]["status"])
        return out

    def variant_prices_by_sku(self, skus: Sequence[str]) -> dict[str, tuple[Decimal, str]]:
        """SKU → (price, product status) for the SKUs Shopify has (50 a query)."""
        out: dict[str, tuple[Decimal, str]] = {}
        wanted = list(dict.fromkeys(s for s in skus if s))
        for start in range(0, len(wanted), 50):
            chunk = wanted[start : start + 50]
            search = " OR ".join(f"sku:{json.dumps(s)}" for s in chunk)
            data = self.graphql(
                docs.VARIANT_PRICES_BY_SKU,
                {"query": search, "first": len(chunk) + 5},
                estimate=2 + 3 * len(chunk),
            )
            for n in data["productVariants"]["nodes"]:
                if n["sku"] in chunk and n["sku"] not in out:
                    out[n["sku"]] = (Decimal(str(n["price"])), n["product"]["status"])
        return out

    # -- customers ---------------------------------------------------------------------------------------
    def _customer(self, n: dict[str, Any]) -> Customer:
        return Customer(
            n["id"],
            int(n["legacyResourceId"]),
            (n.get("defaultEmailAddress") or {}).get("emailAddress"),
            n["firstName"],
            n["lastName"],
            (n.get("defaultPhoneNumber") or {}).get("phoneNumber"),
            n["note"],
            tuple(n["tags"]),
            req_dt(n["updatedAt"]),
        )

    def get_customer(self, customer_id: int | str) -> Customer | None:
        data = self.graphql(docs.CUSTOMER_GET, {"id": gid("Customer", customer_id)}, estimate=4)
        return self._customer(data["customer"]) if data.get("customer") else None

    def find_customer_by_email(self, email: str) -> Customer | None:
        data = self.graphql(docs.CUSTOMER_FIND, {"query": f"email:{json.dumps(email)}"}, estimate=6)
        nodes = data["customers"]["nodes"]
        return self._customer(nodes[0]) if nodes else None

    def create_customer(
        self,
        *,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        phone: str | None = None,
        note: str | None = None,
        tags: Sequence[str] = (),
    ) -> Customer:
        data = self.graphql(
            docs.CUSTOMER_CREATE,
            {
                "input": {
                    k: v
                    for k, v in (
                        ("email", email),
                        ("firstName", first_name),
                        ("lastName", last_name),
                        ("phone", phone),
                        ("note", note),
                        ("tags", list(tags) or None),
                    )
                    if v is not None
                }
            },
            estimate=10,
        )
        return self._customer(
            _check_user_errors(data["customerCreate"], "customerCreate", email or "")["customer"]
        )

    def update_customer(self, customer_id: int | str, **fields: Any) -> Customer:
        names = {
            "email": "email",
            "first_name": "firstName",
            "last_name": "lastName",
            "phone": "phone",
            "note": "note",
            "tags": "tags",
        }
        inp = {names[k]: (list(v) if k == "tags" else v) for k, v in fields.items() if k in names}
        inp["id"] = gid("Customer", customer_id)
        data = self.graphql(docs.CUSTOMER_UPDATE, {"input": inp}, estimate=10)
        return self._customer(
            _check_user_errors(data["customerUpdate"], "customerUpdate", str(customer_id))["customer"]
        )

    # -- webhook subscriptions ---------------------------------------------------------------------------
    def list_webhook_subscriptions(self) -> list[WebhookSubscription]:
        out: list[WebhookSubscription] = []
        after = None
        while True:
            data = self.graphql(docs.SUBSCRIPTIONS, {"after": after}, estimate=2 + 100 * 2)
            conn = data["webhookSubscriptions"]
            for n in conn["nodes"]:
                out.append(WebhookSubscription(n["id"], n["topic"], n["uri"], n["apiVersion"]["handle"]))
            if not conn["pageInfo"]["hasNextPage"]:
                return out
            after = conn["pageInfo"]["endCursor"]

    def create_webhook_subscription(self, topic: str, callback_url: str) -> WebhookSubscription:
        if topic in PRIVACY_TOPICS:
            # Shopify refuses them through the API: they go to the app configuration's compliance URL.
            raise BusinessRuleError(
                f"{topic} is a mandatory compliance topic; it is configured for the app, not subscribed",
                code="compliance_topic",
                key=topic,
                system="shopify",
            )
        data = self.graphql(
            docs.SUBSCRIPTION_CREATE,
            {"topic": topic, "subscription": {"uri": callback_url, "format": "JSON"}},
            estimate=10,
        )
        n = _check_user_errors(data["webhookSubscriptionCreate"], "webhookSubscriptionCreate", topic)[
            "webhookSubscription"
        ]
        return WebhookSubscription(n["id"], n["topic"], n["uri"], n["apiVersion"]["handle"])

    def delete_webhook_subscription(self, subscription_id: str) -> None:
        data = self.graphql(docs.SUBSCRIPTION_DELETE, {"id": subscription_id}, estimate=10)
        _check_user_errors(data["webhookSubscriptionDelete"], "webhookSubscriptionDelete", subscription_id)

    def missing_webhook_topics(self, callback_url: str, topics: Sequence[str]) -> list[str]:
        """Topics in ``topics`` with no subscription at ``callback_url`` (for health checks)."""
        have = {s.topic for s in self.list_webhook_subscriptions() if s.callback_url == callback_url}
        return [t for t in topics if t not in have]

    def ensure_webhook_subscriptions(
        self, callback_url: str, topics: Sequence[str], *, prune: bool = False
    ) -> SubscriptionSync:
        """Register every topic in ``topics`` at ``callback_url`` that is not registered (a subscription
        Shopify deleted after failed deliveries is registered again). With ``prune``, subscriptions at
        ``callback_url`` to other topics are deleted (nothing would handle their deliveries). Subscriptions
        elsewhere are left alone."""
        existing = [s for s in self.list_webhook_subscriptions() if s.callback_url == callback_url]
        have = {s.topic for s in existing}
        created = tuple(self.create_webhook_subscription(t, callback_url) for t in topics if t not in have)
        deleted: tuple[WebhookSubscription, ...] = ()
        if prune:
            deleted = tuple(s for s in existing if s.topic not in topics)
            for sub in deleted:
                self.delete_webhook_subscription(sub.id)
        return SubscriptionSync(
            created=created, kept=tuple(s for s in existing if s.topic in topics), deleted=deleted
        )

    # -- bulk operations ---------------------------------------------------------------------------------
    def run_bulk_query(self, query: str, *, group_objects: bool = False) -> BulkOperation:
        """``bulkOperationRunQuery``: start an export; poll ``bulk_operation`` (or wait for the
        ``BULK_OPERATIONS_FINISH`` webhook) and read the result with ``bulk_results``."""
        data = self.graphql(docs.BULK_RUN_QUERY, {"query": query, "groupObjects": group_objects}, estimate=10)
        payload = _check_user_errors(data["bulkOperationRunQuery"], "bulkOperationRunQuery")
        return _bulk(payload["bulkOperation"])

    def bulk_operation(self, operation_id: str) -> BulkOperation | None:
        data = self.graphql(docs.BULK_OPERATION_GET, {"id": operation_id}, estimate=2)
        node = data.get("bulkOperation")
        return _bulk(node) if node else None

    def running_bulk_operations(self) -> list[BulkOperation]:
        """This app's bulk operations not finished yet, newest first."""
        data = self.graphql(docs.BULK_OPERATIONS_RUNNING, estimate=7)
        return [_bulk(n) for n in data["bulkOperations"]["nodes"]]

    def cancel_bulk_operation(self, operation_id: str) -> BulkOperation:
        data = self.graphql(docs.BULK_CANCEL, {"id": operation_id}, estimate=10)
        payload = _check_user_errors(data["bulkOperationCancel"], "bulkOperationCancel", operation_id)
        return _bulk(payload["bulkOperation"])

    def bulk_results(self, operation: BulkOperation, *, partial: bool = False) -> Iterator[dict[str, Any]]:
        """The JSONL result of a finished operation, one object per line (children carry ``__parentId``).
        The URL is a signed link to storage: it is fetched without the shop's access token."""
        url = operation.partial_data_url if partial else operation.url
        if operation.status != "COMPLETED" and not partial:
            raise BusinessRuleError(
                f"bulk operation {operation.id} is {operation.status}, not COMPLETED",
                code="bulk_not_completed",
                key=operation.id,
                system="shopify",
            )
        if not url:
            return  # Shopify gives no URL when the query matched nothing
        try:
            resp = requests.get(url, stream=True, timeout=BULK_DOWNLOAD_TIMEOUT)
        except requests.RequestException as exc:
            raise TransientError(f"bulk result download failed: {exc}", system="shopify") from exc
        with resp:
            if resp.status_code >= 500:
                raise TransientError(f"bulk result download answered {resp.status_code}", system="shopify")
            if resp.status_code != 200:
                raise BusinessRuleError(
                    f"bulk result of {operation.id} answered {resp.status_code} (expired after 7 days?)",
                    code="bulk_result_unavailable",
                    key=operation.id,
                    system="shopify",
                    details={"status": resp.status_code, "body": resp.text[:300]},
                )
            for number, line in enumerate(resp.iter_lines(), start=1):
                if not line:
                    continue
                try:
                    yield json.loads(line)
                except ValueError as exc:
                    raise ContractError(f"bulk result line {number} is not JSON", system="shopify") from exc

    # -- Shopify Payments --------------------------------------------------------------------------------
    def payouts(self, *, first: int = 50, after: str | None = None) -> tuple[list[Payout], str | None]:
        data = self.graphql(docs.PAYOUTS, {"first": first, "after": after}, estimate=2 + first * 12)
        account = data.get("shopifyPaymentsAccount")
        if account is None:
            return [], None
        conn = account["payouts"]
        out = []
        for n in conn["nodes"]:
            sm = n["summary"]
            out.append(
                Payout(
                    n["id"],
                    int(n["legacyResourceId"]),
                    req_dt(n["issuedAt"]),
                    n["status"],
                    _money(n["net"]),
                    _money(sm["chargesGross"]),
                    _money(sm["chargesFee"]),
                    _money(sm["refundsFeeGross"]),
                    _money(sm["refundsFee"]),
                    _money(sm["adjustmentsGross"]),
                    _money(sm["adjustmentsFee"]),
                    n["transactionType"],
                    _money(sm["reservedFundsGross"]),
                    _money(sm["reservedFundsFee"]),
                    _money(sm["retriedPayoutsGross"]),
                    _money(sm["retriedPayoutsFee"]),
                )
            )
        return out, conn["pageInfo"]["endCursor"] if conn["pageInfo"]["hasNextPage"] else None

    def balance_transactions(
        self, *, payout_id: str | int | None = None, first: int = 50, query: str | None = None
    ) -> list[BalanceTransaction]:
        terms = [query] if query else []
        if payout_id is not None:
            terms.append(f"payout_id:{str(payout_id).split('/')[-1]}")
        out: list[BalanceTransaction] = []
        after = None
        while True:
            data = self.graphql(
                docs.BALANCE_TRANSACTIONS,
                {"first": first, "after": after, "query": " ".join(terms) or None},
                estimate=2 + first * 8,
            )
            account = data.get("shopifyPaymentsAccount")
            if account is None:
                return out
            conn = account["balanceTransactions"]
            for n in conn["nodes"]:
                order = n.get("associatedOrder") or {}
                payout = n.get("associatedPayout") or {}
                out.append(
                    BalanceTransaction(
                        n["id"],
                        req_dt(n["transactionDate"]),
                        n["type"],
                        n["sourceType"],
                        int(n["sourceId"]) if n["sourceId"] is not None else None,
                        int(n["sourceOrderTransactionId"])
                        if n["sourceOrderTransactionId"] is not None
                        else None,
                        _money(n["amount"]),
                        _money(n["fee"]),
                        _money(n["net"]),
                        order.get("id"),
                        payout.get("id"),
                        payout.get("status"),
                        n.get("adjustmentReason"),
                        n["test"],
                        order.get("name"),
                        tuple(
                            AdjustmentOrder(
                                int(a["orderTransactionId"]),
                                a["name"],
                                _money(a["amount"]),
                                _money(a["fees"]),
                                _money(a["net"]),
                            )
                            for a in n["adjustmentsOrders"]
                        ),
                    )
                )
            if not conn["pageInfo"]["hasNextPage"]:
                return out
            after = conn["pageInfo"]["endCursor"]

    def disputes(
        self, *, first: int = 50, after: str | None = None, query: str | None = None
    ) -> tuple[list[Dispute], str | None]:
        """Shopify Payments disputes (chargebacks and inquiries), newest first as Shopify lists them."""
        data = self.graphql(
            docs.DISPUTES, {"first": first, "after": after, "query": query}, estimate=2 + first * 4
        )
        account = data.get("shopifyPaymentsAccount")
        if account is None:
            return [], None
        conn = account["disputes"]
        out = [
            Dispute(
                n["id"],
                int(n["legacyResourceId"]),
                n["status"],
                n["type"],
                _money(n["amount"]),
                n["reasonDetails"]["reason"],
                n["reasonDetails"].get("networkReasonCode"),
                req_dt(n["initiatedAt"]),
                parse_dt(n.get("evidenceDueBy")),
                parse_dt(n.get("evidenceSentOn")),
                parse_dt(n.get("finalizedOn")),
                (n.get("order") or {}).get("id"),
                (n.get("order") or {}).get("name"),
            )
            for n in conn["nodes"]
        ]
        return out, conn["pageInfo"]["endCursor"] if conn["pageInfo"]["hasNextPage"] else None


def _index_from_field(field: list[str] | None) -> int | None:
    for part in field or []:
        if part.isdigit():
            return int(part)
    return None
