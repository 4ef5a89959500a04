"""POST /webhooks/odoo/<shop>/wake/<token>: an Odoo automation rule brings the next read of the shop's stock
changes forward (with ``?stream=pickings``: of its validated deliveries, for fulfilments). Authenticated by
the signed token in the URL (Odoo's "send webhook notification" action cannot sign a body); the body is not
read, let alone trusted. Kept apart from the Shopify webhook path, which must not load flow code."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sync.services import stock


@csrf_exempt
@login_not_required
@require_POST
def odoo_wake(request: HttpRequest, shop_id: int, token: str) -> HttpResponse:
    woken = stock.odoo_wake(shop_id=shop_id, token=token, stream=request.GET.get("stream", ""))
    if woken is None:
        return JsonResponse({"error": "unauthorized"}, status=401)
    return JsonResponse({"woken": woken})
