"""Shopify's real Admin API schema (2026-07), read from the vendored introspection file (see SOURCE.md).

Used by the cut script (``cut.py``) and by the tests that validate the connector's documents and the
stand-in's schema against it. Offline: nothing here touches the network.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import cache
from pathlib import Path

from graphql import GraphQLSchema, build_client_schema
from graphql.type import validate_schema

HERE = Path(__file__).resolve().parent
API_VERSION = "2026-07"
REAL_SCHEMA_FILE = HERE / f"admin_{API_VERSION}.json.gz"
#: sha256 of the file as published in @shopify/dev-mcp 1.16.0 (package/dist/data/admin_2026-07.json.gz).
REAL_SCHEMA_SHA256 = "5bcde995c89c59acdb2ee494378d96f45ce7378a16ec829a74b71d696a08ef19"

#: graphql-core 3.3 checks a rule newer than the spec Shopify's server follows: a field that implements a
#: non-deprecated interface field must not itself be deprecated. Shopify's schema breaks it six times; these
#: are the only schema errors accepted.
_TOLERATED = "must not be deprecated."


def introspection() -> dict[str, object]:
    with gzip.open(REAL_SCHEMA_FILE, "rb") as fh:
        data: dict[str, object] = json.load(fh)["data"]
    return data


def file_sha256() -> str:
    return hashlib.sha256(REAL_SCHEMA_FILE.read_bytes()).hexdigest()


@cache
def real_schema() -> GraphQLSchema:
    """The whole Admin API schema, validated (apart from the tolerated rule above)."""
    schema = build_client_schema(introspection())  # type: ignore[arg-type]
    errors = validate_schema(schema)
    other = [e.message for e in errors if not e.message.endswith(_TOLERATED)]
    if other:
        raise TypeError("the vendored Shopify schema is invalid:\n" + "\n".join(other))
    # validate() refuses a schema that has validation errors; the only ones left are the tolerated kind.
    schema._validation_errors = []
    return schema
