"""Bundles: one Shopify line item (a bundle SKU) booked in Odoo as a kit or as its components.

A BUNDLE mapping row (key: the bundle's SKU) says how:

- ``{"mode": "kit", "product_id": K}``: one sale order line of the kit product ``K``, priced and taxed as
  Shopify charged the bundle. In Odoo a kit is a product with a phantom bill of materials (``mrp.bom``
  ``type: phantom``, module mrp), which Odoo explodes into its components' moves on delivery: what the
  delivery holds is Odoo's concern, the order line is the kit itself.
- ``{"mode": "components", "split": "ratio" | "list_price", "components": [{"product_id": P, "quantity": n,
  "ratio": r, "name": "..."}, ...]}``: one line (or two, a cent apart, as for any line: sync/transforms/
  orders.py) per component, ``n`` units per bundle. The bundle line's net amount (after its discounts) is
  split by the components' weights, ``ratio`` or Odoo's list price times ``n``; every part is rounded down
  to the currency's decimals and the rounding remainder goes on the last component, so that the parts add
  up to Shopify's line amount exactly (``split_amount``). Each component line carries the bundle line's
  taxes; where Odoo's per-line tax rounding of the parts would differ from the tax Shopify charged on the
  bundle line, whole quanta are moved between parts (the nearest such move, ``balance_taxes``) so that the
  order's tax stays Shopify's to the cent too; if none does, the order parks as ``total_mismatch``.

The rows are checked when a change is proposed (``bundle_rule_parse``), and again when the mappings are
built, so that a bad row parks its orders as ``bundle_rule_invalid`` instead of booking them wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from sync.transforms.types import BundleComponent, BundleRule

#: At most this many components per bundle (a row is read on every order that has the bundle).
MAX_COMPONENTS = 20
#: How far (in currency quanta) ``balance_taxes`` moves amount between two parts.
BALANCE_WINDOW = 25


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{what} must be a whole number")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{what} must be a whole number") from None
    if not 0 < number < 2**31:
        raise ValueError(f"{what} must be a positive whole number")
    return number


def _positive_decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
        raise ValueError(f"{what} must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{what} must be a number") from None
    if not number.is_finite() or number <= 0:
        raise ValueError(f"{what} must be a positive number")
    return number


def bundle_rule_parse(value: Mapping[str, Any]) -> BundleRule:
    """A BUNDLE row's value as a rule, or ValueError saying what is wrong with it."""
    if not isinstance(value, Mapping):
        raise ValueError("a bundle rule is an object")
    mode = value.get("mode")
    if mode == "kit":
        extra = sorted(set(value) - {"mode", "product_id", "name"})
        if extra:
            raise ValueError(f"a kit rule has no {', '.join(extra)}")
        return BundleRule(mode="kit", product_id=_positive_int(value.get("product_id"), "product_id"))
    if mode != "components":
        raise ValueError("mode must be kit or components")
    extra = sorted(set(value) - {"mode", "split", "components", "name"})
    if extra:
        raise ValueError(f"a components rule has no {', '.join(extra)}")
    split: Literal["ratio", "list_price"]
    if (value.get("split") or "ratio") == "ratio":
        split = "ratio"
    elif value.get("split") == "list_price":
        split = "list_price"
    else:
        raise ValueError("split must be ratio or list_price")
    raw = value.get("components")
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise ValueError("components must be a non-empty list")
    if len(raw) > MAX_COMPONENTS:
        raise ValueError(f"at most {MAX_COMPONENTS} components")
    components = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            raise ValueError(f"component {n} must be an object")
        unknown = sorted(set(item) - {"product_id", "quantity", "ratio", "name"})
        if unknown:
            raise ValueError(f"component {n} has no {', '.join(unknown)}")
        ratio = item.get("ratio")
        if split == "ratio" and ratio is None:
            raise ValueError(f"component {n}: the ratio split needs a ratio")
        components.append(
            BundleComponent(
                product_id=_positive_int(item.get("product_id"), f"component {n} product_id"),
                quantity=_positive_int(item.get("quantity", 1), f"component {n} quantity"),
                ratio=_positive_decimal(ratio, f"component {n} ratio") if ratio is not None else None,
                name=str(item.get("name") or "")[:120],
            )
        )
    if len({c.product_id for c in components}) != len(components):
        raise ValueError("a product is listed twice among the components")
    return BundleRule(mode="components", split=split, components=tuple(components))


def component_weights(rule: BundleRule) -> list[Decimal]:
    """Each component's share of the bundle's price: its ratio, or its Odoo list price times its quantity.
    ValueError when a list price is unknown or every weight is 0."""
    weights = []
    for c in rule.components:
        if rule.split == "ratio":
            assert c.ratio is not None  # bundle_rule_parse
            weights.append(c.ratio)
        else:
            if c.list_price is None:
                raise ValueError(f"the list price of product {c.product_id} is not known")
            weights.append(c.list_price * c.quantity)
    if any(w < 0 for w in weights) or sum(weights, Decimal(0)) <= 0:
        raise ValueError("the components' weights add up to 0: the bundle's price cannot be split by them")
    return weights


def split_amount(total_units: int, weights: Sequence[Decimal]) -> list[int]:
    """``total_units`` (an amount in currency quanta, >= 0) split by ``weights``: each part but the last
    rounded down, the last the remainder, so that the parts add up to ``total_units`` exactly and none is
    negative."""
    if total_units < 0:
        raise ValueError("the amount to split is negative")
    if not weights:
        raise ValueError("nothing to split the amount between")
    whole = sum(weights, Decimal(0))
    if whole <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be >= 0 and not all 0")
    parts = [int((total_units * w / whole).to_integral_value(rounding="ROUND_FLOOR")) for w in weights[:-1]]
    parts.append(total_units - sum(parts))
    return parts


def balance_taxes(
    parts: list[int], taxes_of: Callable[[list[int]], list[Decimal]], wanted: list[Decimal]
) -> list[int]:
    """``parts`` changed as little as possible (one move of whole quanta from one part to another, nearest
    first) so that ``taxes_of(parts)`` is ``wanted``; ``parts`` unchanged when no such move exists."""
    if taxes_of(parts) == wanted or len(parts) < 2:
        return parts
    for distance in range(1, BALANCE_WINDOW + 1):
        for source in range(len(parts)):
            if parts[source] < distance:
                continue
            for target in range(len(parts)):
                if target == source:
                    continue
                moved = list(parts)
                moved[source] -= distance
                moved[target] += distance
                if taxes_of(moved) == wanted:
                    return moved
    return parts


def components_from_text(text: str) -> list[dict[str, Any]]:
    """The console form's components field, ``product_id x quantity @ ratio`` separated by ``;`` (e.g.
    ``12x1@3; 15x2@1``; ``x quantity`` defaults to 1, ``@ ratio`` is for the ratio split), as the row's list.
    ValueError naming the part that does not read."""
    out: list[dict[str, Any]] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        head, _, ratio = part.partition("@")
        product, _, quantity = head.partition("x")
        try:
            item: dict[str, Any] = {
                "product_id": int(product.strip()),
                "quantity": int(quantity.strip() or 1),
            }
        except ValueError:
            raise ValueError(
                f"component {part!r}: write product_id x quantity @ ratio, e.g. 12x1@3"
            ) from None
        if ratio.strip():
            item["ratio"] = ratio.strip()
        out.append(item)
    return out


def components_text(components: Any) -> str:
    """A row's components as the console form shows them (``components_from_text`` reads it back)."""
    if not isinstance(components, list):
        return str(components or "")
    return "; ".join(
        f"{c.get('product_id')}x{c.get('quantity', 1)}"
        + (f"@{c['ratio']}" if c.get("ratio") is not None else "")
        for c in components
        if isinstance(c, dict)
    )
