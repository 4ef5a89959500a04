"""Privacy requests as carried out (data requests, customer and shop redactions), newest first. The list
shows no personal data: kinds, Shopify customer ids, dates, outcomes' counts."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from sync.models import PrivacyRequest
from sync.selectors.access import ShopScope, in_scope


def privacy_request_list(
    *, kind: str = "", shop: int | None = None, shops: ShopScope = None
) -> QuerySet[PrivacyRequest]:
    """Each with ``has_export``: a data request whose export is there to read (not purged)."""
    query = (
        PrivacyRequest.objects.select_related("shop")
        .defer("export")
        .annotate(has_export=ExpressionWrapper(Q(export__isnull=False), output_field=BooleanField()))
    )
    query = in_scope(query, shops)
    if kind:
        query = query.filter(kind=kind)
    if shop:
        query = query.filter(shop_id=shop)
    return query.order_by("-created_at", "-pk")
