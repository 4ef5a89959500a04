"""What the Odoo company says about taxes, read from Odoo (never assumed): its rounding method and, for each
sale tax, its rate and whether its price includes it (Odoo 18+ computes ``price_include`` from
``price_include_override`` or the company default; on 17 it is a plain field).

Read once per process and Odoo connection for ``FACTS_TTL`` seconds: two calls, then none. Read-back
verification (sync/flows/verify.py) catches whatever changes in Odoo inside that window.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from opsconsole.core.errors import BusinessRuleError
from sync.connectors.odoo import TaxInfo
from sync.flows.context import JobContext
from sync.transforms.types import ShopMappings

FACTS_TTL = 300.0


@dataclass(frozen=True)
class TaxFacts:
    company_id: int | None
    rounding: str  # res.company.tax_calculation_rounding_method
    taxes: dict[int, TaxInfo]  # the company's sale taxes by id


_cache: dict[tuple[int, int | None], tuple[float, TaxFacts]] = {}


def facts_cache_clear() -> None:
    _cache.clear()


def tax_facts(ctx: JobContext, *, company_id: int | None) -> TaxFacts:
    key = (ctx.shop.odoo_id, company_id)
    cached = _cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < FACTS_TTL:
        return cached[1]
    with ctx.call("odoo", "company_tax_settings"):
        company = company_id
        if company is None:
            rows = ctx.odoo.execute(
                "res.company", "search_read", domain=[], fields=["id"], order="id asc", limit=1
            )
            company = int(rows[0]["id"]) if rows else None
        rounding = ctx.odoo.company_tax_settings(company).rounding_method if company else "round_per_line"
    with ctx.call("odoo", "taxes"):
        taxes = {t.id: t for t in ctx.odoo.taxes(company_id=company)}
    facts = TaxFacts(company_id=company, rounding=rounding, taxes=taxes)
    _cache[key] = (time.monotonic(), facts)
    return facts


def with_odoo_rounding(mappings: ShopMappings, facts: TaxFacts) -> ShopMappings:
    """The mappings with the company's rounding method as Odoo has it (a mapped value is only a default)."""
    if facts.rounding in ("round_per_line", "round_globally") and facts.rounding != mappings.tax_rounding:
        return replace(mappings, tax_rounding=facts.rounding)  # type: ignore[arg-type]
    return mappings


def taxes_check(
    facts: TaxFacts, *, order: dict[str, Any], included: bool, used: Iterable[tuple[str, int, Decimal]]
) -> None:
    """Before writing: every mapped Odoo tax the order uses has Shopify's treatment and rate.

    ``used``: (tax key, Odoo tax id, Shopify rate). A tax-excluded Odoo tax on a tax-included order books
    the tax on top of prices that already hold it (107.90 -> 129.48): refused here, nothing is written."""
    name = order.get("name") or order.get("id")
    for key, tax_id, rate in used:
        tax = facts.taxes.get(tax_id)
        if tax is None:
            raise BusinessRuleError(
                f"order {name}: Shopify tax {key!r} is mapped to Odoo tax {tax_id}, which is not an "
                f"active sale tax of company {facts.company_id}",
                code="unknown_tax",
                key=key,
                details={"order_id": str(order.get("id")), "odoo_tax_id": tax_id},
            )
        if tax.price_include != included:
            wanted = "tax_included" if included else "tax_excluded"
            raise BusinessRuleError(
                f"order {name}: Shopify's prices {'include' if included else 'exclude'} tax, but the Odoo "
                f"tax {tax.name!r} (id {tax.id}) mapped for {key!r} is "
                f"{'tax-included' if tax.price_include else 'tax-excluded'}; Odoo would book "
                f"{'tax on top of the prices' if included else 'the tax out of the prices'}. Map an Odoo "
                f"tax whose price_include_override is {wanted!r} (Odoo 18+; price_include on 17) for "
                "these orders.",
                code="tax_treatment_mismatch",
                key=key,
                details={
                    "order_id": str(order.get("id")),
                    "odoo_tax_id": tax.id,
                    "odoo_tax": tax.name,
                    "odoo_price_include": tax.price_include,
                    "odoo_price_include_override": tax.price_include_override,
                    "taxes_included": included,
                },
            )
        if tax.amount_type == "percent" and tax.amount != rate * 100:
            raise BusinessRuleError(
                f"order {name}: Shopify tax {key!r} is {rate * 100:g} %, the mapped Odoo tax {tax.name!r} "
                f"is {tax.amount:g} %",
                code="tax_mismatch",
                key=key,
                details={
                    "order_id": str(order.get("id")),
                    "odoo_tax_id": tax.id,
                    "odoo_amount": str(tax.amount),
                },
            )
