"""Helpers shared by the console screens."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from opsconsole.core.permissions import allowed
from opsconsole.core.roles import perm

F = TypeVar("F", bound=Callable[..., HttpResponse])

#: Events the sidebar badge, the dashboard and lists listen for.
PROBLEMS_CHANGED = "problems-changed"
MAPPINGS_CHANGED = "mappings-changed"


def console_view(codename: str = "view_console") -> Callable[[F], F]:
    return permission_required(perm(codename), raise_exception=True)  # type: ignore[return-value]


def page_or_partial(
    request: HttpRequest, template: str, context: dict[str, Any], partial: str, status: int = 200
) -> HttpResponse:
    """The full page, or only ``partial`` when htmx asks (and is not boosting a whole page)."""
    if getattr(request, "htmx", False) and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, f"{template}#{partial}", context, status=status)
    return render(request, template, context, status=status)


def trigger(response: HttpResponse, *events: str, **detail: Any) -> HttpResponse:
    payload: dict[str, Any] = {event: detail or True for event in events}
    response["HX-Trigger"] = json.dumps(payload)
    return response


def flash(request: HttpRequest, message: str, level: str = "success", **extra: Any) -> HttpResponse:
    return render(request, "sync/partials/_flash.html", {"message": message, "level": level, **extra})


def int_or_none(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def ids_from(values: list[str]) -> list[int]:
    out = []
    for value in values:
        for part in str(value).split(","):
            number = int_or_none(part.strip())
            if number is not None:
                out.append(number)
    return out


def parse_until(value: str) -> datetime | None:
    """A datetime-local or a date (end of that day) in the current time zone."""
    value = (value or "").strip()
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            return None
        moment = datetime(day.year, day.month, day.day, 23, 59)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def can_act(user: Any, *, finance: bool = False) -> bool:
    return allowed(user, "act_on_jobs") or (finance and allowed(user, "act_on_finance"))
