"""Job reads for the console: the job explorer, a job's links, a replay's progress. (The exception queue
reads Problems: sync/selectors/problems.py.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from sync.kinds import INGEST_FAILED_KIND, KINDS, QUARANTINE_KIND, UNHANDLED_TOPIC_KIND
from sync.models import InboundEvent, JobState, ShopifyShop, SyncJob
from sync.selectors.access import ShopScope, in_scope

AGES: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}


#: Subject prefixes a Shopify or Odoo id can follow (``order:5940139491234``, ``product:42``, ...).
SUBJECT_PREFIXES = ("order", "customer", "product", "partner", "inventory_levels", "products", "event")
#: At most this many jobs match one search (the newest of them are shown).
SEARCH_LIMIT = 2000


def job_search_q(query: str) -> Q:
    """Match a Shopify order name (#1001) or id, or an Odoo reference (sale order id or name), or an
    error key (a SKU). Each way is one indexed look-up (so that a search stays fast over millions of jobs:
    bench/console.py); the jobs found are returned as ``pk IN (...)``."""
    query = query.strip()
    if not query:
        return Q()
    name = query if query.startswith("#") else f"#{query}"
    shops = list(ShopifyShop.objects.values_list("pk", flat=True))
    subjects = {query, query.lower()}
    if query.isdigit():
        subjects |= {f"{prefix}:{query}" for prefix in SUBJECT_PREFIXES}
    jobs = SyncJob.objects.order_by()
    delivery = InboundEvent.objects.filter(shop_id__in=shops, webhook_id=query)
    ways: list[QuerySet[SyncJob]] = [
        # a delivery's webhook id (X-Shopify-Webhook-Id): its job, or the job that handled it
        jobs.filter(event_id__in=delivery.values("pk")),
        jobs.filter(pk__in=delivery.filter(handled_by__isnull=False).values("handled_by")),
        # (shop, subject): every shop's ids with every subject, one index scan
        jobs.filter(shop_id__in=shops, subject__in=sorted(subjects)),
        jobs.filter(Q(subject_label__iexact=query) | Q(subject_label__iexact=name)),
        jobs.exclude(error_key="").filter(error_key__iexact=query),
        jobs.filter(result__isnull=False, result__contains={"odoo_order_name": query.upper()}),
        jobs.filter(result__isnull=False, result__contains={"name": query}),
    ]
    if query.isdigit():
        number = int(query)
        events = InboundEvent.objects.filter(shop_id__in=shops, subject_id=query)
        ways += [
            jobs.filter(event_id__in=events.values("pk")),
            # deliveries that made no job of their own: the job they were folded into, or whose echo they are
            jobs.filter(pk__in=events.filter(handled_by__isnull=False).values("handled_by")),
            jobs.filter(result__isnull=False, result__contains={"odoo_order_id": number}),
            jobs.filter(result__isnull=False, result__contains={"odoo_partner_id": number}),
        ]
    found: set[int] = set()
    for way in ways:
        found.update(way.values_list("pk", flat=True)[:SEARCH_LIMIT])
    return Q(pk__in=sorted(found)[-SEARCH_LIMIT:])


# --------------------------------------------------------------------------------------------- jobs


@dataclass(frozen=True)
class JobFilters:
    flow: str = ""
    state: str = ""
    shop: int | None = None
    kind: str = ""
    age: str = ""
    q: str = ""
    shops: ShopScope = None  # the user's shops (sync/selectors/access.py); None: every shop


def job_list(*, filters: JobFilters | None = None, now: datetime | None = None) -> QuerySet[SyncJob]:
    """Newest first, using the (state, created_at) and (flow, created_at) indexes."""
    filters = filters or JobFilters()
    now = now or timezone.now()
    query = in_scope(SyncJob.objects.select_related("shop"), filters.shops)
    if filters.flow:
        query = query.filter(flow=filters.flow)
    if filters.state in JobState.values:
        query = query.filter(state=filters.state)
    if filters.shop:
        query = query.filter(shop_id=filters.shop)
    if filters.kind:
        query = query.filter(kind=filters.kind)
    if filters.age in AGES:
        query = query.filter(created_at__gte=now - AGES[filters.age])
    if filters.q:
        query = query.filter(job_search_q(filters.q))
    return query.order_by("-created_at")


def job_detail(*, job_id: int, shops: ShopScope = None) -> SyncJob:
    """One job (SyncJob.DoesNotExist also when it belongs to a shop outside ``shops``)."""
    query = SyncJob.objects.select_related("shop", "shop__odoo", "event", "closed_by", "problem")
    return in_scope(query, shops).get(pk=job_id)


def job_kinds() -> list[str]:
    """The kinds a job can have (the table, not a DISTINCT over millions of jobs)."""
    return sorted({*KINDS, QUARANTINE_KIND, UNHANDLED_TOPIC_KIND, INGEST_FAILED_KIND})


def shops_for_filters(*, shops: ShopScope = None) -> list[ShopifyShop]:
    return list(in_scope(ShopifyShop.objects.order_by("domain").only("pk", "domain"), shops, "pk"))


@dataclass
class JobLinks:
    odoo_url: str | None = None
    odoo_label: str = ""
    shopify_url: str | None = None
    shopify_label: str = ""
    produced: dict[str, Any] = field(default_factory=dict)


def shopify_id_of(job: SyncJob) -> str:
    if job.event is not None and job.event.subject_id:
        return job.event.subject_id
    _, _, tail = job.subject.partition(":")
    return tail if tail.isdigit() else ""


def job_links(*, job: SyncJob) -> JobLinks:
    """Links to the record in Odoo (17+: /odoo/sales/<id>) and in the Shopify admin."""
    links = JobLinks()
    result = job.result or {}
    links.produced = {k: v for k, v in result.items() if k.endswith(("_id", "_ids"))}
    odoo_id = result.get("odoo_order_id")
    connection = job.shop.odoo
    base = connection.url.rstrip("/")
    if odoo_id:
        major = "".join(ch for ch in (connection.server_version or "").split(".")[0] if ch.isdigit())
        if not major or int(major) >= 17:
            links.odoo_url = f"{base}/odoo/sales/{odoo_id}"
        else:
            links.odoo_url = f"{base}/web#id={odoo_id}&model=sale.order&view_type=form"
        links.odoo_label = f"sale.order {odoo_id}"
    elif result.get("odoo_partner_id"):
        partner = result["odoo_partner_id"]
        links.odoo_url = f"{base}/odoo/contacts/{partner}"
        links.odoo_label = f"res.partner {partner}"
    admin = job.shop.admin_url.rstrip("/")
    inputs = job.input or {}
    if isinstance(inputs.get("picking"), dict):
        # A delivery pushed as a fulfilment (or a return cancelling one): the picking in Odoo, the order
        # and its fulfilments in Shopify.
        picking = inputs["picking"]
        links.odoo_url = f"{base}/web#id={picking.get('id')}&model=stock.picking&view_type=form"
        links.odoo_label = f"stock.picking {picking.get('name') or picking.get('id')}"
        if result.get("shopify_order_id"):
            links.shopify_url = f"{admin}/admin/orders/{result['shopify_order_id']}"
            links.shopify_label = f"order {result['shopify_order_id']} ({picking.get('sale_name', '')})"
        if result.get("fulfillments"):
            links.produced["fulfillments"] = ", ".join(str(f) for f in result["fulfillments"])
        return links
    if isinstance(inputs.get("partner"), dict):
        partner = inputs["partner"]
        links.odoo_url = f"{base}/odoo/contacts/{partner.get('id')}"
        links.odoo_label = f"res.partner {partner.get('id')}"
        if result.get("customer"):
            links.shopify_url = f"{admin}/admin/customers/{result['customer']}"
            links.shopify_label = f"customer {result['customer']}"
        return links
    shopify_id = shopify_id_of(job)
    if shopify_id and job.subject.startswith("order"):
        links.shopify_url = f"{admin}/admin/orders/{shopify_id}"
        links.shopify_label = job.subject_label or f"order {shopify_id}"
    elif shopify_id and job.subject.startswith("customer"):
        links.shopify_url = f"{admin}/admin/customers/{shopify_id}"
        links.shopify_label = f"customer {shopify_id}"
    return links


def jobs_progress(*, job_ids: list[int]) -> dict[str, int]:
    """Where a batch of replayed jobs stands (the progress bar of a bulk action)."""
    counts = dict(
        SyncJob.objects.filter(pk__in=job_ids).values_list("state").annotate(n=Count("pk")).order_by()
    )
    waiting = counts.get(JobState.QUEUED, 0) + counts.get(JobState.RUNNING, 0)
    retrying = counts.get(JobState.RETRYING, 0)
    failed = counts.get(JobState.NEEDS_ATTENTION, 0) + counts.get(JobState.DEAD, 0)
    succeeded = counts.get(JobState.SUCCEEDED, 0)
    total = len(job_ids)
    done = total - waiting - retrying
    return {
        "total": total,
        "waiting": waiting,
        "retrying": retrying,
        "failed": failed,
        "succeeded": succeeded,
        "done": done,
        "percent": round(100 * done / total) if total else 100,
    }
