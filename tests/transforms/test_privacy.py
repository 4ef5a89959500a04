from __future__ import annotations

import json
from typing import Any

import pytest

from sync.transforms import mask_payload, redact_payload, redacted_partner_values
from sync.transforms.privacy import REDACTED, mask_email, mask_phone, mask_words
from tests.transforms.conftest import load

PAYLOADS = [
    "app-js-2025-01-order.json",
    "app-js-2025-01-customer.json",
    "app-js-2025-01-refund.json",
    "app-js-2025-01-transaction.json",
    "python-api-order.json",
    "python-api-customer.json",
]
PERSONAL = [
    "bob.norman@mail.example.com",
    "bob.norman@hostmail.com",
    "Bob",
    "Norman",
    "+557734881234",
    "+16136120707",
    "555-625-1199",
    "+1(502)-459-2181",
    "Chestnut Street 92",
    "Louisville",
    "40202",
    "45.41634",
    "Léon",
    "imasecretipod",
    "it broke during shipping",
]


def _serialized(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize("name", PAYLOADS)
def test_redaction_leaves_no_personal_value_and_keeps_ids_amounts_skus_and_timestamps(name):
    # given
    payload = load(name)

    # when
    redacted = redact_payload(payload)

    # then
    text = _serialized(redacted)
    assert [value for value in PERSONAL if value in text] == []
    original = _serialized(payload)
    for kept in ("450789469", "207119551", "IPOD2008GREEN", "199.00", "2008-01-10T11:00:00-05:00", "#1001"):
        if kept in original:
            assert kept in text
    assert payload == load(name)  # the input is not modified


def test_redaction_keeps_the_order_shape_and_marks_what_it_removed(reference_order):
    redacted = redact_payload(reference_order)

    assert redacted["id"] == 450789469
    assert redacted["email"] == REDACTED
    assert redacted["billing_address"]["name"] == REDACTED
    assert redacted["billing_address"]["latitude"] is None
    assert redacted["billing_address"]["country_code"] == "US"
    assert redacted["billing_address"]["address2"] == ""  # empty stays empty
    assert redacted["customer"]["tags"] == REDACTED
    assert redacted["tags"] == ""  # order tags are not customer data
    assert redacted["line_items"][0]["name"] == "IPod Nano - 8gb - green"
    assert redacted["line_items"][0]["properties"][0] == {
        "name": "Custom Engraving Front",
        "value": "Happy Birthday",
    }
    assert redacted["total_price_set"] == reference_order["total_price_set"]


def test_note_attributes_that_look_personal_are_redacted():
    payload = {
        "id": 1,
        "note_attributes": [
            {"name": "colour", "value": "green"},
            {"name": "Gift recipient", "value": "Aunt Mary"},
            {"name": "contact", "value": "mary@example.org"},
            {"name": "callback", "value": "+44 20 7946 0958"},
        ],
    }

    redacted = redact_payload(payload)

    assert [a["value"] for a in redacted["note_attributes"]] == ["green", REDACTED, REDACTED, REDACTED]


def test_the_privacy_webhook_shape_is_redacted():
    payload = {
        "shop_id": 954889,
        "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
        "orders_to_redact": [299938],
    }

    assert redact_payload(payload) == {
        "shop_id": 954889,
        "customer": {"id": 191167, "email": REDACTED, "phone": REDACTED},
        "orders_to_redact": [299938],
    }


def test_redacted_partner_values_erase_contact_data_and_avoid_fields_odoo_19_lacks():
    values = redacted_partner_values()

    assert values["name"] == REDACTED
    assert values["email"] is False and values["phone"] is False and values["street"] is False
    assert "mobile" not in values


def test_masking_hides_personal_values_but_keeps_their_shape(reference_order):
    # when
    masked = mask_payload(reference_order)

    # then
    assert masked["email"] == "b***@m***.com"
    assert masked["phone"] == "+55********34"
    assert masked["customer"]["first_name"] == "B***"
    assert masked["billing_address"]["name"] == "B*** N***"
    assert masked["billing_address"]["phone"] == "+1(***)-***-**81"
    assert masked["browser_ip"] == "***"
    text = _serialized(masked)
    assert [v for v in PERSONAL if v in text] == []
    assert masked["line_items"][0]["sku"] == "IPOD2008GREEN"


def test_mask_helpers():
    assert mask_email("jane.doe@example.com") == "j***@e***.com"
    assert mask_phone("+33 6 12 34 56 12") == "+33 * ** ** ** 12"
    assert mask_words("Jane Doe") == "J*** D***"


def test_session_tokens_that_open_the_order_status_page_are_masked_and_redacted():
    from sync.transforms.privacy import mask_payload, redact_payload

    order = {"id": 1, "token": "b1946ac92492d2347c6235b4d2611184", "cart_token": "c1", "checkout_token": "k1"}

    masked, redacted = mask_payload(order), redact_payload(order)

    assert masked["id"] == 1 and redacted["id"] == 1
    for key in ("token", "cart_token", "checkout_token"):
        assert masked[key] != order[key]
        assert redacted[key] != order[key]
