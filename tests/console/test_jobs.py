"""The job explorer: filters, the job page, masking and the audited reveal."""

from datetime import timedelta

from opsconsole.core.models import AuditEntry
from sync.models import JobState, SyncJob
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


def test_an_orders_job_page_shows_its_money_timeline_with_differences_highlighted(shop, client_for):
    # given an order booked, invoiced and paid, a refund credited and paid back, and a refund that differs
    order_id = 5940139490016
    gid = "gid://shopify/OrderTransaction/71"
    make_job(
        shop,
        state=JobState.SUCCEEDED,
        order_id=order_id,
        result={
            "outcome": "created",
            "odoo_order_id": 77,
            "odoo_order_name": "S00077",
            "amount_total": "120.00",
            "booked": {"amount_total": "120.00"},
            "cash": {
                "odoo_invoice_id": 9,
                "invoice": "INV/2026/00009",
                "invoice_total": "120.00",
                "payment_state": "paid",
                "amount_residual": "0.00",
                "payments": {
                    gid: {
                        "gateway": "shopify_payments",
                        "kind": "sale",
                        "amount": "120.00",
                        "odoo_payment_id": "31",
                    }
                },
            },
        },
    )
    refund = make_job(
        shop,
        state=JobState.SUCCEEDED,
        order_id=order_id,
        result={
            "outcome": "credit_note",
            "refund_id": "501",
            "shopify_total": "24.00",
            "odoo_total": "24.00",
            "odoo_credit_note": "RINV/2026/00003",
            "payments": [
                {
                    "transaction": "gid://shopify/OrderTransaction/72",
                    "gateway": "shopify_payments",
                    "amount": "24.00",
                    "odoo_amount": "24.00",
                    "odoo_payment_id": 32,
                }
            ],
        },
    )
    mismatch = make_job(
        shop,
        order_id=order_id,
        finance=True,
        code="refund_mismatch",
    )
    SyncJob.objects.filter(pk__in=[refund.pk, mismatch.pk]).update(kind="refund.create")
    SyncJob.objects.filter(pk=mismatch.pk).update(
        error_context={"shopify_total": "10.00", "odoo_total": "9.99", "difference": "-0.01", "odoo_id": 40}
    )
    client, _ = client_for("viewer")
    # when
    content = client.get(f"/jobs/{refund.pk}/").content.decode()
    # then both sides, row by row, and the difference stands out
    assert 'data-testid="money-timeline"' in content
    for text in ("INV/2026/00009", "RINV/2026/00003", "payment 31", "payment 32", gid, "120.00", "24.00"):
        assert text in content
    assert content.count('data-testid="money-difference"') == 1
    assert "Finance problem: refund_mismatch" in content and "difference -0.01" in content
    assert 'data-testid="money-differences">1 difference<' in content


def test_a_job_of_no_order_has_no_money_timeline(shop, client_for):
    job = make_job(shop, state=JobState.SUCCEEDED, flow="customers")
    SyncJob.objects.filter(pk=job.pk).update(subject="customer:9")
    client, _ = client_for("viewer")
    assert 'data-testid="money-timeline"' not in client.get(f"/jobs/{job.pk}/").content.decode()
