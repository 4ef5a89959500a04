"""``GET /metrics``: Prometheus text (no session; ``Authorization: Bearer <OPSCONSOLE_METRICS_TOKEN>``).
Counts only, no personal data. What it serves: opsconsole/core/metrics.py and sync/selectors/metrics.py."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from opsconsole.core.metrics import CONTENT_TYPE, bearer_allowed, exposition
from sync.selectors.metrics import DatabaseState


@login_not_required
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not bearer_allowed(
        request.headers.get("Authorization"),
        token=settings.METRICS_TOKEN,
        open_without_token=settings.METRICS_OPEN_WITHOUT_TOKEN,
    ):
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition([DatabaseState()]), content_type=CONTENT_TYPE)
