"""The held-orders screen: orders held for their risk, their facts, and Release / Cancel for ops only, in
their shops only, each decision audited and carried out by one job."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from opsconsole.core.models import AuditEntry
from sync.models import OrderHold, ShopAccess, SyncJob
from sync.services.holds import order_hold_decide
from tests.console.conftest import queued_job_ids
from tests.factories import ShopifyShopFactory


def _hold(shop: Any, order_id: str = "5940001", label: str = "#1042") -> OrderHold:
    return OrderHold.objects.create(
        shop=shop,
        shopify_order_id=order_id,
        label=label,
        odoo_order_id=77,
        recommendation="CANCEL",
        assessments=[
            {
                "risk_level": "HIGH",
                "provider": "Shopify",
                "facts": [{"description": "Card was declined 3 times", "sentiment": "NEGATIVE"}],
            }
        ],
    )


def test_the_list_shows_held_orders_with_their_facts_and_buttons_for_ops(client_for):
    # given a held order
    hold = _hold(ShopifyShopFactory())
    # when ops and a viewer open the screen
    ops_page = client_for("ops")[0].get("/orders/held/").content.decode()
    viewer_page = client_for("viewer")[0].get("/orders/held/").content.decode()
    # then both see the order and its risk facts; only ops get the buttons
    for page in (ops_page, viewer_page):
        assert f'id="hold-row-{hold.pk}"' in page
        assert "#1042" in page and "Card was declined 3 times" in page and ">CANCEL<" in page
    assert 'data-testid="hold-release"' in ops_page and 'data-testid="hold-cancel"' in ops_page
    cancel_button = ops_page.split('data-testid="hold-cancel"', 1)[1].split(">", 1)[0]
    assert 'hx-confirm="Cancel #1042 for fraud?' in cancel_button
    assert 'data-testid="hold-release"' not in viewer_page


def test_ops_release_a_held_order_once_and_the_decision_is_audited(client_for):
    # given a held order
    hold = _hold(ShopifyShopFactory())
    client, user = client_for("ops", username="olive")
    # when ops release it twice (htmx)
    first = client.post(f"/orders/held/{hold.pk}/release/", HTTP_HX_REQUEST="true")
    second = client.post(f"/orders/held/{hold.pk}/release/", HTTP_HX_REQUEST="true")
    # then one release job is queued, the row is re-rendered without buttons, and one audit entry says who
    [job] = SyncJob.objects.filter(kind="order.release")
    assert (job.subject, job.input) == (
        "order:5940001",
        {"hold_id": hold.pk, "order_id": "5940001", "actor": "olive"},
    )
    assert queued_job_ids() == [job.pk]
    hold.refresh_from_db()
    assert (hold.status, hold.decided_by, hold.decision_job) == ("releasing", user, job)
    for response in (first, second):
        body = response.content.decode()
        assert response.status_code == 200
        assert f'id="hold-row-{hold.pk}"' in body and "Being released" in body
        assert 'data-testid="hold-release"' not in body
        assert "holds-changed" in response["HX-Trigger"]
    [entry] = AuditEntry.objects.filter(action="order.hold_release")
    assert (entry.actor, entry.object_type, entry.object_id) == (user, "order_hold", str(hold.pk))
    assert entry.before == {"status": "held", "recommendation": "CANCEL"}


def test_cancel_after_release_is_refused_with_the_reason(client_for):
    hold = _hold(ShopifyShopFactory())
    client, _ = client_for("ops")
    client.post(f"/orders/held/{hold.pk}/release/", HTTP_HX_REQUEST="true")
    # when someone cancels it afterwards
    refused = client.post(f"/orders/held/{hold.pk}/cancel/", HTTP_HX_REQUEST="true")
    # then nothing is cancelled, and the row says why
    assert "is not held any more: Being released" in refused.content.decode()
    assert not SyncJob.objects.filter(kind="order.risk_cancel").exists()
    assert not AuditEntry.objects.filter(action="order.hold_cancel").exists()


def test_ops_cancel_a_held_order_as_an_outbound_job(client_for):
    hold = _hold(ShopifyShopFactory())
    client, user = client_for("integration_admin")
    response = client.post(f"/orders/held/{hold.pk}/cancel/")
    [job] = SyncJob.objects.filter(kind="order.risk_cancel")
    assert response.status_code == 302 and response["Location"] == "/orders/held/"
    assert (job.flow, job.subject) == ("orders", "order:5940001")
    hold.refresh_from_db()
    assert hold.status == "cancelling"
    assert AuditEntry.objects.filter(action="order.hold_cancel", actor=user).count() == 1


def test_viewers_and_finance_may_not_decide(client_for):
    hold = _hold(ShopifyShopFactory())
    for role in ("viewer", "finance"):
        client, _ = client_for(role)
        assert client.post(f"/orders/held/{hold.pk}/release/").status_code == 403
        assert client.post(f"/orders/held/{hold.pk}/cancel/").status_code == 403
    hold.refresh_from_db()
    assert hold.status == "held"
    assert not SyncJob.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="order.hold").exists()


def test_ops_limited_to_another_shop_neither_see_nor_decide(client_for):
    # given a held order of one shop, and an operator given only another shop
    hold = _hold(ShopifyShopFactory())
    client, user = client_for("ops")
    ShopAccess.objects.create(user=user, shop=ShopifyShopFactory())
    # then the order is not listed, and deciding it is not found
    assert f'id="hold-row-{hold.pk}"' not in client.get("/orders/held/").content.decode()
    assert client.post(f"/orders/held/{hold.pk}/release/").status_code == 404
    hold.refresh_from_db()
    assert hold.status == "held"
    assert not SyncJob.objects.exists()


def test_the_service_refuses_a_user_outside_the_shop(make_user):
    hold = _hold(ShopifyShopFactory())
    user = make_user("ops")
    ShopAccess.objects.create(user=user, shop=ShopifyShopFactory())
    with pytest.raises(PermissionDenied):
        order_hold_decide(actor=user, hold=hold, decision="release")
    assert not SyncJob.objects.exists()
