"""Console pages. Screens owned by later work render a placeholder that says what is coming."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from opsconsole.core.roles import perm


@permission_required(perm("view_console"), raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "core/dashboard.html", {})


def _placeholder(section: str, title: str, summary: str, permission: str = "view_console"):  # type: ignore[no-untyped-def]
    @permission_required(perm(permission), raise_exception=True)
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "core/placeholder.html", {"title": title, "summary": summary})

    view.__name__ = section
    return view


exceptions = _placeholder(
    "exceptions", "Exceptions", "Failed syncs grouped by cause, with replay, resolve, ignore and snooze."
)
jobs = _placeholder("jobs", "Jobs", "Every sync job with its attempts, payload and the records it produced.")
mappings = _placeholder(
    "mappings",
    "Mappings",
    "SKU, tax, shipping, gateway and location mappings, changed by proposal and approval.",
)
reconciliation = _placeholder(
    "reconciliation",
    "Reconciliation",
    "Shopify orders and payouts matched against Odoo, and the differences.",
)
connections = _placeholder(
    "connections",
    "Connections",
    "Shopify shops and Odoo servers, their health and credentials.",
    permission="manage_connections",
)
audit = _placeholder(
    "audit",
    "Audit log",
    "Every human action: who, when, what, before and after.",
    permission="view_audit_log",
)
