"""Catalogue out end to end: a product published in Odoo is created in Shopify, its price change follows, and
archiving it archives the Shopify product — read by the change streams of the real worker (woken after each
Odoo change, as the Odoo automation rule would) and pushed by its jobs, through both stand-ins over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from sync.engine import changes
from sync.engine.clients import shopify_client_for
from sync.engine.mappings import mapping_entries
from sync.models import ExternalLink, MappingTable
from sync.services.mappings import MappingRow, mapping_apply
from tests.e2e.conftest import Worker
from tests.support.pipeline import STREAM_WORKER_ENV, Pipeline
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e

STREAMS = ("catalogue.template", "catalogue.variant")


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker) -> Iterator[Worker]:  # type: ignore[no-untyped-def]
    # A worker that reads Odoo's changes (the shared one does not).
    w = Worker("e2e-catalogue-out-worker", **STREAM_WORKER_ENV)
    w.start()
    yield w
    w.stop()


def wake(p: Pipeline) -> None:
    for stream in STREAMS:
        changes.changes_wake(shop_id=p.shop.pk, stream=stream)


def product(p: Pipeline, sku: str) -> dict[str, Any] | None:
    found = shopify_client_for(p.shop).products_by_sku([sku]).get(sku)
    if found is None:
        return None
    data = shopify_client_for(p.shop).graphql(
        "query P($id: ID!) { product(id: $id) { id title status"
        " variants(first: 5) { nodes { id sku price } } } }",
        {"id": found[0]},
        estimate=10,
    )
    return data["product"]  # type: ignore[no-any-return]


def test_a_published_product_is_created_repriced_and_archived(pipeline):
    # given: the shop publishes the Odoo category "Shopify shelf"
    env = pipeline.rpc.env
    category = env["product.category"].create({"name": "Shopify shelf"})
    shop_row = next(e.value for e in mapping_entries(shop=pipeline.shop) if e.table == MappingTable.SHOP)
    mapping_apply(
        shop=pipeline.shop,
        rows=[MappingRow(MappingTable.SHOP, "shop", {**shop_row, "publish": {"category_id": category}})],
    )
    changes._ensured_at.clear()
    changes.cursors_ensure()  # the worker makes cursors for a new shop within a minute; now
    sku = f"E2E-{uuid.uuid4().hex[:8].upper()}"
    # when: a product is made in that category
    tid = env["product.template"].create(
        {
            "name": "Field jacket",
            "categ_id": category,
            "list_price": 120.0,
            "default_code": sku,
            "is_storable": True,
        }
    )
    wake(pipeline)
    # then it is created in Shopify
    created = wait_for(lambda: product(pipeline, sku), timeout=90, message="the product in Shopify")
    assert (created["title"], created["status"], created["variants"]["nodes"][0]["price"]) == (
        "Field jacket",
        "ACTIVE",
        "120.00",
    )
    # when its price changes
    env["product.template"].write([tid], {"list_price": 99.0})
    wake(pipeline)
    wait_for(
        lambda: (
            (product(pipeline, sku) or {}).get("variants", {}).get("nodes", [{}])[0].get("price") == "99.00"
            or None
        ),
        timeout=90,
        message="the new price",
    )
    # when it is archived in Odoo
    env["product.template"].write([tid], {"active": False})
    wake(pipeline)
    wait_for(
        lambda: (product(pipeline, sku) or {}).get("status") == "ARCHIVED" or None,
        timeout=90,
        message="the archived product",
    )
    # then it was never duplicated nor deleted, and it is linked both ways
    assert shopify_client_for(pipeline.shop).products_by_sku([sku])[sku][0] == created["id"]
    link = ExternalLink.objects.get(shop=pipeline.shop, kind="product", shopify_id=created["id"])
    assert (link.odoo_model, link.odoo_id) == ("product.template", tid)
