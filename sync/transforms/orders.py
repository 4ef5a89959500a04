"""Shopify orders -> Odoo ``sale.order`` drafts, exact to the cent.

Representation of discounts
---------------------------
Shopify allocates every discount to line items (``discount_allocations``) and shipping lines. We fold a
line item's allocations into its unit price: the item's net amount ``N = price * quantity - allocations``
is booked as at most two Odoo lines of the same product whose unit prices have the currency's decimals
and whose ``price_unit * quantity`` add up to ``N`` exactly. With ``N`` in cents, ``u, k = divmod(N, q)``:

- ``k == 0``: one line, ``q`` units at ``u``;
- else, preferred: ``q - k`` units at ``u`` and ``k`` units at ``u + 0.01`` (unit prices one cent apart,
  so a later return of any unit is refunded at almost the same price);
- alternatives: ``q - 1`` units at ``a`` and 1 unit at ``N - (q - 1) * a`` for ``a`` near ``u``.

Why not Odoo's ``discount`` (%) field: it has 2 decimals, so ``allocation / (price * q)`` is rarely
representable and Odoo would book a total a few cents off. Why not a negative discount-product line: it
must carry the tax mix of the lines it discounts (one line per tax combination), it is rounded separately
from them (so per-line tax rounding drifts from Shopify's), and returns of a single unit lose the discount.

Taxes: each Shopify ``tax_lines`` entry maps to an Odoo tax by ``tax_key(title, rate)`` in the table of
the order's treatment (``taxes_included``: ``ShopMappings.taxes_for``), so that a tax-included order is
booked with a tax-included Odoo tax (the flow checks Odoo agrees before writing). With the Odoo
company on ``round_per_line``, splitting a line in two changes how its tax is rounded, so among the exact
candidate splits we pick the first (preferred first) whose Odoo tax, computed as Odoo would, equals the
tax Shopify charged on that line. Then the whole order is computed the Odoo way (``money.odoo_totals``)
and compared with Shopify's ``total_price`` and ``total_tax``; any difference parks the order as
``total_mismatch`` (or, if finance configured ``ShopMappings.rounding_adjustment``, books a tax-free
rounding line up to its limit).

Payment gateways are not needed to book a sale order; ``payment_journals`` maps them for the payment
and reconciliation flows and raises ``unknown_gateway`` there, so an unmapped gateway never blocks the
order itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from opsconsole.core.errors import BusinessRuleError, ContractError
from sync.transforms.bundles import balance_taxes, component_weights, split_amount
from sync.transforms.money import (
    OdooTotals,
    Tax,
    TaxedBase,
    currency_decimals,
    item_tax_rounded,
    odoo_totals,
    quantum,
    shop_money,
    tax_key,
    to_decimal,
)
from sync.transforms.partners import address_to_contact, order_partner
from sync.transforms.timestamps import parse_shopify_timestamp
from sync.transforms.types import (
    BundleRule,
    ExpectedTotals,
    LineKind,
    LineQuantity,
    OdooLineDraft,
    OdooOrderDraft,
    OdooOrderUpdate,
    ShippingTarget,
    ShopMappings,
)

# How far from the even unit price the alternative two-line splits look (in currency quanta).
SPLIT_SEARCH_WINDOW = 10
# Order in which a blocking mapping problem is raised (all of them are listed in ``details``).
MISSING_ORDER = (
    "unknown_sku",
    "missing_sku",
    "gift_card_not_mapped",
    "bundle_rule_invalid",
    "unknown_tax",
    "unknown_shipping_method",
    "tip_not_mapped",
    "duties_not_mapped",
)


def unwrap_order(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """Accept the webhook body (the order itself) or the REST wrapper ``{"order": {...}}``."""
    inner = payload.get("order")
    if isinstance(inner, Mapping) and "id" not in payload:
        return inner
    return payload


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def render_note(order: Mapping[str, Any]) -> str:
    """The order note, then one ``name: value`` line per note attribute."""
    parts = []
    note = _text(order.get("note"))
    if note:
        parts.append(note)
    attributes = [
        f"{_text(a.get('name')) or '?'}: {_text(a.get('value')) or ''}".rstrip()
        for a in order.get("note_attributes") or []
        if isinstance(a, Mapping)
    ]
    if attributes:
        parts.append("\n".join(attributes))
    tip = order_tip(order)
    if tip:
        parts.append(f"Tip received: {tip} {_text(order.get('currency')) or ''}".rstrip())
    duties = order_duties(order)
    if duties:
        parts.append(f"Duties charged: {duties} {_text(order.get('currency')) or ''}".rstrip())
    return "\n\n".join(parts)


def order_tip(order: Mapping[str, Any]) -> Decimal:
    """The tip the order received (REST ``total_tip_received`` / ``total_tip_received_set``; GraphQL
    ``totalTipReceivedSet`` in the REST shape our connector reads), in shop money; 0 when none. Shopify counts
    it in ``total_price`` but on no line item or shipping line."""
    return shop_money(order, "total_tip_received", default=Decimal(0))


def order_duties(order: Mapping[str, Any]) -> Decimal:
    """The import duties Shopify charged on the order at checkout, in shop money; 0 when none. REST
    ``original_total_duties_set`` (GraphQL ``originalTotalDutiesSet``; null without duties); an order that
    states no total has them summed from its line items' ``duties`` (each with ``shop_money``, or
    ``price_set`` as some webhook bodies carry it). Counted in ``total_price`` (``duties_included`` false:
    on top of the prices), on no line's price."""
    bag = order.get("original_total_duties_set")
    if isinstance(bag, Mapping):
        return shop_money(order, "original_total_duties", default=Decimal(0))
    total = Decimal(0)
    for li in order.get("line_items") or []:
        for duty in li.get("duties") or []:
            if isinstance(duty.get("shop_money"), Mapping):
                total += to_decimal(duty["shop_money"].get("amount") or "0", what="duties.shop_money.amount")
            else:
                total += shop_money(duty, "price", default=Decimal(0))
    return total


def should_confirm(order: Mapping[str, Any], mappings: ShopMappings) -> bool:
    return order.get("cancelled_at") is None and (order.get("financial_status") or "") in mappings.confirm_on


def payment_journals(payload: Mapping[str, Any], mappings: ShopMappings) -> dict[str, int]:
    """Gateway name -> ``account.journal`` id for the order's ``payment_gateway_names``.

    For the payment / reconciliation flows only: raises ``unknown_gateway`` (first unmapped gateway
    in sorted order; all of them in ``details["missing"]``).
    """
    order = unwrap_order(payload)
    names = [n for n in (order.get("payment_gateway_names") or []) if _text(n)]
    missing = sorted({n for n in names if n not in mappings.gateways})
    if missing:
        raise BusinessRuleError(
            f"no Odoo journal mapped for payment gateway {missing[0]!r}",
            code="unknown_gateway",
            key=missing[0],
            details={"order_id": str(order.get("id")), "missing": {"unknown_gateway": missing}},
        )
    return {n: mappings.gateways[n] for n in names}


# --- line items ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """A Shopify line item or shipping line reduced to what the Odoo lines need."""

    kind: LineKind
    ref: str
    sku: str | None
    product_id: int
    name: str
    quantity: int
    net: Decimal  # after discounts, shop money
    taxes: tuple[Tax, ...]
    shopify_taxes: tuple[Decimal, ...]  # Shopify's tax amount per entry of ``taxes``
    tax_keys: tuple[str, ...]


def _tax_entries(
    tax_lines: Sequence[Mapping[str, Any]], table: Mapping[str, int], missing: set[str]
) -> tuple[tuple[Tax, ...], tuple[Decimal, ...], tuple[str, ...]]:
    """``table``: the tax mapping of the order's treatment (``ShopMappings.taxes_for``)."""
    merged: dict[str, tuple[Decimal, Decimal]] = {}
    for tl in tax_lines:
        if tl.get("channel_liable"):
            continue  # collected and remitted by the sales channel, not by the merchant
        rate = to_decimal(tl.get("rate", 0), what="tax_lines.rate")
        amount = shop_money(tl, "price", default=Decimal(0))
        key = tax_key(str(tl.get("title") or ""), rate)
        if key not in table:
            if rate == 0 and amount == 0:
                continue  # a 0 % line changes nothing; book it only when it is mapped
            missing.add(key)
            continue
        merged[key] = (rate, merged.get(key, (rate, Decimal(0)))[1] + amount)
    keys = tuple(merged)
    taxes = tuple(Tax(table[k], merged[k][0]) for k in keys)
    return taxes, tuple(merged[k][1] for k in keys), keys


def _discount_label(order: Mapping[str, Any], allocations: Sequence[Mapping[str, Any]]) -> str:
    applications = order.get("discount_applications") or []
    labels: list[str] = []
    for allocation in allocations:
        index = allocation.get("discount_application_index")
        if isinstance(index, int) and 0 <= index < len(applications):
            app = applications[index]
            label = _text(app.get("code")) or _text(app.get("title")) or _text(app.get("description"))
            if label and label not in labels:
                labels.append(label)
    return ", ".join(labels)


def _allocated(allocations: Sequence[Mapping[str, Any]]) -> Decimal:
    return sum((shop_money(a, "amount", default=Decimal(0)) for a in allocations), Decimal(0))


def is_gift_card(line_item: Mapping[str, Any]) -> bool:
    """A gift card sold as an order line: REST ``gift_card``, GraphQL ``isGiftCard`` (Admin API 2024-04+)."""
    return bool(line_item.get("gift_card") or line_item.get("isGiftCard"))


def _collect(order: Mapping[str, Any], mappings: ShopMappings, *, whole_order: bool = True) -> list[_Item]:
    """The order's items; ``whole_order`` False: its line items only (some lines priced for an edit), without
    the order's tip and duties."""
    missing: dict[str, set[str]] = {code: set() for code in MISSING_ORDER}
    reasons: dict[str, str] = {}  # bundle SKU -> why its rule cannot be used
    items: list[_Item] = []
    tax_table = mappings.taxes_for(included=bool(order.get("taxes_included")))
    for li in order.get("line_items") or []:
        quantity = int(li.get("quantity") or 0)
        if quantity <= 0:
            continue
        title = _text(li.get("title")) or _text(li.get("name")) or f"line item {li.get('id')}"
        sku = _text(li.get("sku"))
        taxes, shopify_taxes, keys = _tax_entries(
            li.get("tax_lines") or [], tax_table, missing["unknown_tax"]
        )
        gift_card = is_gift_card(li)
        rule = mappings.bundles.get(sku) if sku is not None and not gift_card else None
        product_id: int | None
        if gift_card:
            # Not a stocked product: a liability to the card's holder, booked on the gift-card product.
            product_id = mappings.gift_card_product_id
            if product_id is None:
                missing["gift_card_not_mapped"].add("shop")
                continue
        elif isinstance(rule, str):
            missing["bundle_rule_invalid"].add(sku or "")
            reasons[sku or ""] = rule
            continue
        elif isinstance(rule, BundleRule):
            product_id = rule.product_id  # the kit; None for a bundle booked as its components
        elif sku is None:
            missing["missing_sku"].add(title)
            continue
        elif sku not in mappings.skus:
            missing["unknown_sku"].add(sku)
            continue
        else:
            product_id = mappings.skus[sku]
        allocations = li.get("discount_allocations") or []
        discount = _allocated(allocations)
        name = _text(li.get("name")) or " - ".join(p for p in (title, _text(li.get("variant_title"))) if p)
        if discount:
            label = _discount_label(order, allocations)
            name = f"{name} (discount -{discount}{': ' + label if label else ''})"
        item = _Item(
            kind="gift_card" if gift_card else "product",
            ref=str(li.get("id")),
            sku=sku,
            product_id=product_id or 0,
            name=name,
            quantity=quantity,
            net=shop_money(li, "price") * quantity - discount,
            taxes=taxes,
            shopify_taxes=shopify_taxes,
            tax_keys=keys,
        )
        if isinstance(rule, BundleRule) and rule.mode == "components":
            try:
                items.extend(_components(item, rule, order, mappings))
            except ValueError as exc:
                missing["bundle_rule_invalid"].add(sku or "")
                reasons[sku or ""] = str(exc)
            continue
        items.append(item)
    for sl in order.get("shipping_lines") or []:
        if sl.get("is_removed"):
            continue
        ship_code, ship_title = _text(sl.get("code")), _text(sl.get("title"))
        target: ShippingTarget | None = None
        for candidate in (ship_code, ship_title):
            if candidate is not None and candidate in mappings.shipping:
                target = mappings.shipping[candidate]
                break
        taxes, shopify_taxes, keys = _tax_entries(
            sl.get("tax_lines") or [], tax_table, missing["unknown_tax"]
        )
        if target is None:
            missing["unknown_shipping_method"].add(ship_code or ship_title or "?")
            continue
        allocations = sl.get("discount_allocations") or []
        price = shop_money(sl, "price")
        has_discounted = sl.get("discounted_price_set") is not None or sl.get("discounted_price") is not None
        net = shop_money(sl, "discounted_price") if has_discounted else price - _allocated(allocations)
        name = ship_title or ship_code or "Shipping"
        if net != price:
            label = _discount_label(order, allocations)
            name = f"{name} (discount -{price - net}{': ' + label if label else ''})"
        items.append(
            _Item(
                kind="delivery",
                ref=str(sl.get("id") if sl.get("id") is not None else ship_code or ship_title),
                sku=None,
                product_id=target.product_id,
                name=name,
                quantity=1,
                net=net,
                taxes=taxes,
                shopify_taxes=shopify_taxes,
                tax_keys=keys,
            )
        )
    # A tip is not revenue from goods and untaxed in Shopify (it carries no tax_lines); import duties are not
    # the merchant's revenue and carry none of the order's taxes (their own tax_lines, if any, are in
    # total_tax and would show as a tax difference). Each is one tax-free line on the shop's product for it,
    # so that Odoo books Shopify's total_price to the cent.
    extras: tuple[tuple[LineKind, str, Decimal, int | None], ...] = (
        ("tip", "Tip", order_tip(order), mappings.tip_product_id),
        ("duties", "Duties", order_duties(order), mappings.duties_product_id),
    )
    for kind, title, amount, product_id in extras if whole_order else ():
        if not amount:
            continue
        if product_id is None:
            missing[f"{kind}_not_mapped"].add("shop")
            continue
        items.append(
            _Item(
                kind=kind,
                ref=kind,
                sku=None,
                product_id=product_id,
                name=f"{title} (Shopify order {order.get('name') or order.get('id')})",
                quantity=1,
                net=amount,
                taxes=(),
                shopify_taxes=(),
                tax_keys=(),
            )
        )
    _raise_missing(order, missing, reasons)
    return items


def _components(
    item: _Item, rule: BundleRule, order: Mapping[str, Any], mappings: ShopMappings
) -> list[_Item]:
    """A bundle line item booked as its components (sync/transforms/bundles.py): the line's net amount split
    by the rule, the rounding remainder on the last component, each part carrying the line's taxes; parts
    moved by whole quanta where Odoo's per-line tax rounding would otherwise differ from Shopify's tax."""
    q = quantum(currency_decimals(mappings.currency, mappings.currency_decimals))
    included = bool(order.get("taxes_included"))
    net_units = item.net / q
    if net_units != net_units.to_integral_value():
        raise ContractError(f"line {item.ref}: amount {item.net} has more decimals than the currency")
    if net_units < 0:
        raise ContractError(f"line {item.ref}: discounts exceed the line amount ({item.net})")
    parts = split_amount(int(net_units), component_weights(rule))
    quantities = [item.quantity * c.quantity for c in rule.components]

    def part_taxes(units: int, quantity: int) -> list[Decimal]:
        totals = [Decimal(0)] * len(item.taxes)
        for count, unit in split_candidates(units, quantity)[0]:
            rounded = item_tax_rounded(unit * q * count, item.taxes, included=included, q=q)
            totals = [a + b for a, b in zip(totals, rounded, strict=True)]
        return totals

    def taxes_of(candidate: list[int]) -> list[Decimal]:
        totals = [Decimal(0)] * len(item.taxes)
        for units, quantity in zip(candidate, quantities, strict=True):
            totals = [a + b for a, b in zip(totals, part_taxes(units, quantity), strict=True)]
        return totals

    if item.taxes and mappings.tax_rounding == "round_per_line":
        parts = balance_taxes(parts, taxes_of, list(item.shopify_taxes))
    out: list[_Item] = []
    left = list(item.shopify_taxes)  # Shopify's tax on the bundle line, shared out: the last takes the rest
    for n, (component, units, quantity) in enumerate(zip(rule.components, parts, quantities, strict=True)):
        last = n == len(parts) - 1
        taxes = left if last else part_taxes(units, quantity)
        left = [a - b for a, b in zip(left, taxes, strict=True)]
        label = component.name or f"component {component.product_id}"
        out.append(
            _Item(
                kind="bundle_component",
                ref=item.ref,
                sku=item.sku,
                product_id=component.product_id,
                name=f"{item.name} / {label} x{component.quantity}",
                quantity=quantity,
                net=units * q,
                taxes=item.taxes,
                shopify_taxes=tuple(taxes),
                tax_keys=item.tax_keys,
            )
        )
    return out


def _treatment(order: Mapping[str, Any]) -> str:
    return "prices include tax" if order.get("taxes_included") else "prices exclude tax"


def _raise_missing(
    order: Mapping[str, Any], missing: Mapping[str, set[str]], reasons: Mapping[str, str] | None = None
) -> None:
    listed = {code: sorted(keys) for code, keys in missing.items() if keys}
    if not listed:
        return
    code = next(c for c in MISSING_ORDER if c in listed)
    key = listed[code][0]
    what = {
        "unknown_sku": f"SKU {key!r} is not mapped to an Odoo product",
        "missing_sku": f"line item {key!r} has no SKU",
        "gift_card_not_mapped": "it sells a gift card, and no Odoo gift-card product is mapped for the shop "
        "(SHOP row key gift_card_product_id: a service product whose income account is the gift-card "
        "liability); it is not booked as an ordinary product",
        "bundle_rule_invalid": f"the bundle rule of SKU {key!r} cannot be used: "
        f"{(reasons or {}).get(key, '')}",
        "unknown_tax": f"Shopify tax {key!r} is not mapped to an Odoo tax for orders whose "
        f"{_treatment(order)} (taxes_included {bool(order.get('taxes_included'))})",
        "unknown_shipping_method": f"shipping method {key!r} is not mapped to an Odoo delivery product",
        "tip_not_mapped": f"it received a tip of {order_tip(order)}, and no Odoo tip product is mapped for "
        "the shop (SHOP row key tip_product_id: a service product); without it Odoo would book less than "
        "Shopify's total_price",
        "duties_not_mapped": f"Shopify charged import duties of {order_duties(order)} "
        f"{_text(order.get('currency')) or ''}, and no Odoo duties product is mapped for the shop (SHOP row "
        "key duties_product_id: a non-taxed service product); without it Odoo would book less than Shopify's "
        "total_price. Nothing was booked",
    }[code]
    others = sum(len(v) for v in listed.values()) - 1
    suffix = f" (and {others} other missing mapping{'s' if others != 1 else ''})" if others else ""
    raise BusinessRuleError(
        f"order {order.get('name') or order.get('id')}: {what}{suffix}",
        code=code,
        key=key,
        details={"order_id": str(order.get("id")), "order_name": order.get("name"), "missing": listed},
    )


# --- exact splitting -------------------------------------------------------------------------------

Split = tuple[tuple[int, int], ...]  # (quantity, unit price in currency quanta)


def split_candidates(net_units: int, quantity: int, *, window: int = SPLIT_SEARCH_WINDOW) -> list[Split]:
    """Every way we accept to book ``net_units`` quanta over ``quantity`` units, preferred first.

    Each candidate has at most two parts and adds up to ``net_units`` exactly, with no negative price.
    """
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    unit, rest = divmod(net_units, quantity)
    first: Split = ((quantity, unit),) if rest == 0 else ((quantity - rest, unit), (rest, unit + 1))
    candidates = [first]
    if quantity == 1:
        return candidates
    for distance in range(window + 1):
        for a in sorted({unit - distance, unit + distance}):
            b = net_units - (quantity - 1) * a
            if a < 0 or b < 0:
                continue
            candidate: Split = ((quantity, a),) if a == b else ((quantity - 1, a), (1, b))
            if candidate not in candidates:
                candidates.append(candidate)
    return candidates


def _choose_split(item: _Item, *, included: bool, rounding: str, q: Decimal) -> Split:
    net_units = item.net / q
    if net_units != net_units.to_integral_value():
        raise ContractError(f"line {item.ref}: amount {item.net} has more decimals than the currency")
    if net_units < 0:
        raise ContractError(f"line {item.ref}: discounts exceed the line amount ({item.net})")
    candidates = split_candidates(int(net_units), item.quantity)
    if rounding != "round_per_line" or not item.taxes:
        return candidates[0]
    for candidate in candidates:
        if _split_taxes(candidate, item, included=included, q=q) == list(item.shopify_taxes):
            return candidate
    return candidates[0]


def _split_taxes(split: Split, item: _Item, *, included: bool, q: Decimal) -> list[Decimal]:
    totals = [Decimal(0)] * len(item.taxes)
    for quantity, units in split:
        rounded = item_tax_rounded(units * q * quantity, item.taxes, included=included, q=q)
        totals = [a + b for a, b in zip(totals, rounded, strict=True)]
    return totals


# --- the order -------------------------------------------------------------------------------------


def order_to_odoo(payload: Mapping[str, Any], mappings: ShopMappings) -> OdooOrderDraft:
    """An orders/create body -> the ``sale.order`` draft, or ``BusinessRuleError`` (see module doc)."""
    order = unwrap_order(payload)
    if order.get("id") is None:
        raise ContractError("order payload without an id", system="shopify")
    shop_currency = (_text(order.get("currency")) or mappings.currency).upper()
    if shop_currency != mappings.currency.upper():
        raise BusinessRuleError(
            f"order {order.get('name')} is in shop currency {shop_currency}, the mappings are for "
            f"{mappings.currency}",
            code="currency_mismatch",
            key=shop_currency,
            details={"order_id": str(order["id"])},
        )
    q = quantum(currency_decimals(mappings.currency, mappings.currency_decimals))
    included = bool(order.get("taxes_included"))
    items = _collect(order, mappings)

    lines: list[OdooLineDraft] = []
    bases: list[TaxedBase] = []
    chosen: list[tuple[_Item, Split]] = []
    for item in items:
        split = _choose_split(item, included=included, rounding=mappings.tax_rounding, q=q)
        chosen.append((item, split))
        for quantity, units in split:
            price_unit = units * q
            lines.append(
                OdooLineDraft(
                    kind=item.kind,
                    product_id=item.product_id,
                    name=item.name,
                    quantity=quantity,
                    price_unit=price_unit,
                    tax_ids=tuple(t.tax_id for t in item.taxes),
                    shopify_line_id=item.ref,
                    sku=item.sku,
                )
            )
            bases.append(TaxedBase(price_unit * quantity, item.taxes))

    shopify_total = shop_money(order, "total_price")
    shopify_tax = shop_money(order, "total_tax", default=Decimal(0))
    totals = odoo_totals(bases, included=included, rounding=mappings.tax_rounding, q=q)
    expected = _expected(totals, shopify_total, shopify_tax)
    if not expected.matches:
        adjustment = mappings.rounding_adjustment
        if (
            adjustment is not None
            and abs(expected.total_difference) <= adjustment.max_amount
            and abs(expected.tax_difference) <= adjustment.max_amount
        ):
            price = -expected.total_difference
            lines.append(
                OdooLineDraft(
                    kind="rounding",
                    product_id=adjustment.product_id,
                    name=f"Rounding difference with Shopify order {order.get('name')}",
                    quantity=1,
                    price_unit=price,
                    tax_ids=(),
                    shopify_line_id=None,
                )
            )
            bases.append(TaxedBase(price, ()))
            totals = odoo_totals(bases, included=included, rounding=mappings.tax_rounding, q=q)
            expected = _expected(totals, shopify_total, shopify_tax)
        else:
            _raise_mismatch(order, expected, chosen, included=included, mappings=mappings, q=q)

    carrier_id = next(
        (
            target.carrier_id
            for sl in order.get("shipping_lines") or []
            for key in (_text(sl.get("code")), _text(sl.get("title")))
            if key is not None
            and (target := mappings.shipping.get(key)) is not None
            and target.carrier_id is not None
        ),
        None,
    )
    email = _text(order.get("email")) or _text(order.get("contact_email"))
    return OdooOrderDraft(
        shop_domain=mappings.shop_domain,
        mapping_version=mappings.version,
        shopify_order_id=str(order["id"]),
        client_order_ref=str(order["id"]),
        origin=_text(order.get("name")) or str(order["id"]),
        customer=order_partner(order),
        invoice_contact=address_to_contact(order.get("billing_address"), "invoice"),
        delivery_contact=address_to_contact(order.get("shipping_address"), "delivery"),
        email=email,
        note=render_note(order),
        currency=mappings.currency,
        company_id=mappings.company_id,
        pricelist_id=mappings.pricelist_id,
        carrier_id=carrier_id,
        lines=tuple(lines),
        expected_totals=expected,
        taxes_included=included,
        financial_status=order.get("financial_status") or "",
        confirm=should_confirm(order, mappings),
        cancelled=order.get("cancelled_at") is not None,
        created_at=parse_shopify_timestamp(order.get("created_at")),
        updated_at=parse_shopify_timestamp(order.get("updated_at")),
        payment_gateways=tuple(n for n in order.get("payment_gateway_names") or [] if n),
        tags=tuple(t.strip() for t in str(order.get("tags") or "").split(",") if t.strip()),
        taxes_used=tuple(
            sorted(
                {
                    (key, tax.tax_id, tax.rate)
                    for item, _ in chosen
                    for key, tax in zip(item.tax_keys, item.taxes, strict=True)
                }
            )
        ),
        processed_at=parse_shopify_timestamp(order.get("processed_at") or order.get("created_at")),
    )


def _expected(totals: OdooTotals, shopify_total: Decimal, shopify_tax: Decimal) -> ExpectedTotals:
    return ExpectedTotals(
        amount_untaxed=totals.amount_untaxed,
        amount_tax=totals.amount_tax,
        amount_total=totals.amount_total,
        tax_by_id=totals.tax_by_id,
        shopify_total=shopify_total,
        shopify_tax=shopify_tax,
    )


def _raise_mismatch(
    order: Mapping[str, Any],
    expected: ExpectedTotals,
    chosen: Sequence[tuple[_Item, Split]],
    *,
    included: bool,
    mappings: ShopMappings,
    q: Decimal,
) -> None:
    currency = mappings.currency
    reasons: list[str] = []
    causes: list[str] = []  # one word per reason: the problem's key, the same for every order it hits
    line_tax = sum((sum(item.shopify_taxes, Decimal(0)) for item, _ in chosen), Decimal(0))
    nets = sum((item.net for item, _ in chosen), Decimal(0))
    lines_total = nets if included else nets + line_tax
    if lines_total != expected.shopify_total:
        tip, duties = order_tip(order), order_duties(order)
        extra = f"; the order has a tip of {tip}, booked on the tip product" if tip else ""
        extra += f"; the order has duties of {duties}, booked on the duties product" if duties else ""
        causes.append("unbooked_amounts")
        reasons.append(
            f"Shopify's line items and shipping lines add up to {lines_total}, not its total_price "
            f"{expected.shopify_total} (tips, duties, additional fees or unallocated discounts are not "
            f"booked){extra}"
        )
    if line_tax != expected.shopify_tax:
        causes.append("total_tax_not_line_sum")
        reasons.append(
            f"Shopify's total_tax {expected.shopify_tax} differs from the sum of its line tax_lines "
            f"{line_tax}"
        )
    per_line: list[str] = []
    per_line_total = Decimal(0)
    for item, split in chosen:
        odoo = _split_taxes(split, item, included=included, q=q)
        per_line_total += sum(odoo, Decimal(0))
        for key, ours, theirs in zip(item.tax_keys, odoo, item.shopify_taxes, strict=True):
            if ours != theirs:
                per_line.append(f"{item.kind} {item.ref} tax {key!r}: Odoo {ours}, Shopify {theirs}")
    if mappings.tax_rounding == "round_globally" and per_line_total == expected.shopify_tax:
        causes.append("global_tax_rounding")
        reasons.append(
            f"the Odoo company rounds taxes globally (tax {expected.amount_tax}) while Shopify rounded "
            f"per line ({expected.shopify_tax})"
        )
    elif per_line:
        shown = "; ".join(per_line[:5]) + (f"; and {len(per_line) - 5} more" if len(per_line) > 5 else "")
        causes.append("tax_lines_off_rate")
        reasons.append(f"Odoo's tax computation differs from Shopify's tax lines: {shown}")
    if not reasons:
        causes.append("tax_rounding")
        reasons.append("Odoo's tax rounding differs from Shopify's")
    message = (
        f"Odoo would book {expected.amount_total} {currency} (tax {expected.amount_tax}), Shopify charged "
        f"{expected.shopify_total} {currency} (tax {expected.shopify_tax}), difference "
        f"{expected.total_difference} {currency} (tax {expected.tax_difference}): " + "; ".join(reasons)
    )
    raise BusinessRuleError(
        message,
        code="total_mismatch",
        key="+".join(causes),
        details={
            "order_id": str(order.get("id")),
            "order_name": order.get("name"),
            "currency": currency,
            "odoo_total": str(expected.amount_total),
            "odoo_tax": str(expected.amount_tax),
            "shopify_total": str(expected.shopify_total),
            "shopify_tax": str(expected.shopify_tax),
            "total_difference": str(expected.total_difference),
            "tax_difference": str(expected.tax_difference),
            "tax_rounding": mappings.tax_rounding,
            "reasons": reasons,
            "line_tax_differences": per_line,
        },
    )


# --- updates ---------------------------------------------------------------------------------------


def order_update_to_odoo(payload: Mapping[str, Any], mappings: ShopMappings) -> OdooOrderUpdate:
    """What an orders/updated (or re-read orders/edited) order body implies for the Odoo order.

    Quantities: ``target = current_quantity + quantity refunded in the payload``. Refunds reduce
    ``current_quantity`` too, but they are booked as credit notes by the refund flow, so only edits
    (and cancellations) change the sale order's lines. The flow compares ``updated_at`` with the stored
    state (``timestamps.is_newer``) before applying anything, and re-prices changed lines itself.
    """
    order = unwrap_order(payload)
    if order.get("id") is None:
        raise ContractError("order payload without an id", system="shopify")
    refunded: dict[str, int] = {}
    for refund in order.get("refunds") or []:
        for rli in refund.get("refund_line_items") or []:
            key = str(rli.get("line_item_id"))
            refunded[key] = refunded.get(key, 0) + int(rli.get("quantity") or 0)
    quantities = []
    for li in order.get("line_items") or []:
        ordered = int(li.get("quantity") or 0)
        current = li.get("current_quantity")
        ref = str(li.get("id"))
        quantities.append(
            LineQuantity(
                shopify_line_id=ref,
                sku=_text(li.get("sku")),
                ordered=ordered,
                current=ordered if current is None else int(current),
                refunded=refunded.get(ref, 0),
            )
        )
    return OdooOrderUpdate(
        shopify_order_id=str(order["id"]),
        client_order_ref=str(order["id"]),
        updated_at=parse_shopify_timestamp(order.get("updated_at")),
        email=_text(order.get("email")) or _text(order.get("contact_email")),
        note=render_note(order),
        invoice_contact=address_to_contact(order.get("billing_address"), "invoice"),
        delivery_contact=address_to_contact(order.get("shipping_address"), "delivery"),
        financial_status=order.get("financial_status") or "",
        confirm=should_confirm(order, mappings),
        cancelled=order.get("cancelled_at") is not None,
        cancelled_at=parse_shopify_timestamp(order.get("cancelled_at")),
        quantities=tuple(quantities),
    )


def order_lines_for(
    payload: Mapping[str, Any], mappings: ShopMappings, quantities: Mapping[str, int]
) -> tuple[OdooLineDraft, ...]:
    """The Odoo lines for some of an order's line items (by Shopify line item id) at the given quantities,
    priced and taxed as ``order_to_odoo`` books them (a line added by an order edit)."""
    order = unwrap_order(payload)
    wanted = [
        {**li, "quantity": quantities[str(li.get("id"))]}
        for li in order.get("line_items") or []
        if str(li.get("id")) in quantities and quantities[str(li.get("id"))] > 0
    ]
    items = _collect({**order, "line_items": wanted, "shipping_lines": []}, mappings, whole_order=False)
    q = quantum(currency_decimals(mappings.currency, mappings.currency_decimals))
    included = bool(order.get("taxes_included"))
    lines: list[OdooLineDraft] = []
    for item in items:
        for quantity, units in _choose_split(item, included=included, rounding=mappings.tax_rounding, q=q):
            lines.append(
                OdooLineDraft(
                    kind=item.kind,
                    product_id=item.product_id,
                    name=item.name,
                    quantity=quantity,
                    price_unit=units * q,
                    tax_ids=tuple(t.tax_id for t in item.taxes),
                    shopify_line_id=item.ref,
                    sku=item.sku,
                )
            )
    return tuple(lines)


def refund_detail_known(refund: Mapping[str, Any]) -> bool:
    """Whether a refund of an order payload says all it refunded (a webhook's ``refund_line_items`` and
    ``order_adjustments``) or its units and total only (``total_refunded_set``: the order read through the
    Admin API, whose refunds carry no adjustments)."""
    return "order_adjustments" in refund or "total_refunded_set" not in refund


def refund_taxes_known(payload: Mapping[str, Any]) -> bool:
    """Whether :func:`sale_order_totals` knows the tax of every refund it adds back."""
    return all(refund_detail_known(r) for r in unwrap_order(payload).get("refunds") or [])


def sale_order_totals(payload: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """What the Odoo sale order should total after edits: Shopify's ``current_total_price`` and
    ``current_total_tax`` (edits, refunds and returns) with the refunds added back, because refunds are booked
    as credit notes, not on the sale order. (total, tax) in shop money."""
    order = unwrap_order(payload)
    included = bool(order.get("taxes_included"))
    has_current = order.get("current_total_price") is not None or order.get("current_total_price_set")
    total = shop_money(order, "current_total_price" if has_current else "total_price")
    tax = shop_money(order, "current_total_tax" if has_current else "total_tax", default=Decimal(0))
    if not has_current:
        return total, tax
    for refund in order.get("refunds") or []:
        if not refund_detail_known(refund):
            # Shopify's order as the Admin API reads it (the connector's REST shape, e.g. for orders/edited)
            # carries each refund's total only: added back whole, its tax unknown (refund_taxes_known).
            total += shop_money(refund, "total_refunded", default=Decimal(0))
            continue
        for rli in refund.get("refund_line_items") or []:
            line_tax = shop_money(rli, "total_tax", default=Decimal(0))
            total += shop_money(rli, "subtotal", default=Decimal(0)) + (Decimal(0) if included else line_tax)
            tax += line_tax
        for adjustment in refund.get("order_adjustments") or []:
            if adjustment.get("kind") == "shipping_refund":
                # the adjustment's amount is before tax whether or not prices include it
                amount = -shop_money(adjustment, "amount", default=Decimal(0))
                adj_tax = -shop_money(adjustment, "tax_amount", default=Decimal(0))
                total += amount + adj_tax
                tax += adj_tax
        # duties given back come off current_total_price too; credited on the duties product
        total += shop_money(refund, "total_duties", default=Decimal(0))
    return total, tax
