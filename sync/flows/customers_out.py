"""Customers out: Odoo partners linked to Shopify customers push the fields Odoo owns with ``customerUpdate``.

The stream ``partners`` follows top-level ``res.partner`` records. Which fields Odoo owns is per shop (key
``customer_fields_odoo_owns`` of the SHOP mapping row, any of ``name``, ``email``, ``phone``; default
``["name", "phone"]``); the others belong to Shopify and flow in only (sync/flows/customers.py).

Loop-safe both ways, through the values both sides are known to hold, kept on the customer's link
(``data["values"]``, written by the inbound flow and by this one):

- Odoo → Shopify → Odoo: after a push, the link holds the pushed values and their digest, so the
  ``customers/update`` Shopify sends back is recognised by the inbound flow as changing nothing (no call);
- Shopify → Odoo → Shopify: the inbound flow's write to Odoo changes the partner, the stream reads it, and
  this flow finds Odoo's values equal to what Shopify holds: no call.

Shopify refusing a value (an e-mail or phone another customer has) parks on "customer refused by Shopify"
with Shopify's message. A partner with no link is created in Shopify only when the shop's rule says so
(``customer_create_in_shopify``, default false), and only a customer (``customer_rank`` > 0) with an e-mail.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from opsconsole.core.errors import BusinessRuleError
from sync.connectors.odoo import ChangedRecord
from sync.flows.context import JobContext
from sync.kinds import JobRequest
from sync.models import ExternalLink, SyncJob
from sync.transforms.types import ShopMappings

STREAM = "partners"
PARTNER_FIELDS = ("name", "email", "phone", "customer_rank")
OWNABLE = ("name", "email", "phone")
DEFAULT_OWNED = ("name", "phone")


def values_hash(values: Mapping[str, Any]) -> str:
    """The digest the inbound flow keeps of the values it applied (sync/flows/customers.py)."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def partners_domain(mappings: ShopMappings) -> list[Any]:
    return [("parent_id", "=", False)]


def partners_handle(records: Sequence[ChangedRecord], mappings: ShopMappings) -> list[JobRequest]:
    """One ``customer.push`` per partner and state of the fields Odoo may own."""
    requests = []
    for record in records:
        values = {f: _text(record.values.get(f)) for f in OWNABLE}
        digest = values_hash(values)[:12]
        requests.append(
            JobRequest(
                kind="customer.push",
                idempotency_key=f"customer:push:{mappings.shop_domain}:{record.id}:{digest}",
                subject=f"partner:{record.id}",
                subject_label=values["name"][:120],
                input={
                    "partner": {
                        "id": record.id,
                        **values,
                        "customer_rank": int(record.values.get("customer_rank") or 0),
                    }
                },
            )
        )
    return requests


def owned_fields(options: Mapping[str, Any]) -> tuple[str, ...]:
    owned = options.get("customer_fields_odoo_owns")
    if owned is None:
        return DEFAULT_OWNED
    return tuple(f for f in owned if f in OWNABLE)


def split_name(name: str) -> tuple[str, str]:
    """Odoo's one name → Shopify's first and last name (the last word is the last name), so that Shopify's
    ``first last`` reads back as the same Odoo name."""
    parts = name.split()
    if len(parts) < 2:
        return "", name
    return " ".join(parts[:-1]), parts[-1]


def _shopify_fields(changed: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field, value in changed.items():
        if field == "name":
            out["first_name"], out["last_name"] = split_name(value)
        else:
            out[field] = value or None
    return out


def customer_push(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    partner = (job.input or {})["partner"]
    partner_id = int(partner["id"])
    owned = owned_fields(ctx.mappings.options)
    link = ExternalLink.objects.filter(
        shop=ctx.shop, kind=ExternalLink.Kind.CUSTOMER, odoo_model="res.partner", odoo_id=partner_id
    ).first()
    if link is None or link.shopify_id.startswith("guest:"):
        return _create_if_the_rule_says(ctx, partner)
    known = dict(link.data.get("values") or {})
    changed = {
        field: partner[field]
        for field in owned
        if _text(known.get(field)) != partner[field] and partner[field]
    }
    if not changed:
        return {"outcome": "unchanged", "customer": link.shopify_id}
    try:
        with ctx.call("shopify", "customerUpdate"):
            ctx.shopify.update_customer(link.shopify_id, **_shopify_fields(changed))
    except BusinessRuleError as exc:
        raise _refusal(exc, partner) from exc
    # What Shopify now holds, in the inbound flow's terms: its echo (customers/update) changes nothing.
    values = {**known, **changed}
    if isinstance(known.get("address"), dict):
        # The inbound flow's address carries the customer's name, e-mail and phone too (partners.py).
        values["address"] = {**known["address"], **changed}
    link.data = {**link.data, "values": values, "values_hash": values_hash(values)}
    link.save(update_fields=["data", "synced_at"])
    return {"outcome": "updated", "customer": link.shopify_id, "fields": sorted(changed)}


def _refusal(exc: BusinessRuleError, partner: Mapping[str, Any]) -> BusinessRuleError:
    message = str(exc).split(": ", 1)[-1]
    duplicate = "taken" in message.lower()
    return BusinessRuleError(
        f"Shopify refused partner {partner['name']!r}: {message}",
        code="customer_duplicate" if duplicate else "customer_refused",
        key=message[:120],
        system="shopify",
        details={"userErrors": exc.details.get("userErrors"), "odoo_partner_id": partner["id"]},
    )


def _create_if_the_rule_says(ctx: JobContext, partner: Mapping[str, Any]) -> dict[str, Any]:
    if not ctx.mappings.options.get("customer_create_in_shopify"):
        return {"outcome": "not_linked"}
    if not partner["email"] or int(partner.get("customer_rank") or 0) <= 0:
        return {"outcome": "not_a_customer"}
    first, last = split_name(partner["name"])
    try:
        with ctx.call("shopify", "customerCreate"):
            customer = ctx.shopify.create_customer(
                email=partner["email"],
                first_name=first or None,
                last_name=last,
                phone=partner["phone"] or None,
            )
    except BusinessRuleError as exc:
        raise _refusal(exc, partner) from exc
    values = {field: partner[field] or False for field in OWNABLE}
    ExternalLink.objects.update_or_create(
        shop=ctx.shop,
        kind=ExternalLink.Kind.CUSTOMER,
        shopify_id=str(customer.legacy_id),
        defaults={
            "odoo_model": "res.partner",
            "odoo_id": int(partner["id"]),
            "label": partner["name"][:120],
            "data": {"values": values, "created_in_shopify": True},
        },
    )
    return {"outcome": "created", "customer": str(customer.legacy_id)}
