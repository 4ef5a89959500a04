"""Resolve the Odoo partner and contacts for a Shopify customer (or guest), idempotently.

Identity: the Shopify customer id (external id ``shopify_customer_<id>`` in Odoo and an ExternalLink
here); a guest checkout or a customer Odoo does not know yet is matched by e-mail before a new partner is
created. The invoice and delivery contacts of an order are child contacts of the partner, reused while
the address is the same (a hash of the address is kept on the link), so a returning customer costs no
Odoo call.

Company: a shop books into one Odoo company (the SHOP row's ``company_id``), and by default its partners
belong to that company (``res.partner.company_id``): they are found (by external id, by e-mail) and created
within it, with external ids named after the company, so the same customer in two shops on two companies is
a partner in each, never one company's partner on another's order (which Odoo refuses: "no company
crossover is allowed"). A retailer who keeps one customer list for every company sets the SHOP row's
``partners`` to ``shared``: partners are then created without a company and only shared ones are adopted.
A shop without a company keeps shared partners. A link made while the shop was on another company (or
shared) is not reused for the new company: the partner is resolved again there.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from sync.connectors.odoo import Address, PartnerInput
from sync.flows.context import JobContext
from sync.locks import subject_lock, subject_lock_key
from sync.models import ExternalLink
from sync.transforms.types import ContactDraft, PartnerDraft


@dataclass(frozen=True)
class ResolvedPartner:
    partner_id: int
    invoice_id: int
    delivery_id: int
    created: bool


def to_address(draft: ContactDraft | None, *, fallback_name: str = "", email: str | None = None) -> Address:
    if draft is None:
        return Address(name=fallback_name, email=email or "")
    return Address(
        name=draft.name or fallback_name,
        email=draft.email or email or "",
        phone=draft.phone or "",
        street=draft.street or "",
        street2=draft.street2 or "",
        zip=draft.zip or "",
        city=draft.city or "",
        country_code=draft.country_code or "",
        state_code=draft.state_code or "",
    )


def customer_address(draft: PartnerDraft) -> Address:
    """The partner's own values: its default address, with the customer's name, e-mail and phone (which
    Shopify keeps on the customer, not on the address) taking precedence."""
    base = to_address(draft.address, fallback_name=draft.name, email=draft.email)
    return Address(
        **{
            **asdict(base),
            "name": draft.name or base.name,
            "email": draft.email or base.email,
            "phone": draft.phone or base.phone,
        }
    )


def address_hash(address: Address) -> str:
    return hashlib.sha256(json.dumps(asdict(address), sort_keys=True).encode()).hexdigest()[:16]


def partner_company(ctx: JobContext) -> int | None:
    """The Odoo company the shop's partners belong to; None: shared by every company."""
    company = ctx.mappings.company_id
    if company is None or str(ctx.mappings.options.get("partners", "company")) == "shared":
        return None
    return int(company)


def external_name(draft: PartnerDraft, company_id: int | None = None) -> tuple[str, str]:
    """(external id name in Odoo, ExternalLink key) for a customer or a guest (keyed by e-mail); a partner
    of a company has the company in its external id (the ExternalLink key is per shop already)."""
    suffix = f"_company_{company_id}" if company_id else ""
    if draft.external_id:
        return f"shopify_customer_{draft.external_id}{suffix}", draft.external_id
    email = (draft.email or "").strip().lower()
    digest = hashlib.sha256(email.encode()).hexdigest()[:20] if email else "anonymous"
    return f"shopify_guest_{digest}{suffix}", f"guest:{digest}"


def partner_resolve(
    ctx: JobContext, draft: PartnerDraft, *, invoice: ContactDraft | None, delivery: ContactDraft | None
) -> ResolvedPartner:
    """Serialised per customer: a new buyer's customers/create and orders/create run as different jobs
    (different subjects) at the same moment, and must not both create the partner. The lock is the one the
    customer's own jobs hold (session locks are re-entrant, so a customer job does not wait for itself);
    order jobs take it after their order lock, never the other way round, so there is no deadlock."""
    key = subject_lock_key(f"{ctx.shop.pk}:customer:{external_name(draft)[1]}")
    with subject_lock(key):
        return _partner_resolve(ctx, draft, invoice=invoice, delivery=delivery)


def _partner_resolve(
    ctx: JobContext, draft: PartnerDraft, *, invoice: ContactDraft | None, delivery: ContactDraft | None
) -> ResolvedPartner:
    company = partner_company(ctx)
    xmlid, link_key = external_name(draft, company)
    main = customer_address(draft)
    invoice_address = to_address(invoice, fallback_name=draft.name, email=draft.email) if invoice else None
    delivery_address = to_address(delivery, fallback_name=draft.name, email=draft.email) if delivery else None

    link = ExternalLink.objects.filter(
        shop=ctx.shop, kind=ExternalLink.Kind.CUSTOMER, shopify_id=link_key
    ).first()
    if link is not None and not link_fits(link, company):
        link = None  # made for another company: the partner is resolved again in this one
    if link is None:
        with ctx.call("odoo", "find_or_create_partner"):
            ref = ctx.odoo.find_or_create_partner(
                PartnerInput(
                    external_id=xmlid,
                    address=main,
                    invoice_address=invoice_address,
                    delivery_address=delivery_address,
                    company_id=company,
                )
            )
        contacts: dict[str, int] = {}
        if ref.created:  # the contacts were created with the partner, from these very addresses
            if invoice_address is not None:
                contacts[f"invoice:{address_hash(invoice_address)}"] = ref.invoice_id
            if delivery_address is not None:
                contacts[f"delivery:{address_hash(delivery_address)}"] = ref.delivery_id
        link, _ = ExternalLink.objects.update_or_create(
            shop=ctx.shop,
            kind=ExternalLink.Kind.CUSTOMER,
            shopify_id=link_key,
            defaults={
                "odoo_model": "res.partner",
                "odoo_id": ref.partner_id,
                "label": draft.name[:120],
                "data": {"contacts": contacts, "xmlid": xmlid, "company_id": company},
            },
        )
        if ref.created:
            return ResolvedPartner(ref.partner_id, ref.invoice_id, ref.delivery_id, True)

    contacts = dict(link.data.get("contacts", {}))
    invoice_id = partner_contact(ctx, link, contacts, "invoice", invoice_address)
    delivery_id = partner_contact(ctx, link, contacts, "delivery", delivery_address)
    if contacts != link.data.get("contacts", {}):
        link.data = {**link.data, "contacts": contacts}
        link.save(update_fields=["data", "synced_at"])
    return ResolvedPartner(link.odoo_id, invoice_id, delivery_id, False)


def link_fits(link: ExternalLink, company: int | None) -> bool:
    """Whether the partner a customer link names may be used by orders of ``company``: one of that company,
    or a shared one. A link from before partners had companies (no ``company_id`` in its data) names a
    shared partner, valid in every company."""
    if "company_id" not in link.data:
        return True
    linked = link.data.get("company_id")
    return linked is None or linked == company


def partner_contact(
    ctx: JobContext, link: ExternalLink, contacts: dict[str, int], kind: str, address: Address | None
) -> int:
    if address is None:
        return link.odoo_id
    key = f"{kind}:{address_hash(address)}"
    if key in contacts:
        return contacts[key]
    with ctx.call("odoo", f"create_{kind}_contact"):
        contact_id = ctx.odoo.create_contact(
            link.odoo_id, kind, address, company_id=link.data.get("company_id") or None
        )
    contacts[key] = contact_id
    return contact_id


def partner_values(draft: PartnerDraft) -> dict[str, Any]:
    return {"name": draft.name, "email": draft.email or False, "phone": draft.phone or False}
