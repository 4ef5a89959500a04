"""Customers: customers/create and customers/update into res.partner, loop-safe.

A change we wrote ourselves (or one that changes nothing Odoo holds) is not written again: the link keeps a
hash of the values last applied, and an echo with the same values is recorded as ``unchanged``. An older
payload (by updated_at) never overwrites newer values.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.utils import timezone

from sync.flows.context import JobContext
from sync.flows.partners import customer_address, external_name, partner_resolve, partner_values
from sync.flows.payloads import job_payload
from sync.models import ExternalLink, SyncJob
from sync.transforms.partners import customer_to_partner


def _values_hash(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:24]


def customer_upsert(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    payload = job_payload(job)
    draft = customer_to_partner(payload)
    _, link_key = external_name(draft)
    address = customer_address(draft)
    values = {**partner_values(draft), "address": address.__dict__}
    digest = _values_hash(values)
    link = ExternalLink.objects.filter(
        shop=ctx.shop, kind=ExternalLink.Kind.CUSTOMER, shopify_id=link_key
    ).first()
    if link is not None:
        if draft.updated_at and link.source_updated_at and draft.updated_at <= link.source_updated_at:
            return {"outcome": "stale", "odoo_partner_id": link.odoo_id}
        if link.data.get("values_hash") == digest:
            return {"outcome": "unchanged", "odoo_partner_id": link.odoo_id}
        with ctx.call("odoo", "update_partner"):
            ctx.odoo.update_partner(link.odoo_id, address)
        outcome = "updated"
        partner_id = link.odoo_id
    else:
        resolved = partner_resolve(ctx, draft, invoice=None, delivery=None)
        partner_id = resolved.partner_id
        outcome = "created" if resolved.created else "linked"
        if not resolved.created:
            # An Odoo partner adopted (by e-mail or an earlier order): give it the customer's current values.
            with ctx.call("odoo", "update_partner"):
                ctx.odoo.update_partner(partner_id, address)
        link = ExternalLink.objects.get(shop=ctx.shop, kind=ExternalLink.Kind.CUSTOMER, shopify_id=link_key)
    # The values both sides now hold: the push of Odoo's owned fields compares with them (customers_out.py).
    link.data = {**link.data, "values_hash": digest, "values": values}
    if draft.updated_at:
        link.source_updated_at = draft.updated_at
    link.label = draft.name[:120]
    link.save()
    return {"outcome": outcome, "odoo_partner_id": partner_id, "written_at": timezone.now().isoformat()}
