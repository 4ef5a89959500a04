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


CURRENCIES = [
    # code, symbol, full name, active
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
]

# code, name, type, reconcile (what a fresh generic chart of accounts gives, trimmed to what flows touch)
CHART = [
    ("121000", "Account Receivable", "asset_receivable", True),
    ("101401", "Bank", "asset_cash", False),
    ("101501", "Cash", "asset_cash", False),
    ("101402", "Outstanding Receipts", "asset_current", True),
    ("101403", "Outstanding Payments", "asset_current", True),
    ("101701", "Bank Suspense Account", "asset_current", False),
    ("211000", "Account Payable", "liability_payable", True),
    ("251000", "Tax Received", "liability_current", False),
    ("251100", "Tax Paid", "asset_current", False),
    ("400000", "Product Sales", "income", False),
    ("600000", "Expenses", "expense", False),
    ("641000", "Cash Discount Loss", "expense", False),
]


def _storable_vals(env: Env) -> dict[str, Any]:
    return (
        {"type": "consu", "is_storable": True}
        if env.version >= 18
        else {"type": "product", "detailed_type": "product"}
    )


def install_chart(env: Env, company: int, *, tax_rate: float = 15.0) -> dict[str, Any]:
    """Accounts, the default sale tax, journals and payment methods, as installing a chart of accounts."""
    accounts = {}
    for code, name, atype, reconcile in CHART:
        accounts[code] = env.create(
            "account.account",
            {
                "code": code,
                "name": name,
                "account_type": atype,
                "reconcile": reconcile,
                "company_ids": [company],
            },
        )
    country = env.raw("res.company", company, "country_id") or False
    group = env.create(
        "account.tax.group", {"name": f"Tax {tax_rate:g}%", "company_id": company, "country_id": country}
    )
    sale_tax = env.create(
        "account.tax",
        {
            "name": f"{tax_rate:g}%",
            "amount": tax_rate,
            "type_tax_use": "sale",
            "company_id": company,
            "tax_group_id": group,
            "country_id": country or env.search("res.country", [("code", "=", "US")], limit=1)[0],
            "invoice_label": f"{tax_rate:g}%",
        },
    )
    env.create(
        "account.tax",
        {
            "name": f"{tax_rate:g}%",
            "amount": tax_rate,
            "type_tax_use": "purchase",
            "company_id": company,
            "tax_group_id": group,
            "country_id": country or env.search("res.country", [("code", "=", "US")], limit=1)[0],
        },
    )
    env.write(
        "res.company",
        [company],
        {
            "account_sale_tax_id": sale_tax,
            "account_journal_suspense_account_id": accounts["101701"],
            "income_account_id": accounts["400000"],
        },
    )
    journals = {}
    for name, code, jtype, seq, account in (
        ("Sales" if env.version >= 19 else "Customer Invoices", "INV", "sale", 5, "400000"),
        ("Vendor Bills", "BILL", "purchase", 6, "600000"),
        ("Miscellaneous Operations", "MISC", "general", 7, None),
        ("Bank", "BNK1", "bank", 10, "101401"),
        ("Cash", "CSH1", "cash", 11, "101501"),
    ):
        vals: dict[str, Any] = {
            "name": name,
            "code": code,
            "type": jtype,
            "sequence": seq,
            "company_id": company,
        }
        if account:
            vals["default_account_id"] = accounts[account]
        if jtype in ("bank", "cash"):
            vals["suspense_account_id"] = accounts["101701"]
        journals[code] = env.create("account.journal", vals)
    return {"accounts": accounts, "sale_tax": sale_tax, "journals": journals}


def base_data(env: Env) -> None:
    """What a fresh database with sale_management, stock, account, contacts and delivery holds."""
    v = env.version
    cur = {}
    for code, sym, full, active in CURRENCIES:
        cur[code] = env.create(
            "res.currency",
            {
                "name": code,
                "symbol": sym,
                "full_name": full,
                "active": active,
                "rounding": 1.0 if code == "JPY" else 0.01,
            },
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
    for xid, full in GROUPS:
        groups[xid] = env.create("res.groups", {"name": full.split(" / ")[-1]})
        module, gname = xid.split(".")
        xmlid(env, module, gname, "res.groups", groups[xid])
    # ids as in a real database: 1 the company's partner, 2 OdooBot, 3 Mitchell Admin
    company_partner = env.create("res.partner", {"name": "My Company", "is_company": True})
    bot = env.create("res.partner", {"name": "OdooBot", "active": False})
    admin_partner = env.create("res.partner", {"name": "Mitchell Admin", "email": "admin@example.com"})
    ro_partner = env.create("res.partner", {"name": "Read-only API User", "email": "readonly@example.com"})
    company = env.create(
        "res.company",
        {
            "name": "My Company",
            "partner_id": company_partner,
            "currency_id": cur["EUR"],
            "country_id": countries["US"],
        },
    )
    env.set("res.partner", company_partner, company_id=company)
    xmlid(env, "base", "main_company", "res.company", company)
    xmlid(env, "base", "main_partner", "res.partner", company_partner)
    xmlid(env, "base", "partner_root", "res.partner", bot)
    gf = "group_ids" if v >= 19 else "groups_id"
    env.create(
        "res.users",
        {
            "login": "__system__",
            "partner_id": bot,
            "active": False,
            gf: [groups["base.group_user"]],
            "company_id": company,
            "company_ids": [company],
        },
    )
    admin = env.create(
        "res.users",
        {
            "login": ADMIN_LOGIN,
            "partner_id": admin_partner,
            "company_id": company,
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
            "company_id": company,
            "company_ids": [company],
            gf: [groups["base.group_user"]],
        },
    )
    xmlid(env, "base", "user_admin", "res.users", admin)
    xmlid(env, "base", "partner_admin", "res.partner", admin_partner)
    env.set("res.partner", admin_partner, company_id=company)
    _ = ro
    units = env.create("uom.uom", {"name": "Units", "relative_factor": 1.0})
    xmlid(env, "uom", "product_uom_unit", "uom.uom", units)
    env.create("uom.uom", {"name": "Dozens", "relative_factor": 12.0, "relative_uom_id": units})
    env.create("uom.uom", {"name": "kg", "relative_factor": 1.0})
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
    for name, code, ptype in (
        ("Manual Payment", "manual", "inbound"),
        ("Manual Payment", "manual", "outbound"),
    ):
        env.create("account.payment.method", {"name": name, "code": code, "payment_type": ptype})
    install_chart(env, company)
    physical = env.create(
        "stock.location", {"name": "Physical Locations", "usage": "view", "company_id": False}
    )
    partners = env.create("stock.location", {"name": "Partners", "usage": "view", "company_id": False})
    virtual = env.create(
        "stock.location", {"name": "Virtual Locations", "usage": "view", "company_id": False}
    )
    env.create(
        "stock.location",
        {"name": "Vendors", "usage": "supplier", "location_id": partners, "company_id": False},
    )
    customers = env.create(
        "stock.location",
        {"name": "Customers", "usage": "customer", "location_id": partners, "company_id": False},
    )
    env.create(
        "stock.location",
        {"name": "Inventory adjustment", "usage": "inventory", "location_id": virtual, "company_id": company},
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
    env.create("ir.config_parameter", {"key": "web.base.url", "value": "http://localhost:8069"})
    env.create(
        "ir.config_parameter", {"key": "database.uuid", "value": "00000000-0000-4000-8000-00000000sbx0"}
    )


def seed_company(
    env: Env,
    name: str,
    *,
    currency: str = "EUR",
    country: str = "FR",
    tax_rate: float = 20.0,
    code: str = "WH2",
) -> dict[str, Any]:
    """A second (or further) company with its chart of accounts, journals and a warehouse.

    The stand-in does what installing a chart of accounts and creating a warehouse do in Odoo, so that a
    shop can be mapped to its own company.
    """
    cur = env.search("res.currency", [("name", "=", currency)], limit=1, active_test=False)
    ctry = env.search("res.country", [("code", "=", country)], limit=1)
    if not cur or not ctry:
        raise ValueError(f"unknown currency {currency!r} or country {country!r}")
    env.write("res.currency", cur, {"active": True})
    company = env.create("res.company", {"name": name, "currency_id": cur[0], "country_id": ctry[0]})
    scoped = env.with_context(allowed_company_ids=[company])
    chart = install_chart(scoped, company, tax_rate=tax_rate)
    wh = scoped.create("stock.warehouse", {"name": name, "code": code, "company_id": company})
    scoped.create(
        "product.pricelist", {"name": f"Default {currency}", "currency_id": cur[0], "company_id": company}
    )
    return {
        "company_id": company,
        "partner_id": env.raw("res.company", company, "partner_id"),
        "warehouse_id": wh,
        "lot_stock_id": env.raw("stock.warehouse", wh, "lot_stock_id"),
        "sale_tax_id": chart["sale_tax"],
        "journals": chart["journals"],
    }


def _attribute(env: Env, name: str) -> int:
    found = env.search("product.attribute", [("name", "=", name)], limit=1)
    return found[0] if found else env.create("product.attribute", {"name": name})


def _attribute_value(env: Env, attribute: int, name: str) -> int:
    found = env.search(
        "product.attribute.value", [("attribute_id", "=", attribute), ("name", "=", name)], limit=1
    )
    return (
        found[0]
        if found
        else env.create("product.attribute.value", {"attribute_id": attribute, "name": name})
    )


_SIZES = {"XS", "S", "M", "L", "XL", "XXL"}


def _columns(options: list[str]) -> list[tuple[str, list[str]]]:
    """The catalogue's "M / Navy" options as attributes (Size, Color, ...) with their values in order."""
    split = [option.split(" / ") for option in options]
    width = max(len(parts) for parts in split)
    out = []
    for col in range(width):
        values = list(dict.fromkeys(parts[col] for parts in split if len(parts) > col))
        if col == 0 and all(v in _SIZES or v.isdigit() for v in values):
            name = "Size"
        elif col == 1:
            name = "Color"
        else:
            name = "Variant"
        out.append((name, values))
    return out


def demo_seed(env: Env) -> dict[str, Any]:
    """Company details, a store location, the catalogue's taxes, carriers, gateway journals and products."""
    eur = env.search("res.currency", [("name", "=", catalogue.SHOP_CURRENCY)], limit=1)[0]
    fr = env.search("res.country", [("code", "=", "FR")], limit=1)[0]
    env.write(
        "res.company",
        [1],
        {
            "name": "Sandbox Retail SARL",
            "currency_id": eur,
            "country_id": fr,
            "city": "Lyon",
            "street": "1 Rue de la République",
            "zip": "69001",
        },
    )
    env.write("res.partner", [env.raw("res.company", 1, "partner_id")], {"name": "Sandbox Retail SARL"})
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
    group = env.search("account.tax.group", [("company_id", "=", 1)], limit=1)[0]
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
                {
                    "name": name,
                    "amount": round(amount, 4),
                    "type_tax_use": "sale",
                    "invoice_label": name,
                    "tax_group_id": group,
                    "country_id": fr,
                    "company_id": 1,
                },
            )
        )
    bank_account = env.search("account.account", [("code", "=", "101401")], limit=1)[0]
    suspense = env.raw("res.company", 1, "account_journal_suspense_account_id")
    for n, (gateway, code) in enumerate(catalogue.GATEWAYS.items()):
        if env.search("account.journal", [("code", "=", code)], limit=1):
            continue
        account = env.create(
            "account.account",
            {
                "code": f"1014{10 + n}",
                "name": gateway.replace("_", " ").title(),
                "account_type": "asset_cash",
                "company_ids": [1],
            },
        )
        env.create(
            "account.journal",
            {
                "name": gateway.replace("_", " ").title(),
                "code": code,
                "type": "bank",
                "default_account_id": account or bank_account,
                "suspense_account_id": suspense,
                "company_id": 1,
            },
        )
    storable = _storable_vals(env)
    sku_ids: dict[str, int] = {}
    for product in catalogue.PRODUCTS:
        if all(
            env.search("product.product", [("default_code", "=", v.sku)], limit=1, active_test=False)
            for v in product.variants
        ):
            continue
        options = [v.option for v in product.variants]
        vals: dict[str, Any] = {
            "name": product.title,
            "list_price": float(product.variants[0].price),
            "taxes_id": [(6, 0, [taxes[product.tax_code]])],
            "invoice_policy": "order",
            **storable,
        }
        if any(options):
            lines = []
            for attr_name, values in _columns(options):
                attribute = _attribute(env, attr_name)
                value_ids = [_attribute_value(env, attribute, value) for value in values]
                lines.append((0, 0, {"attribute_id": attribute, "value_ids": [(6, 0, value_ids)]}))
            vals["attribute_line_ids"] = lines
        tmpl = env.create("product.template", vals)
        variants = env.search("product.product", [("product_tmpl_id", "=", tmpl)], active_test=False)
        by_values = {
            tuple(
                env.raw("product.template.attribute.value", ptav, "name")
                for ptav in env.raw("product.product", pid, "product_template_attribute_value_ids")
            ): pid
            for pid in variants
        }
        for variant in product.variants:
            key = tuple(variant.option.split(" / ")) if variant.option else ()
            pid = by_values.get(key) if key else variants[0]
            if pid is None:  # values come back in attribute-line order; match as a set
                pid = next(p for k, p in by_values.items() if set(k) == set(key))
            env.write("product.product", [pid], {"default_code": variant.sku, "barcode": variant.barcode})
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
                    "list_price": float(method["price"]),  # type: ignore[arg-type]
                    "taxes_id": [(6, 0, [taxes["standard"]])],
                    "invoice_policy": "order",
                },
            )
        )
        if not env.search("delivery.carrier", [("name", "=", str(method["odoo_carrier"]))], limit=1):
            env.create(
                "delivery.carrier",
                {
                    "name": str(method["odoo_carrier"]),
                    "product_id": pid,
                    "delivery_type": "fixed",
                    "fixed_price": float(method["price"]),  # type: ignore[arg-type]
                },
            )
    for spec in catalogue.TAXES.values():
        name = str(spec["odoo_name_included"])
        if env.search("account.tax", [("name", "=", name), ("type_tax_use", "=", "sale")], limit=1):
            continue
        # README (reference/odoo): on 18+ price_include is computed from price_include_override; on 17 it is
        # the stored field itself.
        included: dict[str, Any] = (
            {"price_include_override": "tax_included"} if env.version >= 18 else {"price_include": True}
        )
        env.create(
            "account.tax",
            {
                "name": name,
                "amount": round(float(spec["rate"]) * 100, 4),  # type: ignore[arg-type]
                "type_tax_use": "sale",
                "invoice_label": name,
                "tax_group_id": group,
                "country_id": fr,
                "company_id": 1,
                **included,
            },
        )
    return {"products": len(sku_ids), "locations": locations, "taxes": taxes}
