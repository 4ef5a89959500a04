"""The Shopify connector: the Admin GraphQL operations the flows need, returning typed values.

I/O only: no ORM, no mapping logic. Every error is one of ``opsconsole.core.errors``; GraphQL
``userErrors`` become ``BusinessRuleError(code, key)``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from opsconsole.core.errors import BusinessRuleError, ContractError
from sync.connectors.shopify.config import ShopifyConfig
from sync.connectors.shopify.rest_shape import LINE_ITEM_FIELDS, ORDER_FIELDS, order_to_rest
from sync.connectors.shopify.throttle import Throttle
from sync.connectors.shopify.transport import Transport
from sync.connectors.shopify.types import (
    ApiWarning,
    BalanceTransaction,
    Customer,
    Fulfillment,
    InventoryAdjustment,
    InventoryChange,
    InventoryItemRef,
    InventorySet,
    Location,
    Money,
    OrderRef,
    Payout,
    Refund,
    RefundLine,
    ShopInfo,
    SubscriptionSync,
    WebhookSubscription,
)
from sync.connectors.shopify.webhooks import TOPICS

MAX_BATCH = 250
ORDER_PAGE = 50


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


def _key_for(idempotency_key: str | None) -> str:
    return idempotency_key or str(uuid.uuid4())


def _check_user_errors(payload: dict[str, Any] | None, operation: str, key: str = "") -> dict[str, Any]:
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
            details={"userErrors": errors},
        )
    return payload


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
        resp = self.transport.execute(
            "query ShopInfo { shop { id name myshopifyDomain currencyCode taxesIncluded plan {"
            " displayName } } }",
            estimate=3,
        )
        s = resp.data["shop"]
        return ShopInfo(
            s["id"],
            s["name"],
            s["myshopifyDomain"],
            s["currencyCode"],
            s["taxesIncluded"],
            s["plan"]["displayName"],
            resp.api_version,
        )

    def locations(self) -> list[Location]:
        data = self.graphql(
            "query Locations { locations(first: 50) { nodes { id legacyResourceId name isActive } } }",
            estimate=52,
        )
        return [
            Location(n["id"], int(n["legacyResourceId"]), n["name"], n["isActive"])
            for n in data["locations"]["nodes"]
        ]

    # -- orders ------------------------------------------------------------------------------------------
    def fetch_order_rest(self, order_id: int | str) -> dict[str, Any] | None:
        """The order as the ``orders/create`` webhook body would carry it now (for the fields a sync uses),
        or ``None`` when Shopify has no such order."""
        order_gid = gid("Order", order_id)
        data = self.graphql(ORDER_QUERY, {"id": order_gid, "after": None}, estimate=400)
        node = data.get("order")
        if node is None:
            return None
        lines = list(node["lineItems"]["nodes"])
        page = node["lineItems"]["pageInfo"]
        while page["hasNextPage"]:
            more = self.graphql(
                ORDER_LINES_QUERY, {"id": order_gid, "after": page["endCursor"]}, estimate=600
            )
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
        terms = []
        for name, value, op in (
            ("updated_at", updated_at_min, ">="),
            ("updated_at", updated_at_max, "<="),
            ("created_at", created_at_min, ">="),
            ("created_at", created_at_max, "<="),
        ):
            if value is not None:
                terms.append(f"{name}:{op}'{value.isoformat()}'")
        after = None
        while True:
            data = self.graphql(
                ORDERS_QUERY,
                {"first": page_size, "after": after, "query": " ".join(terms)},
                estimate=2 + page_size * 6,
            )
            conn = data["orders"]
            for n in conn["nodes"]:
                yield OrderRef(
                    n["id"],
                    int(n["legacyResourceId"]),
                    n["name"],
                    req_dt(n["createdAt"]),
                    req_dt(n["updatedAt"]),
                    parse_dt(n["cancelledAt"]),
                    n["displayFinancialStatus"],
                    _money(n["totalPriceSet"]["shopMoney"]),
                )
            if not conn["pageInfo"]["hasNextPage"]:
                return
            after = conn["pageInfo"]["endCursor"]

    def list_orders(self, **window: Any) -> list[OrderRef]:
        return list(self.iter_orders(**window))

    def cancel_order(
        self,
        order_id: int | str,
        *,
        reason: str = "OTHER",
        refund: bool = False,
        restock: bool = False,
        staff_note: str | None = None,
    ) -> None:
        data = self.graphql(
            """mutation Cancel($id: ID!, $reason: OrderCancelReason!, $refund: Boolean, $restock: Boolean!,
                 $note: String) {
               orderCancel(orderId: $id, reason: $reason, refund: $refund, restock: $restock, staffNote:
                 $note) {
                 job { id done } orderCancelUserErrors { field message code } } }""",
            {
                "id": gid("Order", order_id),
                "reason": reason,
                "refund": refund,
                "restock": restock,
                "note": staff_note,
            },
            estimate=10,
        )
        _check_user_errors(data["orderCancel"], "orderCancel", str(order_id))

    def create_order(self, order_input: dict[str, Any]) -> dict[str, Any]:
        """``orderCreate`` (tests and demos create orders the way they would in a development store)."""
        data = self.graphql(
            """mutation Create($order: OrderCreateOrderInput!) { orderCreate(order: $order) {
                 order { id legacyResourceId name totalPriceSet { shopMoney { amount currencyCode } } }
                 userErrors { field message code } } }""",
            {"order": order_input},
            estimate=10,
        )
        payload = _check_user_errors(data["orderCreate"], "orderCreate")
        order: dict[str, Any] = payload["order"]
        return order

    # -- refunds and fulfilments -------------------------------------------------------------------------
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
        query = (
            "mutation Refund($input: RefundInput!) { refundCreate(input: $input) @idempotent(key: KEY) {"
            " refund { id legacyResourceId createdAt totalRefundedSet { shopMoney { amount currencyCode }"
            " presentmentMoney { amount currencyCode } } } userErrors { field message } } }".replace(
                "KEY", json.dumps(key)
            )
        )
        data = self.graphql(query, {"input": refund_input}, estimate=10)
        payload = _check_user_errors(data["refundCreate"], "refundCreate", str(order_id))
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
        data = self.graphql(
            """query FOs($id: ID!) { order(id: $id) { fulfillmentOrders(first: 5) { nodes { id status
                 assignedLocation { location { id } } lineItems(first: 50) { nodes { id remainingQuantity
                 lineItem { id sku } } } } } } }""",
            {"id": gid("Order", order_id)},
            estimate=530,
        )
        order = data.get("order")
        if order is None:
            raise BusinessRuleError(
                f"Shopify has no order {order_id}",
                code="shopify_order_not_found",
                key=str(order_id),
                system="shopify",
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
                    key=str(order_id),
                    system="shopify",
                )
        if not groups:
            raise BusinessRuleError(
                "The order has nothing left to fulfil",
                code="fulfillment_quantity",
                key=str(order_id),
                system="shopify",
            )
        tracking = {
            k: v
            for k, v in (("company", tracking_company), ("number", tracking_number), ("url", tracking_url))
            if v
        }
        data = self.graphql(
            """mutation Fulfil($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
                 fulfillment { id legacyResourceId name status trackingInfo { company number url }
                   fulfillmentLineItems(first: 50) { nodes { quantity lineItem { id } } } }
                 userErrors { field message } } }""",
            {
                "f": {
                    "lineItemsByFulfillmentOrder": groups,
                    "notifyCustomer": notify_customer,
                    **({"trackingInfo": tracking} if tracking else {}),
                }
            },
            estimate=10,
        )
        payload = _check_user_errors(data["fulfillmentCreate"], "fulfillmentCreate", str(order_id))
        f = payload["fulfillment"]
        info = f["trackingInfo"]
        return Fulfillment(
            f["id"],
            int(f["legacyResourceId"]),
            f["name"],
            f["status"],
            info[0]["company"] if info else None,
            tuple(t["number"] for t in info if t["number"]),
            tuple((n["lineItem"]["id"], n["quantity"]) for n in f["fulfillmentLineItems"]["nodes"]),
        )

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
                """query Variants($q: String!, $first: Int!) { productVariants(first: $first, query: $q)
                  { nodes {
                     id sku product { id } inventoryItem { id } } } }""",
                {"q": search, "first": max(1, len(chunk) * 2)},
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

    def inventory_quantities(
        self,
        inventory_item_id: str,
        location_ids: Sequence[str],
        names: Sequence[str] = ("available", "on_hand"),
    ) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for loc in location_ids:
            data = self.graphql(
                """query Level($item: ID!, $loc: ID!, $names: [String!]!) { inventoryItem(id: $item) {
                     inventoryLevel(locationId: $loc) { quantities(names: $names) { name quantity } } } }""",
                {"item": inventory_item_id, "loc": gid("Location", loc), "names": list(names)},
                estimate=4,
            )
            level = (data.get("inventoryItem") or {}).get("inventoryLevel")
            if level is not None:
                out[gid("Location", loc)] = {q["name"]: q["quantity"] for q in level["quantities"]}
        return out

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
        query = (
            "mutation Set($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input)"
            " @idempotent(key: KEY) { inventoryAdjustmentGroup { id reason changes { name delta"
            " quantityAfterChange"
            " item { id } location { id } } } userErrors { field message code } } }".replace(
                "KEY", json.dumps(key)
            )
        )
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
        data = self.graphql(query, {"input": payload}, estimate=10)
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
            """mutation Prices($p: ID!, $v: [ProductVariantsBulkInput!]!) {
              productVariantsBulkUpdate(productId: $p,
                 variants: $v) { productVariants { id price } userErrors { field message code } } }""",
            {"p": gid("Product", product_id), "v": variants},
            estimate=10,
        )
        _check_user_errors(data["productVariantsBulkUpdate"], "productVariantsBulkUpdate", product_id)

    # -- customers ---------------------------------------------------------------------------------------
    CUSTOMER_FIELDS = "id legacyResourceId email firstName lastName phone note tags updatedAt"

    def _customer(self, n: dict[str, Any]) -> Customer:
        return Customer(
            n["id"],
            int(n["legacyResourceId"]),
            n["email"],
            n["firstName"],
            n["lastName"],
            n["phone"],
            n["note"],
            tuple(n["tags"]),
            req_dt(n["updatedAt"]),
        )

    def get_customer(self, customer_id: int | str) -> Customer | None:
        data = self.graphql(
            f"query C($id: ID!) {{ customer(id: $id) {{ {self.CUSTOMER_FIELDS} }} }}",
            {"id": gid("Customer", customer_id)},
            estimate=2,
        )
        return self._customer(data["customer"]) if data.get("customer") else None

    def find_customer_by_email(self, email: str) -> Customer | None:
        data = self.graphql(
            f"query F($q: String!) {{ customers(first: 1, query: $q) {{ nodes {{ {self.CUSTOMER_FIELDS}"
            " } } }",
            {"q": f"email:{json.dumps(email)}"},
            estimate=4,
        )
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
            f"mutation C($i: CustomerInput!) {{ customerCreate(input: $i) {{"
            f" customer {{ {self.CUSTOMER_FIELDS} }}"
            " userErrors { field message } } }",
            {
                "i": {
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
        data = self.graphql(
            f"mutation U($i: CustomerInput!) {{ customerUpdate(input: $i) {{"
            f" customer {{ {self.CUSTOMER_FIELDS} }}"
            " userErrors { field message } } }",
            {"i": inp},
            estimate=10,
        )
        return self._customer(
            _check_user_errors(data["customerUpdate"], "customerUpdate", str(customer_id))["customer"]
        )

    # -- webhook subscriptions ---------------------------------------------------------------------------
    def list_webhook_subscriptions(self) -> list[WebhookSubscription]:
        out: list[WebhookSubscription] = []
        after = None
        while True:
            data = self.graphql(
                """query Subs($after: String) { webhookSubscriptions(first: 100, after: $after) {
                     pageInfo { hasNextPage endCursor }
                     nodes { id topic apiVersion { handle } endpoint { __typename ... on WebhookHttpEndpoint {
                       callbackUrl } } } } }""",
                {"after": after},
                estimate=2 + 100 * 3,
            )
            conn = data["webhookSubscriptions"]
            for n in conn["nodes"]:
                url = (n.get("endpoint") or {}).get("callbackUrl", "")
                out.append(WebhookSubscription(n["id"], n["topic"], url, n["apiVersion"]["handle"]))
            if not conn["pageInfo"]["hasNextPage"]:
                return out
            after = conn["pageInfo"]["endCursor"]

    def create_webhook_subscription(self, topic: str, callback_url: str) -> WebhookSubscription:
        data = self.graphql(
            """mutation Sub($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
                 webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
                   webhookSubscription { id topic apiVersion { handle } endpoint { __typename
                     ... on WebhookHttpEndpoint { callbackUrl } } }
                   userErrors { field message } } }""",
            {"topic": topic, "sub": {"callbackUrl": callback_url, "format": "JSON"}},
            estimate=10,
        )
        n = _check_user_errors(data["webhookSubscriptionCreate"], "webhookSubscriptionCreate", topic)[
            "webhookSubscription"
        ]
        return WebhookSubscription(
            n["id"], n["topic"], n["endpoint"]["callbackUrl"], n["apiVersion"]["handle"]
        )

    def delete_webhook_subscription(self, subscription_id: str) -> None:
        data = self.graphql(
            """mutation Del($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId
                 userErrors { field message } } }""",
            {"id": subscription_id},
            estimate=10,
        )
        _check_user_errors(data["webhookSubscriptionDelete"], "webhookSubscriptionDelete", subscription_id)

    def missing_webhook_topics(self, callback_url: str, topics: Sequence[str] = TOPICS) -> list[str]:
        """Topics in ``topics`` with no subscription at ``callback_url`` (for health checks)."""
        have = {s.topic for s in self.list_webhook_subscriptions() if s.callback_url == callback_url}
        return [t for t in topics if t not in have]

    def ensure_webhook_subscriptions(
        self, callback_url: str, topics: Sequence[str] = TOPICS
    ) -> SubscriptionSync:
        """Register every topic in ``topics`` at ``callback_url`` that is not registered (a subscription
        Shopify deleted after failed deliveries is registered again). Subscriptions elsewhere are left alone.
        """
        existing = [s for s in self.list_webhook_subscriptions() if s.callback_url == callback_url]
        have = {s.topic for s in existing}
        created = tuple(self.create_webhook_subscription(t, callback_url) for t in topics if t not in have)
        return SubscriptionSync(created=created, kept=tuple(s for s in existing if s.topic in topics))

    # -- Shopify Payments --------------------------------------------------------------------------------
    def payouts(self, *, first: int = 50, after: str | None = None) -> tuple[list[Payout], str | None]:
        money = "amount currencyCode"
        data = self.graphql(
            f"""query Payouts($first: Int!, $after: String) {{ shopifyPaymentsAccount {{ payouts(first:
              $first,
                 after: $after, reverse: true) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ id
                 legacyResourceId
                 issuedAt status net {{ {money} }} summary {{ chargesGross {{ {money} }}
                 chargesFee {{ {money} }} refundsFeeGross {{ {money} }} refundsFee {{ {money} }}
                 adjustmentsGross {{ {money} }}
                 adjustmentsFee {{ {money} }} }} }} }} }} }}""",
            {"first": first, "after": after},
            estimate=2 + first * 9,
        )
        account = data.get("shopifyPaymentsAccount")
        if account is None:
            return [], None
        conn = account["payouts"]
        out = [
            Payout(
                n["id"],
                int(n["legacyResourceId"]),
                req_dt(n["issuedAt"]),
                n["status"],
                _money(n["net"]),
                _money(n["summary"]["chargesGross"]),
                _money(n["summary"]["chargesFee"]),
                _money(n["summary"]["refundsFeeGross"]),
                _money(n["summary"]["refundsFee"]),
                _money(n["summary"]["adjustmentsGross"]),
                _money(n["summary"]["adjustmentsFee"]),
            )
            for n in conn["nodes"]
        ]
        return out, conn["pageInfo"]["endCursor"] if conn["pageInfo"]["hasNextPage"] else None

    def balance_transactions(
        self, *, payout_id: str | int | None = None, first: int = 100
    ) -> list[BalanceTransaction]:
        money = "amount currencyCode"
        query = f"payout_id:{str(payout_id).split('/')[-1]}" if payout_id is not None else None
        out: list[BalanceTransaction] = []
        after = None
        while True:
            data = self.graphql(
                f"""query BTs($first: Int!, $after: String, $q: String) {{ shopifyPaymentsAccount {{
                     balanceTransactions(first: $first, after: $after, query: $q) {{ pageInfo {{
                       hasNextPage endCursor }}
                     nodes {{ id transactionDate type sourceType sourceId sourceOrderTransactionId
                       amount {{ {money} }} fee {{ {money} }} net {{ {money} }} associatedOrder {{ id }}
                       associatedPayout {{ id status }} adjustmentReason }} }} }} }}""",
                {"first": first, "after": after, "q": query},
                estimate=2 + first * 6,
            )
            account = data.get("shopifyPaymentsAccount")
            if account is None:
                return out
            conn = account["balanceTransactions"]
            for n in conn["nodes"]:
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
                        (n.get("associatedOrder") or {}).get("id"),
                        (n.get("associatedPayout") or {}).get("id"),
                        (n.get("associatedPayout") or {}).get("status"),
                        n.get("adjustmentReason"),
                    )
                )
            if not conn["pageInfo"]["hasNextPage"]:
                return out
            after = conn["pageInfo"]["endCursor"]


def _index_from_field(field: list[str] | None) -> int | None:
    for part in field or []:
        if part.isdigit():
            return int(part)
    return None


ORDERS_QUERY = """query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { id legacyResourceId name createdAt updatedAt cancelledAt displayFinancialStatus
      totalPriceSet { shopMoney { amount currencyCode } } } } }"""

ORDER_QUERY = f"query Order($id: ID!, $after: String) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
ORDER_LINES_QUERY = (
    "query OrderLines($id: ID!, $after: String) { order(id: $id) { lineItems(first: 25, after: $after) {"
    f" pageInfo {{ hasNextPage endCursor }} nodes {{ {LINE_ITEM_FIELDS} }} }} }} }}"
)
