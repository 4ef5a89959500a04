"""The Shopify contract suite runs against the sandbox by default, and against a real development store when
SHOPIFY_DOMAIN, SHOPIFY_TOKEN and SHOPIFY_API_VERSION are set (SHOPIFY_ADMIN_URL optional). The tests create
their own data through the Admin API and assume nothing that only the sandbox does."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from sandbox.shopify.testing import running_sandbox
from sync.connectors.shopify import ShopifyClient, ShopifyConfig

SANDBOX_API_VERSION = "2026-07"


@dataclass(frozen=True)
class Target:
    config: ShopifyConfig
    is_sandbox: bool
    callback_base: str  # where test subscriptions point (never called back in these tests)


@pytest.fixture(scope="session")
def shopify_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    domain, token, version = (
        os.environ.get(k) for k in ("SHOPIFY_DOMAIN", "SHOPIFY_TOKEN", "SHOPIFY_API_VERSION")
    )
    if domain and token and version:
        yield Target(
            ShopifyConfig(
                domain=domain,
                token=token,
                api_version=version,
                admin_url=os.environ.get("SHOPIFY_ADMIN_URL", ""),
            ),
            False,
            "https://example.com/opsconsole-contract",
        )
        return
    with running_sandbox(data_dir=tmp_path_factory.mktemp("shopify-contract")) as sb:
        yield Target(
            ShopifyConfig(
                domain=sb.domain,
                token=sb.token,
                api_version=SANDBOX_API_VERSION,
                admin_url=sb.base_url,
                client_secrets=(sb.client_secret,),
            ),
            True,
            "https://example.com/opsconsole-contract",
        )


@pytest.fixture(scope="session")
def shopify(shopify_target: Target) -> ShopifyClient:
    return ShopifyClient(shopify_target.config)
