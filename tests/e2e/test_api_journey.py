"""The unknown-SKU journey through the JSON API alone: an order parks on a SKU nobody mapped → admin A
proposes the SKU mapping → admin B approves it → the order reaches Odoo. Every opsconsole step below is an
HTTP call to /api/v1/ with a personal token (the Odoo look-up is what the admin would do in Odoo); the
sandboxes and the worker are real, as in the other end-to-end tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests

from opsconsole.core.models import AuditEntry
from opsconsole.core.tokens import api_token_create
from tests.factories import UserFactory
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base = f"{base}/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> Any:
        response = self.session.get(f"{self.base}{path}", params=params, timeout=15)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: Any, expect: int = 200) -> Any:
        response = self.session.post(f"{self.base}{path}", json=body, timeout=30)
        assert response.status_code == expect, response.text
        return response.json()


def test_an_order_parked_on_an_unknown_sku_reaches_odoo_through_the_api_alone(pipeline, live_server):
    # given two integration admins with their own tokens (made in the console) and an order whose SKU
    # exists in Odoo but is mapped to nothing
    tokens = {}
    for name in ("admin_a", "admin_b"):
        user = UserFactory(username=name, role="integration_admin")
        tokens[name] = api_token_create(actor=user, name="journey", days=7)[1]
    admin_a, admin_b = Api(live_server.url, tokens["admin_a"]), Api(live_server.url, tokens["admin_b"])
    order = pipeline.generate_orders(1, skus=["BEANIE-RUST"], quantity=1, seed=21)[0]

    # when the order parks, the problem shows in the API's exception queue with its parked job
    def parked_problem() -> dict[str, Any] | None:
        found = admin_a.get("/problems/", q="BEANIE-RUST")["results"]
        return found[0] if found and found[0]["blocked"] == 1 else None

    problem = wait_for(parked_problem, timeout=60, message="the order parked on unknown_sku:BEANIE-RUST")
    assert (problem["fingerprint"], problem["status"], problem["shop_id"]) == (
        "unknown_sku:BEANIE-RUST",
        "open",
        pipeline.shop.pk,
    )
    detail = admin_a.get(f"/problems/{problem['id']}/")
    [job] = detail["parked_jobs"]
    assert admin_a.get(f"/jobs/{job['id']}/")["state"] == "needs_attention"
    assert pipeline.sale_orders(order["id"]) == []

    # admin A looks the product up in Odoo and proposes the mapping
    [product] = pipeline.rpc.env["product.product"].search_read(
        [("default_code", "=", "BEANIE-RUST")], ["id"]
    )
    fields = {t["table"]: t for t in admin_a.get("/mapping-tables/", shop=pipeline.shop.pk)["tables"]}
    assert [f["name"] for f in fields["sku"]["fields"]] == ["product_id", "default_code"]
    change = admin_a.post(
        "/mapping-changes/",
        {
            "shop": pipeline.shop.pk,
            "summary": "Map BEANIE-RUST",
            "rows": [
                {
                    "table": "sku",
                    "key": "BEANIE-RUST",
                    "value": {"product_id": product["id"], "default_code": "BEANIE-RUST"},
                }
            ],
        },
        expect=201,
    )
    assert (change["state"], change["unblocks"]) == ("proposed", [job["id"]])

    # A may not approve their own change (the console's maker-checker rule)
    refused = admin_a.session.post(
        f"{admin_a.base}/mapping-changes/{change['id']}/approve/", json={}, timeout=15
    )
    assert refused.status_code == 403
    assert pipeline.sale_orders(order["id"]) == []

    # when admin B approves it
    approved = admin_b.post(f"/mapping-changes/{change['id']}/approve/", {"note": "checked in Odoo"})
    assert (approved["state"], approved["decided_by"]) == ("approved", "admin_b")

    # then the parked order replays by itself and reaches Odoo exactly once, with the approved mapping
    def succeeded() -> dict[str, Any] | None:
        body = admin_b.get(f"/jobs/{job['id']}/")
        return body if body["state"] == "succeeded" else None

    done = wait_for(succeeded, timeout=90, message="the replayed order job succeeded")
    assert done["mapping_version"] == approved["version"]
    assert [a["outcome"] for a in done["attempt_set"]] == ["parked", "succeeded"]
    assert done["links"]["odoo_label"].startswith("sale.order ")
    orders = pipeline.sale_orders(order["id"])
    assert len(orders) == 1 and orders[0]["state"] == "sale"
    assert Decimal(str(orders[0]["amount_total"])).quantize(Decimal("0.01")) == Decimal(order["total_price"])
    assert admin_b.get(f"/problems/{problem['id']}/")["status"] == "resolved"

    # and every step is in the audit log, by the person whose token made it
    actions = list(
        AuditEntry.objects.filter(action__startswith="mapping.", object_id=str(change["id"])).values_list(
            "action", "actor_name"
        )
    )
    assert sorted(actions) == [("mapping.approve", "admin_b"), ("mapping.propose", "admin_a")]
    api_calls = AuditEntry.objects.filter(action__in=["api.create", "api.approve"]).order_by("pk")
    assert [(e.action, e.actor_name, e.after["status"]) for e in api_calls] == [
        ("api.create", "admin_a", 201),
        ("api.approve", "admin_a", 403),
        ("api.approve", "admin_b", 200),
    ]
