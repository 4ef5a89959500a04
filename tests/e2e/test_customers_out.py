"""Customers out, and topics, through both stand-ins and a real worker: a partner changed in Odoo reaches
Shopify once with no echo; Shopify refusing a duplicate e-mail parks with its message; a delivery of a topic
no flow handles is a problem; app/uninstalled marks the shop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import close_old_connections

from sync.engine.mappings import mapping_entries
from sync.models import ExternalLink, JobState, MappingTable, OdooChangeCursor, Problem, ShopifyShop, SyncJob
from sync.services.mappings import MappingRow, mapping_apply
from tests.e2e.conftest import Worker
from tests.support.pipeline import STREAM_WORKER_ENV, Pipeline
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker) -> Iterator[Worker]:  # type: ignore[no-untyped-def]
    w = Worker(
        "e2e-customers-out-worker",
        **STREAM_WORKER_ENV,
        OPSCONSOLE_CHANGES_CYCLE_SECONDS="partners=0.5",
        OPSCONSOLE_CHANGES_TICK_SECONDS="0.5",
    )
    w.start()
    yield w
    w.stop()


def _owns(pipeline: Pipeline, *fields: str) -> None:
    current = next(e.value for e in mapping_entries(shop=pipeline.shop) if e.table == MappingTable.SHOP)
    mapping_apply(
        shop=pipeline.shop,
        rows=[MappingRow(MappingTable.SHOP, "shop", {**current, "customer_fields_odoo_owns": list(fields)})],
    )


def _settled(pipeline: Pipeline, kind: str, count: int, **filters: Any) -> list[SyncJob]:
    def done() -> list[SyncJob] | None:
        pipeline.sweep()
        jobs = pipeline.jobs(kind=kind, **filters)
        finished = all(j.state not in (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING) for j in jobs)
        return jobs if len(jobs) >= count and finished else None

    return wait_for(done, timeout=60, interval=0.2, message=f"{count} {kind} job(s)")  # type: ignore[no-any-return]


def _linked_customer(
    pipeline: Pipeline, email: str, first: str, last: str, phone: str
) -> tuple[dict[str, Any], int]:
    customer = pipeline.shopify.control.create_customer(
        email=email, first_name=first, last_name=last, phone=phone
    )
    _settled(pipeline, "customer.upsert", 1, subject=f"customer:{customer['id']}")
    close_old_connections()
    return customer, ExternalLink.objects.get(kind="customer", shopify_id=str(customer["id"])).odoo_id


def _stream_started(pipeline: Pipeline) -> None:
    def started() -> bool:
        close_old_connections()
        return (
            OdooChangeCursor.objects.filter(shop=pipeline.shop, stream="partners")
            .exclude(write_date="")
            .exists()
        )

    wait_for(started, timeout=30, message="the stream of partners to start")


def test_a_partner_changed_in_odoo_reaches_shopify_once_and_its_echo_changes_nothing(pipeline):
    # given a Shopify customer booked in Odoo, and Odoo owning name and phone
    _owns(pipeline, "name", "phone")
    _stream_started(pipeline)
    customer, partner_id = _linked_customer(pipeline, "echo@example.net", "Eve", "Cho", "+33612345678")
    before = len(pipeline.deliveries("customers/update", customer["id"]))

    # when the phone is changed in Odoo
    pipeline.odoo.control.reset_counters()
    pipeline.rpc.env["res.partner"].write([partner_id], {"phone": "+33698765432"})
    pushes = _settled(
        pipeline, "customer.push", 1, subject=f"partner:{partner_id}", result__outcome="updated"
    )

    # then Shopify has it, from one customerUpdate
    shopify_customer = next(c for c in pipeline.shopify.control.customers() if c["id"] == customer["id"])
    assert shopify_customer["phone"] == "+33698765432"
    assert [p.result["fields"] for p in pushes] == [["phone"]]
    # and Shopify's echo (customers/update) is recognised: no Odoo write, no second push
    wait_for(
        lambda: len(pipeline.deliveries("customers/update", customer["id"])) == before + 1,
        timeout=30,
        message="the echo",
    )
    echo = _settled(pipeline, "customer.upsert", 2, subject=f"customer:{customer['id']}")[-1]
    # "unchanged" (the values the last job applied), or "stale" when a worker helping the inbox pump
    # ingested the customer's deliveries in the other order (sync/engine/ingest.py: concurrent ingesters
    # take different deliveries): either way it is recognised and nothing is written
    assert echo.result["outcome"] in ("unchanged", "stale")
    assert echo.attempt_set.get().external_calls == []
    # the only write of the partner in Odoo is the test's own
    assert pipeline.odoo.control.counters()["calls"]["res.partner"].get("write") == 1
    assert len(pipeline.jobs(kind="customer.push", result__outcome="updated")) == 1
    assert len(pipeline.deliveries("customers/update", customer["id"])) == before + 1


def test_shopify_refusing_a_duplicate_email_parks_with_its_message(pipeline):
    # given two linked customers and Odoo owning e-mails
    _owns(pipeline, "email")
    _stream_started(pipeline)
    _linked_customer(pipeline, "first@example.net", "Ann", "First", "+33611111111")
    _, second = _linked_customer(pipeline, "second@example.net", "Bob", "Second", "+33622222222")

    # when the second is given the first's e-mail in Odoo
    pipeline.rpc.env["res.partner"].write([second], {"email": "first@example.net"})
    [job] = _settled(
        pipeline, "customer.push", 1, subject=f"partner:{second}", state=JobState.NEEDS_ATTENTION
    )

    # then the push parks on Shopify's own words
    assert job.error_code == "customer_duplicate"
    assert "Email has already been taken" in job.error_message
    assert (
        Problem.objects.get(pk=job.problem_id).title
        == "Shopify refused a customer: Email has already been taken"
    )


def test_an_unhandled_topic_is_a_problem_and_app_uninstalled_marks_the_shop(pipeline):
    # a delivery of a topic no flow handles (a subscription made outside opsconsole)
    response = pipeline.post_webhook(
        topic="collections/update", body=json.dumps({"id": 9, "title": "Sale"}).encode()
    )
    assert response.status_code == 200
    # the worker reads the stored delivery (the request only stores it: sync/services/inbox.py)
    problem = wait_for(
        lambda: (
            close_old_connections()
            or Problem.objects.filter(fingerprint="unhandled_topic:collections/update").first()
        ),
        timeout=60,
        message="the unhandled topic's problem",
    )
    assert problem.title == "No flow handles topic collections/update"

    # the merchant uninstalls the app
    pipeline.shopify.control.uninstall()
    _settled(pipeline, "shop.uninstalled", 1)
    assert ShopifyShop.objects.get(pk=pipeline.shop.pk).uninstalled_at is not None
