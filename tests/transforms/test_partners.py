from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sync.transforms import address_to_contact, customer_to_partner
from sync.transforms.types import ContactDraft
from tests.transforms.conftest import load


def test_a_shopify_customer_becomes_a_partner_keyed_by_its_id():
    # given customers/update body
    customer = load("app-js-2025-01-customer.json")

    # when
    partner = customer_to_partner(customer)

    # then
    assert partner.external_id == "207119551"
    assert (partner.name, partner.email, partner.phone) == (
        "Bob Norman",
        "bob.norman@mail.example.com",
        "+16136120707",
    )
    assert partner.address == ContactDraft(
        type="contact",
        name="Chestnut Street 92",
        street="Chestnut Street 92",
        city="Louisville",
        zip="40202",
        state_code="KY",
        country_code="US",
        phone="555-625-1199",
    )
    assert partner.is_guest is False
    assert partner.updated_at == datetime(2025, 1, 2, 11, 25, 58, tzinfo=timezone(timedelta(hours=-5)))


def test_the_wrapped_rest_shape_and_a_customer_without_a_name_fall_back_to_the_email():
    customer = load("python-api-customer.json")
    customer["customer"]["first_name"] = None
    customer["customer"]["last_name"] = ""

    partner = customer_to_partner(customer)

    assert (partner.external_id, partner.name) == ("207119551", "bob.norman@hostmail.com")


def test_a_missing_address_is_none_and_a_company_only_address_is_named_after_the_company():
    assert address_to_contact(None, "delivery") is None
    contact = address_to_contact(
        {"company": "ACME", "address1": "1 Main St", "country_code": "de"}, "invoice"
    )
    assert contact is not None
    assert (contact.type, contact.name, contact.company_name, contact.country_code) == (
        "invoice",
        "ACME",
        "ACME",
        "DE",
    )
    assert contact.odoo_values()["company_name"] == "ACME"
