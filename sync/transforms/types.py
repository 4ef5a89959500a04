"""Values the transforms take in (mappings) and give out (Odoo-bound drafts).

Everything here is a frozen dataclass holding plain values: ids as ``int``/``str``, money as ``Decimal``
in the SHOP currency, never ``float``. The flows build ``ShopMappings`` from the mapping tables and
turn drafts into Odoo writes (resolving partners, countries and states, which needs I/O).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

ContactType = Literal["contact", "invoice", "delivery", "other"]
LineKind = Literal["product", "delivery", "rounding", "gift_card", "bundle_component", "tip", "duties"]
TaxRounding = Literal["round_per_line", "round_globally"]


@dataclass(frozen=True)
class ShippingTarget:
    """Where a Shopify shipping method goes in Odoo: the delivery product and optionally a carrier."""

    product_id: int
    carrier_id: int | None = None


@dataclass(frozen=True)
class RoundingAdjustment:
    """A finance-approved rule: book a tax-free line of at most ``max_amount`` to absorb a difference.

    Off unless configured. Without it a difference of any size parks the order as ``total_mismatch``.
    """

    product_id: int
    max_amount: Decimal


@dataclass(frozen=True)
class CarrierTarget:
    """An Odoo carrier as Shopify names it: ``company`` one of Shopify's tracking companies (so that
    Shopify builds the tracking link), ``url`` a template with ``{number}`` when Odoo gives no URL."""

    company: str
    url: str = ""


@dataclass(frozen=True)
class BundleComponent:
    """One component of a bundle sold as its components: ``quantity`` units of ``product_id`` per bundle.
    ``ratio``: its share of the bundle's price (split ``ratio``); ``list_price``: the product's Odoo list
    price, filled by the flow from Odoo at booking time (split ``list_price``)."""

    product_id: int
    quantity: int
    ratio: Decimal | None = None
    name: str = ""
    list_price: Decimal | None = None


@dataclass(frozen=True)
class BundleRule:
    """How a bundle SKU is booked (BUNDLE mapping rows, sync/transforms/bundles.py): ``kit`` books one line of
    the kit product (an Odoo product whose bill of materials Odoo explodes on delivery); ``components`` books
    one line per component, the bundle line's amount split by ``split`` (``ratio`` or ``list_price``)."""

    mode: Literal["kit", "components"]
    product_id: int | None = None  # the kit (mode kit)
    split: Literal["ratio", "list_price"] = "ratio"
    components: tuple[BundleComponent, ...] = ()


@dataclass(frozen=True)
class ShopMappings:
    """The active mapping values for one shop, at one mapping version."""

    shop_domain: str
    version: int
    currency: str  # shop currency code, e.g. "EUR"; the Odoo order is booked in it (unless book_currency)
    company_id: int | None
    pricelist_id: int | None
    skus: Mapping[str, int]  # Shopify SKU -> product.product id
    taxes: Mapping[str, int]  # tax_key(title, rate) e.g. "VAT 20%|0.2" -> tax-excluded account.tax id
    shipping: Mapping[str, ShippingTarget]  # shipping line code (fallback: title) -> target
    gateways: Mapping[str, int]  # payment gateway name -> account.journal id (payments only)
    confirm_on: frozenset[str]  # financial statuses that confirm the order
    tax_rounding: TaxRounding = "round_per_line"  # the Odoo company's tax_calculation_rounding_method
    currency_decimals: int | None = None  # Odoo's decimal places for ``currency``; None: ISO 4217
    rounding_adjustment: RoundingAdjustment | None = None
    carriers: Mapping[str, CarrierTarget] = field(default_factory=dict)  # Odoo carrier name -> Shopify's
    options: Mapping[str, Any] = field(default_factory=dict)  # per-shop settings: the SHOP row's keys
    # tax_key -> account.tax id whose price includes the tax (Odoo 18+: price_include_override
    # "tax_included"), for orders with ``taxes_included``; ``taxes`` holds the tax-excluded treatment.
    taxes_included: Mapping[str, int] = field(default_factory=dict)
    refund_adjustment_product_id: int | None = None  # tax-free product for refund discrepancies, duties, fees
    # Stock out (sync/flows/stock.py): Shopify location id → the Odoo stock locations it sells from, and
    # the values of the SKU, LOCATION and SHOP entries the stock rules read (safety stock, allocation, peak).
    locations: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    stock: StockRules | None = None
    invoice_on: str = "paid"  # order to cash: "paid" | "delivered" | "off" (sync/flows/cash.py)
    # Risky orders (Shopify recommends CANCEL or INVESTIGATE) are held unconfirmed for a person's decision
    # (sync/flows/risk.py); SHOP row key ``hold_risky``, on unless set false.
    hold_risky: bool = True
    # gateway -> account.payment.method.line id whose outstanding account receives its payments (e.g. the
    # gift-card liability account for "gift_card"); absent: the journal's default
    gateway_method_lines: Mapping[str, int] = field(default_factory=dict)
    # Gift cards sold as order lines (``gift_card: true``): the Odoo service product whose income account is
    # the gift-card liability (SHOP row key ``gift_card_product_id``); None: such orders park.
    gift_card_product_id: int | None = None
    # Tips (Shopify ``total_tip_received``, GraphQL ``totalTipReceivedSet``): part of ``total_price`` but on
    # no line item or shipping line, so they are booked as one tax-free line on this Odoo service product
    # (SHOP row key ``tip_product_id``); None: an order with a tip parks as ``tip_not_mapped``.
    tip_product_id: int | None = None
    # Import duties Shopify charged at checkout (``original_total_duties_set``; per line ``duties``): part of
    # ``total_price`` but on no line's price, so they are booked as one tax-free line on this Odoo service
    # product (SHOP row key ``duties_product_id``); None: an order with duties parks as ``duties_not_mapped``.
    # Duties given back by a refund are credited on it too.
    duties_product_id: int | None = None
    # Bundle SKU -> how it is booked (BUNDLE rows); a row that does not parse is held as its error message,
    # so that its orders park naming it.
    bundles: Mapping[str, BundleRule | str] = field(default_factory=dict)

    # Multi-currency (sync/transforms/currency.py): "shop" (default) books every order in the shop currency,
    # "presentment" books an order in the currency Shopify presented it in, with the pricelist mapped for it
    # (PRICELIST rows: currency code -> product.pricelist id).
    book_currency: str = "shop"
    pricelists: Mapping[str, int] = field(default_factory=dict)

    # Who gets the daily reconciliation report (SHOP row keys ``finance_recipients``, ``ops_recipients``).
    finance_recipients: tuple[str, ...] = ()
    ops_recipients: tuple[str, ...] = ()

    def taxes_for(self, *, included: bool) -> Mapping[str, int]:
        """The tax mapping of one treatment: Shopify's ``taxes_included`` picks it, per order."""
        return self.taxes_included if included else self.taxes


@dataclass(frozen=True)
class StockRules:
    """What is held back from Shopify, per SKU, per location or per shop (sync/transforms/stock.py).

    ``safety`` and ``allocation`` keys: ``(sku, location)``, ``(sku, "")``, ``("", location)``, ``("", "")``
    (the most specific wins); a value is a number of units. ``allocation_percent`` holds back a share of
    what is free for other channels (per shop). ``peak`` is peak mode; ``peak_buffer`` the units per SKU and
    location it holds back on top."""

    safety: Mapping[tuple[str, str], int] = field(default_factory=dict)
    allocation: Mapping[tuple[str, str], int] = field(default_factory=dict)
    allocation_percent: int = 0
    peak: bool = False
    peak_buffer: int = 0
    not_stocked: Literal["activate", "report"] = "activate"


@dataclass(frozen=True)
class ContactDraft:
    """A ``res.partner`` contact (child of the customer), before country/state ids are resolved."""

    type: ContactType
    name: str
    company_name: str | None = None
    street: str | None = None
    street2: str | None = None
    city: str | None = None
    zip: str | None = None
    state_code: str | None = None  # Shopify province_code; the flow resolves res.country.state
    country_code: str | None = None  # ISO 3166-1 alpha-2; the flow resolves res.country by code
    phone: str | None = None
    email: str | None = None

    def odoo_values(self) -> dict[str, Any]:
        """``res.partner`` values except ``state_id``/``country_id`` (the flow looks those up)."""
        values: dict[str, Any] = {
            "type": self.type,
            "name": self.name,
            "street": self.street or False,
            "street2": self.street2 or False,
            "city": self.city or False,
            "zip": self.zip or False,
            "phone": self.phone or False,
            "email": self.email or False,
        }
        if self.company_name:
            values["company_name"] = self.company_name
        return values


@dataclass(frozen=True)
class PartnerDraft:
    """The customer as an Odoo ``res.partner``; ``external_id`` is the Shopify customer id."""

    external_id: str | None  # None for a guest checkout
    name: str
    email: str | None
    phone: str | None
    address: ContactDraft | None  # default address (customer) or billing address (guest)
    is_guest: bool = False
    updated_at: datetime | None = None


@dataclass(frozen=True)
class OdooLineDraft:
    """One ``sale.order.line``. A Shopify line item maps to one or two of these (see orders.py)."""

    kind: LineKind
    product_id: int
    name: str
    quantity: int
    price_unit: Decimal
    tax_ids: tuple[int, ...]
    shopify_line_id: str | None  # line item id, or shipping line id/code, for traceability
    sku: str | None = None

    @property
    def subtotal(self) -> Decimal:
        return self.price_unit * self.quantity

    def odoo_values(self, *, odoo_major: int) -> dict[str, Any]:
        """``sale.order.line`` values; Odoo 19 renamed ``tax_id`` to ``tax_ids`` (API-NOTES G/I)."""
        tax_field = "tax_ids" if odoo_major >= 19 else "tax_id"
        return {
            "product_id": self.product_id,
            "name": self.name,
            "product_uom_qty": self.quantity,
            "price_unit": str(self.price_unit),
            tax_field: [(6, 0, list(self.tax_ids))],
        }


@dataclass(frozen=True)
class ExpectedTotals:
    """What Odoo will compute for the draft's lines, next to what Shopify charged (shop currency)."""

    amount_untaxed: Decimal
    amount_tax: Decimal
    amount_total: Decimal
    tax_by_id: tuple[tuple[int, Decimal], ...]  # account.tax id -> amount, sorted by id
    shopify_total: Decimal
    shopify_tax: Decimal

    @property
    def total_difference(self) -> Decimal:
        return self.amount_total - self.shopify_total

    @property
    def tax_difference(self) -> Decimal:
        return self.amount_tax - self.shopify_tax

    @property
    def matches(self) -> bool:
        return self.total_difference == 0 and self.tax_difference == 0


@dataclass(frozen=True)
class OdooOrderDraft:
    shop_domain: str
    mapping_version: int
    shopify_order_id: str
    client_order_ref: str  # str(Shopify order id): the natural key in Odoo
    origin: str  # Shopify order name, e.g. "#1001"
    customer: PartnerDraft  # the Shopify customer, or a guest partner built from the billing address
    invoice_contact: ContactDraft | None
    delivery_contact: ContactDraft | None
    email: str | None
    note: str
    currency: str
    company_id: int | None
    pricelist_id: int | None
    carrier_id: int | None
    lines: tuple[OdooLineDraft, ...]
    expected_totals: ExpectedTotals
    taxes_included: bool
    financial_status: str
    confirm: bool
    cancelled: bool
    created_at: datetime | None
    updated_at: datetime | None
    payment_gateways: tuple[str, ...]
    tags: tuple[str, ...] = field(default=())
    # (tax key, Odoo tax id, Shopify rate) of every mapped tax the order uses, for the flow's check that
    # each Odoo tax has the order's treatment and rate (sync/flows/taxes.py)
    taxes_used: tuple[tuple[str, int, Decimal], ...] = field(default=())
    # Shopify's processed_at (else created_at): when the sale happened, for Odoo's date_order
    processed_at: datetime | None = None

    def odoo_values(self) -> dict[str, Any]:
        """``sale.order`` header values the transform can decide (partners are resolved by the flow)."""
        values: dict[str, Any] = {
            "client_order_ref": self.client_order_ref,
            "origin": self.origin,
            "note": self.note or False,
        }
        if self.company_id is not None:
            values["company_id"] = self.company_id
        if self.pricelist_id is not None:
            values["pricelist_id"] = self.pricelist_id
        return values


@dataclass(frozen=True)
class LineQuantity:
    """A Shopify line item's quantities as an orders/updated payload states them."""

    shopify_line_id: str
    sku: str | None
    ordered: int  # ``quantity``: what the order was created with
    current: int  # ``current_quantity``: after edits and refunds
    refunded: int  # quantity in the payload's refund_line_items (handled by the refund flow)

    @property
    def target(self) -> int:
        """What the Odoo order should hold: edits change the order, refunds become credit notes."""
        return max(self.current + self.refunded, 0)

    @property
    def changed(self) -> bool:
        return self.target != self.ordered

    @property
    def removed(self) -> bool:
        return self.target == 0 and self.ordered > 0


@dataclass(frozen=True)
class OdooOrderUpdate:
    shopify_order_id: str
    client_order_ref: str
    updated_at: datetime | None
    email: str | None
    note: str
    invoice_contact: ContactDraft | None
    delivery_contact: ContactDraft | None
    financial_status: str
    confirm: bool
    cancelled: bool
    cancelled_at: datetime | None
    quantities: tuple[LineQuantity, ...]

    @property
    def changed_lines(self) -> tuple[LineQuantity, ...]:
        return tuple(q for q in self.quantities if q.changed)

    @property
    def removed_lines(self) -> tuple[LineQuantity, ...]:
        return tuple(q for q in self.quantities if q.removed)
