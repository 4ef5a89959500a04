from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

NAVIGATION = (
    ("dashboard", "Dashboard"),
    ("exceptions", "Exceptions"),
    ("held-orders", "Held orders"),
    ("jobs", "Jobs"),
    ("stock", "Stock"),
    ("mappings", "Mappings"),
    ("reconciliation", "Reconciliation"),
    ("connections", "Connections"),
    ("alerts", "Alerts"),
    ("audit", "Audit"),
    ("privacy", "Privacy"),
    ("api-tokens", "API tokens"),
)


def console(request: HttpRequest) -> dict[str, Any]:
    match = getattr(request, "resolver_match", None)
    return {
        "navigation": NAVIGATION,
        "current_section": getattr(match, "url_name", "") or "",
        "demo_mode": settings.DEMO_MODE,
    }
