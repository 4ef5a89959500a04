"""What the real 2026-07 schema makes the sandbox do: scalars serialised as strings, enums enforced, the real
user-error codes, idempotency keys as Shopify documents them, and the privacy topics kept out of the API and
delivered to the app's compliance URL."""

from __future__ import annotations

import json
import uuid

import requests

from sync.connectors.shopify import verify_webhook


def post(sb, query, variables=None, *, version="2026-07"):
    return requests.post(
        sb.graphql_url(version),
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": sb.token},
        timeout=10,
    ).json()


def test_unsigned_int64_big_int_and_decimal_come_as_strings(fresh):
    order = fresh.control.generate_orders(count=1, seed=21, gift_card=False)[0]
    fresh.control.build_payouts()
    body = post(
        fresh,
        "query($id: ID!) { order(id: $id) { legacyResourceId totalPriceSet { shopMoney { amount } } } "
        "shopifyPaymentsAccount { balanceTransactions(first: 1) { nodes { sourceId } } } }",
        {"id": order["admin_graphql_api_id"]},
    )["data"]
    assert body["order"]["legacyResourceId"] == str(order["id"])
    assert body["order"]["totalPriceSet"]["shopMoney"]["amount"] == order["total_price"]
    assert isinstance(body["shopifyPaymentsAccount"]["balanceTransactions"]["nodes"][0]["sourceId"], str)


def test_currency_and_country_codes_are_enums_an_unknown_one_is_refused_before_anything_runs(fresh):
    bad_currency = post(
        fresh,
        "mutation($o: OrderCreateOrderInput!) { orderCreate(order: $o) { order { id } } }",
        {"o": {"currency": "EURO", "lineItems": [{"title": "x", "quantity": 1}]}},
    )
    bad_country = post(
        fresh,
        "mutation($i: CustomerInput!) { customerCreate(input: $i) { customer { id } } }",
        {"i": {"email": "a@example.com", "addresses": [{"countryCode": "XX"}]}},
    )
    assert "data" not in bad_currency
    assert "Value 'EURO' does not exist in 'CurrencyCode' enum" in bad_currency["errors"][0]["message"]
    assert "Value 'XX' does not exist in 'CountryCode' enum" in bad_country["errors"][0]["message"]
    assert [c["email"] for c in fresh.control.customers()].count("a@example.com") == 0


def test_removed_inputs_are_refused_and_required_ones_demanded(fresh):
    stale = post(
        fresh,
        'mutation { inventorySetQuantities(input: {name: "available", reason: "correction",'
        ' ignoreCompareQuantity: true, quantities: []}) @idempotent(key: "k1") { userErrors { code } } }',
    )
    no_options = post(
        fresh,
        'mutation { productSet(input: {title: "T", variants: [{price: "1.00"}]}) { userErrors { code } } }',
    )
    assert stale["errors"][0]["message"].startswith(
        "Expected value of type 'InventorySetQuantitiesInput' not to include unknown field"
        " 'ignoreCompareQuantity'"
    )
    assert "optionValues" in no_options["errors"][0]["message"]


def _set(sb, key, quantity, change_from, *, name="available"):
    items = {lv["sku"]: lv for lv in sb.control.inventory()}
    level = items["MERINOTE-M-NAVY"]
    return post(
        sb,
        "mutation($i: InventorySetQuantitiesInput!, $k: String!) { inventorySetQuantities(input: $i)"
        " @idempotent(key: $k) { inventoryAdjustmentGroup { id } userErrors { field message code } } }",
        {
            "k": key,
            "i": {
                "name": name,
                "reason": "correction",
                "quantities": [
                    {
                        "inventoryItemId": f"gid://shopify/InventoryItem/{level['inventory_item_id']}",
                        "locationId": f"gid://shopify/Location/{level['location_id']}",
                        "quantity": quantity,
                        "changeFromQuantity": change_from,
                    }
                ],
            },
        },
    )["data"]["inventorySetQuantities"], level


def test_a_quantity_name_shopify_does_not_set_is_invalid_name(fresh):
    answer, _level = _set(fresh, str(uuid.uuid4()), 5, None, name="damaged")
    assert answer["userErrors"] == [
        {
            "field": ["input", "name"],
            "message": "The quantity name must be either 'available' or 'on_hand'.",
            "code": "INVALID_NAME",
        }
    ]


def test_an_idempotency_key_reused_with_other_arguments_or_after_a_failure_is_refused(fresh):
    key = str(uuid.uuid4())
    first, _level = _set(fresh, key, 40, None)
    replay, _ = _set(fresh, key, 40, None)
    other, _ = _set(fresh, key, 41, None)
    stale_key = str(uuid.uuid4())
    stale, _ = _set(fresh, stale_key, 7, 999)
    retried, _ = _set(fresh, stale_key, 7, 999)
    after = {lv["sku"]: lv for lv in fresh.control.inventory()}["MERINOTE-M-NAVY"]
    assert (
        first["userErrors"] == [] and replay["inventoryAdjustmentGroup"] == first["inventoryAdjustmentGroup"]
    )
    assert [e["code"] for e in other["userErrors"]] == ["IDEMPOTENCY_KEY_PARAMETER_MISMATCH"]
    assert [e["code"] for e in stale["userErrors"]] == ["CHANGE_FROM_QUANTITY_STALE"]
    assert [e["code"] for e in retried["userErrors"]] == ["IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"]
    assert after["available"] == 40  # only the first call wrote


def test_a_blank_idempotency_key_is_refused_and_inventory_activate_needs_one_from_2026_04(fresh):
    blank = post(
        fresh,
        'mutation { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: []})'
        ' @idempotent(key: " ") { userErrors { code } } }',
    )
    activate = (
        'mutation { inventoryActivate(inventoryItemId: "gid://shopify/InventoryItem/1",'
        ' locationId: "gid://shopify/Location/1") { userErrors { message } } }'
    )
    assert (
        blank["errors"][0]["message"] == "The idempotency key cannot be an empty string or whitespace only."
    )
    assert "@idempotent directive is required" in post(fresh, activate)["errors"][0]["message"]
    assert post(fresh, activate, version="2026-01")["data"]["inventoryActivate"]["userErrors"] == [
        {"message": "The product couldn't be stocked because it doesn't exist."}
    ]


def test_privacy_topics_cannot_be_subscribed_through_the_api(fresh, receiver):
    answer = post(
        fresh,
        "mutation { webhookSubscriptionCreate(topic: CUSTOMERS_REDACT, webhookSubscription:"
        f' {{uri: "{receiver.url}"}}) {{ userErrors {{ message }} }} }}',
    )
    assert "data" not in answer
    assert (
        "Value 'CUSTOMERS_REDACT' does not exist in 'WebhookSubscriptionTopic' enum"
        in (answer["errors"][0]["message"])
    )
    assert fresh.control.subscriptions()["subscriptions"] == []


def test_privacy_webhooks_go_to_the_apps_compliance_url_signed_like_every_webhook(fresh, receiver):
    # given an app whose configuration names a compliance URL (and no API subscription at all)
    fresh.control.app_config(compliance_url=receiver.url, webhooks_api_version="2026-04")
    customer = fresh.control.customers()[0]
    # when Shopify sends a customer's redaction and a shop redaction
    fresh.control.privacy("customers/redact", customer["id"])
    fresh.control.privacy("shop/redact")
    got = receiver.wait_for(lambda r: len(r) == 2)
    # then both arrive at that URL, signed with the client secret and serialised with the app's version
    assert sorted(r.headers["X-Shopify-Topic"] for r in got) == ["customers/redact", "shop/redact"]
    assert all(verify_webhook(r.body, r.headers["X-Shopify-Hmac-Sha256"], [fresh.client_secret]) for r in got)
    assert {r.headers["X-Shopify-API-Version"] for r in got} == {"2026-04"}
    assert {r.headers["X-Shopify-Shop-Domain"] for r in got} == {fresh.domain}
    assert json.loads(got[0].body)["shop_domain"] == fresh.domain


def test_without_a_compliance_url_a_privacy_webhook_is_logged_as_undeliverable(fresh, receiver):
    fresh.control.privacy("shop/redact")
    rows = fresh.control.deliveries(topic="shop/redact")
    assert [(d["status"], d["cancel_reason"]) for d in rows] == [
        ("dropped", "the app has no compliance webhook URL configured")
    ]
    assert receiver.requests == []
