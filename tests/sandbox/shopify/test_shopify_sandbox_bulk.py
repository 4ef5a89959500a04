"""Bulk query operations in the sandbox: validation, the JSONL result at a signed URL that expires, the
``bulk_operations/finish`` webhook, limits, cancellation and failure."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import requests

from opsconsole.core.errors import BusinessRuleError
from tests.support.processes import wait_for

ORDERS_WITH_LINES = (
    "{ orders { edges { node { id name lineItems { edges { node { id sku quantity } } } } } } }"
)


def _finished(client, op_id):
    return wait_for(
        lambda: (op := client.bulk_operation(op_id)) and op.finished and op, timeout=30, message="bulk finish"
    )


def test_a_bulk_query_writes_every_node_as_a_line_children_after_their_parent(fresh, client, receiver):
    # given three orders with their lines, and a subscription to bulk_operations/finish
    client.create_webhook_subscription("BULK_OPERATIONS_FINISH", receiver.url)
    orders = fresh.control.generate_orders(count=3, seed=11)
    # when a bulk query of orders and their line items runs (first: is ignored by bulk queries)
    started = client.run_bulk_query(ORDERS_WITH_LINES.replace("orders {", "orders(first: 1) {"))
    done = _finished(client, started.id)
    lines = list(client.bulk_results(done))
    # then each order is a line followed by its line items, which name it in __parentId
    expected = []
    for o in sorted(orders, key=lambda o: o["processed_at"]):
        expected.append({"id": o["admin_graphql_api_id"], "name": o["name"]})
        expected += [
            {
                "id": li["admin_graphql_api_id"],
                "sku": li["sku"],
                "quantity": li["quantity"],
                "__parentId": o["admin_graphql_api_id"],
            }
            for li in o["line_items"]
        ]
    assert lines == expected
    assert (started.status, done.status, done.error_code) == ("CREATED", "COMPLETED", None)
    assert (done.object_count, done.root_object_count) == (len(expected), 3)
    assert done.file_size == len(requests.get(done.url, timeout=10).content)
    # and the finish webhook carries Shopify's payload, status and type in lower case
    got = receiver.wait_for(lambda r: len(r) == 1)[0]
    body = json.loads(got.body)
    assert got.headers["X-Shopify-Topic"] == "bulk_operations/finish"
    assert body == {
        "admin_graphql_api_id": done.id,
        "completed_at": done.completed_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "created_at": done.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "error_code": None,
        "status": "completed",
        "type": "query",
    }


def test_the_result_url_is_signed_needs_no_token_and_expires_after_seven_days(fresh, client):
    fresh.control.generate_orders(count=1, seed=12)
    done = _finished(client, client.run_bulk_query("{ orders { edges { node { id } } } }").id)
    parts = urlsplit(done.url)
    tampered = done.url.replace(parts.query.split("Signature=")[1][:6], "000000")
    # a download without any Shopify header works; a tampered signature does not
    assert requests.get(done.url, timeout=10).status_code == 200
    assert requests.get(tampered, timeout=10).status_code == 403
    # seven days later the URL is refused and the operation reads EXPIRED without a URL
    fresh.control.advance_clock(7 * 86400 + 1)
    expired = requests.get(done.url, timeout=10)
    again = client.bulk_operation(done.id)
    assert (expired.status_code, b"ExpiredToken" in expired.content) == (400, True)
    assert (again.status, again.url) == ("EXPIRED", None)
    with pytest.raises(BusinessRuleError) as exc:
        list(client.bulk_results(again))
    assert exc.value.code == "bulk_not_completed"


def test_a_query_that_finds_nothing_completes_without_a_url(fresh, client):
    done = _finished(
        client, client.run_bulk_query('{ orders(query: "name:#999999") { edges { node { id } } } }').id
    )
    assert (done.status, done.url, done.object_count, done.file_size) == ("COMPLETED", None, 0, None)
    assert list(client.bulk_results(done)) == []


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("{ shop { name } }", "at least one connection"),
        ('{ node(id: "gid://shopify/Order/1") { id } }', "`node` and `nodes`"),
        (
            "{ orders { edges { node { lineItems { edges { node { id } } }"
            " shippingLines { edges { node { id } } } discountApplications { edges { node { index } } }"
            " fulfillmentOrders { edges { node { id } } } returns { edges { node { id } } } } } } }",
            "more than 5 connections",
        ),
        (
            "{ customers { edges { node { id } } } orders { edges { node { id } } } }",
            "exactly one top-level field",
        ),
        ("{ orders { edges { node { nonsense } } } }", "Cannot query field 'nonsense'"),
        ("mutation { orderCreate { order { id } } }", "Invalid bulk query"),
        ("{ locations { nodes { inventoryLevels { nodes { id } } } } }", None),
    ],
)
def test_bulk_queries_shopify_refuses_are_refused_with_a_user_error(fresh, client, query, reason):
    if reason is None:  # the control case: a valid nested query is accepted
        assert client.run_bulk_query(query).status == "CREATED"
        return
    with pytest.raises(BusinessRuleError) as exc:
        client.run_bulk_query(query)
    assert exc.value.code == "INVALID"
    assert reason in str(exc.value)


def test_five_operations_may_run_at_once_a_sixth_is_refused_and_a_cancelled_one_frees_a_place(
    fresh, client, receiver
):
    client.create_webhook_subscription("BULK_OPERATIONS_FINISH", receiver.url)
    fresh.control.bulk(hold=True)
    running = [client.run_bulk_query("{ orders { edges { node { id } } } }") for _ in range(5)]
    wait_for(lambda: len(client.running_bulk_operations()) == 5, timeout=10, message="five running")
    with pytest.raises(BusinessRuleError) as exc:
        client.run_bulk_query("{ orders { edges { node { id } } } }")
    cancelled = client.cancel_bulk_operation(running[0].id)
    final = _finished(client, running[0].id)
    sixth = client.run_bulk_query("{ products { edges { node { id } } } }")
    assert exc.value.code == "LIMIT_REACHED"
    assert (cancelled.status, final.status, final.url) == ("CANCELING", "CANCELED", None)
    assert sixth.status == "CREATED"
    assert json.loads(receiver.wait_for(lambda r: len(r) == 1)[0].body)["status"] == "canceled"
    with pytest.raises(BusinessRuleError):  # a finished operation cannot be cancelled
        client.cancel_bulk_operation(running[0].id)
    fresh.control.bulk(hold=False)
    assert {_finished(client, op.id).status for op in [*running[1:], sixth]} == {"COMPLETED"}


def test_a_failed_operation_reports_its_error_code_and_partial_data(fresh, client, receiver):
    client.create_webhook_subscription("BULK_OPERATIONS_FINISH", receiver.url)
    fresh.control.generate_orders(count=4, seed=13)
    fresh.control.bulk(fail_next="timeout")
    done = _finished(client, client.run_bulk_query("{ orders { edges { node { id } } } }").id)
    partial = list(client.bulk_results(done, partial=True))
    assert (done.status, done.error_code, done.url) == ("FAILED", "TIMEOUT", None)
    assert len(partial) == 2 and done.partial_data_url
    body = json.loads(receiver.wait_for(lambda r: len(r) == 1)[0].body)
    assert (body["status"], body["error_code"]) == ("failed", "timeout")


def test_operations_are_found_by_id_node_current_and_list_and_the_deprecated_query_says_so(fresh, client):
    done = _finished(client, client.run_bulk_query("{ products { edges { node { id } } } }").id)
    post = lambda q: requests.post(  # noqa: E731
        fresh.graphql_url(), json={"query": q}, headers={"X-Shopify-Access-Token": fresh.token}, timeout=10
    )
    node = post(f'{{ node(id: "{done.id}") {{ ... on BulkOperation {{ id status url }} }} }}').json()
    current = post("{ currentBulkOperation { id status } }")
    listed = post('{ bulkOperations(first: 5, query: "status:COMPLETED") { nodes { id } } }').json()
    assert node["data"]["node"] == {"id": done.id, "status": "COMPLETED", "url": done.url}
    assert current.json()["data"]["currentBulkOperation"] == {"id": done.id, "status": "COMPLETED"}
    assert current.headers["X-Shopify-API-Deprecated-Reason"] == "QueryRoot.currentBulkOperation"
    assert listed["data"]["bulkOperations"]["nodes"] == [{"id": done.id}]
    assert client.running_bulk_operations() == []
