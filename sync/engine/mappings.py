"""The mapping tables as a job sees them: the version in force, its entries, and the ShopMappings value the
transforms take (cached per process by version). Writes (new versions) are in sync/services/mappings.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Max

from sync.models import MappingEntry, MappingTable, MappingVersion, ShopifyShop
from sync.transforms.bundles import bundle_rule_parse
from sync.transforms.types import (
    BundleRule,
    CarrierTarget,
    RoundingAdjustment,
    ShippingTarget,
    ShopMappings,
    StockRules,
)

#: The error code a missing entry of each table parks jobs with (see sync/transforms).
MISSING_CODES: dict[str, str] = {
    MappingTable.SKU: "unknown_sku",
    MappingTable.TAX: "unknown_tax",
    MappingTable.SHIPPING: "unknown_shipping_method",
    MappingTable.GATEWAY: "unknown_gateway",
    MappingTable.LOCATION: "unknown_location",
    MappingTable.CARRIER: "unknown_carrier",
    MappingTable.SHOP: "shop_not_mapped",
    MappingTable.FINANCIAL_STATUS: "unknown_financial_status",
    MappingTable.PRICELIST: "unknown_pricelist",
    MappingTable.BUNDLE: "bundle_rule_invalid",
}
#: For each missing-mapping error code, the table whose entry fixes it.
TABLE_FOR_CODE = {
    **{code: table for table, code in MISSING_CODES.items()},
    # the SHOP row's gift_card_product_id
    "gift_card_not_mapped": MappingTable.SHOP,
    "gift_card_product_invalid": MappingTable.SHOP,
    # the SHOP row's tip_product_id
    "tip_not_mapped": MappingTable.SHOP,
    "tip_product_invalid": MappingTable.SHOP,
    # the SHOP row's duties_product_id
    "duties_not_mapped": MappingTable.SHOP,
    "duties_product_invalid": MappingTable.SHOP,
}


def codes_fixed_by(*, table: str, value: dict[str, Any] | None) -> list[str]:
    """The missing-mapping causes an entry of ``table`` with ``value`` fixes (for its key): its own table's,
    an unmapped SKU for a bundle rule, a missing gift-card product for a SHOP row that names one (any SHOP
    row when ``value`` is not known)."""
    codes = [MISSING_CODES[table]] if table in MISSING_CODES else []
    if table == MappingTable.BUNDLE:
        codes.append(MISSING_CODES[MappingTable.SKU])
    if table == MappingTable.SHOP and (value is None or value.get("gift_card_product_id")):
        codes += ["gift_card_not_mapped", "gift_card_product_invalid"]
    if table == MappingTable.SHOP and (value is None or value.get("tip_product_id")):
        codes += ["tip_not_mapped", "tip_product_invalid"]
    if table == MappingTable.SHOP and (value is None or value.get("duties_product_id")):
        codes += ["duties_not_mapped", "duties_product_invalid"]
    return codes


def fingerprints_fixed_by(*, table: str, key: str, value: dict[str, Any] | None) -> list[str]:
    """The problems (by fingerprint) that adding this entry fixes; none for a deletion."""
    if value is None:
        return []
    return [f"{code}:{key}" for code in codes_fixed_by(table=table, value=value)]


DEFAULT_CONFIRM_ON = frozenset({"paid", "partially_paid", "authorized", "partially_refunded", "refunded"})


def mapping_version_current(*, shop: ShopifyShop) -> int:
    return MappingVersion.objects.filter(shop=shop).aggregate(v=Max("number"))["v"] or 0


def mapping_entries(*, shop: ShopifyShop, version: int | None = None) -> list[MappingEntry]:
    """The entries in force at ``version`` (default: now)."""
    query = MappingEntry.objects.filter(shop=shop)
    if version is None:
        query = query.filter(valid_to__isnull=True)
    else:
        query = query.filter(valid_from__lte=version).exclude(valid_to__lte=version)
    return list(query.order_by("table", "key"))


_cache: dict[tuple[int, int], ShopMappings] = {}


def mappings_for_shop(*, shop: ShopifyShop, version: int | None = None) -> ShopMappings:
    """The mapping values a flow needs, at the current version (cached per process by version)."""
    number = version if version is not None else mapping_version_current(shop=shop)
    cached = _cache.get((shop.pk, number))
    if cached is not None:
        return cached
    mappings = build_shop_mappings(
        shop=shop, version=number, entries=mapping_entries(shop=shop, version=version)
    )
    _cache[(shop.pk, number)] = mappings
    return mappings


def build_shop_mappings(*, shop: ShopifyShop, version: int, entries: list[MappingEntry]) -> ShopMappings:
    by_table: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in entries:
        by_table.setdefault(entry.table, {})[entry.key] = entry.value
    shop_values = by_table.get(MappingTable.SHOP, {}).get("shop", {})
    statuses = by_table.get(MappingTable.FINANCIAL_STATUS, {})
    confirm_on = (
        frozenset(k for k, v in statuses.items() if v.get("confirm")) if statuses else DEFAULT_CONFIRM_ON
    )
    adjustment = shop_values.get("rounding_adjustment")
    return ShopMappings(
        shop_domain=shop.domain,
        version=version,
        currency=shop_values.get("currency", "EUR"),
        company_id=shop_values.get("company_id"),
        pricelist_id=shop_values.get("pricelist_id"),
        skus={k: int(v["product_id"]) for k, v in by_table.get(MappingTable.SKU, {}).items()},
        taxes={k: int(v["tax_id"]) for k, v in by_table.get(MappingTable.TAX, {}).items() if v.get("tax_id")},
        taxes_included={
            k: int(v["included_tax_id"])
            for k, v in by_table.get(MappingTable.TAX, {}).items()
            if v.get("included_tax_id")
        },
        shipping={
            k: ShippingTarget(product_id=int(v["product_id"]), carrier_id=v.get("carrier_id"))
            for k, v in by_table.get(MappingTable.SHIPPING, {}).items()
        },
        gateways={k: int(v["journal_id"]) for k, v in by_table.get(MappingTable.GATEWAY, {}).items()},
        confirm_on=confirm_on,
        tax_rounding=shop_values.get("tax_rounding", "round_per_line"),
        rounding_adjustment=RoundingAdjustment(
            product_id=int(adjustment["product_id"]), max_amount=Decimal(str(adjustment["max_amount"]))
        )
        if adjustment
        else None,
        refund_adjustment_product_id=int(shop_values["refund_adjustment_product_id"])
        if shop_values.get("refund_adjustment_product_id")
        else None,
        finance_recipients=tuple(str(x) for x in shop_values.get("finance_recipients") or ()),
        ops_recipients=tuple(str(x) for x in shop_values.get("ops_recipients") or ()),
        locations={k: _location_ids(v) for k, v in by_table.get(MappingTable.LOCATION, {}).items()},
        stock=_stock_rules(by_table, shop_values),
        carriers={
            k: CarrierTarget(company=str(v.get("company") or ""), url=str(v.get("url") or ""))
            for k, v in by_table.get(MappingTable.CARRIER, {}).items()
        },
        options=dict(shop_values),
        book_currency=str(shop_values.get("book_currency") or "shop"),
        pricelists={
            k.upper(): int(v["pricelist_id"])
            for k, v in by_table.get(MappingTable.PRICELIST, {}).items()
            if v.get("pricelist_id")
        },
        invoice_on=str(shop_values.get("invoice_on") or "paid"),
        gift_card_product_id=int(shop_values["gift_card_product_id"])
        if shop_values.get("gift_card_product_id")
        else None,
        tip_product_id=int(shop_values["tip_product_id"]) if shop_values.get("tip_product_id") else None,
        duties_product_id=int(shop_values["duties_product_id"])
        if shop_values.get("duties_product_id")
        else None,
        bundles={k: _bundle_rule(v) for k, v in by_table.get(MappingTable.BUNDLE, {}).items()},
        hold_risky=shop_values.get("hold_risky", True) is not False,
        gateway_method_lines={
            k: int(v["payment_method_line_id"])
            for k, v in by_table.get(MappingTable.GATEWAY, {}).items()
            if v.get("payment_method_line_id")
        },
    )


def _bundle_rule(value: dict[str, Any]) -> BundleRule | str:
    """The row's rule, or why it cannot be used (its orders park naming it, never booked otherwise)."""
    try:
        return bundle_rule_parse(value)
    except ValueError as exc:
        return str(exc)


def _location_ids(value: dict[str, Any]) -> tuple[int, ...]:
    """A Shopify location's Odoo locations: ``location_ids`` (several) or ``location_id`` (one)."""
    many = value.get("location_ids")
    if many:
        return tuple(int(x) for x in many)
    return (int(value["location_id"]),) if value.get("location_id") else ()


def _units(value: Any) -> int | None:
    try:
        return max(0, int(value)) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def _stock_rules(by_table: dict[str, dict[str, dict[str, Any]]], shop: dict[str, Any]) -> StockRules:
    """Safety stock and channel allocation per SKU (SKU entries), per location (LOCATION entries, with a
    ``safety_stock_by_sku`` for one SKU there) and per shop (SHOP keys); peak mode from the SHOP row."""
    safety: dict[tuple[str, str], int] = {}
    allocation: dict[tuple[str, str], int] = {}
    for target, field_name in ((safety, "safety_stock"), (allocation, "allocation")):
        if (units := _units(shop.get(field_name))) is not None:
            target[("", "")] = units
        for sku, value in by_table.get(MappingTable.SKU, {}).items():
            if (units := _units(value.get(field_name))) is not None:
                target[(sku, "")] = units
        for location, value in by_table.get(MappingTable.LOCATION, {}).items():
            if (units := _units(value.get(field_name))) is not None:
                target[("", location)] = units
            for sku, per in (value.get(f"{field_name}_by_sku") or {}).items():
                if (units := _units(per)) is not None:
                    target[(str(sku), location)] = units
    return StockRules(
        safety=safety,
        allocation=allocation,
        allocation_percent=min(100, _units(shop.get("allocation_percent")) or 0),
        peak=bool(shop.get("peak_mode")),
        peak_buffer=_units(shop.get("peak_buffer")) or 0,
        not_stocked="report" if shop.get("stock_not_stocked") == "report" else "activate",
    )
