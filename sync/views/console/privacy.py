"""Privacy requests (data requests, customer and shop redactions) as carried out; a data request's export
downloaded by someone who may see customer data (audited)."""

from __future__ import annotations

import json

from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from opsconsole.core.permissions import allowed
from sync.models import PrivacyRequest
from sync.selectors.access import shop_scope
from sync.selectors.privacy import privacy_request_list
from sync.services.privacy import privacy_export_read
from sync.views.console.common import console_view


@console_view()
@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in PrivacyRequest.Kind.values else ""
    page = Paginator(privacy_request_list(kind=kind, shops=shop_scope(request.user)), 50).get_page(
        request.GET.get("page")
    )
    for item in page.object_list:
        counts = (item.outcome or {}).items()
        item.summary = " · ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts if isinstance(v, int))
    context = {
        "title": "Privacy requests",
        "page": page,
        "kind": kind,
        "query": f"kind={kind}" if kind else "",
        "kinds": PrivacyRequest.Kind.choices,
        "can_export": allowed(request.user, "reveal_customer_data"),
    }
    return render(request, "sync/privacy.html", context)


@console_view("reveal_customer_data")
@require_POST
def privacy_export(request: HttpRequest, request_id: int) -> HttpResponse:
    """The export as a JSON file, to send on to the customer."""
    try:
        privacy_request, export = privacy_export_read(
            actor=request.user, request_id=request_id, request=request
        )
    except ObjectDoesNotExist:
        raise Http404("no export for this request") from None
    response = HttpResponse(
        json.dumps(export, indent=2, default=str), content_type="application/json; charset=utf-8"
    )
    name = (
        f"data-request-{privacy_request.shop.domain}-{privacy_request.customer_id}-{privacy_request.pk}.json"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
