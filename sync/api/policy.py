"""The API's policies, named in settings.REST_FRAMEWORK: token authentication, the console's read
permission, the per-token rate limit and cursor pages. This module must not import rest_framework.views
(DRF reads these settings while that module loads)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from opsconsole.core.models import ApiToken
from opsconsole.core.permissions import allowed
from opsconsole.core.tokens import api_token_authenticate, api_token_hit

# ------------------------------------------------------------------------------------ authentication


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer oct_…`` — a personal token from the console's API tokens page. The request
    acts as the token's user, with that user's roles."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("the Authorization header is 'Bearer <token>'")
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("the token is not valid") from None
        token = api_token_authenticate(secret)
        if token is None:
            raise exceptions.AuthenticationFailed("the token is not valid, has expired or was revoked")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


# ------------------------------------------------------------------------------------ permissions


class ConsoleReader(BasePermission):
    """Every endpoint needs what its console screen needs (``required_permission``, or per action
    ``action_permissions``, as the screens' ``console_view``); services check again, and check the rules
    (maker-checker, finance problems) that depend on the record."""

    message = "this needs the permission view_console"

    def has_permission(self, request: Request, view: Any) -> bool:
        codename = getattr(view, "action_permissions", {}).get(
            getattr(view, "action", None), getattr(view, "required_permission", "view_console")
        )
        self.message = f"this needs the permission {codename}"
        return allowed(request.user, codename)


# ------------------------------------------------------------------------------------ rate limit


class PerTokenThrottle(BaseThrottle):
    """``API_RATE_LIMIT`` requests per token per ``API_RATE_WINDOW_SECONDS``, counted on the token's row."""

    def allow_request(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        now = timezone.now()
        count, started = api_token_hit(token_id=token.pk, now=now)
        if count <= settings.API_RATE_LIMIT:
            return True
        ends = started + timedelta(seconds=settings.API_RATE_WINDOW_SECONDS)
        self.wait_seconds = max(1.0, (ends - now).total_seconds())
        return False

    def wait(self) -> float | None:
        return getattr(self, "wait_seconds", None)


# ------------------------------------------------------------------------------------ pages


class NewestFirstCursor(CursorPagination):
    """Opaque cursors (``next`` / ``previous`` links), stable while rows are added. A view names its
    ordering in ``cursor_ordering`` (indexed fields, newest first)."""

    page_size = settings.API_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-created_at", "-id")

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> tuple[str, ...]:
        return tuple(getattr(view, "cursor_ordering", self.ordering))


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, refusing text no database or response can hold: a lone UTF-16 surrogate
    (``"\\ud800"`` is valid JSON but not Unicode) would otherwise reach PostgreSQL or the error body and
    end in a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise exceptions.ParseError("the body holds text that is not valid Unicode") from None
        return data
