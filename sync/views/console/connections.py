"""Connections (integration admins): shops and Odoo servers with their health. Secrets are never shown."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from opsconsole.core.errors import IntegrationError
from sync.selectors.access import shop_scope, shops_visible
from sync.selectors.dashboard import connection_health, required_topics
from sync.services import console as console_services
from sync.views.console.common import console_view, flash


@console_view("manage_connections")
@require_GET
def connections(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "sync/connections.html",
        {
            "title": "Connections",
            "health": connection_health(shops=shop_scope(request.user)),
            "topics": required_topics(),
        },
    )


@console_view("manage_connections")
@require_POST
def shop_check_webhooks(request: HttpRequest, shop_id: int) -> HttpResponse:
    shop = get_object_or_404(shops_visible(request.user), pk=shop_id)
    try:
        present = console_services.shop_webhooks_check(actor=request.user, shop=shop, request=request)
    except IntegrationError as exc:
        return flash(request, f"Shopify did not answer: {exc.error_class}: {exc}", "error")
    missing = [t for t in required_topics() if t not in present]
    if missing:
        return flash(
            request, f"{len(present)} subscriptions present; missing: {', '.join(missing)}", "warning"
        )
    return flash(request, f"All {len(present)} webhook subscriptions are present.")
