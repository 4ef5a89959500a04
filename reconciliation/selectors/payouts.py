"""Payouts as the Payouts screen and /api/v1/payouts/ list them: newest first, by status, shop, issue date."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from django.db.models import QuerySet

from reconciliation.models import Payout
from sync.selectors.access import in_scope

PAYOUT_STATUSES = tuple(Payout.Reconciliation.values)


def payout_list(
    *,
    status: str = "",
    shop: int | None = None,
    since: date | None = None,
    until: date | None = None,
    shops: Collection[int] | None = None,
) -> QuerySet[Payout]:
    rows = in_scope(Payout.objects.select_related("shop").order_by("-issued_at", "-pk"), shops)
    if status in PAYOUT_STATUSES:
        rows = rows.filter(status=status)
    if shop:
        rows = rows.filter(shop_id=shop)
    if since:
        rows = rows.filter(issued_at__date__gte=since)
    if until:
        rows = rows.filter(issued_at__date__lte=until)
    return rows
