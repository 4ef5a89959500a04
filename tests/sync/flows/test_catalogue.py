"""Catalogue out (sync/flows/catalogue.py) through both stand-ins over HTTP; jobs run inline in the test.

The shop publishes the Odoo category "Shopify shelf" (its publication rule); each test makes its own product
in it, so the stand-ins' seeded catalogue stays out of the way.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import close_old_connections

from sync.engine import changes
from sync.engine.clients import shopify_client_for
from sync.engine.mappings import mapping_entries
from sync.models import ExternalLink, JobState, MappingTable, SyncJob
from sync.services.mappings import MappingRow, mapping_apply
from tests.support.pipeline import Pipeline, build_pipeline
from tests.sync.flows.test_stock import odoo_sb, shopify_sb  # noqa: F401 - the module's stand-ins

pytestmark = pytest.mark.django_db(transaction=True)

STREAMS = ("catalogue.template", "catalogue.variant")


@pytest.fixture
def p(transactional_db, live_server, shopify_sb, odoo_sb):  # type: ignore[no-untyped-def]  # noqa: F811
    changes._ensured_at.clear()
    pipeline = build_pipeline(
        shopify=shopify_sb,
        odoo=odoo_sb,
        live_url=live_server.url,
        restart_worker=lambda: None,
        kill_worker=lambda: None,
    )
    category = pipeline.rpc.env["product.category"].create({"name": "Shopify shelf"})
    shop_row = next(e.value for e in mapping_entries(shop=pipeline.shop) if e.table == MappingTable.SHOP)
    mapping_apply(
        shop=pipeline.shop,
        rows=[MappingRow(MappingTable.SHOP, "shop", {**shop_row, "publish": {"category_id": category}})],
    )
    pipeline.category = category  # type: ignore[attr-defined]
    return pipeline


def sync(p: Pipeline) -> list[SyncJob]:
    """Read both catalogue streams and run the jobs they (and their follow-ups) make."""
    close_old_connections()
    for stream in STREAMS:
        changes.changes_poll(shop_id=p.shop.pk, stream_name=stream)
    ran = []
    for _ in range(10):
        close_old_connections()
        jobs = list(
            SyncJob.objects.filter(
                shop=p.shop, flow="catalogue", state__in=[JobState.QUEUED, JobState.RETRYING]
            ).order_by("pk")
        )
        if not jobs:
            break
        for job in jobs:
            from sync.engine.run import job_run

            SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=None)
            job_run(key=job.idempotency_key)
            ran.append(SyncJob.objects.get(pk=job.pk))
    return ran


def done(jobs: list[SyncJob], key: str = "outcome") -> list[Any]:
    """What the pushes did, leaving out those that found nothing to do (both streams may ask for one)."""
    return [
        j.result.get(key) for j in jobs if j.kind == "catalogue.push" and j.result["outcome"] != "unchanged"
    ]


def make_product(p: Pipeline, **values: Any) -> tuple[int, int, str]:
    sku = f"CAT-{uuid.uuid4().hex[:8].upper()}"
    env = p.rpc.env
    tid = env["product.template"].create(
        {
            "name": values.get("name", "Linen apron"),
            "categ_id": p.category,  # type: ignore[attr-defined]
            "list_price": values.get("price", 24.0),
            "description_sale": values.get("description", "Washed linen."),
            "default_code": sku,
            "barcode": values.get("barcode", f"400{uuid.uuid4().int % 10**10:010d}"),
            "is_storable": True,
        }
    )
    vid = env["product.product"].search([("product_tmpl_id", "=", tid)])[0]
    return tid, vid, sku


def shopify_product(p: Pipeline, product_gid: str) -> dict[str, Any]:
    data = shopify_client_for(p.shop).graphql(
        "query P($id: ID!) { product(id: $id) { id title status vendor descriptionHtml"
        " variants(first: 10) { nodes { id sku price compareAtPrice barcode } } } }",
        {"id": product_gid},
        estimate=20,
    )
    return data["product"]


def link_of(p: Pipeline, tid: int) -> ExternalLink:
    return ExternalLink.objects.get(shop=p.shop, kind="product", odoo_model="product.template", odoo_id=tid)


def test_a_published_product_is_created_once_and_linked_both_ways(p):
    # given
    tid, vid, sku = make_product(p, name="Linen apron", price=24.0)
    # when
    jobs = sync(p)
    again = sync(p)
    # then
    link = link_of(p, tid)
    product = shopify_product(p, link.shopify_id)
    [variant] = product["variants"]["nodes"]
    assert done(jobs) == ["created"]
    assert done(again) == []
    assert (product["title"], product["status"], product["descriptionHtml"]) == (
        "Linen apron",
        "ACTIVE",
        "<p>Washed linen.</p>",
    )
    assert (variant["sku"], variant["price"]) == (sku, "24.00")
    variant_link = ExternalLink.objects.get(shop=p.shop, kind="product", shopify_id=variant["id"])
    assert (variant_link.odoo_model, variant_link.odoo_id) == ("product.product", vid)
    assert shopify_client_for(p.shop).products_by_sku([sku])[sku][0] == link.shopify_id


def test_price_and_sku_changes_update_the_same_variant_and_keep_shopifys_fields(p):
    # given: published, then Shopify's own fields set in Shopify (vendor)
    tid, vid, sku = make_product(p, price=24.0)
    sync(p)
    link = link_of(p, tid)
    shopify_client_for(p.shop).product_set({"vendor": "Atelier Shop"}, product_id=link.shopify_id)
    variant_before = shopify_product(p, link.shopify_id)["variants"]["nodes"][0]["id"]
    # when: the price changes, then the SKU
    p.rpc.env["product.template"].write([tid], {"list_price": 26.5})
    priced = sync(p)
    new_sku = f"{sku}-V2"
    p.rpc.env["product.product"].write([vid], {"default_code": new_sku})
    renamed = sync(p)
    # then
    product = shopify_product(p, link.shopify_id)
    [variant] = product["variants"]["nodes"]
    assert done(priced, "mutation") == ["productVariantsBulkUpdate"], [(j.kind, j.result) for j in priced]
    assert done(renamed, "mutation") == ["productVariantsBulkUpdate"]
    assert (variant["id"], variant["sku"], variant["price"]) == (variant_before, new_sku, "26.50")
    assert product["vendor"] == "Atelier Shop"


def test_an_archived_product_is_archived_in_shopify_never_deleted(p):
    # given
    tid, _, sku = make_product(p)
    sync(p)
    link = link_of(p, tid)
    # when
    p.rpc.env["product.template"].write([tid], {"active": False})
    jobs = sync(p)
    # then
    assert done(jobs) == ["archived"]
    assert shopify_product(p, link.shopify_id)["status"] == "ARCHIVED"
    assert shopify_client_for(p.shop).products_by_sku([sku])[sku][2] == "ARCHIVED"


def test_a_product_shopify_already_sells_is_adopted_not_duplicated(p):
    # given: a seeded product (in both systems) moved into the published category
    env = p.rpc.env
    [variant] = env["product.product"].search_read(
        [("default_code", "=", "NOTEBOOK-BLACK")], ["product_tmpl_id"]
    )
    before = shopify_client_for(p.shop).products_by_sku(["NOTEBOOK-BLACK"])["NOTEBOOK-BLACK"]
    env["product.template"].write([variant["product_tmpl_id"][0]], {"categ_id": p.category})
    # when
    jobs = sync(p)
    # then
    tid = variant["product_tmpl_id"][0]
    outcomes = {
        j.result["outcome"] for j in jobs if j.kind == "catalogue.push" and j.input["template_id"] == tid
    }
    assert outcomes - {"unchanged"} == {"adopted"}
    assert link_of(p, variant["product_tmpl_id"][0]).shopify_id == before[0]
    assert shopify_client_for(p.shop).products_by_sku(["NOTEBOOK-BLACK"])["NOTEBOOK-BLACK"][0] == before[0]


def test_an_odoo_owned_field_changed_in_shopify_is_set_back(p):
    # given
    tid, _, _ = make_product(p, price=24.0)
    sync(p)
    link = link_of(p, tid)
    variant = shopify_product(p, link.shopify_id)["variants"]["nodes"][0]["id"]
    # when: someone edits the price in Shopify's admin a minute later (products/update reaches our inbox)
    p.shopify.control.advance_clock(60)
    shopify_client_for(p.shop).update_variants(link.shopify_id, [{"id": variant, "price": "9.99"}])
    from tests.support.processes import wait_for

    wait_for(
        lambda: (
            p.ingest_here()
            or SyncJob.objects.filter(
                shop=p.shop, kind="catalogue.shopify_update", event__payload__variants__0__price="9.99"
            ).exists()
            or None
        ),
        timeout=30,
        message="the products/update delivery",
    )
    jobs = sync(p)
    # then
    assert "drift" in [j.result["outcome"] for j in jobs if j.kind == "catalogue.shopify_update"]
    assert shopify_product(p, link.shopify_id)["variants"]["nodes"][0]["price"] == "24.00"
