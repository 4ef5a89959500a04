"""Mapping reads: current tables, per-key history, proposed changes and what a change would do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, TextField
from django.db.models.functions import Cast

from opsconsole.core.errors import IntegrationError
from sync.engine.mappings import (
    build_shop_mappings,
    codes_fixed_by,
    fingerprints_fixed_by,
    mapping_entries,
    mapping_version_current,
)
from sync.models import (
    JobState,
    MappingChange,
    MappingEntry,
    MappingTable,
    MappingVersion,
    ShopifyShop,
    SyncJob,
)
from sync.selectors.access import ShopScope, in_scope
from sync.transforms.orders import order_to_odoo, unwrap_order

#: The fields a person fills in for each table (name, label, type); the value is stored as a JSON object.
TABLE_FIELDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    MappingTable.SKU: (
        ("product_id", "Odoo product id", "int"),
        ("default_code", "Odoo internal reference", "str"),
    ),
    MappingTable.TAX: (
        ("tax_id", "Odoo tax id, prices without tax (optional)", "int?"),
        ("name", "Odoo tax name", "str"),
        ("included_tax_id", "Odoo tax id, prices include tax (optional)", "int?"),
        ("included_name", "Odoo tax name, prices include tax", "str"),
    ),
    MappingTable.SHIPPING: (
        ("product_id", "Delivery product id", "int"),
        ("carrier_id", "Carrier id (optional)", "int?"),
        ("name", "Carrier name", "str"),
    ),
    MappingTable.GATEWAY: (("journal_id", "Odoo journal id", "int"), ("name", "Journal name", "str")),
    MappingTable.LOCATION: (
        ("location_id", "Odoo stock location id", "int"),
        ("name", "Location name", "str"),
    ),
    MappingTable.CARRIER: (
        ("company", "Shopify tracking company (e.g. DHL Express)", "str"),
        ("url", "Tracking URL with {number}, when Odoo gives none (optional)", "str"),
    ),
    MappingTable.SHOP: (
        ("company_id", "Company id", "int"),
        ("pricelist_id", "Pricelist id", "int"),
        ("currency", "Currency", "str"),
        ("tax_rounding", "Tax rounding (round_per_line / round_globally)", "str"),
        ("fulfilment_notify_customer", "Shopify e-mails the customer on each fulfilment", "bool"),
        (
            "gift_card_product_id",
            "Gift-card product id (a service product whose income account is the gift-card liability)",
            "int?",
        ),
        (
            "tip_product_id",
            "Tip product id (a service product for tips: Shopify total_tip_received, booked tax-free)",
            "int?",
        ),
        (
            "duties_product_id",
            "Duties product id (a non-taxed service product for import duties Shopify charged, booked "
            "tax-free; duties refunded are credited on it)",
            "int?",
        ),
        (
            "partners",
            "Partners: company (the shop's Odoo company owns them, the default) or shared (by every company)",
            "str",
        ),
        (
            "shipping_owner",
            "Who ships: odoo (default) or shopify (a 3PL; Odoo's delivery is validated)",
            "str",
        ),
        (
            "book_currency",
            "Currency booked: shop (default) or presentment (with the Currency → pricelist mapping)",
            "str",
        ),
    ),
    MappingTable.PRICELIST: (
        ("pricelist_id", "Odoo pricelist id (in this currency)", "int"),
        ("name", "Pricelist name", "str"),
    ),
    MappingTable.FINANCIAL_STATUS: (("confirm", "Confirm the Odoo order", "bool"),),
    MappingTable.BUNDLE: (
        ("mode", "kit (one line of the kit product) or components (one line per component)", "str"),
        ("product_id", "Kit product id (mode kit)", "int?"),
        ("split", "Price split between components: ratio or list_price (mode components)", "str"),
        (
            "components",
            "Components (mode components): product_id x quantity @ ratio, separated by ; "
            "(e.g. 12x1@3; 15x2@1)",
            "components",
        ),
    ),
}
KEY_LABELS: dict[str, str] = {
    MappingTable.SKU: "Shopify SKU",
    MappingTable.TAX: "Shopify tax (title|rate)",
    MappingTable.SHIPPING: "Shipping method code",
    MappingTable.GATEWAY: "Payment gateway",
    MappingTable.LOCATION: "Shopify location id",
    MappingTable.CARRIER: "Odoo carrier name",
    MappingTable.SHOP: "Key (always 'shop')",
    MappingTable.FINANCIAL_STATUS: "Financial status",
    MappingTable.PRICELIST: "Currency (ISO code, e.g. USD)",
    MappingTable.BUNDLE: "Bundle SKU",
}


def mapping_entries_current(*, shop: ShopifyShop, table: str, q: str = "") -> QuerySet[MappingEntry]:
    """Current entries of one table (the mapping_current index) by key, searchable by key or value."""
    query = MappingEntry.objects.filter(shop=shop, table=table, valid_to__isnull=True)
    if q.strip():
        query = query.annotate(value_text=Cast("value", TextField())).filter(
            Q(key__icontains=q.strip()) | Q(value_text__icontains=q.strip())
        )
    return query.select_related("change", "change__proposed_by", "change__decided_by").order_by("key")


def mapping_rows(*, shop: ShopifyShop, table: str, q: str = "", limit: int = 500) -> QuerySet[MappingEntry]:
    """The mappings screen's rows: ``mapping_entries_current``, at most ``limit``."""
    return mapping_entries_current(shop=shop, table=table, q=q)[:limit]


def mapping_table_counts(*, shop: ShopifyShop) -> dict[str, int]:
    rows = (
        MappingEntry.objects.filter(shop=shop, valid_to__isnull=True)
        .values("table")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["table"]: r["n"] for r in rows}


@dataclass
class HistoryEvent:
    version: int
    value: dict[str, Any] | None  # None: deleted
    change: MappingChange | None
    current: bool = False


def mapping_history(*, shop: ShopifyShop, table: str, key: str) -> list[HistoryEvent]:
    """Every version of one mapping entry, newest first, with the change that made it."""
    entries = list(
        MappingEntry.objects.filter(shop=shop, table=table, key=key)
        .select_related("change", "change__proposed_by", "change__decided_by")
        .order_by("-valid_from")
    )
    starts = {e.valid_from for e in entries}
    deletion_versions = sorted({e.valid_to for e in entries if e.valid_to and e.valid_to not in starts})
    deletion_changes = {
        v.number: v.change
        for v in MappingVersion.objects.filter(shop=shop, number__in=deletion_versions).select_related(
            "change", "change__proposed_by", "change__decided_by"
        )
    }
    events = [
        HistoryEvent(version=e.valid_from, value=e.value, change=e.change, current=e.valid_to is None)
        for e in entries
    ]
    events += [HistoryEvent(version=v, value=None, change=deletion_changes.get(v)) for v in deletion_versions]
    return sorted(events, key=lambda e: e.version, reverse=True)


def mapping_change_queryset(
    *, shop: ShopifyShop | None = None, state: str = "", shops: ShopScope = None
) -> QuerySet[MappingChange]:
    """Proposed changes, newest first (of ``shops`` only, when given)."""
    query = in_scope(MappingChange.objects.select_related("shop", "proposed_by", "decided_by"), shops)
    if shop is not None:
        query = query.filter(shop=shop)
    if state:
        query = query.filter(state=state)
    return query.order_by("-proposed_at", "-pk")


def mapping_changes(
    *, shop: ShopifyShop | None = None, state: str = "", limit: int = 50, shops: ShopScope = None
) -> list[MappingChange]:
    return list(mapping_change_queryset(shop=shop, state=state, shops=shops)[:limit])


@dataclass
class RowDiff:
    table: str
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def action(self) -> str:
        if self.after is None:
            return "delete"
        return "create" if self.before is None else "edit"


def change_diff(*, change: MappingChange) -> list[RowDiff]:
    """Each row of the change against the value in force now (or at the version before it, once applied)."""
    version = (change.version - 1) if change.version else None
    current = {(e.table, e.key): e.value for e in mapping_entries(shop=change.shop, version=version)}
    return [
        RowDiff(table=r["table"], key=r["key"], before=current.get((r["table"], r["key"])), after=r["value"])
        for r in change.rows
    ]


def change_fingerprints(*, change: MappingChange) -> list[str]:
    return [
        fingerprint
        for r in change.rows
        for fingerprint in fingerprints_fixed_by(table=r["table"], key=r["key"], value=r["value"])
    ]


def parked_for(*, shop: ShopifyShop, fingerprints: list[str]) -> QuerySet[SyncJob]:
    """The jobs parked on the shop's problems with these fingerprints (the problem-state index)."""
    return SyncJob.objects.filter(
        problem__shop=shop, problem__fingerprint__in=fingerprints, state=JobState.NEEDS_ATTENTION
    )


def change_unblocks(*, change: MappingChange, limit: int = 200) -> list[SyncJob]:
    """The parked jobs that approving this change would replay."""
    return list(
        parked_for(shop=change.shop, fingerprints=change_fingerprints(change=change))
        .select_related("shop")
        .order_by("-created_at")[:limit]
    )


def mapping_unblocks_count(*, shop: ShopifyShop, table: str, key: str) -> int:
    """How many parked jobs wait for this one entry."""
    codes = codes_fixed_by(table=table, value=None)
    if not key or not codes:
        return 0
    return parked_for(shop=shop, fingerprints=[f"{code}:{key}" for code in codes]).count()


# ------------------------------------------------------------------------------------------ preview


@dataclass
class PreviewRow:
    label: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass
class PayloadPreview:
    job: SyncJob
    rows: list[PreviewRow] = field(default_factory=list)
    before_error: str = ""
    after_error: str = ""


def _draft_values(payload: dict[str, Any], mappings: Any) -> tuple[dict[str, str], str]:
    order = unwrap_order(payload)
    try:
        draft = order_to_odoo(payload, mappings)
    except IntegrationError as exc:
        values = {}
        for item in order.get("line_items") or []:
            label = f"line {item.get('sku') or item.get('name') or item.get('id')}: product_id"
            sku = item.get("sku") or ""
            product = mappings.skus.get(sku)
            values[label] = str(product) if product is not None else "(missing)"
        return values, f"{getattr(exc, 'code', type(exc).__name__)}: {exc}"
    values = {
        "company_id": str(draft.company_id) if draft.company_id is not None else "—",
        "pricelist_id": str(draft.pricelist_id) if draft.pricelist_id is not None else "—",
        "carrier_id": str(draft.carrier_id) if draft.carrier_id is not None else "—",
        "confirm": "yes" if draft.confirm else "no",
        "amount_total": f"{draft.expected_totals.amount_total} {draft.currency}",
    }
    for line in draft.lines:
        ref = line.sku or line.name
        values[f"line {ref}: product_id"] = str(line.product_id)
        values[f"line {ref}: tax_ids"] = ", ".join(map(str, line.tax_ids)) or "—"
    return values, ""


def _outcome(values: dict[str, str], error: str) -> str:
    if error:
        return f"no ({error.split(':', 1)[0]})"
    return f"yes, {values.get('amount_total', '')}".rstrip(", ")


def _sample_jobs(change: MappingChange, limit: int) -> list[SyncJob]:
    parked = change_unblocks(change=change, limit=limit)
    seen = {job.pk for job in parked}
    touching = Q()
    for row in change.rows:
        if row["table"] == MappingTable.SKU:
            touching |= Q(event__payload__contains={"line_items": [{"sku": row["key"]}]})
    recent: list[SyncJob] = []
    if touching and len(parked) < limit:
        recent = list(
            SyncJob.objects.filter(shop=change.shop, flow="orders", event__isnull=False)
            .filter(touching)
            .exclude(pk__in=seen)
            .select_related("event", "shop")
            .order_by("-created_at")[: limit - len(parked)]
        )
    return [*parked, *recent]


def change_preview(*, change: MappingChange, limit: int = 5) -> list[PayloadPreview]:
    """For recent order payloads the change touches: the Odoo-bound values before and after it."""
    shop = change.shop
    version = (change.version - 1) if change.version else None
    entries = mapping_entries(shop=shop, version=version)
    number = version if version is not None else mapping_version_current(shop=shop)
    before = build_shop_mappings(shop=shop, version=number, entries=entries)
    changed = {(r["table"], r["key"]): r["value"] for r in change.rows}
    after_entries = [e for e in entries if (e.table, e.key) not in changed]
    after_entries += [
        MappingEntry(shop=shop, table=table, key=key, value=value, valid_from=number + 1)
        for (table, key), value in changed.items()
        if value is not None
    ]
    after = build_shop_mappings(shop=shop, version=number + 1, entries=after_entries)
    previews = []
    for job in _sample_jobs(change, limit):
        payload = job.event.payload if job.event is not None else (job.input or {}).get("payload")
        if job.flow != "orders" or not isinstance(payload, dict):
            continue
        before_values, before_error = _draft_values(payload, before)
        after_values, after_error = _draft_values(payload, after)
        rows = [
            PreviewRow(
                label="books in Odoo",
                before=_outcome(before_values, before_error),
                after=_outcome(after_values, after_error),
            )
        ]
        for label in dict.fromkeys([*before_values, *after_values]):
            both = label in before_values and label in after_values
            if both or label.endswith("product_id"):
                rows.append(
                    PreviewRow(
                        label=label, before=before_values.get(label, "—"), after=after_values.get(label, "—")
                    )
                )
        previews.append(
            PayloadPreview(job=job, rows=rows, before_error=before_error, after_error=after_error)
        )
    return previews
