"""What the held-orders screen reads: orders held for their risk (sync/flows/risk.py), in the user's shops."""

from __future__ import annotations

from django.db.models import QuerySet

from sync.models import OrderHold
from sync.selectors.access import ShopScope, in_scope

Status = OrderHold.Status

#: The screen's tabs: waiting for a person (or for the job that carries out their decision), and decided.
HOLD_VIEWS: dict[str, tuple[str, ...]] = {
    "open": (Status.HELD, Status.RELEASING, Status.CANCELLING),
    "decided": (Status.RELEASED, Status.CANCELLED, Status.CLEARED),
}


def held_orders(*, shops: ShopScope, view: str = "open", limit: int = 200) -> QuerySet[OrderHold]:
    """Newest first; ``view`` one of HOLD_VIEWS (anything else: every hold)."""
    query = in_scope(OrderHold.objects.select_related("shop", "decided_by", "decision_job"), shops)
    if view in HOLD_VIEWS:
        query = query.filter(status__in=HOLD_VIEWS[view])
    return query.order_by("-created_at", "-pk")[:limit]


def held_order(*, shops: ShopScope, hold_id: int) -> OrderHold | None:
    query = in_scope(OrderHold.objects.select_related("shop", "decided_by", "decision_job"), shops)
    return query.filter(pk=hold_id).first()


def held_count(*, shops: ShopScope) -> int:
    return in_scope(OrderHold.objects.filter(status=Status.HELD), shops).count()
