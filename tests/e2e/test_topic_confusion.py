"""Topic confusion: Shopify signs the body, not the topic. A captured, correctly signed orders/create body
re-sent under a destructive topic changes nothing in Odoo, purges nothing, and is shown to a person."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from opsconsole.core.models import AuditEntry
from sync.engine.queue import JobSpec, job_create
from sync.models import ExternalLink, InboundEvent, JobState, PrivacyRequest, Problem
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e

SKUS = ["MERINOTE-M-NAVY"]
PARTNER_FIELDS = ["name", "email", "street"]


def _now() -> str:
    return datetime.now(UTC).isoformat()


def test_an_order_body_resent_as_cancelled_or_redact_changes_nothing_and_is_shown(pipeline):
    # given a paid order booked and confirmed in Odoo, its customer's partner linked
    customer = pipeline.shopify.control.customers()[0]
    order = pipeline.generate_orders(1, skus=SKUS, quantity=1, customer_id=customer["id"], seed=81)[0]
    pipeline.settle(expect_jobs=1)
    assert [o["state"] for o in pipeline.sale_orders(order["id"])] == ["sale"]
    partner_id = ExternalLink.objects.get(kind="customer", shopify_id=str(customer["id"])).odoo_id
    partner_before = pipeline.rpc.env["res.partner"].read([partner_id], PARTNER_FIELDS)[0]
    captured = pipeline.deliveries("orders/create", order["id"])[0]
    stored_before = InboundEvent.objects.filter(purged_at__isnull=True).count()

    # when an attacker re-sends the captured body and signature under other topics, with new ids
    answers = [
        pipeline.post_webhook(topic=topic, body=captured["body"].encode(), triggered_at=_now()).json()
        for topic in ("orders/cancelled", "customers/redact")
    ]
    pipeline.settle()

    # then both are answered 200 (Shopify must not retry them: stored as received), and the worker
    # quarantines them, never making them into a job of their topic
    assert answers == [{"status": "stored"}, {"status": "stored"}]
    assert (
        InboundEvent.objects.filter(
            topic__in=["orders/cancelled", "customers/redact"], ingested_at__isnull=False
        )
        .exclude(payload=None)
        .count()
        == 2
    )
    assert not pipeline.jobs(kind__in=["order.cancel", "privacy.customer_redact"])
    # and Odoo is untouched: the order still confirmed, the partner not erased
    assert [o["state"] for o in pipeline.sale_orders(order["id"])] == ["sale"]
    assert pipeline.rpc.env["res.partner"].read([partner_id], PARTNER_FIELDS)[0] == partner_before
    # and no stored payload was purged, no privacy request or audit entry recorded
    assert InboundEvent.objects.filter(purged_at__isnull=True).count() == stored_before + 2
    assert not PrivacyRequest.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="privacy.").exists()
    # and a person sees each as an open problem in the exception queue
    problems = Problem.objects.filter(error_code="topic_mismatch").order_by("error_key")
    assert [(p.error_key, p.status, p.times_seen) for p in problems] == [
        ("customers/redact", "open", 1),
        ("orders/cancelled", "open", 1),
    ]
    client = Client()
    client.force_login(UserFactory(role="ops"))
    page = client.get("/exceptions/").content.decode()
    assert "Webhook body does not fit its topic (orders/cancelled)" in page
    assert "Webhook body does not fit its topic (customers/redact)" in page


def test_a_cancellation_shopify_does_not_confirm_is_not_acted_on(pipeline):
    # given a confirmed order, and a cancellation job whose payload claims a cancellation Shopify never made
    order = pipeline.generate_orders(1, skus=SKUS, quantity=1, seed=82)[0]
    pipeline.settle(expect_jobs=1)
    body = json.loads(pipeline.deliveries("orders/create", order["id"])[0]["body"])
    body["cancelled_at"] = _now()
    job, _ = job_create(
        spec=JobSpec(
            kind="order.cancel",
            flow="orders",
            shop=pipeline.shop,
            idempotency_key=f"test:cancel:{order['id']}",
            subject=f"order:{order['id']}",
            input={"topic": "orders/cancelled", "payload": body},
        )
    )

    # when the worker runs it
    pipeline.settle()

    # then Odoo's order stays confirmed and the job waits for a person, saying why
    job.refresh_from_db()
    assert (job.state, job.error_code) == (JobState.NEEDS_ATTENTION, "cancel_not_confirmed")
    assert [o["state"] for o in pipeline.sale_orders(order["id"])] == ["sale"]
    assert not ExternalLink.objects.get(kind="order", shopify_id=str(order["id"])).data.get("cancelled")


def test_a_redaction_naming_another_customers_order_erases_nothing(pipeline):
    # given two customers with an order each, booked in Odoo
    first, second = pipeline.shopify.control.customers()[:2]
    pipeline.generate_orders(1, skus=SKUS, quantity=1, customer_id=first["id"], seed=83)
    theirs = pipeline.generate_orders(1, skus=SKUS, quantity=1, customer_id=second["id"], seed=84)[0]
    pipeline.settle(expect_jobs=2)
    partner_id = ExternalLink.objects.get(kind="customer", shopify_id=str(first["id"])).odoo_id
    partner_before = pipeline.rpc.env["res.partner"].read([partner_id], PARTNER_FIELDS)[0]

    # when a redaction of the first customer names the second customer's order
    payload = {
        "shop_id": 1,
        "shop_domain": pipeline.shop.domain,
        "customer": {"id": first["id"], "email": first["email"], "phone": None},
        "orders_to_redact": [theirs["id"]],
    }
    job, _ = job_create(
        spec=JobSpec(
            kind="privacy.customer_redact",
            flow="privacy",
            shop=pipeline.shop,
            idempotency_key=f"test:redact:{first['id']}",
            subject=f"customer:{first['id']}",
            input={"topic": "customers/redact", "payload": payload},
        )
    )
    pipeline.settle()

    # then nothing is erased or purged, and the job waits for a person
    job.refresh_from_db()
    assert (job.state, job.error_code) == (JobState.NEEDS_ATTENTION, "redact_mismatch")
    assert pipeline.rpc.env["res.partner"].read([partner_id], PARTNER_FIELDS)[0] == partner_before
    assert not InboundEvent.objects.filter(purged_at__isnull=False).exists()
