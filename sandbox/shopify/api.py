"""The Admin GraphQL endpoint: schema, resolvers, mutations, query cost and the leaky bucket."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    build_schema,
    execute_sync,
    get_named_type,
    parse,
    validate,
    value_from_ast_untyped,
)
from graphql.type import is_leaf_type

from sandbox.shopify import bulk, shopdata
from sandbox.shopify.money import ZERO, Discount, q2
from sandbox.shopify.shopdata import OperationError, gid, gid_id
from sandbox.shopify.store import SUPPORTED_VERSIONS, Store
from sandbox.shopify.views import BULK_MODE, Views, connection, matches, parse_search
from sandbox.shopify.webhooks import enum_to_topic

SCHEMA: GraphQLSchema = build_schema((Path(__file__).parent / "schema.graphql").read_text())
# Shopify serialises these scalars as JSON strings ("encoded as a string" in the schema's descriptions):
# UnsignedInt64 ("50"), BigInt, Decimal ("29.99") and Money ("100.57").
for _name in ("UnsignedInt64", "BigInt", "Decimal", "Money"):
    _scalar = SCHEMA.type_map[_name]
    assert isinstance(_scalar, GraphQLScalarType)
    _scalar.coerce_output_value = lambda value: None if value is None else str(value)  # type: ignore[method-assign]
MAX_QUERY_COST = 1000
MUTATION_COST = 10
MAX_INPUT_ITEMS = 250
IDEMPOTENCY_REQUIRED_FROM = "2026-04"
#: Mutations whose description says the ``@idempotent`` key is required from 2026-04 (of those implemented).
IDEMPOTENT_MUTATIONS = (
    "inventorySetQuantities",
    "inventoryAdjustQuantities",
    "inventoryActivate",
    "refundCreate",
)
VERSION_RE = re.compile(r"^\d{4}-(01|04|07|10)$")


def resolve_version(requested: str) -> tuple[str | None, bool]:
    """(version that serves the request, fell_forward). ``None``: not a version Shopify knows."""
    if requested == "unstable":
        return "unstable", False
    if not VERSION_RE.match(requested):
        return None, False
    if requested in SUPPORTED_VERSIONS:
        return requested, False
    if requested < SUPPORTED_VERSIONS[0]:
        return SUPPORTED_VERSIONS[0], True
    return None, False  # a future version does not exist yet


def version_at_least(version: str, floor: str) -> bool:
    return version == "unstable" or version >= floor


# ---------------------------------------------------------------------------------------------------------
# leaky bucket
# ---------------------------------------------------------------------------------------------------------
class Buckets:
    """One leaky bucket per shop and app (the sandbox has one app per shop: its access token)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}

    def _refill(self, shop: dict[str, Any]) -> float:
        now = time.monotonic()
        available, at = self._state.get(shop["domain"], (shop["maximum"], now))
        available = min(shop["maximum"], available + (now - at) * shop["restore_rate"])
        self._state[shop["domain"]] = (available, now)
        return available

    def status(self, shop: dict[str, Any]) -> dict[str, float]:
        with self._lock:
            available = self._refill(shop)
        return {
            "maximumAvailable": float(shop["maximum"]),
            "currentlyAvailable": round(available, 1),
            "restoreRate": float(shop["restore_rate"]),
        }

    def take(self, shop: dict[str, Any], cost: float) -> bool:
        with self._lock:
            available = self._refill(shop)
            if cost > available:
                return False
            self._state[shop["domain"]] = (available - cost, time.monotonic())
            return True

    def give_back(self, shop: dict[str, Any], points: float) -> None:
        with self._lock:
            available = self._refill(shop)
            self._state[shop["domain"]] = (min(shop["maximum"], available + points), time.monotonic())

    def set_available(self, shop: dict[str, Any], points: float) -> None:
        with self._lock:
            self._state[shop["domain"]] = (max(0.0, min(shop["maximum"], points)), time.monotonic())

    def reset(self) -> None:
        with self._lock:
            self._state.clear()


# ---------------------------------------------------------------------------------------------------------
# cost
# ---------------------------------------------------------------------------------------------------------
def _root_type(operation: OperationDefinitionNode) -> GraphQLObjectType:
    root = SCHEMA.mutation_type if operation.operation.value == "mutation" else SCHEMA.query_type
    assert root is not None
    return root


def _arg(node: FieldNode, name: str, variables: dict[str, Any]) -> Any:
    for a in node.arguments or ():
        if a.name.value == name:
            return value_from_ast_untyped(a.value, variables)
    return None


def _selections(
    selection_set: SelectionSetNode | None, fragments: dict[str, Any]
) -> list[tuple[FieldNode, str | None]]:
    """Field nodes of a selection set with inline fragments and spreads flattened (type condition kept)."""
    out: list[tuple[FieldNode, str | None]] = []
    if selection_set is None:
        return out
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            out.append((sel, None))
        elif isinstance(sel, InlineFragmentNode):
            cond = sel.type_condition.name.value if sel.type_condition else None
            out += [(f, cond or c) for f, c in _selections(sel.selection_set, fragments)]
        elif isinstance(sel, FragmentSpreadNode):
            frag = fragments.get(sel.name.value)
            if frag is not None:
                out += [
                    (f, frag.type_condition.name.value) for f, _ in _selections(frag.selection_set, fragments)
                ]
    return out


def selection_cost(
    parent: Any,
    selection_set: SelectionSetNode | None,
    variables: dict[str, Any],
    fragments: dict[str, Any],
    data: Any = None,
) -> int:
    """Shopify's calculated cost: scalars and enums 0, objects 1, connections 2 + size x node cost.
    With ``data`` the sizes are the numbers of nodes actually returned (the actual cost)."""
    total = 0
    for node, cond in _selections(selection_set, fragments):
        name = node.name.value
        if name.startswith("__"):
            continue
        owner = SCHEMA.type_map.get(cond) if cond else parent
        if owner is None or not hasattr(owner, "fields") or name not in owner.fields:
            continue
        fdef: GraphQLField = owner.fields[name]
        named = get_named_type(fdef.type)
        if is_leaf_type(named):
            continue
        key = node.alias.value if node.alias else name
        value = data.get(key) if isinstance(data, dict) else None
        if named.name.endswith("Connection"):
            size = _arg(node, "first", variables) or _arg(node, "last", variables) or 0
            if data is not None:
                if value is None:
                    continue
                items = value.get("edges") or value.get("nodes") or []
                size = len(items)
            per_node = 0
            for sub, _ in _selections(node.selection_set, fragments):
                if sub.name.value in ("edges", "nodes"):
                    node_type: Any = get_named_type(cast(Any, named).fields[sub.name.value].type)
                    inner = sub
                    sample = None
                    if sub.name.value == "edges":
                        edge_type = node_type
                        for e, _c in _selections(sub.selection_set, fragments):
                            if e.name.value == "node":
                                inner = e
                        node_type = get_named_type(edge_type.fields["node"].type)
                    if data is not None and value:
                        first_item = (value.get(sub.name.value) or [None])[0]
                        sample = (
                            first_item.get("node") if sub.name.value == "edges" and first_item else first_item
                        )
                    per_node = max(
                        per_node,
                        1
                        + selection_cost(
                            node_type,
                            inner.selection_set,
                            variables,
                            fragments,
                            sample if data is not None else None,
                        ),
                    )
            total += 2 + int(size) * per_node
        else:
            is_list = isinstance(fdef.type, GraphQLList) or (
                isinstance(fdef.type, GraphQLNonNull) and isinstance(fdef.type.of_type, GraphQLList)
            )
            target = named
            if is_list:
                size = _arg(node, "first", variables) or (1 if data is None else 0)
                if data is not None:
                    size = len(value or [])
                sample = (value or [None])[0] if data is not None else None
                total += int(size) * (
                    1 + selection_cost(target, node.selection_set, variables, fragments, sample)
                )
            else:
                if data is not None and value is None:
                    total += 1
                    continue
                total += 1 + selection_cost(target, node.selection_set, variables, fragments, value)
    return total


def query_cost(
    document: DocumentNode, operation: OperationDefinitionNode, variables: dict[str, Any], data: Any = None
) -> int:
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}  # type: ignore[attr-defined]
    if operation.operation.value == "mutation":
        return MUTATION_COST * len([f for f, _ in _selections(operation.selection_set, fragments)])
    root = _root_type(operation)
    return selection_cost(root, operation.selection_set, variables, fragments, data)


def oversized_input(operation: OperationDefinitionNode, variables: dict[str, Any]) -> int | None:
    """The size of the first array input over the 250-item limit, in variables or inline literals."""

    def walk(value: Any) -> int | None:
        if isinstance(value, list):
            if len(value) > MAX_INPUT_ITEMS:
                return len(value)
            for v in value:
                found = walk(v)
                if found:
                    return found
        elif isinstance(value, dict):
            for v in value.values():
                found = walk(v)
                if found:
                    return found
        return None

    found = walk(variables)
    if found:
        return found
    stack: list[Any] = [operation]
    while stack:
        node = stack.pop()
        if isinstance(node, ListValueNode) and len(node.values) > MAX_INPUT_ITEMS:
            return len(node.values)
        for key in getattr(node, "keys", ()):
            child = getattr(node, key, None)
            if isinstance(child, (list, tuple)):
                stack.extend(c for c in child if hasattr(c, "keys"))
            elif hasattr(child, "keys") and not isinstance(child, (str, VariableNode)):
                stack.append(child)
    return None


def deprecated_fields_used(document: DocumentNode, operation: OperationDefinitionNode) -> list[str]:
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}  # type: ignore[attr-defined]
    found: list[str] = []

    def walk(parent: Any, selection_set: SelectionSetNode | None) -> None:
        for node, cond in _selections(selection_set, fragments):
            owner = SCHEMA.type_map.get(cond) if cond else parent
            if owner is None or not hasattr(owner, "fields") or node.name.value not in owner.fields:
                continue
            fdef = owner.fields[node.name.value]
            if fdef.deprecation_reason:
                label = f"{owner.name}.{node.name.value}"
                if label not in found:
                    found.append(label)
            walk(get_named_type(fdef.type), node.selection_set)

    walk(_root_type(operation), operation.selection_set)
    return found


# ---------------------------------------------------------------------------------------------------------
# execution context and resolvers
# ---------------------------------------------------------------------------------------------------------
@dataclass
class Ctx:
    store: Store
    shop: dict[str, Any]
    version: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    base_url: str = ""

    @property
    def views(self) -> Views:
        return Views(self.shop)


def _ctx(info: Any) -> Ctx:
    ctx: Ctx = info.context
    return ctx


def _idempotency_key(info: Any) -> str | None:
    variables = info.variable_values
    coerced = getattr(variables, "coerced", variables)  # graphql-core 3.3 wraps them in VariableValues
    for d in info.field_nodes[0].directives or ():
        if d.name.value == "idempotent":
            for a in d.arguments:
                if a.name.value == "key":
                    value = value_from_ast_untyped(a.value, coerced)
                    return str(value) if value is not None else None
    return None


def _require_idempotency(info: Any) -> str | None:
    ctx = _ctx(info)
    key = _idempotency_key(info)
    if key is not None and not key.strip():
        # The directive's description: "The idempotency key cannot be an empty string or whitespace only."
        raise GraphQLError("The idempotency key cannot be an empty string or whitespace only.")
    if key is None and version_at_least(ctx.version, IDEMPOTENCY_REQUIRED_FROM):
        raise GraphQLError(
            f"The @idempotent directive is required for {info.field_name} from API version "
            f"{IDEMPOTENCY_REQUIRED_FROM}.",
            extensions={"code": "BAD_REQUEST"},
        )
    return key


def _user_errors(exc: OperationError, with_code: bool = True) -> list[dict[str, Any]]:
    err: dict[str, Any] = {"field": exc.field, "message": exc.message}
    if with_code:
        err["code"] = exc.code
    return [err]


def _money(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise GraphQLError(f"Invalid money value for {name}: {value}") from exc


# -- queries ------------------------------------------------------------------------------------------------
def r_shop(_root: Any, info: Any) -> dict[str, Any]:
    ctx = _ctx(info)
    s = ctx.shop
    return {
        "id": gid("Shop", s["id"]),
        "name": s["name"],
        "email": s["email"],
        "myshopifyDomain": s["domain"],
        "currencyCode": s["currency"],
        "taxesIncluded": s["taxes_included"],
        "ianaTimezone": "UTC",
        "plan": {
            "displayName": PLAN_NAMES.get(s["plan"], s["plan"].title()),
            "publicDisplayName": PLAN_NAMES.get(s["plan"], s["plan"].title()),
            "partnerDevelopment": True,
            "shopifyPlus": s["plan"] in ("plus", "enterprise"),
        },
        "products": lambda _i, first=None, after=None: connection(
            s["products"].values(), ctx.views.product, first=first, after=after
        ),
    }


#: ShopPlan.publicDisplayName for the sandbox's plans (values from the field's description).
PLAN_NAMES = {"basic": "Basic", "advanced": "Advanced", "plus": "Plus", "enterprise": "Plus"}

ORDER_FIELDS = {
    "created_at": lambda o: o["created_at"],
    "updated_at": lambda o: o["updated_at"],
    "processed_at": lambda o: o["processed_at"],
    "id": lambda o: o["id"],
    "name": lambda o: o["name"].lstrip("#"),
    "email": lambda o: o["email"],
    "financial_status": lambda o: o["financial_status"],
    "fulfillment_status": lambda o: o["fulfillment_status"] or "unfulfilled",
    "status": lambda o: "cancelled" if o["cancelled_at"] else ("closed" if o["closed_at"] else "open"),
    "sku": lambda o: [li["sku"] for li in o["line_items"]],
    "test": lambda o: str(o["test"]).lower(),
    "tag": lambda o: [t.strip() for t in o["tags"].split(",") if t.strip()],
    "risk_level": lambda o: [a["risk_level"] for a in (o.get("_risk") or {}).get("assessments", [])],
    "return_status": lambda o: shopdata.return_status(o).lower(),
}
ORDER_SORT = {
    "CREATED_AT": lambda o: o["created_at"],
    "UPDATED_AT": lambda o: o["updated_at"],
    "PROCESSED_AT": lambda o: o["processed_at"],
    "ID": lambda o: o["id"],
    "ORDER_NUMBER": lambda o: o["order_number"],
    "TOTAL_PRICE": lambda o: float(o["total_price"]),
    "RELEVANCE": lambda o: o["id"],
}


def _time_sort(getter: Any) -> Any:
    from sandbox.shopify.store import parse_time

    return lambda r: parse_time(getter(r)).timestamp()


def _matching_orders(ctx: Ctx, query: str | None) -> list[dict[str, Any]]:
    terms = parse_search(query)
    for i, (neg, f, op, v) in enumerate(terms):
        if f == "name":
            terms[i] = (neg, f, op, v.lstrip("#"))
    return [o for o in ctx.shop["orders"].values() if matches(o, terms, ORDER_FIELDS)]


def r_orders(
    _root: Any,
    info: Any,
    first: int | None = None,
    after: str | None = None,
    query: str | None = None,
    sortKey: str = "PROCESSED_AT",
    reverse: bool = False,
) -> dict[str, Any]:
    ctx = _ctx(info)
    rows = _matching_orders(ctx, query)
    sort = ORDER_SORT.get(sortKey or "ID", ORDER_SORT["ID"])
    if sortKey in ("CREATED_AT", "UPDATED_AT", "PROCESSED_AT"):
        sort = _time_sort(sort)
    return connection(rows, ctx.views.order, first=first, after=after, sort=sort, reverse=bool(reverse))


def r_orders_count(
    _root: Any, info: Any, query: str | None = None, limit: int | None = 10000
) -> dict[str, Any]:
    """The number of matching orders; Shopify stops counting at ``limit`` (10,000 by default, ``null`` for
    none) and then says AT_LEAST."""
    count = len(_matching_orders(_ctx(info), query))
    if limit is not None and count >= limit:
        return {"count": limit, "precision": "AT_LEAST"}
    return {"count": count, "precision": "EXACT"}


def r_order(_root: Any, info: Any, id: str) -> dict[str, Any] | None:
    ctx = _ctx(info)
    o = ctx.shop["orders"].get(str(gid_id(id, "Order")))
    return ctx.views.order(o) if o else None


PRODUCT_FIELDS = {
    "title": lambda p: p["title"],
    "handle": lambda p: p["handle"],
    "vendor": lambda p: p["vendor"],
    "product_type": lambda p: p["product_type"],
    "status": lambda p: p["status"],
    "sku": lambda p: [v["sku"] for v in p["variants"]],
    "id": lambda p: p["id"],
    "updated_at": lambda p: p["updated_at"],
    "created_at": lambda p: p["created_at"],
}


def r_products(
    _root: Any,
    info: Any,
    first: int | None = None,
    after: str | None = None,
    query: str | None = None,
    reverse: bool = False,
) -> dict[str, Any]:
    ctx = _ctx(info)
    terms = parse_search(query)
    rows = [p for p in ctx.shop["products"].values() if matches(p, terms, PRODUCT_FIELDS)]
    return connection(rows, ctx.views.product, first=first, after=after, reverse=bool(reverse))


def _all_variants(shop: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(p, v) for p in shop["products"].values() for v in p["variants"]]


VARIANT_FIELDS = {
    "sku": lambda r: r["_v"]["sku"],
    "barcode": lambda r: r["_v"]["barcode"],
    "product_id": lambda r: r["_p"]["id"],
    "id": lambda r: r["id"],
    "updated_at": lambda r: r["_v"]["updated_at"],
}


def r_variants(
    _root: Any,
    info: Any,
    first: int | None = None,
    after: str | None = None,
    query: str | None = None,
    reverse: bool = False,
) -> dict[str, Any]:
    ctx = _ctx(info)
    rows = [{"id": v["id"], "_p": p, "_v": v} for p, v in _all_variants(ctx.shop)]
    terms = parse_search(query)
    rows = [r for r in rows if matches(r, terms, VARIANT_FIELDS)]
    return connection(
        rows, lambda r: ctx.views.variant(r["_p"], r["_v"]), first=first, after=after, reverse=bool(reverse)
    )


def r_variant(_root: Any, info: Any, id: str) -> dict[str, Any] | None:
    ctx = _ctx(info)
    vid = gid_id(id, "ProductVariant")
    for p, v in _all_variants(ctx.shop):
        if v["id"] == vid:
            return ctx.views.variant(p, v)
    return None


def r_product(_root: Any, info: Any, id: str) -> dict[str, Any] | None:
    ctx = _ctx(info)
    p = ctx.shop["products"].get(str(gid_id(id, "Product")))
    return ctx.views.product(p) if p else None


ITEM_FIELDS = {"sku": lambda i: i["sku"], "id": lambda i: i["id"], "updated_at": lambda i: i["updated_at"]}


def r_items(
    _root: Any,
    info: Any,
    first: int | None = None,
    after: str | None = None,
    query: str | None = None,
    reverse: bool = False,
) -> dict[str, Any]:
    ctx = _ctx(info)
    terms = parse_search(query)
    rows = [i for i in ctx.shop["inventory_items"].values() if matches(i, terms, ITEM_FIELDS)]
    return connection(rows, ctx.views.inventory_item, first=first, after=after, reverse=bool(reverse))


def r_item(_root: Any, info: Any, id: str) -> dict[str, Any] | None:
    ctx = _ctx(info)
    item = ctx.shop["inventory_items"].get(str(gid_id(id, "InventoryItem")))
    return ctx.views.inventory_item(item) if item else None


def r_level(_root: Any, info: Any, id: str) -> dict[str, Any] | None:
    ctx = _ctx(info)
    m = re.match(r"gid://shopify/InventoryLevel/(\d+)\?inventory_item_id=(\d+)", id)
    if not m:
        return None
    lv = ctx.shop["inventory_levels"].get(f"{m.group(2)}:{m.group(1)}")
    return ctx.views.inventory_level(lv) if lv else None


def r_locations(
    _root: Any,
    info: Any,
    first: int | None = None,
    after: str | None = None,
    query: str | None = None,
    reverse: bool = False,
) -> dict[str, Any]:
    ctx = _ctx(info)
    terms = parse_search(query)
    rows = [x for x in ctx.shop["locations"].values() if matches(x, terms, {"name": lambda loc: loc["name"]})]
    return connection(rows, ctx.views.location, first=first, after=after, reverse=bool(reverse))


def r_location(_root: Any, info: Any, id: str | None = None) -> dict[str, Any] | None:
    ctx = _ctx(info)
    lid = gid_id(id, "Location") if id else shopdata.first_location_id(ctx.shop)
    loc = ctx.shop["locations"].get(str(lid))
    return ctx.views.location(loc) if loc else None


CUSTOMER_FIELDS = {
    "email": lambda c: c["email"],
    "id": lambda c: c["id"],
    "phone": lambda c: c["phone"],
    "first_name": lambda c: c["first_name"],
    "last_name": lambda c: c["last_name"],
    "updated_at": lambda c: c["updated_at"],
    "created_at": lambda c: c["created_at"],
}


def r_customers(
    _root: Any,
    info: Any,
    first: int | None = None,
    after: str | None = None,
    query: str | None = None,
    sortKey: str = "ID",
    reverse: bool = False,
) -> dict[str, Any]:
    ctx = _ctx(info)
    terms = parse_search(query)
    rows = [c for c in ctx.shop["customers"].values() if matches(c, terms, CUSTOMER_FIELDS)]
    sort = {
        "CREATED_AT": _time_sort(lambda c: c["created_at"]),
        "UPDATED_AT": _time_sort(lambda c: c["updated_at"]),
        "NAME": lambda c: f"{c['first_name']} {c['last_name']}",
    }.get(sortKey, lambda c: c["id"])
    return connection(rows, ctx.views.customer, first=first, after=after, sort=sort, reverse=bool(reverse))


def r_customer(_root: Any, info: Any, id: str) -> dict[str, Any] | None:
    ctx = _ctx(info)
    c = ctx.shop["customers"].get(str(gid_id(id, "Customer")))
    return ctx.views.customer(c) if c else None


def r_fulfillment_order(_root: Any, info: Any, id: str) -> dict[str, Any] | None:
    ctx = _ctx(info)
    fo = ctx.shop["fulfillment_orders"].get(str(gid_id(id, "FulfillmentOrder")))
    return ctx.views.fulfillment_order(fo) if fo else None


def r_subscriptions(
    _root: Any,
    info: Any,
    first: int | None = None,
    after: str | None = None,
    topics: list[str] | None = None,
    uri: str | None = None,
    callbackUrl: str | None = None,
    reverse: bool = False,
) -> dict[str, Any]:
    ctx = _ctx(info)
    rows = list(ctx.shop["subscriptions"].values())
    if topics:
        wanted = {_topic_name(t) for t in topics}
        rows = [r for r in rows if r["topic"] in wanted]
    if uri or callbackUrl:
        rows = [r for r in rows if r["callback_url"] == (uri or callbackUrl)]
    return connection(rows, ctx.views.subscription, first=first, after=after, reverse=bool(reverse))


def r_subscription(_root: Any, info: Any, id: str) -> dict[str, Any] | None:
    ctx = _ctx(info)
    sub = ctx.shop["subscriptions"].get(str(gid_id(id, "WebhookSubscription")))
    return ctx.views.subscription(sub) if sub else None


def r_payments(_root: Any, info: Any) -> dict[str, Any]:
    ctx = _ctx(info)
    shop = ctx.shop
    pending = sum(
        (
            Decimal(bt["net"])
            for bt in shop["balance_transactions"].values()
            if bt["payout_status"] not in ("paid",)
            and bt.get("_graphql_type", bt["type"]) != "TRANSFER"
            and bt["type"] != "payout"
        ),
        ZERO,
    )

    def bts(
        _i: Any,
        first: int | None = None,
        after: str | None = None,
        query: str | None = None,
        reverse: bool = False,
    ) -> dict[str, Any]:
        terms = parse_search(query)
        fields = {
            "payout_id": lambda b: str(b["payout_id"]),
            "payout_status": lambda b: b["payout_status"],
            "payments_transfer_id": lambda b: str(b["payout_id"]),
            "processed_at": lambda b: b["processed_at"],
            "type": lambda b: b.get("_graphql_type") or b["type"],
        }
        terms = [
            (n, f, op, str(gid_id(v) or v) if f in ("payout_id", "payments_transfer_id") else v)
            for n, f, op, v in terms
        ]
        rows = [b for b in shop["balance_transactions"].values() if matches(b, terms, fields)]
        return connection(
            rows, ctx.views.balance_transaction, first=first, after=after, reverse=bool(reverse)
        )

    def disputes(
        _i: Any,
        first: int | None = None,
        after: str | None = None,
        query: str | None = None,
        reverse: bool = False,
    ) -> dict[str, Any]:
        fields = {
            "status": lambda d: d["status"],
            "initiated_at": lambda d: d["initiated_at"],
            "id": lambda d: d["id"],
        }
        terms = parse_search(query)
        rows = [d for d in shop["disputes"].values() if matches(d, terms, fields)]
        return connection(rows, ctx.views.dispute, first=first, after=after, reverse=bool(reverse))

    return {
        "id": gid("ShopifyPaymentsAccount", shop["id"]),
        "balance": [{"amount": str(q2(pending)), "currencyCode": shop["currency"]}],
        "payouts": lambda _i, first=None, after=None, reverse=False: connection(
            shop["payouts"].values(), ctx.views.payout, first=first, after=after, reverse=bool(reverse)
        ),
        "balanceTransactions": bts,
        "disputes": disputes,
    }


def _bulk_by_id(ctx: Ctx, id: str) -> dict[str, Any] | None:
    op: dict[str, Any] | None = ctx.shop["bulk_operations"].get(str(gid_id(id, "BulkOperation")))
    return op


def r_bulk_operation(_root: Any, info: Any, id: str) -> dict[str, Any] | None:
    ctx = _ctx(info)
    op = _bulk_by_id(ctx, id)
    return ctx.views.bulk_operation(op, ctx.store.clock.now()) if op else None


def r_bulk_operations(
    _root: Any,
    info: Any,
    first: int | None = None,
    after: str | None = None,
    query: str | None = None,
    sortKey: str = "CREATED_AT",
    reverse: bool = False,
) -> dict[str, Any]:
    """This app's operations, newest first by default (``reverse`` gives oldest first)."""
    ctx = _ctx(info)
    now = ctx.store.clock.now()
    fields = {
        "status": lambda op: ctx.views.bulk_operation(op, now)["status"],
        "type": lambda op: op["type"],
        "created_at": lambda op: op["created_at"],
        "completed_at": lambda op: op.get("completed_at"),
        "id": lambda op: op["id"],
    }
    rows = [op for op in ctx.shop["bulk_operations"].values() if matches(op, parse_search(query), fields)]
    key = "completed_at" if sortKey == "COMPLETED_AT" else "created_at"
    return connection(
        rows,
        lambda op: ctx.views.bulk_operation(op, now),
        first=first,
        after=after,
        sort=lambda op: op.get(key) or "",
        reverse=not reverse,
    )


def r_current_bulk_operation(_root: Any, info: Any, type: str = "QUERY") -> dict[str, Any] | None:
    ctx = _ctx(info)
    ops = [op for op in ctx.shop["bulk_operations"].values() if op["type"] == type.lower()]
    if not ops:
        return None
    newest = max(ops, key=lambda op: op["id"])
    return ctx.views.bulk_operation(newest, ctx.store.clock.now())


def r_app_installation(_root: Any, info: Any) -> dict[str, Any]:
    """The app's installation on this shop: the access scopes the merchant granted (a read of it needs no
    scope)."""
    ctx = _ctx(info)
    scopes = ctx.shop["app"].get("scopes", shopdata.DEFAULT_SCOPES)
    return {
        "id": gid("AppInstallation", ctx.shop["id"]),
        "app": {"id": gid("App", 1), "title": "opsconsole", "handle": "opsconsole"},
        "accessScopes": [{"handle": h, "description": h.replace("_", " ").capitalize()} for h in scopes],
    }


def r_return(_root: Any, info: Any, id: str) -> dict[str, Any] | None:
    ctx = _ctx(info)
    rid = gid_id(id, "Return")
    oid = ctx.shop["returns"].get(str(rid))
    order = ctx.shop["orders"].get(str(oid)) if oid else None
    if order is None:
        return None
    record = next(r for r in order["_returns"] if r["id"] == rid)
    return ctx.views.return_(order, record)


def r_fulfillment(_root: Any, info: Any, id: str) -> dict[str, Any] | None:
    ctx = _ctx(info)
    fid = gid_id(id, "Fulfillment")
    for order in ctx.shop["orders"].values():
        for f in order["fulfillments"]:
            if f["id"] == fid:
                return ctx.views.fulfillment(order, f)
    return None


def r_dispute(_root: Any, info: Any, id: str) -> dict[str, Any] | None:
    ctx = _ctx(info)
    d = ctx.shop["disputes"].get(str(gid_id(id, "ShopifyPaymentsDispute")))
    return ctx.views.dispute(d) if d else None


def r_nodes(_root: Any, info: Any, ids: list[str]) -> list[dict[str, Any] | None]:
    """``nodes``: one entry per id, in order, ``null`` for an id Shopify does not find."""
    return [r_node(_root, info, id=i) for i in ids]


def r_node(_root: Any, info: Any, id: str) -> dict[str, Any] | None:
    parts = id.split("/")
    kind = parts[3] if id.startswith("gid://shopify/") and len(parts) > 4 else ""
    resolvers: dict[str, Callable[..., dict[str, Any] | None]] = {
        "Order": r_order,
        "Product": r_product,
        "ProductVariant": r_variant,
        "InventoryItem": r_item,
        "InventoryLevel": r_level,
        "Location": r_location,
        "Customer": r_customer,
        "FulfillmentOrder": r_fulfillment_order,
        "WebhookSubscription": r_subscription,
        "BulkOperation": r_bulk_operation,
        "Return": r_return,
        "Fulfillment": r_fulfillment,
        "ShopifyPaymentsDispute": r_dispute,
    }
    resolver = resolvers.get(kind)
    if resolver is None:
        return None
    value: dict[str, Any] | None = resolver(_root, info, id=id)
    if value is not None:
        value["__typename"] = kind
    return value


# -- mutations ------------------------------------------------------------------------------------------
def _level_change(ctx: Ctx, item_gid: str, loc_gid: str) -> tuple[dict[str, Any] | None, str | None]:
    item = ctx.shop["inventory_items"].get(str(gid_id(item_gid, "InventoryItem")))
    if item is None:
        return None, "INVALID_INVENTORY_ITEM"
    if str(gid_id(loc_gid, "Location")) not in ctx.shop["locations"]:
        return None, "INVALID_LOCATION"
    lv = ctx.shop["inventory_levels"].get(f"{item['id']}:{gid_id(loc_gid)}")
    if lv is None:
        return None, "ITEM_NOT_STOCKED_AT_LOCATION"
    return lv, None


def _adjustment_group_view(ctx: Ctx, group: dict[str, Any]) -> dict[str, Any]:
    def changes(_i: Any, quantityNames: list[str] | None = None) -> list[dict[str, Any]]:
        out = []
        for c in group["changes"]:
            if quantityNames and c["name"] not in quantityNames:
                continue
            item = ctx.shop["inventory_items"][str(c["item_id"])]
            loc = ctx.shop["locations"][str(c["location_id"])]
            out.append(
                {
                    "name": c["name"],
                    "delta": c["delta"],
                    "quantityAfterChange": c.get("after"),
                    "ledgerDocumentUri": c.get("ledger"),
                    "item": ctx.views.inventory_item(item),
                    "location": ctx.views.location(loc),
                }
            )
        return out

    return {
        "id": gid("InventoryAdjustmentGroup", group["id"]),
        "createdAt": group["created_at"],
        "reason": group["reason"],
        "referenceDocumentUri": group.get("reference"),
        "changes": changes,
    }


REASONS = {
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
}


IDEMPOTENCY_MISMATCH = "The same idempotency key cannot be used with different operation parameters."
IDEMPOTENCY_FAILED = "A previous request with this idempotency key failed. Retry with a new idempotency key."


@dataclass
class Idempotency:
    """One ``@idempotent`` mutation call: what an earlier call with the same key says about this one.

    ``state``: ``new`` (run it), ``replay`` (the same call succeeded before: answer its result without
    applying anything), ``mismatch`` (the key was used with other arguments) or ``failed`` (the call with
    this key answered user errors). The last two become Shopify's IDEMPOTENCY_KEY_PARAMETER_MISMATCH and
    IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED (the enum descriptions in the 2026-07 schema)."""

    ctx: Ctx
    mutation: str
    key: str | None
    fingerprint: str
    state: str
    record: dict[str, Any] | None

    @classmethod
    def begin(cls, info: Any, mutation: str, arguments: dict[str, Any]) -> Idempotency:
        ctx = _ctx(info)
        key = _require_idempotency(info)
        fingerprint = json.dumps(arguments, sort_keys=True, default=str)
        record = ctx.shop["idempotency"].get(f"{mutation}:{key}") if key is not None else None
        if record is None:
            state = "new"
        elif record.get("fingerprint", fingerprint) != fingerprint:
            state = "mismatch"
        elif record.get("failed"):
            state = "failed"
        else:
            state = "replay"
        return cls(ctx, mutation, key, fingerprint, state, record)

    def error(self, *, with_code: bool) -> dict[str, Any]:
        mismatch = self.state == "mismatch"
        err: dict[str, Any] = {
            "field": None,
            "message": IDEMPOTENCY_MISMATCH if mismatch else IDEMPOTENCY_FAILED,
        }
        if with_code:
            err["code"] = (
                "IDEMPOTENCY_KEY_PARAMETER_MISMATCH" if mismatch else "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"
            )
        return err

    def finish(self, *, failed: bool, **result: Any) -> None:
        if self.key is not None and self.state == "new":
            self.ctx.shop["idempotency"][f"{self.mutation}:{self.key}"] = {
                "fingerprint": self.fingerprint,
                "failed": failed,
                **result,
            }


def _group_answer(ctx: Ctx, record: dict[str, Any]) -> dict[str, Any]:
    group = ctx.shop["adjustment_groups"].get(str(record.get("group_id")))
    return {
        "inventoryAdjustmentGroup": _adjustment_group_view(ctx, group) if group else None,
        "userErrors": [],
    }


def m_inventory_set(_root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    ctx = _ctx(info)
    idem = Idempotency.begin(info, "inventorySetQuantities", {"input": input})
    if idem.state == "replay":
        assert idem.record is not None
        return _group_answer(ctx, idem.record)
    if idem.state in ("mismatch", "failed"):
        return {"inventoryAdjustmentGroup": None, "userErrors": [idem.error(with_code=True)]}
    name = input["name"]
    errors: list[dict[str, Any]] = []
    if name not in ("available", "on_hand"):
        errors.append(
            {
                "field": ["input", "name"],
                "message": "The quantity name must be either 'available' or 'on_hand'.",
                "code": "INVALID_NAME",
            }
        )
    if input["reason"] not in REASONS:
        errors.append(
            {
                "field": ["input", "reason"],
                "message": "The specified reason is invalid.",
                "code": "INVALID_REASON",
            }
        )
    v2604 = version_at_least(ctx.version, "2026-04")
    seen = set()
    plan = []
    for i, q in enumerate(input["quantities"]):
        lv, err = _level_change(ctx, q["inventoryItemId"], q["locationId"])
        if err:
            errors.append(
                {
                    "field": ["input", "quantities", str(i)],
                    "message": err.replace("_", " ").capitalize(),
                    "code": err,
                }
            )
            continue
        assert lv is not None
        pair = (lv["inventory_item_id"], lv["location_id"])
        if pair in seen:
            errors.append(
                {
                    "field": ["input", "quantities", str(i)],
                    "message": "The combination of inventoryItemId and locationId must be unique.",
                    "code": "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                }
            )
        seen.add(pair)
        current = lv["available"] if name == "available" else lv["available"] + lv.get("_committed", 0)
        if v2604 and "changeFromQuantity" not in q:
            # From 2026-04 the field must be given (null opts out of the check); leaving it out is refused.
            raise GraphQLError(
                "Variable $input of type InventorySetQuantitiesInput! was provided invalid value for "
                f"quantities.{i}.changeFromQuantity (Expected value to not be null)",
                extensions={"code": "INVALID_VARIABLE"},
            )
        if q.get("changeFromQuantity") is not None and q["changeFromQuantity"] != current:
            errors.append(
                {
                    "field": ["input", "quantities", str(i), "changeFromQuantity"],
                    "message": f"The specified changeFromQuantity ({q['changeFromQuantity']}) does not match "
                    f"the current quantity ({current}).",
                    "code": "CHANGE_FROM_QUANTITY_STALE",
                }
            )
        if q["quantity"] < -1_000_000_000 or q["quantity"] > 1_000_000_000:
            errors.append(
                {
                    "field": ["input", "quantities", str(i), "quantity"],
                    "message": "Quantity is too high.",
                    "code": "INVALID_QUANTITY_TOO_HIGH",
                }
            )
        plan.append((lv, q["quantity"] - current))
    if errors:
        idem.finish(failed=True)
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    group = _apply_changes(ctx, name, input["reason"], input.get("referenceDocumentUri"), plan)
    idem.finish(failed=False, group_id=group["id"])
    return {"inventoryAdjustmentGroup": _adjustment_group_view(ctx, group), "userErrors": []}


def _apply_changes(
    ctx: Ctx,
    name: str,
    reason: str,
    reference: str | None,
    plan: list[tuple[dict[str, Any], int]],
    ledgers: list[str | None] | None = None,
) -> dict[str, Any]:
    now = ctx.store.clock.iso()
    changes = []
    for n, (lv, delta) in enumerate(plan):
        lv["available"] += delta  # on_hand = available + committed moves with it
        lv["updated_at"] = now
        after = lv["available"] if name == "available" else lv["available"] + lv.get("_committed", 0)
        changes.append(
            {
                "name": name,
                "delta": delta,
                "after": after,
                "item_id": lv["inventory_item_id"],
                "location_id": lv["location_id"],
                "ledger": (ledgers or [None] * len(plan))[n],
            }
        )
        if name == "on_hand":
            changes.append(
                {
                    "name": "available",
                    "delta": delta,
                    "after": lv["available"],
                    "item_id": lv["inventory_item_id"],
                    "location_id": lv["location_id"],
                    "ledger": None,
                }
            )
        if delta != 0:
            ctx.events.append(("inventory_levels/update", lv))
    gid_ = ctx.store.new_id()
    group = {
        "id": gid_,
        "created_at": ctx.store.clock.iso(),
        "reason": reason,
        "reference": reference,
        "changes": changes,
    }
    ctx.shop["adjustment_groups"][str(gid_)] = group
    shopdata.recompute_variant_quantities(ctx.shop)
    return group


def m_inventory_adjust(_root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    ctx = _ctx(info)
    idem = Idempotency.begin(info, "inventoryAdjustQuantities", {"input": input})
    if idem.state == "replay":
        assert idem.record is not None
        return _group_answer(ctx, idem.record)
    if idem.state in ("mismatch", "failed"):
        return {"inventoryAdjustmentGroup": None, "userErrors": [idem.error(with_code=True)]}
    name = input["name"]
    errors: list[dict[str, Any]] = []
    if name not in (
        "available",
        "on_hand",
        "damaged",
        "incoming",
        "quality_control",
        "reserved",
        "safety_stock",
    ):
        errors.append(
            {"field": ["input", "name"], "message": "Invalid quantity name", "code": "INVALID_QUANTITY_NAME"}
        )
    elif name not in ("available", "on_hand"):
        # A sandbox limit (Shopify adjusts every listed name): refused rather than silently ignored.
        errors.append(
            {
                "field": ["input", "name"],
                "message": "The sandbox adjusts available and on_hand only",
                "code": "INVALID_QUANTITY_NAME",
            }
        )
    if input["reason"] not in REASONS:
        errors.append(
            {
                "field": ["input", "reason"],
                "message": "The specified reason is invalid.",
                "code": "INVALID_REASON",
            }
        )
    plan = []
    ledgers = []
    for i, c in enumerate(input["changes"]):
        lv, err = _level_change(ctx, c["inventoryItemId"], c["locationId"])
        if err:
            errors.append(
                {
                    "field": ["input", "changes", str(i)],
                    "message": err.replace("_", " ").capitalize(),
                    "code": err,
                }
            )
            continue
        assert lv is not None
        if name != "available" and not c.get("ledgerDocumentUri"):
            errors.append(
                {
                    "field": ["input", "changes", str(i), "ledgerDocumentUri"],
                    "message": "A ledger document URI is required for this quantity name.",
                    "code": "INVALID_LEDGER_DOCUMENT",
                }
            )
        current = lv["available"] if name == "available" else lv["available"] + lv.get("_committed", 0)
        if c.get("changeFromQuantity") is not None and c["changeFromQuantity"] != current:
            errors.append(
                {
                    "field": ["input", "changes", str(i), "changeFromQuantity"],
                    "message": "The specified changeFromQuantity does not match the current quantity.",
                    "code": "CHANGE_FROM_QUANTITY_STALE",
                }
            )
        plan.append((lv, int(c["delta"])))
        ledgers.append(c.get("ledgerDocumentUri"))
    if errors:
        idem.finish(failed=True)
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    group = _apply_changes(ctx, name, input["reason"], input.get("referenceDocumentUri"), plan, ledgers)
    idem.finish(failed=False, group_id=group["id"])
    return {"inventoryAdjustmentGroup": _adjustment_group_view(ctx, group), "userErrors": []}


def _customer_input(inp: dict[str, Any]) -> dict[str, Any]:
    data = {
        "email": inp.get("email"),
        "phone": inp.get("phone"),
        "first_name": inp.get("firstName"),
        "last_name": inp.get("lastName"),
        "note": inp.get("note"),
        "tax_exempt": inp.get("taxExempt"),
    }
    if inp.get("tags") is not None:
        data["tags"] = ", ".join(inp["tags"])
    if inp.get("addresses"):
        data["addresses"] = [
            {
                "first_name": a.get("firstName"),
                "last_name": a.get("lastName"),
                "address1": a.get("address1"),
                "address2": a.get("address2") or "",
                "city": a.get("city"),
                "zip": a.get("zip"),
                "country_code": a.get("countryCode") or "FR",
                "province_code": a.get("provinceCode"),
                "phone": a.get("phone"),
                "company": a.get("company"),
            }
            for a in inp["addresses"]
        ]
    return {k: v for k, v in data.items() if v is not None}


def m_customer_create(_root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    ctx = _ctx(info)
    if not (input.get("email") or input.get("phone") or input.get("lastName") or input.get("firstName")):
        return {
            "customer": None,
            "userErrors": [
                {"field": None, "message": "A name, phone number, or email address must be present"}
            ],
        }
    try:
        events = shopdata.create_customer(ctx.store, ctx.shop, _customer_input(input))
    except OperationError as exc:
        return {"customer": None, "userErrors": _user_errors(exc, with_code=False)}
    ctx.events += events
    return {"customer": ctx.views.customer(events[0][1]), "userErrors": []}


def m_customer_update(_root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    ctx = _ctx(info)
    cid = gid_id(input.get("id"), "Customer")
    try:
        events = shopdata.update_customer(ctx.store, ctx.shop, cid or 0, _customer_input(input))
    except OperationError as exc:
        return {"customer": None, "userErrors": _user_errors(exc, with_code=False)}
    ctx.events += events
    return {"customer": ctx.views.customer(events[0][1]), "userErrors": []}


def _topic_name(value: str) -> str:
    """``ORDERS_CREATE`` → ``orders/create`` for topics the sandbox fires; other enum values stay as given."""
    try:
        return enum_to_topic(value)
    except KeyError:
        return value


def m_subscription_create(
    _root: Any,
    info: Any,
    topic: str,
    webhookSubscription: dict[str, Any],
) -> dict[str, Any]:
    """The topic is a WebhookSubscriptionTopic value: the compliance topics are not among them, so GraphQL
    validation already refuses them (they are configured for the app). Topics the sandbox never fires are
    accepted, as Shopify accepts them."""
    ctx = _ctx(info)
    address_field = "uri" if webhookSubscription.get("uri") else "callbackUrl"
    url = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
    if not url or not re.match(r"^https?://", url):
        return {
            "webhookSubscription": None,
            "userErrors": [
                {"field": ["webhookSubscription", address_field], "message": "Address is invalid"}
            ],
        }
    t = _topic_name(topic)
    if any(s["topic"] == t and s["callback_url"] == url for s in ctx.shop["subscriptions"].values()):
        return {
            "webhookSubscription": None,
            "userErrors": [
                {
                    "field": ["webhookSubscription", address_field],
                    "message": "Address for this topic has already been taken",
                }
            ],
        }
    now = ctx.store.clock.iso()
    sid = ctx.store.new_id()
    sub = {
        "id": sid,
        "topic": t,
        "callback_url": url,
        "created_at": now,
        "updated_at": now,
        "api_version": ctx.version if ctx.version != "unstable" else SUPPORTED_VERSIONS[-1],
        "include_fields": webhookSubscription.get("includeFields") or [],
        "filter": webhookSubscription.get("filter"),
        "consecutive_failures": 0,
    }
    ctx.shop["subscriptions"][str(sid)] = sub
    return {"webhookSubscription": ctx.views.subscription(sub), "userErrors": []}


def m_subscription_delete(_root: Any, info: Any, id: str) -> dict[str, Any]:
    ctx = _ctx(info)
    sid = gid_id(id, "WebhookSubscription")
    if str(sid) not in ctx.shop["subscriptions"]:
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
        }
    del ctx.shop["subscriptions"][str(sid)]
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}


def _bag_amount(b: dict[str, Any] | None) -> Decimal | None:
    if not b:
        return None
    return _money(b["shopMoney"]["amount"], "amount")


def m_order_create(
    _root: Any, info: Any, order: dict[str, Any], options: dict[str, Any] | None = None
) -> dict[str, Any]:
    ctx = _ctx(info)
    shop = ctx.shop
    lines = []
    for i, li in enumerate(order.get("lineItems") or []):
        if li["quantity"] <= 0:
            return {
                "order": None,
                "userErrors": [
                    {
                        "field": ["order", "lineItems", str(i), "quantity"],
                        "message": "Quantity must be greater than 0",
                        "code": "INVALID",
                    }
                ],
            }
        found = (
            shopdata.find_variant(shop, variant_id=gid_id(li.get("variantId"), "ProductVariant"))
            if li.get("variantId")
            else (shopdata.find_variant(shop, sku=li["sku"]) if li.get("sku") else None)
        )
        tax = None
        if li.get("taxLines"):
            t = li["taxLines"][0]
            tax = (t["title"], Decimal(str(t["rate"])))
        if found is not None:
            product, variant = found
            price = _bag_amount(li.get("priceSet"))
            v = dict(variant, price=str(price)) if price is not None else variant
            lines.append({"product": product, "variant": v, "quantity": li["quantity"], "_explicit_tax": tax})
        elif li.get("variantId"):
            return {
                "order": None,
                "userErrors": [
                    {
                        "field": ["order", "lineItems", str(i), "variantId"],
                        "message": "Variant does not exist",
                        "code": "INVALID",
                    }
                ],
            }
        else:
            price = _bag_amount(li.get("priceSet"))
            if price is None or not li.get("title"):
                return {
                    "order": None,
                    "userErrors": [
                        {
                            "field": ["order", "lineItems", str(i)],
                            "message": "A custom line item needs a title and a priceSet",
                            "code": "INVALID",
                        }
                    ],
                }
            lines.append(
                {
                    "title": li["title"],
                    "sku": li.get("sku"),
                    "price": price,
                    "quantity": li["quantity"],
                    "tax": tax,
                }
            )
    if not lines:
        return {
            "order": None,
            "userErrors": [
                {
                    "field": ["order", "lineItems"],
                    "message": "Line items must have at least one line item",
                    "code": "INVALID",
                }
            ],
        }
    # orderCreate does not compute taxes: only the tax lines given in the input apply (as in Shopify).
    custom = []
    for line in lines:
        if "variant" in line:
            tax = line.pop("_explicit_tax")
            custom.append(
                {
                    "title": line["product"]["title"],
                    "sku": line["variant"]["sku"],
                    "price": Decimal(line["variant"]["price"]),
                    "quantity": line["quantity"],
                    "tax": tax,
                    "_variant_ref": (line["product"], line["variant"]),
                }
            )
        else:
            custom.append(line)
    discounts = []
    dc = order.get("discountCode") or {}
    if dc.get("itemPercentageDiscountCode"):
        p = dc["itemPercentageDiscountCode"]
        discounts.append(
            Discount("code", "percentage", Decimal(str(p.get("percentage") or 0)), code=p["code"])
        )
    elif dc.get("itemFixedDiscountCode"):
        p = dc["itemFixedDiscountCode"]
        discounts.append(
            Discount("code", "fixed_amount", _bag_amount(p.get("amountSet")) or ZERO, code=p["code"])
        )
    shipping = []
    for sl in order.get("shippingLines") or []:
        shipping.append(
            {
                "code": sl.get("code") or sl["title"],
                "title": sl["title"],
                "price": _bag_amount(sl["priceSet"]) or ZERO,
            }
        )
    customer = None
    assoc = (order.get("customer") or {}).get("toAssociate") or {}
    if assoc.get("id"):
        customer = shop["customers"].get(str(gid_id(assoc["id"], "Customer")))
        if customer is None:
            return {
                "order": None,
                "userErrors": [
                    {"field": ["order", "customer"], "message": "Customer does not exist", "code": "INVALID"}
                ],
            }
    addr = order.get("shippingAddress")
    ship_addr = None
    if addr:
        ship_addr = {
            "first_name": addr.get("firstName"),
            "last_name": addr.get("lastName"),
            "address1": addr.get("address1"),
            "city": addr.get("city"),
            "zip": addr.get("zip"),
            "country_code": addr.get("countryCode") or "FR",
        }
    fin = (order.get("financialStatus") or "PAID").lower()
    build_lines = []
    for line in custom:
        entry = {k: v for k, v in line.items() if k != "_variant_ref"}
        build_lines.append(entry)
    try:
        events = shopdata.build_order(
            ctx.store,
            shop,
            lines=build_lines,
            discounts=discounts,
            shipping_code=None,
            shipping_lines=shipping,
            presentment_currency=order.get("presentmentCurrency") or order.get("currency"),
            customer=customer,
            email=order.get("email"),
            shipping_address=ship_addr,
            note=order.get("note"),
            note_attributes=[
                {"name": a["key"], "value": a["value"]} for a in order.get("customAttributes") or []
            ],
            tags=", ".join(order.get("tags") or []),
            taxes_included=order.get("taxesIncluded"),
            compute_taxes=False,
            financial_status="paid" if fin == "paid" else "pending",
            test=bool(order.get("test")),
            source_name="api",
        )
    except OperationError as exc:
        return {"order": None, "userErrors": _user_errors(exc)}
    rest = events[0][1]
    # Link variant lines back to their variants (custom-priced but still the catalogue's products).
    for li, line in zip(rest["line_items"], custom, strict=True):
        ref = line.get("_variant_ref")
        if ref:
            product, variant = ref
            li.update(
                {
                    "variant_id": variant["id"],
                    "product_id": product["id"],
                    "product_exists": True,
                    "vendor": product["vendor"],
                    "variant_inventory_management": "shopify",
                    "variant_title": None if variant["title"] == "Default Title" else variant["title"],
                    "name": product["title"]
                    if variant["title"] == "Default Title"
                    else f"{product['title']} - {variant['title']}",
                }
            )
            for fo in shop["fulfillment_orders"].values():
                for foli in fo["line_items"]:
                    if foli["line_item_id"] == li["id"]:
                        foli["variant_id"] = variant["id"]
    ctx.events += events
    return {"order": ctx.views.order(rest), "userErrors": []}


ORDER_CANCEL_CODES = {"NOT_FOUND": "NOT_FOUND", "ALREADY_CANCELLED": "INVALID", "INVALID": "INVALID"}


def m_order_cancel(
    _root: Any,
    info: Any,
    orderId: str,
    reason: str,
    restock: bool,
    refund: bool | None = None,
    refundMethod: dict[str, Any] | None = None,
    notifyCustomer: bool | None = False,
    staffNote: str | None = None,
) -> dict[str, Any]:
    """``orderCancel``: ``refundMethod.originalPaymentMethodsRefund`` (or the deprecated ``refund``) refunds
    what was paid; an order with a return in progress cannot be cancelled (the mutation's description)."""
    ctx = _ctx(info)
    oid = gid_id(orderId, "Order")
    do_refund = (
        bool((refundMethod or {}).get("originalPaymentMethodsRefund")) if refundMethod else bool(refund)
    )
    order = ctx.shop["orders"].get(str(oid))
    try:
        if order is not None and any(r["status"] == "open" for r in order.get("_returns", [])):
            raise OperationError("Order has a return in progress.", ["orderId"], "INVALID")
        events = shopdata.cancel_order(
            ctx.store, ctx.shop, oid or 0, reason=reason, refund=do_refund, restock=restock
        )
    except OperationError as exc:
        code = ORDER_CANCEL_CODES.get(exc.code or "", "INVALID")
        return {
            "job": None,
            "orderCancelUserErrors": [{"field": exc.field, "message": exc.message, "code": code}],
            "userErrors": [{"field": exc.field, "message": exc.message}],
        }
    ctx.events += events
    return {
        "job": {"id": gid("Job", ctx.store.new_id()), "done": True},
        "orderCancelUserErrors": [],
        "userErrors": [],
    }


def m_refund_create(_root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    ctx = _ctx(info)
    idem = Idempotency.begin(info, "refundCreate", {"input": input})
    oid = gid_id(input["orderId"], "Order")
    order = ctx.shop["orders"].get(str(oid))
    if idem.state == "replay" and order is not None:
        assert idem.record is not None
        r = next((x for x in order["refunds"] if x["id"] == idem.record["refund_id"]), None)
        if r is not None:
            return {"refund": ctx.views.refund(order, r), "order": ctx.views.order(order), "userErrors": []}
    if idem.state in ("mismatch", "failed"):
        return {"refund": None, "order": None, "userErrors": [idem.error(with_code=False)]}
    if order is None:
        idem.finish(failed=True)
        return {
            "refund": None,
            "order": None,
            "userErrors": [{"field": ["input", "orderId"], "message": "Order does not exist"}],
        }
    if order["presentment_currency"] != order["currency"] and not input.get("currency"):
        idem.finish(failed=True)
        return {
            "refund": None,
            "order": None,
            "userErrors": [
                {
                    "field": ["input", "currency"],
                    "message": "Currency is required when the order's presentment currency differs from the"
                    " shop currency",
                }
            ],
        }
    specs = []
    for x in input.get("refundLineItems") or []:
        specs.append(
            {
                "line_item_id": gid_id(x["lineItemId"], "LineItem"),
                "quantity": x["quantity"],
                "restock_type": (x.get("restockType") or "NO_RESTOCK").lower(),
                "location_id": gid_id(x.get("locationId"), "Location") if x.get("locationId") else None,
            }
        )
    ship = input.get("shipping") or {}
    try:
        refund, events = shopdata.create_refund(
            ctx.store,
            ctx.shop,
            oid or 0,
            line_items=specs,
            shipping_full=bool(ship.get("fullRefund")),
            shipping_amount=_money(ship["amount"], "shipping.amount")
            if ship.get("amount") is not None
            else None,
            note=input.get("note"),
            transactions=[
                {
                    "parent_id": gid_id(x["parentId"], "OrderTransaction") if x.get("parentId") else None,
                    "amount": _money(x["amount"], "transactions.amount"),
                    "gateway": x.get("gateway"),
                    "kind": x.get("kind"),
                }
                for x in input["transactions"]
            ]
            if input.get("transactions")
            else None,
        )
    except OperationError as exc:
        idem.finish(failed=True)
        return {
            "refund": None,
            "order": None,
            "userErrors": [{"field": ["input", *(exc.field or [])], "message": exc.message}],
        }
    idem.finish(failed=False, refund_id=refund["id"])
    ctx.events += events
    return {"refund": ctx.views.refund(order, refund), "order": ctx.views.order(order), "userErrors": []}


def m_fulfillment_create(
    _root: Any, info: Any, fulfillment: dict[str, Any], message: str | None = None
) -> dict[str, Any]:
    ctx = _ctx(info)
    groups = []
    for g in fulfillment["lineItemsByFulfillmentOrder"]:
        items = g.get("fulfillmentOrderLineItems")
        groups.append(
            {
                "fulfillment_order_id": gid_id(g["fulfillmentOrderId"], "FulfillmentOrder"),
                "line_items": [
                    {"id": gid_id(x["id"], "FulfillmentOrderLineItem"), "quantity": x["quantity"]}
                    for x in items
                ]
                if items
                else None,
            }
        )
    try:
        f, events = shopdata.create_fulfillment(ctx.store, ctx.shop, groups, fulfillment.get("trackingInfo"))
    except OperationError as exc:
        return {"fulfillment": None, "userErrors": [{"field": exc.field, "message": exc.message}]}
    ctx.events += events
    order = ctx.shop["orders"][str(f["order_id"])]
    return {"fulfillment": ctx.views.fulfillment(order, f), "userErrors": []}


def m_variants_bulk_update(
    _root: Any,
    info: Any,
    productId: str,
    variants: list[dict[str, Any]],
) -> dict[str, Any]:
    ctx = _ctx(info)
    product = ctx.shop["products"].get(str(gid_id(productId, "Product")))
    if product is None:
        return {
            "product": None,
            "productVariants": None,
            "userErrors": [
                {
                    "field": ["productId"],
                    "message": "Product does not exist",
                    "code": "PRODUCT_DOES_NOT_EXIST",
                }
            ],
        }
    by_id = {v["id"]: v for v in product["variants"]}
    errors = []
    for i, inp in enumerate(variants):
        if gid_id(inp.get("id"), "ProductVariant") not in by_id:
            errors.append(
                {
                    "field": ["variants", str(i), "id"],
                    "message": "Product variant does not exist",
                    "code": "PRODUCT_VARIANT_DOES_NOT_EXIST",
                }
            )
        for k in ("price", "compareAtPrice"):
            if inp.get(k) is not None:
                try:
                    if Decimal(str(inp[k])) < 0:
                        raise InvalidOperation
                except InvalidOperation:
                    errors.append(
                        {
                            "field": ["variants", str(i), k],
                            "message": "Price must be greater than or equal to 0",
                            "code": "NEGATIVE_PRICE_VALUE",
                        }
                    )
    if errors:
        return {"product": None, "productVariants": None, "userErrors": errors}
    now = ctx.store.clock.iso()
    touched = []
    for inp in variants:
        v = by_id[gid_id(inp["id"], "ProductVariant")]  # type: ignore[index]
        if inp.get("price") is not None:
            v["price"] = str(q2(Decimal(str(inp["price"]))))
            v["presentment_prices"][0]["price"]["amount"] = v["price"]
        if "compareAtPrice" in inp:
            v["compare_at_price"] = (
                str(q2(Decimal(str(inp["compareAtPrice"])))) if inp["compareAtPrice"] else None
            )
        if inp.get("barcode") is not None:
            v["barcode"] = inp["barcode"]
        if inp.get("taxable") is not None:
            v["taxable"] = inp["taxable"]
        if (inp.get("inventoryItem") or {}).get("sku") is not None:
            v["sku"] = inp["inventoryItem"]["sku"]
            ctx.shop["inventory_items"][str(v["inventory_item_id"])]["sku"] = v["sku"]
        v["updated_at"] = now
        touched.append(v)
    product["updated_at"] = now
    ctx.events.append(("products/update", product))
    return {
        "product": ctx.views.product(product),
        "productVariants": [ctx.views.variant(product, v) for v in touched],
        "userErrors": [],
    }


def m_product_set(
    _root: Any,
    info: Any,
    input: dict[str, Any],
    identifier: dict[str, Any] | None = None,
    synchronous: bool | None = True,
) -> dict[str, Any]:
    """Upsert by ``identifier`` (id or handle; the deprecated ``input.id`` still works); the variant list
    replaces the product's variants (matched by id, then SKU)."""
    ctx = _ctx(info)
    shop = ctx.shop
    if identifier:
        input = {**input, **{k: v for k, v in identifier.items() if v is not None}}
    product = None
    if input.get("id"):
        product = shop["products"].get(str(gid_id(input["id"], "Product")))
        if product is None:
            return {
                "product": None,
                "userErrors": [
                    {
                        "field": ["input", "id"],
                        "message": "Product does not exist",
                        "code": "PRODUCT_DOES_NOT_EXIST",
                    }
                ],
            }
    elif input.get("handle"):
        product = next((p for p in shop["products"].values() if p["handle"] == input["handle"]), None)
    now = ctx.store.clock.iso()
    created = product is None
    if product is None:
        if not input.get("title"):
            return {
                "product": None,
                "userErrors": [
                    {
                        "field": ["input", "title"],
                        "message": "Title can't be blank",
                        "code": "MISSING_FIELD_REQUIRED",
                    }
                ],
            }
        pid = ctx.store.new_id()
        product = {
            "id": pid,
            "title": input["title"],
            "body_html": input.get("descriptionHtml") or "",
            "vendor": input.get("vendor") or shop["name"],
            "product_type": input.get("productType") or "",
            "created_at": now,
            "handle": input.get("handle") or re.sub(r"[^a-z0-9]+", "-", input["title"].lower()),
            "updated_at": now,
            "published_at": now,
            "template_suffix": None,
            "published_scope": "web",
            "tags": "",
            "status": "active",
            "admin_graphql_api_id": gid("Product", pid),
            "variants": [],
            "options": [
                {
                    "id": ctx.store.new_id(),
                    "product_id": pid,
                    "name": "Title",
                    "position": 1,
                    "values": ["Default Title"],
                }
            ],
            "images": [],
            "image": None,
        }
        shop["products"][str(pid)] = product
    for src, dst in (
        ("title", "title"),
        ("vendor", "vendor"),
        ("productType", "product_type"),
        ("descriptionHtml", "body_html"),
        ("handle", "handle"),
    ):
        if input.get(src) is not None:
            product[dst] = input[src]
    if input.get("giftCard") is not None:
        if not created and bool(input["giftCard"]) != bool(product.get("gift_card")):
            return {
                "product": None,
                "userErrors": [
                    {
                        "field": ["input", "giftCard"],
                        "message": "Gift card attribute cannot be changed",
                        "code": "GIFT_CARD_ATTRIBUTE_CANNOT_BE_CHANGED",
                    }
                ],
            }
        product["gift_card"] = bool(input["giftCard"])
    if input.get("status"):
        product["status"] = input["status"].lower()
    if input.get("tags") is not None:
        product["tags"] = ", ".join(input["tags"])
    if input.get("variants") is not None:
        old = {v["id"]: v for v in product["variants"]}
        old_by_sku = {v["sku"]: v for v in product["variants"]}
        new_variants = []
        for pos, vin in enumerate(input["variants"], start=1):
            v = old.get(gid_id(vin.get("id"), "ProductVariant") or -1) or old_by_sku.get(vin.get("sku"))
            if v is None:
                vid, iid = ctx.store.new_id(), ctx.store.new_id()
                v = {
                    "id": vid,
                    "product_id": product["id"],
                    "title": "Default Title",
                    "price": "0.00",
                    "position": pos,
                    "inventory_policy": "deny",
                    "compare_at_price": None,
                    "option1": "Default Title",
                    "option2": None,
                    "option3": None,
                    "created_at": now,
                    "updated_at": now,
                    "taxable": True,
                    "barcode": None,
                    "fulfillment_service": "manual",
                    "grams": 0,
                    "inventory_management": "shopify",
                    "requires_shipping": True,
                    "sku": None,
                    "weight": 0.0,
                    "weight_unit": "kg",
                    "inventory_item_id": iid,
                    "inventory_quantity": 0,
                    "old_inventory_quantity": 0,
                    "presentment_prices": [
                        {
                            "price": {"amount": "0.00", "currency_code": shop["currency"]},
                            "compare_at_price": None,
                        }
                    ],
                    "admin_graphql_api_id": gid("ProductVariant", vid),
                    "image_id": None,
                }
                shop["inventory_items"][str(iid)] = {
                    "id": iid,
                    "sku": vin.get("sku"),
                    "tracked": True,
                    "variant_id": vid,
                    "product_id": product["id"],
                    "created_at": now,
                    "updated_at": now,
                }
                # A new variant is stocked at the shop's primary location; inventoryActivate stocks it
                # elsewhere.
                for lid in [str(shopdata.first_location_id(shop))]:
                    shop["inventory_levels"][f"{iid}:{lid}"] = {
                        "inventory_item_id": iid,
                        "location_id": int(lid),
                        "available": 0,
                        "updated_at": now,
                        "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{lid}?inventory_item_id={iid}",
                        "_committed": 0,
                        "_created_at": now,
                    }
            if vin.get("sku") is not None:
                v["sku"] = vin["sku"]
                shop["inventory_items"][str(v["inventory_item_id"])]["sku"] = vin["sku"]
            if vin.get("price") is not None:
                v["price"] = str(q2(Decimal(str(vin["price"]))))
                v["presentment_prices"][0]["price"]["amount"] = v["price"]
            if vin.get("barcode") is not None:
                v["barcode"] = vin["barcode"]
            if vin.get("requiresComponents") is not None:
                v["requires_components"] = bool(vin["requiresComponents"])
            if "compareAtPrice" in vin:
                v["compare_at_price"] = (
                    str(q2(Decimal(str(vin["compareAtPrice"])))) if vin["compareAtPrice"] else None
                )
                v["presentment_prices"][0]["compare_at_price"] = (
                    {"amount": v["compare_at_price"], "currency_code": shop["currency"]}
                    if v["compare_at_price"]
                    else None
                )
            if vin.get("optionValues"):
                names = [o.get("name") for o in vin["optionValues"]]
                v["option1"] = names[0]
                v["option2"] = names[1] if len(names) > 1 else None
                v["title"] = " / ".join(n for n in names if n)
            v["position"] = pos
            v["updated_at"] = now
            new_variants.append(v)
        for gone in set(old) - {v["id"] for v in new_variants}:
            iid = old[gone]["inventory_item_id"]
            shop["inventory_items"].pop(str(iid), None)
            for k in [k for k in shop["inventory_levels"] if k.startswith(f"{iid}:")]:
                del shop["inventory_levels"][k]
        product["variants"] = new_variants
    product["updated_at"] = now
    shopdata.recompute_variant_quantities(shop)
    ctx.events.append(("products/create" if created else "products/update", product))
    return {"product": ctx.views.product(product), "userErrors": []}


def m_return_create(_root: Any, info: Any, returnInput: dict[str, Any]) -> dict[str, Any]:
    ctx = _ctx(info)
    oid = gid_id(returnInput["orderId"], "Order")
    lines = [
        {
            "fulfillment_line_item_id": gid_id(x["fulfillmentLineItemId"], "FulfillmentLineItem"),
            "quantity": x["quantity"],
            "note": x.get("returnReasonNote"),
        }
        for x in returnInput["returnLineItems"]
    ]
    try:
        record = shopdata.create_return(ctx.store, ctx.shop, oid, lines, returnInput.get("requestedAt"))
    except OperationError as exc:
        return {"return": None, "userErrors": _user_errors(exc)}
    order = ctx.shop["orders"][str(record["order_id"])]
    ctx.events.append(("orders/updated", order))
    return {"return": ctx.views.return_(order, record), "userErrors": []}


def m_fulfillment_tracking_update(
    _root: Any,
    info: Any,
    fulfillmentId: str,
    trackingInfoInput: dict[str, Any],
    notifyCustomer: bool | None = None,
) -> dict[str, Any]:
    ctx = _ctx(info)
    try:
        order, f, events = shopdata.update_fulfillment_tracking(
            ctx.store, ctx.shop, gid_id(fulfillmentId, "Fulfillment"), trackingInfoInput
        )
    except OperationError as exc:
        return {"fulfillment": None, "userErrors": _user_errors(exc, with_code=False)}
    ctx.events += events
    return {"fulfillment": ctx.views.fulfillment(order, f), "userErrors": []}


def m_fulfillment_order_move(
    _root: Any,
    info: Any,
    id: str,
    newLocationId: str,
    fulfillmentOrderLineItems: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    ctx = _ctx(info)
    items = (
        [
            {"id": gid_id(x["id"], "FulfillmentOrderLineItem"), "quantity": int(x["quantity"])}
            for x in fulfillmentOrderLineItems
        ]
        if fulfillmentOrderLineItems
        else None
    )
    try:
        moved, original, remaining = shopdata.move_fulfillment_order(
            ctx.store, ctx.shop, gid_id(id, "FulfillmentOrder"), gid_id(newLocationId, "Location"), items
        )
    except OperationError as exc:
        return {
            "movedFulfillmentOrder": None,
            "originalFulfillmentOrder": None,
            "remainingFulfillmentOrder": None,
            "userErrors": _user_errors(exc),
        }
    view = ctx.views.fulfillment_order
    return {
        "movedFulfillmentOrder": view(moved),
        "originalFulfillmentOrder": view(original),
        "remainingFulfillmentOrder": view(remaining) if remaining else None,
        "userErrors": [],
    }


def m_fulfillment_cancel(_root: Any, info: Any, id: str) -> dict[str, Any]:
    ctx = _ctx(info)
    try:
        order, f, events = shopdata.cancel_fulfillment(ctx.store, ctx.shop, gid_id(id, "Fulfillment"))
    except OperationError as exc:
        return {"fulfillment": None, "userErrors": _user_errors(exc, with_code=False)}
    ctx.events += events
    return {"fulfillment": ctx.views.fulfillment(order, f), "userErrors": []}


def m_inventory_activate(
    _root: Any,
    info: Any,
    inventoryItemId: str,
    locationId: str,
    available: int | None = None,
    onHand: int | None = None,
) -> dict[str, Any]:
    """``inventoryActivate`` (``@idempotent`` required from 2026-04, as its description says)."""
    ctx = _ctx(info)
    arguments = {"item": inventoryItemId, "location": locationId, "available": available, "onHand": onHand}
    idem = Idempotency.begin(info, "inventoryActivate", arguments)
    if idem.state in ("mismatch", "failed"):
        return {"inventoryLevel": None, "userErrors": [idem.error(with_code=False)]}
    try:
        level, events = shopdata.activate_inventory(
            ctx.store,
            ctx.shop,
            gid_id(inventoryItemId, "InventoryItem"),
            gid_id(locationId, "Location"),
            available,
            onHand,
        )
    except OperationError as exc:
        idem.finish(failed=True)
        return {"inventoryLevel": None, "userErrors": _user_errors(exc, with_code=False)}
    if idem.state == "new":
        ctx.events += events
    idem.finish(failed=False)
    return {"inventoryLevel": ctx.views.inventory_level(level), "userErrors": []}


def m_bulk_run_query(_root: Any, info: Any, query: str, groupObjects: bool = False) -> dict[str, Any]:
    ctx = _ctx(info)
    try:
        bulk.check_query(SCHEMA, query)
    except bulk.BulkQueryError as exc:
        return {
            "bulkOperation": None,
            "userErrors": [{"field": ["query"], "message": str(exc), "code": "INVALID"}],
        }
    running = [
        op
        for op in ctx.shop["bulk_operations"].values()
        if op["type"] == "query" and op["status"] in bulk.ACTIVE
    ]
    if len(running) >= bulk.MAX_RUNNING:
        return {
            "bulkOperation": None,
            "userErrors": [
                {
                    "field": None,
                    "message": f"A maximum of {bulk.MAX_RUNNING} bulk query operations can run at the "
                    "same time per shop.",
                    "code": "LIMIT_REACHED",
                }
            ],
        }
    oid = ctx.store.new_id()
    op = {
        "id": oid,
        "type": "query",
        "status": "created",
        "query": query,
        "group_objects": bool(groupObjects),
        "api_version": ctx.version,
        "created_at": ctx.store.clock.iso(),
        "completed_at": None,
        "error_code": None,
        "object_count": 0,
        "root_object_count": 0,
        "file_size": None,
        "url": None,
        "partial_data_url": None,
        "_base_url": ctx.base_url,
    }
    ctx.shop["bulk_operations"][str(oid)] = op
    return {"bulkOperation": ctx.views.bulk_operation(op, ctx.store.clock.now()), "userErrors": []}


def m_bulk_cancel(_root: Any, info: Any, id: str) -> dict[str, Any]:
    ctx = _ctx(info)
    op = _bulk_by_id(ctx, id)
    if op is None:
        return {
            "bulkOperation": None,
            "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}],
        }
    if op["status"] not in ("created", "running"):
        return {
            "bulkOperation": ctx.views.bulk_operation(op, ctx.store.clock.now()),
            "userErrors": [
                {"field": None, "message": f"A bulk operation cannot be canceled when it is {op['status']}"}
            ],
        }
    op["status"] = "canceling"
    return {"bulkOperation": ctx.views.bulk_operation(op, ctx.store.clock.now()), "userErrors": []}


def run_bulk_query(store: Store, shop: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    """Execute a bulk operation's query against the shop (connections return every node). Call with the
    store lock held."""
    document = bulk.with_parent_ids(parse(op["query"]))
    ctx = Ctx(store=store, shop=shop, version=op["api_version"])
    token = BULK_MODE.set(True)
    try:
        result = execute_sync(SCHEMA, document, context_value=ctx)
    finally:
        BULK_MODE.reset(token)
    if result.errors:
        raise RuntimeError("; ".join(e.message for e in result.errors))
    return result.data or {}


RESOLVERS: dict[str, dict[str, Any]] = {
    "QueryRoot": {
        "shop": r_shop,
        "node": r_node,
        "order": r_order,
        "orders": r_orders,
        "product": r_product,
        "products": r_products,
        "productVariant": r_variant,
        "productVariants": r_variants,
        "inventoryItem": r_item,
        "inventoryItems": r_items,
        "inventoryLevel": r_level,
        "location": r_location,
        "locations": r_locations,
        "customer": r_customer,
        "customers": r_customers,
        "fulfillmentOrder": r_fulfillment_order,
        "webhookSubscription": r_subscription,
        "webhookSubscriptions": r_subscriptions,
        "shopifyPaymentsAccount": r_payments,
        "nodes": r_nodes,
        "ordersCount": r_orders_count,
        "return": r_return,
        "bulkOperation": r_bulk_operation,
        "bulkOperations": r_bulk_operations,
        "currentBulkOperation": r_current_bulk_operation,
        "currentAppInstallation": r_app_installation,
    },
    "Mutation": {
        "orderCreate": m_order_create,
        "orderCancel": m_order_cancel,
        "refundCreate": m_refund_create,
        "fulfillmentCreate": m_fulfillment_create,
        "inventorySetQuantities": m_inventory_set,
        "inventoryAdjustQuantities": m_inventory_adjust,
        "customerCreate": m_customer_create,
        "customerUpdate": m_customer_update,
        "webhookSubscriptionCreate": m_subscription_create,
        "webhookSubscriptionDelete": m_subscription_delete,
        "productVariantsBulkUpdate": m_variants_bulk_update,
        "productSet": m_product_set,
        "returnCreate": m_return_create,
        "fulfillmentTrackingInfoUpdate": m_fulfillment_tracking_update,
        "fulfillmentCancel": m_fulfillment_cancel,
        "fulfillmentOrderMove": m_fulfillment_order_move,
        "inventoryActivate": m_inventory_activate,
        "bulkOperationRunQuery": m_bulk_run_query,
        "bulkOperationCancel": m_bulk_cancel,
    },
}
for _type_name, _fields in RESOLVERS.items():
    _t = SCHEMA.type_map[_type_name]
    assert isinstance(_t, GraphQLObjectType)
    for _name, _fn in _fields.items():
        _t.fields[_name].resolve = _fn


# ---------------------------------------------------------------------------------------------------------
# the endpoint
# ---------------------------------------------------------------------------------------------------------
@dataclass
class GraphQLAnswer:
    status: int
    body: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]]
    deprecated: list[str]


#: The access scopes a root field needs (any one of them; a write scope grants its read scope), as the
#: Admin API's "Requires ... access scope" notes say. Fields not listed need none (shop, node, nodes,
#: webhooks, bulk operations, currentAppInstallation).
ROOT_SCOPES: dict[str, tuple[str, ...]] = {
    "order": ("read_orders",),
    "orders": ("read_orders",),
    "ordersCount": ("read_orders",),
    "customer": ("read_customers",),
    "customers": ("read_customers",),
    "product": ("read_products",),
    "products": ("read_products",),
    "productVariant": ("read_products",),
    "productVariants": ("read_products",),
    "inventoryItem": ("read_inventory",),
    "inventoryItems": ("read_inventory",),
    "inventoryLevel": ("read_inventory",),
    "location": ("read_locations",),
    "locations": ("read_locations",),
    "fulfillmentOrder": ("read_merchant_managed_fulfillment_orders", "read_assigned_fulfillment_orders"),
    "return": ("read_returns",),
    "shopifyPaymentsAccount": ("read_shopify_payments_payouts", "read_shopify_payments"),
    "orderCreate": ("write_orders",),
    "orderCancel": ("write_orders",),
    "refundCreate": ("write_orders",),
    "fulfillmentCreate": ("write_merchant_managed_fulfillment_orders", "write_assigned_fulfillment_orders"),
    "fulfillmentTrackingInfoUpdate": (
        "write_merchant_managed_fulfillment_orders",
        "write_assigned_fulfillment_orders",
    ),
    "fulfillmentCancel": ("write_merchant_managed_fulfillment_orders", "write_assigned_fulfillment_orders"),
    "fulfillmentOrderMove": ("write_merchant_managed_fulfillment_orders",),
    "inventorySetQuantities": ("write_inventory",),
    "inventoryAdjustQuantities": ("write_inventory",),
    "inventoryActivate": ("write_inventory",),
    "customerCreate": ("write_customers",),
    "customerUpdate": ("write_customers",),
    "productVariantsBulkUpdate": ("write_products",),
    "productSet": ("write_products",),
    "returnCreate": ("write_returns",),
}


def access_denied(shop: dict[str, Any], operation: OperationDefinitionNode) -> list[dict[str, Any]]:
    """An ``ACCESS_DENIED`` error for each root field the app's granted scopes do not cover."""
    granted = set(shop["app"].get("scopes", shopdata.DEFAULT_SCOPES))
    granted |= {"read_" + h.removeprefix("write_") for h in granted if h.startswith("write_")}
    errors = []
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):
            continue
        needed = ROOT_SCOPES.get(selection.name.value, ())
        if needed and not granted & set(needed):
            alias = selection.alias.value if selection.alias else selection.name.value
            required = " or ".join(f"`{h}`" for h in needed) + " access scope."
            errors.append(
                {
                    "message": f"Access denied for {selection.name.value} field. Required access: {required}",
                    "locations": [
                        {"line": selection.loc.start_token.line, "column": selection.loc.start_token.column}
                    ]
                    if selection.loc
                    else [],
                    "path": [alias],
                    "extensions": {
                        "code": "ACCESS_DENIED",
                        "documentation": "https://shopify.dev/api/usage/access-scopes",
                        "requiredAccess": required,
                    },
                }
            )
    return errors


def run(
    store: Store,
    buckets: Buckets,
    shop: dict[str, Any],
    version: str,
    payload: Any,
    emit: Callable[[list[tuple[str, dict[str, Any]]]], None] | None = None,
    base_url: str = "",
) -> GraphQLAnswer:
    """Execute one request. ``emit`` receives the webhook events while the store lock is still held, so that
    their bodies are the state the mutation left."""

    def answer(body: dict[str, Any], status: int = 200) -> GraphQLAnswer:
        return GraphQLAnswer(status, body, [], [])

    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return answer({"errors": {"query": "Required parameter missing or invalid"}}, 400)
    variables = payload.get("variables") or {}
    try:
        document = parse(payload["query"])
    except GraphQLError as exc:
        return answer({"errors": [exc.formatted]})
    errors = validate(SCHEMA, document)
    if errors:
        return answer({"errors": [e.formatted for e in errors]})
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    name = payload.get("operationName")
    operation = next((o for o in ops if name is None or (o.name and o.name.value == name)), None)
    if operation is None:
        return answer({"errors": [{"message": "Unknown operation"}]})
    too_many = oversized_input(operation, variables)
    if too_many:
        return answer(
            {
                "errors": [
                    {
                        "message": f"The input array size of {too_many} is greater than the maximum "
                        f"allowed of {MAX_INPUT_ITEMS}.",
                        "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"},
                    }
                ]
            }
        )
    denied = access_denied(shop, operation)
    if denied:  # checked before any cost is taken from the bucket (not measured on a real shop)
        return answer({"errors": denied, "data": None})
    requested = query_cost(document, operation, variables)
    if requested > MAX_QUERY_COST:
        return answer(
            {
                "errors": [
                    {
                        "message": f"Query cost is {requested}, which exceeds the single query max cost "
                        f"limit ({MAX_QUERY_COST}).",
                        "extensions": {
                            "code": "MAX_COST_EXCEEDED",
                            "cost": requested,
                            "maxCost": MAX_QUERY_COST,
                        },
                    }
                ]
            }
        )
    if not buckets.take(shop, requested):
        return answer(
            {
                "errors": [
                    {
                        "message": "Throttled",
                        "extensions": {
                            "code": "THROTTLED",
                            "documentation": "https://shopify.dev/api/usage/rate-limits",
                        },
                    }
                ],
                "extensions": {
                    "cost": {
                        "requestedQueryCost": requested,
                        "actualQueryCost": None,
                        "throttleStatus": buckets.status(shop),
                    }
                },
            }
        )
    ctx = Ctx(store=store, shop=shop, version=version, base_url=base_url)
    with store.lock:
        result = execute_sync(
            SCHEMA, document, context_value=ctx, variable_values=variables, operation_name=name
        )
        if operation.operation.value == "mutation":
            store.mark_dirty()
        if emit is not None and ctx.events:
            emit(ctx.events)
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    if result.data is not None or not result.errors:
        body["data"] = result.data
    actual = (
        requested
        if operation.operation.value == "mutation"
        else query_cost(document, operation, variables, result.data or {})
    )
    buckets.give_back(shop, max(0, requested - actual))
    # What the app spent (the control API's shop summary shows it; benchmarks read it).
    usage = shop.setdefault("api_usage", {"points": 0, "calls": 0, "operations": {}})
    usage["points"] += actual
    usage["calls"] += 1
    op_name = operation.name.value if operation.name else "(anonymous)"
    usage["operations"][op_name] = usage["operations"].get(op_name, 0) + 1
    body["extensions"] = {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": buckets.status(shop),
        }
    }
    return GraphQLAnswer(200, body, ctx.events, deprecated_fields_used(document, operation))
