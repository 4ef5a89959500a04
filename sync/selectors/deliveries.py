"""Webhook deliveries as stored by the inbox (one row per delivery) and the ones we refused (the security
log), newest first (the received_at / at indexes)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from sync.models import PROBLEM_STATES, InboundEvent, RejectedDelivery, ShopifyShop
from sync.selectors.access import ShopScope, in_scope


def delivery_list(
    *, shop: int | None = None, topic: str = "", unreadable: bool = False, shops: ShopScope = None
) -> QuerySet[InboundEvent]:
    """Stored deliveries without their bodies (``raw_body`` and ``payload`` are deferred), each with the
    number of its jobs and of those parked."""
    query = in_scope(
        InboundEvent.objects.select_related("shop").defer("raw_body", "payload", "headers"), shops
    )
    if shop:
        query = query.filter(shop_id=shop)
    if topic:
        query = query.filter(topic=topic)
    if unreadable:
        query = query.exclude(parse_error="")
    return query.annotate(
        job_count=Count("jobs"), parked_count=Count("jobs", filter=Q(jobs__state__in=PROBLEM_STATES))
    ).order_by("-received_at", "-pk")


def rejected_delivery_list(*, reason: str = "", shops: ShopScope = None) -> QuerySet[RejectedDelivery]:
    """Refused deliveries; a user limited to some shops sees those naming one of their shops' domains."""
    domains = (
        None
        if shops is None
        else list(ShopifyShop.objects.filter(pk__in=shops).values_list("domain", flat=True))
    )
    query = in_scope(RejectedDelivery.objects.all(), domains, "shop_domain")
    if reason:
        query = query.filter(reason=reason)
    return query.order_by("-at", "-pk")
