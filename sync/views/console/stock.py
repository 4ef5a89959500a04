"""Stock: peak mode per shop, every SKU's figures, a page per SKU, and "push now" / "re-sync" for ops."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from opsconsole.core.permissions import allowed
from sync.selectors.access import shop_scope, shops_visible
from sync.selectors.stock import location_names, stock_levels, stock_overview, stock_sku
from sync.services.stock import stock_peak_set, stock_resync
from sync.views.console.common import console_view


@console_view()
@require_GET
def stock(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:120]
    return render(
        request,
        "sync/stock.html",
        {
            "title": "Stock",
            "shops": stock_overview(shops=shop_scope(request.user)),
            "levels": stock_levels(shops=shop_scope(request.user), query=query),
            "q": query,
            "can_act": allowed(request.user, "act_on_jobs"),
        },
    )


@console_view()
@require_GET
def stock_sku_page(request: HttpRequest, shop_id: int, sku: str) -> HttpResponse:
    shop = get_object_or_404(shops_visible(request.user), pk=shop_id)
    names = location_names(shop=shop)
    rows = [(names.get(level.location, level.location), level) for level in stock_sku(shop=shop, sku=sku)]
    return render(
        request,
        "sync/stock_sku.html",
        {
            "title": f"Stock of {sku}",
            "shop": shop,
            "sku": sku,
            "rows": rows,
            "can_act": allowed(request.user, "act_on_jobs"),
        },
    )


@console_view("act_on_jobs")
@require_POST
def stock_push(request: HttpRequest, shop_id: int) -> HttpResponse:
    """Push now (one SKU, ``sku``) or re-sync the whole shop; the job's page shows its progress."""
    shop = get_object_or_404(shops_visible(request.user), pk=shop_id)
    sku = request.POST.get("sku", "").strip()
    try:
        job = stock_resync(shop=shop, skus=[sku] if sku else None, actor=request.user, request=request)
    except PermissionDenied:
        raise
    return redirect("job", job_id=job.pk)


@console_view("act_on_jobs")
@require_POST
def stock_peak(request: HttpRequest, shop_id: int) -> HttpResponse:
    shop = get_object_or_404(shops_visible(request.user), pk=shop_id)
    stock_peak_set(shop=shop, on=request.POST.get("on") == "1", actor=request.user, request=request)
    return redirect("stock")
