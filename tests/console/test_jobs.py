"""The job explorer: filters, the job page, masking and the audited reveal."""

from datetime import timedelta

from opsconsole.core.models import AuditEntry
from sync.models import JobState
from tests.console.conftest import make_job


def test_the_list_filters_by_state_and_flow(shop, client_for):
    parked = make_job(shop)
    done = make_job(shop, state=JobState.SUCCEEDED, result={"odoo_order_id": 9})
    customer = make_job(shop, state=JobState.SUCCEEDED, flow="customers")
    client, _ = client_for("viewer")

    htmx = {"HX-Request": "true"}
    by_state = client.get("/jobs/", {"state": "needs_attention"}, headers=htmx).content.decode()
    by_flow = client.get("/jobs/", {"flow": "customers"}, headers=htmx).content.decode()

    assert parked.subject_label in by_state and done.subject_label not in by_state
    assert customer.subject_label in by_flow and parked.subject_label not in by_flow


def test_the_list_filters_by_age(shop, client_for):
    old = make_job(shop, age=timedelta(days=3))
    new = make_job(shop)
    client, _ = client_for("viewer")

    content = client.get("/jobs/", {"age": "24h"}, headers={"HX-Request": "true"}).content.decode()

    assert new.subject_label in content
    assert old.subject_label not in content


def test_the_job_page_shows_the_attempts_links_mapping_version_and_ids(shop, client_for):
    job = make_job(
        shop,
        state=JobState.SUCCEEDED,
        order_id=5940139491234,
        result={"odoo_order_id": 77, "odoo_partner_id": 12, "outcome": "created"},
        mapping_version=3,
    )
    client, _ = client_for("viewer")

    content = client.get(f"/jobs/{job.pk}/").content.decode()

    assert 'href="https://odoo.test/odoo/sales/77"' in content
    assert 'href="https://admin.shopify.test/store/demo/admin/orders/5940139491234"' in content
    assert 'data-testid="mapping-version">v3<' in content
    assert "odoo_partner_id" in content
    assert "find_product" in content  # the attempt's external call
    assert "420 ms" in content


def test_an_older_odoo_gets_the_web_client_link(shop, client_for):
    shop.odoo.server_version = "16.0"
    shop.odoo.save()
    job = make_job(shop, state=JobState.SUCCEEDED, result={"odoo_order_id": 77})
    client, _ = client_for("viewer")

    content = client.get(f"/jobs/{job.pk}/").content.decode()

    assert 'href="https://odoo.test/web#id=77&amp;model=sale.order&amp;view_type=form"' in content


def test_customer_fields_stay_masked_for_ops_and_ops_cannot_reveal(shop, client_for):
    job = make_job(shop)
    client, _ = client_for("ops")

    page = client.get(f"/jobs/{job.pk}/").content.decode()
    reveal = client.post(f"/jobs/{job.pk}/reveal/")

    assert "jane.doe@example.com" not in page
    assert "Privet" not in page
    assert "+44 20 7946 0958" not in page
    assert "MERINOTE-S-NAVY" in page  # SKUs are not personal
    assert 'data-testid="reveal"' not in page
    assert reveal.status_code == 403
    assert "jane.doe@example.com" not in reveal.content.decode()
    assert not AuditEntry.objects.filter(action="payload.reveal").exists()


def test_an_integration_admin_reveals_and_the_reveal_is_audited(shop, client_for):
    job = make_job(shop)
    client, _ = client_for("integration_admin", "ada")

    page = client.get(f"/jobs/{job.pk}/").content.decode()
    reveal = client.post(f"/jobs/{job.pk}/reveal/", headers={"HX-Request": "true"})

    assert "jane.doe@example.com" not in page
    assert 'data-testid="reveal"' in page
    assert reveal.status_code == 200
    assert "jane.doe@example.com" in reveal.content.decode()
    entry = AuditEntry.objects.get(action="payload.reveal")
    assert (entry.actor_name, entry.object_type, entry.object_id) == ("ada", "sync_job", str(job.pk))


def test_a_fulfilment_job_links_the_odoo_delivery_and_the_shopify_order(shop, client_for):
    job = make_job(
        shop,
        state=JobState.SUCCEEDED,
        flow="fulfilments",
        input={"picking": {"id": 70, "name": "WH/OUT/00070", "sale_name": "S00009"}},
        result={
            "outcome": "fulfilled",
            "shopify_order_id": "5940139491234",
            "fulfillments": ["gid://shopify/Fulfillment/8"],
        },
    )
    client, _ = client_for("viewer")

    content = client.get(f"/jobs/{job.pk}/").content.decode()

    assert 'href="https://odoo.test/web#id=70&amp;model=stock.picking&amp;view_type=form"' in content
    assert 'href="https://admin.shopify.test/store/demo/admin/orders/5940139491234"' in content
    assert "gid://shopify/Fulfillment/8" in content
