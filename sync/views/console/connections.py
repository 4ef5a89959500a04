"""Connections (integration admins): shops and Odoo servers with their health. Secrets are never shown."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsconsole.core.errors import IntegrationError
from sync.models import MappingChange, OdooConnection, ShopifyShop
from sync.selectors.access import shop_scope, shops_visible
from sync.selectors.dashboard import connection_health, required_topics
from sync.services import connections as connection_services
from sync.services import console as console_services
from sync.services.setup import CONSOLE_MAX_VARIANTS, TooManyVariants, shop_connect_run
from sync.views.console.common import console_view, flash
from sync.views.console.connection_forms import ConnectShopForm, OdooConnectionForm, ShopConnectionForm


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


# ------------------------------------------------------------------------- add, edit, disable, remove


def _form_page(
    request: HttpRequest, form: Any, *, kind: str, target: Any, problems: Any = (), status: int = 200
):  # type: ignore[no-untyped-def]
    return render(
        request,
        "sync/connection_form.html",
        {
            "title": ("Edit " if target else "Add ")
            + ("Odoo connection" if kind == "odoo" else "Shopify shop"),
            "form": form,
            "kind": kind,
            "target": target,
            "problems": problems,
        },
        status=status,
    )


def _odoo_visible(request: HttpRequest, connection_id: int) -> OdooConnection:
    connection = get_object_or_404(OdooConnection, pk=connection_id)
    scope = shop_scope(request.user)
    if scope is not None and not set(connection.shops.values_list("pk", flat=True)) <= scope:
        raise Http404
    return connection


@console_view("manage_connections")
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("secret")
def odoo_connection_edit(request: HttpRequest, connection_id: int | None = None) -> HttpResponse:
    connection = _odoo_visible(request, connection_id) if connection_id else None
    if request.method == "GET":
        initial = (
            {f: getattr(connection, f) for f in ("name", "url", "database", "login", "protocol")}
            if connection
            else {}
        )
        return _form_page(
            request,
            OdooConnectionForm(initial=initial, editing=bool(connection)),
            kind="odoo",
            target=connection,
        )
    form = OdooConnectionForm(request.POST, editing=bool(connection))
    if not form.is_valid():
        return _form_page(request, form, kind="odoo", target=connection, status=400)
    d = form.cleaned_data
    outcome = connection_services.odoo_connection_save(
        actor=request.user,
        name=d["name"],
        url=d["url"],
        database=d["database"],
        login=d["login"],
        secret=d["secret"],
        protocol=d["protocol"],
        connection=connection,
        request=request,
    )
    if outcome.problems:
        return _form_page(
            request, form, kind="odoo", target=connection, problems=outcome.problems, status=400
        )
    verb = "added" if outcome.created else "saved"
    messages.success(
        request,
        f"Odoo connection {outcome.saved.name} {verb}: checked Odoo {outcome.checked}, the login and the "
        "access rights the integration needs.",
    )
    return redirect("connections")


@console_view("manage_connections")
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("token", "client_secret")
def shop_connection_edit(request: HttpRequest, shop_id: int | None = None) -> HttpResponse:
    shop = get_object_or_404(shops_visible(request.user), pk=shop_id) if shop_id else None
    if request.method == "GET":
        initial = (
            {
                "domain": shop.domain,
                "admin_url": shop.admin_url,
                "api_version": shop.api_version,
                "odoo": shop.odoo_id,
            }
            if shop
            else {}
        )
        return _form_page(
            request, ShopConnectionForm(initial=initial, shop=shop), kind="shopify", target=shop
        )
    form = ShopConnectionForm(request.POST, shop=shop, initial={"domain": shop.domain} if shop else None)
    if not form.is_valid():
        return _form_page(request, form, kind="shopify", target=shop, status=400)
    d = form.cleaned_data
    outcome = connection_services.shop_connection_save(
        actor=request.user,
        domain=d["domain"],
        admin_url=d["admin_url"],
        api_version=d["api_version"],
        token=d["token"],
        client_secret=d["client_secret"],
        odoo=d["odoo"],
        shop=shop,
        request=request,
    )
    if outcome.problems:
        return _form_page(request, form, kind="shopify", target=shop, problems=outcome.problems, status=400)
    verb = "added" if outcome.created else "saved"
    messages.success(
        request,
        f"Shop {outcome.saved.domain} {verb}: checked {outcome.checked}, the token, API version "
        f"{outcome.saved.api_version} and the access scopes the integration needs.",
    )
    return redirect("connections")


def _target(request: HttpRequest, kind: str, pk: int) -> OdooConnection | ShopifyShop:
    if kind == "odoo":
        return _odoo_visible(request, pk)
    if kind == "shopify":
        return get_object_or_404(shops_visible(request.user), pk=pk)
    raise Http404


@console_view("manage_connections")
@require_POST
def connection_active(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    target = _target(request, kind, pk)
    active = request.POST.get("active") == "1"
    connection_services.connection_active_set(
        actor=request.user, target=target, active=active, request=request
    )
    label = target.domain if isinstance(target, ShopifyShop) else target.name
    messages.success(request, f"{label} {'enabled' if active else 'disabled'}.")
    return redirect("connections")


@console_view("manage_connections")
@require_http_methods(["GET", "POST"])
def connection_remove(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """GET: what removing would do (or why it is refused), and the button; POST: remove."""
    target = _target(request, kind, pk)
    if request.method == "GET":
        if isinstance(target, ShopifyShop):
            label, blockers = target.domain, connection_services.shop_history(target)
        else:
            label = target.name
            blockers = {"shops": target.shops.count()} if target.shops.exists() else {}
        return render(
            request,
            "sync/connection_remove.html",
            {
                "title": f"Remove {label}",
                "kind": kind,
                "target": target,
                "label": label,
                "blockers": blockers,
            },
        )
    try:
        said = connection_services.connection_remove(actor=request.user, target=target, request=request)
    except connection_services.ConnectionInUse as exc:
        messages.error(request, f"{exc}.")
        return redirect("connections")
    messages.success(request, said)
    return redirect("connections")


# ----------------------------------------------------------------------------------- connect a shop


@console_view("manage_connections")
@require_http_methods(["GET", "POST"])
def connect_shop(request: HttpRequest) -> HttpResponse:
    shops = shops_visible(request.user).filter(active=True)
    callback = request.build_absolute_uri(reverse("shopify-webhook"))
    context: dict[str, Any] = {"title": "Connect a shop", "max_variants": CONSOLE_MAX_VARIANTS}
    if request.method == "GET":
        first = shops.first()
        initial = {"callback_url": callback, "shop": first, "odoo": first.odoo_id if first else None}
        context["form"] = ConnectShopForm(initial=initial, shops=shops)
        return render(request, "sync/connect_shop.html", context)
    form = ConnectShopForm(request.POST, shops=shops)
    context["form"] = form
    if not form.is_valid():
        return render(request, "sync/connect_shop.html", context, status=400)
    d = form.cleaned_data
    try:
        report = shop_connect_run(
            actor=request.user,
            shop=d["shop"],
            odoo=d["odoo"],
            callback_url=d["callback_url"],
            request=request,
        )
    except TooManyVariants as exc:
        context["error"] = f"{exc}."
        return render(request, "sync/connect_shop.html", context, status=400)
    except IntegrationError as exc:
        context["error"] = (
            f"Not done: {exc.system or 'a system'} did not answer as expected ({exc.error_class}: {exc}). "
            "Nothing was proposed."
        )
        return render(request, "sync/connect_shop.html", context, status=502)
    waiting = None
    if report.change_id is None:
        waiting = (
            MappingChange.objects.filter(shop=d["shop"], state=MappingChange.State.PROPOSED)
            .order_by("-pk")
            .first()
        )
    context.update(result=report, shop=d["shop"], waiting=waiting, sections=_report_sections(report.report))
    return render(request, "sync/connect_shop.html", context)


SECTIONS = (
    ("matched", "Matched", "proposed as mappings"),
    ("ambiguous", "Ambiguous", "more than one candidate: left out, pick in Mappings"),
    ("missing_in_odoo", "Missing on the Odoo side", "nothing in Odoo to map to"),
    ("missing_in_shopify", "Missing on the Shopify side", "in Odoo, for sale, but no Shopify variant has it"),
)


def _report_sections(report: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key, label, means in SECTIONS:
        tables = report.get(key) or {}
        rows = [
            {
                "table": table,
                **{
                    k: v
                    for k, v in entry.items()
                    if k in ("shopify", "odoo", "why", "name", "how", "candidates")
                },
            }
            for table, entries in sorted(tables.items())
            for entry in entries
        ]
        out.append({"key": key, "label": label, "means": means, "rows": rows, "count": len(rows)})
    return out
