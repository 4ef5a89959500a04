"""Pure transforms: Shopify payloads plus the active mappings -> Odoo-bound values, and back.

No I/O, no ORM, no settings: every function here takes plain values and returns frozen dataclasses
or dicts, so the tests need neither a database nor a network.
"""

from sync.transforms.money import tax_key
from sync.transforms.orders import order_to_odoo, order_update_to_odoo, payment_journals
from sync.transforms.partners import address_to_contact, customer_to_partner, guest_partner
from sync.transforms.privacy import mask_payload, redact_payload, redacted_partner_values
from sync.transforms.timestamps import is_newer, parse_shopify_timestamp

__all__ = [
    "address_to_contact",
    "customer_to_partner",
    "guest_partner",
    "is_newer",
    "mask_payload",
    "order_to_odoo",
    "order_update_to_odoo",
    "parse_shopify_timestamp",
    "payment_journals",
    "redact_payload",
    "redacted_partner_values",
    "tax_key",
]
