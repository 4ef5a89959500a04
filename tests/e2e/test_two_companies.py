"""Two shops into two Odoo companies, through webhooks and the real worker: one person buys in both shops with
one e-mail; each order lands in its shop's company for a partner of that company (Odoo refuses another
company's partner on an order), and an unmapped SKU sold in both shops is a problem of each shop."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import close_old_connections

from opsconsole.demo_catalogue import demo_setup_catalogue
from sync.engine.clients import clients_reset
from sync.models import ExternalLink, InboundEvent, JobState, MappingTable, Problem, ShopifyShop, SyncJob
from sync.services.connections import shopify_connect
from sync.services.inbox import shop_cache_clear
from sync.services.mappings import MappingRow, mapping_apply
from sync.services.setup import SetupCatalogue, shop_setup
from tests.support.onboarding import proposal_accept
from tests.support.pipeline import UNMAPPED_SKUS, Pipeline
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e

SECOND = "second-company.myshopify.com"
EMAIL = "ann.both@example.com"
SKU = UNMAPPED_SKUS[0]


def _second_shop(pipeline: Pipeline) -> tuple[ShopifyShop, int]:
    """A second shop (USD) on a second Odoo company, set up as a retailer does, its webhooks at the app."""
    company = pipeline.odoo.control.seed_company(
        "Second Company Inc", currency="USD", country="US", code="WH2"
    )
    pipeline.shopify.control.create_shop(
        SECOND,
        token="shpat_second",
        client_secret="second-secret",
        currency="USD",
        restore_rate=1000,
        maximum=10000,
    )
    shop, _ = shopify_connect(
        domain=SECOND,
        token="shpat_second",
        client_secret="second-secret",
        api_version=pipeline.shopify.api_version,
        odoo=pipeline.shop.odoo,
        admin_url=pipeline.shopify.admin_url,
    )
    clients_reset()
    shop_cache_clear()
    report = shop_setup(
        shop=shop,
        callback_url=pipeline.callback_url,
        catalogue=SetupCatalogue.from_dict(demo_setup_catalogue()),
        leave_unmapped=UNMAPPED_SKUS,
    )
    proposal_accept(report.change_id)
    row = shop.mappings.get(table=MappingTable.SHOP, key="shop", valid_to__isnull=True)
    assert row.value["company_id"] == company["company_id"]
    # its gateways' journals are not mapped: booking only
    mapping_apply(shop=shop, rows=[MappingRow(MappingTable.SHOP, "shop", {**row.value, "invoice_on": "off"})])
    return shop, int(company["company_id"])


def _settled(shop: ShopifyShop, order_ids: list[int]) -> list[SyncJob]:
    def done() -> list[SyncJob] | None:
        close_old_connections()
        if InboundEvent.objects.filter(shop=shop, ingested_at__isnull=True).exists():
            return None
        # in the order asked for: webhooks are delivered and ingested concurrently, so the jobs' primary
        # keys need not follow the order in which the orders were placed
        subjects = [f"order:{o}" for o in order_ids]
        jobs = sorted(
            SyncJob.objects.filter(shop=shop, kind="order.upsert", subject__in=subjects),
            key=lambda job: subjects.index(job.subject),
        )
        finished = (JobState.SUCCEEDED, JobState.NEEDS_ATTENTION, JobState.DEAD)
        return jobs if len(jobs) == len(order_ids) and all(j.state in finished for j in jobs) else None

    return wait_for(done, timeout=90, interval=0.3, message=f"the orders of {shop.domain}")  # type: ignore[return-value]


def _order(
    pipeline: Pipeline, domain: str | None, customer_id: int, skus: list[str], seed: int
) -> dict[str, Any]:
    return pipeline.shopify.control.generate_orders(
        domain=domain,
        count=1,
        customer_id=customer_id,
        skus=skus,
        quantity=1,
        seed=seed,
        discount_code=None,
        gift_card=False,
    )[0]


def test_one_customer_in_two_shops_on_two_companies(pipeline: Pipeline) -> None:
    # given the demo shop on company 1 and a second shop on a second company, and one person who is a
    # customer of both with one e-mail
    second, company = _second_shop(pipeline)
    customers = [
        pipeline.shopify.control.create_customer(
            domain=domain, email=EMAIL, first_name="Ann", last_name="Both"
        )
        for domain in (None, SECOND)
    ]

    # when she buys in both shops, and an unmapped SKU is sold in both
    booked_a = _order(pipeline, None, customers[0]["id"], ["MERINOTE-M-NAVY"], 61)
    booked_b = _order(pipeline, SECOND, customers[1]["id"], ["MERINOTE-M-NAVY"], 62)
    parked_a = _order(pipeline, None, customers[0]["id"], [SKU], 63)
    parked_b = _order(pipeline, SECOND, customers[1]["id"], [SKU], 64)
    jobs_a = _settled(pipeline.shop, [booked_a["id"], parked_a["id"]])
    jobs_b = _settled(second, [booked_b["id"], parked_b["id"]])

    # then each shop's order is booked in its company for a partner of that company
    assert [j.state for j in jobs_a] == [JobState.SUCCEEDED, JobState.NEEDS_ATTENTION], jobs_a[
        0
    ].error_message
    assert [j.state for j in jobs_b] == [JobState.SUCCEEDED, JobState.NEEDS_ATTENTION], jobs_b[
        0
    ].error_message
    env = pipeline.rpc.env
    [order_a] = pipeline.sale_orders(booked_a["id"])
    [order_b] = env["sale.order"].search_read(
        [("client_order_ref", "=", str(booked_b["id"]))], ["partner_id", "amount_total"]
    )
    companies = {
        o["id"]: o["company_id"][0]
        for o in env["sale.order"].read([order_a["id"], order_b["id"]], ["company_id"])
    }
    partners = {
        p["id"]: p
        for p in env["res.partner"].read(
            [order_a["partner_id"][0], order_b["partner_id"][0]], ["company_id", "email"]
        )
    }
    partner_a, partner_b = partners[order_a["partner_id"][0]], partners[order_b["partner_id"][0]]
    assert (companies[order_a["id"]], companies[order_b["id"]]) == (1, company)
    assert partner_a["id"] != partner_b["id"]
    assert (partner_a["company_id"][0], partner_a["email"]) == (1, EMAIL)
    assert (partner_b["company_id"][0], partner_b["email"]) == (company, EMAIL)
    # and each shop's link names its own company's partner
    close_old_connections()
    links = {
        link.shop_id: (link.odoo_id, link.data["company_id"])
        for link in ExternalLink.objects.filter(kind=ExternalLink.Kind.CUSTOMER, odoo_id__in=list(partners))
    }
    assert links == {pipeline.shop.pk: (partner_a["id"], 1), second.pk: (partner_b["id"], company)}

    # and the unmapped SKU is one problem in each shop, each with its own shop's order only
    problems = Problem.objects.filter(fingerprint=f"unknown_sku:{SKU}").order_by("shop_id")
    assert [(p.shop_id, p.times_seen) for p in problems] == [(pipeline.shop.pk, 1), (second.pk, 1)]
    for problem, parked in zip(problems, (jobs_a[1], jobs_b[1]), strict=True):
        assert list(problem.jobs.values_list("pk", flat=True)) == [parked.pk]
