"""Builders for console tests: shops with mappings, webhook events and jobs in any state."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from sandbox.odoo.testing import odoo_sandbox
from sync.engine.clients import clients_reset
from sync.engine.problems import Occurrence, problem_record_occurrence
from sync.models import InboundEvent, JobAttempt, JobState, MappingTable, SyncJob
from sync.services.mappings import MappingRow, mapping_apply
from tests.factories import ShopifyShopFactory
from tests.support.odoo import Rpc, shop_on_standin

_ids = itertools.count(1)


def order_payload(
    *, order_id: int, name: str, sku: str = "MERINOTE-S-NAVY", price: str = "49.00"
) -> dict[str, Any]:
    """A minimal Shopify orders/create body: one line, no tax, no shipping, paid."""
    return {
        "id": order_id,
        "name": name,
        "currency": "EUR",
        "email": "jane.doe@example.com",
        "phone": "+44 20 7946 0958",
        "financial_status": "paid",
        "taxes_included": False,
        "total_price": price,
        "total_tax": "0.00",
        "created_at": "2026-11-20T10:00:00+00:00",
        "updated_at": "2026-11-20T10:00:00+00:00",
        "customer": {"id": 7001, "email": "jane.doe@example.com", "first_name": "Jane", "last_name": "Doe"},
        "billing_address": {
            "first_name": "Jane",
            "last_name": "Doe",
            "address1": "1 Privet Drive",
            "city": "London",
            "zip": "N1 9GU",
            "country_code": "GB",
        },
        "line_items": [
            {
                "id": order_id * 10,
                "sku": sku,
                "name": f"Merino tee {sku}",
                "title": "Merino tee",
                "quantity": 1,
                "price": price,
                "price_set": {
                    "shop_money": {"amount": price, "currency_code": "EUR"},
                    "presentment_money": {"amount": price, "currency_code": "EUR"},
                },
                "total_discount": "0.00",
                "discount_allocations": [],
                "tax_lines": [],
                "taxable": False,
            }
        ],
        "shipping_lines": [],
    }


@pytest.fixture
def shop(db):  # type: ignore[no-untyped-def]
    shop = ShopifyShopFactory(domain="demo.myshopify.com", admin_url="https://admin.shopify.test/store/demo")
    shop.odoo.url = "https://odoo.test"
    shop.odoo.server_version = "18.0"
    shop.odoo.save()
    mapping_apply(
        shop=shop,
        rows=[
            MappingRow(MappingTable.SHOP, "shop", {"company_id": 1, "pricelist_id": 1, "currency": "EUR"}),
            MappingRow(
                MappingTable.SKU, "WOOLSOCK-M-GREY", {"product_id": 41, "default_code": "WOOLSOCK-M-GREY"}
            ),
            MappingRow(MappingTable.FINANCIAL_STATUS, "paid", {"confirm": True}),
        ],
    )
    return shop


def make_job(
    shop: Any,
    *,
    state: str = JobState.NEEDS_ATTENTION,
    sku: str = "MERINOTE-S-NAVY",
    flow: str = "orders",
    finance: bool = False,
    code: str = "unknown_sku",
    order_id: int | None = None,
    age: timedelta = timedelta(minutes=5),
    result: dict[str, Any] | None = None,
    error_class: str = "BusinessRuleError",
    **fields: Any,
) -> SyncJob:
    """A job with its webhook event; problem states carry the error the orders flow would record, and park
    on their Problem through the engine's own function (as seen at the job's creation time)."""
    number = next(_ids)
    order_id = order_id or 5_940_000_000 + number
    name = f"#{1000 + number}"
    payload = order_payload(order_id=order_id, name=name, sku=sku)
    event = InboundEvent.objects.create(
        shop=shop,
        topic="orders/create",
        webhook_id=f"wh-{number}",
        raw_body=b"{}",
        payload=payload,
        subject_id=str(order_id),
    )
    problem = state in (JobState.NEEDS_ATTENTION, JobState.DEAD)
    key = sku if code == "unknown_sku" else fields.pop("key", "order")
    kind = "order.upsert" if flow == "orders" else f"{flow}.sync"
    fingerprint = f"{code}:{key}" if code else f"{error_class}:{kind}"
    message = {
        "unknown_sku": f"order {name}: SKU '{sku}' is not mapped to an Odoo product",
        "total_mismatch": f"order {name}: Odoo would book 120.01 EUR, Shopify charged 120.00 EUR "
        "(difference -0.01 EUR, tax difference -0.01)",
    }.get(code, "Odoo answered an unexpected shape for res.partner/search_read")
    job = SyncJob.objects.create(
        kind=kind,
        flow=flow,
        shop=shop,
        event=event,
        idempotency_key=f"order:create:{shop.pk}:{order_id}:{number}",
        subject=f"order:{order_id}",
        subject_label=name,
        state=state,
        attempts=1,
        error_class=error_class if problem else "",
        error_code=code if problem else "",
        error_key=key if problem else "",
        error_message=message if problem else "",
        error_context={"order_id": str(order_id), "order_name": name, "missing": {code: [key]}}
        if problem
        else None,
        fingerprint=fingerprint if problem else "",
        finance=finance,
        result=result,
        finished_at=timezone.now() if state == JobState.SUCCEEDED else None,
        **fields,
    )
    created = timezone.now() - age
    SyncJob.objects.filter(pk=job.pk).update(
        created_at=created,
        finished_at=created + timedelta(milliseconds=600 + (number * 379) % 2400)
        if state == JobState.SUCCEEDED
        else None,
    )
    InboundEvent.objects.filter(pk=event.pk).update(received_at=created)
    if problem:
        occurrence = Occurrence(
            fingerprint=fingerprint,
            error_class=error_class,
            error_code=code,
            error_key=key,
            message=message,
            flow=flow,
            finance=finance,
        )
        parked_on = problem_record_occurrence(job=job, occurrence=occurrence, state=state, now=created)
        SyncJob.objects.filter(pk=job.pk).update(problem=parked_on)
    JobAttempt.objects.create(
        job=job,
        number=1,
        started_at=created,
        finished_at=created + timedelta(milliseconds=420),
        duration_ms=420,
        outcome=JobAttempt.Outcome.PARKED if problem else JobAttempt.Outcome.SUCCEEDED,
        error_class=job.error_class,
        error_message=job.error_message,
        external_calls=[{"system": "odoo", "op": "find_product", "ms": 12.5, "ok": True, "round_trips": 1}],
    )
    job.refresh_from_db()
    return job


@pytest.fixture
def client_for(make_user):  # type: ignore[no-untyped-def]
    def make(role: str, username: str | None = None) -> tuple[Client, Any]:
        user = make_user(role, **({"username": username} if username else {}))
        client = Client()
        client.force_login(user)
        return client, user

    return make


def queued_job_ids() -> list[int]:
    """The jobs on django-q's queue, sorted; a task carries the job's id or its idempotency key."""
    from django_q.models import OrmQ

    ids = []
    for task in OrmQ.objects.all():
        ref = task.task["args"][0]
        ids.append(ref if isinstance(ref, int) else SyncJob.objects.get(idempotency_key=ref).pk)
    return sorted(ids)


@pytest.fixture(scope="module")
def odoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A seeded Odoo 19 stand-in with a second company holding a product and a bank journal of its own."""
    with odoo_sandbox(tmp_path_factory.mktemp("pickers-odoo"), version=19, seed=True) as sandbox:
        second = sandbox.control.seed_company("Second Store Inc", currency="USD", country="US", code="WH2")
        rpc = Rpc(sandbox)
        theirs = rpc.create(
            "product.product",
            {"name": "Second store tee", "default_code": "SECOND-TEE", "company_id": second["company_id"]},
            context={"allowed_company_ids": [second["company_id"]]},
        )
        yield {"sandbox": sandbox, "rpc": rpc, "second": second, "their_product": theirs}


@pytest.fixture
def odoo_shop(shop, odoo):  # type: ignore[no-untyped-def]
    """The console's shop (company 1) on the stand-in."""
    shop_on_standin(shop, odoo["sandbox"])
    clients_reset()
    cache.clear()
    yield shop
    clients_reset()
