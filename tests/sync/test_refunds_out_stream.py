"""The stream of Odoo credit notes asks for one refund.push per posted credit note, and none for the credit
notes the inbound refund flow made (they came from Shopify)."""

from __future__ import annotations

from sync.connectors.odoo import ChangedRecord
from sync.flows.refunds_out import credit_notes_domain, credit_notes_handle
from tests.transforms.builders import mappings_for


def _record(id: int, **values: object) -> ChangedRecord:
    base = {
        "name": f"RINV/2026/{id:05d}",
        "move_type": "out_refund",
        "state": "posted",
        "amount_total": 12.5,
        "invoice_origin": "S00042",
        "reversed_entry_id": [7, "INV/2026/00007"],
        "ref": "Reversal of: INV/2026/00007, returned by the customer",
    }
    return ChangedRecord(id=id, write_date="2026-11-30 10:00:00", values={**base, **values})


def test_a_posted_credit_note_asks_for_one_refund_and_one_made_from_a_shopify_refund_for_none():
    mappings = mappings_for()
    requests = credit_notes_handle(
        [
            _record(31),
            _record(32, ref="Reversal of: INV/2026/00007, shopify refund 929361472"),
            _record(33, state="draft"),
        ],
        mappings,
    )
    assert [(r.kind, r.idempotency_key, r.subject) for r in requests] == [
        ("refund.push", f"refund:push:{mappings.shop_domain}:31", "odoo-credit-note:31")
    ]
    assert requests[0].input == {
        "credit_note": {
            "id": 31,
            "name": "RINV/2026/00031",
            "amount_total": "12.5",
            "invoice_origin": "S00042",
            "reversed_entry_id": 7,
        }
    }
    assert credit_notes_domain(mappings) == [("move_type", "=", "out_refund"), ("state", "=", "posted")]
