"""/api/v1/ mapping tables and changes (maker-checker through the console's services), connections with
their health, stored and refused webhook deliveries."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from opsconsole.core.models import AuditEntry
from sandbox.odoo.testing import RunningOdooSandbox, odoo_sandbox
from sync.engine.clients import clients_reset
from sync.models import JobState, MappingChange, MappingEntry, RejectedDelivery, SyncJob
from sync.services.mappings import MappingRow, mapping_apply
from tests.api.conftest import make_job
from tests.console.conftest import queued_job_ids
from tests.support.odoo import Rpc, shop_on_standin


@pytest.fixture(scope="module")
def odoo_standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningOdooSandbox]:
    with odoo_sandbox(tmp_path_factory.mktemp("api-mappings-odoo"), version=19, seed=True) as sandbox:
        yield sandbox


def _product_id(sandbox: RunningOdooSandbox, sku: str) -> int:
    return int(Rpc(sandbox)("product.product", "search", [("default_code", "=", sku)])[0])


def test_mapping_tables_and_entries_of_a_shop(shop, api_for):
    client, _, _ = api_for("viewer")

    tables = client.get("/api/v1/mapping-tables/", shop=shop.pk).json()
    assert tables["shop_id"] == shop.pk and tables["version"] == 1
    sku = next(t for t in tables["tables"] if t["table"] == "sku")
    assert (sku["entries"], [f["name"] for f in sku["fields"]]) == (1, ["product_id", "default_code"])

    entries = client.get("/api/v1/mapping-entries/", shop=shop.pk, table="sku").json()["results"]
    assert [(e["key"], e["value"]) for e in entries] == [
        ("WOOLSOCK-M-GREY", {"product_id": 41, "default_code": "WOOLSOCK-M-GREY"})
    ]
    missing = client.get("/api/v1/mapping-entries/", table="sku")
    assert missing.status_code == 400 and list(missing.json()["error"]["fields"]) == ["shop"]
    assert client.get("/api/v1/mapping-tables/").status_code == 400


def test_a_change_proposed_by_one_admin_is_approved_by_another_and_replays_what_it_unblocks(
    shop, api_for, odoo_standin
):
    shop_on_standin(shop, odoo_standin)
    clients_reset()
    product = _product_id(odoo_standin, "MERINOTE-S-NAVY")
    parked = make_job(shop, sku="NEW-SKU")
    maker, maker_user, _ = api_for("integration_admin", username="maker")
    checker, checker_user, _ = api_for("integration_admin", username="checker")

    proposed = maker.post(
        "/api/v1/mapping-changes/",
        {"shop": shop.pk, "rows": [{"table": "sku", "key": "NEW-SKU", "value": {"product_id": product}}]},
    )
    assert proposed.status_code == 201, proposed.content
    change = proposed.json()
    assert (change["state"], change["proposed_by"], change["unblocks"]) == ("proposed", "maker", [parked.pk])
    assert change["diff"] == [
        {
            "table": "sku",
            "key": "NEW-SKU",
            "action": "create",
            "before": None,
            "after": {"product_id": product},
        }
    ]

    own = maker.post(f"/api/v1/mapping-changes/{change['id']}/approve/")
    assert own.status_code == 403
    assert own.json()["error"]["message"] == "a change must be approved by someone other than its proposer"
    assert MappingChange.objects.get(pk=change["id"]).state == MappingChange.State.PROPOSED

    approved = checker.post(f"/api/v1/mapping-changes/{change['id']}/approve/", {"note": "checked in Odoo"})
    assert approved.status_code == 200
    assert (approved.json()["state"], approved.json()["version"], approved.json()["decided_by"]) == (
        "approved",
        2,
        "checker",
    )
    assert MappingEntry.objects.get(shop=shop, key="NEW-SKU", valid_to__isnull=True).value == {
        "product_id": product
    }
    assert SyncJob.objects.get(pk=parked.pk).state == JobState.QUEUED
    assert queued_job_ids() == [parked.pk]
    assert AuditEntry.objects.get(action="mapping.propose").actor == maker_user
    assert AuditEntry.objects.get(action="mapping.approve").actor == checker_user
    again = checker.post(f"/api/v1/mapping-changes/{change['id']}/reject/", {"note": "too late"})
    assert (again.status_code, again.json()["error"]["message"]) == (400, "this change is already approved")


def test_a_proposed_id_odoo_does_not_have_for_the_shops_company_is_refused(shop, api_for, odoo_standin):
    shop_on_standin(shop, odoo_standin)
    clients_reset()
    admin, _, _ = api_for("integration_admin", username="adm")
    general = Rpc(odoo_standin)("account.journal", "search", [("type", "=", "general")], limit=1)[0]
    rows: list[dict[str, Any]] = [
        {"table": "sku", "key": "K", "value": {"product_id": 999999}},
        {"table": "gateway", "key": "stripe", "value": {"journal_id": general, "name": "Misc"}},
    ]

    response = admin.post("/api/v1/mapping-changes/", {"shop": shop.pk, "rows": rows})

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["rows"] == [
        "sku K: product_id 999999 is no product that company 1 of Odoo can use (no such record, another kind "
        "of record, or another company's)",
        f"gateway stripe: journal_id {general} is no journal that company 1 of Odoo can use (no such record, "
        "another kind of record, or another company's)",
    ]
    assert MappingChange.objects.count() == 0


def test_roles_and_validation_of_proposals(shop, api_for):
    ops, _, _ = api_for("ops")
    admin, _, _ = api_for("integration_admin", username="adm")
    good = {"shop": shop.pk, "rows": [{"table": "sku", "key": "K", "value": {"product_id": 1}}]}

    assert ops.post("/api/v1/mapping-changes/", good).status_code == 403
    assert ops.post("/api/v1/mapping-changes/", {"rows": "junk"}).status_code == 403
    for rows in (
        [],
        [{"table": "nope", "key": "K", "value": None}],
        [{"table": "sku", "key": "K", "value": {"product_id": "one"}}],
        [{"table": "sku", "key": "K", "value": {"colour": "red", "product_id": 1}}],
        [{"table": "sku", "key": "K", "value": {}}],
        [{"table": "sku", "key": "K", "value": [1]}],
    ):
        response = admin.post("/api/v1/mapping-changes/", {"shop": shop.pk, "rows": rows})
        assert response.status_code == 400, (rows, response.content)
    assert admin.post("/api/v1/mapping-changes/", {**good, "shop": 999999}).status_code == 400
    assert not MappingChange.objects.exists()


def test_a_rejection_needs_a_note_and_someone_else(shop, api_for):
    maker, _, _ = api_for("integration_admin", username="maker")
    checker, _, _ = api_for("integration_admin", username="checker")
    change = maker.post(
        "/api/v1/mapping-changes/",
        {"shop": shop.pk, "rows": [{"table": "sku", "key": "WOOLSOCK-M-GREY", "value": None}]},
    ).json()
    assert change["diff"][0]["action"] == "delete"

    assert checker.post(f"/api/v1/mapping-changes/{change['id']}/reject/", {}).status_code == 400
    rejected = checker.post(f"/api/v1/mapping-changes/{change['id']}/reject/", {"note": "still sold"})
    assert (rejected.json()["state"], rejected.json()["decision_note"]) == ("rejected", "still sold")
    listed = maker.get("/api/v1/mapping-changes/", state="rejected").json()["results"]
    assert [c["id"] for c in listed] == [change["id"]]


def test_connections_are_for_integration_admins_and_show_no_secret(shop, api_for):
    viewer, _, _ = api_for("viewer")
    admin, _, _ = api_for("integration_admin")

    assert viewer.get("/api/v1/connections/").status_code == 403
    body = admin.get("/api/v1/connections/")
    assert body.status_code == 200
    health = body.json()
    assert [(s["domain"], s["odoo_id"]) for s in health["shops"]] == [("demo.myshopify.com", shop.odoo_id)]
    assert [o["url"] for o in health["odoo"]] == ["https://odoo.test"]
    text = body.content.decode()
    assert "shpat_test" not in text and "test-client-secret" not in text and "sandbox-api-key" not in text


def test_webhook_deliveries_without_bodies_and_refused_ones(shop, api_for):
    client, _, _ = api_for("viewer")
    old = make_job(shop, age=timedelta(hours=1))
    new = make_job(shop)
    RejectedDelivery.objects.create(
        reason=RejectedDelivery.Reason.BAD_SIGNATURE, shop_domain="x.myshopify.com"
    )

    deliveries = client.get("/api/v1/webhook-deliveries/").json()["results"]
    assert [(d["id"], d["job_count"], d["parked_count"]) for d in deliveries] == [
        (new.event_id, 1, 1),
        (old.event_id, 1, 1),
    ]
    one = client.get(f"/api/v1/webhook-deliveries/{new.event_id}/")
    assert one.json()["topic"] == "orders/create"
    assert "jane.doe" not in one.content.decode()
    assert client.get("/api/v1/webhook-deliveries/", topic="orders/paid").json()["results"] == []
    refused = client.get("/api/v1/rejected-deliveries/").json()["results"]
    assert [(r["reason"], r["shop_domain"]) for r in refused] == [("bad_signature", "x.myshopify.com")]


def test_a_bundle_rule_is_checked_when_proposed_and_its_approval_replays_its_orders(shop, api_for):
    # given an order parked because its bundle SKU is not mapped, and a gift-card order parked too
    parked = make_job(shop, sku="BUNDLE-BREW")
    gift = make_job(shop, code="gift_card_not_mapped", key="shop")
    maker, _, _ = api_for("integration_admin", username="maker")
    checker, _, _ = api_for("integration_admin", username="checker")
    # when rules that cannot be booked are proposed, they are refused naming the fault; nothing is proposed
    for value, fault in (
        ({"mode": "components", "split": "ratio", "components": [{"product_id": 5, "quantity": 1}]}, "ratio"),
        ({"mode": "components", "components": []}, "components must be a non-empty list"),
        ({"mode": "kit"}, "product_id"),
        ({"mode": "components", "components": "5x1@1"}, "components must be a list"),
    ):
        refused = maker.post(
            "/api/v1/mapping-changes/",
            {"shop": shop.pk, "rows": [{"table": "bundle", "key": "BUNDLE-BREW", "value": value}]},
        )
        assert refused.status_code == 400, (value, refused.content)
        assert fault in refused.content.decode(), refused.content
    assert not MappingChange.objects.exists()
    # when a good rule and the gift-card product are proposed
    rule = {
        "mode": "components",
        "split": "ratio",
        "components": [
            {"product_id": 5, "quantity": 1, "ratio": "1"},
            {"product_id": 6, "quantity": 2, "ratio": "2"},
        ],
    }
    proposed = maker.post(
        "/api/v1/mapping-changes/",
        {
            "shop": shop.pk,
            "rows": [
                {"table": "bundle", "key": "BUNDLE-BREW", "value": rule},
                {
                    "table": "shop",
                    "key": "shop",
                    "value": {
                        "company_id": 1,
                        "pricelist_id": 1,
                        "fulfilment_notify_customer": False,
                        "gift_card_product_id": 900,
                    },
                },
            ],
        },
    )
    assert proposed.status_code == 201, proposed.content
    # then it shows the parked orders it unblocks, and its approval by another replays them
    assert sorted(proposed.json()["unblocks"]) == sorted([parked.pk, gift.pk])
    approved = checker.post(f"/api/v1/mapping-changes/{proposed.json()['id']}/approve/")
    assert approved.status_code == 200, approved.content
    assert (
        MappingEntry.objects.get(shop=shop, table="bundle", key="BUNDLE-BREW", valid_to__isnull=True).value
        == rule
    )
    assert sorted(queued_job_ids()) == sorted([parked.pk, gift.pk])


def test_an_edit_of_a_row_keeps_the_fields_it_does_not_name_and_removes_those_named_null(shop, api_for):
    # given a shop row with fields the API's edit does not name (set elsewhere: invoice_on, holding...)
    current = {
        "company_id": 1,
        "pricelist_id": 1,
        "currency": "EUR",
        "fulfilment_notify_customer": True,
        "gift_card_product_id": 77,
        "invoice_on": "delivered",
        "hold_risky": False,
        "holding": {"hours": 4},
    }
    mapping_apply(shop=shop, rows=[MappingRow("shop", "shop", current)])
    admin, _, _ = api_for("integration_admin", username="adm")
    value = {
        "company_id": 1,
        "pricelist_id": 2,
        "fulfilment_notify_customer": True,
        "gift_card_product_id": None,
    }

    # when one changes the pricelist and removes the gift-card product explicitly
    response = admin.post(
        "/api/v1/mapping-changes/",
        {"shop": shop.pk, "rows": [{"table": "shop", "key": "shop", "value": value}]},
    )

    # then the proposal is the whole row: the named fields as given, the others kept
    assert response.status_code == 201, response.content
    after = {k: v for k, v in current.items() if k != "gift_card_product_id"}
    assert response.json()["rows"] == [
        {"table": "shop", "key": "shop", "value": {**after, "pricelist_id": 2}}
    ]
