"""Odoo records a person picks for a mapping (products, sale taxes, carriers, journals), searched and checked
in the shop's Odoo company through the connector: the mapping screens' pickers, and the check a proposed
id passes (it exists, is of the right kind and belongs to the shop's company) before it can be proposed.

Reads only, on the shop's Odoo connection, each call with ``allowed_company_ids`` = the shop's company.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsconsole.core.errors import IntegrationError
from sync.connectors.odoo import OdooClient, RecordChoice
from sync.engine.clients import odoo_client_for
from sync.engine.mappings import mappings_for_shop
from sync.models import MappingTable, ShopifyShop

MIN_CHARS = 2
MAX_RESULTS = 20


@dataclass(frozen=True)
class PickerField:
    kind: str  # RecordChoice.kind
    fills: str = ""  # the field of the same row the picked record's name (or SKU) is copied into
    included: bool | None = None  # taxes: whether the tax must include tax in the price


#: Mapping fields that hold an Odoo id, picked by searching: (table, field) -> what is picked.
PICKER_FIELDS: dict[tuple[str, str], PickerField] = {
    (MappingTable.SKU, "product_id"): PickerField("product", fills="default_code"),
    (MappingTable.SHIPPING, "product_id"): PickerField("product"),
    (MappingTable.BUNDLE, "product_id"): PickerField("product"),
    (MappingTable.SHIPPING, "carrier_id"): PickerField("carrier", fills="name"),
    (MappingTable.TAX, "tax_id"): PickerField("tax", fills="name", included=False),
    (MappingTable.TAX, "included_tax_id"): PickerField("tax", fills="included_name", included=True),
    (MappingTable.GATEWAY, "journal_id"): PickerField("journal", fills="name"),
}
KIND_LABELS = {"product": "product", "tax": "sale tax", "carrier": "carrier", "journal": "journal"}
SEARCH_HINTS = {
    "product": "SKU, name or barcode",
    "tax": "tax name or rate",
    "carrier": "carrier name",
    "journal": "journal name or code (bank, cash or sale)",
}


def shop_odoo(*, shop: ShopifyShop) -> OdooClient:
    """The shop's Odoo client, every call in the shop's company (as the shop's jobs make them)."""
    return odoo_client_for(shop.odoo).for_company(mappings_for_shop(shop=shop).company_id)


def price_treatment(choice: RecordChoice) -> str:
    """How a tax treats prices, as Odoo computes it (18+: from price_include_override or the company's
    default)."""
    if choice.price_include is None:
        return ""
    text = "prices include tax" if choice.price_include else "prices exclude tax"
    return f"{text} (company default)" if choice.price_include_from_company else text


def choice_label(choice: RecordChoice) -> str:
    """``[SKU] Name (id N, company)``, with what tells records of a kind apart."""
    where = f"id {choice.id}, {choice.company or 'every company'}"
    if choice.kind == "product":
        name = (
            choice.name
            if choice.name.startswith("[") or not choice.code
            else f"[{choice.code}] {choice.name}"
        )
        text = f"{name}{f' · barcode {choice.barcode}' if choice.barcode else ''}"
    elif choice.kind == "tax":
        rate = f"{choice.amount.normalize():f}" if choice.amount is not None else "?"
        unit = "%" if choice.amount_type in ("percent", "division") else " fixed"
        text = f"{choice.name} · {rate}{unit} · {price_treatment(choice)}"
    elif choice.kind == "journal":
        text = f"{choice.name} [{choice.code}] · {choice.journal_type}"
    elif choice.kind == "carrier":
        text = f"{choice.name} · delivery product id {choice.product_id}"
    else:
        text = choice.name
    archived = " · archived" if not choice.active else ""
    return f"{text}{archived} ({where})"


def record_choices(*, shop: ShopifyShop, kind: str, text: str) -> list[RecordChoice]:
    """At most 20 records of ``kind`` in the shop's company matching ``text`` (at least 2 characters, else
    nothing is asked of Odoo). Connector errors are raised as they come."""
    text = text.strip()[:80]
    if len(text) < MIN_CHARS:
        return []
    return shop_odoo(shop=shop).pick_search(kind, text, limit=MAX_RESULTS)


def record_choice(*, shop: ShopifyShop, kind: str, record_id: int) -> RecordChoice | None:
    """The record ``record_id`` of ``kind`` in the shop's company, or None."""
    return shop_odoo(shop=shop).pick_read(kind, [record_id]).get(record_id)


def mapping_value_problems(
    *, shop: ShopifyShop, rows: list[tuple[str, str, dict[str, Any] | None]]
) -> list[str]:
    """Why these (table, key, value) rows cannot be proposed as they are: each Odoo id they hold must be a
    record of the right kind (a product, a sale tax of the right price treatment, a carrier, a bank / cash /
    sale journal) that the shop's Odoo company can use, and not archived. One call per kind of record.
    Empty: every id checked out. Odoo unreachable or refusing: one problem saying so (nothing is assumed)."""
    wanted: dict[str, set[int]] = {}
    uses: list[tuple[str, str, str, PickerField, int]] = []
    for table, key, value in rows:
        for name, raw in (value or {}).items():
            spec = PICKER_FIELDS.get((table, name))
            if spec is None or raw in (None, "") or isinstance(raw, bool):
                continue
            try:
                record_id = int(raw)
            except (TypeError, ValueError):
                continue  # the form's own parsing names a value that is not a number
            wanted.setdefault(spec.kind, set()).add(record_id)
            uses.append((table, key, name, spec, record_id))
    if not uses:
        return []
    mappings = mappings_for_shop(shop=shop)
    try:
        client = shop_odoo(shop=shop)
        found = {kind: client.pick_read(kind, sorted(ids)) for kind, ids in wanted.items()}
    except IntegrationError as exc:
        return [
            f"Odoo ({shop.odoo.name}) could not be asked whether the ids exist, so nothing was proposed: "
            f"{exc.message}"
        ]
    company = f"company {mappings.company_id}" if mappings.company_id else "the connection's companies"
    problems = []
    for table, key, name, spec, record_id in uses:
        choice = found[spec.kind].get(record_id)
        what = f"{table} {key}: {name} {record_id}"
        if choice is None:
            problems.append(
                f"{what} is no {KIND_LABELS[spec.kind]} that {company} of Odoo can use "
                f"(no such record, another kind of record, or another company's)"
            )
        elif not choice.active:
            problems.append(f"{what} is archived in Odoo ({choice_label(choice)})")
        elif spec.included is not None and choice.price_include is not spec.included:
            wrong = "includes" if choice.price_include else "does not include"
            problems.append(
                f"{what}: {choice.name} {wrong} tax in the price, but this field is for prices that "
                f"{'include' if spec.included else 'exclude'} tax ({choice_label(choice)})"
            )
    return problems
