"""The stand-in's schema is cut from Shopify's real Admin API 2026-07 schema and cannot drift from it."""

from __future__ import annotations

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    build_schema,
    print_ast,
)
from graphql.utilities import get_default_value_ast

from sandbox.shopify.schema import cut
from sandbox.shopify.schema.real import REAL_SCHEMA_SHA256, file_sha256, real_schema


def _default(arg):
    node = get_default_value_ast(arg)
    return print_ast(node) if node is not None else None


def test_the_vendored_schema_is_the_published_file():
    assert file_sha256() == REAL_SCHEMA_SHA256
    assert len(real_schema().type_map) == 3535


def test_the_committed_schema_is_exactly_what_the_cut_script_writes():
    assert cut.OUTPUT.read_text() == cut.render()
    assert cut.main(["--check"]) == 0


def test_every_type_field_argument_and_enum_value_of_the_stand_in_is_shopifys_own():
    ours = build_schema(cut.OUTPUT.read_text())
    real = real_schema()
    differences = []
    for name, t in ours.type_map.items():
        if name.startswith("__"):
            continue
        r = real.type_map[name]
        if type(r) is not type(t):
            differences.append(f"{name}: {type(t).__name__} vs {type(r).__name__}")
            continue
        if isinstance(t, GraphQLEnumType):
            if list(t.values) != sorted(r.values):
                differences.append(f"enum {name} values differ")
            differences += [
                f"{name}.{k} deprecation"
                for k, v in t.values.items()
                if v.deprecation_reason != r.values[k].deprecation_reason
            ]
        if isinstance(t, GraphQLUnionType):
            differences += [
                f"{name} has {m.name}" for m in t.types if m.name not in {x.name for x in r.types}
            ]
        if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType)):
            differences += [
                f"{name} implements {i.name}"
                for i in t.interfaces
                if i.name not in {x.name for x in r.interfaces}
            ]
        if isinstance(t, GraphQLInputObjectType) and bool(t.is_one_of) != bool(r.is_one_of):
            differences.append(f"{name} @oneOf")
        for fname, f in getattr(t, "fields", {}).items():
            rf = r.fields[fname]
            if str(f.type) != str(rf.type) or f.deprecation_reason != rf.deprecation_reason:
                differences.append(f"{name}.{fname}: {f.type} vs {rf.type}")
            if isinstance(t, GraphQLInputObjectType) and _default(f) != _default(rf):
                differences.append(f"{name}.{fname} default")
            for aname, a in getattr(f, "args", {}).items():
                ra = rf.args[aname]
                if str(a.type) != str(ra.type) or _default(a) != _default(ra):
                    differences.append(f"{name}.{fname}({aname}:)")
                if a.deprecation_reason != ra.deprecation_reason:
                    differences.append(f"{name}.{fname}({aname}:) deprecation")
            required = {
                a
                for a, ra in getattr(rf, "args", {}).items()
                if str(ra.type).endswith("!") and ra.default is None
            }
            differences += [
                f"{name}.{fname} lacks required {a}" for a in required - set(getattr(f, "args", {}))
            ]
        if isinstance(t, GraphQLInputObjectType):
            required = {k for k, v in r.fields.items() if str(v.type).endswith("!") and v.default is None}
            differences += [f"input {name} lacks required {k}" for k in required - set(t.fields)]
    assert differences == []
    assert len(ours.type_map) > 200


def test_the_fixed_differences_hold():
    ours = build_schema(cut.OUTPUT.read_text())
    tx_types = ours.type_map["ShopifyPaymentsTransactionType"].values
    assert {"TRANSFER", "TRANSFER_FAILURE", "TRANSFER_CANCEL"} <= set(tx_types)
    assert not {"PAYOUT", "PAYOUT_FAILURE", "PAYOUT_CANCELLATION"} & set(tx_types)
    assert "INVALID_NAME" in ours.type_map["InventorySetQuantitiesUserErrorCode"].values
    assert "INVALID_QUANTITY_NAME" not in ours.type_map["InventorySetQuantitiesUserErrorCode"].values
    assert "IDEMPOTENCY_KEY_PARAMETER_MISMATCH" in ours.type_map["InventorySetQuantitiesUserErrorCode"].values
    assert str(ours.type_map["MoneyV2"].fields["currencyCode"].type) == "CurrencyCode!"
    assert str(ours.type_map["MailingAddressInput"].fields["countryCode"].type) == "CountryCode"
    assert "compareQuantity" not in ours.type_map["InventoryQuantityInput"].fields
    assert "ignoreCompareQuantity" not in ours.type_map["InventorySetQuantitiesInput"].fields
    assert (
        str(ours.type_map["ProductVariantSetInput"].fields["optionValues"].type)
        == "[VariantOptionValueInput!]!"
    )
    topics = ours.type_map["WebhookSubscriptionTopic"].values
    assert "BULK_OPERATIONS_FINISH" in topics
    assert not {"CUSTOMERS_REDACT", "CUSTOMERS_DATA_REQUEST", "SHOP_REDACT"} & set(topics)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({"QueryRoot": ("shop",), "Shop": ("id", "noSuchField")}, "Shop.noSuchField is not a field"),
        ({"QueryRoot": ("order",), "Order": ("id",)}, "QueryRoot.order(id:) is required"),
        ({"QueryRoot": ("shop",)}, "QueryRoot.shop uses Shop, which the manifest does not list"),
        (
            {"QueryRoot": ("node(id)",), "Node": ("id",), "Order": ("name",)},
            "Order implements Node but lacks ['id']",
        ),
        (
            {
                "QueryRoot": ("shop",),
                "Shop": ("id",),
                "Mutation": ("refundCreate(input)",),
                "RefundInput": ("note",),
            },
            "input field RefundInput.orderId is required",
        ),
        ({"QueryRoot": ("shop",), "Shop": ("id",), "CurrencyCode": ()}, "CurrencyCode is a scalar or enum"),
        ({"QueryRoot": ("shop(first)",), "Shop": ("id",)}, "QueryRoot.shop(first:) is not an argument"),
        ({"QueryRoot": ("shop",), "Shop": ("id",), "NoSuchType": ()}, "has no type NoSuchType"),
    ],
)
def test_the_cut_refuses_a_manifest_that_does_not_fit_shopifys_schema(manifest, message):
    with pytest.raises(cut.CutError) as exc:
        cut.cut(types=manifest, directives=())
    assert message in str(exc.value)


def test_a_small_manifest_is_cut_with_shopifys_types_nullability_and_whole_enums():
    schema = cut.cut(
        types={
            "QueryRoot": ("shop",),
            "Shop": ("id", "currencyCode", "plan"),
            "ShopPlan": ("publicDisplayName",),
        },
        directives=(),
    )
    text = cut.render(schema)
    assert "type Shop {\n  currencyCode: CurrencyCode!\n  id: ID!\n  plan: ShopPlan!\n}" in text
    assert len(schema.type_map["CurrencyCode"].values) == len(real_schema().type_map["CurrencyCode"].values)
    assert "directive @idempotent" not in text
