"""Privacy: customers/redact, customers/data_request and shop/redact.

- customers/redact: the customer's personal fields in Odoo are replaced (partner and its contacts) unless a
  legal record forbids it: a partner with posted invoices keeps the name and address those invoices show
  (accounting law), and the job records the hold; every payload we stored for the customer or the listed
  orders has its personal data removed.
- customers/data_request: an export of what we hold about the customer (links, stored payloads, Odoo
  partner fields) for an admin to send on.
- shop/redact (48 h after uninstall): every payload stored for the shop has its personal data removed. The
  retailer's Odoo is their own system of record and is left as it is.
Each is a PrivacyRequest row and an audit entry.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q
from django.utils import timezone

from opsconsole.core.audit import audit_record
from opsconsole.core.errors import BusinessRuleError
from sync.flows.context import JobContext
from sync.flows.payloads import job_payload
from sync.models import ExternalLink, InboundEvent, PrivacyRequest, SyncJob
from sync.transforms.privacy import redact_payload, redacted_partner_values
from sync.transforms.topics import topic_shape_problem


def _customer_events(ctx: JobContext, customer_id: str, order_ids: list[str]) -> Any:
    # An order id and a customer id may be the same number: each is matched within its own topics.
    return InboundEvent.objects.filter(shop=ctx.shop).filter(
        Q(subject_id=customer_id, topic__startswith="customers/")
        | Q(subject_id__in=order_ids, topic__regex=r"^(orders|refunds|fulfillments)/")
        | Q(payload__customer__id=int(customer_id) if customer_id.isdigit() else customer_id)
    )


def _refuse_mismatch(topic: str, payload: dict[str, Any], ctx: JobContext) -> None:
    if problem := topic_shape_problem(topic, payload, shop_domain=ctx.shop.domain):
        raise BusinessRuleError(
            f"not acted on: the body does not fit {topic}: {problem}", code="topic_mismatch", key=topic
        )


def _orders_of_someone_else(ctx: JobContext, customer_id: str, order_ids: list[str]) -> list[str]:
    """Orders the request names that our stored deliveries show belonging to another customer."""
    others: set[str] = set()
    rows = InboundEvent.objects.filter(
        shop=ctx.shop,
        topic__startswith="orders/",
        subject_id__in=order_ids,
        payload__customer__id__isnull=False,
    ).values_list("subject_id", "payload__customer__id")
    for order_id, owner in rows:
        if str(owner) != customer_id:
            others.add(order_id)
    return sorted(others)


def events_purge(events: Any) -> int:
    """Remove personal data from stored deliveries (raw body and parsed payload)."""
    count = 0
    now = timezone.now()
    for event in events.only("pk", "payload").iterator():
        redacted = redact_payload(event.payload) if isinstance(event.payload, dict) else None
        body = json.dumps(redacted).encode() if redacted is not None else b""
        InboundEvent.objects.filter(pk=event.pk).update(payload=redacted, raw_body=body, purged_at=now)
        count += 1
    return count


def _request(ctx: JobContext, job: SyncJob, kind: str, customer_id: str) -> PrivacyRequest:
    request, _ = PrivacyRequest.objects.get_or_create(
        job=job, defaults={"shop": ctx.shop, "kind": kind, "customer_id": customer_id}
    )
    return request


def customer_redact(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    payload = job_payload(job)
    _refuse_mismatch("customers/redact", payload, ctx)
    customer_id = str((payload.get("customer") or {}).get("id", ""))
    order_ids = [str(o) for o in payload.get("orders_to_redact") or []]
    # Redact only a customer the request and the shop's records agree on.
    if others := _orders_of_someone_else(ctx, customer_id, order_ids):
        raise BusinessRuleError(
            f"not acted on: the redaction of customer {customer_id} names orders that our records show "
            f"belonging to another customer ({', '.join(others[:10])}). Nothing was erased.",
            code="redact_mismatch",
            details={"customer_id": customer_id, "orders": others[:50]},
        )
    request = _request(ctx, job, PrivacyRequest.Kind.CUSTOMER_REDACT, customer_id)
    outcome: dict[str, Any] = {"customer_id": customer_id, "orders": order_ids}

    link = ExternalLink.objects.filter(
        shop=ctx.shop, kind=ExternalLink.Kind.CUSTOMER, shopify_id=customer_id
    ).first()
    if link is not None:
        with ctx.call("odoo", "redact_partner"):
            result = ctx.odoo.redact_partner(link.odoo_id, redacted_partner_values())
        outcome["odoo"] = result
        link.label = "[redacted]"
        link.data = {k: v for k, v in link.data.items() if k in {"xmlid"}}
        link.save()
    else:
        outcome["odoo"] = {"redacted": [], "held": [], "note": "no Odoo partner is linked to this customer"}
    outcome["payloads_purged"] = events_purge(_customer_events(ctx, customer_id, order_ids))
    # An earlier data request's export holds the same personal data.
    outcome["exports_purged"] = PrivacyRequest.objects.filter(
        shop=ctx.shop, customer_id=customer_id, kind=PrivacyRequest.Kind.DATA_REQUEST, export__isnull=False
    ).update(export=None)
    # The redaction request itself carries the e-mail and phone: purge it too, after reading it.
    if job.event_id is not None:
        outcome["payloads_purged"] += events_purge(InboundEvent.objects.filter(pk=job.event_id))
    request.outcome = outcome
    request.completed_at = timezone.now()
    request.save()
    audit_record(
        action="privacy.customer_redact",
        object_type="shopify_customer",
        object_id=customer_id,
        summary=f"redacted customer {customer_id}: {len(outcome['odoo'].get('redacted', []))} Odoo "
        f"record(s), {len(outcome['odoo'].get('held', []))} kept for posted invoices, "
        f"{outcome['payloads_purged']} stored payload(s) purged",
        after=outcome,
    )
    return {"outcome": "redacted", **outcome}


def data_request(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    payload = job_payload(job)
    _refuse_mismatch("customers/data_request", payload, ctx)
    customer_id = str((payload.get("customer") or {}).get("id", ""))
    order_ids = [str(o) for o in payload.get("orders_requested") or []]
    request = _request(ctx, job, PrivacyRequest.Kind.DATA_REQUEST, customer_id)
    links = list(
        ExternalLink.objects.filter(shop=ctx.shop).filter(
            Q(kind=ExternalLink.Kind.CUSTOMER, shopify_id=customer_id)
            | Q(kind=ExternalLink.Kind.ORDER, shopify_id__in=order_ids)
        )
    )
    export: dict[str, Any] = {
        "shop": ctx.shop.domain,
        "customer_id": customer_id,
        "generated_at": timezone.now().isoformat(),
        "links": [
            {
                "kind": link.kind,
                "shopify_id": link.shopify_id,
                "odoo_model": link.odoo_model,
                "odoo_id": link.odoo_id,
            }
            for link in links
        ],
        "stored_payloads": [
            {"topic": e.topic, "received_at": e.received_at.isoformat(), "payload": e.payload}
            for e in _customer_events(ctx, customer_id, order_ids).exclude(pk=job.event_id)
        ],
    }
    partner = next((link for link in links if link.kind == ExternalLink.Kind.CUSTOMER), None)
    if partner is not None:
        with ctx.call("odoo", "read_partner"):
            export["odoo_partner"] = ctx.odoo.read_partner(partner.odoo_id)
    request.export = export
    request.completed_at = timezone.now()
    request.outcome = {"links": len(links), "payloads": len(export["stored_payloads"])}
    request.save()
    audit_record(
        action="privacy.data_request",
        object_type="shopify_customer",
        object_id=customer_id,
        summary=f"data request export ready ({len(export['stored_payloads'])} stored payloads)",
    )
    return {"outcome": "exported", "privacy_request_id": request.pk, **request.outcome}


def shop_redact(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    _refuse_mismatch("shop/redact", job_payload(job), ctx)
    request = _request(ctx, job, PrivacyRequest.Kind.SHOP_REDACT, "")
    purged = events_purge(InboundEvent.objects.filter(shop=ctx.shop, purged_at__isnull=True))
    PrivacyRequest.objects.filter(shop=ctx.shop, export__isnull=False).update(export=None)
    request.outcome = {"payloads_purged": purged}
    request.completed_at = timezone.now()
    request.save()
    audit_record(
        action="privacy.shop_redact",
        object_type="shopify_shop",
        object_id=ctx.shop.pk,
        summary=f"shop redaction: {purged} stored payload(s) purged",
    )
    return {"outcome": "redacted", "payloads_purged": purged}
