"""The data-request export (made by the privacy flow) for people who may see customer data, from the console
and from the API, every read audited; the list shows no personal data."""

from django.utils import timezone

from opsconsole.core.models import AuditEntry
from sync.models import PrivacyRequest

EXPORT = {
    "shop": "demo.myshopify.com",
    "customer_id": "7001",
    "links": [{"kind": "customer", "shopify_id": "7001", "odoo_model": "res.partner", "odoo_id": 12}],
    "stored_payloads": [{"topic": "orders/create", "payload": {"email": "jane.doe@example.com"}}],
    "odoo_partner": {"name": "Jane Doe", "email": "jane.doe@example.com"},
}


def _requests(shop):
    now = timezone.now()
    ready = PrivacyRequest.objects.create(
        shop=shop,
        kind="data_request",
        customer_id="7001",
        export=EXPORT,
        outcome={"links": 1, "payloads": 1},
        completed_at=now,
    )
    purged = PrivacyRequest.objects.create(
        shop=shop,
        kind="data_request",
        customer_id="7002",
        export=None,
        outcome={"links": 0},
        completed_at=now,
    )
    redaction = PrivacyRequest.objects.create(
        shop=shop,
        kind="customer_redact",
        customer_id="7002",
        outcome={"payloads_purged": 3},
        completed_at=now,
    )
    return ready, purged, redaction


def test_the_console_lists_requests_and_lets_a_permitted_user_download_an_export(shop, client_for):
    ready, purged, redaction = _requests(shop)
    viewer, _ = client_for("viewer")
    admin, admin_user = client_for("integration_admin", username="ada")

    page = viewer.get("/privacy/")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('data-testid="privacy-row"') == 3
    assert "jane.doe" not in text and "Download export" not in text
    assert viewer.post(f"/privacy/{ready.pk}/export/").status_code == 403

    assert admin.get("/privacy/").content.decode().count('data-testid="download-export"') == 1
    download = admin.post(f"/privacy/{ready.pk}/export/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == (
        f'attachment; filename="data-request-demo.myshopify.com-7001-{ready.pk}.json"'
    )
    assert download.json() == EXPORT
    assert admin.post(f"/privacy/{purged.pk}/export/").status_code == 404
    assert admin.post(f"/privacy/{redaction.pk}/export/").status_code == 404
    entry = AuditEntry.objects.get(action="privacy.export_read")
    assert (entry.actor, entry.object_id) == (admin_user, str(ready.pk))
    assert "jane" not in entry.summary


def test_the_api_serves_the_export_to_a_permitted_token_only(shop, api_for):
    ready, purged, _ = _requests(shop)
    ops, _, _ = api_for("ops")
    admin, admin_user, _ = api_for("integration_admin", username="ada")

    listed = ops.get("/api/v1/privacy-requests/").json()["results"]
    assert [(r["kind"], r["customer_id"], r["has_export"]) for r in listed] == [
        ("customer_redact", "7002", False),
        ("data_request", "7002", False),
        ("data_request", "7001", True),
    ]
    assert "jane" not in str(listed)
    assert ops.get(f"/api/v1/privacy-requests/{ready.pk}/export/").status_code == 403
    assert not AuditEntry.objects.filter(action="privacy.export_read").exists()

    export = admin.get(f"/api/v1/privacy-requests/{ready.pk}/export/")
    assert export.status_code == 200
    assert export.json() == {"id": ready.pk, "customer_id": "7001", "export": EXPORT}
    assert admin.get(f"/api/v1/privacy-requests/{purged.pk}/export/").status_code == 404
    entry = AuditEntry.objects.get(action="privacy.export_read")
    assert (entry.actor, entry.object_id) == (admin_user, str(ready.pk))


def test_a_user_limited_to_another_shop_sees_no_request_and_no_export(shop, api_for, client_for):
    from sync.models import ShopAccess
    from tests.factories import ShopifyShopFactory

    ready, _, _ = _requests(shop)
    api, user, _ = api_for("integration_admin", username="elsewhere")
    browser, _ = client_for("integration_admin", username="elsewhere")
    ShopAccess.objects.create(user=user, shop=ShopifyShopFactory(domain="other.myshopify.com"))

    assert api.get("/api/v1/privacy-requests/").json()["results"] == []
    assert api.get(f"/api/v1/privacy-requests/{ready.pk}/export/").status_code == 404
    assert 'data-testid="privacy-row"' not in browser.get("/privacy/").content.decode()
    assert browser.post(f"/privacy/{ready.pk}/export/").status_code == 404
    assert not AuditEntry.objects.filter(action="privacy.export_read").exists()
