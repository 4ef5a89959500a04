"""The one error taxonomy every connector raises and the job engine classifies.

Connectors translate whatever their transport raises (HTTP status, JSON-RPC error name, GraphQL
userErrors, socket errors) into exactly one of these. The job engine decides from the class alone:

- ``TransientError`` and ``RateLimited``: retried automatically with capped backoff (``RateLimited``
  carries the server's ``Retry-After`` in seconds, which the backoff honours).
- ``BusinessRuleError``: parked for a person at once (``needs_attention``); ``code`` is stable and
  machine-readable (``unknown_sku``, ``odoo_validation``, ...) and ``key`` names the missing or
  offending thing (``SKU-123``) so that one cause groups every job it blocks.
- ``AuthError``: credentials refused; jobs park as an auth problem instead of burning retries and
  resume once the connection is fixed.
- ``ContractError``: the other side answered something we do not understand (a bug on one side):
  retried within the budget, then dead.
"""

from __future__ import annotations

from typing import Any


class IntegrationError(Exception):
    """Base class. ``system`` is ``"shopify"`` or ``"odoo"`` (or ``""`` for our own code)."""

    retryable: bool = False

    def __init__(self, message: str, *, system: str = "", details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.system = system
        self.details = details or {}

    @property
    def error_class(self) -> str:
        return type(self).__name__

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class TransientError(IntegrationError):
    """Network failure, timeout, 5xx, service down: try again later."""

    retryable = True


class RateLimited(TransientError):
    """429 or THROTTLED: try again after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class BusinessRuleError(IntegrationError):
    """The data cannot be synced as it is (unknown SKU, missing mapping, Odoo validation)."""

    def __init__(self, message: str, *, code: str, key: str = "", **kwargs: Any):
        super().__init__(message, **kwargs)
        self.code = code
        self.key = key


class AuthError(IntegrationError):
    """Credentials missing, wrong, expired or lacking rights."""


class ContractError(IntegrationError):
    """An answer we cannot interpret: a protocol mismatch or a bug on one side."""

    retryable = True
