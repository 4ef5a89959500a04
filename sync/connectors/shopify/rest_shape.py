"""Rebuild the REST order (the ``orders/create`` webhook body) from the Admin GraphQL order.

The flows consume webhook bodies; when they must rebuild an order from current Shopify state (an update
that arrived before its create, a reconciliation backfill) they get the same shape from here, for the
fields a sync uses (the selection is ``documents.ORDER``). Amounts are decimal strings, as in webhook
bodies.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def _legacy(gid: str | None) -> int | None:
    if not gid:
        return None
    return int(str(gid).rsplit("/", 1)[-1].split("?")[0])


def _amount(node: dict[str, Any] | None, which: str = "shopMoney") -> str | None:
    if not node:
        return None
    return str(Decimal(str(node[which]["amount"])).quantize(Decimal("0.01")))


def _set(node: dict[str, Any] | None) -> dict[str, Any] | None:
    if not node:
        return None
    return {
        "shop_money": {"amount": _amount(node), "currency_code": node["shopMoney"]["currencyCode"]},
        "presentment_money": {
            "amount": _amount(node, "presentmentMoney"),
            "currency_code": node["presentmentMoney"]["currencyCode"],
        },
    }


def _tax_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "title": t["title"],
            "rate": t["rate"],
            "price": _amount(t["priceSet"]),
            "price_set": _set(t["priceSet"]),
            "channel_liable": t.get("channelLiable"),
        }
        for t in lines
    ]


def _address(a: dict[str, Any] | None) -> dict[str, Any] | None:
    if not a:
        return None
    return {
        "first_name": a.get("firstName"),
        "last_name": a.get("lastName"),
        "name": a.get("name"),
        "company": a.get("company"),
        "address1": a.get("address1"),
        "address2": a.get("address2"),
        "city": a.get("city"),
        "zip": a.get("zip"),
        "province": a.get("province"),
        "province_code": a.get("provinceCode"),
        "country": a.get("country"),
        "country_code": a.get("countryCodeV2"),
        "phone": a.get("phone"),
    }


def _dt(value: str | None) -> str | None:
    if not value:
        return None
    return value.replace("Z", "+00:00")


def order_to_rest(o: dict[str, Any]) -> dict[str, Any]:
    lines = []
    for li in o["lineItems"]["nodes"]:
        lines.append(
            {
                "id": _legacy(li["id"]),
                "admin_graphql_api_id": li["id"],
                "name": li["name"],
                "title": li["title"],
                "variant_title": li.get("variantTitle"),
                "vendor": li.get("vendor"),
                "sku": li.get("sku"),
                "quantity": li["quantity"],
                "current_quantity": li["currentQuantity"],
                "fulfillable_quantity": li.get("unfulfilledQuantity"),
                "taxable": li["taxable"],
                "requires_shipping": li["requiresShipping"],
                "gift_card": bool(li.get("isGiftCard")),
                "variant_id": int(li["variant"]["legacyResourceId"]) if li.get("variant") else None,
                "product_id": int(li["product"]["legacyResourceId"]) if li.get("product") else None,
                "price": _amount(li["originalUnitPriceSet"]),
                "price_set": _set(li["originalUnitPriceSet"]),
                "total_discount": _amount(li["totalDiscountSet"]),
                "total_discount_set": _set(li["totalDiscountSet"]),
                "tax_lines": _tax_lines(li["taxLines"]),
                "discount_allocations": [
                    {
                        "amount": _amount(a["allocatedAmountSet"]),
                        "amount_set": _set(a["allocatedAmountSet"]),
                        "discount_application_index": a["discountApplication"]["index"],
                    }
                    for a in li["discountAllocations"]
                ],
                "properties": [
                    {"name": p["key"], "value": p["value"]} for p in li.get("customAttributes") or []
                ],
            }
        )
    shipping = []
    for sl in o["shippingLines"]["nodes"]:
        shipping.append(
            {
                "id": _legacy(sl["id"]),
                "title": sl["title"],
                "code": sl["code"],
                "source": sl["source"],
                "price": _amount(sl["originalPriceSet"]),
                "price_set": _set(sl["originalPriceSet"]),
                "discounted_price": _amount(sl["discountedPriceSet"]),
                "discounted_price_set": _set(sl["discountedPriceSet"]),
                "tax_lines": _tax_lines(sl["taxLines"]),
            }
        )
    apps = []
    for d in sorted(o["discountApplications"]["nodes"], key=lambda x: x["index"]):
        value = d["value"]
        is_pct = value.get("__typename") == "PricingPercentageValue" or "percentage" in value
        app = {
            "type": {
                "DiscountCodeApplication": "discount_code",
                "AutomaticDiscountApplication": "automatic",
            }.get(d["__typename"], "manual"),
            "value": str(float(value["percentage"] if is_pct else value["amount"])),
            "value_type": "percentage" if is_pct else "fixed_amount",
            "allocation_method": d["allocationMethod"].lower(),
            "target_selection": d["targetSelection"].lower(),
            "target_type": d["targetType"].lower(),
        }
        if d.get("code"):
            app["code"] = d["code"]
        if d.get("title"):
            app["title"] = d["title"]
        apps.append(app)
    customer = o.get("customer")
    fin = (o.get("displayFinancialStatus") or "").lower() or None
    ful = {
        "UNFULFILLED": None,
        "PARTIALLY_FULFILLED": "partial",
        "FULFILLED": "fulfilled",
        "RESTOCKED": "restocked",
    }.get(o.get("displayFulfillmentStatus") or "UNFULFILLED")
    return {
        "id": int(o["legacyResourceId"]),
        "admin_graphql_api_id": o["id"],
        "name": o["name"],
        "email": o.get("email"),
        "phone": o.get("phone"),
        "note": o.get("note"),
        "note_attributes": [{"name": a["key"], "value": a["value"]} for a in o.get("customAttributes") or []],
        "created_at": _dt(o["createdAt"]),
        "updated_at": _dt(o["updatedAt"]),
        "processed_at": _dt(o.get("processedAt")),
        "cancelled_at": _dt(o.get("cancelledAt")),
        "cancel_reason": (o.get("cancelReason") or "").lower() or None,
        "closed_at": _dt(o.get("closedAt")),
        "test": o.get("test", False),
        "financial_status": fin,
        "fulfillment_status": ful,
        "currency": o["currencyCode"],
        "presentment_currency": o["presentmentCurrencyCode"],
        "taxes_included": o["taxesIncluded"],
        "tags": ", ".join(o.get("tags") or []),
        "payment_gateway_names": o.get("paymentGatewayNames") or [],
        "discount_codes": [{"code": c} for c in o.get("discountCodes") or []],
        "subtotal_price": _amount(o.get("subtotalPriceSet")),
        "subtotal_price_set": _set(o.get("subtotalPriceSet")),
        "total_price": _amount(o["totalPriceSet"]),
        "total_price_set": _set(o["totalPriceSet"]),
        "total_tax": _amount(o.get("totalTaxSet")),
        "total_tax_set": _set(o.get("totalTaxSet")),
        "total_discounts": _amount(o.get("totalDiscountsSet")),
        "total_discounts_set": _set(o.get("totalDiscountsSet")),
        "total_shipping_price_set": _set(o.get("totalShippingPriceSet")),
        "total_outstanding": _amount(o.get("totalOutstandingSet")),
        "current_subtotal_price": _amount(o.get("currentSubtotalPriceSet")),
        "current_subtotal_price_set": _set(o.get("currentSubtotalPriceSet")),
        "current_total_price": _amount(o.get("currentTotalPriceSet")),
        "current_total_price_set": _set(o.get("currentTotalPriceSet")),
        "current_total_tax": _amount(o.get("currentTotalTaxSet")),
        "current_total_tax_set": _set(o.get("currentTotalTaxSet")),
        "current_total_discounts": _amount(o.get("currentTotalDiscountsSet")),
        "current_total_discounts_set": _set(o.get("currentTotalDiscountsSet")),
        # REST states the tip as a flat amount; the bag beside it lets a presentment booking read its side
        "total_tip_received": _amount(o.get("totalTipReceivedSet")) or "0.00",
        "total_tip_received_set": _set(o.get("totalTipReceivedSet")),
        "duties_included": bool(o.get("dutiesIncluded")),
        "original_total_duties_set": _set(o.get("originalTotalDutiesSet")),
        "current_total_duties_set": _set(o.get("currentTotalDutiesSet")),
        "customer": {
            "id": int(customer["legacyResourceId"]),
            "email": (customer.get("defaultEmailAddress") or {}).get("emailAddress"),
            "first_name": customer.get("firstName"),
            "last_name": customer.get("lastName"),
            "phone": (customer.get("defaultPhoneNumber") or {}).get("phoneNumber"),
        }
        if customer
        else None,
        "billing_address": _address(o.get("billingAddress")),
        "shipping_address": _address(o.get("shippingAddress")),
        "tax_lines": _tax_lines(o.get("taxLines") or []),
        "line_items": lines,
        "shipping_lines": shipping,
        "discount_applications": apps,
        "refunds": [
            {
                "id": int(r["legacyResourceId"]),
                "created_at": _dt(r.get("createdAt")),
                "note": r.get("note"),
                "total_refunded_set": _set(r["totalRefundedSet"]),
                # the units each refund took back (its shipping and adjustments are in its total only)
                "refund_line_items": [
                    {
                        "line_item_id": _legacy(rli["lineItem"]["id"]),
                        "quantity": int(rli["quantity"]),
                        "restock_type": str(rli.get("restockType") or "").lower(),
                    }
                    for rli in (r.get("refundLineItems") or {}).get("nodes") or []
                ],
            }
            for r in o.get("refunds") or []
        ],
    }
