"""Webhook verification (no I/O) and the topics opsconsole subscribes to.

Shopify signs each delivery with HMAC-SHA256 over the raw body bytes, keyed with the app's client secret,
base64-encoded in ``X-Shopify-Hmac-Sha256``. After a secret rotation Shopify may keep signing with the old
secret for up to an hour, so verification accepts any of the configured secrets (current first).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Mapping

#: The mandatory privacy (compliance) topics. Shopify refuses to subscribe them through the Admin API (they
#: are not values of ``WebhookSubscriptionTopic``); they are delivered to the compliance URL set in the
#: app's configuration (``[webhooks] compliance_topics`` in shopify.app.toml, or the Partner Dashboard).
PRIVACY_TOPICS: tuple[str, ...] = ("CUSTOMERS_DATA_REQUEST", "CUSTOMERS_REDACT", "SHOP_REDACT")

REQUIRED_HEADERS = (
    "x-shopify-hmac-sha256",
    "x-shopify-topic",
    "x-shopify-shop-domain",
    "x-shopify-api-version",
    "x-shopify-webhook-id",
)


def topic_enum(topic: str) -> str:
    """``orders/create`` → ``ORDERS_CREATE``."""
    return topic.replace("/", "_").upper()


def compute_hmac(raw_body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()).decode()


def verify_webhook(raw_body: bytes, hmac_header: str | None, secrets: Iterable[str]) -> bool:
    """True when ``hmac_header`` is a valid signature of ``raw_body`` under one of ``secrets``.
    Constant-time per secret; a missing or malformed header is simply invalid."""
    if not hmac_header:
        return False
    try:
        received = base64.b64decode(hmac_header.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    ok = False
    for secret in secrets:
        if not secret:
            continue
        expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()
        # No early exit: every secret is compared, so timing says nothing about which one matched.
        ok = hmac.compare_digest(expected, received) or ok
    return ok


def missing_headers(headers: Mapping[str, str]) -> list[str]:
    """Required Shopify headers absent from ``headers`` (compared case-insensitively)."""
    present = {k.lower() for k in headers}
    return [h for h in REQUIRED_HEADERS if h not in present]
