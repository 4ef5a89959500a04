"""Which currency a Shopify order is booked in, and its amounts in that currency.

Shopify states every amount of an order twice, in each ``*_set`` bag: ``shop_money`` in the shop's currency
(``currency``) and ``presentment_money`` in the currency the customer saw and paid (``presentment_currency``).
The two differ when the shop sells in several currencies (Shopify Markets).

- By default the order is booked in the shop's currency: its shop money, with the shop's pricelist. The
  presentment amounts go on the Odoo order's chatter for reference (``currency_note``).
- A shop whose SHOP mapping row says ``book_currency: presentment`` books an order presented in another
  currency in that currency: its presentment money, with the Odoo pricelist mapped for that currency (a
  PRICELIST mapping row per currency; the flow checks in Odoo that the pricelist is in that currency). An
  order presented in a currency without a pricelist row parks as ``unknown_pricelist`` (key: the currency),
  and approving the row replays it.

How the order was booked is kept on its link, so that its invoice, payments, credit notes and later edits
follow the order, not a rule changed since. The flows rewrite the payload once (``in_booked_currency``):
every bag's ``shop_money`` (and the flat amount beside it) becomes the booked currency's, so that the
transforms, which read ``shop_money``, need not know. Shopify's REST transactions state ``amount`` in the
presentment currency already; their shop amounts come from the GraphQL ``amountSet`` (the flows' business).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

from opsconsole.core.errors import BusinessRuleError, ContractError
from sync.transforms.money import currency_decimals, quantum, to_decimal
from sync.transforms.types import ShopMappings

BOOK_SHOP = "shop"
BOOK_PRESENTMENT = "presentment"
#: The values of the SHOP row key ``book_currency``.
BOOK_CURRENCY_RULES = (BOOK_SHOP, BOOK_PRESENTMENT)
#: The error code of an order presented in a currency that has no PRICELIST row (the key is the currency).
UNKNOWN_PRICELIST = "unknown_pricelist"
#: An ISO 4217 code, as Shopify's CurrencyCode and the PRICELIST table's keys spell it.
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")

Side = Literal["shop_money", "presentment_money"]


@dataclass(frozen=True)
class Booking:
    """The currency an order is booked in and where its amounts come from."""

    currency: str  # the Odoo order's currency
    shop_currency: str
    presentment_currency: str
    side: Side
    pricelist_id: int | None

    @property
    def presented_otherwise(self) -> bool:
        """The customer saw another currency than the shop's."""
        return self.presentment_currency != self.shop_currency

    @property
    def in_presentment(self) -> bool:
        return self.side == "presentment_money" and self.presented_otherwise

    def as_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "shop_currency": self.shop_currency,
            "presentment_currency": self.presentment_currency,
            "side": self.side,
            "pricelist_id": self.pricelist_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Booking:
        side: Side = "presentment_money" if data.get("side") == "presentment_money" else "shop_money"
        return cls(
            currency=str(data["currency"]),
            shop_currency=str(data.get("shop_currency") or data["currency"]),
            presentment_currency=str(data.get("presentment_currency") or data["currency"]),
            side=side,
            pricelist_id=int(data["pricelist_id"]) if data.get("pricelist_id") else None,
        )


def _code(value: Any) -> str | None:
    text = str(value or "").strip().upper()
    return text or None


def order_currencies(order: Mapping[str, Any], mappings: ShopMappings) -> tuple[str, str]:
    """(shop currency, presentment currency) of an order body."""
    shop = _code(order.get("currency")) or mappings.currency.upper()
    return shop, _code(order.get("presentment_currency")) or shop


def booking_for(order: Mapping[str, Any], mappings: ShopMappings) -> Booking:
    """How a new order is booked under the shop's rule; ``unknown_pricelist`` when the rule books the
    presentment currency and no pricelist is mapped for it."""
    shop, presented = order_currencies(order, mappings)
    if mappings.book_currency == BOOK_PRESENTMENT and presented != shop:
        pricelist = mappings.pricelists.get(presented)
        if pricelist is None:
            raise BusinessRuleError(
                f"order {order.get('name') or order.get('id')} was presented in {presented} and the shop "
                "books orders in their presentment currency (book_currency: presentment), but no Odoo "
                f"pricelist is mapped for {presented}: map one in {presented} (Mappings → Currency → "
                f"pricelist), or book the shop's currency {shop}",
                code=UNKNOWN_PRICELIST,
                key=presented,
                details={"order_id": str(order.get("id")), "currency": presented, "shop_currency": shop},
            )
        return Booking(presented, shop, presented, "presentment_money", pricelist)
    return Booking(shop, shop, presented, "shop_money", mappings.pricelist_id)


def booked_mappings(mappings: ShopMappings, booking: Booking) -> ShopMappings:
    """The mappings a job of this order works with: the booked currency and its pricelist. Odoo's decimals
    for a presentment currency are ISO 4217's (``currency_decimals`` overrides the shop currency only)."""
    if not booking.in_presentment:
        return mappings
    return replace(
        mappings, currency=booking.currency, pricelist_id=booking.pricelist_id, currency_decimals=None
    )


def in_booked_currency(payload: Any, booking: Booking) -> Any:
    """The payload with every ``*_set`` bag's ``shop_money`` (and the flat amount beside it) replaced by the
    booked currency's, and ``currency`` the booked one. Unchanged when the shop currency is booked;
    rewriting twice changes nothing. A bag without ``presentment_money`` is a contract error (Shopify's
    MoneyBag always has both), never a silent shop amount."""
    if not booking.in_presentment:
        return payload
    return _rewrite(payload, booking)


def _rewrite(value: Any, booking: Booking) -> Any:
    if isinstance(value, list):
        return [_rewrite(v, booking) for v in value]
    if not isinstance(value, Mapping):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key.endswith("_set") and isinstance(item, Mapping) and "shop_money" in item:
            presented = item.get("presentment_money")
            if not isinstance(presented, Mapping) or presented.get("amount") is None:
                raise ContractError(f"{key}: a money bag without presentment_money", system="shopify")
            # the shop amount is kept beside it (for the chatter note); rewriting twice changes nothing
            original = item.get("original_shop_money", item["shop_money"])
            out[key] = {**item, "shop_money": dict(presented), "original_shop_money": original}
        else:
            out[key] = _rewrite(item, booking)
    for key, item in value.items():
        if key.endswith("_set") and isinstance(item, Mapping) and "shop_money" in item:
            flat = key[: -len("_set")]
            if flat in out and not isinstance(out[flat], Mapping | list):
                out[flat] = str(item["presentment_money"]["amount"])
    if "presentment_currency" in value and "currency" in value:
        out["currency"] = booking.currency
    return out


def money_of(obj: Mapping[str, Any], field: str, side: str) -> Decimal | None:
    """One side of a ``*_set`` bag (None when absent)."""
    bag = obj.get(f"{field}_set")
    if isinstance(bag, Mapping):
        money = bag.get(side)
        if isinstance(money, Mapping) and money.get("amount") is not None:
            return to_decimal(money["amount"], what=f"{field}_set.{side}.amount")
    return None


def rounded(amount: Decimal, currency: str, decimals: int | None = None) -> str:
    """An amount in its currency's decimals, for people (JPY 1500, EUR 12.30)."""
    return str(amount.quantize(quantum(currency_decimals(currency, decimals))))


#: The order amounts the chatter note states, in this order.
NOTE_FIELDS = (
    ("subtotal_price", "subtotal"),
    ("total_shipping_price", "shipping"),
    ("total_discounts", "discounts"),
    ("total_tax", "tax"),
    ("total_price", "total"),
)


def currency_note(order: Mapping[str, Any], booking: Booking) -> str:
    """What the Odoo order's chatter says about an order presented in another currency (empty otherwise):
    the currency booked, and the amounts in the other currency for reference (never on the order itself)."""
    if not booking.presented_otherwise:
        return ""
    # the payload may be the original or the one in the booked currency (its shop amounts kept aside)
    rewritten = isinstance(order.get("total_price_set"), Mapping) and "original_shop_money" in order.get(
        "total_price_set", {}
    )
    if booking.in_presentment:
        other = "original_shop_money" if rewritten else "shop_money"
        booked_side = "presentment_money"
    else:
        other, booked_side = "presentment_money", "shop_money"
    other_currency = booking.shop_currency if booking.in_presentment else booking.presentment_currency

    def amounts(side: str, currency: str) -> str:
        parts = []
        for field, label in NOTE_FIELDS:
            amount = money_of(order, field, side)
            if amount is not None:
                parts.append(f"{label} {rounded(amount, currency)} {currency}")
        return ", ".join(parts)

    name = order.get("name") or order.get("id")
    if booking.in_presentment:
        head = (
            f"Shopify order {name} was presented to the customer in {booking.presentment_currency} and is "
            f"booked in {booking.currency} (the shop's rule book_currency: presentment)."
        )
        label = f"In the shop's currency {other_currency}"
    else:
        head = (
            f"Shopify order {name} was presented to the customer in {booking.presentment_currency} and is "
            f"booked in the shop's currency {booking.currency}."
        )
        label = f"As the customer saw it, in {other_currency}"
    return (
        f"{head}\n{label}: {amounts(other, other_currency)}.\n"
        f"Booked ({booking.currency}): {amounts(booked_side, booking.currency)}."
    )


def currency_mapping_errors(table: str, key: str, value: Mapping[str, Any] | None) -> list[str]:
    """What is wrong with a proposed SHOP row's ``book_currency`` or a PRICELIST row (empty: nothing).
    That the pricelist is in its currency is Odoo's to say: the order flow checks it before booking."""
    if value is None:
        return []
    errors: list[str] = []
    if table == "shop" and "book_currency" in value:
        rule = value.get("book_currency")
        if rule not in BOOK_CURRENCY_RULES:
            errors.append(f"book_currency must be one of {', '.join(BOOK_CURRENCY_RULES)}, not {rule!r}")
    if table == "pricelist":
        if not CURRENCY_CODE.match(key):
            errors.append(f"the key of a pricelist row is a currency code like USD, not {key!r}")
        pricelist = value.get("pricelist_id")
        if isinstance(pricelist, bool) or not isinstance(pricelist, int) or pricelist <= 0:
            errors.append(f"pricelist_id of {key} must be an Odoo pricelist id, not {pricelist!r}")
    return errors
