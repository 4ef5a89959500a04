"""Checks of a GraphQL request against a schema, beyond graphql-core's standard validation.

- ``DeprecatedUsageRule``: every deprecated field, argument, input field and enum value a document uses.
  graphql-core has ``NoDeprecatedCustomRule``, but on a schema built from introspection it crashes on a
  deprecated argument (it reads ``field_def.ast_node``, which such a schema does not have); this rule
  reports the same four kinds of use without that dependency.
- ``variable_problems``: what graphql-core's validation cannot see because it lives in the variables: values
  of the wrong type, unknown or missing required input fields, and deprecated input fields or enum values.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    EnumValueNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    ObjectFieldNode,
    OperationDefinitionNode,
    ValidationRule,
    get_named_type,
    is_input_object_type,
    type_from_ast,
)
from graphql.execution.values import get_variable_values


class DeprecatedUsageRule(ValidationRule):
    """Reports each use of a deprecated field, argument, input field (in literals) or enum value."""

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        field_def = self.context.get_field_def()
        if field_def is not None and field_def.deprecation_reason is not None:
            parent = self.context.get_parent_type()
            self.report_error(
                GraphQLError(
                    f"The field {parent}.{node.name.value} is deprecated. {field_def.deprecation_reason}",
                    node,
                )
            )

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        arg_def = self.context.get_argument()
        if arg_def is None or arg_def.deprecation_reason is None:
            return
        directive = self.context.get_directive()
        if directive is not None:
            owner = f"@{directive.name}"
        else:
            ancestors = _args[3] if len(_args) > 3 else []
            field = next((a for a in reversed(ancestors) if isinstance(a, FieldNode)), None)
            owner = f"{self.context.get_parent_type()}.{field.name.value if field else '?'}"
        self.report_error(
            GraphQLError(
                f"The argument '{owner}({node.name.value}:)' is deprecated. {arg_def.deprecation_reason}",
                node,
            )
        )

    def enter_object_field(self, node: ObjectFieldNode, *_args: Any) -> None:
        parent = get_named_type(self.context.get_parent_input_type())
        if is_input_object_type(parent):
            assert isinstance(parent, GraphQLInputObjectType)
            field = parent.fields.get(node.name.value)
            if field is not None and field.deprecation_reason is not None:
                self.report_error(
                    GraphQLError(
                        f"The input field {parent.name}.{node.name.value} is deprecated. "
                        f"{field.deprecation_reason}",
                        node,
                    )
                )

    def enter_enum_value(self, node: EnumValueNode, *_args: Any) -> None:
        value = self.context.get_enum_value()
        if value is not None and value.deprecation_reason is not None:
            enum = get_named_type(self.context.get_input_type())
            self.report_error(
                GraphQLError(
                    f"The enum value '{getattr(enum, 'name', '?')}.{node.value}' is deprecated. "
                    f"{value.deprecation_reason}",
                    node,
                )
            )


def _deprecated_in_value(type_: GraphQLInputType, value: Any, path: str, out: list[str]) -> None:
    if value is None:
        return
    if isinstance(type_, GraphQLNonNull):
        _deprecated_in_value(type_.of_type, value, path, out)
        return
    if isinstance(type_, GraphQLList):
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            _deprecated_in_value(type_.of_type, item, f"{path}[{i}]", out)
        return
    if isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
        for name, item in value.items():
            field = type_.fields.get(name)
            if field is None:
                continue
            if field.deprecation_reason is not None:
                out.append(
                    f"{path}.{name}: the input field {type_.name}.{name} is deprecated. "
                    f"{field.deprecation_reason}"
                )
            _deprecated_in_value(field.type, item, f"{path}.{name}", out)
        return
    if isinstance(type_, GraphQLEnumType) and isinstance(value, str):
        enum_value = type_.values.get(value)
        if enum_value is not None and enum_value.deprecation_reason is not None:
            out.append(
                f"{path}: the enum value {type_.name}.{value} is deprecated. {enum_value.deprecation_reason}"
            )


def variable_problems(
    schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any] | None
) -> list[str]:
    """Problems with ``variables`` for the (single) operation of ``document``; empty when they are fine."""
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return [e.message for e in coerced]
    out: list[str] = []
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        type_ = type_from_ast(schema, definition.type)
        if type_ is not None and name in (variables or {}):
            _deprecated_in_value(type_, (variables or {})[name], f"${name}", out)  # type: ignore[arg-type]
    return out
