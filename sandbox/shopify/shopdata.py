"""Shop records in their REST shape, and the business operations on them.

Every operation mutates the shop under the store lock and returns the webhook events it fired as
``(topic, payload)`` pairs; the caller hands them to the delivery engine. Shapes follow the reference
payloads in ``/work/shared/reference/shopify/`` (``app-js-2025-01-*.json``).
"""

from __future__ import annotations

import copy
import hashlib
import random
from decimal import Decimal
from typing import Any

from sandbox import catalogue
from sandbox.shopify.money import (
    FX_FROM_EUR,
    ZERO,
    Discount,
    LineIn,
    allocate,
    convert,
    money_set,
    price_order,
    q2,
    s,
)
from sandbox.shopify.store import DEMO_CLIENT_SECRET, DEMO_DOMAIN, DEMO_TOKEN, PLANS, Store, public

Events = list[tuple[str, dict[str, Any]]]

#: The app's configuration as ``shopify.app.toml`` would set it: the API version webhooks are serialised
#: with, and the compliance (privacy) webhook URL. Shopify refuses compliance topics through the Admin
#: API; they are delivered to this URL.
DEFAULT_APP_CONFIG: dict[str, Any] = {"webhooks_api_version": "2026-07", "compliance_url": None}

#: The access scopes the merchant granted when installing the app (``currentAppInstallation.accessScopes``):
#: by default what the app's ``shopify.app.toml`` asks for. A write scope is listed with the read scope it
#: implies, as Shopify lists them. The control API's ``settings`` replaces the list (``scopes``).
DEFAULT_SCOPES: tuple[str, ...] = (
    "read_customers",
    "write_customers",
    "read_inventory",
    "write_inventory",
    "read_locations",
    "read_merchant_managed_fulfillment_orders",
    "write_merchant_managed_fulfillment_orders",
    "read_orders",
    "write_orders",
    "read_products",
    "write_products",
    "read_returns",
    "write_returns",
    "read_shopify_payments_disputes",
    "read_shopify_payments_payouts",
)

#: Keys a shop saved by an older sandbox may lack (filled in when the state is loaded).
SHOP_DEFAULTS: dict[str, Any] = {
    "disputes": {},
    "returns": {},
    "bulk_operations": {},
    "app": DEFAULT_APP_CONFIG,
}


def upgrade_shop(shop: dict[str, Any]) -> None:
    for key, value in SHOP_DEFAULTS.items():
        if key not in shop:
            shop[key] = dict(value)


class OperationError(Exception):
    """A request the shop refuses; ``field`` names the offending input."""

    def __init__(self, message: str, field: list[str] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def gid(kind: str, rid: int | str) -> str:
    return f"gid://shopify/{kind}/{rid}"


def gid_id(value: str | int | None, kind: str | None = None) -> int | None:
    """The numeric id of a GID (``gid://shopify/Order/12`` → 12), or of a plain number."""
    if value is None:
        return None
    text = str(value)
    if text.startswith("gid://"):
        parts = text.split("/")
        if kind is not None and parts[3] != kind:
            return None
        text = parts[4].split("?")[0]
    try:
        return int(text)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------------------
# seeding
# ---------------------------------------------------------------------------------------------------------
def new_shop(
    store: Store,
    *,
    domain: str = DEMO_DOMAIN,
    token: str = DEMO_TOKEN,
    client_secret: str = DEMO_CLIENT_SECRET,
    plan: str = "basic",
    restore_rate: float | None = None,
    maximum: float | None = None,
    taxes_included: bool = False,
    currency: str = catalogue.SHOP_CURRENCY,
    name: str | None = None,
    seed: bool = True,
) -> dict[str, Any]:
    now = store.clock.iso()
    limits = dict(PLANS.get(plan, PLANS["basic"]))
    if restore_rate is not None:
        limits["restore_rate"] = float(restore_rate)
    if maximum is not None:
        limits["maximum"] = float(maximum)
    shop: dict[str, Any] = {
        "id": store.new_id(),
        "domain": domain,
        "name": name or domain.split(".")[0].replace("-", " ").title(),
        "email": f"owner@{domain}",
        "token": token,
        "client_secret": client_secret,
        "old_client_secret": None,
        "old_secret_until": None,
        "plan": plan,
        "restore_rate": limits["restore_rate"],
        "maximum": limits["maximum"],
        "currency": currency,
        "taxes_included": bool(taxes_included),
        "created_at": now,
        "order_number": 1000,
        "locations": {},
        "products": {},
        "tax_codes": {},
        "inventory_items": {},
        "inventory_levels": {},
        "customers": {},
        "orders": {},
        "fulfillment_orders": {},
        "subscriptions": {},
        "deliveries": {},
        "adjustment_groups": {},
        "idempotency": {},
        "payouts": {},
        "balance_transactions": {},
        "disputes": {},
        "returns": {},
        "bulk_operations": {},
        "app": dict(DEFAULT_APP_CONFIG),
        "faults": {"delivery": [], "api": []},
        "deprecated_fields": [],
        "installed": True,
    }
    with store.lock:
        store.state["shops"][domain] = shop
        if seed:
            seed_catalogue(store, shop)
        store.mark_dirty()
    return shop


def seed_catalogue(store: Store, shop: dict[str, Any]) -> None:
    now = store.clock.iso()
    location_ids = []
    for i, loc in enumerate(catalogue.LOCATIONS):
        lid = store.new_id()
        location_ids.append(lid)
        shop["locations"][str(lid)] = {
            "id": lid,
            "name": loc["name"],
            "address1": f"{10 + i} Rue du Commerce",
            "address2": None,
            "city": "Lyon",
            "zip": "69002",
            "province": None,
            "country": "FR",
            "phone": None,
            "created_at": now,
            "updated_at": now,
            "country_code": "FR",
            "country_name": "France",
            "province_code": None,
            "legacy": False,
            "active": True,
            "admin_graphql_api_id": gid("Location", lid),
            "localized_country_name": "France",
            "localized_province_name": None,
        }
    for product in catalogue.PRODUCTS + catalogue.SHOPIFY_ONLY_PRODUCTS:
        add_product(store, shop, product, location_ids)
    rng = random.Random(7)
    for first, last in [("Camille", "Martin"), ("Lucas", "Bernard"), ("Emma", "Dubois"), ("Hugo", "Moreau")]:
        create_customer(
            store,
            shop,
            {
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}@example.com",
                "phone": f"+3361234{rng.randint(1000, 9999)}",
            },
            fire=False,
        )


def add_product(
    store: Store, shop: dict[str, Any], product: catalogue.Product, location_ids: list[int]
) -> None:
    now = store.clock.iso()
    pid = store.new_id()
    variants = []
    for pos, v in enumerate(product.variants, start=1):
        vid = store.new_id()
        iid = store.new_id()
        options = v.option.split(" / ") if v.option else ["Default Title"]
        variants.append(
            {
                "id": vid,
                "product_id": pid,
                "title": v.option or "Default Title",
                "price": s(v.price),
                "position": pos,
                "inventory_policy": "deny",
                "compare_at_price": None,
                "option1": options[0],
                "option2": options[1] if len(options) > 1 else None,
                "option3": None,
                "created_at": now,
                "updated_at": now,
                "taxable": True,
                "barcode": v.barcode,
                "fulfillment_service": "manual",
                "grams": 300,
                "inventory_management": "shopify",
                "requires_shipping": True,
                "sku": v.sku,
                "weight": 0.3,
                "weight_unit": "kg",
                "inventory_item_id": iid,
                "inventory_quantity": v.stock,
                "old_inventory_quantity": v.stock,
                "presentment_prices": [
                    {
                        "price": {"amount": s(v.price), "currency_code": shop["currency"]},
                        "compare_at_price": None,
                    }
                ],
                "admin_graphql_api_id": gid("ProductVariant", vid),
                "image_id": None,
            }
        )
        shop["inventory_items"][str(iid)] = {
            "id": iid,
            "sku": v.sku,
            "tracked": True,
            "variant_id": vid,
            "product_id": pid,
            "created_at": now,
            "updated_at": now,
        }
        for n, lid in enumerate(location_ids):
            shop["inventory_levels"][f"{iid}:{lid}"] = {
                "inventory_item_id": iid,
                "location_id": lid,
                "available": v.stock if n == 0 else v.stock // 4,
                "updated_at": now,
                "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{lid}?inventory_item_id={iid}",
                "_committed": 0,
                "_created_at": now,
            }
    option_names = ["Size", "Color"] if any(" / " in v.option for v in product.variants) else ["Title"]
    shop["products"][str(pid)] = {
        "id": pid,
        "title": product.title,
        "body_html": f"<p>{product.title} by {product.vendor}.</p>",
        "vendor": product.vendor,
        "product_type": product.product_type,
        "created_at": now,
        "handle": product.handle,
        "updated_at": now,
        "published_at": now,
        "template_suffix": None,
        "published_scope": "web",
        "tags": product.product_type.lower(),
        "status": "active",
        "admin_graphql_api_id": gid("Product", pid),
        "variants": variants,
        "options": [
            {
                "id": store.new_id(),
                "product_id": pid,
                "name": name,
                "position": i + 1,
                "values": sorted(
                    {[*v.option.split(" / "), ""][i] or "Default Title" for v in product.variants}
                ),
            }
            for i, name in enumerate(option_names)
        ],
        "images": [],
        "image": None,
    }
    shop["tax_codes"][str(pid)] = product.tax_code
    recompute_variant_quantities(shop)


def recompute_variant_quantities(shop: dict[str, Any]) -> None:
    totals: dict[int, int] = {}
    for level in shop["inventory_levels"].values():
        totals[level["inventory_item_id"]] = totals.get(level["inventory_item_id"], 0) + level["available"]
    for product in shop["products"].values():
        for v in product["variants"]:
            v["old_inventory_quantity"] = v["inventory_quantity"]
            v["inventory_quantity"] = totals.get(v["inventory_item_id"], 0)


def find_variant(
    shop: dict[str, Any], *, sku: str | None = None, variant_id: int | None = None
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    for product in shop["products"].values():
        for v in product["variants"]:
            if (sku is not None and v["sku"] == sku) or (variant_id is not None and v["id"] == variant_id):
                return product, v
    return None


def first_location_id(shop: dict[str, Any]) -> int:
    return min(int(k) for k in shop["locations"])


# ---------------------------------------------------------------------------------------------------------
# customers
# ---------------------------------------------------------------------------------------------------------
def _address(
    store: Store, data: dict[str, Any], customer_id: int | None = None, default: bool = False
) -> dict[str, Any]:
    first, last = data.get("first_name"), data.get("last_name")
    out = {
        "first_name": first,
        "address1": data.get("address1", "1 Place Bellecour"),
        "phone": data.get("phone"),
        "city": data.get("city", "Lyon"),
        "zip": data.get("zip", "69002"),
        "province": data.get("province"),
        "country": data.get("country", "France"),
        "last_name": last,
        "address2": data.get("address2", ""),
        "company": data.get("company"),
        "latitude": None,
        "longitude": None,
        "name": " ".join(p for p in (first, last) if p),
        "country_code": data.get("country_code", "FR"),
        "province_code": data.get("province_code"),
    }
    if customer_id is not None:
        out = {
            "id": store.new_id(),
            "customer_id": customer_id,
            **{k: v for k, v in out.items() if k not in ("latitude", "longitude")},
            "country_name": "France",
            "default": default,
        }
    return out


def create_customer(store: Store, shop: dict[str, Any], data: dict[str, Any], *, fire: bool = True) -> Events:
    email = data.get("email")
    if email and any(c["email"] == email for c in shop["customers"].values()):
        raise OperationError("Email has already been taken", ["email"], "TAKEN")
    phone = data.get("phone")
    if phone and any(c.get("phone") == phone for c in shop["customers"].values()):
        raise OperationError("Phone has already been taken", ["phone"], "TAKEN")
    now = store.clock.iso()
    cid = store.new_id()
    addresses = [
        _address(
            store,
            {
                **a,
                "first_name": a.get("first_name", data.get("first_name")),
                "last_name": a.get("last_name", data.get("last_name")),
            },
            cid,
            i == 0,
        )
        for i, a in enumerate(data.get("addresses") or [{}])
    ]
    customer = {
        "id": cid,
        "email": email,
        "created_at": now,
        "updated_at": now,
        "first_name": data.get("first_name"),
        "last_name": data.get("last_name"),
        "orders_count": 0,
        "state": "disabled",
        "total_spent": "0.00",
        "last_order_id": None,
        "note": data.get("note"),
        "verified_email": True,
        "multipass_identifier": None,
        "tax_exempt": bool(data.get("tax_exempt", False)),
        "tags": data.get("tags", ""),
        "last_order_name": None,
        "currency": shop["currency"],
        "phone": data.get("phone"),
        "addresses": addresses,
        "tax_exemptions": [],
        "email_marketing_consent": {
            "state": "not_subscribed",
            "opt_in_level": "single_opt_in",
            "consent_updated_at": None,
        },
        "sms_marketing_consent": None,
        "admin_graphql_api_id": gid("Customer", cid),
        "default_address": addresses[0] if addresses else None,
    }
    shop["customers"][str(cid)] = customer
    return [("customers/create", customer)] if fire else []


def update_customer(store: Store, shop: dict[str, Any], cid: int, data: dict[str, Any]) -> Events:
    customer = shop["customers"].get(str(cid))
    if customer is None:
        raise OperationError("Customer does not exist", ["id"], "NOT_FOUND")
    email = data.get("email")
    if email and any(c["email"] == email and c["id"] != cid for c in shop["customers"].values()):
        raise OperationError("Email has already been taken", ["email"], "TAKEN")
    phone = data.get("phone")
    if phone and any(c.get("phone") == phone and c["id"] != cid for c in shop["customers"].values()):
        raise OperationError("Phone has already been taken", ["phone"], "TAKEN")
    for key in ("email", "first_name", "last_name", "phone", "note", "tags", "tax_exempt"):
        if key in data and data[key] is not None:
            customer[key] = data[key]
    if data.get("addresses"):
        customer["addresses"] = [_address(store, a, cid, i == 0) for i, a in enumerate(data["addresses"])]
        customer["default_address"] = customer["addresses"][0]
    customer["updated_at"] = store.clock.iso()
    return [("customers/update", customer)]


def customer_summary(customer: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "id",
        "email",
        "created_at",
        "updated_at",
        "first_name",
        "last_name",
        "state",
        "note",
        "verified_email",
        "multipass_identifier",
        "tax_exempt",
        "phone",
        "email_marketing_consent",
        "sms_marketing_consent",
        "tags",
        "currency",
        "tax_exemptions",
        "admin_graphql_api_id",
        "default_address",
    )
    return {k: customer.get(k) for k in keys}


# ---------------------------------------------------------------------------------------------------------
# orders
# ---------------------------------------------------------------------------------------------------------
FIRST_NAMES = ["Léa", "Louis", "Chloé", "Gabriel", "Manon", "Jules", "Inès", "Arthur", "Zoé", "Nathan"]
LAST_NAMES = ["Petit", "Durand", "Leroy", "Fournier", "Girard", "Lambert", "Fontaine", "Rousseau"]
CITIES = [
    ("Paris", "75011"),
    ("Lyon", "69003"),
    ("Marseille", "13001"),
    ("Nantes", "44000"),
    ("Lille", "59000"),
]
DISCOUNT_CODES = [
    ("WELCOME10", "percentage", Decimal("10")),
    ("SPRING15", "percentage", Decimal("15")),
    ("FIVEOFF", "fixed_amount", Decimal("5.00")),
]
AUTOMATIC_DISCOUNTS = [
    ("Buy more, save 5%", "percentage", Decimal("5")),
    ("Loyalty 3 EUR off", "fixed_amount", Decimal("3.00")),
]


def _tax_for(shop: dict[str, Any], product: dict[str, Any]) -> tuple[str, Decimal]:
    code = shop["tax_codes"].get(str(product["id"]), "standard")
    tax = catalogue.TAXES[code]
    return str(tax["shopify_title"]), Decimal(str(tax["rate"]))


def _tax_line(
    title: str, rate: Decimal, shop_amt: Decimal, pres_amt: Decimal, cur: str, pcur: str
) -> dict[str, Any]:
    return {
        "price": s(shop_amt),
        "rate": float(rate),
        "title": title,
        "price_set": money_set(shop_amt, cur, pres_amt, pcur),
        "channel_liable": False,
    }


def build_order(
    store: Store,
    shop: dict[str, Any],
    *,
    lines: list[dict[str, Any]],
    discounts: list[Discount] | None = None,
    shipping_code: str | None = "STANDARD",
    shipping_lines: list[dict[str, Any]] | None = None,
    presentment_currency: str | None = None,
    customer: dict[str, Any] | None = None,
    email: str | None = None,
    shipping_address: dict[str, Any] | None = None,
    billing_address: dict[str, Any] | None = None,
    gift_card_amount: Decimal | None = None,
    note: str | None = None,
    note_attributes: list[dict[str, str]] | None = None,
    tags: str = "",
    taxes_included: bool | None = None,
    created_at: str | None = None,
    source_name: str = "web",
    compute_taxes: bool = True,
    financial_status: str = "paid",
    test: bool = False,
    tip: Decimal | None = None,
    duty_rate: Decimal | None = None,
) -> Events:
    """Create a paid order; ``lines`` items: ``{"variant": v, "product": p, "quantity": n}`` or custom lines
    ``{"title", "sku", "price", "quantity", "tax": (title, rate) | None}``.

    ``tip`` (shop money): a tip the customer added at checkout, as Shopify states it: ``total_tip_received``,
    counted in ``total_price`` and paid by the order's transactions, on no line item or shipping line.
    ``duty_rate``: import duties charged at checkout (delivered duty paid), a duty per shipped line item of
    that share of its discounted price before tax (``line_items[].duties``: ``id``,
    ``harmonized_system_code``, ``country_code_of_origin``, ``shop_money``, ``presentment_money``,
    ``tax_lines``), summed in ``original_total_duties_set`` / ``current_total_duties_set`` and counted in
    ``total_price`` (``duties_included`` false: charged on top of the prices)."""
    cur = shop["currency"]
    pcur = presentment_currency or cur
    if pcur not in FX_FROM_EUR:
        raise OperationError(f"Unsupported presentment currency {pcur}", ["presentmentCurrency"], "INVALID")
    included = shop["taxes_included"] if taxes_included is None else taxes_included
    discounts = discounts or []
    now = created_at or store.clock.iso()
    oid = store.new_id()
    # Line inputs in both currencies.
    ins_shop: list[LineIn] = []
    ins_pres: list[LineIn] = []
    for line in lines:
        if "variant" in line:
            price = Decimal(line["variant"]["price"])
            tax = _tax_for(shop, line["product"]) if compute_taxes and line["variant"]["taxable"] else None
        else:
            price = Decimal(str(line["price"]))
            tax = line.get("tax")
            if tax is not None:
                tax = (str(tax[0]), Decimal(str(tax[1])))
        line["_tax"] = tax
        rate = tax[1] if tax else None
        title = tax[0] if tax else ""
        ins_shop.append(LineIn(price, int(line["quantity"]), rate, title))
        ins_pres.append(LineIn(convert(price, cur, pcur), int(line["quantity"]), rate, title))
    disc_shop = discounts
    disc_pres = [
        Discount(
            d.kind,
            d.value_type,
            convert(d.value, cur, pcur) if d.value_type == "fixed_amount" else d.value,
            d.code,
            d.title,
        )
        for d in discounts
    ]
    ship_specs: list[dict[str, Any]] = list(shipping_lines or [])
    if shipping_code and not ship_specs:
        method = catalogue.SHIPPING_METHODS[shipping_code]
        ship_specs.append({"code": shipping_code, "title": method["title"], "price": method["price"]})
    std = catalogue.TAXES["standard"]
    ship_rate = Decimal(str(std["rate"]))
    ship_title = str(std["shopify_title"])
    ship_shop = [
        (Decimal(str(sp["price"])), ship_rate if compute_taxes else None, ship_title) for sp in ship_specs
    ]
    ship_pres = [(convert(p, cur, pcur), r, t) for p, r, t in ship_shop]
    ps = price_order(ins_shop, disc_shop, ship_shop, taxes_included=included)
    pp = price_order(ins_pres, disc_pres, ship_pres, taxes_included=included)

    def ms(a: Decimal, b: Decimal) -> dict[str, Any]:
        return money_set(a, cur, b, pcur)

    line_items: list[dict[str, Any]] = []
    for line, lin, ls, lp in zip(lines, ins_shop, ps.lines, pp.lines, strict=True):
        lid = store.new_id()
        variant = line.get("variant")
        product = line.get("product")
        tax = line["_tax"]
        qty = lin.quantity
        vtitle = variant["title"] if variant and variant["title"] != "Default Title" else None
        ptitle = product["title"] if product else line.get("title", "Custom item")
        line_items.append(
            {
                "id": lid,
                "admin_graphql_api_id": gid("LineItem", lid),
                "attributed_staffs": [],
                "current_quantity": qty,
                "fulfillable_quantity": qty,
                # A gift card is fulfilled by Shopify's gift_card service (it issues the card), never shipped.
                "fulfillment_service": "gift_card" if line.get("gift_card") else "manual",
                "fulfillment_status": None,
                "gift_card": bool(line.get("gift_card")),
                "grams": 300,
                "name": f"{ptitle} - {vtitle}" if vtitle else ptitle,
                "price": s(lin.unit_price),
                "price_set": ms(lin.unit_price, ins_pres[len(line_items)].unit_price),
                "product_exists": product is not None,
                "product_id": product["id"] if product else None,
                "properties": line.get("properties", []),
                "quantity": qty,
                "requires_shipping": not line.get("gift_card"),
                "sku": variant["sku"] if variant else line.get("sku"),
                "taxable": tax is not None,
                "title": ptitle,
                "total_discount": s(sum(ls.allocations, ZERO)),
                "total_discount_set": ms(sum(ls.allocations, ZERO), sum(lp.allocations, ZERO)),
                "variant_id": variant["id"] if variant else None,
                "variant_inventory_management": "shopify" if variant else None,
                "variant_title": vtitle,
                "vendor": product["vendor"] if product else None,
                "tax_lines": [_tax_line(tax[0], tax[1], ls.tax, lp.tax, cur, pcur)] if tax else [],
                "duties": [],
                "discount_allocations": [
                    {"amount": s(a), "amount_set": ms(a, b), "discount_application_index": j}
                    for j, (a, b) in enumerate(zip(ls.allocations, lp.allocations, strict=True))
                    if a > 0
                ],
                "_discounted": [s(ls.discounted), s(lp.discounted)],
                "_tax": [s(ls.tax), s(lp.tax)],
                "_refunded_qty": 0,
                "_removed_qty": 0,
                "_fulfilled_qty": 0,
            }
        )
    duties_s = duties_p = ZERO
    if duty_rate:
        for li, ls, lp in zip(line_items, ps.lines, pp.lines, strict=True):
            if not li["requires_shipping"]:
                continue
            base_s = ls.discounted - ls.tax if included else ls.discounted
            base_p = lp.discounted - lp.tax if included else lp.discounted
            d_s, d_p = q2(base_s * duty_rate), q2(base_p * duty_rate)
            if d_s <= 0:
                continue
            did = store.new_id()
            li["duties"] = [
                {
                    "id": str(did),
                    "harmonized_system_code": "610910",
                    "country_code_of_origin": "PT",
                    "shop_money": {"amount": s(d_s), "currency_code": cur},
                    "presentment_money": {"amount": s(d_p), "currency_code": pcur},
                    "tax_lines": [],
                    "admin_graphql_api_id": gid("Duty", did),
                }
            ]
            duties_s += d_s
            duties_p += d_p
    tip_s = q2(tip) if tip else ZERO
    tip_p = convert(tip_s, cur, pcur) if tip_s else ZERO
    # What the customer pays: the priced lines and shipping, the duties and the tip.
    total_s = ps.total_price + duties_s + tip_s
    total_p = pp.total_price + duties_p + tip_p
    shipping_out = []
    for sp, (sprice, stax), (pprice, ptax) in zip(ship_specs, ps.shipping, pp.shipping, strict=True):
        sid = store.new_id()
        shipping_out.append(
            {
                "id": sid,
                "carrier_identifier": None,
                "code": sp["code"],
                "discounted_price": s(sprice),
                "discounted_price_set": ms(sprice, pprice),
                "is_removed": False,
                "phone": None,
                "price": s(sprice),
                "price_set": ms(sprice, pprice),
                "requested_fulfillment_service_id": None,
                "source": "shopify",
                "title": sp["title"],
                "tax_lines": [_tax_line(ship_title, ship_rate, stax, ptax, cur, pcur)]
                if compute_taxes
                else [],
                "discount_allocations": [],
                "_refunded": False,
            }
        )
    discount_applications = []
    discount_codes = []
    for j, d in enumerate(discounts):
        app = {
            "target_type": "line_item",
            "type": {"code": "discount_code", "automatic": "automatic", "manual": "manual"}[d.kind],
            "value": str(float(d.value)),
            "value_type": d.value_type,
            "allocation_method": "across",
            "target_selection": "all",
        }
        if d.kind == "code":
            app["code"] = d.code
            amount = sum((ls.allocations[j] for ls in ps.lines), ZERO)
            discount_codes.append({"code": d.code, "amount": s(amount), "type": d.value_type})
        else:
            app["title"] = d.title
            app["description"] = d.title
        discount_applications.append(app)
    tax_lines = []
    for (title, rate), amount in ps.tax_lines.items():
        tax_lines.append(_tax_line(title, rate, amount, pp.tax_lines[(title, rate)], cur, pcur))
    # Payment: optional gift card first, the rest by Shopify Payments.
    transactions = []
    gateways = []
    gift_shop = min(q2(gift_card_amount), total_s) if gift_card_amount else ZERO
    gift_pres = convert(gift_shop, cur, pcur) if gift_shop else ZERO
    if gift_shop >= total_s:
        gift_pres = total_p
    pays = []
    if gift_shop > 0:
        pays.append(("gift_card", gift_shop, gift_pres))
    if total_s - gift_shop > 0:
        pays.append(("shopify_payments", total_s - gift_shop, total_p - gift_pres))
    if financial_status == "authorized" and gift_shop > 0:
        raise OperationError(
            "The sandbox authorizes card payments only: an order paid partly by gift card is not authorized",
            ["gift_card"],
            "INVALID",
        )
    if financial_status in ("paid", "authorized"):
        # Paid: each payment a sale. Authorized (a gateway set to capture later): the card payment an
        # authorization, which a capture (``capture_payment``) turns into money received.
        kind = "sale" if financial_status == "paid" else "authorization"
        for gateway, a_shop, a_pres in pays:
            tid = store.new_id()
            gateways.append(gateway)
            tx = _transaction(tid, oid, kind, gateway, a_shop, a_pres, cur, pcur, now, None, test)
            if kind == "authorization":
                tx["authorization"] = f"auth-{tid}"
                tx["receipt"] = {"authorization": str(tid)[-6:]}
            transactions.append(tx)
    else:
        gateways = ["manual"]
    cust_summary = customer_summary(customer) if customer else None
    if customer:
        email = email or customer["email"]
    first = customer["first_name"] if customer else (shipping_address or {}).get("first_name", "Guest")
    last = customer["last_name"] if customer else (shipping_address or {}).get("last_name", "Shopper")
    ship_addr = _address(store, {"first_name": first, "last_name": last, **(shipping_address or {})})
    bill_addr = _address(
        store, {"first_name": first, "last_name": last, **(billing_address or shipping_address or {})}
    )
    shop["order_number"] += 1
    number = shop["order_number"]
    token = hashlib.sha256(f"{shop['domain']}:{oid}".encode()).hexdigest()
    order: dict[str, Any] = {
        "id": oid,
        "admin_graphql_api_id": gid("Order", oid),
        "app_id": 580111,
        "browser_ip": "192.0.2.10",
        "buyer_accepts_marketing": False,
        "cancel_reason": None,
        "cancelled_at": None,
        "cart_token": None,
        "checkout_id": store.new_id(),
        "checkout_token": token[::-1],
        "client_details": None,
        "closed_at": None,
        "confirmation_number": token[:9].upper(),
        "confirmed": True,
        "contact_email": email,
        "created_at": now,
        "currency": cur,
        "current_subtotal_price": s(ps.subtotal_price),
        "current_subtotal_price_set": ms(ps.subtotal_price, pp.subtotal_price),
        "current_total_additional_fees_set": None,
        "current_total_discounts": s(ps.total_discounts),
        "current_total_discounts_set": ms(ps.total_discounts, pp.total_discounts),
        "current_total_duties_set": ms(duties_s, duties_p) if duty_rate else None,
        "current_total_price": s(total_s),
        "current_total_price_set": ms(total_s, total_p),
        "current_total_tax": s(ps.total_tax),
        "current_total_tax_set": ms(ps.total_tax, pp.total_tax),
        "customer": cust_summary,
        "customer_locale": "fr",
        "device_id": None,
        "discount_applications": discount_applications,
        "discount_codes": discount_codes,
        "duties_included": False,
        "email": email,
        "estimated_taxes": False,
        "financial_status": financial_status,
        "fulfillment_status": None,
        "fulfillments": [],
        "landing_site": "/",
        "landing_site_ref": None,
        "line_items": line_items,
        "location_id": None,
        "merchant_business_entity_id": f"MBE{shop['id']}",
        "merchant_of_record_app_id": None,
        "name": f"#{number}",
        "note": note,
        "note_attributes": note_attributes or [],
        "number": number - 1000,
        "order_number": number,
        "order_status_url": f"https://{shop['domain']}/{shop['id']}/orders/{token}/authenticate?key={token[:16]}",
        "original_total_additional_fees_set": None,
        "original_total_duties_set": ms(duties_s, duties_p) if duty_rate else None,
        "payment_gateway_names": gateways,
        "payment_terms": None,
        "phone": None,
        "po_number": None,
        "presentment_currency": pcur,
        "processed_at": now,
        "reference": None,
        "referring_site": None,
        "refunds": [],
        "shipping_address": ship_addr if ship_specs else None,
        "shipping_lines": shipping_out,
        "source_identifier": None,
        "source_name": source_name,
        "source_url": None,
        "subtotal_price": s(ps.subtotal_price),
        "subtotal_price_set": ms(ps.subtotal_price, pp.subtotal_price),
        "tags": tags,
        "tax_exempt": False,
        "tax_lines": tax_lines,
        "taxes_included": included,
        "test": test,
        "token": token,
        "total_cash_rounding_payment_adjustment_set": ms(ZERO, ZERO),
        "total_cash_rounding_refund_adjustment_set": ms(ZERO, ZERO),
        "total_discounts": s(ps.total_discounts),
        "total_discounts_set": ms(ps.total_discounts, pp.total_discounts),
        "total_line_items_price": s(ps.total_line_items_price),
        "total_line_items_price_set": ms(ps.total_line_items_price, pp.total_line_items_price),
        "total_outstanding": "0.00" if financial_status == "paid" else s(total_s),
        "total_price": s(total_s),
        "total_price_set": ms(total_s, total_p),
        "total_shipping_price_set": ms(ps.total_shipping, pp.total_shipping),
        "total_tax": s(ps.total_tax),
        "total_tax_set": ms(ps.total_tax, pp.total_tax),
        "total_tip_received": s(tip_s),
        "total_weight": 300 * sum(li.quantity for li in ins_shop),
        "updated_at": now,
        "user_id": None,
        "billing_address": bill_addr,
        "_transactions": transactions,
        "_shop_id": shop["id"],
    }
    for n, t in enumerate(transactions, start=1):
        t["payment_id"] = f"{order['name']}.{n}"
    # Shopify assesses every checkout; orders created through the API carry no assessment.
    order["_risk"] = (
        {"recommendation": "NONE", "assessments": []}
        if source_name == "api"
        else {
            "recommendation": "ACCEPT",
            "assessments": [
                {
                    "risk_level": "LOW",
                    "provider": None,
                    "facts": [
                        {"description": "Card Verification Value (CVV) is correct", "sentiment": "POSITIVE"},
                        {"description": "Billing address matches the card's", "sentiment": "POSITIVE"},
                    ],
                }
            ],
        }
    )
    shop["orders"][str(oid)] = order
    # Stock: committed at the first location for each tracked variant.
    loc = first_location_id(shop)
    stock_events: Events = []
    for line in lines:
        if "variant" in line:
            level = shop["inventory_levels"].get(f"{line['variant']['inventory_item_id']}:{loc}")
            if level is not None:
                level["available"] -= int(line["quantity"])
                level["_committed"] += int(line["quantity"])
                level["updated_at"] = now
                stock_events.append(("inventory_levels/update", dict(level)))
    recompute_variant_quantities(shop)
    # A fulfillment order per order at the first location.
    foid = store.new_id()
    shop["fulfillment_orders"][str(foid)] = {
        "id": foid,
        "order_id": oid,
        "status": "open",
        "request_status": "unsubmitted",
        "assigned_location_id": loc,
        "created_at": now,
        "updated_at": now,
        "line_items": [
            {
                "id": store.new_id(),
                "line_item_id": li["id"],
                "quantity": li["quantity"],
                "fulfillable_quantity": li["quantity"],
                "variant_id": li["variant_id"],
            }
            for li in line_items
            if not li["gift_card"]
        ],
    }
    if customer:
        customer["orders_count"] += 1
        customer["total_spent"] = s(Decimal(customer["total_spent"]) + total_s)
        customer["last_order_id"] = oid
        customer["last_order_name"] = order["name"]
    events: Events = [("orders/create", order)]
    if financial_status == "paid":
        events.append(("orders/paid", order))
    if customer:
        events.append(("customers/update", customer))  # orders_count, total_spent and last order changed
    return events + stock_events


def _transaction(
    tid: int,
    oid: int,
    kind: str,
    gateway: str,
    a_shop: Decimal,
    a_pres: Decimal,
    cur: str,
    pcur: str,
    now: str,
    parent_id: int | None,
    test: bool,
) -> dict[str, Any]:
    return {
        "id": tid,
        "admin_graphql_api_id": gid("OrderTransaction", tid),
        "amount": s(a_pres),
        "authorization": None,
        "created_at": now,
        "currency": pcur,
        "device_id": None,
        "error_code": None,
        "gateway": gateway,
        "kind": kind,
        "location_id": None,
        "message": None,
        "order_id": oid,
        "parent_id": parent_id,
        "payment_id": f"c{tid}.1",
        "processed_at": now,
        "receipt": {},
        "source_name": "web",
        "status": "success",
        "test": test,
        "user_id": None,
        "_shop_amount": s(a_shop),
        "_shop_currency": cur,
    }


RISK_LEVELS = ("HIGH", "MEDIUM", "LOW", "NONE", "PENDING")
RISK_RECOMMENDATIONS = ("ACCEPT", "INVESTIGATE", "CANCEL", "NONE")


def risk_summary(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    """An order's risk (``Order.risk``) from the control API's form: ``recommendation`` and ``assessments``
    of ``risk_level``, ``facts`` ([{description, sentiment}]) and ``provider`` (an app's title; None for
    Shopify's own assessment). ValueError for a value Shopify's enums do not have."""
    recommendation = str(body.get("recommendation", "NONE"))
    if recommendation not in RISK_RECOMMENDATIONS:
        raise ValueError("recommendation must be ACCEPT, INVESTIGATE, CANCEL or NONE")
    assessments = []
    for a in body.get("assessments") or []:
        if a.get("risk_level") not in RISK_LEVELS:
            raise ValueError(f"risk_level must be one of {RISK_LEVELS}")
        provider = a.get("provider")
        facts = []
        for f in a.get("facts") or []:
            sentiment = str(f.get("sentiment", "NEUTRAL"))
            if sentiment not in ("NEGATIVE", "NEUTRAL", "POSITIVE"):
                raise ValueError("sentiment must be NEGATIVE, NEUTRAL or POSITIVE")
            facts.append({"description": str(f["description"]), "sentiment": sentiment})
        assessments.append(
            {
                "risk_level": a["risk_level"],
                "provider": {"id": store.new_id(), "title": provider, "handle": None} if provider else None,
                "facts": facts,
            }
        )
    return {"recommendation": recommendation, "assessments": assessments}


def generate_orders(store: Store, shop: dict[str, Any], options: dict[str, Any]) -> tuple[list[int], Events]:
    """The control API's order generator. Options: count, seed, skus, quantity, customer_id, guest,
    include_shopify_only, presentment_currency, discount_code, automatic_discount, gift_card (paid with one),
    shipping (STANDARD|EXPRESS|PICKUP|none), note, note_attributes, taxes_included, created_at, custom_lines
    (lines besides the SKUs: ``{"title", "sku", "price", "quantity", "tax": [title, rate] | None,
    "gift_card": bool}``; a gift card sold is not shipped and not taxed), risk (``{recommendation,
    assessments}`` as ``risk_summary`` takes it: the orders' assessment, in place when their orders/create is
    sent), tip (an amount in shop money the customer tipped: ``total_tip_received``), duties (a rate, e.g.
    "0.12": import duties charged at checkout on each shipped line, see ``build_order``), authorize (true:
    the card payment is only authorized, financial status ``authorized``, until ``capture_payment``)."""
    risk = risk_summary(store, options["risk"]) if options.get("risk") else None
    count = int(options.get("count", 1))
    rng = random.Random(options.get("seed"))
    ids: list[int] = []
    events: Events = []
    sellable = [
        (p, v)
        for p in shop["products"].values()
        for v in p["variants"]
        if v["sku"] not in catalogue.SHOPIFY_ONLY_SKUS
    ]
    only = [
        (p, v)
        for p in shop["products"].values()
        for v in p["variants"]
        if v["sku"] in catalogue.SHOPIFY_ONLY_SKUS
    ]
    for _ in range(count):
        picks: list[tuple[dict[str, Any], dict[str, Any]]] = []
        if options.get("skus"):
            for sku in options["skus"]:
                found = find_variant(shop, sku=sku)
                if found is None:
                    raise OperationError(f"Unknown SKU {sku}", ["skus"], "NOT_FOUND")
                picks.append(found)
        else:
            picks = rng.sample(sellable, rng.randint(1, 4))
        if options.get("include_shopify_only") and only:
            picks.append(rng.choice(only))
        qty_opt = options.get("quantity")
        lines = [
            {"product": p, "variant": v, "quantity": int(qty_opt) if qty_opt else rng.choice([1, 1, 1, 2, 3])}
            for p, v in picks
        ]
        for custom in options.get("custom_lines") or []:
            lines.append(
                {
                    "title": str(custom.get("title") or "Custom item"),
                    "sku": custom.get("sku"),
                    "price": str(custom["price"]),
                    "quantity": int(custom.get("quantity") or 1),
                    "tax": None if custom.get("gift_card") else custom.get("tax"),
                    "gift_card": bool(custom.get("gift_card")),
                }
            )
        discounts: list[Discount] = []
        code = options.get("discount_code", "random")
        if code == "random":
            code = rng.choice([None, None, *[c[0] for c in DISCOUNT_CODES]])
        if code:
            spec = next((c for c in DISCOUNT_CODES if c[0] == code), (code, "percentage", Decimal("10")))
            discounts.append(Discount("code", spec[1], spec[2], code=spec[0]))
        auto = options.get("automatic_discount", "random")
        if auto == "random":
            auto = rng.random() < 0.25
        if auto:
            spec = AUTOMATIC_DISCOUNTS[rng.randrange(len(AUTOMATIC_DISCOUNTS))]
            discounts.append(Discount("automatic", spec[1], spec[2], title=spec[0]))
        customer = None
        guest = options.get("guest", "random")
        if guest == "random":
            guest = rng.random() < 0.2
        if options.get("customer_id"):
            customer = shop["customers"].get(str(gid_id(options["customer_id"])))
            if customer is None:
                raise OperationError("Unknown customer", ["customer_id"], "NOT_FOUND")
        elif not guest and shop["customers"]:
            customer = shop["customers"][rng.choice(sorted(shop["customers"]))]
        email = None
        address = None
        if customer is None:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first.lower()}.{last.lower()}{rng.randint(1, 999)}@example.net"
            city, zip_code = rng.choice(CITIES)
            address = {
                "first_name": first,
                "last_name": last,
                "city": city,
                "zip": zip_code,
                "address1": f"{rng.randint(1, 120)} rue de la République",
            }
        pcur = options.get("presentment_currency", "random")
        if pcur == "random":
            pcur = rng.choice([shop["currency"]] * 4 + ["USD", "GBP"])
        gift = options.get("gift_card", "random")
        if gift == "random":
            gift = rng.random() < 0.15
        gift_amount = (
            Decimal(str(gift)) if gift not in (True, False, None) else (Decimal("20.00") if gift else None)
        )
        shipping = options.get("shipping", "random")
        if shipping == "random":
            shipping = rng.choice(["STANDARD", "STANDARD", "EXPRESS", "PICKUP"])
        note = options.get("note", rng.choice([None, None, "Please leave at the door", "Gift, no invoice"]))
        attrs = options.get("note_attributes")
        if attrs is None:
            attrs = rng.choice(
                [
                    [],
                    [],
                    [{"name": "gift_message", "value": "Happy birthday!"}],
                    [{"name": "delivery_date", "value": "2026-12-24"}],
                ]
            )
        ev = build_order(
            store,
            shop,
            lines=lines,
            discounts=discounts,
            shipping_code=None if shipping in (None, "none") else shipping,
            presentment_currency=pcur,
            customer=customer,
            email=email,
            shipping_address=address,
            gift_card_amount=gift_amount,
            note=note,
            note_attributes=attrs,
            taxes_included=options.get("taxes_included"),
            created_at=options.get("created_at"),
            tip=Decimal(str(options["tip"])) if options.get("tip") else None,
            duty_rate=Decimal(str(options["duties"])) if options.get("duties") else None,
            financial_status="authorized" if options.get("authorize") else "paid",
        )
        if risk is not None:
            ev[0][1]["_risk"] = {**risk, "assessments": [dict(a) for a in risk["assessments"]]}
        ids.append(ev[0][1]["id"])
        events += ev
    return ids, events


# ---------------------------------------------------------------------------------------------------------
# refunds, cancellations, edits
# ---------------------------------------------------------------------------------------------------------
def _order(shop: dict[str, Any], oid: int | None) -> dict[str, Any]:
    order = shop["orders"].get(str(oid))
    if order is None:
        raise OperationError("Order does not exist", ["id"], "NOT_FOUND")
    return order


def _d(ms_: dict[str, Any], which: str = "shop_money") -> Decimal:
    return Decimal(ms_[which]["amount"])


def _add_set(order: dict[str, Any], key: str, d_shop: Decimal, d_pres: Decimal) -> None:
    cur, pcur = order["currency"], order["presentment_currency"]
    new_shop = _d(order[key + "_set"]) + d_shop
    new_pres = _d(order[key + "_set"], "presentment_money") + d_pres
    order[key] = s(new_shop)
    order[key + "_set"] = money_set(new_shop, cur, new_pres, pcur)


def create_refund(
    store: Store,
    shop: dict[str, Any],
    oid: int,
    *,
    line_items: list[dict[str, Any]] | None = None,
    shipping_full: bool = False,
    shipping_amount: Decimal | None = None,
    note: str | None = None,
    transactions: list[dict[str, Any]] | None = None,
    duties: list[Any] | None = None,
    fire: bool = True,
) -> tuple[dict[str, Any], Events]:
    """Refund ``line_items`` (``{"line_item_id", "quantity", "restock_type": return|cancel|no_restock,
    "location_id"}``) and optionally the shipping.

    ``duties``: the duties given back, as refundCreate's ``refundDuties`` (``{"duty_id", "refund_type":
    FULL}``, or a bare duty id): each duty of the order in full, once. The refund states them as Shopify's
    REST refund does (``duties``: ``[{"duty_id", "amount_set"}]``, ``total_duties_set``) and they count in
    what the refund is worth (not a discrepancy); the order's ``current_total_duties_set`` goes down.

    ``transactions`` (``{"parent_id", "amount", "gateway", "kind"}``, amounts in the presentment currency)
    are the money given back, as refundCreate's ``transactions`` input: each goes back to its parent sale or
    capture, never beyond what that payment has left to refund, and the refund totals their sum (what the
    items and shipping are worth besides is a ``refund_discrepancy`` adjustment). Without them the money is
    computed as Shopify's suggested refund and taken from the payments, Shopify Payments first."""
    order = _order(shop, oid)
    if order["financial_status"] in ("refunded", "voided"):
        raise OperationError("Order has been fully refunded", ["orderId"], "INVALID")
    cur, pcur = order["currency"], order["presentment_currency"]
    given = _given_transactions(order, transactions) if transactions is not None else None
    included = order["taxes_included"]
    now = store.clock.iso()
    rid = store.new_id()
    ship_plan = _plan_shipping_refund(order, shipping_full, shipping_amount)
    by_id = {li["id"]: li for li in order["line_items"]}
    rlis = []
    stock_events: Events = []
    sub_s = sub_p = tax_s = tax_p = disc_s = disc_p = ZERO
    restocked = False
    for spec in line_items or []:
        li = by_id.get(int(spec["line_item_id"]))
        if li is None:
            raise OperationError("Line item does not exist", ["refundLineItems", "lineItemId"], "NOT_FOUND")
        qty = int(spec["quantity"])
        left = li["quantity"] - li["_refunded_qty"] - li["_removed_qty"]
        if qty <= 0 or qty > left:
            raise OperationError(
                f"Quantity cannot refund more items than were purchased ({left} left)",
                ["refundLineItems", "quantity"],
                "INVALID",
            )
        # Share of the discounted total and tax; the last unit takes the remainder so sums stay exact.
        parts = []
        for k, which in ((0, "shop_money"), (1, "presentment_money")):
            discounted = Decimal(li["_discounted"][k])
            tax = Decimal(li["_tax"][k])
            disc = sum((Decimal(a["amount_set"][which]["amount"]) for a in li["discount_allocations"]), ZERO)
            done = li.setdefault("_refunded_amounts", [["0", "0", "0"], ["0", "0", "0"]])[k]
            if qty == left:
                sub = discounted - Decimal(done[0])
                t = tax - Decimal(done[1])
                dd = disc - Decimal(done[2])
            else:
                sub = q2(discounted * qty / li["quantity"])
                t = q2(tax * qty / li["quantity"])
                dd = q2(disc * qty / li["quantity"])
            done[0], done[1], done[2] = (
                s(Decimal(done[0]) + sub),
                s(Decimal(done[1]) + t),
                s(Decimal(done[2]) + dd),
            )
            parts.append((sub, t, dd))
        (ss, ts, ds), (sp, tp, dp) = parts
        li["_refunded_qty"] += qty
        li["current_quantity"] = li["quantity"] - li["_refunded_qty"] - li["_removed_qty"]
        li["fulfillable_quantity"] = max(0, li["current_quantity"] - li["_fulfilled_qty"])
        restock_type = spec.get("restock_type", "no_restock")
        location_id = spec.get("location_id") or (
            first_location_id(shop) if restock_type != "no_restock" else None
        )
        if restock_type == "cancel":
            _cancel_unfulfilled(shop, order["id"], li["id"], qty, now)
        if restock_type in ("return", "cancel", "legacy_restock") and li["variant_id"]:
            restocked = True
            found = find_variant(shop, variant_id=li["variant_id"])
            if found:
                level = shop["inventory_levels"].get(f"{found[1]['inventory_item_id']}:{location_id}")
                if level is not None:
                    level["available"] += qty
                    unshipped = min(qty, max(0, li["quantity"] - li["_fulfilled_qty"]))
                    level["_committed"] = max(0, level["_committed"] - unshipped)
                    level["updated_at"] = now
                    stock_events.append(("inventory_levels/update", dict(level)))
        rlis.append(
            {
                "id": store.new_id(),
                "line_item_id": li["id"],
                "location_id": location_id,
                "quantity": qty,
                "restock_type": restock_type,
                "subtotal": float(ss),
                "subtotal_set": money_set(ss, cur, sp, pcur),
                "total_tax": float(ts),
                "total_tax_set": money_set(ts, cur, tp, pcur),
                "line_item": public({k: v for k, v in li.items()}),
            }
        )
        sub_s += ss
        sub_p += sp
        tax_s += ts
        tax_p += tp
        disc_s += ds
        disc_p += dp
    adjustments = []
    ship_gross_s = ship_gross_p = ZERO
    ship_tax_s = ship_tax_p = ZERO
    for sl, price_s, price_p, t_s, t_p in ship_plan:
        done = sl.setdefault("_refunded_amounts", [["0", "0"], ["0", "0"]])
        done[0] = [s(Decimal(done[0][0]) + price_s), s(Decimal(done[0][1]) + t_s)]
        done[1] = [s(Decimal(done[1][0]) + price_p), s(Decimal(done[1][1]) + t_p)]
        sl["_refunded"] = shipping_left(sl)[0] <= 0
        net_s = price_s - t_s if included else price_s
        net_p = price_p - t_p if included else price_p
        adjustments.append(
            {
                "id": store.new_id(),
                "order_id": order["id"],
                "refund_id": rid,
                "kind": "shipping_refund",
                "reason": "Shipping refund",
                "amount": s(-net_s),
                "tax_amount": s(-t_s),
                "amount_set": money_set(-net_s, cur, -net_p, pcur),
                "tax_amount_set": money_set(-t_s, cur, -t_p, pcur),
            }
        )
        ship_gross_s += net_s + t_s
        ship_gross_p += net_p + t_p
        ship_tax_s += t_s
        ship_tax_p += t_p
    duty_rows, duties_s, duties_p = _plan_duties_refund(order, duties or [])
    items_gross_s = sub_s + (ZERO if included else tax_s)
    items_gross_p = sub_p + (ZERO if included else tax_p)
    total_s = items_gross_s + ship_gross_s + duties_s
    total_p = items_gross_p + ship_gross_p + duties_p
    if given is not None:
        # The money is what the transactions say; what the items and shipping are worth besides is a
        # discrepancy adjustment (negative: more was given back than they are worth).
        given_s = sum((g[1] for g in given), ZERO)
        given_p = sum((g[2] for g in given), ZERO)
        if given_s != total_s:
            adjustments.append(
                {
                    "id": store.new_id(),
                    "order_id": order["id"],
                    "refund_id": rid,
                    "kind": "refund_discrepancy",
                    "reason": "Refund discrepancy",
                    "amount": s(total_s - given_s),
                    "tax_amount": "0.00",
                    "amount_set": money_set(total_s - given_s, cur, total_p - given_p, pcur),
                    "tax_amount_set": money_set(ZERO, cur, ZERO, pcur),
                }
            )
        total_s, total_p = given_s, given_p
    if total_s == 0 and not rlis:
        raise OperationError("Refund must include line items or shipping", ["refundLineItems"], "INVALID")
    for duty, _, _ in duty_rows:
        duty["_refunded"] = True
    # Transactions: back to Shopify Payments first, then the gift card.
    txs: list[dict[str, Any]] = []
    for parent, a_shop, a_pres in given or ():
        tx = _transaction(
            store.new_id(),
            order["id"],
            "refund",
            parent["gateway"],
            a_shop,
            a_pres,
            cur,
            pcur,
            now,
            parent["id"],
            order["test"],
        )
        tx["payment_id"] = f"{order['name']}.{len(order['_transactions']) + len(txs) + 1}"
        txs.append(tx)
    remaining_s, remaining_p = (ZERO, ZERO) if given is not None else (total_s, total_p)
    sales = [t for t in order["_transactions"] if t["kind"] in ("sale", "capture")]
    sales.sort(key=lambda t: t["gateway"] != "shopify_payments")
    for sale in sales:
        if remaining_s <= 0:
            break
        already_s = sum(
            (
                Decimal(t["_shop_amount"])
                for t in order["_transactions"]
                if t["kind"] == "refund" and t["parent_id"] == sale["id"]
            ),
            ZERO,
        )
        already_p = sum(
            (
                Decimal(t["amount"])
                for t in order["_transactions"]
                if t["kind"] == "refund" and t["parent_id"] == sale["id"]
            ),
            ZERO,
        )
        room_s = Decimal(sale["_shop_amount"]) - already_s
        room_p = Decimal(sale["amount"]) - already_p
        if room_s <= 0:
            continue
        take_s = min(room_s, remaining_s)
        take_p = remaining_p if take_s == remaining_s else room_p
        tx = _transaction(
            store.new_id(),
            order["id"],
            "refund",
            sale["gateway"],
            take_s,
            take_p,
            cur,
            pcur,
            now,
            sale["id"],
            order["test"],
        )
        tx["payment_id"] = f"{order['name']}.{len(order['_transactions']) + len(txs) + 1}"
        txs.append(tx)
        remaining_s -= take_s
        remaining_p -= take_p
    order["_transactions"].extend(txs)
    refund = {
        "id": rid,
        "order_id": order["id"],
        "created_at": now,
        "note": note,
        "user_id": None,
        "processed_at": now,
        "duties": [
            {"duty_id": int(duty["id"]), "amount_set": money_set(d_s, cur, d_p, pcur)}
            for duty, d_s, d_p in duty_rows
        ],
        "total_duties_set": money_set(duties_s, cur, duties_p, pcur),
        "return": None,
        "restock": restocked,
        "additional_fees": [],
        "total_additional_fees_set": money_set(ZERO, cur, ZERO, pcur),
        "refund_shipping_lines": [],
        "admin_graphql_api_id": gid("Refund", rid),
        "order_adjustments": adjustments,
        "refund_line_items": rlis,
        "transactions": [public(t) for t in txs],
        "_total": [s(total_s), s(total_p)],
    }
    order["refunds"].append(refund)
    # Current totals.
    _add_set(order, "current_subtotal_price", -sub_s, -sub_p)
    _add_set(order, "current_total_tax", -(tax_s + ship_tax_s), -(tax_p + ship_tax_p))
    _add_set(order, "current_total_discounts", -disc_s, -disc_p)
    _add_set(order, "current_total_price", -total_s, -total_p)
    if duty_rows:
        _add_set(order, "current_total_duties", -duties_s, -duties_p)
    refunded_total = sum((Decimal(r["_total"][0]) for r in order["refunds"]), ZERO)
    order["financial_status"] = (
        "refunded" if refunded_total >= Decimal(order["total_price"]) else "partially_refunded"
    )
    order["updated_at"] = now
    events: Events = [("refunds/create", refund), ("orders/updated", order), *stock_events] if fire else []
    return refund, events


def _plan_duties_refund(
    order: dict[str, Any], wanted: list[Any]
) -> tuple[list[tuple[dict[str, Any], Decimal, Decimal]], Decimal, Decimal]:
    """(duty, shop amount, presentment amount) for each duty to give back, checked before anything changes:
    a duty of the order, not given back already, named once."""
    by_id = {str(d["id"]): d for li in order["line_items"] for d in li.get("duties") or []}
    rows: list[tuple[dict[str, Any], Decimal, Decimal]] = []
    for i, spec in enumerate(wanted):
        duty_id = str(gid_id(spec.get("duty_id") if isinstance(spec, dict) else spec, "Duty"))
        if isinstance(spec, dict) and str(spec.get("refund_type") or "FULL").upper() != "FULL":
            raise OperationError(
                "Only FULL duty refunds are supported", ["refundDuties", str(i), "refundType"], "INVALID"
            )
        duty = by_id.get(duty_id)
        if duty is None:
            raise OperationError("Duty does not exist", ["refundDuties", str(i), "dutyId"], "NOT_FOUND")
        if duty.get("_refunded") or any(r[0] is duty for r in rows):
            raise OperationError(
                "Duty has already been refunded", ["refundDuties", str(i), "dutyId"], "INVALID"
            )
        rows.append((duty, _d(duty), _d(duty, "presentment_money")))
    return rows, sum((r[1] for r in rows), ZERO), sum((r[2] for r in rows), ZERO)


def _cancel_unfulfilled(shop: dict[str, Any], oid: int, line_item_id: int, qty: int, now: str) -> None:
    """Units refunded with restock type CANCEL ("use this when restocking unfulfilled line items") leave the
    order's open fulfillment orders: each fulfillment order line item's remaining and total quantity go
    down; a fulfillment order with nothing left to fulfil closes."""
    left = qty
    for fo in shop["fulfillment_orders"].values():
        if left <= 0:
            break
        if fo["order_id"] != oid or fo["status"] not in ("open", "in_progress"):
            continue
        for foli in fo["line_items"]:
            if foli["line_item_id"] != line_item_id or foli["fulfillable_quantity"] <= 0:
                continue
            take = min(left, foli["fulfillable_quantity"])
            foli["fulfillable_quantity"] -= take
            foli["quantity"] -= take
            left -= take
            fo["updated_at"] = now
        if all(x["fulfillable_quantity"] <= 0 for x in fo["line_items"]):
            fo["status"] = "closed"


def shipping_left(sl: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """What a shipping line has left to refund: price (shop, presentment) and tax (shop, presentment).
    Shopify refunds shipping at most up to what remains (ShippingRefund.maximumRefundableSet)."""
    done = sl.get("_refunded_amounts") or [["0", "0"], ["0", "0"]]
    price_s, price_p = _d(sl["price_set"]), _d(sl["price_set"], "presentment_money")
    t_s = sum((_d(t["price_set"]) for t in sl["tax_lines"]), ZERO)
    t_p = sum((_d(t["price_set"], "presentment_money") for t in sl["tax_lines"]), ZERO)
    return (
        price_s - Decimal(done[0][0]),
        price_p - Decimal(done[1][0]),
        t_s - Decimal(done[0][1]),
        t_p - Decimal(done[1][1]),
    )


def _plan_shipping_refund(
    order: dict[str, Any], shipping_full: bool, shipping_amount: Decimal | None
) -> list[tuple[dict[str, Any], Decimal, Decimal, Decimal, Decimal]]:
    """(shipping line, price shop, price presentment, tax shop, tax presentment) to refund, checked before
    anything changes. ``fullRefund`` refunds what remains of the shipping; an amount refunds that much of
    the remainder and one over it is refused, as Shopify does."""
    if not (shipping_full or shipping_amount):
        return []
    left = [(sl, *shipping_left(sl)) for sl in order["shipping_lines"]]
    left = [row for row in left if row[1] > 0]
    if shipping_amount is None or shipping_full:
        return left
    room = sum((row[1] for row in left), ZERO)
    if Decimal(shipping_amount) > room:
        raise OperationError(
            f"Shipping refund amount {s(Decimal(shipping_amount))} is greater than the refundable shipping"
            f" ({s(room)})",
            ["shipping", "amount"],
            "INVALID",
        )
    plan = []
    wanted = Decimal(shipping_amount)
    for sl, p_s, p_p, t_s, t_p in left:
        if wanted <= 0:
            break
        take = min(wanted, p_s)
        wanted -= take
        if take == p_s:
            plan.append((sl, p_s, p_p, t_s, t_p))
        else:
            ratio = take / p_s
            plan.append((sl, take, q2(p_p * ratio), q2(t_s * ratio), q2(t_p * ratio)))
    return plan


def _refundable_left(order: dict[str, Any], parent: dict[str, Any]) -> tuple[Decimal, Decimal]:
    """What a sale or capture has left to refund (shop money, presentment money)."""
    refunds = [t for t in order["_transactions"] if t["kind"] == "refund" and t["parent_id"] == parent["id"]]
    return (
        Decimal(parent["_shop_amount"]) - sum((Decimal(t["_shop_amount"]) for t in refunds), ZERO),
        Decimal(parent["amount"]) - sum((Decimal(t["amount"]) for t in refunds), ZERO),
    )


def _given_transactions(
    order: dict[str, Any], transactions: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], Decimal, Decimal]]:
    """Check refundCreate's ``transactions`` before anything changes: (parent, shop amount, presentment
    amount) each. A refund transaction goes back to a successful sale or capture of the order through that
    payment's gateway, and never beyond what the payment has left to refund."""
    payments = {
        t["id"]: t
        for t in order["_transactions"]
        if t["kind"] in ("sale", "capture") and t["status"] == "success"
    }
    taken: dict[int, Decimal] = {}
    out = []
    for i, spec in enumerate(transactions):
        field = ["transactions", str(i)]
        if str(spec.get("kind") or "").lower() != "refund":
            raise OperationError("Kind must be refund", [*field, "kind"], "INVALID")
        amount = Decimal(str(spec.get("amount")))
        if amount <= 0:
            raise OperationError("Amount must be greater than zero", [*field, "amount"], "INVALID")
        parent_id = spec.get("parent_id")
        if parent_id is None:
            parent = next((p for p in payments.values() if p["gateway"] == spec.get("gateway")), None)
        else:
            parent = payments.get(int(parent_id))
        if parent is None:
            raise OperationError("Parent transaction does not exist", [*field, "parentId"], "NOT_FOUND")
        if spec.get("gateway") != parent["gateway"]:
            raise OperationError(
                f"Gateway must be {parent['gateway']}, the gateway of the parent transaction",
                [*field, "gateway"],
                "INVALID",
            )
        _, left_p = _refundable_left(order, parent)
        left_p -= taken.get(parent["id"], ZERO)
        if amount > left_p:
            raise OperationError(
                f"Refund amount {s(amount)} {order['presentment_currency']} is greater than the "
                f"{s(max(left_p, ZERO))} {order['presentment_currency']} refundable on the transaction",
                [*field, "amount"],
                "INVALID",
            )
        taken[parent["id"]] = taken.get(parent["id"], ZERO) + amount
        rate = (
            Decimal(parent["_shop_amount"]) / Decimal(parent["amount"])
            if Decimal(parent["amount"])
            else Decimal(1)
        )
        a_shop = amount if order["currency"] == order["presentment_currency"] else q2(amount * rate)
        out.append((parent, a_shop, amount))
    return out


def cancel_order(
    store: Store,
    shop: dict[str, Any],
    oid: int,
    *,
    reason: str = "customer",
    refund: bool = True,
    restock: bool = True,
) -> Events:
    order = _order(shop, oid)
    if order["cancelled_at"]:
        raise OperationError("Order has already been cancelled", ["orderId"], "ALREADY_CANCELLED")
    if order["fulfillment_status"] == "fulfilled":
        raise OperationError("Cannot cancel a fulfilled order", ["orderId"], "INVALID")
    events: Events = []
    if refund and order["financial_status"] in ("paid", "partially_refunded"):
        specs = [
            {
                "line_item_id": li["id"],
                "quantity": li["quantity"] - li["_refunded_qty"] - li["_removed_qty"],
                "restock_type": "cancel" if restock else "no_restock",
            }
            for li in order["line_items"]
            if li["quantity"] - li["_refunded_qty"] - li["_removed_qty"] > 0
        ]
        _, ev = create_refund(store, shop, oid, line_items=specs, shipping_full=True, note="Order cancelled")
        events += [e for e in ev if e[0] != "orders/updated"]
    elif restock:
        for li in order["line_items"]:
            left = li["quantity"] - li["_refunded_qty"] - li["_removed_qty"] - li["_fulfilled_qty"]
            found = find_variant(shop, variant_id=li["variant_id"]) if li["variant_id"] else None
            if found and left > 0:
                level = shop["inventory_levels"].get(
                    f"{found[1]['inventory_item_id']}:{first_location_id(shop)}"
                )
                if level:
                    level["available"] += left
                    level["_committed"] = max(0, level["_committed"] - left)
                    level["updated_at"] = store.clock.iso()
                    events.append(("inventory_levels/update", dict(level)))
    if not refund and order["financial_status"] == "pending":
        order["financial_status"] = "voided"
    if order["financial_status"] == "authorized":
        # Cancelling an order whose payment was only authorized voids the authorization.
        for auth in [
            t for t in order["_transactions"] if t["kind"] == "authorization" and t["status"] == "success"
        ]:
            void = _transaction(
                store.new_id(),
                oid,
                "void",
                auth["gateway"],
                Decimal(auth["_shop_amount"]),
                Decimal(auth["amount"]),
                order["currency"],
                order["presentment_currency"],
                store.clock.iso(),
                auth["id"],
                order["test"],
            )
            auth["_capture_closed"] = True
            order["_transactions"].append(void)
        order["financial_status"] = "voided"
    now = store.clock.iso()
    order["cancelled_at"] = now
    order["cancel_reason"] = reason.lower()
    order["closed_at"] = now
    order["updated_at"] = now
    for fo in shop["fulfillment_orders"].values():
        if fo["order_id"] == oid and fo["status"] in ("open", "in_progress"):
            fo["status"] = (
                "closed"
                if any(li["fulfillable_quantity"] < li["quantity"] for li in fo["line_items"])
                else "cancelled"
            )
    recompute_variant_quantities(shop)
    return [("orders/cancelled", order), *events, ("orders/updated", order)]


def capture_payment(
    store: Store,
    shop: dict[str, Any],
    oid: int,
    *,
    amount: Decimal | None = None,
    final_capture: bool = False,
) -> tuple[dict[str, Any], Events]:
    """The merchant captures the order's authorized payment (shopify.dev admin-graphql ``orderCapture``,
    OrderCaptureInput): ``amount`` in the presentment currency (the currency the customer paid in; default
    all the authorization has left to capture), never more than that. A ``capture`` transaction whose
    parent is the authorization, in the authorization's gateway; multi-capture as Shopify Payments allows it
    (Shopify Plus), ``final_capture`` voiding what is left uncaptured. The order reads ``paid`` once what was
    captured is its total (``orders/updated`` and ``orders/paid``), ``partially_paid`` before
    (``orders/updated``)."""
    order = _order(shop, oid)
    if order["cancelled_at"]:
        raise OperationError("Order has been cancelled", ["id"], "INVALID")
    auth = next(
        (
            t
            for t in order["_transactions"]
            if t["kind"] == "authorization" and t["status"] == "success" and not t.get("_capture_closed")
        ),
        None,
    )
    if auth is None:
        raise OperationError("The order has no authorized transaction to capture", ["id"], "INVALID")
    captures = [
        t
        for t in order["_transactions"]
        if t["kind"] == "capture" and t["status"] == "success" and t["parent_id"] == auth["id"]
    ]
    left_p = Decimal(auth["amount"]) - sum((Decimal(t["amount"]) for t in captures), ZERO)
    left_s = Decimal(auth["_shop_amount"]) - sum((Decimal(t["_shop_amount"]) for t in captures), ZERO)
    paying_p = left_p if amount is None else q2(Decimal(str(amount)))
    if paying_p <= 0 or paying_p > left_p:
        raise OperationError(
            f"The capture amount must be more than 0 and at most the {s(left_p)} {auth['currency']} "
            "the authorization has left",
            ["amount"],
            "INVALID",
        )
    cur, pcur = order["currency"], order["presentment_currency"]
    # The last capture takes exactly what is left in shop money (no rounding drift between the two).
    paying_s = left_s if paying_p == left_p else convert(paying_p, pcur, cur)
    now = store.clock.iso()
    tx = _transaction(
        store.new_id(),
        oid,
        "capture",
        auth["gateway"],
        paying_s,
        paying_p,
        cur,
        pcur,
        now,
        auth["id"],
        order["test"],
    )
    tx["authorization"] = auth["authorization"]
    tx["payment_id"] = f"{order['name']}.{len(order['_transactions']) + 1}"
    order["_transactions"].append(tx)
    if final_capture or paying_p == left_p:
        auth["_capture_closed"] = True
    got = received(order)[0]
    outstanding = max(Decimal(order["total_price"]) - got, ZERO)
    order["total_outstanding"] = s(outstanding)
    order["financial_status"] = "paid" if outstanding == 0 else "partially_paid"
    order["updated_at"] = now
    events: Events = [("orders/updated", order)]
    if outstanding == 0:
        events.append(("orders/paid", order))
    return public(tx), events


def pay_outstanding(
    store: Store,
    shop: dict[str, Any],
    oid: int,
    *,
    amount: Decimal | None = None,
    gateway: str = "shopify_payments",
) -> tuple[dict[str, Any], Events]:
    """The customer pays what the order still owes (after an order edit added items, Shopify sends the
    customer an invoice whose payment is a new ``sale`` transaction): ``amount`` (default: all of it) through
    ``gateway``; the financial status becomes ``paid`` (or stays ``partially_paid``)."""
    order = _order(shop, oid)
    outstanding = Decimal(order["total_outstanding"])
    paying = outstanding if amount is None else Decimal(str(amount))
    if paying <= 0 or paying > outstanding:
        raise OperationError(
            f"Amount must be between 0 and the {outstanding} outstanding", ["amount"], "INVALID"
        )
    cur, pcur = order["currency"], order["presentment_currency"]
    now = store.clock.iso()
    tx = _transaction(
        store.new_id(),
        order["id"],
        "sale",
        gateway,
        paying,
        convert(paying, cur, pcur),
        cur,
        pcur,
        now,
        None,
        order["test"],
    )
    tx["payment_id"] = f"{order['name']}.{len(order['_transactions']) + 1}"
    order["_transactions"].append(tx)
    left = outstanding - paying
    order["total_outstanding"] = s(left)
    if left > 0:
        order["financial_status"] = "partially_paid"
    else:
        order["financial_status"] = "partially_refunded" if order["refunds"] else "paid"
    if gateway not in order["payment_gateway_names"]:
        order["payment_gateway_names"].append(gateway)
    order["updated_at"] = now
    events: Events = [("orders/updated", order)]
    if left == 0:
        events.append(("orders/paid", order))
    return public(tx), events


def _line_as_edited(li: dict[str, Any], k: int, kept: int, included: bool) -> tuple[Decimal, Decimal]:
    """A line's discounted amount and tax for ``kept`` of its units (``k``: 0 shop, 1 presentment money)."""
    discounted, tax = Decimal(li["_discounted"][k]), Decimal(li["_tax"][k])
    if kept == li["quantity"]:
        return discounted, tax
    sub = q2(discounted * kept / li["quantity"])
    rates = [Decimal(str(t["rate"])) for t in li["tax_lines"]]
    if included:
        return sub, sum((q2(sub * r / (1 + sum(rates, ZERO))) for r in rates), ZERO)
    return sub, sum((q2(sub * r) for r in rates), ZERO)


def edit_order(
    store: Store,
    shop: dict[str, Any],
    oid: int,
    *,
    add: list[dict[str, Any]] | None = None,
    remove: list[dict[str, Any]] | None = None,
) -> Events:
    """An order edit: add variants (``{"sku", "quantity"}``, no discount, taxed like the catalogue) or
    remove quantity from lines (``{"line_item_id", "quantity"}``). ``current_*`` totals change; the
    original totals stay, as in Shopify; an addition leaves an outstanding amount to collect."""
    order = _order(shop, oid)
    if order["cancelled_at"]:
        raise OperationError("Cannot edit a cancelled order", ["id"], "INVALID")
    cur, pcur = order["currency"], order["presentment_currency"]
    included = order["taxes_included"]
    now = store.clock.iso()
    additions, removals = [], []
    for spec in remove or []:
        li = next((x for x in order["line_items"] if x["id"] == int(spec["line_item_id"])), None)
        if li is None:
            raise OperationError("Line item does not exist", ["line_item_id"], "NOT_FOUND")
        qty = int(spec["quantity"])
        left = li["quantity"] - li["_refunded_qty"] - li["_removed_qty"] - li["_fulfilled_qty"]
        if qty <= 0 or qty > left:
            raise OperationError("Cannot remove more than the unfulfilled quantity", ["quantity"], "INVALID")
        # Shopify's tax engine taxes each line as it now stands, rounded per line: the edit's tax change is
        # the line's tax before less its tax recalculated on the quantity kept (not a share of the old tax).
        kept_before = li["quantity"] - li["_removed_qty"]
        deltas = []
        for k in (0, 1):
            sub_before, tax_before = _line_as_edited(li, k, kept_before, included)
            sub_after, tax_after = _line_as_edited(li, k, kept_before - qty, included)
            deltas.append((sub_before - sub_after, tax_before - tax_after))
        (ss, ts), (sp, tp) = deltas
        li["_removed_qty"] += qty
        li["current_quantity"] -= qty
        li["fulfillable_quantity"] = max(0, li["current_quantity"] - li["_fulfilled_qty"])
        _add_set(order, "current_subtotal_price", -ss, -sp)
        _add_set(order, "current_total_tax", -ts, -tp)
        _add_set(
            order,
            "current_total_price",
            -(ss + (ZERO if included else ts)),
            -(sp + (ZERO if included else tp)),
        )
        removals.append({"id": li["id"], "delta": qty})
    for spec in add or []:
        found = find_variant(shop, sku=spec["sku"])
        if found is None:
            raise OperationError(f"Unknown SKU {spec['sku']}", ["sku"], "NOT_FOUND")
        product, variant = found
        qty = int(spec.get("quantity", 1))
        title, rate = _tax_for(shop, product)
        unit_s = Decimal(variant["price"])
        unit_p = convert(unit_s, cur, pcur)
        ts = q2(unit_s * qty * rate / (1 + rate)) if included else q2(unit_s * qty * rate)
        tp = q2(unit_p * qty * rate / (1 + rate)) if included else q2(unit_p * qty * rate)
        lid = store.new_id()
        li = {
            "id": lid,
            "admin_graphql_api_id": gid("LineItem", lid),
            "attributed_staffs": [],
            "current_quantity": qty,
            "fulfillable_quantity": qty,
            "fulfillment_service": "manual",
            "fulfillment_status": None,
            "gift_card": False,
            "grams": 300,
            "name": f"{product['title']} - {variant['title']}"
            if variant["title"] != "Default Title"
            else product["title"],
            "price": s(unit_s),
            "price_set": money_set(unit_s, cur, unit_p, pcur),
            "product_exists": True,
            "product_id": product["id"],
            "properties": [],
            "quantity": qty,
            "requires_shipping": True,
            "sku": variant["sku"],
            "taxable": True,
            "title": product["title"],
            "total_discount": "0.00",
            "total_discount_set": money_set(ZERO, cur, ZERO, pcur),
            "variant_id": variant["id"],
            "variant_inventory_management": "shopify",
            "variant_title": None if variant["title"] == "Default Title" else variant["title"],
            "vendor": product["vendor"],
            "tax_lines": [_tax_line(title, rate, ts, tp, cur, pcur)],
            "duties": [],
            "discount_allocations": [],
            "_discounted": [s(unit_s * qty), s(unit_p * qty)],
            "_tax": [s(ts), s(tp)],
            "_refunded_qty": 0,
            "_removed_qty": 0,
            "_fulfilled_qty": 0,
        }
        order["line_items"].append(li)
        _add_set(order, "current_subtotal_price", unit_s * qty, unit_p * qty)
        _add_set(order, "current_total_tax", ts, tp)
        _add_set(
            order,
            "current_total_price",
            unit_s * qty + (ZERO if included else ts),
            unit_p * qty + (ZERO if included else tp),
        )
        for fo in shop["fulfillment_orders"].values():
            if fo["order_id"] == oid and fo["status"] == "open":
                fo["line_items"].append(
                    {
                        "id": store.new_id(),
                        "line_item_id": lid,
                        "quantity": qty,
                        "fulfillable_quantity": qty,
                        "variant_id": variant["id"],
                    }
                )
                break
        additions.append({"id": lid, "delta": qty})
    paid = sum(
        (Decimal(t["_shop_amount"]) for t in order["_transactions"] if t["kind"] in ("sale", "capture")), ZERO
    )
    refunded = sum(
        (Decimal(t["_shop_amount"]) for t in order["_transactions"] if t["kind"] == "refund"), ZERO
    )
    outstanding = Decimal(order["current_total_price"]) - (paid - refunded)
    order["total_outstanding"] = s(outstanding)
    if outstanding > 0:
        order["financial_status"] = "partially_paid"
    order["updated_at"] = now
    edit: dict[str, Any] = {
        "order_edit": {
            "id": store.new_id(),
            "app_id": None,
            "created_at": now,
            "notify_customer": False,
            "order_id": oid,
            "staff_note": "",
            "user_id": None,
            "line_items": {"additions": additions, "removals": removals},
            "discounts": {"line_item": {"additions": [], "removals": []}},
            "shipping_lines": {"additions": [], "removals": []},
        }
    }
    return [("orders/edited", edit), ("orders/updated", order)]


# ---------------------------------------------------------------------------------------------------------
# fulfilment
# ---------------------------------------------------------------------------------------------------------
def create_fulfillment(
    store: Store, shop: dict[str, Any], groups: list[dict[str, Any]], tracking: dict[str, Any] | None
) -> tuple[dict[str, Any], Events]:
    """``groups``: ``{"fulfillment_order_id", "line_items": [{"id", "quantity"}] | None}``."""
    if not groups:
        raise OperationError("Line items by fulfillment order must not be empty", ["fulfillment"], "BLANK")
    now = store.clock.iso()
    order: dict[str, Any] | None = None
    taken: list[tuple[dict[str, Any], int]] = []
    for g in groups:
        fo = shop["fulfillment_orders"].get(str(g["fulfillment_order_id"]))
        if fo is None:
            raise OperationError(
                "Fulfillment order does not exist", ["fulfillment", "fulfillmentOrderId"], "NOT_FOUND"
            )
        if fo["status"] not in ("open", "in_progress"):
            raise OperationError(f"Fulfillment order is {fo['status']}", ["fulfillment"], "INVALID")
        order = shop["orders"][str(fo["order_id"])]
        wanted = g.get("line_items")
        if not wanted:
            wanted = [
                {"id": li["id"], "quantity": li["fulfillable_quantity"]}
                for li in fo["line_items"]
                if li["fulfillable_quantity"] > 0
            ]
        for w in wanted:
            foli = next((li for li in fo["line_items"] if li["id"] == int(w["id"])), None)
            if foli is None:
                raise OperationError(
                    "Fulfillment order line item does not exist", ["fulfillment"], "NOT_FOUND"
                )
            if int(w["quantity"]) <= 0 or int(w["quantity"]) > foli["fulfillable_quantity"]:
                raise OperationError(
                    "Invalid fulfillment order line item quantity requested.", ["fulfillment"], "INVALID"
                )
            taken.append((foli, int(w["quantity"])))
    assert order is not None
    locations = {
        shop["fulfillment_orders"][str(g["fulfillment_order_id"])]["assigned_location_id"] for g in groups
    }
    if len(locations) > 1:
        # Shopify: the fulfilment orders of one fulfillmentCreate are assigned to the same location.
        raise OperationError(
            "All fulfillment orders must be assigned to a single location", ["fulfillment"], "INVALID"
        )
    fid = store.new_id()
    items = []
    loc = shop["fulfillment_orders"][str(groups[0]["fulfillment_order_id"])]["assigned_location_id"]
    for foli, qty in taken:
        foli["fulfillable_quantity"] -= qty
        li = next(x for x in order["line_items"] if x["id"] == foli["line_item_id"])
        li["_fulfilled_qty"] += qty
        li["fulfillable_quantity"] = max(0, li["current_quantity"] - li["_fulfilled_qty"])
        li["fulfillment_status"] = "fulfilled" if li["fulfillable_quantity"] == 0 else "partial"
        found = find_variant(shop, variant_id=li["variant_id"]) if li["variant_id"] else None
        if found:
            level = shop["inventory_levels"].get(f"{found[1]['inventory_item_id']}:{loc}")
            if level:
                level["_committed"] = max(0, level["_committed"] - qty)
        items.append({**public(li), "quantity": qty, "fulfillment_line_item_id": store.new_id()})
    for g in groups:
        fo = shop["fulfillment_orders"][str(g["fulfillment_order_id"])]
        fo["status"] = (
            "closed" if all(li["fulfillable_quantity"] == 0 for li in fo["line_items"]) else "in_progress"
        )
        fo["updated_at"] = now
    tracking = tracking or {}
    numbers = tracking.get("numbers") or ([tracking["number"]] if tracking.get("number") else [])
    urls = tracking.get("urls") or ([tracking["url"]] if tracking.get("url") else [])
    fulfillment = {
        "id": fid,
        "order_id": order["id"],
        "status": "success",
        "created_at": now,
        "service": "manual",
        "updated_at": now,
        "tracking_company": tracking.get("company"),
        "shipment_status": None,
        "location_id": loc,
        "origin_address": None,
        "line_items": items,
        "tracking_number": numbers[0] if numbers else None,
        "tracking_numbers": numbers,
        "tracking_url": urls[0] if urls else None,
        "tracking_urls": urls,
        "receipt": {},
        "name": f"{order['name']}.{len(order['fulfillments']) + 1}",
        "admin_graphql_api_id": gid("Fulfillment", fid),
    }
    order["fulfillments"].append(fulfillment)
    remaining = sum(li["fulfillable_quantity"] for li in order["line_items"])
    order["fulfillment_status"] = "fulfilled" if remaining == 0 else "partial"
    order["updated_at"] = now
    topic = "orders/fulfilled" if remaining == 0 else "orders/partially_fulfilled"
    return fulfillment, [("fulfillments/create", fulfillment), (topic, order), ("orders/updated", order)]


# ---------------------------------------------------------------------------------------------------------
# payouts
# ---------------------------------------------------------------------------------------------------------
FEE_RATE = Decimal("0.014")
FEE_FIXED = Decimal("0.25")


def build_payouts(store: Store, shop: dict[str, Any], *, status: str = "paid") -> list[dict[str, Any]]:
    """One payout covering everything in the Shopify Payments balance not yet paid out: a balance
    transaction per charge (fee 1.4 % + 0.25) and per refund (no fee returned), the disputes, chargeback
    fees, adjustments and returned (failed or cancelled) payouts already in the balance, and the transfer
    itself (type TRANSFER)."""
    cur = shop["currency"]
    now = store.clock.iso()
    in_payout = {
        bt["source_order_transaction_id"]
        for bt in shop["balance_transactions"].values()
        if bt["type"] in ("charge", "refund")
    }
    pid = store.new_id()
    rows = []
    for order in sorted(shop["orders"].values(), key=lambda o: o["id"]):
        for t in order["_transactions"]:
            if t["gateway"] != "shopify_payments" or t["id"] in in_payout or t["status"] != "success":
                continue
            amount = Decimal(t["_shop_amount"])
            if t["kind"] in ("sale", "capture"):
                rows.append(("charge", amount, processing_fee(t), order, t))
            elif t["kind"] == "refund":
                rows.append(("refund", -amount, ZERO, order, t))
    waiting = [
        bt
        for bt in shop["balance_transactions"].values()
        if bt["payout_id"] is None and bt["_graphql_type"] != "TRANSFER"
    ]
    if not rows and not waiting:
        return []
    summary = {
        k: ZERO
        for k in (
            "charges_fee_amount",
            "charges_gross_amount",
            "refunds_fee_amount",
            "refunds_gross_amount",
            "adjustments_fee_amount",
            "adjustments_gross_amount",
            "reserved_funds_fee_amount",
            "reserved_funds_gross_amount",
            "retried_payouts_fee_amount",
            "retried_payouts_gross_amount",
        )
    }
    net_total = ZERO
    for kind, amount, fee, order, t in rows:
        btid = store.new_id()
        net = amount - fee
        net_total += net
        prefix = "charges" if kind == "charge" else "refunds"
        summary[f"{prefix}_gross_amount"] += amount
        summary[f"{prefix}_fee_amount"] += fee
        shop["balance_transactions"][str(btid)] = {
            "id": btid,
            "type": kind,
            "test": False,
            "payout_id": pid,
            "payout_status": status,
            "currency": cur,
            "amount": s(amount),
            "fee": s(fee),
            "net": s(net),
            "source_id": t["id"],
            "source_type": kind,
            "source_order_id": order["id"],
            "source_order_transaction_id": t["id"],
            "processed_at": t["processed_at"],
            "adjustment_order_transactions": None,
            "adjustment_reason": None,
            "_graphql_type": "CHARGE" if kind == "charge" else "REFUND",
        }
    for bt in waiting:
        bt["payout_id"] = pid
        bt["payout_status"] = status
        amount, fee = Decimal(bt["amount"]), Decimal(bt["fee"])
        net_total += amount - fee
        bucket = "retried_payouts" if bt["_graphql_type"].startswith("TRANSFER_") else "adjustments"
        summary[f"{bucket}_gross_amount"] += amount
        summary[f"{bucket}_fee_amount"] += fee
    payout_bt = store.new_id()
    shop["balance_transactions"][str(payout_bt)] = {
        "id": payout_bt,
        "type": "payout",
        "test": False,
        "payout_id": pid,
        "payout_status": status,
        "currency": cur,
        "amount": s(-net_total),
        "fee": "0.00",
        "net": s(-net_total),
        "source_id": pid,
        "source_type": "payout",
        "source_order_id": None,
        "source_order_transaction_id": None,
        "processed_at": now,
        "adjustment_order_transactions": None,
        "adjustment_reason": None,
        "_graphql_type": "TRANSFER",
    }
    payout = {
        "id": pid,
        "status": status,
        "date": now[:10],
        "currency": cur,
        "amount": s(net_total),
        "summary": {k: s(v) for k, v in summary.items()},
        "_issued_at": now,
    }
    shop["payouts"][str(pid)] = payout
    return [payout]


def unit_allocation_check(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Exposed for tests of the allocation rule."""
    return allocate(amount, weights)


# ---------------------------------------------------------------------------------------------------------
# fees, suggested refunds
# ---------------------------------------------------------------------------------------------------------
def processing_fee(t: dict[str, Any]) -> Decimal:
    """Shopify Payments' fee on a successful sale or capture (the sandbox's rate: 1.4 % + 0.25, shop
    currency); other gateways and other kinds carry none."""
    if t["gateway"] != "shopify_payments" or t["kind"] not in ("sale", "capture") or t["status"] != "success":
        return ZERO
    return q2(Decimal(t["_shop_amount"]) * FEE_RATE + FEE_FIXED)


def received(order: dict[str, Any]) -> tuple[Decimal, Decimal]:
    """(shop, presentment) amounts received: successful sales and captures."""
    rows = [
        t for t in order["_transactions"] if t["kind"] in ("sale", "capture") and t["status"] == "success"
    ]
    return (
        sum((Decimal(t["_shop_amount"]) for t in rows), ZERO),
        sum((Decimal(t["amount"]) for t in rows), ZERO),
    )


def refunded(order: dict[str, Any]) -> tuple[Decimal, Decimal]:
    rows = [t for t in order["_transactions"] if t["kind"] == "refund" and t["status"] == "success"]
    return (
        sum((Decimal(t["_shop_amount"]) for t in rows), ZERO),
        sum((Decimal(t["amount"]) for t in rows), ZERO),
    )


def refunded_shipping(order: dict[str, Any]) -> tuple[Decimal, Decimal]:
    """Shipping refunded so far (gross, as the customer paid it)."""
    out_s = out_p = ZERO
    for r in order["refunds"]:
        for adj in r["order_adjustments"]:
            if adj["kind"] == "shipping_refund":
                out_s -= _d(adj["amount_set"]) + _d(adj["tax_amount_set"])
                out_p -= _d(adj["amount_set"], "presentment_money") + _d(
                    adj["tax_amount_set"], "presentment_money"
                )
    return out_s, out_p


class _DryRunIds:
    """A store stand-in for computing a refund without keeping it: ids are throwaway negatives."""

    def __init__(self, store: Store):
        self.clock = store.clock
        self._next = 0

    def new_id(self) -> int:
        self._next -= 1
        return self._next


def suggest_refund(
    store: Store,
    shop: dict[str, Any],
    oid: int,
    *,
    line_items: list[dict[str, Any]],
    shipping_full: bool,
    shipping_amount: Decimal | None,
    full: bool,
) -> dict[str, Any]:
    """What ``create_refund`` would do, computed on a copy of the order (nothing is written)."""
    order = _order(shop, oid)
    scratch = copy.deepcopy(order)
    levels = copy.deepcopy(shop["inventory_levels"])
    shadow = {**shop, "orders": {str(oid): scratch}, "inventory_levels": levels}
    if full:
        line_items = [
            {"line_item_id": li["id"], "quantity": left, "restock_type": "no_restock"}
            for li in scratch["line_items"]
            if (left := li["quantity"] - li["_refunded_qty"] - li["_removed_qty"]) > 0
        ]
        shipping_full = True
    got_s, got_p = received(order)
    back_s, back_p = refunded(order)
    cur, pcur = order["currency"], order["presentment_currency"]
    result: dict[str, Any] = {
        "currency": cur,
        "presentment_currency": pcur,
        "maximum_refundable": (got_s - back_s, got_p - back_p),
        "refund": None,
    }
    try:
        refund, _ = create_refund(
            _DryRunIds(store),  # type: ignore[arg-type]
            shadow,
            oid,
            line_items=line_items,
            shipping_full=shipping_full,
            shipping_amount=shipping_amount,
            note=None,
            fire=False,
        )
    except OperationError:
        return result  # nothing to refund: Shopify suggests zero
    result["refund"] = refund
    result["scratch_order"] = scratch
    return result


# ---------------------------------------------------------------------------------------------------------
# fulfilment changes, returns, inventory activation
# ---------------------------------------------------------------------------------------------------------
def _find_fulfillment(shop: dict[str, Any], fid: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
    for order in shop["orders"].values():
        for f in order["fulfillments"]:
            if f["id"] == fid:
                return order, f
    raise OperationError("Fulfillment does not exist.", ["fulfillmentId"], "NOT_FOUND")


def update_fulfillment_tracking(
    store: Store, shop: dict[str, Any], fid: int | None, tracking: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], Events]:
    """``fulfillmentTrackingInfoUpdate``: the given carrier, numbers and URLs replace the old ones."""
    order, f = _find_fulfillment(shop, fid)
    if f["status"] == "cancelled":
        raise OperationError("Cannot update tracking of a cancelled fulfillment.", ["fulfillmentId"])
    numbers = list(tracking.get("numbers") or ([tracking["number"]] if tracking.get("number") else []))
    urls = list(tracking.get("urls") or ([tracking["url"]] if tracking.get("url") else []))
    if tracking.get("company") is not None:
        f["tracking_company"] = tracking["company"]
    f["tracking_numbers"] = numbers
    f["tracking_number"] = numbers[0] if numbers else None
    f["tracking_urls"] = urls
    f["tracking_url"] = urls[0] if urls else None
    now = store.clock.iso()
    f["updated_at"] = now
    order["updated_at"] = now
    return order, f, [("fulfillments/update", f), ("orders/updated", order)]


def move_fulfillment_order(
    store: Store,
    shop: dict[str, Any],
    foid: int | None,
    location_id: int | None,
    items: list[dict[str, Any]] | None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """``fulfillmentOrderMove``: the fulfilment order (or given quantities of its lines) assigned to another
    location. Moving everything moves the order itself (moved and original are the same); moving part makes
    a new fulfilment order at the new location, and the original keeps the rest (Shopify's documented
    behaviour). Returns (moved, original, remaining)."""
    fo = shop["fulfillment_orders"].get(str(foid))
    if fo is None:
        raise OperationError("Fulfillment order does not exist.", ["id"], "FULFILLMENT_ORDER_NOT_FOUND")
    if str(location_id) not in shop["locations"]:
        raise OperationError("Location does not exist.", ["newLocationId"], "LOCATION_NOT_FOUND")
    if fo["status"] not in ("open", "in_progress") or fo["assigned_location_id"] == location_id:
        raise OperationError("Fulfillment order could not be moved.", ["id"], "CANNOT_MOVE_FULFILLMENT_ORDER")
    now = store.clock.iso()
    wanted = {int(x["id"]): int(x["quantity"]) for x in items} if items else None
    whole = wanted is None or all(
        wanted.get(li["id"], 0) == li["fulfillable_quantity"]
        for li in fo["line_items"]
        if li["fulfillable_quantity"]
    )
    if whole:
        fo["assigned_location_id"] = location_id
        fo["updated_at"] = now
        return fo, fo, None
    assert wanted is not None
    new_lines = []
    for li in fo["line_items"]:
        qty = wanted.get(li["id"], 0)
        if qty <= 0:
            continue
        if qty > li["fulfillable_quantity"]:
            raise OperationError("Invalid quantity requested.", ["fulfillmentOrderLineItems"], "INVALID")
        li["fulfillable_quantity"] -= qty
        li["quantity"] -= qty
        new_lines.append({**li, "id": store.new_id(), "quantity": qty, "fulfillable_quantity": qty})
    fo["line_items"] = [li for li in fo["line_items"] if li["quantity"] > 0]
    fo["updated_at"] = now
    moved = {
        **fo,
        "id": store.new_id(),
        "assigned_location_id": location_id,
        "line_items": new_lines,
        "created_at": now,
    }
    moved["status"] = "open"
    shop["fulfillment_orders"][str(moved["id"])] = moved
    return moved, fo, fo


def cancel_fulfillment(
    store: Store, shop: dict[str, Any], fid: int | None
) -> tuple[dict[str, Any], dict[str, Any], Events]:
    """``fulfillmentCancel``: the items become fulfillable again. A fulfilment order that still had work
    takes them back; a closed one stays closed and a new open fulfilment order at its location gets them."""
    order, f = _find_fulfillment(shop, fid)
    if f["status"] == "cancelled":
        raise OperationError("Fulfillment has already been cancelled.", ["id"])
    now = store.clock.iso()
    fos = [fo for fo in shop["fulfillment_orders"].values() if fo["order_id"] == order["id"]]
    reopened: dict[int, dict[str, Any]] = {}
    for item in f["line_items"]:
        qty = int(item["quantity"])
        li = next(x for x in order["line_items"] if x["id"] == item["id"])
        li["_fulfilled_qty"] -= qty
        li["fulfillable_quantity"] = max(0, li["current_quantity"] - li["_fulfilled_qty"])
        li["fulfillment_status"] = None if li["_fulfilled_qty"] == 0 else "partial"
        found = find_variant(shop, variant_id=li["variant_id"]) if li["variant_id"] else None
        if found:
            level = shop["inventory_levels"].get(f"{found[1]['inventory_item_id']}:{f['location_id']}")
            if level:
                level["_committed"] += qty
                level["updated_at"] = now
        home = next(
            (
                fo
                for fo in fos
                if fo["status"] in ("open", "in_progress")
                and any(x["line_item_id"] == li["id"] for x in fo["line_items"])
            ),
            None,
        )
        if home is not None:
            foli = next(x for x in home["line_items"] if x["line_item_id"] == li["id"])
            foli["fulfillable_quantity"] += qty
            home["status"] = (
                "open"
                if all(x["fulfillable_quantity"] == x["quantity"] for x in home["line_items"])
                else "in_progress"
            )
            home["updated_at"] = now
            continue
        new_fo = reopened.get(f["location_id"])
        if new_fo is None:
            new_fo = {
                "id": store.new_id(),
                "order_id": order["id"],
                "status": "open",
                "request_status": "unsubmitted",
                "assigned_location_id": f["location_id"],
                "created_at": now,
                "updated_at": now,
                "line_items": [],
            }
            shop["fulfillment_orders"][str(new_fo["id"])] = new_fo
            reopened[f["location_id"]] = new_fo
        new_fo["line_items"].append(
            {
                "id": store.new_id(),
                "line_item_id": li["id"],
                "quantity": qty,
                "fulfillable_quantity": qty,
                "variant_id": li["variant_id"],
            }
        )
    f["status"] = "cancelled"
    f["updated_at"] = now
    done = sum(li["_fulfilled_qty"] for li in order["line_items"])
    left = sum(li["fulfillable_quantity"] for li in order["line_items"])
    order["fulfillment_status"] = None if done == 0 else ("fulfilled" if left == 0 else "partial")
    order["updated_at"] = now
    recompute_variant_quantities(shop)
    return order, f, [("fulfillments/update", f), ("orders/updated", order)]


def returnable(order: dict[str, Any]) -> dict[int, int]:
    """Fulfilment line item id → quantity that can still be returned (fulfilled, not refunded, not
    already on a return)."""
    on_returns: dict[int, int] = {}
    for r in order.get("_returns", []):
        if r["status"] in ("open", "requested", "closed"):
            for x in r["line_items"]:
                on_returns[x["fulfillment_line_item_id"]] = (
                    on_returns.get(x["fulfillment_line_item_id"], 0) + (x["quantity"])
                )
    by_line = {li["id"]: li for li in order["line_items"]}
    out: dict[int, int] = {}
    for f in order["fulfillments"]:
        if f["status"] != "success":
            continue
        for item in f["line_items"]:
            li = by_line[item["id"]]
            refunded_units = li["_refunded_qty"]
            room = int(item["quantity"]) - on_returns.get(item["fulfillment_line_item_id"], 0)
            room = min(room, li["quantity"] - refunded_units - li["_removed_qty"])
            out[item["fulfillment_line_item_id"]] = max(0, room)
    return out


def create_return(
    store: Store, shop: dict[str, Any], oid: int | None, lines: list[dict[str, Any]], requested_at: str | None
) -> dict[str, Any]:
    """``returnCreate``: an OPEN (approved) return of fulfilled, unrefunded units."""
    order = shop["orders"].get(str(oid))
    if order is None:
        raise OperationError("Order does not exist.", ["returnInput", "orderId"], "NOT_FOUND")
    if not lines:
        raise OperationError("Return line items can't be blank.", ["returnInput", "returnLineItems"], "BLANK")
    room = returnable(order)
    for i, x in enumerate(lines):
        fli = x["fulfillment_line_item_id"]
        if fli not in room:
            raise OperationError(
                "Fulfillment line item does not exist.",
                ["returnInput", "returnLineItems", str(i), "fulfillmentLineItemId"],
                "NOT_FOUND",
            )
        if x["quantity"] <= 0:
            raise OperationError(
                "Quantity must be greater than 0.",
                ["returnInput", "returnLineItems", str(i), "quantity"],
                "GREATER_THAN",
            )
        if x["quantity"] > room[fli]:
            raise OperationError(
                f"Quantity is greater than the returnable quantity ({room[fli]}).",
                ["returnInput", "returnLineItems", str(i), "quantity"],
                "LESS_THAN_OR_EQUAL_TO",
            )
    rid = store.new_id()
    returns = order.setdefault("_returns", [])
    record = {
        "id": rid,
        "order_id": order["id"],
        "name": f"{order['name']}-R{len(returns) + 1}",
        "status": "open",
        "created_at": requested_at or store.clock.iso(),
        "closed_at": None,
        "line_items": [
            {
                "id": store.new_id(),
                "fulfillment_line_item_id": x["fulfillment_line_item_id"],
                "quantity": x["quantity"],
                "return_reason_note": x.get("note") or "",
            }
            for x in lines
        ],
    }
    returns.append(record)
    shop["returns"][str(rid)] = order["id"]
    order["updated_at"] = store.clock.iso()
    return record


def return_status(order: dict[str, Any]) -> str:
    """Order.returnStatus (OrderReturnStatus) from the order's returns."""
    returns = order.get("_returns", [])
    if any(r["status"] == "open" for r in returns):
        return "IN_PROGRESS"
    if any(r["status"] == "requested" for r in returns):
        return "RETURN_REQUESTED"
    if any(r["status"] == "closed" for r in returns):
        return "RETURNED"
    return "NO_RETURN"


def activate_inventory(
    store: Store,
    shop: dict[str, Any],
    item_id: int | None,
    location_id: int | None,
    available: int | None,
    on_hand: int | None,
) -> tuple[dict[str, Any], Events]:
    """``inventoryActivate``: a level for the item at the location (quantities default to 0). An item
    already stocked there keeps its level unchanged."""
    item = shop["inventory_items"].get(str(item_id))
    if item is None:
        raise OperationError("The product couldn't be stocked because it doesn't exist.", ["inventoryItemId"])
    if str(location_id) not in shop["locations"]:
        raise OperationError("The location couldn't be found.", ["locationId"])
    key = f"{item_id}:{location_id}"
    level = shop["inventory_levels"].get(key)
    if level is not None:
        return level, []
    if available is not None and on_hand is not None and on_hand < available:
        raise OperationError("On hand quantity can't be less than the available quantity.", ["onHand"])
    now = store.clock.iso()
    level = {
        "inventory_item_id": item["id"],
        "location_id": int(location_id or 0),
        "available": int(available if available is not None else (on_hand or 0)),
        "updated_at": now,
        "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item_id}",
        "_committed": 0,
        "_created_at": now,
    }
    shop["inventory_levels"][key] = level
    recompute_variant_quantities(shop)
    return level, [("inventory_levels/update", level)]


# ---------------------------------------------------------------------------------------------------------
# disputes, adjustments, payout failures
# ---------------------------------------------------------------------------------------------------------
CHARGEBACK_FEE = Decimal("15.00")


def _balance_row(
    store: Store,
    shop: dict[str, Any],
    *,
    rest_type: str,
    graphql_type: str,
    source_type: str | None,
    amount: Decimal,
    fee: Decimal = ZERO,
    order: dict[str, Any] | None = None,
    source_id: int | None = None,
    order_transaction_id: int | None = None,
    adjustment_reason: str | None = None,
    adjustment_orders: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    btid = store.new_id()
    row = {
        "id": btid,
        "type": rest_type,
        "test": False,
        "payout_id": None,
        "payout_status": "pending",
        "currency": shop["currency"],
        "amount": s(amount),
        "fee": s(fee),
        "net": s(amount - fee),
        "source_id": source_id if source_id is not None else btid,
        "source_type": source_type,
        "source_order_id": order["id"] if order else None,
        "source_order_transaction_id": order_transaction_id,
        "processed_at": store.clock.iso(),
        "adjustment_order_transactions": adjustment_orders,
        "adjustment_reason": adjustment_reason,
        "_graphql_type": graphql_type,
    }
    shop["balance_transactions"][str(btid)] = row
    return row


def create_dispute(
    store: Store,
    shop: dict[str, Any],
    oid: int,
    *,
    amount: Decimal | None = None,
    reason: str = "fraudulent",
    kind: str = "chargeback",
    network_reason_code: str | None = "4837",
) -> tuple[dict[str, Any], Events]:
    """A chargeback (or inquiry) on a Shopify Payments order: the amount and Shopify's chargeback fee leave
    the balance at once (chargebacks only); the dispute waits for evidence."""
    order = _order(shop, oid)
    sale = next(
        (
            t
            for t in order["_transactions"]
            if t["gateway"] == "shopify_payments" and t["kind"] in ("sale", "capture")
        ),
        None,
    )
    if sale is None:
        raise OperationError("Only Shopify Payments charges can be disputed", ["order_id"], "INVALID")
    amount = q2(amount) if amount is not None else Decimal(sale["_shop_amount"])
    now = store.clock.now()
    did = store.new_id()
    dispute = {
        "id": did,
        "order_id": order["id"],
        "type": kind,
        "amount": s(amount),
        "currency": shop["currency"],
        "reason": reason,
        "network_reason_code": network_reason_code,
        "status": "needs_response",
        "evidence_due_by": store.clock.iso(now + 14 * 86400),
        "evidence_sent_on": None,
        "finalized_on": None,
        "initiated_at": store.clock.iso(now),
    }
    shop["disputes"][str(did)] = dispute
    if kind == "chargeback":
        _balance_row(
            store,
            shop,
            rest_type="dispute",
            graphql_type="DISPUTE_WITHDRAWAL",
            source_type="dispute",
            amount=-amount,
            order=order,
            source_id=did,
            order_transaction_id=sale["id"],
        )
        _balance_row(
            store,
            shop,
            rest_type="adjustment",
            graphql_type="CHARGEBACK_FEE",
            source_type="adjustment",
            amount=-CHARGEBACK_FEE,
            order=order,
            adjustment_reason="chargeback_fee",
            adjustment_orders=[
                {
                    "id": sale["id"],
                    "amount": s(-CHARGEBACK_FEE),
                    "order": {"id": order["id"], "name": order["name"]},
                }
            ],
        )
    return dispute, [("disputes/create", dispute)]


def resolve_dispute(
    store: Store, shop: dict[str, Any], did: int, *, status: str
) -> tuple[dict[str, Any], Events]:
    """Close a dispute: ``won`` gives the amount (and the chargeback fee) back, ``lost`` and ``accepted``
    keep the withdrawal; ``under_review`` records that evidence was sent."""
    dispute = shop["disputes"].get(str(did))
    if dispute is None:
        raise OperationError("Dispute does not exist", ["id"], "NOT_FOUND")
    if status not in ("under_review", "won", "lost", "accepted"):
        raise OperationError("status must be under_review, won, lost or accepted", ["status"], "INVALID")
    if dispute["finalized_on"]:
        raise OperationError("Dispute is already finalized", ["id"], "INVALID")
    order = shop["orders"][str(dispute["order_id"])]
    now = store.clock.iso()
    dispute["status"] = status
    if status == "under_review":
        dispute["evidence_sent_on"] = now
    else:
        dispute["finalized_on"] = now
    if status == "won" and dispute["type"] == "chargeback":
        amount = Decimal(dispute["amount"])
        _balance_row(
            store,
            shop,
            rest_type="dispute",
            graphql_type="DISPUTE_REVERSAL",
            source_type="dispute",
            amount=amount,
            order=order,
            source_id=did,
        )
        _balance_row(
            store,
            shop,
            rest_type="adjustment",
            graphql_type="CHARGEBACK_FEE_REFUND",
            source_type="adjustment",
            amount=CHARGEBACK_FEE,
            order=order,
            adjustment_reason="chargeback_fee_refund",
        )
    return dispute, [("disputes/update", dispute)]


def fail_payout(store: Store, shop: dict[str, Any], pid: int, *, status: str = "failed") -> dict[str, Any]:
    """The bank refused the transfer (``failed``) or Shopify cancelled it (``canceled``): the payout's
    money comes back to the balance as a TRANSFER_FAILURE or TRANSFER_CANCEL transaction."""
    payout = shop["payouts"].get(str(pid))
    if payout is None:
        raise OperationError("Payout does not exist", ["id"], "NOT_FOUND")
    if status not in ("failed", "canceled"):
        raise OperationError("status must be failed or canceled", ["status"], "INVALID")
    if payout["status"] in ("failed", "canceled"):
        raise OperationError(f"Payout is already {payout['status']}", ["id"], "INVALID")
    payout["status"] = status
    for bt in shop["balance_transactions"].values():
        if bt["payout_id"] == payout["id"]:
            bt["payout_status"] = status
    _balance_row(
        store,
        shop,
        rest_type="payout_failure" if status == "failed" else "payout_cancellation",
        graphql_type="TRANSFER_FAILURE" if status == "failed" else "TRANSFER_CANCEL",
        source_type="payout",
        amount=Decimal(payout["amount"]),
        source_id=payout["id"],
    )
    return payout


def add_adjustment(
    store: Store, shop: dict[str, Any], *, amount: Decimal, reason: str, order_id: int | None = None
) -> dict[str, Any]:
    """A balance adjustment (ADJUSTMENT), linked to an order's transaction when ``order_id`` is given."""
    order = _order(shop, order_id) if order_id else None
    orders = None
    if order is not None:
        sale = next((t for t in order["_transactions"] if t["kind"] in ("sale", "capture")), None)
        orders = [
            {
                "id": sale["id"] if sale else order["id"],
                "amount": s(q2(amount)),
                "order": {"id": order["id"], "name": order["name"]},
            }
        ]
    return _balance_row(
        store,
        shop,
        rest_type="adjustment",
        graphql_type="ADJUSTMENT",
        source_type="adjustment",
        amount=q2(amount),
        order=order,
        adjustment_reason=reason,
        adjustment_orders=orders,
    )
