"""Shopify refunds -> what an Odoo credit note must hold, exact to the cent. Pure: no I/O.

A refund (``refunds/create``) says which line items were refunded (quantity, the refunded ``subtotal`` and
``total_tax``, and ``restock_type``), which order adjustments go with it (``shipping_refund``: the shipping
given back, ``refund_discrepancy``: the difference between what the items are worth and what the merchant
chose to give back) and which transactions moved the money (``kind: refund``). What the customer got back
is the sum of the successful refund transactions; that is the total the Odoo credit note must have.

The credit note is made by Odoo's reversal wizard (a copy of the invoice's lines, linked to the sale order
lines), then cut down to what was refunded (:func:`plan_credit_note`): the lines of a refunded product keep
the refunded quantity, chosen among the invoice's lines of that product so that ``price_unit * quantity``
adds up to Shopify's refunded subtotal (an order line may have been booked as two Odoo lines a cent apart,
see transforms/orders.py); the shipping line keeps the shipping refunded; a refund discrepancy is a
tax-free line of the shop's adjustment product; duties given back (the refund's ``duties`` /
``total_duties_set``) are a tax-free line of the shop's duties product, and a tip given back a tax-free line
of its tip product; every other line goes. Odoo's total is read back and compared with Shopify's by the flow.

Shopify has no field for a tip given back: a refund whose transactions give back more than its items,
shipping and duties are worth carries the excess as a ``refund_discrepancy`` order adjustment. On an order
that received a tip, such an excess, up to the part of the tip not given back yet, is the tip
(:func:`with_tip_given_back`); the rest stays a discrepancy.

Amounts in the "price basis" are what an Odoo ``price_unit`` holds: tax included when the order's taxes
are included in its prices, excluded otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from opsconsole.core.errors import BusinessRuleError
from sync.transforms.money import Tax, item_tax_rounded, shop_money, to_decimal
from sync.transforms.types import BundleRule, RoundingAdjustment, ShopMappings

ZERO = Decimal(0)
RESTOCK_TYPES = ("no_restock", "cancel", "return", "legacy_restock")
#: How many allocations of refunded units to Odoo lines the search looks at before settling.
SEARCH_LIMIT = 20000


@dataclass(frozen=True)
class RefundTransaction:
    id: str
    gid: str
    kind: str
    status: str
    gateway: str
    amount: Decimal
    currency: str

    @property
    def succeeded(self) -> bool:
        return self.kind == "refund" and self.status == "success"


@dataclass(frozen=True)
class RefundedLine:
    line_item_id: str
    sku: str | None
    product_id: int
    quantity: int
    subtotal: Decimal  # Shopify's refunded subtotal (after discounts; tax included when the order's is)
    tax: Decimal  # Shopify's refunded tax
    restock_type: str
    location_id: str | None = None

    def gross(self, *, taxes_included: bool) -> Decimal:
        return self.subtotal if taxes_included else self.subtotal + self.tax


@dataclass(frozen=True)
class RefundDraft:
    refund_id: str
    gid: str
    order_id: str
    note: str
    taxes_included: bool
    lines: tuple[RefundedLine, ...]
    shipping: Decimal  # shipping refunded, in the price basis
    shipping_tax: Decimal
    discrepancy: Decimal  # credited beyond the items and shipping (negative: less was given back)
    duties: Decimal  # duties given back (tax-free)
    additional_fees: Decimal
    transactions: tuple[RefundTransaction, ...]
    currency: str
    tip: Decimal = ZERO  # the part of the discrepancy that gives the order's tip back (with_tip_given_back)

    @property
    def reason(self) -> str:
        """The reversal reason: Odoo writes it into the credit note's ref, which is how a retry finds it."""
        return f"shopify refund {self.refund_id}"

    @property
    def total(self) -> Decimal:
        """What the customer got back: the successful refund transactions."""
        return sum((t.amount for t in self.transactions if t.succeeded), ZERO)

    @property
    def computed_total(self) -> Decimal:
        """What the refunded items, shipping and adjustments are worth (Shopify's own sum)."""
        items = sum((line.gross(taxes_included=self.taxes_included) for line in self.lines), ZERO)
        shipping = self.shipping if self.taxes_included else self.shipping + self.shipping_tax
        return items + shipping + self.duties + self.tip + self.discrepancy

    @property
    def moves_money(self) -> bool:
        return bool(self.lines and any(line.subtotal for line in self.lines)) or bool(
            self.shipping or self.discrepancy or self.duties or self.tip or self.total
        )

    def quantities(self, *restock_types: str) -> dict[int, int]:
        """Product id -> refunded quantity, for the given restock types (all when none given)."""
        out: dict[int, int] = {}
        for line in self.lines:
            if not restock_types or line.restock_type in restock_types:
                out[line.product_id] = out.get(line.product_id, 0) + line.quantity
        return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def refund_from_shopify(
    payload: Mapping[str, Any], mappings: ShopMappings, *, taxes_included: bool
) -> RefundDraft:
    """The refund as the flow needs it. A refunded SKU that is not mapped is ``unknown_sku`` (its order could
    not have been booked either)."""
    lines = []
    missing: list[str] = []
    for rli in payload.get("refund_line_items") or []:
        item = rli.get("line_item") or {}
        sku = _text(item.get("sku"))
        rule = mappings.bundles.get(sku) if sku is not None else None
        product_id: int | None
        if item.get("gift_card") or item.get("isGiftCard"):
            product_id = (
                mappings.gift_card_product_id
            )  # booked on the gift-card product (transforms/orders.py)
        elif isinstance(rule, BundleRule) and rule.mode == "kit":
            product_id = rule.product_id
        elif rule is not None:
            raise BusinessRuleError(
                f"refund {payload.get('id')}: bundle {sku!r} was booked as its components; Shopify "
                "refunded the bundle line, whose amount is not split over the components' invoice lines "
                "automatically. Make the credit note in Odoo, then resolve this job.",
                code="bundle_refund_by_hand",
                key=sku or "",
                details={"order_id": str(payload.get("order_id")), "refund_id": str(payload.get("id"))},
            )
        else:
            product_id = mappings.skus.get(sku or "")
        if product_id is None:
            missing.append(sku or str(item.get("name") or rli.get("line_item_id")))
            continue
        restock = str(rli.get("restock_type") or "no_restock")
        lines.append(
            RefundedLine(
                line_item_id=str(rli.get("line_item_id") or item.get("id")),
                sku=sku,
                product_id=product_id,
                quantity=int(rli.get("quantity") or 0),
                subtotal=shop_money(rli, "subtotal", default=ZERO),
                tax=shop_money(rli, "total_tax", default=ZERO),
                restock_type="return" if restock == "legacy_restock" else restock,
                location_id=str(rli["location_id"]) if rli.get("location_id") is not None else None,
            )
        )
    if missing:
        raise BusinessRuleError(
            f"refund {payload.get('id')}: SKU {missing[0]!r} is not mapped to an Odoo product",
            code="unknown_sku",
            key=missing[0],
            details={"order_id": str(payload.get("order_id")), "refund_id": str(payload.get("id"))},
        )
    shipping = shipping_tax = discrepancy = ZERO
    for adj in payload.get("order_adjustments") or []:
        amount = -shop_money(adj, "amount", default=ZERO)
        tax = -shop_money(adj, "tax_amount", default=ZERO)
        if adj.get("kind") == "shipping_refund":
            shipping += amount + tax if taxes_included else amount
            shipping_tax += tax
        else:  # refund_discrepancy, and any kind Shopify adds: money given back beyond the items
            discrepancy += amount + tax
    # Newer API versions state shipping refunds as refund_shipping_lines instead of adjustments.
    for rsl in payload.get("refund_shipping_lines") or []:
        sub = shop_money(rsl, "subtotal_amount", default=ZERO)
        tax = shop_money(rsl, "tax_amount", default=ZERO)
        shipping += sub + tax if taxes_included else sub
        shipping_tax += tax
    transactions = tuple(
        RefundTransaction(
            id=str(t.get("id")),
            gid=str(t.get("admin_graphql_api_id") or f"gid://shopify/OrderTransaction/{t.get('id')}"),
            kind=str(t.get("kind") or ""),
            status=str(t.get("status") or ""),
            gateway=str(t.get("gateway") or ""),
            amount=to_decimal(t.get("amount") or "0", what="transactions.amount"),
            currency=str(t.get("currency") or ""),
        )
        for t in payload.get("transactions") or []
    )
    return RefundDraft(
        refund_id=str(payload.get("id")),
        gid=str(payload.get("admin_graphql_api_id") or f"gid://shopify/Refund/{payload.get('id')}"),
        order_id=str(payload.get("order_id")),
        note=str(payload.get("note") or ""),
        taxes_included=taxes_included,
        lines=tuple(lines),
        shipping=shipping,
        shipping_tax=shipping_tax,
        discrepancy=discrepancy,
        duties=_duties(payload),
        additional_fees=shop_money(payload, "total_additional_fees", default=ZERO),
        transactions=transactions,
        currency=mappings.currency,
    )


def _duties(payload: Mapping[str, Any]) -> Decimal:
    """Duties the refund gives back: ``total_duties_set``, else the sum of its ``duties[].amount_set``."""
    bag = payload.get("total_duties_set")
    if isinstance(bag, Mapping) or payload.get("total_duties") is not None:
        return shop_money(payload, "total_duties", default=ZERO)
    return sum((shop_money(d, "amount", default=ZERO) for d in payload.get("duties") or []), ZERO)


def with_tip_given_back(draft: RefundDraft, tip_left: Decimal) -> RefundDraft:
    """The refund with the part of its discrepancy that gives the order's tip back moved to ``tip``: money
    given back beyond the items, shipping and duties, up to ``tip_left`` (the order's tip less what earlier
    refunds gave back of it). Unchanged when nothing was given beyond them or the order has no tip left."""
    if draft.discrepancy <= 0 or tip_left <= 0:
        return draft
    tip = min(draft.discrepancy, tip_left)
    return replace(draft, tip=tip, discrepancy=draft.discrepancy - tip)


# --- the credit note --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteLine:
    """A line of the draft credit note as Odoo has it (a copy of an invoice line)."""

    id: int
    product_id: int | None
    quantity: Decimal
    price_unit: Decimal
    tax_ids: tuple[int, ...] = ()
    display_type: str = "product"


@dataclass(frozen=True)
class NewLine:
    product_id: int
    name: str
    quantity: Decimal
    price_unit: Decimal
    tax_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CreditNotePlan:
    keep: dict[int, tuple[Decimal, Decimal]]  # line id -> (quantity, price_unit)
    remove: tuple[int, ...]
    add: tuple[NewLine, ...]
    expected_total: Decimal  # what Odoo should compute for the plan
    problems: tuple[str, ...] = field(default=())  # what could not be matched (the difference names it)


def _line_tax(base: Decimal, tax_ids: Sequence[int], rates: Mapping[int, Decimal], included: bool) -> Decimal:
    taxes = [Tax(t, rates[t]) for t in tax_ids if t in rates]
    return sum(item_tax_rounded(base, taxes, included=included, q=Decimal("0.01")), ZERO)


def _allocations(lines: Sequence[NoteLine], quantity: Decimal, amount: Decimal) -> list[dict[int, Decimal]]:
    """Every way (up to SEARCH_LIMIT tries) to take ``quantity`` units from ``lines`` whose
    ``price_unit * quantity`` adds up to ``amount``."""
    found: list[dict[int, Decimal]] = []
    tries = 0

    def walk(i: int, left: Decimal, rest: Decimal, chosen: dict[int, Decimal]) -> None:
        nonlocal tries
        tries += 1
        if tries > SEARCH_LIMIT or len(found) >= 50:
            return
        if left == 0:
            if rest == 0:
                found.append(dict(chosen))
            return
        if i >= len(lines):
            return
        line = lines[i]
        top = min(line.quantity, left)
        take = top
        while take >= 0:
            if take:
                chosen[line.id] = take
            else:
                chosen.pop(line.id, None)
            walk(i + 1, left - take, rest - take * line.price_unit, chosen)
            take -= 1
        chosen.pop(line.id, None)

    walk(0, quantity, amount, {})
    return found


def _fallback(lines: Sequence[NoteLine], quantity: Decimal) -> dict[int, Decimal]:
    """Units from the last lines first (as an order edit takes them back)."""
    out: dict[int, Decimal] = {}
    left = quantity
    for line in reversed(lines):
        take = min(line.quantity, left)
        if take > 0:
            out[line.id] = take
            left -= take
    return out


def plan_credit_note(
    draft: RefundDraft,
    lines: Sequence[NoteLine],
    *,
    shipping_products: frozenset[int],
    adjustment_product_id: int | None,
    tax_rates: Mapping[int, Decimal],
    rounding: RoundingAdjustment | None = None,
    duties_product_id: int | None = None,
    tip_product_id: int | None = None,
    credited: Mapping[tuple[int, Decimal], Decimal] | None = None,
) -> CreditNotePlan:
    """The draft credit note's lines cut down to the refund. Where Odoo's per-line tax rounding of the
    refunded units still differs from Shopify's share of the line's tax by a few cents, the shop's
    finance-approved rounding rule (``ShopMappings.rounding_adjustment``), if any, books the difference as
    a tax-free line up to its limit; otherwise the difference stays for the flow to report.

    ``credited``: the units earlier credit notes of the same invoice took back, per (product, unit price).
    The draft repeats the whole invoice, so those units are taken off its lines (the first lines of that
    product and price first) before the refund's units are chosen: a line is never credited beyond what the
    invoice has left. Shopify rounds each refund's share of a line on its own, so the units left may not add
    up to a later refund's amount to the cent; that difference is the rounding rule's, or a problem."""
    taken = dict(credited or {})
    product_lines: list[NoteLine] = []
    for line in lines:
        if line.display_type != "product" or line.product_id in shipping_products:
            continue
        held = (line.product_id or 0, line.price_unit)
        gone = min(taken.get(held, ZERO), line.quantity)
        if gone:
            taken[held] -= gone
        if line.quantity - gone > 0:
            product_lines.append(replace(line, quantity=line.quantity - gone))
    shipping_lines = [
        line for line in lines if line.display_type == "product" and line.product_id in shipping_products
    ]
    keep: dict[int, tuple[Decimal, Decimal]] = {}
    problems: list[str] = []
    unsplit: list[str] = []  # Shopify's amount is not a sum of the units' prices: a rounding difference
    expected = ZERO
    included = draft.taxes_included

    def add_expected(base: Decimal, tax_ids: Sequence[int]) -> None:
        nonlocal expected
        expected += base if included else base + _line_tax(base, tax_ids, tax_rates, included)

    by_product: dict[int, list[RefundedLine]] = {}
    for refunded in draft.lines:
        by_product.setdefault(refunded.product_id, []).append(refunded)
    for product_id, refunded_lines in by_product.items():
        candidates = [line for line in product_lines if line.product_id == product_id]
        quantity = Decimal(sum(r.quantity for r in refunded_lines))
        amount = sum((r.subtotal for r in refunded_lines), ZERO)
        tax = sum((r.tax for r in refunded_lines), ZERO)
        if sum((c.quantity for c in candidates), ZERO) < quantity:
            problems.append(
                f"product {product_id}: {quantity} refunded, the invoice has fewer"
                + (" left after its earlier credit notes" if credited else "")
            )
            continue
        options = _allocations(candidates, quantity, amount)
        chosen: dict[int, Decimal] | None = None
        if options and not included:
            price = {c.id: c for c in candidates}
            for option in options:
                odoo_tax = sum(
                    (
                        _line_tax(q * price[i].price_unit, price[i].tax_ids, tax_rates, False)
                        for i, q in option.items()
                    ),
                    ZERO,
                )
                if odoo_tax == tax:
                    chosen = option
                    break
        if chosen is None:
            chosen = options[0] if options else _fallback(candidates, quantity)
            if not options:
                unsplit.append(f"product {product_id}: no split of the Odoo lines adds up to {amount}")
        for line_id, qty in chosen.items():
            line = next(c for c in candidates if c.id == line_id)
            keep[line_id] = (qty, line.price_unit)
            add_expected(qty * line.price_unit, line.tax_ids)
    add: list[NewLine] = []
    if draft.shipping:
        if shipping_lines:
            ship = shipping_lines[0]
            keep[ship.id] = (Decimal(1), draft.shipping)
            add_expected(draft.shipping, ship.tax_ids)
        else:
            problems.append(f"shipping {draft.shipping} refunded, the invoice has no shipping line")
    if draft.discrepancy:
        if adjustment_product_id is None:
            problems.append(
                f"refund discrepancy {draft.discrepancy}: no refund adjustment product is mapped for the shop"
            )
        else:
            add.append(
                NewLine(adjustment_product_id, "Shopify refund adjustment", Decimal(1), draft.discrepancy)
            )
            expected += draft.discrepancy
    given_back: tuple[tuple[Decimal, int | None, str, str], ...] = (
        (draft.duties, duties_product_id, "Duties", "duties_product_id"),
        (draft.tip, tip_product_id, "Tip", "tip_product_id"),
    )
    for amount, given_on, what, key in given_back:
        if not amount:
            continue
        if given_on is None:
            problems.append(f"{what.lower()} given back {amount}: no product is mapped (SHOP row key {key})")
            continue
        add.append(NewLine(given_on, f"{what} given back (Shopify refund)", Decimal(1), amount))
        expected += amount
    target = draft.total if draft.transactions else draft.computed_total
    difference = target - expected
    if difference and not problems and rounding is not None and abs(difference) <= rounding.max_amount:
        add.append(NewLine(rounding.product_id, "Rounding (Shopify refund)", Decimal(1), difference))
        expected += difference
    elif unsplit:
        problems.extend(unsplit)
    remove = tuple(line.id for line in lines if line.id not in keep)
    return CreditNotePlan(
        keep=keep, remove=remove, add=tuple(add), expected_total=expected, problems=tuple(problems)
    )
