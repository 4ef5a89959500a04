"""The console's own middleware: client address, security headers, sessions, audit context, slow bodies.

Order in ``settings.MIDDLEWARE`` matters and is explained there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.cache import add_never_cache_headers

from opsconsole.core.audit import audit_context, audit_record
from opsconsole.core.client_ip import client_ip
from opsconsole.core.correlation import HEADER, correlation_id_new, correlation_id_parse, log_context
from opsconsole.core.signals import AUTH_STARTED_KEY
from opsconsole.core.wsgi import BodyReadTimeout

logger = logging.getLogger(__name__)

#: The header static/js/console.js adds to the requests of elements that refresh themselves
#: (``data-poll``: ``hx-trigger="every …"``, load polling).
POLL_HEADER = "X-Opsconsole-Poll"


def is_poll(request: HttpRequest) -> bool:
    return request.headers.get(POLL_HEADER) == "1"


class ClientAddressMiddleware:
    """``REMOTE_ADDR`` becomes the client's address as ``client_ip`` decides (the proxy's
    ``X-Forwarded-For`` only when ``OPSCONSOLE_BEHIND_PROXY`` is set), so that every reader of
    ``REMOTE_ADDR`` (audit log, rejected deliveries, django-axes) follows the same rule."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META["REMOTE_ADDR"] = client_ip(request)
        return self.get_response(request)


#: Longest value (and name) a query parameter may have: every search and filter field is far shorter.
QUERY_VALUE_MAX_CHARS = 1000
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class InputGuardMiddleware:
    """A NUL byte anywhere in the path, a query parameter or a form field, or a query parameter longer than
    ``QUERY_VALUE_MAX_CHARS``, is answered 400 before any view, filter or database sees it (PostgreSQL
    refuses NUL in text: it was a 500 in every search). JSON bodies (webhooks, the API) are not forms and
    are left to their own parsers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = self._problem(request)
        if problem:
            logger.info("refused input: %s on %s", problem, request.path[:200])
            if request.path.startswith("/api/"):
                # The JSON API's one error body (sync/api/base.py).
                body = {
                    "status": 400,
                    "code": "invalid",
                    "message": problem,
                    "fields": {"non_field": [problem]},
                }
                return JsonResponse({"error": body}, status=400)
            return HttpResponseBadRequest(f"{problem}\n", content_type="text/plain")
        return self.get_response(request)

    @staticmethod
    def _problem(request: HttpRequest) -> str:
        if "\x00" in request.path:
            return "the address contains a NUL byte"
        for name, values in request.GET.lists():
            for value in (name, *values):
                if "\x00" in value:
                    return "a query parameter contains a NUL byte"
                if len(value) > QUERY_VALUE_MAX_CHARS:
                    return f"a query parameter is longer than {QUERY_VALUE_MAX_CHARS} characters"
        if request.method == "POST" and request.content_type in _FORM_TYPES:
            for name, values in request.POST.lists():
                if any("\x00" in value for value in (name, *values)):
                    return "a form field contains a NUL byte"
        return ""


class CorrelationIdMiddleware:
    """Every request works under a correlation id: the caller's ``X-Correlation-ID`` when it is a UUID,
    else a new one. It is bound to every log line of the request (opsconsole/core/correlation.py), given to
    the job a webhook creates (sync/services/inbox.py) and sent back in the response's
    ``X-Correlation-ID``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cid = correlation_id_parse(request.headers.get(HEADER)) or correlation_id_new()
        request.correlation_id = cid  # type: ignore[attr-defined]
        with log_context(correlation_id=cid):
            response = self.get_response(request)
        response.headers[HEADER] = cid
        return response


class SecurityHeadersMiddleware:
    """Content-Security-Policy on every response, and ``Cache-Control: no-store`` on every response the
    app renders (console pages and fragments show customer data; static files are served before this
    by WhiteNoise and keep their long cache). Django's own middleware sets ``X-Content-Type-Options``,
    ``Referrer-Policy``, ``Cross-Origin-Opener-Policy`` and ``X-Frame-Options``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        add_never_cache_headers(response)
        return response


class ConsoleSessionMiddleware(SessionMiddleware):
    """Django's session middleware with ``SESSION_SAVE_EVERY_REQUEST`` applied to every request except
    polls: a tab that refreshes itself does not keep its session alive, so the idle timeout
    (``SESSION_COOKIE_AGE``) counts from the person's last own request."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and not is_poll(request) and not session.is_empty():
            session.modified = True  # renew the expiry, as SESSION_SAVE_EVERY_REQUEST would
        return super().process_response(request, response)


class SessionLifetimeMiddleware:
    """An absolute session lifetime on top of the idle timeout: a session older than
    ``SESSION_ABSOLUTE_SECONDS`` since its login is ended (audited) and the user logs in again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            started = request.session.get(AUTH_STARTED_KEY)
            if (
                not isinstance(started, int | float)
                or time.time() - started > settings.SESSION_ABSOLUTE_SECONDS
            ):
                request.session.flush()
                request.user = AnonymousUser()
                audit_record(
                    action="auth.session_expired",
                    actor=user,
                    object_type="user",
                    object_id=user.pk,
                    summary=f"{user.get_username()}'s session reached its absolute lifetime",
                    request=request,
                )
        return self.get_response(request)


class ConsoleLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware; an htmx request whose session ended gets ``HX-Refresh`` so that
    the whole page reloads (and goes to the login page) instead of the login form being swapped into a
    fragment."""

    def handle_no_permission(self, request: HttpRequest, view_func: Callable[..., Any]) -> Any:
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=401)
            response["HX-Refresh"] = "true"
            return response
        return super().handle_no_permission(request, view_func)


class AuditContextMiddleware:
    """Who acts in this request, for audit entries written by signal handlers (user, group and permission
    changes in the Django admin)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit_context(
            actor=lambda: getattr(request, "user", None), ip=request.META.get("REMOTE_ADDR"), via=request.path
        ):
            return self.get_response(request)


class BodyDeadlineMiddleware:
    """A request body that did not arrive within ``REQUEST_BODY_SECONDS`` (opsconsole/core/wsgi.py) is
    answered 408 and the connection closed, instead of a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        cause: BaseException | None = exception
        while cause is not None:
            if isinstance(cause, BodyReadTimeout):
                logger.warning(
                    "request body not received within %ss: %s %s from %s (declared %s bytes)",
                    settings.REQUEST_BODY_SECONDS,
                    request.method,
                    request.path[:200],
                    request.META.get("REMOTE_ADDR"),
                    request.META.get("CONTENT_LENGTH") or "no length",
                )
                response = HttpResponse("request body not received in time\n", status=408)
                response["Connection"] = "close"
                return response
            cause = cause.__cause__ or cause.__context__
        return None
