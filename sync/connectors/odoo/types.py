"""Typed inputs and results of the Odoo connector. Money and quantities are Decimals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Whoami:
    uid: int
    login: str
    db: str
    version: str
    lang: str = ""
    tz: str = ""


@dataclass(frozen=True)
class Address:
    name: str = ""
    email: str = ""
    phone: str = ""
    street: str = ""
    street2: str = ""
    zip: str = ""
    city: str = ""
    country_code: str = ""  # ISO 3166-1 alpha-2
    state_code: str = ""  # Odoo res.country.state code within the country


@dataclass(frozen=True)
class PartnerInput:
    external_id: str  # e.g. "shopify_customer_7390"; stored as ir.model.data <module>.<external_id>
    address: Address
    invoice_address: Address | None = None
    delivery_address: Address | None = None
    is_company: bool = False
    lang: str = ""
    # The Odoo company the partner (and its contacts) belongs to, as res.partner.company_id; only a partner
    # of that company is adopted by e-mail. None: a partner shared by every company (Odoo's default), and
    # only a shared one is adopted.
    company_id: int | None = None


@dataclass(frozen=True)
class PartnerRef:
    partner_id: int
    invoice_id: int
    delivery_id: int
    created: bool


@dataclass(frozen=True)
class ProductInfo:
    id: int
    sku: str
    name: str
    barcode: str
    list_price: Decimal
    type: str
    storable: bool
    active: bool
    template_id: int | None = None
    uom_id: int | None = None


@dataclass(frozen=True)
class ProductFacts:
    """What booking needs to know about a product it was mapped to: its type (``service`` for a gift card),
    list price (a bundle's price split), invoicing policy, and the income account its invoice lines go to
    (the product's own, else its category's; ``income_account_type`` is ``account.account.account_type``,
    e.g. ``liability_current`` for a gift-card liability)."""

    id: int
    name: str
    type: str
    list_price: Decimal
    invoice_policy: str
    active: bool
    income_account_id: int | None
    income_account_code: str
    income_account_type: str


@dataclass(frozen=True)
class OrderLineInput:
    product_id: int | None
    quantity: Decimal
    price_unit: Decimal | None = None
    discount: Decimal = Decimal("0")  # percent
    name: str = ""
    tax_ids: tuple[int, ...] | None = None  # None: Odoo's product taxes
    display_type: str = ""  # "line_section" / "line_note" for text lines


@dataclass(frozen=True)
class OrderInput:
    partner_id: int
    client_order_ref: str  # the idempotency key, e.g. "shopify:5940139491234"
    lines: tuple[OrderLineInput, ...]
    partner_invoice_id: int | None = None
    partner_shipping_id: int | None = None
    origin: str = ""
    note: str = ""
    name: str = ""  # explicit order name (kept by Odoo); default: Odoo's sequence
    pricelist_id: int | None = None
    warehouse_id: int | None = None
    carrier_id: int | None = None
    company_id: int | None = None
    date_order: str | None = None  # "YYYY-MM-DD HH:MM:SS" UTC; Odoo overwrites it on confirmation


@dataclass(frozen=True)
class OrderRef:
    id: int
    name: str
    state: str
    created: bool


@dataclass(frozen=True)
class JournalLine:
    account_id: int
    name: str
    debit: Decimal = Decimal("0")
    credit: Decimal = Decimal("0")


@dataclass(frozen=True)
class JournalEntryInput:
    """A miscellaneous entry (``move_type`` "entry"); ``ref`` is its idempotency key."""

    ref: str
    journal_id: int
    date: str  # YYYY-MM-DD
    lines: tuple[JournalLine, ...]
    currency_id: int | None = None


@dataclass(frozen=True)
class JournalEntryRef:
    id: int
    name: str
    state: str
    created: bool
    amount_total: Decimal = Decimal("0")


@dataclass(frozen=True)
class StatementLine:
    id: int
    date: str
    amount: Decimal
    payment_ref: str
    journal: str
    is_reconciled: bool


@dataclass(frozen=True)
class SaleOrderSummary:
    """A sale order as reconciliation reads it: its reference (the Shopify order id), state and total."""

    id: int
    name: str
    client_order_ref: str
    state: str  # draft | sent | sale | cancel
    amount_total: Decimal
    currency: str
    create_date: str  # Odoo's UTC text, "YYYY-MM-DD HH:MM:SS"


@dataclass(frozen=True)
class OrderUpdate:
    partner_invoice_id: int | None = None
    partner_shipping_id: int | None = None
    note: str | None = None
    client_order_ref: str | None = None
    origin: str | None = None
    carrier_id: int | None = None
    date_order: str | None = None  # "YYYY-MM-DD HH:MM:SS" UTC
    add_lines: tuple[OrderLineInput, ...] = ()
    set_quantities: dict[int, Decimal] = field(default_factory=dict)  # line id -> new quantity
    set_prices: dict[int, Decimal] = field(default_factory=dict)  # line id -> new unit price
    remove_line_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class OrderLineInfo:
    id: int
    product_id: int | None
    sku: str
    name: str
    quantity: Decimal
    price_unit: Decimal
    discount: Decimal
    tax_ids: list[int]
    qty_delivered: Decimal
    price_subtotal: Decimal
    price_total: Decimal
    display_type: str


@dataclass(frozen=True)
class OrderInfo:
    id: int
    name: str
    state: str
    locked: bool
    client_order_ref: str
    origin: str
    partner_id: int | None
    partner_invoice_id: int | None
    partner_shipping_id: int | None
    amount_untaxed: Decimal
    amount_tax: Decimal
    amount_total: Decimal
    currency: str
    picking_ids: list[int]
    note: str
    date_order: str
    lines: list[OrderLineInfo]
    invoice_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class MoveInfo:
    id: int
    product_id: int | None
    sku: str
    product_name: str
    demand: Decimal
    quantity: Decimal
    state: str
    sale_line_id: int | None


@dataclass(frozen=True)
class PickingInfo:
    id: int
    name: str
    origin: str
    state: str
    carrier: str
    tracking_ref: str
    date_done: str
    backorder_of: int | None
    location_id: int | None
    moves: list[MoveInfo]
    return_of: int | None = None  # the delivery this picking returns (``return_id``)
    location_dest_id: int | None = None


@dataclass(frozen=True)
class LocationInfo:
    id: int
    complete_name: str
    name: str
    parent_id: int | None


@dataclass(frozen=True)
class StockLevel:
    quant_id: int
    product_id: int
    sku: str
    location_id: int
    location: str
    quantity: Decimal
    reserved: Decimal
    available: Decimal
    write_date: str


@dataclass(frozen=True)
class CatalogueVariant:
    id: int
    sku: str
    barcode: str
    price: Decimal  # lst_price: the list price with the variant's extra
    active: bool
    options: tuple[tuple[str, str], ...]  # (attribute, value), in the template's attribute order


@dataclass(frozen=True)
class CatalogueProduct:
    """A product template as the catalogue flow pushes it (Odoo owns these fields)."""

    id: int
    name: str
    description: str
    active: bool
    variants: tuple[CatalogueVariant, ...]


@dataclass(frozen=True)
class QuantInfo:
    """One quant: a product's quantity and reservation at one location (Odoo's unit of measure)."""

    id: int
    product_id: int
    location_id: int
    quantity: Decimal
    reserved: Decimal


@dataclass(frozen=True)
class ChangedRecord:
    """One record read by a change poll: its id, ``write_date`` as Odoo returns it (UTC, to the second) and
    the fields asked for, as Odoo returned them (many2one as ``[id, name]``, False for empty)."""

    id: int
    write_date: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class StockCursor:
    """Where a stock poll stopped: the newest ``write_date`` seen, and what was seen at that second."""

    write_date: str = ""
    seen: tuple[tuple[int, str], ...] = ()  # (quant id, quantity fingerprint) written at ``write_date``

    def to_string(self) -> str:
        return self.write_date + "|" + ",".join(f"{qid}={fp}" for qid, fp in self.seen)

    @classmethod
    def from_string(cls, text: str) -> StockCursor:
        if not text:
            return cls()
        write_date, _, rest = text.partition("|")
        seen = []
        for item in filter(None, rest.split(",")):
            qid, _, fp = item.partition("=")
            seen.append((int(qid), fp))
        return cls(write_date=write_date, seen=tuple(seen))


@dataclass(frozen=True)
class StockPage:
    levels: list[StockLevel]
    cursor: StockCursor
    has_more: bool


@dataclass(frozen=True)
class CreditNoteLine:
    quantity: Decimal
    price_unit: Decimal
    product_id: int | None = None
    name: str = ""
    tax_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class CreditNoteInput:
    partner_id: int
    ref: str  # the idempotency key, e.g. "shopify-refund:929361472"
    lines: tuple[CreditNoteLine, ...]
    invoice_origin: str = ""  # the order name
    invoice_date: str | None = None
    journal_id: int | None = None


@dataclass(frozen=True)
class InvoiceInfo:
    id: int
    name: str
    move_type: str
    state: str
    payment_state: str
    amount_total: Decimal
    amount_residual: Decimal
    currency: str
    invoice_origin: str
    ref: str
    partner_id: int | None
    amount_untaxed: Decimal = Decimal("0")
    amount_tax: Decimal = Decimal("0")
    reversed_entry_id: int | None = None
    matched_payment_ids: tuple[int, ...] = ()  # Odoo 18+: the payments linked to the invoice


@dataclass(frozen=True)
class MoveLineInfo:
    """A line of an invoice or credit note (``invoice_line_ids``)."""

    id: int
    product_id: int | None
    name: str
    quantity: Decimal
    price_unit: Decimal
    tax_ids: tuple[int, ...]
    display_type: str
    price_subtotal: Decimal
    price_total: Decimal
    sale_line_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class MoveLineEdit:
    """Changes to a draft invoice or credit note: kept lines with a new quantity and unit price, removed
    lines, and new lines."""

    keep: dict[int, tuple[Decimal, Decimal]] = field(
        default_factory=dict
    )  # line id -> (quantity, price_unit)
    remove: tuple[int, ...] = ()
    add: tuple[CreditNoteLine, ...] = ()


@dataclass(frozen=True)
class PaymentInfo:
    id: int
    name: str
    amount: Decimal
    state: str
    date: str
    journal: str
    partner_id: int | None
    payment_type: str
    currency: str
    memo: str
    is_reconciled: bool = False  # reconciled with what it pays (the invoice)
    is_matched: bool = False  # matched with a bank statement line
    invoice_ids: tuple[int, ...] = ()  # the invoices it is reconciled with


@dataclass(frozen=True)
class OrderTotals:
    """A sale order as created (or found) with Odoo's own computation of its amounts."""

    id: int
    name: str
    state: str
    created: bool
    amount_untaxed: Decimal
    amount_tax: Decimal
    amount_total: Decimal
    currency: str


@dataclass(frozen=True)
class PaymentInput:
    invoice_id: int
    memo: str  # the idempotency key, e.g. "shopify gid://shopify/OrderTransaction/1"
    amount: Decimal | None = None  # None: what is left to pay
    journal_id: int | None = None  # None: Odoo's default bank journal of the invoice's company
    payment_date: str | None = None  # "YYYY-MM-DD"; None: today
    payment_method_line_id: int | None = None
    currency: str | None = (
        None  # ISO code of the amount; None: the wizard's default (journal's, else invoice's)
    )


@dataclass(frozen=True)
class PayoutInput:
    """Money paid back to a customer without a credit note: an outbound customer payment, matched against
    the open receivable credit of the payments that overpaid (``against``, payment ids)."""

    partner_id: int
    memo: str  # the idempotency key, e.g. the refund transaction's gid
    amount: Decimal
    journal_id: int
    against: tuple[int, ...] = ()
    payment_date: str | None = None  # "YYYY-MM-DD"; None: today
    payment_type: str = "outbound"  # "inbound": money received that no invoice is left to take
    currency: str | None = None  # ISO code of the amount; None: the journal's, else the company's


@dataclass(frozen=True)
class ReversalInput:
    invoice_id: int
    reason: str  # the idempotency key: Odoo writes it into the credit note's ref ("Reversal of: X, <reason>")
    date: str | None = None
    journal_id: int | None = None
    post: bool = True


@dataclass(frozen=True)
class ReturnInput:
    picking_id: int  # a done delivery
    quantities: dict[int, Decimal]  # product id -> quantity to take back
    key: str  # the idempotency key, kept on the return's origin ("Return of WH/OUT/00001 [<key>]")


@dataclass(frozen=True)
class ReturnResult:
    picking_id: int
    name: str
    state: str
    created: bool


@dataclass(frozen=True)
class PickingValidation:
    picking_id: int
    state: str
    backorder_ids: tuple[int, ...]
    already_done: bool  # Odoo answers True without doing anything on a done transfer


@dataclass(frozen=True)
class CompanyTaxSettings:
    company_id: int
    name: str
    currency: str
    rounding_method: str  # "round_per_line" / "round_globally"
    price_include_default: str  # 18+: "tax_included" / "tax_excluded"; "" on 17 (no company default)


@dataclass(frozen=True)
class TaxInfo:
    id: int
    name: str
    amount: Decimal
    amount_type: str
    type_tax_use: str
    price_include: bool  # as Odoo computes it (18+: from price_include_override or the company default)
    price_include_override: str  # 18+: "tax_included" / "tax_excluded" / "" (company default); "" on 17
    company_id: int | None
    active: bool


@dataclass(frozen=True)
class RecordChoice:
    """An Odoo record a person can pick for a mapping (product, sale tax, carrier, journal)."""

    kind: str  # "product" / "tax" / "carrier" / "journal"
    id: int
    name: str
    code: str = ""  # product: internal reference (SKU); journal: short code
    barcode: str = ""
    company_id: int | None = None  # None: shared by every company
    company: str = ""
    amount: Decimal | None = None  # tax: the rate (percent) or fixed amount
    amount_type: str = ""
    price_include: bool | None = None  # tax: as Odoo computes it
    price_include_override: str = ""  # tax, 18+: "tax_included" / "tax_excluded" / "" (company default)
    price_include_from_company: bool = False  # tax, 18+: no override, so the company's default applies
    journal_type: str = ""  # journal: bank / cash / sale
    product_id: int | None = None  # carrier: its delivery product
    active: bool = True
