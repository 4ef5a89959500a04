"""customers/redact end to end: the partner erased in Odoo (unless a posted invoice holds it), the stored
payloads purged, and the request recorded with an audit entry."""

from __future__ import annotations

import json

import pytest

from opsconsole.core.models import AuditEntry
from sync.models import ExternalLink, InboundEvent, JobState, MappingTable, PrivacyRequest
from sync.services.mappings import MappingRow, mapping_apply
from sync.transforms.privacy import REDACTED
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY"]
PARTNER_FIELDS = ["name", "email", "phone", "street", "city", "zip", "child_ids"]


def _partner(pipeline, partner_id):
    return pipeline.rpc.env["res.partner"].read([partner_id], PARTNER_FIELDS)[0]


def _redact(pipeline, customer_id):
    pipeline.shopify.control.privacy("customers/redact", customer_id=customer_id)
    wait_for(
        lambda: pipeline.jobs(kind="privacy.customer_redact", subject=f"customer:{customer_id}"),
        timeout=30,
        message=f"the redaction job of customer {customer_id}",
    )
    pipeline.settle()
    jobs = pipeline.jobs(kind="privacy.customer_redact", subject=f"customer:{customer_id}")
    assert len(jobs) == 1
    return jobs[0]


def test_customers_redact_erases_the_partner_purges_payloads_and_keeps_what_a_posted_invoice_shows(pipeline):
    # given a shop that invoices on delivery (so that booking an order posts no invoice by itself), and two
    # customers, each with an order booked in Odoo; the second has a posted invoice there
    entry = pipeline.shop.mappings.get(table=MappingTable.SHOP, key="shop", valid_to__isnull=True)
    mapping_apply(
        shop=pipeline.shop,
        rows=[MappingRow(MappingTable.SHOP, "shop", {**entry.value, "invoice_on": "delivered"})],
    )
    erased, invoiced = pipeline.shopify.control.customers()[:2]
    erased_order = pipeline.generate_orders(1, skus=SKUS, quantity=1, customer_id=erased["id"], seed=61)[0]
    pipeline.generate_orders(1, skus=SKUS, quantity=1, customer_id=invoiced["id"], seed=62)[0]
    pipeline.settle(expect_jobs=2)
    assert len(pipeline.sale_orders(erased_order["id"])) == 1
    erased_partner = ExternalLink.objects.get(kind="customer", shopify_id=str(erased["id"])).odoo_id
    invoiced_partner = ExternalLink.objects.get(kind="customer", shopify_id=str(invoiced["id"])).odoo_id
    moves = pipeline.rpc.env["account.move"]
    invoice_id = moves.create(
        {
            "move_type": "out_invoice",
            "partner_id": invoiced_partner,
            "invoice_line_ids": [(0, 0, {"name": "Merino tee", "quantity": 1, "price_unit": 30.0})],
        }
    )
    moves.browse(invoice_id).action_post()
    before_invoiced = _partner(pipeline, invoiced_partner)
    erased_before = _partner(pipeline, erased_partner)
    assert erased_before["name"] != REDACTED
    assert erased_before["email"] == erased["email"]
    stored = InboundEvent.objects.filter(subject_id=str(erased_order["id"]))
    assert stored.exists()
    assert all(erased["email"].encode() in bytes(e.raw_body) for e in stored)

    # when Shopify asks us to redact both customers
    erased_job = _redact(pipeline, erased["id"])
    invoiced_job = _redact(pipeline, invoiced["id"])

    # then the first customer's partner and contacts are erased in Odoo
    assert erased_job.state == JobState.SUCCEEDED
    partner = _partner(pipeline, erased_partner)
    assert (partner["name"], partner["email"], partner["phone"], partner["street"], partner["city"]) == (
        REDACTED,
        False,
        False,
        False,
        False,
    )
    for contact in pipeline.rpc.env["res.partner"].read(partner["child_ids"], ["name", "email", "street"]):
        assert (contact["name"], contact["email"], contact["street"]) == (REDACTED, False, False)
    assert sorted(erased_job.result["odoo"]["redacted"]) == sorted([erased_partner, *partner["child_ids"]])
    assert erased_job.result["odoo"]["held"] == []
    # and every payload we stored about that customer or their order is purged of personal data
    purged = InboundEvent.objects.filter(subject_id__in=[str(erased_order["id"]), str(erased["id"])])
    assert purged.count() >= 2
    for event in purged:
        assert event.purged_at is not None
        assert erased["email"] not in json.dumps(event.payload)
        assert erased["email"].encode() not in bytes(event.raw_body)
    # and the sale order itself is still there
    assert len(pipeline.sale_orders(erased_order["id"])) == 1
    # and the request and an audit entry record what was done
    request = PrivacyRequest.objects.get(job=erased_job)
    assert (request.kind, request.customer_id) == (PrivacyRequest.Kind.CUSTOMER_REDACT, str(erased["id"]))
    assert request.completed_at is not None
    assert request.outcome["payloads_purged"] == erased_job.result["payloads_purged"] >= 2
    audit = AuditEntry.objects.get(action="privacy.customer_redact", object_id=str(erased["id"]))
    assert erased["email"] not in audit.summary

    # then the invoiced customer's partner keeps the name and address its posted invoice shows
    assert invoiced_job.state == JobState.SUCCEEDED
    assert invoiced_job.result["odoo"]["held"] == [invoiced_partner]
    assert invoiced_partner not in invoiced_job.result["odoo"]["redacted"]
    after_invoiced = _partner(pipeline, invoiced_partner)
    assert {k: after_invoiced[k] for k in ("name", "email", "street", "city")} == {
        k: before_invoiced[k] for k in ("name", "email", "street", "city")
    }
    assert moves.read([invoice_id], ["state", "partner_id"])[0]["state"] == "posted"
    assert PrivacyRequest.objects.get(job=invoiced_job).completed_at is not None
    assert (
        AuditEntry.objects.filter(action="privacy.customer_redact", object_id=str(invoiced["id"])).count()
        == 1
    )


def test_a_data_request_exports_what_we_hold_and_a_later_redaction_purges_the_export(pipeline):
    # given a customer with an order booked in Odoo
    customer = pipeline.shopify.control.customers()[0]
    pipeline.generate_orders(1, skus=SKUS, quantity=1, customer_id=customer["id"], seed=71)
    pipeline.settle(expect_jobs=2)

    # when Shopify forwards the customer's data request
    pipeline.shopify.control.privacy("customers/data_request", customer_id=customer["id"])
    wait_for(lambda: pipeline.jobs(kind="privacy.data_request"), timeout=30, message="the data request job")
    pipeline.settle()

    # then an admin has an export holding the customer's Odoo partner and stored payloads
    request = PrivacyRequest.objects.get(
        kind=PrivacyRequest.Kind.DATA_REQUEST, customer_id=str(customer["id"])
    )
    assert request.export["odoo_partner"]["email"] == customer["email"]
    assert request.export["stored_payloads"]
    assert AuditEntry.objects.filter(action="privacy.data_request", object_id=str(customer["id"])).exists()

    # and a later redaction purges that export too
    job = _redact(pipeline, customer["id"])
    assert job.state == JobState.SUCCEEDED
    request.refresh_from_db()
    assert request.export is None
    assert job.result["exports_purged"] == 1
