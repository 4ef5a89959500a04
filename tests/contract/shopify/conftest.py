"""The Shopify contract suite runs against the sandbox by default, and against a real development store when
SHOPIFY_DOMAIN, SHOPIFY_TOKEN and SHOPIFY_API_VERSION are set (SHOPIFY_ADMIN_URL optional). The tests create
their own data through the Admin API and assume nothing that only the sandbox does."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse, specified_rules, validate

from sandbox.shopify.schema.checks import DeprecatedUsageRule, variable_problems
from sandbox.shopify.schema.real import real_schema
from sandbox.shopify.testing import SandboxControl, running_sandbox
from sync.connectors.shopify import ShopifyClient, ShopifyConfig
from sync.connectors.shopify.documents import DOCUMENTS

SANDBOX_API_VERSION = "2026-07"


@dataclass(frozen=True)
class Target:
    config: ShopifyConfig
    is_sandbox: bool
    callback_base: str  # where test subscriptions point (never called back in these tests)
    control: SandboxControl | None = None  # the sandbox's control API (None against a real shop)


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
            sb.control,
        )


SENT: list[str] = []  # operation names of the connector documents sent during the session


@pytest.fixture(scope="session")
def shopify(shopify_target: Target) -> ShopifyClient:
    """The connector, with every request it sends checked against Shopify's real 2026-07 schema first:
    the document (fields, arguments, deprecations) and the variables (types, required and deprecated input
    fields). The request then goes to the sandbox or the shop unchanged."""
    client = ShopifyClient(shopify_target.config)
    send = client.transport.execute
    schema = real_schema()

    def checked(query: str, variables: dict[str, Any] | None = None, *, estimate: int | None = None) -> Any:
        document = parse(query)
        problems = [e.message for e in validate(schema, document, [*specified_rules, DeprecatedUsageRule])]
        problems += variable_problems(schema, document, variables)
        assert problems == [], f"not valid against Shopify's 2026-07 schema: {problems}\n{query}"
        names = [
            d.name.value for d in document.definitions if isinstance(d, OperationDefinitionNode) and d.name
        ]
        SENT.extend(n for n in names if n in DOCUMENTS)
        return send(query, variables, estimate=estimate)

    client.transport.execute = checked  # type: ignore[method-assign]
    return client
