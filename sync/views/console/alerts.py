"""Alerts: what fires now, the history, and (integration admins) recipients and thresholds per shop."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from opsconsole.core.permissions import allowed
from sync.models import AlertSettings
from sync.selectors.access import shop_scope, shops_visible
from sync.selectors.alerts import alert_settings_by_shop, alerts_firing_and_history
from sync.services.alerts import alert_settings_update
from sync.views.console.common import console_view


@console_view()
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    firing, history = alerts_firing_and_history(shops=shop_scope(request.user))
    return render(
        request,
        "sync/alerts.html",
        {
            "title": "Alerts",
            "firing": firing,
            "history": history,
            "can_edit": allowed(request.user, "manage_connections"),
            "shop_settings": alert_settings_by_shop(shops=shop_scope(request.user)),
            "error": request.GET.get("error", ""),
        },
    )


@console_view("manage_connections")
@require_POST
def alert_settings_save(request: HttpRequest, shop_id: int) -> HttpResponse:
    shop = get_object_or_404(shops_visible(request.user), pk=shop_id)
    values: dict[str, object] = {
        "emails": request.POST.get("emails", "").strip(),
        "webhook_url": request.POST.get("webhook_url", "").strip(),
    }
    try:
        for name in AlertSettings.DEFAULTS:
            if request.POST.get(name, "") != "":
                values[name] = int(request.POST[name])
        alert_settings_update(actor=request.user, shop=shop, values=values, request=request)
    except (ValueError, ValidationError) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        return render(
            request,
            "sync/alerts.html",
            {
                "title": "Alerts",
                "firing": [],
                "history": [],
                "can_edit": True,
                "shop_settings": alert_settings_by_shop(shops=shop_scope(request.user)),
                "error": f"{shop.domain}: {'; '.join(messages)}",
            },
            status=400,
        )
    return redirect("alerts")
