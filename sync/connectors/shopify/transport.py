"""One GraphQL call over HTTP, mapped to the error taxonomy, with throttling and retries.

The endpoint and the access-token header come from ShopifyAPI: ``shopify.Session`` is activated and
``ShopifyResource.set_site()`` points it at ``admin_url + /admin/api/<version>`` (which lets the same code
reach the sandbox; API-NOTES section D), and ``shopify.GraphQL()`` hands back its endpoint and headers.
The POST itself is made with ``requests`` rather than ``GraphQL().execute()`` because ``execute`` returns
only the body: it hides the status code, ``Retry-After``, ``X-Shopify-API-Version`` and
``X-Shopify-API-Deprecated-Reason``, takes no timeout and prints error bodies to stdout.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
import shopify

from opsconsole.core.correlation import correlation_headers
from opsconsole.core.errors import AuthError, ContractError, RateLimited, TransientError
from sync.connectors.shopify.config import ShopifyConfig
from sync.connectors.shopify.throttle import InMemoryThrottleStore, Throttle
from sync.connectors.shopify.types import ApiWarning, GraphQLResponse, QueryCost, ThrottleStatus

log = logging.getLogger("sync.connectors.shopify")

DEFAULT_ESTIMATE = 50
_activation_lock = threading.Lock()


def shopify_endpoint(config: ShopifyConfig) -> tuple[str, dict[str, str]]:
    """The GraphQL endpoint and auth headers as ShopifyAPI builds them for this shop."""
    with _activation_lock:
        session = shopify.Session(config.domain, config.api_version, config.token)
        shopify.ShopifyResource.activate_session(session)
        shopify.ShopifyResource.set_site(config.site)
        gql = shopify.GraphQL()
        endpoint, headers = gql.endpoint, dict(gql.headers)
        shopify.ShopifyResource.clear_session()
    return endpoint, headers


def _backoff(attempt: int) -> float:
    return min(10.0, 0.5 * 2 ** (attempt - 1)) * (0.8 + 0.4 * random.random())


class Transport:
    def __init__(
        self,
        config: ShopifyConfig,
        *,
        throttle: Throttle | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.config = config
        self.throttle = throttle or Throttle(InMemoryThrottleStore(), sleep=sleep)
        self.http = session or requests.Session()
        self.sleep = sleep
        self.endpoint, self.headers = shopify_endpoint(config)
        self.warnings: list[ApiWarning] = []
        self.api_version_seen: str | None = None
        self.last_cost: QueryCost | None = None
        self._estimates: dict[str, int] = {}

    # -- warnings ----------------------------------------------------------------------------------------
    def _note_headers(self, headers: Any) -> tuple[str, str | None]:
        served = headers.get("X-Shopify-API-Version") or ""
        reason = headers.get("X-Shopify-API-Deprecated-Reason")
        if served:
            self.api_version_seen = served
        if served and served != self.config.api_version:
            self._warn(
                "version_mismatch",
                f"requested API version {self.config.api_version}, Shopify answered with {served}",
                served,
            )
        if reason:
            self._warn("deprecated", f"deprecated: {reason}", served)
        return served, reason

    def _warn(self, kind: str, message: str, served: str) -> None:
        warning = ApiWarning(kind, message, self.config.api_version, served)
        if warning not in self.warnings:
            self.warnings.append(warning)
            log.warning("shopify %s: %s", self.config.domain, message)

    # -- the call ----------------------------------------------------------------------------------------
    def execute(
        self, query: str, variables: dict[str, Any] | None = None, *, estimate: int | None = None
    ) -> GraphQLResponse:
        """Run one query or mutation; retries THROTTLED, 429, 5xx and network errors (the query text, and so
        any ``@idempotent`` key in it, is the same on every attempt)."""
        domain = self.config.domain
        cost_estimate = estimate or self._estimates.get(query, DEFAULT_ESTIMATE)
        last_error: Exception | None = None
        for attempt in range(1, self.config.max_attempts + 1):
            self.throttle.acquire(domain, cost_estimate)
            try:
                resp = self.http.post(
                    self.endpoint,
                    data=json.dumps({"query": query, "variables": variables or {}}),
                    headers={
                        **self.headers,
                        "Content-Type": "application/json",
                        "Accept": "application/json",
                        **correlation_headers(),
                    },
                    timeout=self.config.timeout,
                )
            except requests.Timeout as exc:
                last_error = TransientError(f"Shopify timed out: {exc}", system="shopify")
                self.sleep(_backoff(attempt))
                continue
            except requests.RequestException as exc:
                last_error = TransientError(f"Shopify unreachable: {exc}", system="shopify")
                self.sleep(_backoff(attempt))
                continue
            served, reason = self._note_headers(resp.headers)
            status = resp.status_code
            if status in (401, 403):
                raise AuthError(
                    f"Shopify refused the credentials ({status})",
                    system="shopify",
                    details={"status": status, "body": resp.text[:500]},
                )
            if status == 429:
                retry_after = _retry_after(resp.headers.get("Retry-After"))
                last_error = RateLimited("Shopify answered 429", retry_after=retry_after, system="shopify")
                self.throttle.drain(domain)
                self.sleep(retry_after)
                continue
            if status >= 500:
                last_error = TransientError(
                    f"Shopify answered {status}",
                    system="shopify",
                    details={"status": status, "body": resp.text[:500]},
                )
                self.sleep(_retry_after(resp.headers.get("Retry-After"), default=_backoff(attempt)))
                continue
            if status != 200:
                raise ContractError(
                    f"Shopify answered {status}: {resp.text[:300]}",
                    system="shopify",
                    details={"status": status},
                )
            try:
                body = resp.json()
            except ValueError as exc:
                raise ContractError(
                    "Shopify answered with a body that is not JSON", system="shopify"
                ) from exc
            cost = _cost(body)
            self.last_cost = cost
            if cost is not None:
                self._estimates[query] = cost.requested
                cost_estimate = cost.requested
                if cost.throttle is not None:
                    self.throttle.record(domain, cost.throttle)
            errors = body.get("errors")
            if errors:
                codes = (
                    [((e.get("extensions") or {}).get("code")) for e in errors]
                    if isinstance(errors, list)
                    else []
                )
                if "THROTTLED" in codes:
                    wait = _throttled_wait(cost)
                    last_error = RateLimited("Shopify answered THROTTLED", retry_after=wait, system="shopify")
                    self.sleep(wait)
                    continue
                if "INTERNAL_SERVER_ERROR" in codes:
                    last_error = TransientError(f"Shopify internal error: {errors}", system="shopify")
                    self.sleep(_backoff(attempt))
                    continue
                if "ACCESS_DENIED" in codes:
                    raise AuthError(f"Shopify denied access: {errors}", system="shopify")
                raise ContractError(
                    f"GraphQL errors: {json.dumps(errors)[:1000]}",
                    system="shopify",
                    details={"errors": errors, "codes": codes},
                )
            data = body.get("data")
            if not isinstance(data, dict):
                raise ContractError("Shopify answered without data", system="shopify")
            return GraphQLResponse(
                data=data, cost=cost, api_version=served, deprecated_reason=reason, attempts=attempt
            )
        assert last_error is not None
        raise last_error


def _retry_after(value: str | None, default: float = 1.0) -> float:
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


def _cost(body: dict[str, Any]) -> QueryCost | None:
    cost = (body.get("extensions") or {}).get("cost")
    if not cost:
        return None
    ts = cost.get("throttleStatus")
    throttle = (
        ThrottleStatus(
            float(ts["maximumAvailable"]), float(ts["currentlyAvailable"]), float(ts["restoreRate"])
        )
        if ts
        else None
    )
    return QueryCost(int(cost.get("requestedQueryCost") or 0), cost.get("actualQueryCost"), throttle)


def _throttled_wait(cost: QueryCost | None) -> float:
    if cost is None or cost.throttle is None or not cost.throttle.restore_rate:
        return 1.0
    missing = cost.requested - cost.throttle.currently_available
    return max(0.1, missing / cost.throttle.restore_rate)
