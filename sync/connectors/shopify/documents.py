"""Every GraphQL document the Shopify connector sends, as module-level constants registered in ``DOCUMENTS``.

The connector's code never builds GraphQL text elsewhere (a test parses every string literal of the other
connector modules to hold that), and ``tests/contract/shopify/test_graphql_documents.py`` validates each
document here against Shopify's real Admin API 2026-07 schema: unknown fields, wrong argument types,
missing required arguments and deprecated fields all fail it. Selection fragments shared by several
documents are plain strings spliced in when this module is imported; the registered text is the final one.

Idempotent mutations take their key as the variable ``$idempotencyKey`` of the ``@idempotent`` directive,
so the text of a document never changes from call to call.
"""

from __future__ import annotations

import json

DOCUMENTS: dict[str, str] = {}


def document(text: str) -> str:
    """Register ``text`` under its operation name (the first word after ``query``/``mutation``)."""
    head = text.split("(", 1)[0].split("{", 1)[0].split()
    if len(head) != 2 or head[0] not in ("query", "mutation"):
        raise ValueError(f"a connector document must be a named query or mutation: {text[:60]!r}")
    name = head[1]
    if name in DOCUMENTS:
        raise ValueError(f"two connector documents are named {name}")
    DOCUMENTS[name] = text
    return text


# -- shared selections -----------------------------------------------------------------------------------
MONEY = "amount currencyCode"
BAG = f"shopMoney {{ {MONEY} }} presentmentMoney {{ {MONEY} }}"
TAX_LINE = f"title rate priceSet {{ {BAG} }} channelLiable"
ADDRESS = (
    "firstName lastName name company address1 address2 city zip province provinceCode country"
    " countryCodeV2 phone"
)
CUSTOMER = (
    "id legacyResourceId firstName lastName note tags updatedAt"
    " defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber }"
)
LINE_ITEM = (
    "id name title variantTitle vendor sku quantity currentQuantity unfulfilledQuantity taxable"
    " requiresShipping isGiftCard"
    " variant { legacyResourceId } product { legacyResourceId }"
    f" originalUnitPriceSet {{ {BAG} }} totalDiscountSet {{ {BAG} }}"
    f" taxLines {{ {TAX_LINE} }}"
    f" discountAllocations {{ allocatedAmountSet {{ {BAG} }} discountApplication {{ index }} }}"
    " customAttributes { key value }"
)
#: The order as the flows rebuild the ``orders/create`` webhook body from it (rest_shape.order_to_rest).
ORDER = (
    "id legacyResourceId name email phone note createdAt updatedAt processedAt cancelledAt"
    " cancelReason closedAt"
    " test displayFinancialStatus displayFulfillmentStatus currencyCode presentmentCurrencyCode"
    " taxesIncluded tags"
    " paymentGatewayNames discountCodes customAttributes { key value }"
    f" subtotalPriceSet {{ {BAG} }} totalPriceSet {{ {BAG} }} totalTaxSet {{ {BAG} }}"
    f" totalDiscountsSet {{ {BAG} }} totalShippingPriceSet {{ {BAG} }} totalOutstandingSet {{ {BAG} }}"
    f" currentSubtotalPriceSet {{ {BAG} }} currentTotalPriceSet {{ {BAG} }} currentTotalTaxSet {{ {BAG} }}"
    f" currentTotalDiscountsSet {{ {BAG} }}"
    f" totalTipReceivedSet {{ {BAG} }} dutiesIncluded originalTotalDutiesSet {{ {BAG} }}"
    f" currentTotalDutiesSet {{ {BAG} }}"
    " customer { legacyResourceId firstName lastName defaultEmailAddress { emailAddress }"
    " defaultPhoneNumber { phoneNumber } }"
    f" billingAddress {{ {ADDRESS} }} shippingAddress {{ {ADDRESS} }}"
    f" taxLines {{ {TAX_LINE} }}"
    f" lineItems(first: 10, after: $after) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {LINE_ITEM} }} }}"
    f" shippingLines(first: 5) {{ nodes {{ id title code source originalPriceSet {{ {BAG} }}"
    f" discountedPriceSet {{ {BAG} }} taxLines {{ {TAX_LINE} }} }} }}"
    " discountApplications(first: 10) { nodes { __typename allocationMethod targetSelection targetType index"
    " value { __typename ... on MoneyV2 { amount currencyCode } ... on PricingPercentageValue {"
    " percentage } }"
    " ... on DiscountCodeApplication { code } ... on AutomaticDiscountApplication { title }"
    " ... on ManualDiscountApplication { title } } }"
    f" refunds(first: 10) {{ legacyResourceId createdAt note totalRefundedSet {{ {BAG} }}"
    " refundLineItems(first: 20) { nodes { quantity restockType lineItem { id } } } }"
)
ORDER_REF = (
    "id legacyResourceId name createdAt updatedAt cancelledAt displayFinancialStatus"
    f" totalPriceSet {{ shopMoney {{ {MONEY} }} presentmentMoney {{ {MONEY} }} }}"
)
FULFILLMENT = (
    "id legacyResourceId name status createdAt updatedAt trackingInfo { company number url }"
    " fulfillmentLineItems(first: 50) { nodes { id quantity lineItem { id } } }"
)
SUBSCRIPTION = "id topic uri apiVersion { handle }"
BULK_OPERATION = (
    "id status type errorCode createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl"
    " query"
)
RETURN = (
    "id name status createdAt closedAt totalQuantity"
    " returnLineItems(first: 20) { pageInfo { hasNextPage } nodes { id quantity ... on ReturnLineItem {"
    " returnReasonNote fulfillmentLineItem { id lineItem { id } } } } }"
)
TRANSACTION = (
    "id kind status gateway paymentId test processedAt createdAt errorCode"
    f" amountSet {{ {BAG} }} parentTransaction {{ id }}"
    f" fees {{ id type rate rateName flatFeeName amount {{ {MONEY} }} flatFee {{ {MONEY} }}"
    f" taxAmount {{ {MONEY} }} }}"
)
BALANCE_TRANSACTION = (
    "id transactionDate type sourceType sourceId sourceOrderTransactionId test"
    f" amount {{ {MONEY} }} fee {{ {MONEY} }} net {{ {MONEY} }} associatedOrder {{ id name }}"
    " associatedPayout { id status } adjustmentReason"
    f" adjustmentsOrders {{ orderTransactionId name amount {{ {MONEY} }} fees {{ {MONEY} }}"
    f" net {{ {MONEY} }} }}"
)
USER_ERRORS = "userErrors { field message }"

# -- shop ------------------------------------------------------------------------------------------------
SHOP_INFO = document(
    "query ShopInfo { shop { id name myshopifyDomain currencyCode taxesIncluded"
    " plan { publicDisplayName } } }"
)
LOCATIONS = document(
    "query Locations { locations(first: 50) { nodes { id legacyResourceId name isActive } } }"
)

# -- orders ----------------------------------------------------------------------------------------------
ORDER_QUERY = document(f"query Order($id: ID!, $after: String) {{ order(id: $id) {{ {ORDER} }} }}")
ORDER_LINES = document(
    "query OrderLines($id: ID!, $after: String) { order(id: $id) { lineItems(first: 25, after: $after) {"
    f" pageInfo {{ hasNextPage endCursor }} nodes {{ {LINE_ITEM} }} }} }} }}"
)
ORDERS = document(
    "query Orders($first: Int!, $after: String, $query: String) {"
    " orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {"
    f" pageInfo {{ hasNextPage endCursor }} nodes {{ {ORDER_REF} }} }} }}"
)
#: Orders created in a window, oldest first by creation (a stable order while orders change: reconciliation).
ORDERS_CREATED = document(
    "query OrdersCreated($first: Int!, $after: String, $query: String) {"
    " orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {"
    f" pageInfo {{ hasNextPage endCursor }} nodes {{ {ORDER_REF} }} }} }}"
)
#: The same as a bulk export. A bulk query takes no variables: ``orders_export_query`` puts the search in
#: place of the ``"SEARCH"`` literal (JSON-escaped) and drops the operation name.
ORDERS_EXPORT = document(
    'query OrdersExport { orders(query: "SEARCH", sortKey: CREATED_AT) {'
    f" edges {{ node {{ {ORDER_REF} }} }} }} }}"
)


def orders_export_query(search: str) -> str:
    body = ORDERS_EXPORT.split(" ", 2)[2]  # drop "query OrdersExport"
    return body.replace('"SEARCH"', json.dumps(search), 1)


ORDERS_COUNT = document(
    "query OrdersCount($query: String, $limit: Int) { ordersCount(query: $query, limit: $limit) {"
    " count precision } }"
)
ORDER_NODES = document(
    f"query OrderNodes($ids: [ID!]!) {{ nodes(ids: $ids) {{ __typename ... on Order {{ {ORDER_REF} }} }} }}"
)
ORDER_CANCEL = document(
    "mutation OrderCancel($id: ID!, $reason: OrderCancelReason!, $refundMethod: OrderCancelRefundMethodInput,"
    " $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) {"
    " orderCancel(orderId: $id, reason: $reason, refundMethod: $refundMethod, restock: $restock,"
    " notifyCustomer: $notifyCustomer, staffNote: $staffNote) {"
    " job { id done } orderCancelUserErrors { field message code } } }"
)
ORDER_CREATE = document(
    "mutation OrderCreate($order: OrderCreateOrderInput!) { orderCreate(order: $order) {"
    f" order {{ id legacyResourceId name totalPriceSet {{ shopMoney {{ {MONEY} }} }} }}"
    " userErrors { field message code } } }"
)
ORDER_MONEY = document(
    "query OrderMoney($id: ID!) { order(id: $id) { id legacyResourceId name refundable"
    f" displayFinancialStatus currencyCode presentmentCurrencyCode"
    f" totalPriceSet {{ {BAG} }} netPaymentSet {{ {BAG} }} totalReceivedSet {{ {BAG} }}"
    f" totalRefundedSet {{ {BAG} }} totalRefundedShippingSet {{ {BAG} }} totalOutstandingSet {{ {BAG} }}"
    f" transactions(first: 50) {{ {TRANSACTION} }} }} }}"
)
ORDER_RISK = document(
    "query OrderRisk($id: ID!) { order(id: $id) { id risk { recommendation assessments { riskLevel"
    " facts { description sentiment } provider { title } } } } }"
)
ORDER_CANCELLATION = document(
    "query OrderCancellation($id: ID!) { order(id: $id) { id name cancelledAt cancelReason updatedAt"
    " displayFinancialStatus } }"
)
SUGGESTED_REFUND = document(
    "query SuggestedRefund($id: ID!, $refundLineItems: [RefundLineItemInput!], $refundShipping: Boolean,"
    " $shippingAmount: Money, $suggestFullRefund: Boolean) { order(id: $id) {"
    " suggestedRefund(refundLineItems: $refundLineItems, refundShipping: $refundShipping,"
    " shippingAmount: $shippingAmount, suggestFullRefund: $suggestFullRefund) {"
    f" amountSet {{ {BAG} }} subtotalSet {{ {BAG} }} totalTaxSet {{ {BAG} }}"
    f" maximumRefundableSet {{ {BAG} }} discountedSubtotalSet {{ {BAG} }}"
    f" shipping {{ amountSet {{ {BAG} }} taxSet {{ {BAG} }} maximumRefundableSet {{ {BAG} }} }}"
    f" refundLineItems {{ quantity restockType lineItem {{ id }} subtotalSet {{ {BAG} }}"
    f" totalTaxSet {{ {BAG} }} }}"
    f" suggestedTransactions {{ kind gateway amountSet {{ {BAG} }} parentTransaction {{ id }} }} }} }} }}"
)

# -- refunds, returns and fulfilments --------------------------------------------------------------------
REFUND_CREATE = document(
    "mutation RefundCreate($input: RefundInput!, $idempotencyKey: String!) {"
    " refundCreate(input: $input) @idempotent(key: $idempotencyKey) {"
    f" refund {{ id legacyResourceId createdAt totalRefundedSet {{ {BAG} }} }} {USER_ERRORS} }} }}"
)
FULFILLMENT_ORDERS = document(
    "query FulfillmentOrders($id: ID!) { order(id: $id) { fulfillmentOrders(first: 5) { nodes { id status"
    " assignedLocation { location { id } } lineItems(first: 50) { nodes { id remainingQuantity"
    " lineItem { id sku } } } } } } }"
)
FULFILLMENT_CREATE = document(
    "mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {"
    f" fulfillmentCreate(fulfillment: $fulfillment) {{ fulfillment {{ {FULFILLMENT} }} {USER_ERRORS} }} }}"
)
FULFILLMENT_TRACKING_UPDATE = document(
    "mutation FulfillmentTrackingInfoUpdate($id: ID!, $tracking: FulfillmentTrackingInput!,"
    " $notifyCustomer: Boolean) { fulfillmentTrackingInfoUpdate(fulfillmentId: $id,"
    " trackingInfoInput: $tracking, notifyCustomer: $notifyCustomer) {"
    f" fulfillment {{ {FULFILLMENT} }} {USER_ERRORS} }} }}"
)
FULFILLMENT_CANCEL = document(
    "mutation FulfillmentCancel($id: ID!) { fulfillmentCancel(id: $id) {"
    f" fulfillment {{ {FULFILLMENT} }} {USER_ERRORS} }} }}"
)
#: An order's fulfilments (a plain list: no pagination). The client refuses an answer that may be cut.
ORDER_FULFILLMENTS_MAX = 20
ORDER_FULFILLMENTS = document(
    "query OrderFulfillments($id: ID!) { order(id: $id) { id"
    f" fulfillments(first: {ORDER_FULFILLMENTS_MAX}) {{ id legacyResourceId name status createdAt updatedAt"
    " trackingInfo { company number url } fulfillmentLineItems(first: 20) { pageInfo { hasNextPage }"
    " nodes { id quantity lineItem { id } } } } } }"
)
RETURN_CREATE = document(
    "mutation ReturnCreate($input: ReturnInput!) { returnCreate(returnInput: $input) {"
    f" return {{ {RETURN} }} userErrors {{ field message code }} }} }}"
)
ORDER_RETURNS = document(
    "query OrderReturns($id: ID!, $after: String) { order(id: $id) { id returnStatus"
    " returns(first: 10, after: $after) { pageInfo { hasNextPage endCursor }"
    f" nodes {{ {RETURN} }} }} }} }}"
)

# -- onboarding: what the shop sells and how it has been selling ---------------------------------------------
VARIANTS_PAGE = document(
    "query VariantsPage($first: Int!, $after: String) { productVariants(first: $first, after: $after) {"
    " pageInfo { hasNextPage endCursor } nodes { id sku barcode displayName requiresComponents"
    " product { isGiftCard } } } }"
)
#: The newest orders' shipping methods, payment gateways and tax lines (for the onboarding's proposal).
RECENT_ORDER_CHANNELS = document(
    "query RecentOrderChannels($first: Int!) { orders(first: $first, sortKey: CREATED_AT, reverse: true) {"
    " nodes { id paymentGatewayNames taxesIncluded taxLines { title rate }"
    " shippingLines(first: 5) { nodes { code title } } } } }"
)

# -- inventory -------------------------------------------------------------------------------------------
VARIANTS_BY_SKU = document(
    "query VariantsBySku($query: String!, $first: Int!) { productVariants(first: $first, query: $query) {"
    " nodes { id sku product { id } inventoryItem { id } } } }"
)
#: Stock levels by SKU at up to 8 locations, one alias per location (``inventoryLevel(locationId:)`` costs
#: one point where ``inventoryLevels(first: n)`` costs n and may not return the locations asked for).
INVENTORY_LOCATIONS_MAX = 8


def _inventory_by_sku(locations: int) -> str:
    params = "".join(f", $l{i}: ID!" for i in range(locations))
    levels = "".join(
        f' l{i}: inventoryLevel(locationId: $l{i}) {{ quantities(names: ["available"]) {{ name quantity }} }}'
        for i in range(locations)
    )
    return document(
        f"query InventoryBySku{locations}($query: String!, $first: Int!{params}) {{"
        " productVariants(first: $first, query: $query) { nodes { id sku product { id }"
        f" inventoryItem {{ id tracked{levels} }} }} }} }}"
    )


INVENTORY_BY_SKU = {n: _inventory_by_sku(n) for n in range(1, INVENTORY_LOCATIONS_MAX + 1)}
INVENTORY_LEVEL = document(
    "query InventoryLevel($item: ID!, $location: ID!, $names: [String!]!) { inventoryItem(id: $item) {"
    " inventoryLevel(locationId: $location) { quantities(names: $names) { name quantity } } } }"
)
INVENTORY_SET = document(
    "mutation InventorySet($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {"
    " inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {"
    " inventoryAdjustmentGroup { id reason changes { name delta quantityAfterChange item { id }"
    " location { id } } } userErrors { field message code } } }"
)
INVENTORY_ACTIVATE = document(
    "mutation InventoryActivate($item: ID!, $location: ID!, $available: Int, $idempotencyKey: String!) {"
    " inventoryActivate(inventoryItemId: $item, locationId: $location, available: $available)"
    " @idempotent(key: $idempotencyKey) {"
    ' inventoryLevel { id location { id } quantities(names: ["available", "on_hand"]) { name quantity } }'
    f" {USER_ERRORS} }} }}"
)

# -- products --------------------------------------------------------------------------------------------
VARIANT_PRICES = document(
    "mutation VariantPrices($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {"
    " productVariantsBulkUpdate(productId: $productId, variants: $variants) {"
    " productVariants { id price } userErrors { field message code } } }"
)

PRODUCT_SET = document(
    "mutation ProductSet($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {"
    " productSet(input: $input, identifier: $identifier, synchronous: true) {"
    " product { id status updatedAt variants(first: 250) { nodes { id sku } } }"
    " userErrors { field message code } } }"
)
VARIANTS_UPDATE = document(
    "mutation VariantsUpdate($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {"
    " productVariantsBulkUpdate(productId: $productId, variants: $variants) {"
    " product { id updatedAt } productVariants { id sku price compareAtPrice barcode }"
    " userErrors { field message code } } }"
)
PRODUCTS_BY_SKU = document(
    "query ProductsBySku($query: String!, $first: Int!) { productVariants(first: $first, query: $query) {"
    " nodes { id sku product { id status } } } }"
)
#: The same variants with their price and whether the product is active (reconciliation's integrity sample).
VARIANT_PRICES_BY_SKU = document(
    "query VariantPricesBySku($query: String!, $first: Int!) {"
    " productVariants(first: $first, query: $query) { nodes { id sku price product { id status } } } }"
)

# -- customers -------------------------------------------------------------------------------------------
CUSTOMER_GET = document(f"query Customer($id: ID!) {{ customer(id: $id) {{ {CUSTOMER} }} }}")
CUSTOMER_FIND = document(
    "query CustomerFind($query: String!) { customers(first: 1, query: $query) {"
    f" nodes {{ {CUSTOMER} }} }} }}"
)
CUSTOMER_CREATE = document(
    "mutation CustomerCreate($input: CustomerInput!) { customerCreate(input: $input) {"
    f" customer {{ {CUSTOMER} }} {USER_ERRORS} }} }}"
)
CUSTOMER_UPDATE = document(
    "mutation CustomerUpdate($input: CustomerInput!) { customerUpdate(input: $input) {"
    f" customer {{ {CUSTOMER} }} {USER_ERRORS} }} }}"
)

# -- webhook subscriptions -------------------------------------------------------------------------------
SUBSCRIPTIONS = document(
    "query WebhookSubscriptions($after: String) { webhookSubscriptions(first: 100, after: $after) {"
    f" pageInfo {{ hasNextPage endCursor }} nodes {{ {SUBSCRIPTION} }} }} }}"
)
SUBSCRIPTION_CREATE = document(
    "mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!,"
    " $subscription: WebhookSubscriptionInput!) {"
    " webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {"
    f" webhookSubscription {{ {SUBSCRIPTION} }} {USER_ERRORS} }} }}"
)
SUBSCRIPTION_DELETE = document(
    "mutation WebhookSubscriptionDelete($id: ID!) { webhookSubscriptionDelete(id: $id) {"
    f" deletedWebhookSubscriptionId {USER_ERRORS} }} }}"
)

# -- bulk operations -------------------------------------------------------------------------------------
BULK_RUN_QUERY = document(
    "mutation BulkOperationRunQuery($query: String!, $groupObjects: Boolean!) {"
    " bulkOperationRunQuery(query: $query, groupObjects: $groupObjects) {"
    f" bulkOperation {{ {BULK_OPERATION} }} userErrors {{ field message code }} }} }}"
)
BULK_OPERATION_GET = document(
    f"query BulkOperation($id: ID!) {{ bulkOperation(id: $id) {{ {BULK_OPERATION} }} }}"
)
BULK_OPERATIONS_RUNNING = document(
    'query BulkOperationsRunning { bulkOperations(first: 5, query: "status:RUNNING OR status:CREATED",'
    f" sortKey: CREATED_AT, reverse: true) {{ nodes {{ {BULK_OPERATION} }} }} }}"
)
BULK_CANCEL = document(
    "mutation BulkOperationCancel($id: ID!) { bulkOperationCancel(id: $id) {"
    f" bulkOperation {{ {BULK_OPERATION} }} {USER_ERRORS} }} }}"
)

# -- Shopify Payments ------------------------------------------------------------------------------------
PAYOUTS = document(
    "query Payouts($first: Int!, $after: String) { shopifyPaymentsAccount { payouts(first: $first,"
    " after: $after, reverse: true) { pageInfo { hasNextPage endCursor } nodes { id legacyResourceId"
    f" issuedAt status transactionType net {{ {MONEY} }} summary {{ chargesGross {{ {MONEY} }}"
    f" chargesFee {{ {MONEY} }} refundsFeeGross {{ {MONEY} }} refundsFee {{ {MONEY} }}"
    f" adjustmentsGross {{ {MONEY} }} adjustmentsFee {{ {MONEY} }} reservedFundsGross {{ {MONEY} }}"
    f" reservedFundsFee {{ {MONEY} }} retriedPayoutsGross {{ {MONEY} }} retriedPayoutsFee {{ {MONEY} }}"
    " } } } } }"
)
BALANCE_TRANSACTIONS = document(
    "query BalanceTransactions($first: Int!, $after: String, $query: String) { shopifyPaymentsAccount {"
    " balanceTransactions(first: $first, after: $after, query: $query) {"
    f" pageInfo {{ hasNextPage endCursor }} nodes {{ {BALANCE_TRANSACTION} }} }} }} }}"
)
DISPUTES = document(
    "query Disputes($first: Int!, $after: String, $query: String) { shopifyPaymentsAccount {"
    " disputes(first: $first, after: $after, query: $query) { pageInfo { hasNextPage endCursor } nodes {"
    f" id legacyResourceId status type initiatedAt evidenceDueBy evidenceSentOn finalizedOn"
    f" amount {{ {MONEY} }} order {{ id legacyResourceId name }}"
    " reasonDetails { reason networkReasonCode } } } } }"
)

# -- the app's installation ------------------------------------------------------------------------------
APP_SCOPES = document("query AppScopes { currentAppInstallation { accessScopes { handle } } }")

#: The access scopes each document needs (Shopify's "Required access" of the fields it selects or the
#: mutation it runs; a write scope implies its read scope). A document without an entry fails
#: tests/contract/shopify/test_graphql_documents.py, so a new document states what it needs.
DOCUMENT_SCOPES: dict[str, tuple[str, ...]] = {
    "ShopInfo": (),
    "AppScopes": (),
    "Locations": ("read_locations",),
    "Order": ("read_orders",),
    "OrderLines": ("read_orders",),
    "Orders": ("read_orders",),
    "OrdersCreated": ("read_orders",),
    "OrdersExport": ("read_orders",),
    "OrdersCount": ("read_orders",),
    "OrderNodes": ("read_orders",),
    "OrderCancel": ("write_orders",),
    "OrderCreate": ("write_orders",),
    "OrderMoney": ("read_orders",),
    "OrderRisk": ("read_orders",),
    "OrderCancellation": ("read_orders",),
    "SuggestedRefund": ("read_orders",),
    "RefundCreate": ("write_orders",),
    "FulfillmentOrders": ("read_merchant_managed_fulfillment_orders",),
    "FulfillmentCreate": ("write_merchant_managed_fulfillment_orders",),
    "FulfillmentTrackingInfoUpdate": ("write_merchant_managed_fulfillment_orders",),
    "FulfillmentCancel": ("write_merchant_managed_fulfillment_orders",),
    "OrderFulfillments": ("read_orders",),
    "ReturnCreate": ("write_returns",),
    "OrderReturns": ("read_returns",),
    "VariantsPage": ("read_products",),
    "RecentOrderChannels": ("read_orders",),
    "VariantsBySku": ("read_products", "read_inventory"),
    **{f"InventoryBySku{n}": ("read_products", "read_inventory") for n in range(1, 9)},
    "InventoryLevel": ("read_inventory",),
    "InventorySet": ("write_inventory",),
    "InventoryActivate": ("write_inventory",),
    "VariantPrices": ("write_products",),
    "ProductSet": ("write_products",),
    "VariantsUpdate": ("write_products",),
    "ProductsBySku": ("read_products",),
    "VariantPricesBySku": ("read_products",),
    "Customer": ("read_customers",),
    "CustomerFind": ("read_customers",),
    "CustomerCreate": ("write_customers",),
    "CustomerUpdate": ("write_customers",),
    "WebhookSubscriptions": (),
    "WebhookSubscriptionCreate": (),
    "WebhookSubscriptionDelete": (),
    "BulkOperationRunQuery": (),
    "BulkOperation": (),
    "BulkOperationsRunning": (),
    "BulkOperationCancel": (),
    "Payouts": ("read_shopify_payments_payouts",),
    "BalanceTransactions": ("read_shopify_payments_payouts",),
    "Disputes": ("read_shopify_payments_disputes",),
}

#: Every scope the connector needs, as a merchant must grant them to the app.
REQUIRED_SCOPES: frozenset[str] = frozenset(s for scopes in DOCUMENT_SCOPES.values() for s in scopes)
