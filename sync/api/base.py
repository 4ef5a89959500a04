"""What every endpoint shares: token authentication, the console's read permission, the per-token rate
limit, cursor pages, one error shape, and an audit entry for every call that changes something.

Error body (every 4xx and 5xx the API answers)::

    {"error": {"status": 403, "code": "permission_denied", "message": "…", "fields": {…},
               "correlation_id": "…"}}

``fields`` is present on validation errors only: field name → list of messages; ``correlation_id`` is the
request's (also in the ``X-Correlation-ID`` header), to quote when reporting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler
from rest_framework.viewsets import GenericViewSet

from opsconsole.core.audit import audit_record
from opsconsole.core.correlation import correlation_id
from opsconsole.core.models import ApiToken

# ------------------------------------------------------------------------------------ schema


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "sync.api.policy.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "a personal token (oct_…)"}


# ------------------------------------------------------------------------------------ errors


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, list):
        return [m for item in detail for m in _messages(item)]
    if isinstance(detail, dict):
        return [m for item in detail.values() for m in _messages(item)]
    return [str(detail)]


def error_response(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with Django's own exceptions from services mapped first, and one body shape."""
    if isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = "error"
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "invalid"
    body: dict[str, Any] = {"status": response.status_code, "code": code}
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        messages = _messages(detail)
        body["message"] = messages[0] if len(messages) == 1 else "the request is not valid"
        body["fields"] = (
            {k: _messages(v) for k, v in detail.items()}
            if isinstance(detail, dict)
            else {"non_field": messages}
        )
    else:
        body["message"] = " ".join(
            _messages(detail.get("detail", detail) if isinstance(detail, dict) else detail)
        )
    cid = correlation_id()
    if cid:
        body["correlation_id"] = cid  # the same as the response's X-Correlation-ID: quote it when reporting
    response.data = {"error": body}
    return response


ERROR_STATUSES = {
    "400": "The request is not valid (fields says which)",
    "401": "No token, or a token that is not valid, has expired or was revoked",
    "403": "The token's user lacks the permission (or the rule forbids it: maker-checker)",
    "404": "No such record (or cursor)",
    "429": "Too many requests for this token; Retry-After says when to try again",
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "correlation_id": {"type": "string", "description": "as in the X-Correlation-ID header"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}


def error_responses_hook(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing: every operation documents the API's error answers and their body."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, text in ERROR_STATUSES.items():
                responses.setdefault(
                    code, {"description": text, "content": {"application/json": {"schema": ref}}}
                )
    return result


# ------------------------------------------------------------------------------------ views


UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class ApiMixin:
    """Outside the console's login requirement (the token is the login), and every call that changes
    something writes an ``api.<verb>`` audit entry with the token and the answer (the service called writes
    its own entry for what it did)."""

    #: The console permission this endpoint needs beyond authentication (ConsoleReader).
    required_permission = "view_console"
    audit_object_type = ""

    @classmethod
    def as_view(cls, *args: Any, **initkwargs: Any) -> Any:
        view = super().as_view(*args, **initkwargs)  # type: ignore[misc]
        view.login_required = False  # Django's LoginRequiredMiddleware: the API authenticates by token
        return view

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        user = getattr(request, "user", None)
        if request.method in UNSAFE and getattr(user, "is_authenticated", False):
            # Only calls by someone: a request without a valid token is answered 401 and logged, never
            # written to the audit table (anyone could fill it otherwise).
            token = request.auth if isinstance(request.auth, ApiToken) else None
            audit_record(
                action=f"api.{getattr(self, 'action', None) or request.method.lower()}",
                actor=user,
                object_type=self.audit_object_type,
                object_id=kwargs.get("pk", ""),
                summary=f"{request.method} {request.path} → {response.status_code}"
                + (f" (token {token.prefix}…)" if token else ""),
                after={
                    "status": response.status_code,
                    "token_id": token.pk if token else None,
                    "correlation_id": correlation_id(),
                },
                request=request._request,
            )
        return response


class ApiViewSet(ApiMixin, GenericViewSet):  # type: ignore[type-arg]
    """Base of the endpoints over records (lists with cursor pages, one record, actions on it)."""

    cursor_ordering: Sequence[str] = ("-created_at", "-id")


class ApiView(ApiMixin, APIView):
    """Base of the endpoints that answer one object (no pages)."""


def int_param(value: str | None) -> int | None:
    """A query parameter that names a row by id; anything else (or out of range) is no filter."""
    return int(value) if value and value.isdigit() and len(value) < 12 else None


def pk_of(value: str) -> int:
    """A row id from the URL; one no row can have is a 404 (not a database error)."""
    number = int_param(value)
    if number is None:
        raise exceptions.NotFound("no such record")
    return number


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
@throttle_classes([])
def not_found(request: Request, path: str = "") -> Response:
    """Any other path under /api/v1/: the API's 404 body, not the console's page."""
    raise exceptions.NotFound(f"no endpoint {request.path}")


not_found.login_required = False  # type: ignore[attr-defined]
