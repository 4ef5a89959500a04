"""The sandbox's Admin GraphQL endpoint: cost model, bucket, versions, limits, and the API faults."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from opsconsole.core.errors import AuthError, ContractError, RateLimited, TransientError
from sync.connectors.shopify import InMemoryThrottleStore, Throttle


def post(sb, query, variables=None, *, version="2026-07", token=None):
    return requests.post(
        sb.graphql_url(version),
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": token or sb.token},
        timeout=10,
    )


def test_query_cost_counts_objects_and_connection_sizes(fresh):
    # given a query with one object field and a connection of 10 nodes with a nested object
    query = "{ shop { name } locations(first: 10) { nodes { id address { city } } } }"
    # when it runs against a shop with 2 locations
    body = post(fresh, query).json()
    cost = body["extensions"]["cost"]
    # then requested = shop 1 + connection (2 + 10 x (node 1 + address 1)); actual uses the 2 nodes returned
    assert cost["requestedQueryCost"] == 1 + 2 + 10 * 2
    assert cost["actualQueryCost"] == 1 + 2 + 2 * 2
    assert cost["throttleStatus"]["maximumAvailable"] == 1000.0
    assert cost["throttleStatus"]["restoreRate"] == 100.0


def test_a_mutation_costs_ten_points(fresh):
    body = post(
        fresh,
        'mutation { customerCreate(input: {email: "x@example.com"}) { customer { id } '
        "userErrors { message } } }",
    ).json()
    assert body["extensions"]["cost"]["requestedQueryCost"] == 10
    assert body["extensions"]["cost"]["actualQueryCost"] == 10


def test_an_empty_bucket_answers_throttled_without_data(fresh):
    # given a bucket drained to zero that restores slowly
    fresh.control.settings(restore_rate=1, maximum=100, bucket_available=0)
    # when a query costing more than what is available arrives
    resp = post(fresh, "{ locations(first: 5) { nodes { id } } }")
    # then Shopify's THROTTLED answer comes back, with the cost and no data
    body = resp.json()
    assert resp.status_code == 200
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert body["extensions"]["cost"]["requestedQueryCost"] == 7
    assert body["extensions"]["cost"]["actualQueryCost"] is None
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] < 7


def test_a_query_over_the_single_query_maximum_is_refused(fresh):
    query = "{ orders(first: 250) { nodes { id lineItems(first: 250) { nodes { id } } } } }"
    body = post(fresh, query).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


def test_more_than_250_input_items_are_refused(fresh):
    quantities = [
        {
            "inventoryItemId": "gid://shopify/InventoryItem/1",
            "locationId": "gid://shopify/Location/1",
            "quantity": 1,
            "changeFromQuantity": 0,
        }
    ] * 251
    query = (
        "mutation($i: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $i) "
        '@idempotent(key: "k") { userErrors { message } } }'
    )
    body = post(
        fresh, query, {"i": {"name": "available", "reason": "correction", "quantities": quantities}}
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert "data" not in body


def test_every_answer_names_the_api_version_and_an_old_version_falls_forward_with_a_deprecation(fresh):
    current = post(fresh, "{ shop { name } }")
    old = post(fresh, "{ shop { name } }", version="2024-01")
    assert current.headers["X-Shopify-API-Version"] == "2026-07"
    assert "X-Shopify-API-Deprecated-Reason" not in current.headers
    assert old.headers["X-Shopify-API-Version"] == "2026-01"
    assert old.headers["X-Shopify-API-Deprecated-Reason"].startswith("https://shopify.dev/")


def test_a_deprecated_field_is_named_in_the_deprecation_header(fresh):
    resp = post(fresh, "{ shop { products(first: 1) { nodes { id } } } }")
    assert resp.headers["X-Shopify-API-Deprecated-Reason"] == "Shop.products"


def test_wrong_token_is_401_and_unknown_version_is_404(fresh):
    assert post(fresh, "{ shop { name } }", token="shpat_wrong").status_code == 401
    assert post(fresh, "{ shop { name } }", version="2026-13").status_code == 404


def test_connections_require_first(fresh):
    body = post(fresh, "{ orders { nodes { id } } }").json()
    assert body["errors"][0]["message"] == "you must provide one of first or last"


def test_orders_search_by_updated_at_and_cursor_pagination(fresh, client):
    # given five orders, the last two created three hours later on the sandbox clock
    early = fresh.control.generate_orders(count=3, seed=20)
    fresh.control.advance_clock(3 * 3600)
    late = fresh.control.generate_orders(count=2, seed=21)
    # when the window starts one hour after the early ones, read two per page
    cutoff = early[0]["created_at"].replace("+00:00", "Z")
    refs = client.list_orders(updated_at_min=None, created_at_min=None)
    window = list(client.iter_orders(updated_at_min=_plus_hour(cutoff), page_size=1))
    # then every order is listed once and the window holds exactly the late ones
    assert sorted(r.legacy_id for r in refs) == sorted(o["id"] for o in early + late)
    assert sorted(r.legacy_id for r in window) == sorted(o["id"] for o in late)


def _plus_hour(iso_z):
    from datetime import datetime, timedelta

    return datetime.fromisoformat(iso_z.replace("Z", "+00:00")) + timedelta(hours=1)


def test_5xx_is_retried_by_the_connector(fresh, client):
    fresh.control.api_fault("5xx", count=2, status=503)
    resp = client.transport.execute("{ shop { name } }")
    assert resp.attempts == 3
    assert resp.data == {"shop": {"name": "Demo"}}


def test_5xx_that_does_not_end_is_a_transient_error(fresh, new_client):
    client = new_client(fresh, max_attempts=2)
    fresh.control.api_fault("5xx", count=5, status=500)
    with pytest.raises(TransientError) as exc:
        client.shop_info()
    assert type(exc.value) is TransientError
    assert exc.value.details["status"] == 500


def test_429_with_retry_after_is_waited_for_and_retried(fresh, new_client):
    sleeps = []
    client = new_client(fresh, throttle=Throttle(InMemoryThrottleStore(), sleep=sleeps.append))
    client.transport.sleep = sleeps.append
    fresh.control.api_fault("429", count=1, retry_after=2)
    info = client.shop_info()
    assert info.name == "Demo"
    assert sleeps == [2.0]


def test_429_that_does_not_end_is_rate_limited_with_retry_after(fresh, new_client):
    client = new_client(fresh, max_attempts=2)
    client.transport.sleep = lambda _s: None
    fresh.control.api_fault("429", count=3, retry_after=3)
    with pytest.raises(RateLimited) as exc:
        client.shop_info()
    assert exc.value.retry_after == 3.0


def test_latency_fault_delays_but_answers(fresh, client):
    fresh.control.api_fault("latency", count=1, latency_ms=300)
    assert client.shop_info().currency == "EUR"


def test_wrong_token_is_an_auth_error(fresh, new_client):
    client = new_client(fresh)
    client.transport.headers["X-Shopify-Access-Token"] = "shpat_wrong"
    with pytest.raises(AuthError):
        client.shop_info()


def test_graphql_errors_are_contract_errors(client):
    with pytest.raises(ContractError) as exc:
        client.graphql("{ shop { noSuchField } }")
    assert "noSuchField" in exc.value.message


def test_an_empty_bucket_makes_the_connector_wait_instead_of_failing(fresh, new_client):
    # given a small bucket (20 points, 10 per second) and a client whose throttle records its waits
    fresh.control.settings(restore_rate=10, maximum=20, bucket_available=20)
    throttle = Throttle(InMemoryThrottleStore())
    client = new_client(fresh, throttle=throttle)
    customer = client.create_customer(email=f"{uuid.uuid4().hex[:8]}@example.com")
    # when three 10-point mutations run back to back (the third finds the bucket empty)
    results = [
        client.transport.execute(
            "mutation($i: CustomerInput!) { customerUpdate(input: $i) { userErrors { message } } }",
            {"i": {"id": customer.id, "note": str(n)}},
            estimate=10,
        )
        for n in range(3)
    ]
    # then the throttle waited before a call, and no call was answered THROTTLED or failed
    assert throttle.waits >= 1
    assert [r.attempts for r in results] == [1, 1, 1]
    assert [r.data["customerUpdate"]["userErrors"] for r in results] == [[], [], []]


def test_version_mismatch_and_deprecation_are_recorded_as_warnings(fresh, new_client):
    client = new_client(fresh, api_version="2024-10")
    client.shop_info()
    assert client.api_version_seen == "2026-01"
    assert [w.kind for w in client.warnings] == ["version_mismatch", "deprecated"]
    assert client.warnings[0].served_version == "2026-01"


SET_QUERY = (
    "mutation($i: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $i) %s "
    "{ inventoryAdjustmentGroup { id } userErrors { code } } }"
)


def _set_input(client):
    ref = client.inventory_items_by_sku(["GIFTBOX-STD"])["GIFTBOX-STD"]
    location = client.locations()[0]
    current = client.inventory_quantities(ref.inventory_item_id, [location.id])[location.id]["available"]
    return {
        "name": "available",
        "reason": "correction",
        "quantities": [
            {
                "inventoryItemId": ref.inventory_item_id,
                "locationId": location.id,
                "quantity": current + 1,
                "changeFromQuantity": current,
            }
        ],
    }


def test_idempotent_directive_is_required_from_2026_04_and_optional_before(fresh, client):
    variables = {"i": _set_input(client)}
    new = post(fresh, SET_QUERY % "", variables, version="2026-07").json()
    old = post(fresh, SET_QUERY % "", variables, version="2026-01").json()
    assert new["errors"][0]["message"].startswith("The @idempotent directive is required")
    assert new["data"]["inventorySetQuantities"] is None
    assert old["data"]["inventorySetQuantities"]["userErrors"] == []


def test_a_repeated_idempotency_key_replays_the_first_result(fresh, client):
    variables = {"i": _set_input(client)}
    first = post(fresh, SET_QUERY % '@idempotent(key: "same-key")', variables).json()
    second = post(fresh, SET_QUERY % '@idempotent(key: "same-key")', variables).json()
    group = first["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]["id"]
    assert second["data"]["inventorySetQuantities"] == {
        "inventoryAdjustmentGroup": {"id": group},
        "userErrors": [],
    }


def test_a_second_shop_has_its_own_token_plan_and_taxes(fresh, new_client):
    fresh.control.create_shop(
        "eu-incl.myshopify.com",
        token="shpat_second",
        client_secret="second-secret",
        plan="advanced",
        taxes_included=True,
    )
    body = post(fresh, "{ shop { myshopifyDomain taxesIncluded } }", token="shpat_second").json()
    order = fresh.control.generate_orders(domain="eu-incl.myshopify.com", count=1, seed=1)[0]
    assert body["data"]["shop"] == {"myshopifyDomain": "eu-incl.myshopify.com", "taxesIncluded": True}
    assert body["extensions"]["cost"]["throttleStatus"]["restoreRate"] == 200.0
    assert order["taxes_included"] is True
    assert [
        o["id"] for o in fresh.control.request("GET", "/_sandbox/shops/demo.myshopify.com/orders")["orders"]
    ] == []


def test_a_retry_after_a_lost_answer_reuses_the_idempotency_key_so_the_refund_happens_once(fresh, client):
    # given an order and a gateway error that loses the answer of the next request after executing it
    from sync.connectors.shopify.types import RefundLine

    order = fresh.control.generate_orders(count=1, skus=["GIFTBOX-STD"], quantity=2, seed=1, gift_card=False)[
        0
    ]
    fresh.control.api_fault("5xx", count=1, status=502, after=True)
    client.transport.sleep = lambda _s: None
    # when the connector refunds one unit
    refund = client.create_refund(order["id"], lines=[RefundLine(str(order["line_items"][0]["id"]), 1)])
    # then its retry got the first refund back and the order was refunded once
    after = fresh.control.order(order["id"])
    assert [r["id"] for r in after["refunds"]] == [refund.legacy_id]
    assert after["line_items"][0]["current_quantity"] == 1


def test_a_throttled_answer_is_waited_out_and_retried(fresh, new_client):
    # given a bucket that the next request finds empty (100 points per second)
    sleeps = []
    client = new_client(fresh)

    def sleep(seconds):
        sleeps.append(seconds)
        time.sleep(seconds)

    client.transport.sleep = sleep
    fresh.control.api_fault("throttle", count=1)
    # when a 52-point query runs
    resp = client.transport.execute("{ locations(first: 50) { nodes { id } } }")
    # then it was answered THROTTLED once, waited for about the missing points, and succeeded
    assert resp.attempts == 2
    assert len(resp.data["locations"]["nodes"]) == 2
    assert len(sleeps) == 1
    assert 0.1 < sleeps[0] <= 0.52
