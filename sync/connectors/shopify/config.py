"""Connection settings for one shop. The API version is pinned by the caller (from settings or the
``ShopifyShop`` row), never discovered."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ShopifyConfig:
    domain: str  # the shop's *.myshopify.com domain
    token: str  # Admin API access token
    api_version: str  # e.g. "2026-07"
    admin_url: str = ""  # "https://<domain>" for a real shop; the sandbox's base URL otherwise
    client_secrets: tuple[str, ...] = field(default_factory=tuple)  # current first, then the previous one
    timeout: float = 10.0  # seconds for connect + read of each HTTP call
    max_attempts: int = 6  # per call, for THROTTLED / 429 / 5xx / network errors

    @property
    def base_url(self) -> str:
        return (self.admin_url or f"https://{self.domain}").rstrip("/")

    @property
    def site(self) -> str:
        return f"{self.base_url}/admin/api/{self.api_version}"
