"""Shopify customers and addresses -> ``res.partner`` drafts.

Country and state stay as ISO codes (``country_code``, ``province_code``): resolving them to
``res.country`` / ``res.country.state`` ids needs Odoo, so the flow does it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.transforms.timestamps import parse_shopify_timestamp
from sync.transforms.types import ContactDraft, ContactType, PartnerDraft


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _person_name(obj: Mapping[str, Any]) -> str | None:
    joined = " ".join(p for p in (_text(obj.get("first_name")), _text(obj.get("last_name"))) if p)
    return joined or _text(obj.get("name"))


def address_to_contact(
    address: Mapping[str, Any] | None, type: ContactType, *, email: str | None = None
) -> ContactDraft | None:
    """A Shopify address -> a contact of ``type`` (``invoice``, ``delivery``...); None stays None.

    The contact's name is the person on the address, else its company, else its first street line,
    so Odoo (which requires a name) always gets one.
    """
    if not address:
        return None
    company = _text(address.get("company"))
    name = _person_name(address) or company or _text(address.get("address1")) or (email or "") or "-"
    return ContactDraft(
        type=type,
        name=name,
        company_name=company,
        street=_text(address.get("address1")),
        street2=_text(address.get("address2")),
        city=_text(address.get("city")),
        zip=_text(address.get("zip")),
        state_code=_text(address.get("province_code")),
        country_code=(_text(address.get("country_code")) or "").upper() or None,
        phone=_text(address.get("phone")),
        email=email,
    )


def customer_to_partner(customer: Mapping[str, Any]) -> PartnerDraft:
    """A customers/create|update body (or an order's ``customer``) -> the customer partner draft."""
    if "customer" in customer and isinstance(customer["customer"], Mapping) and "id" not in customer:
        customer = customer["customer"]  # the REST wrapper {"customer": {...}}
    email = _text(customer.get("email"))
    phone = _text(customer.get("phone"))
    default_address = customer.get("default_address")
    if not default_address:
        addresses = customer.get("addresses") or []
        default_address = next(
            (a for a in addresses if a.get("default")), addresses[0] if addresses else None
        )
    address = address_to_contact(default_address, "contact")
    name = (
        _person_name(customer)
        or _person_name(default_address or {})
        or email
        or phone
        or f"Shopify customer {customer.get('id')}"
    )
    return PartnerDraft(
        external_id=str(customer["id"]) if customer.get("id") is not None else None,
        name=name,
        email=email,
        phone=phone or (address.phone if address else None),
        address=address,
        is_guest=False,
        updated_at=parse_shopify_timestamp(customer.get("updated_at")),
    )


def guest_partner(order: Mapping[str, Any]) -> PartnerDraft:
    """A guest checkout (``customer`` null): a partner from the billing address and the order email."""
    email = _text(order.get("email")) or _text(order.get("contact_email"))
    billing = order.get("billing_address") or order.get("shipping_address")
    address = address_to_contact(billing, "contact", email=email)
    name = (
        (_person_name(billing) if billing else None)
        or email
        or f"Guest {order.get('name') or order.get('id')}"
    )
    return PartnerDraft(
        external_id=None,
        name=name,
        email=email,
        phone=_text(order.get("phone")) or (address.phone if address else None),
        address=address,
        is_guest=True,
        updated_at=parse_shopify_timestamp(order.get("updated_at")),
    )


def order_partner(order: Mapping[str, Any]) -> PartnerDraft:
    """The order's customer partner, or a guest partner when ``customer`` is null."""
    customer = order.get("customer")
    if customer and customer.get("id") is not None:
        partner = customer_to_partner(customer)
        if partner.email is None and order.get("email"):
            partner = PartnerDraft(
                external_id=partner.external_id,
                name=partner.name,
                email=_text(order.get("email")),
                phone=partner.phone,
                address=partner.address,
                updated_at=partner.updated_at,
            )
        return partner
    return guest_partner(order)
