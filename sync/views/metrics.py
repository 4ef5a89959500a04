"""``GET /metrics``: Prometheus text exposition (no login; counts only, no personal data)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from sync.selectors.metrics import metrics_text

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@login_not_required
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE)
