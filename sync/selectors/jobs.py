"""Job and problem reads for the console: the exception queue grouped by fingerprint, the job explorer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from sync.models import PROBLEM_STATES, JobState, ShopifyShop, SyncJob

AGES: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
#: Problem statuses the exception queue filters by.
PROBLEM_STATUSES = ("open", "needs_attention", "dead", "snoozed", "resolved", "ignored")


def job_search_q(query: str) -> Q:
    """Match a Shopify order name (#1001) or id, or an Odoo reference (sale order id or name)."""
    query = query.strip()
    if not query:
        return Q()
    name = query if query.startswith("#") else f"#{query}"
    condition = (
        Q(subject_label__iexact=query)
        | Q(subject_label__iexact=name)
        | Q(subject__iexact=query)
        | Q(event__payload__name=name)
        | Q(result__odoo_order_name__iexact=query)
        | Q(result__name__iexact=query)
        | Q(error_key__iexact=query)
    )
    if query.isdigit():
        condition |= (
            Q(subject__endswith=f":{query}")
            | Q(event__subject_id=query)
            | Q(result__odoo_order_id=int(query))
            | Q(result__odoo_partner_id=int(query))
        )
    return condition


# ----------------------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class ProblemFilters:
    flow: str = ""
    error_class: str = ""
    shop: int | None = None
    status: str = "open"
    age: str = ""
    q: str = ""


@dataclass
class ProblemGroup:
    fingerprint: str
    count: int
    first_seen: datetime
    last_seen: datetime
    error_class: str
    error_code: str
    error_key: str
    error_message: str
    flows: list[str]
    shops: list[str]
    finance: bool
    dead: int = 0
    snoozed_until: datetime | None = None

    @property
    def title(self) -> str:
        return problem_title(self.error_code, self.error_key, self.error_class, self.error_message)


def problem_title(code: str, key: str, error_class: str, message: str) -> str:
    titles = {
        "unknown_sku": "Unknown SKU {key}",
        "missing_sku": "Line item without SKU",
        "unknown_tax": "Unmapped tax {key}",
        "unknown_shipping_method": "Unmapped shipping method {key}",
        "unknown_gateway": "Unmapped payment gateway {key}",
        "unknown_location": "Unmapped location {key}",
        "shop_not_mapped": "Shop not mapped to an Odoo company",
        "total_mismatch": "Order total differs from Shopify",
        "tax_mismatch": "Tax differs from Shopify",
        "currency_mismatch": "Currency {key} does not match the shop",
        "auth": "Odoo refused our credentials",
    }
    if code in titles:
        return titles[code].format(key=key)
    if code:
        return f"{code.replace('_', ' ').capitalize()}{f' {key}' if key else ''}"
    return f"{error_class or 'Error'}: {message[:80]}" if message else (error_class or "Error")


def _status_filter(status: str, now: datetime) -> Q:
    not_snoozed = Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)
    if status == "needs_attention":
        return Q(state=JobState.NEEDS_ATTENTION) & not_snoozed
    if status == "dead":
        return Q(state=JobState.DEAD) & not_snoozed
    if status == "snoozed":
        return Q(state__in=PROBLEM_STATES, snoozed_until__gt=now)
    if status == "resolved":
        return Q(state=JobState.RESOLVED)
    if status == "ignored":
        return Q(state=JobState.IGNORED)
    if status == "all":
        return Q(state__in=PROBLEM_STATES)  # open and snoozed
    return Q(state__in=PROBLEM_STATES) & not_snoozed


def problem_jobs_query(
    *, filters: ProblemFilters, now: datetime | None = None, fingerprint: str | None = None
) -> QuerySet[SyncJob]:
    now = now or timezone.now()
    query = SyncJob.objects.filter(_status_filter(filters.status, now)).exclude(fingerprint="")
    if fingerprint is not None:
        query = query.filter(fingerprint=fingerprint)
    if filters.flow:
        query = query.filter(flow=filters.flow)
    if filters.error_class:
        query = query.filter(error_class=filters.error_class)
    if filters.shop:
        query = query.filter(shop_id=filters.shop)
    if filters.age in AGES:
        query = query.filter(created_at__gte=now - AGES[filters.age])
    if filters.q:
        query = query.filter(job_search_q(filters.q))
    return query


def problem_groups(
    *, filters: ProblemFilters | None = None, now: datetime | None = None, limit: int = 200
) -> list[ProblemGroup]:
    """Problems grouped by fingerprint, most recently seen first. Snoozed ones only when asked."""
    filters = filters or ProblemFilters()
    now = now or timezone.now()
    rows = list(
        problem_jobs_query(filters=filters, now=now)
        .values("fingerprint")
        .annotate(
            count=Count("pk"),
            first_seen=Min("created_at"),
            last_seen=Max("created_at"),
            dead=Count("pk", filter=Q(state=JobState.DEAD)),
            snoozed_until=Max("snoozed_until"),
            sample=Max("pk"),
        )
        .order_by("-last_seen")[:limit]
    )
    if not rows:
        return []
    samples = {
        job.pk: job
        for job in SyncJob.objects.filter(pk__in=[r["sample"] for r in rows]).only(
            "pk", "error_class", "error_code", "error_key", "error_message", "finance"
        )
    }
    fingerprints = [r["fingerprint"] for r in rows]
    spread: dict[str, tuple[set[str], set[str], bool]] = {}
    detail = (
        problem_jobs_query(filters=filters, now=now)
        .filter(fingerprint__in=fingerprints)
        .values("fingerprint", "flow", "shop__domain", "finance")
        .distinct()
    )
    for item in detail:
        flows, shops, finance = spread.setdefault(item["fingerprint"], (set(), set(), False))
        flows.add(item["flow"])
        shops.add(item["shop__domain"])
        if item["finance"]:
            spread[item["fingerprint"]] = (flows, shops, True)
    groups = []
    for row in rows:
        sample = samples[row["sample"]]
        flows, shops, finance = spread.get(row["fingerprint"], (set(), set(), False))
        groups.append(
            ProblemGroup(
                fingerprint=row["fingerprint"],
                count=row["count"],
                first_seen=row["first_seen"],
                last_seen=row["last_seen"],
                error_class=sample.error_class,
                error_code=sample.error_code,
                error_key=sample.error_key,
                error_message=sample.error_message,
                flows=sorted(flows),
                shops=sorted(shops),
                finance=finance,
                dead=row["dead"],
                snoozed_until=row["snoozed_until"] if filters.status == "snoozed" else None,
            )
        )
    return groups


def problem_group_for(
    *, fingerprint: str, status: str = "all", now: datetime | None = None
) -> ProblemGroup | None:
    """One group by fingerprint (open and snoozed jobs by default)."""
    now = now or timezone.now()
    query = problem_jobs_query(filters=ProblemFilters(status=status), now=now, fingerprint=fingerprint)
    row = query.aggregate(
        count=Count("pk"),
        first_seen=Min("created_at"),
        last_seen=Max("created_at"),
        dead=Count("pk", filter=Q(state=JobState.DEAD)),
        sample=Max("pk"),
        snoozed_until=Max("snoozed_until", filter=Q(snoozed_until__gt=now)),
    )
    if not row["count"]:
        return None
    sample = SyncJob.objects.get(pk=row["sample"])
    flows = sorted(set(query.values_list("flow", flat=True).distinct()))
    shops = sorted(set(query.values_list("shop__domain", flat=True).distinct()))
    return ProblemGroup(
        fingerprint=fingerprint,
        count=row["count"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        error_class=sample.error_class,
        error_code=sample.error_code,
        error_key=sample.error_key,
        error_message=sample.error_message,
        flows=flows,
        shops=shops,
        finance=query.filter(finance=True).exists(),
        dead=row["dead"],
        snoozed_until=row["snoozed_until"],
    )


def problem_group_jobs(*, fingerprint: str, status: str = "all", limit: int = 500) -> list[SyncJob]:
    return list(
        problem_jobs_query(filters=ProblemFilters(status=status), fingerprint=fingerprint)
        .select_related("shop", "event")
        .order_by("-created_at")[:limit]
    )


def problem_error_classes() -> list[str]:
    return sorted(
        c
        for c in SyncJob.objects.filter(state__in=PROBLEM_STATES)
        .exclude(error_class="")
        .values_list("error_class", flat=True)
        .distinct()
        if c
    )


def problem_count(*, now: datetime | None = None) -> int:
    """Open (not snoozed) problem jobs: the sidebar badge."""
    return problem_jobs_query(filters=ProblemFilters(), now=now).count()


# --------------------------------------------------------------------------------------------- jobs


@dataclass(frozen=True)
class JobFilters:
    flow: str = ""
    state: str = ""
    shop: int | None = None
    kind: str = ""
    age: str = ""
    q: str = ""


def job_list(*, filters: JobFilters | None = None, now: datetime | None = None) -> QuerySet[SyncJob]:
    """Newest first, using the (state, created_at) and (flow, created_at) indexes."""
    filters = filters or JobFilters()
    now = now or timezone.now()
    query = SyncJob.objects.select_related("shop")
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


def job_detail(*, job_id: int) -> SyncJob:
    return SyncJob.objects.select_related("shop", "shop__odoo", "event", "closed_by").get(pk=job_id)


def job_kinds() -> list[str]:
    return sorted(SyncJob.objects.values_list("kind", flat=True).distinct().order_by())


def shops_for_filters() -> list[ShopifyShop]:
    return list(ShopifyShop.objects.order_by("domain").only("pk", "domain"))


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
    shopify_id = shopify_id_of(job)
    admin = job.shop.admin_url.rstrip("/")
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
