"""Console pages owned by later work: a placeholder that says what is coming. The sync screens live in
``sync/views/console/``."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from opsconsole.core.roles import perm


def _placeholder(section: str, title: str, summary: str, permission: str = "view_console"):  # type: ignore[no-untyped-def]
    @permission_required(perm(permission), raise_exception=True)
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "core/placeholder.html", {"title": title, "summary": summary})

    view.__name__ = section
    return view


reconciliation = _placeholder(
    "reconciliation",
    "Reconciliation",
    "Shopify orders and payouts matched against Odoo, and the differences.",
)
