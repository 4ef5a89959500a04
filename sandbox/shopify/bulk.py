"""Bulk query operations as Shopify runs them: ``bulkOperationRunQuery`` validates the query and answers a
CREATED operation; a background runner executes it against the shop, writes the JSONL result (one line per
connection node, nested connection nodes on their own lines with ``__parentId``), serves it at a signed URL
that expires seven days later, and fires ``bulk_operations/finish``.

Facts (Shopify's bulk operations guide, shopify.dev/docs/api/usage/bulk-operations/queries, and the 2026-07
schema's descriptions): a bulk query needs at least one connection, at most five, nested at most two levels
below the first; the top-level ``node`` and ``nodes`` fields cannot be used; connections must be of ``Node``
types; ``first``, ``cursor`` and ``pageInfo`` are ignored; from 2026-01 an app may run five bulk queries at a
time per shop; the URL is ``null`` when the query found nothing; the finish webhook carries
``admin_graphql_api_id``, ``completed_at``, ``created_at``, ``error_code``, ``status`` (lower case) and
``type``; failed operations give ``errorCode`` ACCESS_DENIED, INTERNAL_SERVER_ERROR or TIMEOUT and may have a
``partialDataUrl``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeInfo,
    Visitor,
    get_named_type,
    parse,
    validate,
    visit,
)
from graphql.error import GraphQLSyntaxError
from graphql.utilities import TypeInfoVisitor

from sandbox.shopify.store import Store, gql_time

log = logging.getLogger("sandbox.shopify.bulk")

MAX_CONNECTIONS = 5
MAX_NESTING = 2  # levels of connections below the top-level one
MAX_RUNNING = 5  # bulk queries per app and shop at a time, from 2026-01
URL_LIFETIME = 7 * 86400  # sandbox seconds
PARENT_ALIAS = "sandboxParentId"
ACTIVE = ("created", "running", "canceling")


class BulkQueryError(ValueError):
    pass


def check_query(schema: Any, text: str) -> DocumentNode:
    """The parsed bulk query, or ``BulkQueryError`` with the reason Shopify would refuse it."""
    try:
        document = parse(text)
    except GraphQLSyntaxError as exc:
        raise BulkQueryError(f"Invalid bulk query: {exc.message}") from exc
    errors = validate(schema, document)
    if errors:
        raise BulkQueryError("Invalid bulk query: " + "; ".join(e.message for e in errors))
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(ops) != 1 or ops[0].operation.value != "query":
        raise BulkQueryError("Bulk queries must contain exactly one query operation.")
    top = [s for s in ops[0].selection_set.selections if isinstance(s, FieldNode)]
    if len(top) != 1:
        raise BulkQueryError("Bulk queries must select exactly one top-level field.")
    if top[0].name.value in ("node", "nodes"):
        raise BulkQueryError("The top-level `node` and `nodes` fields can't be used in a bulk query.")
    type_info = TypeInfo(schema)
    found: list[tuple[int, str]] = []  # (nesting depth, node type)
    depth = [0]

    class Connections(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            field = type_info.get_field_def()
            named = get_named_type(field.type) if field else None
            if named is not None and named.name.endswith("Connection"):
                node_type = named.name[: -len("Connection")]
                found.append((depth[0], node_type))
                depth[0] += 1

        def leave_field(self, node: FieldNode, *_: Any) -> None:
            field = type_info.get_field_def()
            named = get_named_type(field.type) if field else None
            if named is not None and named.name.endswith("Connection"):
                depth[0] -= 1

    visit(document, TypeInfoVisitor(type_info, Connections()))
    if not found:
        raise BulkQueryError("Bulk queries must contain at least one connection.")
    if len(found) > MAX_CONNECTIONS:
        raise BulkQueryError(f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections.")
    if max(d for d, _ in found) > MAX_NESTING:
        raise BulkQueryError(
            f"Bulk queries cannot contain connections nested more than {MAX_NESTING} levels."
        )
    node_iface = schema.type_map.get("Node")
    for _d, name in found:
        node_type = schema.type_map.get(name)
        implements = isinstance(node_type, (GraphQLObjectType, GraphQLInterfaceType)) and (
            node_type is node_iface or any(i is node_iface for i in node_type.interfaces)
        )
        if not implements:
            raise BulkQueryError(f"Bulk query connections must be of Node types; {name} is not.")
    return document


def with_parent_ids(document: DocumentNode) -> DocumentNode:
    """Add ``sandboxParentId: id`` to every connection node's selection so that children can name their
    parent (``__parentId``) whether or not the query selected ``id``."""

    def add(selection_set: SelectionSetNode | None) -> SelectionSetNode | None:
        if selection_set is None:
            return None
        out = []
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                inner = add(sel.selection_set)
                if sel.name.value in ("nodes", "node") and inner is not None:
                    extra = FieldNode(name=NameNode(value="id"), alias=NameNode(value=PARENT_ALIAS))
                    inner = SelectionSetNode(selections=(*inner.selections, extra))
                out.append(
                    FieldNode(
                        alias=sel.alias,
                        name=sel.name,
                        arguments=sel.arguments,
                        directives=sel.directives,
                        selection_set=inner,
                    )
                )
            else:
                out.append(sel)
        return SelectionSetNode(selections=tuple(out))

    ops = []
    for d in document.definitions:
        if isinstance(d, OperationDefinitionNode):
            d = OperationDefinitionNode(
                operation=d.operation,
                name=d.name,
                variable_definitions=d.variable_definitions,
                directives=d.directives,
                selection_set=add(d.selection_set),
            )
        ops.append(d)
    return DocumentNode(definitions=tuple(ops))


def _is_connection(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and ("edges" in value or "nodes" in value)
        and set(value)
        <= {
            "edges",
            "nodes",
            "pageInfo",
        }
    )


def _nodes(conn: dict[str, Any]) -> list[dict[str, Any]]:
    if conn.get("nodes") is not None:
        return list(conn["nodes"])
    return [e["node"] for e in conn.get("edges") or [] if isinstance(e, dict) and "node" in e]


def flatten(data: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """JSONL lines from the query result, and the number of root objects."""
    lines: list[dict[str, Any]] = []

    def strip(value: Any, parent_id: str, children: list[tuple[str, dict[str, Any]]]) -> Any:
        """A node's own fields, with nested connections taken out (to ``children``)."""
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k == PARENT_ALIAS:
                    continue
                if _is_connection(v):
                    children.append((parent_id, v))
                    continue
                out[k] = strip(v, parent_id, children)
            return out
        if isinstance(value, list):
            return [strip(v, parent_id, children) for v in value]
        return value

    def emit(node: dict[str, Any], parent: str | None) -> None:
        own_id = node.get(PARENT_ALIAS) or node.get("id") or ""
        children: list[tuple[str, dict[str, Any]]] = []
        line = strip(node, own_id, children)
        if parent is not None:
            line["__parentId"] = parent
        lines.append(line)
        for pid, conn in children:
            for child in _nodes(conn):
                emit(child, pid)

    roots = 0
    for value in data.values():
        if _is_connection(value):
            for node in _nodes(value):
                roots += 1
                emit(node, None)
    return lines, roots


class BulkFiles:
    """Result files: on disk under ``<data>/bulk/`` when the sandbox keeps state, else in memory."""

    def __init__(self, data_dir: Path | None):
        self.dir = data_dir / "bulk" if data_dir else None
        self._memory: dict[str, bytes] = {}

    def write(self, token: str, content: bytes) -> None:
        if self.dir is None:
            self._memory[token] = content
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / f"{token}.jsonl").write_bytes(content)

    def read(self, token: str) -> bytes | None:
        if self.dir is None:
            return self._memory.get(token)
        path = self.dir / f"{token}.jsonl"
        return path.read_bytes() if path.exists() else None


def url_secret(store: Store) -> str:
    with store.lock:
        secret: str | None = store.state.get("bulk_url_secret")
        if not secret:
            secret = secrets.token_hex(16)
            store.state["bulk_url_secret"] = secret
        return secret


def sign(store: Store, token: str, expires: int) -> str:
    return hmac.new(url_secret(store).encode(), f"{token}:{expires}".encode(), hashlib.sha256).hexdigest()


def signed_url(store: Store, base_url: str, token: str, expires: int) -> str:
    signature = sign(store, token, expires)
    return f"{base_url}/bulk-operation-results/{token}.jsonl?Expires={expires}&Signature={signature}"


class BulkRunner:
    """Runs CREATED operations of every shop (unless the shop holds them) on a background thread."""

    def __init__(
        self,
        store: Store,
        files: BulkFiles,
        execute: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]],
        fire: Callable[[dict[str, Any], list[tuple[str, dict[str, Any]]]], None],
    ):
        self.store = store
        self.files = files
        self.execute = execute
        self.fire = fire
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="bulk-runner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=2)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(0.05)
            self._wake.clear()
            try:
                self.tick()
            except Exception:  # pragma: no cover - a bug here must not stop the runner
                log.exception("bulk runner failed")

    def tick(self) -> None:
        work = []
        with self.store.lock:
            for shop in self.store.state["shops"].values():
                settings = shop.setdefault("bulk", {"hold": False, "fail_next": None})
                for op in shop.get("bulk_operations", {}).values():
                    if op["status"] == "canceling":
                        self._finish(shop, op, "canceled")
                    elif op["status"] in ("created", "running") and not settings.get("hold"):
                        op["status"] = "running"
                        work.append((shop, op))
                    elif op["status"] == "created":
                        op["status"] = "running"  # held: running, with nothing processed yet
        for shop, op in work:
            self._run(shop, op)

    def _run(self, shop: dict[str, Any], op: dict[str, Any]) -> None:
        with self.store.lock:
            if op["status"] != "running":
                return
            fail = shop["bulk"].get("fail_next")
            shop["bulk"]["fail_next"] = None
            try:
                data = self.execute(shop, op)
            except Exception as exc:  # noqa: BLE001 - a query that breaks while running fails the operation
                log.warning("bulk operation %s failed: %s", op["id"], exc)
                data, fail = {}, fail or "internal_server_error"
        lines, roots = flatten(data)
        if fail:
            lines = lines[: len(lines) // 2]
        content = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()
        token = secrets.token_hex(16)
        if lines:
            self.files.write(token, content)
        with self.store.lock:
            if op["status"] != "running":  # cancelled while it ran
                if op["status"] == "canceling":
                    self._finish(shop, op, "canceled")
                return
            now = self.store.clock.now()
            expires = int(now + URL_LIFETIME)
            url = signed_url(self.store, op["_base_url"], token, expires) if lines else None
            op["object_count"] = len(lines)
            op["root_object_count"] = roots if not fail else sum(1 for x in lines if "__parentId" not in x)
            op["file_size"] = len(content) if lines else None
            if fail:
                op["error_code"] = fail
                op["partial_data_url"] = url
                self._finish(shop, op, "failed")
            else:
                op["url"] = url
                op["_expires_ts"] = expires
                self._finish(shop, op, "completed")

    def _finish(self, shop: dict[str, Any], op: dict[str, Any], status: str) -> None:
        op["status"] = status
        now = self.store.clock.iso()
        if status == "completed":
            op["completed_at"] = now
        op["finished_at"] = now
        payload = {
            "admin_graphql_api_id": f"gid://shopify/BulkOperation/{op['id']}",
            "completed_at": _z(op.get("completed_at") or now),
            "created_at": _z(op["created_at"]),
            "error_code": op.get("error_code"),
            "status": status,
            "type": op["type"],
        }
        self.store.mark_dirty()
        self.fire(shop, [("bulk_operations/finish", payload)])


def _z(value: str) -> str:
    """The payload's times are UTC with a ``Z``, as in the guide's example."""
    return gql_time(value) or value
