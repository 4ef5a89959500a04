"""Mappings: propose, approve by someone else (never the proposer), replay on approval, CSV import,
preview, history and rollback."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opsconsole.core.models import AuditEntry
from sync.engine.mappings import mapping_version_current
from sync.models import JobState, MappingChange, MappingEntry, SyncJob
from sync.selectors.mappings import change_preview, mapping_history
from sync.services.console import mapping_approve, mapping_propose, mapping_rollback, mapping_rows_from_csv
from sync.services.mappings import MappingRow, mapping_apply
from tests.console.conftest import make_job, queued_job_ids


def _propose(client, shop, **fields):
    data = {"shop": shop.pk, "table": "sku", "key": "ABC-123", "f_product_id": "42", "f_default_code": "ABC"}
    data.update(fields)
    return client.post("/mappings/propose/", data)


def test_a_proposal_with_a_bad_product_id_is_refused_and_nothing_is_written(shop, client_for):
    client, _ = client_for("integration_admin")

    response = _propose(client, shop, f_product_id="forty-two")

    assert response.status_code == 200
    assert b"Odoo product id must be a whole number" in response.content
    assert MappingChange.objects.count() == 0


@pytest.mark.parametrize("role", ["viewer", "ops", "finance"])
def test_only_integration_admins_propose(shop, client_for, role):
    client, _ = client_for(role)

    response = _propose(client, shop)

    assert response.status_code == 403
    assert MappingChange.objects.count() == 0


def test_the_proposer_cannot_approve_their_own_change_in_the_service_or_the_view(shop, client_for):
    client, admin = client_for("integration_admin")
    change = mapping_propose(
        actor=admin, shop=shop, rows=[MappingRow("sku", "ABC-123", {"product_id": 42})], summary="map"
    )

    page = client.get(f"/mappings/changes/{change.pk}/").content.decode()
    response = client.post(f"/mappings/changes/{change.pk}/approve/")
    with pytest.raises(PermissionDenied):
        mapping_approve(actor=admin, change=change)

    assert 'data-testid="approve"' not in page
    assert 'data-testid="own-change"' in page
    assert response.status_code == 403
    change.refresh_from_db()
    assert (change.state, change.version) == ("proposed", None)
    assert not MappingEntry.objects.filter(key="ABC-123").exists()


def test_approval_by_a_second_admin_makes_a_version_and_replays_the_parked_jobs(shop, client_for, make_user):
    parked = [make_job(shop, sku="ABC-123") for _ in range(2)]
    other = make_job(shop, sku="ZZZ-9")
    proposer = make_user("integration_admin", username="ada")
    client, approver = client_for("integration_admin", "bob")  # an approver before the proposal
    change = mapping_propose(
        actor=proposer, shop=shop, rows=[MappingRow("sku", "ABC-123", {"product_id": 42})], summary="map ABC"
    )
    version_before = mapping_version_current(shop=shop)

    page = client.get(f"/mappings/changes/{change.pk}/").content.decode()
    response = client.post(f"/mappings/changes/{change.pk}/approve/", {"note": "checked in Odoo"})

    assert "Approve and replay 2 jobs" in page
    assert response.status_code == 200
    assert "2 parked jobs replayed" in response.content.decode()
    change.refresh_from_db()
    assert (change.state, change.decided_by, change.version) == ("approved", approver, version_before + 1)
    assert MappingEntry.objects.get(key="ABC-123", valid_to__isnull=True).value == {"product_id": 42}
    assert [SyncJob.objects.get(pk=j.pk).state for j in parked] == [JobState.QUEUED, JobState.QUEUED]
    assert SyncJob.objects.get(pk=other.pk).state == JobState.NEEDS_ATTENTION
    assert queued_job_ids() == sorted(j.pk for j in parked)
    assert AuditEntry.objects.get(action="mapping.approve").actor_name == "bob"


def test_reject_needs_a_note(shop, client_for, make_user):
    client, _ = client_for("integration_admin")
    change = mapping_propose(
        actor=make_user("integration_admin"),
        shop=shop,
        rows=[MappingRow("sku", "X", {"product_id": 1})],
        summary="x",
    )

    without = client.post(f"/mappings/changes/{change.pk}/reject/", {"note": ""})
    change.refresh_from_db()
    state_after_empty_note = change.state
    with_note = client.post(f"/mappings/changes/{change.pk}/reject/", {"note": "wrong product"})

    assert b"say why you reject the change" in without.content
    assert state_after_empty_note == "proposed"
    assert b"Rejected by" in with_note.content
    change.refresh_from_db()
    assert (change.state, change.decision_note) == ("rejected", "wrong product")


def _product_ids(odoo, *skus: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [odoo["rpc"]("product.product", "search", [("default_code", "=", sku)])[0] for sku in skus]


def test_a_csv_import_proposes_many_skus_as_one_change(odoo_shop, odoo, client_for):
    client, _ = client_for("integration_admin")
    p1, p2 = _product_ids(odoo, "MERINOTE-S-NAVY", "MERINOTE-M-NAVY")
    csv = f"sku,product_id,default_code\nA-1,{p1},A1\nB-2,{p2},\nWOOLSOCK-M-GREY,\n"

    response = client.post("/mappings/import/", {"shop": odoo_shop.pk, "csv": csv})

    change = MappingChange.objects.get()
    assert response.status_code == 302
    assert change.summary == "Import 3 SKU mappings from CSV"
    assert change.rows == [
        {"table": "sku", "key": "A-1", "value": {"product_id": p1, "default_code": "A1"}},
        {"table": "sku", "key": "B-2", "value": {"product_id": p2}},
        {"table": "sku", "key": "WOOLSOCK-M-GREY", "value": None},
    ]


def test_a_csv_import_of_products_odoo_does_not_have_for_the_shop_proposes_nothing(
    odoo_shop, odoo, client_for
):
    client, _ = client_for("integration_admin")
    [p1] = _product_ids(odoo, "MERINOTE-S-NAVY")
    csv = f"A-1,{p1}\nB-2,999999\nC-3,{odoo['their_product']}\n"

    response = client.post("/mappings/import/", {"shop": odoo_shop.pk, "csv": csv})

    content = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 200
    assert "sku B-2: product_id 999999 is no product that company 1 of Odoo can use" in content
    assert (
        f"sku C-3: product_id {odoo['their_product']} is no product that company 1 of Odoo can use" in content
    )
    assert "sku A-1" not in content
    assert MappingChange.objects.count() == 0


def test_a_bad_csv_names_every_bad_line_and_proposes_nothing(shop, client_for):
    client, _ = client_for("integration_admin")

    response = client.post("/mappings/import/", {"shop": shop.pk, "csv": "A-1,11\nA-1,12\n,13\nC-3,x\n"})

    content = response.content.decode()
    assert "line 2: SKU A-1 appears twice" in content
    assert "line 3: the SKU is empty" in content
    assert "line 4: product_id &#x27;x&#x27; is not a number" in content
    assert MappingChange.objects.count() == 0


def test_csv_rows_parse_without_a_header():
    assert mapping_rows_from_csv(text="X-1,5") == [MappingRow("sku", "X-1", {"product_id": 5})]
    with pytest.raises(ValidationError):
        mapping_rows_from_csv(text="sku,product_id\n")


def test_the_preview_shows_the_odoo_bound_values_before_and_after(shop, make_user):
    job = make_job(shop, sku="ABC-123")
    change = mapping_propose(
        actor=make_user("integration_admin"),
        shop=shop,
        rows=[MappingRow("sku", "ABC-123", {"product_id": 42})],
        summary="map",
    )

    [preview] = change_preview(change=change)

    assert preview.job == job
    rows = {r.label: (r.before, r.after) for r in preview.rows}
    assert rows["line ABC-123: product_id"] == ("(missing)", "42")
    assert preview.before_error.startswith("unknown_sku: order")
    assert preview.after_error == ""
    assert rows["books in Odoo"] == ("no (unknown_sku)", "yes, 49.00 EUR")
    assert "company_id" not in rows  # the order could not be built before: no header values to compare


def test_history_lists_every_version_and_rollback_proposes_the_older_value(shop, client_for, make_user):
    first = make_user("integration_admin", username="ada")
    client, second = client_for("integration_admin", "bob")
    for product in (42, 43):
        change = mapping_propose(
            actor=first, shop=shop, rows=[MappingRow("sku", "ABC-123", {"product_id": product})], summary="p"
        )
        mapping_approve(actor=second, change=change)
    old_version = MappingEntry.objects.get(key="ABC-123", value={"product_id": 42}).valid_from

    page = client.get(
        "/mappings/history/", {"shop": shop.pk, "table": "sku", "key": "ABC-123"}
    ).content.decode()
    response = client.post(
        "/mappings/rollback/", {"shop": shop.pk, "table": "sku", "key": "ABC-123", "version": old_version}
    )

    history = mapping_history(shop=shop, table="sku", key="ABC-123")
    assert [(e.value, e.current) for e in history] == [
        ({"product_id": 43}, True),
        ({"product_id": 42}, False),
    ]
    assert page.count('data-testid="history-row"') == 2
    assert page.count('data-testid="rollback"') == 1
    rollback = MappingChange.objects.order_by("-pk").first()
    assert response.status_code == 302
    assert (rollback.state, rollback.proposed_by, rollback.rows) == (
        "proposed",
        second,
        [{"table": "sku", "key": "ABC-123", "value": {"product_id": 42}}],
    )


def test_tables_are_searchable(shop, client_for):
    client, _ = client_for("viewer")

    hit = client.get(
        "/mappings/", {"shop": shop.pk, "table": "sku", "q": "woolsock"}, headers={"HX-Request": "true"}
    )
    miss = client.get(
        "/mappings/", {"shop": shop.pk, "table": "sku", "q": "nothing"}, headers={"HX-Request": "true"}
    )
    by_value = client.get(
        "/mappings/", {"shop": shop.pk, "table": "sku", "q": "41"}, headers={"HX-Request": "true"}
    )

    assert hit.content.decode().count('data-testid="mapping-row"') == 1
    assert miss.content.decode().count('data-testid="mapping-row"') == 0
    assert by_value.content.decode().count('data-testid="mapping-row"') == 1


def test_a_bundle_is_proposed_in_the_console_form_and_a_rule_that_cannot_be_booked_is_refused(
    shop, client_for
):
    client, _ = client_for("integration_admin")
    form = {
        "shop": shop.pk,
        "table": "bundle",
        "key": "BUNDLE-BREW",
        "f_mode": "components",
        "f_split": "ratio",
    }

    # a component without a ratio, and components that do not read, are refused and nothing is proposed
    no_ratio = client.post("/mappings/propose/", {**form, "f_components": "12x1@3; 15x2"})
    unreadable = client.post("/mappings/propose/", {**form, "f_components": "mug x one"})
    assert b"component 2: the ratio split needs a ratio" in no_ratio.content
    assert b"write product_id x quantity @ ratio" in unreadable.content
    assert MappingChange.objects.count() == 0

    # a good rule is one change, stored as the order flow reads it, and the form shows it back as text
    client.post("/mappings/propose/", {**form, "f_components": "12x1@3; 15x2@1"})
    change = MappingChange.objects.get()
    assert change.rows == [
        {
            "table": "bundle",
            "key": "BUNDLE-BREW",
            "value": {
                "mode": "components",
                "split": "ratio",
                "components": [
                    {"product_id": 12, "quantity": 1, "ratio": "3"},
                    {"product_id": 15, "quantity": 2, "ratio": "1"},
                ],
            },
        }
    ]
    mapping_apply(shop=shop, rows=[MappingRow("bundle", "BUNDLE-BREW", change.rows[0]["value"])])
    page = client.get("/mappings/propose/", {"shop": shop.pk, "table": "bundle", "key": "BUNDLE-BREW"})
    assert b'value="12x1@3; 15x2@1"' in page.content


SHOP_ROW = {
    "company_id": 1,
    "pricelist_id": 1,
    "currency": "EUR",
    "gift_card_product_id": 77,
    "invoice_on": "delivered",
    "hold_risky": False,
    "holding": {"hours": 4},
}


def test_editing_the_shop_row_in_the_form_keeps_the_fields_the_form_does_not_show(shop, client_for):
    # given a shop row with fields set elsewhere than this form (invoice_on, hold_risky, holding)
    mapping_apply(shop=shop, rows=[MappingRow("shop", "shop", SHOP_ROW)])
    client, _ = client_for("integration_admin")

    # when a person changes the pricelist and empties the gift-card product in the form
    response = client.post(
        "/mappings/propose/",
        {
            "shop": shop.pk,
            "table": "shop",
            "key": "shop",
            "f_company_id": "1",
            "f_pricelist_id": "2",
            "f_currency": "EUR",
            "f_gift_card_product_id": "",
        },
    )

    # then the proposal is the whole row: the form's fields as given, the others as they were
    assert response.status_code == 302, response.content.decode()[:2000]
    (row,) = MappingChange.objects.get().rows
    expected = {k: v for k, v in SHOP_ROW.items() if k != "gift_card_product_id"}
    assert row["value"] == {**expected, "pricelist_id": 2, "fulfilment_notify_customer": False}


def test_a_rollback_restores_the_entry_exactly_as_it_was(shop, make_user):
    # given a shop row that gained a field after version v
    admin = make_user("integration_admin")
    old = mapping_apply(shop=shop, rows=[MappingRow("shop", "shop", {"company_id": 1, "pricelist_id": 1})])
    mapping_apply(shop=shop, rows=[MappingRow("shop", "shop", {**SHOP_ROW})])

    change = mapping_rollback(actor=admin, shop=shop, table="shop", key="shop", version=old)

    assert change.rows[0]["value"] == {"company_id": 1, "pricelist_id": 1}
