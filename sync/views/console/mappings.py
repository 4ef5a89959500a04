"""Mappings: browse and search every table per shop; propose create / edit / delete or a CSV import as one
change; a change's page with what it unblocks and before/after values; approve or reject (never by the
proposer); history per entry with rollback as a new proposal."""

from __future__ import annotations

import io
import json
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsconsole.core.errors import IntegrationError
from opsconsole.core.grants import permission_held_since
from opsconsole.core.permissions import allowed
from sync.models import MappingChange, MappingEntry, MappingTable, ShopifyShop
from sync.selectors.access import shop_scope, shops_visible
from sync.selectors.mappings import (
    KEY_LABELS,
    TABLE_FIELDS,
    change_diff,
    change_preview,
    change_unblocks,
    mapping_change_queryset,
    mapping_changes,
    mapping_history,
    mapping_rows,
    mapping_table_counts,
    mapping_unblocks_count,
    mapping_version_current,
)
from sync.selectors.odoo_records import (
    MAX_RESULTS,
    MIN_CHARS,
    PICKER_FIELDS,
    SEARCH_HINTS,
    PickerField,
    choice_label,
    mapping_value_problems,
    record_choice,
    record_choices,
)
from sync.services import console as console_services
from sync.services.mappings import MappingRow
from sync.transforms.bundles import components_from_text, components_text
from sync.views.console.common import (
    MAPPINGS_CHANGED,
    PROBLEMS_CHANGED,
    console_view,
    int_or_none,
    page_or_partial,
    trigger,
)

TAB_LABELS = {
    "sku": "SKUs",
    "shipping": "Shipping",
    "tax": "Taxes",
    "gateway": "Gateways",
    "location": "Locations",
    "carrier": "Carriers",
    "shop": "Shop",
    "financial_status": "Financial status",
}


def _shop(request: HttpRequest, source: Any = None) -> ShopifyShop | None:
    """The shop asked for (or the first), among those the user is given."""
    source = source if source is not None else request.GET
    shop_id = int_or_none(source.get("shop"))
    query = shops_visible(request.user)
    if shop_id:
        return query.filter(pk=shop_id).first()
    return query.first()


def _table(value: str | None) -> str:
    return value if value in MappingTable.values else MappingTable.SKU


def redirect_htmx(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


@console_view()
@require_GET
def mappings(request: HttpRequest) -> HttpResponse:
    shop = _shop(request)
    table = _table(request.GET.get("table"))
    q = request.GET.get("q", "").strip()[:120]
    context: dict[str, Any] = {
        "title": "Mappings",
        "shop": shop,
        "shops": shops_visible(request.user),
        "table": table,
        "tables": MappingTable.choices,
        "q": q,
        "fields": TABLE_FIELDS[table],
        "can_propose": allowed(request.user, "propose_mapping"),
    }
    if shop is not None:
        counts = mapping_table_counts(shop=shop)
        context.update(
            rows=list(mapping_rows(shop=shop, table=table, q=q)),
            tabs=[
                (value, label, TAB_LABELS.get(value, value), counts.get(value, 0))
                for value, label in MappingTable.choices
            ],
            version=mapping_version_current(shop=shop),
            pending=mapping_changes(shop=shop, state=MappingChange.State.PROPOSED),
            recent=mapping_changes(shop=shop, limit=8),
        )
    return page_or_partial(request, "sync/mappings.html", context, "rows")


def _parse_value(table: str, data: Any) -> tuple[dict[str, Any] | None, list[str]]:
    value: dict[str, Any] = {}
    errors: list[str] = []
    for name, label, kind in TABLE_FIELDS[table]:
        raw = str(data.get(f"f_{name}", "")).strip()
        if kind == "bool":
            value[name] = data.get(f"f_{name}") in ("on", "true", "1", "yes")
        elif kind in ("int", "int?"):
            if not raw:
                if kind == "int":
                    errors.append(f"{label} is required")
                value[name] = None  # emptied: removed from the entry (fields the form does not show stay)
                continue
            if not raw.lstrip("-").isdigit():
                errors.append(f"{label} must be a whole number")
                continue
            value[name] = int(raw)
        elif kind == "components":
            value[name] = None
            if raw:
                try:
                    value[name] = components_from_text(raw)
                except ValueError as exc:
                    errors.append(str(exc))
        else:
            value[name] = raw or None
    return value, errors


@console_view("propose_mapping")
@require_http_methods(["GET", "POST"])
def mapping_propose(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    shop = _shop(request, source)
    if shop is None:
        raise Http404("no shop is connected")
    table = _table(source.get("table"))
    key = str(source.get("key", "")).strip()[:255]
    current = (
        MappingEntry.objects.filter(shop=shop, table=table, key=key, valid_to__isnull=True).first()
        if key
        else None
    )
    delete = source.get("delete") in ("1", "on", "true")
    errors: list[str] = []
    if request.method == "POST":
        value, errors = (None, []) if delete else _parse_value(table, request.POST)
        if not key:
            errors.insert(0, f"{KEY_LABELS[table]} is required")
        if delete and current is None:
            errors.append(f"{key} is not mapped, so there is nothing to delete")
        if not errors and not delete:
            errors = mapping_value_problems(shop=shop, rows=[(table, key, value)])
        if not errors:
            verb = "Delete" if delete else ("Change" if current else "Map")
            summary = str(request.POST.get("summary", "")).strip() or f"{verb} {table} {key}"
            try:
                change = console_services.mapping_propose(
                    actor=request.user,
                    shop=shop,
                    rows=[MappingRow(table=table, key=key, value=value)],
                    summary=summary,
                    request=request,
                )
            except ValidationError as exc:
                errors = list(exc.messages)
            else:
                return trigger(
                    redirect_htmx(request, reverse("mapping-change", args=[change.pk])), MAPPINGS_CHANGED
                )
    initial = dict(current.value) if current is not None else {}
    if request.method == "POST":
        initial = {name: request.POST.get(f"f_{name}", "") for name, _, _ in TABLE_FIELDS[table]}
    fields: list[dict[str, Any]] = [
        {
            "name": name,
            "label": label,
            "kind": kind,
            "value": components_text(initial.get(name))
            if kind == "components" and isinstance(initial.get(name), list)
            else initial.get(name, ""),
            "picker": PICKER_FIELDS.get((table, name)),
        }
        for name, label, kind in TABLE_FIELDS[table]
    ]
    for f in fields:
        picker: PickerField | None = f["picker"]
        if picker is not None:
            f["hint"] = SEARCH_HINTS[picker.kind]
            f["named"] = next((g["value"] for g in fields if g["name"] == picker.fills), "")
    context = {
        "title": "Propose a mapping change",
        "shop": shop,
        "shops": shops_visible(request.user),
        "table": table,
        "tables": MappingTable.choices,
        "key": key,
        "key_label": KEY_LABELS[table],
        "fields": fields,
        "current": current,
        "delete": delete,
        "errors": errors,
        "unblocks": mapping_unblocks_count(shop=shop, table=table, key=key),
    }
    return page_or_partial(request, "sync/mapping_propose.html", context, "form", status=200)


#: Searches one person may make per window (per server process): a picker searches as they type.
PICK_RATE = (30, 10)  # searches, seconds


def _pick_allowed(request: HttpRequest) -> bool:
    searches, seconds = PICK_RATE
    key = f"mapping-pick:{request.user.pk}"
    cache.add(key, 0, timeout=seconds)
    try:
        return cache.incr(key) <= searches
    except ValueError:  # the window ended between add and incr
        cache.add(key, 1, timeout=seconds)
        return True


@console_view("propose_mapping")
@require_GET
def mapping_pick(request: HttpRequest) -> HttpResponse:
    """A picker of the propose form: the shop's Odoo records matching ``q`` (at least 2 characters, at
    most 20 answers), or, with ``choose``, the picker holding that record (checked to exist in the shop's
    company)."""
    shop = _shop(request)
    table = _table(request.GET.get("table"))
    field = str(request.GET.get("field", ""))
    spec = PICKER_FIELDS.get((table, field))
    if shop is None or spec is None or int_or_none(request.GET.get("shop")) != shop.pk:
        raise Http404("no such picker")
    context: dict[str, Any] = {"shop": shop, "table": table, "field": field, "spec": spec}
    chosen = int_or_none(request.GET.get("choose"))
    if chosen is not None:
        try:
            choice = record_choice(shop=shop, kind=spec.kind, record_id=chosen)
        except IntegrationError as exc:
            choice, context["error"] = None, f"Odoo could not be asked: {exc.message}"
        if choice is None:
            context.setdefault("error", f"Odoo has no {spec.kind} {chosen} for this shop's company")
            return render(request, "sync/partials/_picker.html#results", context)
        label = choice_label(choice)
        fills = choice.code if spec.kind == "product" else choice.name
        context.update(
            f={
                "name": field,
                "label": dict((n, lbl) for n, lbl, _ in TABLE_FIELDS[table])[field],
                "value": choice.id,
                "picker": spec,
                "hint": SEARCH_HINTS[spec.kind],
            },
            chosen_label=label,
            fill={"name": spec.fills, "value": fills} if spec.fills else None,
        )
        return render(request, "sync/partials/_picker.html#picker", context)
    q = str(request.GET.get("q", "")).strip()[:80]
    context.update(q=q, min_chars=MIN_CHARS, max_results=MAX_RESULTS)
    if len(q) < MIN_CHARS:
        context["error"] = f"Type at least {MIN_CHARS} characters"
        return render(request, "sync/partials/_picker.html#results", context)
    if not _pick_allowed(request):
        context["error"] = "Too many searches at once: wait a few seconds and type again"
        return render(request, "sync/partials/_picker.html#results", context, status=429)
    try:
        choices = record_choices(shop=shop, kind=spec.kind, text=q)
    except IntegrationError as exc:
        context["error"] = f"Odoo could not be searched: {exc.message}"
        choices = []
    context["choices"] = [(c.id, choice_label(c)) for c in choices]
    return render(request, "sync/partials/_picker.html#results", context)


@console_view("propose_mapping")
@require_http_methods(["GET", "POST"])
def mapping_import(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    shop = _shop(request, source)
    if shop is None:
        raise Http404("no shop is connected")
    errors: list[str] = []
    text = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        # An uploaded file is read line by line (the upload itself is capped by FILE_UPLOAD_MAX_BYTES).
        lines = (
            io.TextIOWrapper(upload.file, encoding="utf-8-sig", errors="replace")  # type: ignore[type-var]
            if upload
            else None
        )
        text = "" if upload else str(request.POST.get("csv", ""))
        try:
            change = console_services.mapping_import_csv(
                actor=request.user,
                shop=shop,
                text=text,
                lines=lines,
                request=request,
                check=lambda rows: mapping_value_problems(
                    shop=shop, rows=[(r.table, r.key, r.value) for r in rows]
                ),
            )
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            return trigger(
                redirect_htmx(request, reverse("mapping-change", args=[change.pk])), MAPPINGS_CHANGED
            )
    context = {
        "title": "Import SKU mappings",
        "shop": shop,
        "shops": shops_visible(request.user),
        "errors": errors,
        "text": text,
    }
    return page_or_partial(request, "sync/mapping_import.html", context, "form")


def _change_context(request: HttpRequest, change: MappingChange) -> dict[str, Any]:
    proposed = change.state == MappingChange.State.PROPOSED
    unblocks = change_unblocks(change=change) if proposed else []
    since = permission_held_since(user=request.user, codename="approve_mapping")
    approver_too_new = allowed(request.user, "approve_mapping") and (
        since is None or since >= change.proposed_at
    )
    return {
        "title": f"Mapping change #{change.pk}",
        "change": change,
        "diff": change_diff(change=change),
        "unblocks": unblocks,
        "previews": change_preview(change=change) if proposed else [],
        "is_proposer": change.proposed_by_id == request.user.pk,
        "can_decide": allowed(request.user, "approve_mapping")
        and change.proposed_by_id != request.user.pk
        and not approver_too_new,
        "approver_too_new": approver_too_new,
    }


@console_view()
@require_GET
def mapping_change(request: HttpRequest, change_id: int) -> HttpResponse:
    change = get_object_or_404(mapping_change_queryset(shops=shop_scope(request.user)), pk=change_id)
    return page_or_partial(
        request, "sync/mapping_change.html", _change_context(request, change), "change_body"
    )


@console_view("approve_mapping")
@require_POST
def mapping_decide(request: HttpRequest, change_id: int, decision: str) -> HttpResponse:
    change = get_object_or_404(mapping_change_queryset(shops=shop_scope(request.user)), pk=change_id)
    if change.proposed_by_id == request.user.pk:
        raise PermissionDenied("a change must be decided by someone other than its proposer")
    note = str(request.POST.get("note", "")).strip()
    error = ""
    replayed = 0
    try:
        if decision == "approve":
            replayed = len(change_unblocks(change=change, limit=100_000))
            console_services.mapping_approve(actor=request.user, change=change, note=note, request=request)
        else:
            if not note:
                raise ValidationError("say why you reject the change")
            console_services.mapping_reject(actor=request.user, change=change, note=note, request=request)
    except ValidationError as exc:
        error = " ".join(exc.messages)
        replayed = 0
    change.refresh_from_db()
    context = _change_context(request, change)
    context.update(error=error, replayed=replayed)
    response = render(request, "sync/mapping_change.html#change_body", context)
    return trigger(response, MAPPINGS_CHANGED, PROBLEMS_CHANGED)


@console_view()
@require_GET
def mapping_history_page(request: HttpRequest) -> HttpResponse:
    shop = _shop(request)
    if shop is None:
        raise Http404("no shop is connected")
    table = _table(request.GET.get("table"))
    key = request.GET.get("key", "")
    events = mapping_history(shop=shop, table=table, key=key)
    if not events:
        raise Http404("this mapping has no history")
    context = {
        "title": f"History of {table} {key}",
        "shop": shop,
        "table": table,
        "key": key,
        "events": [
            {"event": e, "value_json": json.dumps(e.value) if e.value is not None else ""} for e in events
        ],
        "can_propose": allowed(request.user, "propose_mapping"),
    }
    return render(request, "sync/mapping_history.html", context)


@console_view("propose_mapping")
@require_POST
def mapping_rollback(request: HttpRequest) -> HttpResponse:
    shop = _shop(request, request.POST)
    version = int_or_none(request.POST.get("version"))
    if shop is None or version is None:
        raise Http404("no such version")
    change = console_services.mapping_rollback(
        actor=request.user,
        shop=shop,
        table=_table(request.POST.get("table")),
        key=str(request.POST.get("key", "")),
        version=version,
        request=request,
    )
    return trigger(redirect_htmx(request, reverse("mapping-change", args=[change.pk])), MAPPINGS_CHANGED)
