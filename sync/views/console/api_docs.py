"""The API's docs page: Swagger UI (vendored by drf-spectacular-sidecar, served from our static files)
over the live schema, inside the console (login and a role, strict CSP: the page's script is a file)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sync.views.console.common import console_view


@console_view()
@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    return render(request, "sync/api_docs.html", {"title": "API docs"})
