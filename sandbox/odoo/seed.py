"""Base data of a fresh Odoo database, and the demo seed built from :mod:`sandbox.catalogue`."""

from __future__ import annotations

from typing import Any

from sandbox import catalogue

from .orm import Env

DB_NAME = "sandbox"
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin"
ADMIN_API_KEY = "sandbox-api-key"
READONLY_LOGIN = "readonly"
READONLY_PASSWORD = "readonly"
READONLY_API_KEY = "sandbox-readonly-key"

COUNTRIES: list[tuple[str, str, int, str]] = [
    # code, name, phone code, currency
    ("US", "United States", 1, "USD"),
    ("FR", "France", 33, "EUR"),
    ("DE", "Germany", 49, "EUR"),
    ("GB", "United Kingdom", 44, "GBP"),
    ("NL", "Netherlands", 31, "EUR"),
    ("BE", "Belgium", 32, "EUR"),
    ("ES", "Spain", 34, "EUR"),
    ("IT", "Italy", 39, "EUR"),
    ("CA", "Canada", 1, "CAD"),
    ("AU", "Australia", 61, "AUD"),
    ("CH", "Switzerland", 41, "CHF"),
    ("AT", "Austria", 43, "EUR"),
    ("IE", "Ireland", 353, "EUR"),
    ("PT", "Portugal", 351, "EUR"),
    ("LU", "Luxembourg", 352, "EUR"),
    ("DK", "Denmark", 45, "DKK"),
    ("SE", "Sweden", 46, "SEK"),
    ("PL", "Poland", 48, "PLN"),
    ("JP", "Japan", 81, "JPY"),
    ("NO", "Norway", 47, "NOK"),
]

STATES: dict[str, list[tuple[str, str]]] = {
    "US": [
        ("AL", "Alabama"),
        ("AK", "Alaska"),
        ("AZ", "Arizona"),
        ("AR", "Arkansas"),
        ("CA", "California"),
        ("CO", "Colorado"),
        ("CT", "Connecticut"),
        ("DE", "Delaware"),
        ("DC", "District of Columbia"),
        ("FL", "Florida"),
        ("GA", "Georgia"),
        ("HI", "Hawaii"),
        ("ID", "Idaho"),
        ("IL", "Illinois"),
        ("IN", "Indiana"),
        ("IA", "Iowa"),
        ("KS", "Kansas"),
        ("KY", "Kentucky"),
        ("LA", "Louisiana"),
        ("ME", "Maine"),
        ("MD", "Maryland"),
        ("MA", "Massachusetts"),
        ("MI", "Michigan"),
        ("MN", "Minnesota"),
        ("MS", "Mississippi"),
        ("MO", "Missouri"),
        ("MT", "Montana"),
        ("NE", "Nebraska"),
        ("NV", "Nevada"),
        ("NH", "New Hampshire"),
        ("NJ", "New Jersey"),
        ("NM", "New Mexico"),
        ("NY", "New York"),
        ("NC", "North Carolina"),
        ("ND", "North Dakota"),
        ("OH", "Ohio"),
        ("OK", "Oklahoma"),
        ("OR", "Oregon"),
        ("PA", "Pennsylvania"),
        ("RI", "Rhode Island"),
        ("SC", "South Carolina"),
        ("SD", "South Dakota"),
        ("TN", "Tennessee"),
        ("TX", "Texas"),
        ("UT", "Utah"),
        ("VT", "Vermont"),
        ("VA", "Virginia"),
        ("WA", "Washington"),
        ("WV", "West Virginia"),
        ("WI", "Wisconsin"),
        ("WY", "Wyoming"),
    ],
    "CA": [
        ("AB", "Alberta"),
        ("BC", "British Columbia"),
        ("MB", "Manitoba"),
        ("NB", "New Brunswick"),
        ("NL", "Newfoundland and Labrador"),
        ("NS", "Nova Scotia"),
        ("ON", "Ontario"),
        ("PE", "Prince Edward Island"),
        ("QC", "Quebec"),
        ("SK", "Saskatchewan"),
    ],
    "DE": [
        ("BW", "Baden-Württemberg"),
        ("BY", "Bavaria"),
        ("BE", "Berlin"),
        ("BB", "Brandenburg"),
        ("HB", "Bremen"),
        ("HH", "Hamburg"),
        ("HE", "Hessen"),
        ("MV", "Mecklenburg-Vorpommern"),
        ("NI", "Niedersachsen"),
        ("NW", "Nordrhein-Westfalen"),
        ("RP", "Rheinland-Pfalz"),
        ("SL", "Saarland"),
        ("SN", "Sachsen"),
        ("ST", "Sachsen-Anhalt"),
        ("SH", "Schleswig-Holstein"),
        ("TH", "Thüringen"),
    ],
    "NL": [
        ("DR", "Drenthe"),
        ("FL", "Flevoland"),
        ("FR", "Friesland"),
        ("GE", "Gelderland"),
        ("GR", "Groningen"),
        ("LI", "Limburg"),
        ("NB", "Noord-Brabant"),
        ("NH", "Noord-Holland"),
        ("OV", "Overijssel"),
        ("UT", "Utrecht"),
        ("ZE", "Zeeland"),
        ("ZH", "Zuid-Holland"),
    ],
    "ES": [
        ("B", "Barcelona (Barcelona)"),
        ("M", "Madrid (Madrid)"),
        ("V", "Valencia (València)"),
        ("SE", "Sevilla (Sevilla)"),
        ("MA", "Málaga (Málaga)"),
        ("BI", "Bizkaia (Vizcaya)"),
    ],
    "IT": [
        ("MI", "Milano"),
        ("RM", "Roma"),
        ("TO", "Torino"),
        ("NA", "Napoli"),
        ("FI", "Firenze"),
        ("VE", "Venezia"),
    ],
    "AU": [
        ("NSW", "New South Wales"),
        ("VIC", "Victoria"),
        ("QLD", "Queensland"),
        ("WA", "Western Australia"),
        ("SA", "South Australia"),
        ("TAS", "Tasmania"),
        ("ACT", "Australian Capital Territory"),
        ("NT", "Northern Territory"),
    ],
}

LANGS = [
    ("English (US)", "en_US", "en", True),
    ("French / Français", "fr_FR", "fr", False),
    ("German / Deutsch", "de_DE", "de", False),
    ("Dutch / Nederlands", "nl_NL", "nl", False),
    ("Spanish / Español", "es_ES", "es", False),
    ("Italian / Italiano", "it_IT", "it", False),
]

GROUPS = [
    ("base.group_user", "Role / User"),
    ("base.group_system", "Administration / Settings"),
    ("base.group_erp_manager", "Administration / Access Rights"),
    ("base.group_portal", "Portal"),
    ("base.group_public", "Public"),
    ("sales_team.group_sale_salesman", "Sales / User: Own Documents Only"),
    ("sales_team.group_sale_manager", "Sales / Administrator"),
    ("stock.group_stock_user", "Inventory / User"),
    ("stock.group_stock_manager", "Inventory / Administrator"),
    ("account.group_account_invoice", "Invoicing / Billing"),
    ("account.group_account_manager", "Invoicing / Administrator"),
]


def default_credentials() -> dict[str, dict[str, Any]]:
    return {
        "2": {"password": ADMIN_PASSWORD, "api_keys": [ADMIN_API_KEY], "can_write": True},
        "3": {"password": READONLY_PASSWORD, "api_keys": [READONLY_API_KEY], "can_write": False},
    }


def xmlid(env: Env, module: str, name: str, model: str, res_id: int) -> None:
    env.create(
        "ir.model.data", {"module": module, "name": name, "model": model, "res_id": res_id, "noupdate": True}
    )


def ref(env: Env, complete: str) -> int:
    module, name = complete.split(".", 1)
    found = env.search("ir.model.data", [("module", "=", module), ("name", "=", name)], limit=1)
    if not found:
        raise KeyError(complete)
    return int(env.raw("ir.model.data", found[0], "res_id"))


def base_data(env: Env) -> None:
    """What a fresh database with sale_management, stock, account, contacts and delivery holds."""
    v = env.version
    cur = {}
    for code, sym, full, active in [
        ("EUR", "€", "Euro", True),
        ("USD", "$", "United States dollar", True),
        ("GBP", "£", "Pound sterling", False),
        ("CAD", "$", "Canadian dollar", False),
        ("AUD", "$", "Australian dollar", False),
        ("CHF", "CHF", "Swiss franc", False),
        ("DKK", "kr", "Danish krone", False),
        ("SEK", "kr", "Swedish krona", False),
        ("PLN", "zł", "Polish zloty", False),
        ("JPY", "¥", "Japanese yen", False),
        ("NOK", "kr", "Norwegian krone", False),
    ]:
        cur[code] = env.create(
            "res.currency", {"name": code, "symbol": sym, "full_name": full, "active": active}
        )
        xmlid(env, "base", code, "res.currency", cur[code])
    countries = {}
    for code, name, phone, currency in COUNTRIES:
        countries[code] = env.create(
            "res.country", {"name": name, "code": code, "phone_code": phone, "currency_id": cur[currency]}
        )
        xmlid(env, "base", code.lower(), "res.country", countries[code])
        for scode, sname in STATES.get(code, []):
            env.create("res.country.state", {"name": sname, "code": scode, "country_id": countries[code]})
    for name, code, iso, active in LANGS:
        env.create("res.lang", {"name": name, "code": code, "iso_code": iso, "active": active})
    groups = {}
    for xid, name in GROUPS:
        groups[xid] = env.create(
            "res.groups", {"name": name.split(" / ")[-1], "full_name": name, "xml_id": xid}
        )
        module, gname = xid.split(".")
        xmlid(env, module, gname, "res.groups", groups[xid])
    company_partner = env.create("res.partner", {"name": "My Company", "is_company": True})
    bot = env.create("res.partner", {"name": "OdooBot", "active": False})
    admin_partner = env.create("res.partner", {"name": "Mitchell Admin", "email": "admin@example.com"})
    ro_partner = env.create("res.partner", {"name": "Read-only API User", "email": "readonly@example.com"})
    company = env.create(
        "res.company", {"name": "My Company", "partner_id": company_partner, "currency_id": cur["EUR"]}
    )
    env.set("res.partner", company_partner, company_id=company)
    xmlid(env, "base", "main_company", "res.company", company)
    xmlid(env, "base", "main_partner", "res.partner", company_partner)
    gf = "group_ids" if v >= 19 else "groups_id"
    env.create(
        "res.users",
        {"login": "__system__", "partner_id": bot, "active": False, gf: [groups["base.group_user"]]},
    )
    admin = env.create(
        "res.users",
        {
            "login": ADMIN_LOGIN,
            "partner_id": admin_partner,
            "company_ids": [company],
            gf: [gid for xid, gid in groups.items() if xid not in ("base.group_portal", "base.group_public")],
        },
    )
    assert admin == 2, admin
    ro = env.create(
        "res.users",
        {
            "login": READONLY_LOGIN,
            "partner_id": ro_partner,
            "company_ids": [company],
            gf: [groups["base.group_user"]],
        },
    )
    xmlid(env, "base", "user_admin", "res.users", admin)
    xmlid(env, "base", "partner_admin", "res.partner", admin_partner)
    env.set("res.partner", admin_partner, company_id=company)
    _ = ro
    units = env.create("uom.uom", {"name": "Units"})
    xmlid(env, "uom", "product_uom_unit", "uom.uom", units)
    env.create("uom.uom", {"name": "Dozens", "factor": 1 / 12})
    env.create("uom.uom", {"name": "kg"})
    all_categ = env.create("product.category", {"name": "All"})
    env.create("product.category", {"name": "Saleable", "parent_id": all_categ})
    env.create(
        "product.pricelist",
        {
            "name": "Default" if v >= 18 else "Public Pricelist",
            "currency_id": cur["EUR"],
            "company_id": company,
        },
    )
    accounts = {}
    for code, name, atype in [
        ("121000", "Account Receivable", "asset_receivable"),
        ("101401", "Bank", "asset_cash"),
        ("101501", "Cash", "asset_cash"),
        ("211000", "Account Payable", "liability_payable"),
        ("251000", "Tax Received", "liability_current"),
        ("400000", "Product Sales", "income"),
        ("600000", "Expenses", "expense"),
        ("101402", "Outstanding Receipts", "asset_current"),
    ]:
        accounts[code] = env.create("account.account", {"code": code, "name": name, "account_type": atype})
    env.create("account.tax", {"name": "15%", "amount": 15.0, "type_tax_use": "sale", "description": "15%"})
    env.create("account.tax", {"name": "15% (purchase)", "amount": 15.0, "type_tax_use": "purchase"})
    env.create(
        "account.journal",
        {
            "name": "Customer Invoices",
            "code": "INV",
            "type": "sale",
            "sequence": 5,
            "default_account_id": accounts["400000"],
        },
    )
    env.create("account.journal", {"name": "Vendor Bills", "code": "BILL", "type": "purchase", "sequence": 6})
    env.create(
        "account.journal",
        {"name": "Miscellaneous Operations", "code": "MISC", "type": "general", "sequence": 7},
    )
    env.create(
        "account.journal",
        {
            "name": "Bank",
            "code": "BNK1",
            "type": "bank",
            "sequence": 10,
            "default_account_id": accounts["101401"],
        },
    )
    env.create(
        "account.journal",
        {
            "name": "Cash",
            "code": "CSH1",
            "type": "cash",
            "sequence": 11,
            "default_account_id": accounts["101501"],
        },
    )
    physical = env.create("stock.location", {"name": "Physical Locations", "usage": "view"})
    partners = env.create("stock.location", {"name": "Partners", "usage": "view"})
    virtual = env.create("stock.location", {"name": "Virtual Locations", "usage": "view"})
    env.create("stock.location", {"name": "Vendors", "usage": "supplier", "location_id": partners})
    customers = env.create(
        "stock.location", {"name": "Customers", "usage": "customer", "location_id": partners}
    )
    env.create(
        "stock.location", {"name": "Inventory adjustment", "usage": "inventory", "location_id": virtual}
    )
    xmlid(env, "stock", "stock_location_customers", "stock.location", customers)
    wh_view = env.create(
        "stock.location", {"name": "WH", "usage": "view", "location_id": physical, "company_id": company}
    )
    stock = env.create(
        "stock.location",
        {"name": "Stock", "usage": "internal", "location_id": wh_view, "company_id": company},
    )
    xmlid(env, "stock", "stock_location_stock", "stock.location", stock)
    wh = env.create(
        "stock.warehouse",
        {
            "name": "My Company",
            "code": "WH",
            "lot_stock_id": stock,
            "view_location_id": wh_view,
            "company_id": company,
        },
    )
    xmlid(env, "stock", "warehouse0", "stock.warehouse", wh)
    env.create(
        "stock.picking.type",
        {
            "name": "Receipts",
            "code": "incoming",
            "sequence_code": "IN",
            "warehouse_id": wh,
            "default_location_dest_id": stock,
        },
    )
    out = env.create(
        "stock.picking.type",
        {
            "name": "Delivery Orders",
            "code": "outgoing",
            "sequence_code": "OUT",
            "warehouse_id": wh,
            "default_location_src_id": stock,
            "default_location_dest_id": customers,
        },
    )
    env.create(
        "stock.picking.type",
        {
            "name": "Internal Transfers",
            "code": "internal",
            "sequence_code": "INT",
            "warehouse_id": wh,
            "default_location_src_id": stock,
            "default_location_dest_id": stock,
        },
    )
    env.set("stock.warehouse", wh, out_type_id=out)
    env.create("ir.config_parameter", {"key": "web.base.url", "value": "http://localhost:8069"})
    env.create(
        "ir.config_parameter", {"key": "database.uuid", "value": "00000000-0000-4000-8000-00000000sbx0"}
    )


def _storable_vals(env: Env) -> dict[str, Any]:
    return {"type": "consu", "is_storable": True} if env.version >= 18 else {"type": "product"}


def demo_seed(env: Env) -> dict[str, Any]:
    """Company, two stock locations, taxes, carriers, journals and the catalogue with stock."""
    eur = env.search("res.currency", [("name", "=", catalogue.SHOP_CURRENCY)], limit=1)[0]
    fr = env.search("res.country", [("code", "=", "FR")], limit=1)[0]
    env.write("res.company", [1], {"name": "Sandbox Retail SARL", "currency_id": eur, "country_id": fr})
    company_partner = env.raw("res.company", 1, "partner_id")
    env.write(
        "res.partner",
        [company_partner],
        {
            "name": "Sandbox Retail SARL",
            "country_id": fr,
            "city": "Lyon",
            "street": "1 Rue de la République",
            "zip": "69001",
        },
    )
    wh = env.search("stock.warehouse", [("code", "=", "WH")], limit=1)[0]
    stock = env.raw("stock.warehouse", wh, "lot_stock_id")
    locations = {"WH/Stock": stock}
    for loc in catalogue.LOCATIONS:
        full = str(loc["odoo_location"])
        if full in locations:
            continue
        parent_name, _, name = full.rpartition("/")
        parent = locations.get(parent_name) or stock
        found = env.search("stock.location", [("name", "=", name), ("location_id", "=", parent)], limit=1)
        locations[full] = (
            found[0]
            if found
            else env.create(
                "stock.location", {"name": name, "usage": "internal", "location_id": parent, "company_id": 1}
            )
        )
    taxes = {}
    for code, spec in catalogue.TAXES.items():
        name = str(spec["odoo_name"])
        found = env.search("account.tax", [("name", "=", name), ("type_tax_use", "=", "sale")], limit=1)
        amount = float(spec["rate"]) * 100  # type: ignore[arg-type]
        taxes[code] = (
            found[0]
            if found
            else env.create(
                "account.tax",
                {"name": name, "amount": round(amount, 4), "type_tax_use": "sale", "description": name},
            )
        )
    for gateway, code in catalogue.GATEWAYS.items():
        if not env.search("account.journal", [("code", "=", code)], limit=1):
            env.create(
                "account.journal", {"name": gateway.replace("_", " ").title(), "code": code, "type": "bank"}
            )
    storable = _storable_vals(env)
    sku_ids: dict[str, int] = {}
    for product in catalogue.PRODUCTS:
        tmpl_id = None
        for variant in product.variants:
            if env.search(
                "product.product", [("default_code", "=", variant.sku)], limit=1, active_test=False
            ):
                continue
            vals: dict[str, Any] = {
                "default_code": variant.sku,
                "barcode": variant.barcode,
                "variant_label": variant.option or False,
            }
            if tmpl_id is None:
                vals.update(
                    {
                        "name": product.title,
                        "list_price": float(variant.price),
                        "taxes_id": [taxes[product.tax_code]],
                        **storable,
                    }
                )
            else:
                vals["product_tmpl_id"] = tmpl_id
            pid = env.create("product.product", vals)
            tmpl_id = env.raw("product.product", pid, "product_tmpl_id")
            sku_ids[variant.sku] = pid
            if variant.stock:
                env.create(
                    "stock.quant", {"product_id": pid, "location_id": stock, "quantity": float(variant.stock)}
                )
    for method in catalogue.SHIPPING_METHODS.values():
        sku = str(method["odoo_product_sku"])
        found = env.search("product.product", [("default_code", "=", sku)], limit=1)
        pid = (
            found[0]
            if found
            else env.create(
                "product.product",
                {
                    "name": str(method["odoo_carrier"]),
                    "default_code": sku,
                    "type": "service",
                    "list_price": float(method["price"]),
                    "taxes_id": [taxes["standard"]],
                },
            )
        )  # type: ignore[arg-type]
        if not env.search("delivery.carrier", [("name", "=", str(method["odoo_carrier"]))], limit=1):
            env.create(
                "delivery.carrier",
                {
                    "name": str(method["odoo_carrier"]),
                    "product_id": pid,
                    "delivery_type": "fixed",
                    "fixed_price": float(method["price"]),
                },
            )  # type: ignore[arg-type]
    return {"products": len(sku_ids), "locations": locations, "taxes": taxes}
