"""Every GraphQL document the Shopify connector can send, validated against Shopify's real Admin API 2026-07
schema (the vendored introspection, offline): unknown fields, wrong argument types, missing required
arguments and deprecated fields, arguments, input fields or enum values all fail.

The documents are collected from the connector itself: ``documents.DOCUMENTS`` holds each one, and a scan
of the connector's other modules fails when GraphQL text appears anywhere else.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from graphql import GraphQLSyntaxError, OperationDefinitionNode, parse, specified_rules, validate

from sandbox.shopify.schema.checks import DeprecatedUsageRule, variable_problems
from sandbox.shopify.schema.real import real_schema
from sandbox.shopify.webhooks import COMPLIANCE_TOPICS
from sandbox.shopify.webhooks import TOPICS as SANDBOX_TOPICS
from sync.connectors.shopify import documents
from sync.connectors.shopify.webhooks import PRIVACY_TOPICS, topic_enum
from sync.kinds import subscription_topics

CONNECTOR = Path(documents.__file__).resolve().parent
RULES = [*specified_rules, DeprecatedUsageRule]


def problems(text: str) -> list[str]:
    return [e.message for e in validate(real_schema(), parse(text), RULES)]


@pytest.mark.parametrize("name", sorted(documents.DOCUMENTS))
def test_every_connector_document_is_valid_against_shopifys_2026_07_schema(name):
    text = documents.DOCUMENTS[name]
    operations = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
    assert [o.name.value if o.name else None for o in operations] == [name]
    assert problems(text) == []


def test_the_registry_holds_every_document_constant_of_the_module():
    constants = {
        k: v
        for k, v in vars(documents).items()
        if k.isupper() and isinstance(v, str) and v.lstrip().startswith(("query ", "mutation "))
    }
    # Families of documents (one per number of locations) are dicts of them.
    families = [
        text
        for k, v in vars(documents).items()
        if k.isupper() and k != "DOCUMENTS" and isinstance(v, dict)
        for text in v.values()
        if isinstance(text, str) and text.lstrip().startswith(("query ", "mutation "))
    ]
    assert sorted([*constants.values(), *families]) == sorted(documents.DOCUMENTS.values())
    assert len(documents.DOCUMENTS) == 49 + documents.INVENTORY_LOCATIONS_MAX


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def _is_graphql_operation(text: str) -> bool:
    if "{" not in text:
        return False
    try:
        doc = parse(text)
    except GraphQLSyntaxError:
        return False
    return any(isinstance(d, OperationDefinitionNode) for d in doc.definitions)


def test_no_other_connector_module_holds_graphql_text():
    modules = sorted(p for p in CONNECTOR.glob("*.py") if p.name != "documents.py")
    found = [
        f"{p.name}:{line}"
        for p in modules
        for line, text in _string_literals(p)
        if _is_graphql_operation(text)
    ]
    assert {"client.py", "rest_shape.py", "transport.py", "webhooks.py"} <= {p.name for p in modules}
    assert found == []


def test_the_scan_would_see_a_document_hidden_in_a_module(tmp_path):
    hidden = tmp_path / "x.py"
    hidden.write_text('Q = "query Sneaky { shop { name } }"\nNOT = "a {brace} in prose"\n')
    assert [t for _l, t in _string_literals(hidden) if _is_graphql_operation(t)] == [
        "query Sneaky { shop { name } }"
    ]


def test_every_topic_subscribed_through_the_api_is_a_real_topic_and_no_privacy_topic_is():
    real = set(real_schema().type_map["WebhookSubscriptionTopic"].values)
    assert set(subscription_topics()) <= real
    assert {topic_enum(t) for t in SANDBOX_TOPICS} <= real
    assert not set(PRIVACY_TOPICS) & real
    assert {topic_enum(t) for t in COMPLIANCE_TOPICS} == set(PRIVACY_TOPICS)


# -- the check fails for what it must refuse --------------------------------------------------------------
def test_an_unknown_field_is_refused():
    assert problems("query Q { shop { name nonsenseField } }") == [
        "Cannot query field 'nonsenseField' on type 'Shop'."
    ]


def test_a_wrong_argument_type_and_a_missing_required_argument_are_refused():
    assert problems('query Q { orders(first: "ten") { nodes { id } } }') == [
        'Int cannot represent non-integer value: "ten"'
    ]
    assert problems("mutation M { orderCancel(reason: OTHER, restock: false) { job { id } } }") == [
        "Argument 'Mutation.orderCancel(orderId:)' of type 'ID!' is required, but it was not provided."
    ]


def test_each_deprecated_field_the_connector_used_to_send_is_refused_with_its_replacement():
    old = {
        "query A { shop { plan { displayName } } }": "The field ShopPlan.displayName is deprecated. "
        "Use `publicDisplayName` instead.",
        'mutation B { orderCancel(orderId: "gid://shopify/Order/1", reason: OTHER, refund: true,'
        " restock: false) { job { id } } }": "The argument 'Mutation.orderCancel(refund:)' is deprecated. "
        "Use `refundMethod` instead.",
        "query C { customers(first: 1) { nodes { email } } }": "The field Customer.email is deprecated. "
        "Use `defaultEmailAddress.emailAddress` instead.",
        "query D { customers(first: 1) { nodes { phone } } }": "The field Customer.phone is deprecated. "
        "Use `defaultPhoneNumber.phoneNumber` instead.",
        "query E { webhookSubscriptions(first: 1) { nodes { endpoint { __typename } } } }": "The field "
        "WebhookSubscription.endpoint is deprecated. Use `uri` instead.",
        "query F { webhookSubscriptions(first: 1) { nodes { callbackUrl } } }": "The field "
        "WebhookSubscription.callbackUrl is deprecated. Use `uri` instead.",
    }
    assert {text: problems(text) for text in old} == {text: [message] for text, message in old.items()}


def test_deprecated_input_fields_and_enum_values_are_refused_in_literals_and_in_variables():
    literal = (
        'mutation M { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {callbackUrl: "https://x"})'
        " { userErrors { message } } }"
    )
    assert problems(literal) == [
        "The input field WebhookSubscriptionInput.callbackUrl is deprecated. Use `uri` instead."
    ]
    # the connector passes inputs as variables: those are checked against the schema too
    doc = parse(documents.SUBSCRIPTION_CREATE)
    sent = {"topic": "ORDERS_CREATE", "subscription": {"callbackUrl": "https://x", "format": "JSON"}}
    assert variable_problems(real_schema(), doc, sent) == [
        "$subscription.callbackUrl: the input field WebhookSubscriptionInput.callbackUrl is deprecated. "
        "Use `uri` instead."
    ]
    assert variable_problems(real_schema(), doc, {**sent, "subscription": {"uri": "https://x"}}) == []


def test_variables_of_the_wrong_shape_are_refused():
    doc = parse(documents.ORDER_CANCEL)
    assert variable_problems(real_schema(), doc, {"id": "gid://shopify/Order/1", "reason": "OTHER"}) == [
        "Variable '$restock' has invalid value: Expected a value of non-null type 'Boolean!' to be provided."
    ]
    wrong_enum = {"id": "gid://shopify/Order/1", "reason": "BORED", "restock": False}
    assert variable_problems(real_schema(), doc, wrong_enum) == [
        "Variable '$reason' has invalid value: Value 'BORED' does not exist in 'OrderCancelReason' enum."
    ]


def test_every_document_states_the_access_scopes_it_needs():
    assert sorted(documents.DOCUMENT_SCOPES) == sorted(documents.DOCUMENTS)
    assert all(h.startswith(("read_", "write_")) for h in documents.REQUIRED_SCOPES)
    assert {"read_orders", "write_orders", "write_inventory", "write_customers"} <= documents.REQUIRED_SCOPES
