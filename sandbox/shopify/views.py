"""GraphQL objects derived from the REST-shaped records (dicts whose callables take field arguments)."""

from __future__ import annotations

import base64
import contextvars
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from graphql import GraphQLError

from sandbox.shopify import shopdata
from sandbox.shopify.money import convert
from sandbox.shopify.shopdata import gid, gid_id
from sandbox.shopify.store import gql_time, parse_time

MAX_PAGE = 250

#: Set while a bulk operation runs its query: connections ignore ``first``/``after`` and return every node
#: ("The `first` argument is optional and ignored if present", Shopify's bulk operations guide).
BULK_MODE: contextvars.ContextVar[bool] = contextvars.ContextVar("bulk_mode", default=False)


# ---------------------------------------------------------------------------------------------------------
# connections and search
# ---------------------------------------------------------------------------------------------------------
def encode_cursor(sort_value: Any, rid: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort_value, rid]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        value, rid = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return value, int(rid)
    except Exception as exc:
        raise GraphQLError("Invalid cursor for current pagination sort.") from exc


def connection(
    items: Iterable[dict[str, Any]],
    view: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    first: int | None,
    after: str | None,
    sort: Callable[[dict[str, Any]], Any] = lambda r: r["id"],
    reverse: bool = False,
    required: bool = True,
) -> dict[str, Any]:
    if BULK_MODE.get():
        rows = sorted(items, key=lambda r: (sort(r), r["id"]), reverse=reverse)
        nodes = [view(r) for r in rows]
        return {
            "edges": [
                {"cursor": encode_cursor(sort(r), r["id"]), "node": n}
                for r, n in zip(rows, nodes, strict=True)
            ],
            "nodes": nodes,
            "pageInfo": {
                "hasNextPage": False,
                "hasPreviousPage": False,
                "startCursor": None,
                "endCursor": None,
            },
        }
    if first is None:
        if required:
            raise GraphQLError("you must provide one of first or last")
        first = MAX_PAGE
    if first < 0:
        raise GraphQLError("first must be a non-negative integer")
    if first > MAX_PAGE:
        raise GraphQLError(f"The requested page size {first} exceeds the maximum allowed of {MAX_PAGE}.")
    rows = sorted(items, key=lambda r: (sort(r), r["id"]), reverse=reverse)
    if after:
        value, rid = decode_cursor(after)
        key = (value, rid)
        rows = [r for r in rows if ((sort(r), r["id"]) < key if reverse else (sort(r), r["id"]) > key)]
    page = rows[:first]
    edges = [{"cursor": encode_cursor(sort(r), r["id"]), "node": view(r)} for r in page]
    return {
        "edges": edges,
        "nodes": [e["node"] for e in edges],
        "pageInfo": {
            "hasNextPage": len(rows) > first,
            "hasPreviousPage": bool(after),
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def list_conn(items: list[Any], view: Callable[[Any], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A connection over a small embedded list (line items, shipping lines...), indexed by position."""

    def resolve(
        _info: Any, first: int | None = None, after: str | None = None, reverse: bool = False
    ) -> dict[str, Any]:
        rows = [{"id": i, "_v": v} for i, v in enumerate(items)]
        return connection(rows, lambda r: view(r["_v"]), first=first, after=after, reverse=bool(reverse))

    return resolve


_TOKEN = re.compile(r"""(-?)(\w+):(>=|<=|>|<|=)?('[^']*'|"[^"]*"|\S+)|(\S+)""")


def parse_search(query: str | None) -> list[tuple[bool, str, str, str]]:
    """``created_at:>='2025-01-01' updated_at:<2025-02-01 name:#1001`` → [(negated, field, op, value)]."""
    out: list[tuple[bool, str, str, str]] = []
    for m in _TOKEN.finditer(query or ""):
        if m.group(5):
            word = m.group(5)
            if word.upper() == "OR":
                out.append(OR_MARK)
                continue
            if word.upper() == "AND":
                continue
            out.append((False, "default", "=", word.strip("'\"")))
            continue
        out.append((m.group(1) == "-", m.group(2), m.group(3) or "=", m.group(4).strip("'\"")))
    return out


def _compare(left: Any, op: str, right: Any) -> bool:
    if left is None:
        return False
    return {
        "=": left == right,
        ">": left > right,
        "<": left < right,
        ">=": left >= right,
        "<=": left <= right,
    }[op]


OR_MARK = (False, "\x00or", "", "")


def matches(
    record: dict[str, Any],
    terms: list[tuple[bool, str, str, str]],
    fields: dict[str, Callable[[dict[str, Any]], Any]],
) -> bool:
    """Terms are AND-ed; ``OR`` (Shopify's search syntax) separates alternatives and binds loosest."""
    groups: list[list[tuple[bool, str, str, str]]] = [[]]
    for term in terms:
        if term == OR_MARK:
            groups.append([])
        else:
            groups[-1].append(term)
    return any(_all_match(record, group, fields) for group in groups if group) or not any(groups)


def _all_match(
    record: dict[str, Any],
    terms: list[tuple[bool, str, str, str]],
    fields: dict[str, Callable[[dict[str, Any]], Any]],
) -> bool:
    for negated, field, op, value in terms:
        getter = fields.get(field)
        if getter is None:
            continue  # Shopify ignores unknown search fields (and warns in extensions.search)
        left = getter(record)
        right: Any = value
        if field in ("created_at", "updated_at", "processed_at"):
            try:
                left = parse_time(left) if left else None
                right = parse_time(value)
            except ValueError as exc:
                raise GraphQLError(f"Invalid date in search query: {value}") from exc
        elif field == "id":
            right = gid_id(value) or 0
        elif isinstance(left, str):
            left, right = left.lower(), value.lower()
        elif isinstance(left, list):
            ok = value.lower() in [str(x).lower() for x in left]
            if ok == negated:
                return False
            continue
        ok = _compare(left, op, right)
        if ok == negated:
            return False
    return True


# ---------------------------------------------------------------------------------------------------------
# money and small objects
# ---------------------------------------------------------------------------------------------------------
def money(amount: Any, currency: str) -> dict[str, Any]:
    return {"amount": str(Decimal(str(amount))), "currencyCode": currency}


def bag(ms: dict[str, Any] | None) -> dict[str, Any] | None:
    if ms is None:
        return None
    return {
        "shopMoney": money(ms["shop_money"]["amount"], ms["shop_money"]["currency_code"]),
        "presentmentMoney": money(
            ms["presentment_money"]["amount"], ms["presentment_money"]["currency_code"]
        ),
    }


def zero_bag(cur: str, pcur: str) -> dict[str, Any]:
    return {"shopMoney": money("0.00", cur), "presentmentMoney": money("0.00", pcur)}


def address(a: dict[str, Any] | None, owner: str = "") -> dict[str, Any] | None:
    if not a:
        return None
    # MailingAddress.id is non-null: an address without a REST id (an order's) gets a stable one.
    aid = a.get("id") or int(hashlib.sha256(f"{owner}:{sorted(a.items())}".encode()).hexdigest()[:12], 16)
    model = "CustomerAddress" if a.get("id") else "Address"
    return {
        "id": f"gid://shopify/MailingAddress/{aid}?model_name={model}",
        "firstName": a.get("first_name"),
        "lastName": a.get("last_name"),
        "name": a.get("name"),
        "company": a.get("company"),
        "address1": a.get("address1"),
        "address2": a.get("address2"),
        "city": a.get("city"),
        "zip": a.get("zip"),
        "province": a.get("province"),
        "provinceCode": a.get("province_code"),
        "country": a.get("country"),
        "countryCodeV2": a.get("country_code"),
        "phone": a.get("phone"),
    }


def tax_line(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": t["title"],
        "rate": t["rate"],
        "ratePercentage": round(float(t["rate"]) * 100, 4),
        "priceSet": bag(t["price_set"]),
        "channelLiable": t.get("channel_liable"),
    }


# ---------------------------------------------------------------------------------------------------------
# objects
# ---------------------------------------------------------------------------------------------------------
class Views:
    """Builds GraphQL objects for one shop."""

    def __init__(self, shop: dict[str, Any]):
        self.shop = shop

    # -- orders --------------------------------------------------------------------------------------
    def discount_application(self, order: dict[str, Any], index: int) -> dict[str, Any]:
        app = order["discount_applications"][index]
        typename = {
            "discount_code": "DiscountCodeApplication",
            "automatic": "AutomaticDiscountApplication",
        }.get(app["type"], "ManualDiscountApplication")
        if app["value_type"] == "percentage":
            value: dict[str, Any] = {
                "__typename": "PricingPercentageValue",
                "percentage": float(app["value"]),
            }
        else:
            value = {"__typename": "MoneyV2", **money(app["value"], order["presentment_currency"])}
        return {
            "__typename": typename,
            "allocationMethod": app["allocation_method"].upper(),
            "index": index,
            "targetSelection": app["target_selection"].upper(),
            "targetType": app["target_type"].upper(),
            "value": value,
            "code": app.get("code"),
            "title": app.get("title", ""),
            "description": app.get("description"),
        }

    def allocation(self, order: dict[str, Any], a: dict[str, Any]) -> dict[str, Any]:
        return {
            "allocatedAmountSet": bag(a["amount_set"]),
            "discountApplication": self.discount_application(order, a["discount_application_index"]),
        }

    def line_item(self, order: dict[str, Any], li: dict[str, Any]) -> dict[str, Any]:
        cur, pcur = order["currency"], order["presentment_currency"]
        qty = li["quantity"]
        price = bag(li["price_set"])
        assert price is not None
        discounted_total = li.get("_discounted", [li["price"], li["price"]])
        disc = bag(li["total_discount_set"])

        def unit(k: int) -> str:
            return str((Decimal(discounted_total[k]) / qty).quantize(Decimal("0.01")))

        variant = None
        product = None
        if li.get("variant_id"):
            found = self._variant(li["variant_id"])
            if found:
                product, v = found
                variant = self.variant(product, v)
        return {
            "id": li["admin_graphql_api_id"],
            "name": li["name"],
            "title": li["title"],
            "variantTitle": li.get("variant_title"),
            "vendor": li.get("vendor"),
            "sku": li.get("sku"),
            "quantity": qty,
            "currentQuantity": li["current_quantity"],
            "refundableQuantity": qty - li.get("_refunded_qty", 0) - li.get("_removed_qty", 0),
            "unfulfilledQuantity": li["fulfillable_quantity"],
            "taxable": li["taxable"],
            "requiresShipping": li["requires_shipping"],
            "isGiftCard": bool(li.get("gift_card")),
            "variant": variant,
            "product": self.product(product) if product else None,
            "originalUnitPriceSet": price,
            "discountedUnitPriceSet": {
                "shopMoney": money(unit(0), cur),
                "presentmentMoney": money(unit(1), pcur),
            },
            "originalTotalSet": {
                "shopMoney": money(Decimal(price["shopMoney"]["amount"]) * qty, cur),
                "presentmentMoney": money(Decimal(price["presentmentMoney"]["amount"]) * qty, pcur),
            },
            "discountedTotalSet": {
                "shopMoney": money(discounted_total[0], cur),
                "presentmentMoney": money(discounted_total[1], pcur),
            },
            "totalDiscountSet": disc,
            "taxLines": lambda _i, first=None: [tax_line(t) for t in li["tax_lines"]][: first or None],
            "discountAllocations": [self.allocation(order, a) for a in li["discount_allocations"]],
            "customAttributes": [{"key": p["name"], "value": p["value"]} for p in li.get("properties", [])],
        }

    def shipping_line(self, order: dict[str, Any], sl: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": gid("ShippingLine", sl["id"]),
            "title": sl["title"],
            "code": sl["code"],
            "source": sl["source"],
            "carrierIdentifier": sl.get("carrier_identifier"),
            "originalPriceSet": bag(sl["price_set"]),
            "discountedPriceSet": bag(sl["discounted_price_set"]),
            "taxLines": [tax_line(t) for t in sl["tax_lines"]],
            "discountAllocations": [self.allocation(order, a) for a in sl["discount_allocations"]],
        }

    def transaction(self, order: dict[str, Any], t: dict[str, Any]) -> dict[str, Any]:
        parent = None
        if t.get("parent_id"):
            p = next((x for x in order["_transactions"] if x["id"] == t["parent_id"]), None)
            parent = self.transaction(order, p) if p else None
        return {
            "id": t["admin_graphql_api_id"],
            "kind": t["kind"].upper(),
            "status": t["status"].upper(),
            "gateway": t["gateway"],
            "formattedGateway": t["gateway"].replace("_", " ").title(),
            "test": t["test"],
            "createdAt": gql_time(t["created_at"]),
            "processedAt": gql_time(t["processed_at"]),
            "amountSet": {
                "shopMoney": money(t["_shop_amount"], t["_shop_currency"]),
                "presentmentMoney": money(t["amount"], t["currency"]),
            },
            "parentTransaction": parent,
            "errorCode": t.get("error_code"),
            "authorizationCode": t.get("authorization"),
            "paymentId": t.get("payment_id"),
            "fees": self.transaction_fees(t),
        }

    def transaction_fees(self, t: dict[str, Any]) -> list[dict[str, Any]]:
        fee = shopdata.processing_fee(t)
        if not fee:
            return []
        cur = t["_shop_currency"]
        return [
            {
                "id": gid("TransactionFee", t["id"]),
                "type": "payment_processing",
                "rate": str(shopdata.FEE_RATE),
                "rateName": "Shopify Payments",
                "flatFee": money(shopdata.FEE_FIXED, cur),
                "flatFeeName": "Shopify Payments",
                "amount": money(fee, cur),
                "taxAmount": money("0.00", cur),
            }
        ]

    def refund(self, order: dict[str, Any], r: dict[str, Any]) -> dict[str, Any]:
        cur, pcur = order["currency"], order["presentment_currency"]
        by_id = {li["id"]: li for li in order["line_items"]}

        def rli(x: dict[str, Any]) -> dict[str, Any]:
            li = by_id[x["line_item_id"]]
            loc = self.shop["locations"].get(str(x.get("location_id")))
            return {
                "id": gid("RefundLineItem", x["id"]),
                "lineItem": self.line_item(order, li),
                "quantity": x["quantity"],
                "restockType": x["restock_type"].upper(),
                "restocked": x["restock_type"] != "no_restock",
                "location": self.location(loc) if loc else None,
                "priceSet": bag(li["price_set"]),
                "subtotalSet": bag(x["subtotal_set"]),
                "totalTaxSet": bag(x["total_tax_set"]),
            }

        def rsl(adj: dict[str, Any]) -> dict[str, Any]:
            sl = order["shipping_lines"][0] if order["shipping_lines"] else None
            neg = bag(adj["amount_set"])
            tax = bag(adj["tax_amount_set"])
            assert neg is not None and tax is not None
            for b in (neg, tax):
                for k in ("shopMoney", "presentmentMoney"):
                    b[k]["amount"] = str(-Decimal(b[k]["amount"]))
            return {
                "id": gid("RefundShippingLine", adj["id"]),
                "shippingLine": self.shipping_line(order, sl) if sl else None,
                "subtotalAmountSet": neg,
                "taxAmountSet": tax,
            }

        txs = [t for t in order["_transactions"] if t["id"] in {x["id"] for x in r["transactions"]}]
        return {
            "id": r["admin_graphql_api_id"],
            "legacyResourceId": r["id"],
            "createdAt": gql_time(r["created_at"]),
            "updatedAt": gql_time(r["processed_at"]),
            "processedAt": gql_time(r["processed_at"]),
            "return": None,
            "note": r.get("note"),
            "order": lambda _i: self.order(order),
            "totalRefundedSet": {
                "shopMoney": money(r["_total"][0], cur),
                "presentmentMoney": money(r["_total"][1], pcur),
            },
            "refundLineItems": list_conn(r["refund_line_items"], rli),
            "refundShippingLines": list_conn(
                [a for a in r["order_adjustments"] if a["kind"] == "shipping_refund"], rsl
            ),
            "transactions": list_conn(txs, lambda t: self.transaction(order, t)),
            "duties": [
                {"amountSet": bag(d["amount_set"]), "originalDuty": self.duty(order, d["duty_id"])}
                for d in r.get("duties") or []
            ],
        }

    def duty(self, order: dict[str, Any], duty_id: Any) -> dict[str, Any] | None:
        for li in order["line_items"]:
            for d in li.get("duties") or []:
                if str(d["id"]) == str(duty_id):
                    return {
                        "id": d["admin_graphql_api_id"],
                        "harmonizedSystemCode": d["harmonized_system_code"],
                        "countryCodeOfOrigin": d["country_code_of_origin"],
                        "price": {
                            "shopMoney": money(d["shop_money"]["amount"], d["shop_money"]["currency_code"]),
                            "presentmentMoney": money(
                                d["presentment_money"]["amount"], d["presentment_money"]["currency_code"]
                            ),
                        },
                        "taxLines": [tax_line(x) for x in d["tax_lines"]],
                    }
        return None

    def fulfillment(self, order: dict[str, Any], f: dict[str, Any]) -> dict[str, Any]:
        by_id = {li["id"]: li for li in order["line_items"]}
        loc = self.shop["locations"].get(str(f.get("location_id")))
        tracking = [
            {
                "company": f["tracking_company"],
                "number": n,
                "url": (f["tracking_urls"] or [None])[i] if i < len(f["tracking_urls"]) else None,
            }
            for i, n in enumerate(f["tracking_numbers"])
        ]
        if not tracking and f.get("tracking_company"):
            tracking = [{"company": f["tracking_company"], "number": None, "url": None}]
        return {
            "id": f["admin_graphql_api_id"],
            "legacyResourceId": f["id"],
            "name": f["name"],
            "status": f["status"].upper(),
            "displayStatus": "CANCELED" if f["status"] == "cancelled" else "FULFILLED",
            "totalQuantity": sum(int(x["quantity"]) for x in f["line_items"]),
            "createdAt": gql_time(f["created_at"]),
            "updatedAt": gql_time(f["updated_at"]),
            "location": self.location(loc) if loc else None,
            "order": lambda _i: self.order(order),
            "trackingInfo": lambda _i, first=None: tracking[: first or None],
            "fulfillmentLineItems": list_conn(
                f["line_items"],
                lambda x: {
                    "id": gid("FulfillmentLineItem", x["fulfillment_line_item_id"]),
                    "lineItem": self.line_item(order, by_id[x["id"]]),
                    "quantity": x["quantity"],
                },
            ),
        }

    def fulfillment_order(self, fo: dict[str, Any]) -> dict[str, Any]:
        order = self.shop["orders"][str(fo["order_id"])]
        by_id = {li["id"]: li for li in order["line_items"]}
        loc = self.shop["locations"].get(str(fo["assigned_location_id"]))
        return {
            "id": gid("FulfillmentOrder", fo["id"]),
            "status": fo["status"].upper(),
            "requestStatus": fo["request_status"].upper(),
            "createdAt": gql_time(fo["created_at"]),
            "updatedAt": gql_time(fo["updated_at"]),
            "assignedLocation": {
                "name": loc["name"] if loc else "",
                "location": self.location(loc) if loc else None,
            },
            "order": lambda _i: self.order(order),
            "lineItems": list_conn(
                fo["line_items"],
                lambda x: {
                    "id": gid("FulfillmentOrderLineItem", x["id"]),
                    "sku": by_id[x["line_item_id"]].get("sku"),
                    "totalQuantity": x["quantity"],
                    "remainingQuantity": x["fulfillable_quantity"],
                    "lineItem": self.line_item(order, by_id[x["line_item_id"]]),
                },
            ),
        }

    def order(self, o: dict[str, Any]) -> dict[str, Any]:
        cur, pcur = o["currency"], o["presentment_currency"]
        fin = o["financial_status"].upper()
        ful = {
            None: "UNFULFILLED",
            "partial": "PARTIALLY_FULFILLED",
            "fulfilled": "FULFILLED",
            "restocked": "RESTOCKED",
        }[o["fulfillment_status"]]
        refunded = (
            [Decimal(r["_total"][0]) for r in o["refunds"]],
            [Decimal(r["_total"][1]) for r in o["refunds"]],
        )
        customer = self.shop["customers"].get(str(o["customer"]["id"])) if o.get("customer") else None
        fos = [fo for fo in self.shop["fulfillment_orders"].values() if fo["order_id"] == o["id"]]
        got = shopdata.received(o)
        back = shopdata.refunded(o)
        ship_back = shopdata.refunded_shipping(o)

        def pair(values: tuple[Decimal, Decimal]) -> dict[str, Any]:
            return {"shopMoney": money(values[0], cur), "presentmentMoney": money(values[1], pcur)}

        return {
            "returnStatus": shopdata.return_status(o),
            "refundable": o["cancelled_at"] is None and got[0] - back[0] > 0,
            "totalReceivedSet": pair(got),
            "netPaymentSet": pair((got[0] - back[0], got[1] - back[1])),
            "totalRefundedShippingSet": pair(ship_back),
            "returns": lambda _i, first=None, after=None, reverse=False: connection(
                o.get("_returns", []),
                lambda r: self.return_(o, r),
                first=first,
                after=after,
                reverse=bool(reverse),
            ),
            "risk": self.risk(o),
            "suggestedRefund": lambda info, **args: self.suggested_refund(info.context.store, o, **args),
            "id": o["admin_graphql_api_id"],
            "legacyResourceId": o["id"],
            "name": o["name"],
            "email": o["email"],
            "phone": o["phone"],
            "note": o["note"],
            "createdAt": gql_time(o["created_at"]),
            "updatedAt": gql_time(o["updated_at"]),
            "processedAt": gql_time(o["processed_at"]),
            "cancelledAt": gql_time(o["cancelled_at"]),
            "cancelReason": o["cancel_reason"].upper() if o["cancel_reason"] else None,
            "closed": o["closed_at"] is not None,
            "closedAt": gql_time(o["closed_at"]),
            "confirmed": o["confirmed"],
            "test": o["test"],
            "displayFinancialStatus": fin,
            "displayFulfillmentStatus": ful,
            "currencyCode": cur,
            "presentmentCurrencyCode": pcur,
            "taxesIncluded": o["taxes_included"],
            "tags": [t.strip() for t in o["tags"].split(",") if t.strip()],
            "customAttributes": [{"key": a["name"], "value": a["value"]} for a in o["note_attributes"]],
            "paymentGatewayNames": o["payment_gateway_names"],
            "discountCode": o["discount_codes"][0]["code"] if o["discount_codes"] else None,
            "discountCodes": [d["code"] for d in o["discount_codes"]],
            "subtotalLineItemsQuantity": sum(li["quantity"] for li in o["line_items"]),
            "currentSubtotalLineItemsQuantity": sum(li["current_quantity"] for li in o["line_items"]),
            "subtotalPriceSet": bag(o["subtotal_price_set"]),
            "totalPriceSet": bag(o["total_price_set"]),
            "totalTaxSet": bag(o["total_tax_set"]),
            "totalDiscountsSet": bag(o["total_discounts_set"]),
            "totalShippingPriceSet": bag(o["total_shipping_price_set"]),
            "totalRefundedSet": {
                "shopMoney": money(sum(refunded[0], Decimal("0.00")), cur),
                "presentmentMoney": money(sum(refunded[1], Decimal("0.00")), pcur),
            },
            "totalOutstandingSet": {
                "shopMoney": money(o["total_outstanding"], cur),
                "presentmentMoney": money(o["total_outstanding"], pcur),
            },
            "currentSubtotalPriceSet": bag(o["current_subtotal_price_set"]),
            "currentTotalPriceSet": bag(o["current_total_price_set"]),
            "currentTotalTaxSet": bag(o["current_total_tax_set"]),
            "currentTotalDiscountsSet": bag(o["current_total_discounts_set"]),
            "dutiesIncluded": bool(o.get("duties_included")),
            "originalTotalDutiesSet": bag(o.get("original_total_duties_set")),
            "currentTotalDutiesSet": bag(o.get("current_total_duties_set")),
            "totalTipReceivedSet": {
                "shopMoney": money(o["total_tip_received"], cur),
                "presentmentMoney": money(
                    o["total_tip_received"]
                    if cur == pcur
                    else convert(Decimal(o["total_tip_received"]), cur, pcur),
                    pcur,
                ),
            },
            "customer": self.customer(customer) if customer else None,
            "billingAddress": address(o["billing_address"]),
            "shippingAddress": address(o["shipping_address"]),
            "taxLines": [tax_line(t) for t in o["tax_lines"]],
            "lineItems": list_conn(o["line_items"], lambda li: self.line_item(o, li)),
            "shippingLines": list_conn(o["shipping_lines"], lambda sl: self.shipping_line(o, sl)),
            "shippingLine": self.shipping_line(o, o["shipping_lines"][0]) if o["shipping_lines"] else None,
            "discountApplications": list_conn(
                list(range(len(o["discount_applications"]))), lambda i: self.discount_application(o, i)
            ),
            "transactions": lambda _i, first=None: [self.transaction(o, t) for t in o["_transactions"]][
                : first or None
            ],
            "refunds": lambda _i, first=None: [self.refund(o, r) for r in o["refunds"]][: first or None],
            "fulfillments": lambda _i, first=None: [self.fulfillment(o, f) for f in o["fulfillments"]][
                : first or None
            ],
            "fulfillmentOrders": lambda _i, first=None, after=None, reverse=False: connection(
                fos, self.fulfillment_order, first=first, after=after, reverse=bool(reverse)
            ),
        }

    # -- customers -----------------------------------------------------------------------------------
    def customer(self, c: dict[str, Any]) -> dict[str, Any]:
        name = " ".join(p for p in (c.get("first_name"), c.get("last_name")) if p) or (c.get("email") or "")
        consent = c.get("email_marketing_consent") or {}
        return {
            "id": c["admin_graphql_api_id"],
            "legacyResourceId": c["id"],
            "firstName": c.get("first_name"),
            "lastName": c.get("last_name"),
            "displayName": name,
            "email": c.get("email"),
            "phone": c.get("phone"),
            "defaultEmailAddress": {
                "emailAddress": c["email"],
                "marketingState": {"redacted": "NOT_SUBSCRIBED"}.get(
                    consent.get("state", ""), (consent.get("state") or "not_subscribed").upper()
                ),
                "marketingOptInLevel": (consent.get("opt_in_level") or "").upper() or None,
                "marketingUpdatedAt": gql_time(consent.get("consent_updated_at")),
            }
            if c.get("email")
            else None,
            "defaultPhoneNumber": {"phoneNumber": c["phone"]} if c.get("phone") else None,
            "note": c.get("note"),
            "tags": [t.strip() for t in (c.get("tags") or "").split(",") if t.strip()],
            "state": c["state"].upper(),
            "verifiedEmail": c["verified_email"],
            "taxExempt": c["tax_exempt"],
            "createdAt": gql_time(c["created_at"]),
            "updatedAt": gql_time(c["updated_at"]),
            "numberOfOrders": c.get("orders_count", 0),
            "amountSpent": money(c.get("total_spent", "0.00"), c["currency"]),
            "defaultAddress": address(c.get("default_address")),
            "addresses": lambda _i, first=None: [address(a) for a in c.get("addresses", [])][: first or None],
            "emailMarketingConsent": {
                "marketingState": consent.get("state", "not_subscribed").upper(),
                "marketingOptInLevel": (consent.get("opt_in_level") or "").upper() or None,
                "consentUpdatedAt": gql_time(consent.get("consent_updated_at")),
            },
        }

    # -- catalogue and stock -------------------------------------------------------------------------
    def _variant(self, variant_id: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for p in self.shop["products"].values():
            for v in p["variants"]:
                if v["id"] == variant_id:
                    return p, v
        return None

    def product(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": p["admin_graphql_api_id"],
            "legacyResourceId": p["id"],
            "title": p["title"],
            "handle": p["handle"],
            "vendor": p["vendor"],
            "productType": p["product_type"],
            "status": p["status"].upper(),
            "tags": [t.strip() for t in p["tags"].split(",") if t.strip()],
            "descriptionHtml": p["body_html"] or "",
            "createdAt": gql_time(p["created_at"]),
            "updatedAt": gql_time(p["updated_at"]),
            "totalInventory": sum(v["inventory_quantity"] for v in p["variants"]),
            "isGiftCard": bool(p.get("gift_card")),
            "variants": lambda _i, first=None, after=None: connection(
                p["variants"],
                lambda v: self.variant(p, v),
                first=first,
                after=after,
                sort=lambda v: v["position"],
            ),
        }

    def variant(self, p: dict[str, Any], v: dict[str, Any]) -> dict[str, Any]:
        names = [o["name"] for o in p.get("options", [])]
        values = [v.get("option1"), v.get("option2"), v.get("option3")]
        item = self.shop["inventory_items"][str(v["inventory_item_id"])]
        return {
            "id": v["admin_graphql_api_id"],
            "legacyResourceId": v["id"],
            "title": v["title"],
            "displayName": f"{p['title']} - {v['title']}",
            "sku": v["sku"],
            "barcode": v["barcode"],
            "price": v["price"],
            "compareAtPrice": v["compare_at_price"],
            "taxable": v["taxable"],
            "position": v["position"],
            "inventoryQuantity": v["inventory_quantity"],
            "selectedOptions": [
                {"name": n, "value": val} for n, val in zip(names, values, strict=False) if val
            ],
            "requiresComponents": bool(v.get("requires_components")),
            "createdAt": gql_time(v["created_at"]),
            "updatedAt": gql_time(v["updated_at"]),
            "product": lambda _i: self.product(p),
            "inventoryItem": lambda _i: self.inventory_item(item),
        }

    def inventory_item(self, item: dict[str, Any]) -> dict[str, Any]:
        levels = [
            lv for lv in self.shop["inventory_levels"].values() if lv["inventory_item_id"] == item["id"]
        ]

        def variant(_i: Any) -> dict[str, Any] | None:
            found = self._variant(item["variant_id"])
            return self.variant(*found) if found else None

        def level(_i: Any, locationId: str) -> dict[str, Any] | None:
            lv = self.shop["inventory_levels"].get(f"{item['id']}:{gid_id(locationId)}")
            return self.inventory_level(lv) if lv else None

        return {
            "id": gid("InventoryItem", item["id"]),
            "legacyResourceId": item["id"],
            "sku": item["sku"],
            "tracked": item["tracked"],
            "createdAt": gql_time(item["created_at"]),
            "updatedAt": gql_time(item["updated_at"]),
            "variant": variant,
            "inventoryLevel": level,
            "inventoryLevels": lambda _i, first=None, after=None: connection(
                [{**lv, "id": lv["location_id"]} for lv in levels],
                self.inventory_level,
                first=first,
                after=after,
            ),
        }

    def inventory_level(self, lv: dict[str, Any]) -> dict[str, Any]:
        item = self.shop["inventory_items"][str(lv["inventory_item_id"])]
        loc = self.shop["locations"][str(lv["location_id"])]
        committed = lv.get("_committed", 0)
        values = {
            "available": lv["available"],
            "committed": committed,
            "on_hand": lv["available"] + committed,
            "incoming": 0,
            "reserved": 0,
            "damaged": 0,
            "safety_stock": 0,
            "quality_control": 0,
        }

        def quantities(_i: Any, names: list[str]) -> list[dict[str, Any]]:
            out = []
            for n in names:
                if n not in values:
                    raise GraphQLError(f"Invalid quantity name: {n}")
                out.append(
                    {
                        "id": f"gid://shopify/InventoryQuantity/{lv['location_id']}?inventory_item_id="
                        f"{lv['inventory_item_id']}&name={n}",
                        "name": n,
                        "quantity": values[n],
                        "updatedAt": gql_time(lv["updated_at"]),
                    }
                )
            return out

        return {
            "id": lv["admin_graphql_api_id"],
            "createdAt": gql_time(lv.get("_created_at", lv["updated_at"])),
            "updatedAt": gql_time(lv["updated_at"]),
            "item": lambda _i: self.inventory_item(item),
            "location": lambda _i: self.location(loc),
            "quantities": quantities,
        }

    def location(self, loc: dict[str, Any]) -> dict[str, Any]:
        levels = [lv for lv in self.shop["inventory_levels"].values() if lv["location_id"] == loc["id"]]

        def level(_i: Any, inventoryItemId: str) -> dict[str, Any] | None:
            lv = self.shop["inventory_levels"].get(f"{gid_id(inventoryItemId)}:{loc['id']}")
            return self.inventory_level(lv) if lv else None

        return {
            "id": loc["admin_graphql_api_id"],
            "legacyResourceId": loc["id"],
            "name": loc["name"],
            "isActive": loc["active"],
            "fulfillsOnlineOrders": True,
            "address": {
                "address1": loc["address1"],
                "address2": loc["address2"],
                "city": loc["city"],
                "zip": loc["zip"],
                "countryCode": loc["country_code"],
                "formatted": [
                    x for x in (loc["address1"], f"{loc['zip']} {loc['city']}", loc["country_name"]) if x
                ],
            },
            "createdAt": gql_time(loc["created_at"]),
            "updatedAt": gql_time(loc["updated_at"]),
            "inventoryLevel": level,
            "inventoryLevels": lambda _i, first=None, after=None: connection(
                [{**lv, "id": lv["inventory_item_id"]} for lv in levels],
                self.inventory_level,
                first=first,
                after=after,
            ),
        }

    # -- webhooks and payments -----------------------------------------------------------------------
    def subscription(self, sub: dict[str, Any]) -> dict[str, Any]:
        from sandbox.shopify.webhooks import topic_to_enum

        return {
            "id": gid("WebhookSubscription", sub["id"]),
            "legacyResourceId": sub["id"],
            "topic": topic_to_enum(sub["topic"]),
            "format": "JSON",
            "createdAt": gql_time(sub["created_at"]),
            "updatedAt": gql_time(sub["updated_at"]),
            "apiVersion": {
                "handle": sub["api_version"],
                "displayName": sub["api_version"],
                "supported": True,
            },
            "includeFields": sub.get("include_fields") or [],
            "filter": sub.get("filter"),
            "uri": sub["callback_url"],
            "callbackUrl": sub["callback_url"],
            "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": sub["callback_url"]},
        }

    def payout(self, p: dict[str, Any]) -> dict[str, Any]:
        cur = p["currency"]
        sm = p["summary"]

        def m(key: str) -> dict[str, Any]:
            return money(sm[key], cur)

        return {
            "id": gid("ShopifyPaymentsPayout", p["id"]),
            "legacyResourceId": p["id"],
            "issuedAt": gql_time(p["_issued_at"]),
            "status": p["status"].upper(),
            "net": money(p["amount"], cur),
            "transactionType": "DEPOSIT" if Decimal(p["amount"]) >= 0 else "WITHDRAWAL",
            "summary": {
                "chargesFee": m("charges_fee_amount"),
                "chargesGross": m("charges_gross_amount"),
                "refundsFee": m("refunds_fee_amount"),
                "refundsFeeGross": m("refunds_gross_amount"),
                "adjustmentsFee": m("adjustments_fee_amount"),
                "adjustmentsGross": m("adjustments_gross_amount"),
                "reservedFundsFee": m("reserved_funds_fee_amount"),
                "reservedFundsGross": m("reserved_funds_gross_amount"),
                "retriedPayoutsFee": m("retried_payouts_fee_amount"),
                "retriedPayoutsGross": m("retried_payouts_gross_amount"),
                "advanceFees": money("0.00", cur),
                "advanceGross": money("0.00", cur),
                "usdcRebateCreditAmount": money("0.00", cur),
            },
        }

    def balance_transaction(self, bt: dict[str, Any]) -> dict[str, Any]:
        cur = bt["currency"]
        order = self.shop["orders"].get(str(bt["source_order_id"])) if bt["source_order_id"] else None
        source_type = {
            "charge": "CHARGE",
            "refund": "REFUND",
            "payout": "TRANSFER",
            "adjustment": "ADJUSTMENT",
            "dispute": "DISPUTE",
        }.get(bt["source_type"] or "", "SYSTEM_ADJUSTMENT")
        graphql_type = bt.get("_graphql_type") or REST_BALANCE_TYPES.get(bt["type"], "ADJUSTMENT")
        adjustment_orders = []
        for a in bt.get("adjustment_order_transactions") or []:
            amount = Decimal(a["amount"])
            adjustment_orders.append(
                {
                    "orderTransactionId": str(a["id"]),
                    "name": a["order"]["name"],
                    "link": f"https://admin.shopify.com/store/{self.shop['domain'].split('.')[0]}/orders/"
                    f"{a['order']['id']}",
                    "amount": money(amount, cur),
                    "fees": money("0.00", cur),
                    "net": money(amount, cur),
                }
            )
        return {
            "id": gid("ShopifyPaymentsBalanceTransaction", bt["id"]),
            "transactionDate": gql_time(bt["processed_at"]),
            "type": graphql_type,
            "sourceType": source_type,
            "sourceId": bt["source_id"],
            "sourceOrderTransactionId": bt["source_order_transaction_id"],
            "test": bt["test"],
            "amount": money(bt["amount"], cur),
            "fee": money(bt["fee"], cur),
            "net": money(bt["net"], cur),
            "associatedOrder": {"id": order["admin_graphql_api_id"], "name": order["name"]}
            if order
            else None,
            "associatedPayout": {
                "id": gid("ShopifyPaymentsPayout", bt["payout_id"]) if bt["payout_id"] else None,
                "status": bt["payout_status"].upper() if bt["payout_status"] else None,
            },
            "adjustmentReason": bt.get("adjustment_reason"),
            "adjustmentsOrders": adjustment_orders,
        }

    def dispute(self, d: dict[str, Any]) -> dict[str, Any]:
        order = self.shop["orders"].get(str(d["order_id"]))
        return {
            "id": gid("ShopifyPaymentsDispute", d["id"]),
            "legacyResourceId": d["id"],
            "status": d["status"].upper(),
            "type": d["type"].upper(),
            "amount": money(d["amount"], d["currency"]),
            "initiatedAt": gql_time(d["initiated_at"]),
            "evidenceDueBy": gql_time(d["evidence_due_by"]),
            "evidenceSentOn": gql_time(d["evidence_sent_on"]),
            "finalizedOn": gql_time(d["finalized_on"]),
            "order": (lambda _i: self.order(order)) if order else None,
            "reasonDetails": {
                "reason": d["reason"].upper(),
                "networkReasonCode": d.get("network_reason_code"),
            },
        }

    # -- returns, risk, suggested refunds ------------------------------------------------------------
    def return_(self, order: dict[str, Any], r: dict[str, Any]) -> dict[str, Any]:
        lines_by_fli = {
            item["fulfillment_line_item_id"]: (item, f)
            for f in order["fulfillments"]
            for item in f["line_items"]
        }
        by_line = {li["id"]: li for li in order["line_items"]}

        def rli(x: dict[str, Any]) -> dict[str, Any]:
            item, _f = lines_by_fli[x["fulfillment_line_item_id"]]
            return {
                "__typename": "ReturnLineItem",
                "id": gid("ReturnLineItem", x["id"]),
                "quantity": x["quantity"],
                "returnReasonNote": x["return_reason_note"],
                "customerNote": None,
                "processedQuantity": 0,
                "unprocessedQuantity": x["quantity"],
                "processableQuantity": x["quantity"],
                "refundableQuantity": x["quantity"],
                "refundedQuantity": 0,
                "fulfillmentLineItem": {
                    "id": gid("FulfillmentLineItem", x["fulfillment_line_item_id"]),
                    "quantity": item["quantity"],
                    "lineItem": self.line_item(order, by_line[item["id"]]),
                },
            }

        return {
            "id": gid("Return", r["id"]),
            "name": r["name"],
            "status": r["status"].upper(),
            "createdAt": gql_time(r["created_at"]),
            "closedAt": gql_time(r["closed_at"]),
            "order": lambda _i: self.order(order),
            "totalQuantity": sum(x["quantity"] for x in r["line_items"]),
            "returnLineItems": list_conn(r["line_items"], rli),
        }

    def risk(self, order: dict[str, Any]) -> dict[str, Any]:
        risk = order.get("_risk") or {"recommendation": "NONE", "assessments": []}
        return {
            "recommendation": risk["recommendation"],
            "assessments": [
                {
                    "riskLevel": a["risk_level"],
                    "facts": [
                        {"description": f["description"], "sentiment": f["sentiment"]} for f in a["facts"]
                    ],
                    "provider": {
                        "id": gid("App", a["provider"]["id"]),
                        "title": a["provider"]["title"],
                        "handle": a["provider"].get("handle"),
                    }
                    if a.get("provider")
                    else None,
                }
                for a in risk["assessments"]
            ],
        }

    def suggested_refund(
        self,
        store: Any,
        order: dict[str, Any],
        refundLineItems: list[dict[str, Any]] | None = None,
        refundShipping: bool | None = None,
        shippingAmount: str | None = None,
        suggestFullRefund: bool = False,
    ) -> dict[str, Any]:
        cur, pcur = order["currency"], order["presentment_currency"]
        specs = [
            {
                "line_item_id": gid_id(x["lineItemId"], "LineItem"),
                "quantity": x["quantity"],
                "restock_type": (x.get("restockType") or "NO_RESTOCK").lower(),
                "location_id": gid_id(x.get("locationId"), "Location") if x.get("locationId") else None,
            }
            for x in refundLineItems or []
        ]
        plan = shopdata.suggest_refund(
            store,
            self.shop,
            order["id"],
            line_items=specs,
            shipping_full=bool(refundShipping),
            shipping_amount=Decimal(str(shippingAmount)) if shippingAmount is not None else None,
            full=bool(suggestFullRefund),
        )

        def pair(a: Decimal, b: Decimal) -> dict[str, Any]:
            return {"shopMoney": money(a, cur), "presentmentMoney": money(b, pcur)}

        zero = pair(Decimal("0.00"), Decimal("0.00"))
        max_s, max_p = plan["maximum_refundable"]
        refund = plan["refund"]
        ship_left = [shopdata.shipping_left(sl) for sl in order["shipping_lines"]]
        ship_max = pair(
            sum((x[0] for x in ship_left), Decimal("0.00")),
            sum((x[1] for x in ship_left), Decimal("0.00")),
        )
        if refund is None:
            return {
                "amountSet": zero,
                "subtotalSet": zero,
                "totalTaxSet": zero,
                "discountedSubtotalSet": zero,
                "totalCartDiscountAmountSet": zero,
                "maximumRefundableSet": pair(max_s, max_p),
                "shipping": {"amountSet": zero, "taxSet": zero, "maximumRefundableSet": ship_max},
                "refundLineItems": [],
                "suggestedTransactions": [],
            }
        scratch = plan["scratch_order"]

        def total(rows: list[dict[str, Any]], key: str, which: str) -> Decimal:
            return sum((Decimal(x[key][which]["amount"]) for x in rows), Decimal("0.00"))

        rlis = refund["refund_line_items"]
        sub = pair(
            total(rlis, "subtotal_set", "shop_money"), total(rlis, "subtotal_set", "presentment_money")
        )
        tax_items = (
            total(rlis, "total_tax_set", "shop_money"),
            total(rlis, "total_tax_set", "presentment_money"),
        )
        ship_adj = [a for a in refund["order_adjustments"] if a["kind"] == "shipping_refund"]
        ship_tax = (
            -total(ship_adj, "tax_amount_set", "shop_money"),
            -total(ship_adj, "tax_amount_set", "presentment_money"),
        )
        ship_amount = (
            -total(ship_adj, "amount_set", "shop_money") + ship_tax[0],
            -total(ship_adj, "amount_set", "presentment_money") + ship_tax[1],
        )
        by_line = {li["id"]: li for li in order["line_items"]}
        parents = {t["id"]: t for t in order["_transactions"]}
        return {
            "amountSet": pair(Decimal(refund["_total"][0]), Decimal(refund["_total"][1])),
            "subtotalSet": sub,
            "discountedSubtotalSet": sub,
            "totalCartDiscountAmountSet": zero,
            "totalTaxSet": pair(tax_items[0] + ship_tax[0], tax_items[1] + ship_tax[1]),
            "maximumRefundableSet": pair(max_s, max_p),
            "shipping": {
                "amountSet": pair(*ship_amount),
                "taxSet": pair(*ship_tax),
                "maximumRefundableSet": ship_max,
            },
            "refundLineItems": [
                {
                    "id": None,
                    "lineItem": self.line_item(order, by_line[x["line_item_id"]]),
                    "quantity": x["quantity"],
                    "restockType": x["restock_type"].upper(),
                    "restocked": False,
                    "location": None,
                    "priceSet": bag(by_line[x["line_item_id"]]["price_set"]),
                    "subtotalSet": bag(x["subtotal_set"]),
                    "totalTaxSet": bag(x["total_tax_set"]),
                }
                for x in rlis
            ],
            "suggestedTransactions": [
                {
                    "kind": "SUGGESTED_REFUND",
                    "gateway": t["gateway"],
                    "amountSet": {
                        "shopMoney": money(t["_shop_amount"], cur),
                        "presentmentMoney": money(t["amount"], pcur),
                    },
                    "maximumRefundableSet": None,
                    "parentTransaction": self.transaction(order, parents[t["parent_id"]])
                    if t.get("parent_id") in parents
                    else None,
                }
                for t in scratch["_transactions"]
                if t["id"] < 0
            ],
        }

    # -- bulk operations -----------------------------------------------------------------------------
    def bulk_operation(self, op: dict[str, Any], now: float) -> dict[str, Any]:
        expired = op["status"] == "completed" and op.get("_expires_ts") and now >= op["_expires_ts"]
        return {
            "id": gid("BulkOperation", op["id"]),
            "status": "EXPIRED" if expired else op["status"].upper(),
            "type": op["type"].upper(),
            "errorCode": op["error_code"].upper() if op.get("error_code") else None,
            "createdAt": gql_time(op["created_at"]),
            "completedAt": gql_time(op.get("completed_at")),
            "objectCount": op.get("object_count", 0),
            "rootObjectCount": op.get("root_object_count", 0),
            "fileSize": op.get("file_size"),
            "url": None if expired else op.get("url"),
            "partialDataUrl": None if expired else op.get("partial_data_url"),
            "query": op["query"],
        }


#: REST balance transaction types → ShopifyPaymentsTransactionType (rows the sandbox wrote before it kept
#: the GraphQL type beside them).
REST_BALANCE_TYPES = {
    "charge": "CHARGE",
    "refund": "REFUND",
    "payout": "TRANSFER",
    "payout_failure": "TRANSFER_FAILURE",
    "payout_cancellation": "TRANSFER_CANCEL",
    "adjustment": "ADJUSTMENT",
    "reserve": "RESERVED_FUNDS",
}
