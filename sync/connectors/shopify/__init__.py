"""Shopify connector: Admin GraphQL through ShopifyAPI's session, with a shared cost throttle, retries,
typed results and webhook verification. See client.ShopifyClient."""

from sync.connectors.shopify.client import ShopifyClient, StaleQuantityError
from sync.connectors.shopify.config import ShopifyConfig
from sync.connectors.shopify.throttle import InMemoryThrottleStore, Throttle, ThrottleStore
from sync.connectors.shopify.webhooks import compute_hmac, verify_webhook

__all__ = [
    "InMemoryThrottleStore",
    "ShopifyClient",
    "ShopifyConfig",
    "StaleQuantityError",
    "Throttle",
    "ThrottleStore",
    "compute_hmac",
    "verify_webhook",
]
