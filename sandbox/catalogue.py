"""The demo catalogue both sandboxes seed from, so that SKUs, taxes, carriers and locations match.

A real retailer's Shopify catalogue and Odoo catalogue are kept in step by hand or by product sync; the
sandboxes start from this one list. A few SKUs exist only in Shopify (``SHOPIFY_ONLY_SKUS``): orders
containing them park as "unknown SKU" until someone maps them, which gives the console real problems.
Everything here is deterministic: the same seed gives the same catalogue on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Variant:
    sku: str
    barcode: str
    option: str  # e.g. "M / Navy"; "" for a product without options
    price: Decimal
    stock: int  # initial on-hand quantity at the first location


@dataclass(frozen=True)
class Product:
    handle: str
    title: str
    product_type: str
    vendor: str
    tax_code: str  # key into TAXES
    variants: tuple[Variant, ...]


def _variants(prefix: str, base_price: str, options: list[str], *, stock: int = 40) -> tuple[Variant, ...]:
    out = []
    for i, option in enumerate(options):
        code = option.replace(" / ", "-").replace(" ", "").upper() if option else "STD"
        sku = f"{prefix}-{code}"
        out.append(Variant(sku, _stable_barcode(sku), option, Decimal(base_price), stock + 3 * i))
    return tuple(out)


_SIZES = ["S", "M", "L", "XL"]
_PRODUCT_SPECS: list[tuple[str, str, str, str, str, str, list[str]]] = [
    # handle, title, type, vendor, tax code, price, options
    (
        "merino-tee",
        "Merino T-Shirt",
        "Apparel",
        "Northwind",
        "standard",
        "39.00",
        [f"{s} / Navy" for s in _SIZES],
    ),
    (
        "linen-shirt",
        "Linen Shirt",
        "Apparel",
        "Northwind",
        "standard",
        "59.00",
        [f"{s} / White" for s in _SIZES],
    ),
    ("denim-jacket", "Denim Jacket", "Apparel", "Bluefield", "standard", "129.00", _SIZES),
    ("rain-shell", "Packable Rain Shell", "Outerwear", "Bluefield", "standard", "89.50", _SIZES),
    ("wool-socks", "Wool Socks (2 pack)", "Accessories", "Northwind", "standard", "14.99", ["S", "M", "L"]),
    ("canvas-tote", "Canvas Tote", "Accessories", "Harbor & Co", "standard", "24.00", [""]),
    (
        "leather-belt",
        "Leather Belt",
        "Accessories",
        "Harbor & Co",
        "standard",
        "45.00",
        ["85", "90", "95", "100"],
    ),
    (
        "beanie",
        "Ribbed Beanie",
        "Accessories",
        "Northwind",
        "standard",
        "19.50",
        ["Charcoal", "Rust", "Olive"],
    ),
    (
        "trail-runner",
        "Trail Runner",
        "Footwear",
        "Strider",
        "standard",
        "119.00",
        ["40", "41", "42", "43", "44"],
    ),
    ("city-sneaker", "City Sneaker", "Footwear", "Strider", "standard", "95.00", ["39", "40", "41", "42"]),
    ("ceramic-mug", "Ceramic Mug", "Home", "Kiln Studio", "standard", "16.00", ["Sand", "Slate"]),
    ("pour-over-kit", "Pour-Over Coffee Kit", "Home", "Kiln Studio", "standard", "48.00", [""]),
    (
        "coffee-beans",
        "Single-Origin Coffee Beans 250 g",
        "Grocery",
        "Roastery 12",
        "reduced",
        "12.90",
        ["Whole", "Ground"],
    ),
    ("dark-chocolate", "Dark Chocolate Bar", "Grocery", "Cacao Lab", "reduced", "4.50", ["70%", "85%"]),
    ("notebook", "Dot-Grid Notebook A5", "Stationery", "Papergood", "standard", "18.00", ["Black", "Green"]),
    ("fountain-pen", "Fountain Pen", "Stationery", "Papergood", "standard", "64.00", ["Fine", "Medium"]),
    ("cookbook", "The Seasonal Kitchen (book)", "Books", "Harbor Press", "reduced", "32.00", [""]),
    ("gift-box", "Gift Box", "Accessories", "Harbor & Co", "standard", "9.00", [""]),
    ("yoga-mat", "Cork Yoga Mat", "Sport", "Strider", "standard", "74.00", [""]),
    (
        "water-bottle",
        "Insulated Bottle 750 ml",
        "Sport",
        "Strider",
        "standard",
        "29.00",
        ["Steel", "Matte Black"],
    ),
]


def _stable_barcode(sku: str) -> str:
    # EAN-13-looking, deterministic across processes (hash() is salted per process).
    digits = "".join(str(ord(c) % 10) for c in sku)[:12].ljust(12, "0")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def _build() -> tuple[Product, ...]:
    products = []
    for handle, title, ptype, vendor, tax, price, options in _PRODUCT_SPECS:
        prefix = handle.upper().replace("-", "")[:8]
        products.append(Product(handle, title, ptype, vendor, tax, _variants(prefix, price, options)))
    return tuple(products)


PRODUCTS: tuple[Product, ...] = _build()

#: Products present in Shopify only: orders with these park as "unknown SKU" until mapped in Odoo.
SHOPIFY_ONLY_PRODUCTS: tuple[Product, ...] = (
    Product(
        "limited-hoodie",
        "Limited Edition Hoodie",
        "Apparel",
        "Northwind",
        "standard",
        (
            Variant("LTD-HOODIE-M", _stable_barcode("LTD-HOODIE-M"), "M", Decimal("79.00"), 10),
            Variant("LTD-HOODIE-L", _stable_barcode("LTD-HOODIE-L"), "L", Decimal("79.00"), 10),
        ),
    ),
    Product(
        "collab-cap",
        "Collab Cap",
        "Accessories",
        "Harbor & Co",
        "standard",
        (Variant("COLLAB-CAP", _stable_barcode("COLLAB-CAP"), "", Decimal("35.00"), 10),),
    ),
)
SHOPIFY_ONLY_SKUS: frozenset[str] = frozenset(v.sku for p in SHOPIFY_ONLY_PRODUCTS for v in p.variants)

ALL_SKUS: tuple[str, ...] = tuple(v.sku for p in PRODUCTS for v in p.variants)

#: Tax codes: the Shopify tax line title and rate, and the Odoo taxes the sandbox seeds for it: one whose
#: price excludes the tax (``odoo_name``) and one whose price includes it (``odoo_name_included``; Odoo 18+:
#: ``price_include_override`` "tax_included"), as a retailer selling both ways keeps them.
TAXES: dict[str, dict[str, object]] = {
    "standard": {
        "shopify_title": "VAT 20%",
        "rate": Decimal("0.20"),
        "odoo_name": "20% VAT",
        "odoo_name_included": "20% VAT (incl.)",
    },
    "reduced": {
        "shopify_title": "VAT 5.5%",
        "rate": Decimal("0.055"),
        "odoo_name": "5.5% VAT",
        "odoo_name_included": "5.5% VAT (incl.)",
    },
}

#: Shipping methods: Shopify shipping line code/title → Odoo carrier name and its delivery product.
SHIPPING_METHODS: dict[str, dict[str, object]] = {
    "STANDARD": {
        "title": "Standard Shipping",
        "price": Decimal("4.90"),
        "odoo_carrier": "Standard Delivery",
        "odoo_product_sku": "SHIP-STANDARD",
        "shopify_tracking_company": "Colissimo",
    },
    "EXPRESS": {
        "title": "Express Shipping",
        "price": Decimal("12.00"),
        "odoo_carrier": "Express Delivery",
        "odoo_product_sku": "SHIP-EXPRESS",
        "shopify_tracking_company": "DHL Express",
    },
    "PICKUP": {
        "title": "Store Pickup",
        "price": Decimal("0.00"),
        "odoo_carrier": "Store Pickup",
        "odoo_product_sku": "SHIP-PICKUP",
        "shopify_tracking_company": "",
    },
}

#: Payment gateways Shopify reports → Odoo journal codes the sandbox seeds.
GATEWAYS: dict[str, str] = {"shopify_payments": "SHOP", "gift_card": "GIFT", "manual": "BNK1"}

#: Shopify locations → Odoo stock locations (complete names).
LOCATIONS: tuple[dict[str, str], ...] = (
    {"name": "Main Warehouse", "odoo_location": "WH/Stock"},
    {"name": "City Store", "odoo_location": "WH/Stock/City Store"},
)

SHOP_CURRENCY = "EUR"
