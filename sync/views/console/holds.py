"""Held orders: orders Shopify's risk assessment recommends cancelling or investigating, booked in Odoo
as quotations (sync/flows/risk.py), with their risk facts; ops release or cancel each
(sync/services/holds.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from opsconsole.core.permissions import allowed
from sync.selectors.access import shop_scope
from sync.selectors.holds import HOLD_VIEWS, held_order, held_orders
from sync.services.holds import order_hold_decide
from sync.views.console.common import PROBLEMS_CHANGED, console_view, page_or_partial, trigger

HOLDS_CHANGED = "holds-changed"


@console_view()
@require_GET
def held_orders_page(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", "open")
    view = view if view in (*HOLD_VIEWS, "all") else "open"
    return page_or_partial(
        request,
        "sync/held_orders.html",
        {
            "title": "Held orders",
            "holds": held_orders(shops=shop_scope(request.user), view=view),
            "view": view,
            "views": (("open", "Waiting"), ("decided", "Decided"), ("all", "All")),
            "can_act": allowed(request.user, "act_on_jobs"),
        },
        "results",
    )


@console_view("act_on_jobs")
@require_POST
def held_order_decide(request: HttpRequest, hold_id: int, decision: str) -> HttpResponse:
    """Release or cancel one held order; answers with its re-rendered row (htmx) or the list."""
    hold = held_order(shops=shop_scope(request.user), hold_id=hold_id)
    if hold is None:
        raise Http404("no such held order")
    error = ""
    try:
        order_hold_decide(actor=request.user, hold=hold, decision=decision, request=request)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if not getattr(request, "htmx", False):
        return redirect("held-orders")
    hold = held_order(shops=shop_scope(request.user), hold_id=hold_id)
    response = render(
        request, "sync/partials/_hold_row.html", {"hold": hold, "can_act": True, "error": error}
    )
    return trigger(response, HOLDS_CHANGED, PROBLEMS_CHANGED)
