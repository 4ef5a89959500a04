"""Every screen renders for every role that may read it, full page and htmx fragment."""

import pytest

from tests.console.conftest import make_job

PAGES = ["/", "/exceptions/", "/orders/held/", "/jobs/", "/mappings/", "/audit/"]


@pytest.mark.parametrize("role", ["viewer", "ops", "finance", "integration_admin"])
@pytest.mark.parametrize("url", PAGES)
def test_each_screen_renders_for_each_role(client_for, shop, role, url):
    make_job(shop)
    client, _ = client_for(role)

    page = client.get(url)
    fragment = client.get(url, headers={"HX-Request": "true"})

    assert page.status_code == 200
    assert b"<html" in page.content
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content


def test_problem_and_job_pages_render(client_for, shop):
    job = make_job(shop)
    client, _ = client_for("viewer")

    problem = client.get(f"/exceptions/{job.problem_id}/")
    fragment = client.get(f"/exceptions/{job.problem_id}/", headers={"HX-Request": "true"})
    job_page = client.get(f"/jobs/{job.pk}/")

    assert problem.status_code == 200
    assert b"Unknown SKU MERINOTE-S-NAVY" in problem.content
    assert (fragment.status_code, b"<html" in fragment.content) == (200, False)
    assert b"Unknown SKU MERINOTE-S-NAVY" in fragment.content
    assert job_page.status_code == 200
    assert job.subject_label.encode() in job_page.content
    assert f'href="/exceptions/{job.problem_id}/"'.encode() in job_page.content


@pytest.mark.parametrize(
    "role,status", [("viewer", 403), ("ops", 403), ("finance", 403), ("integration_admin", 200)]
)
def test_connections_are_for_integration_admins_only(client_for, shop, role, status):
    client, _ = client_for(role)

    response = client.get("/connections/")

    assert response.status_code == status


def test_the_connections_page_never_shows_secrets(client_for, shop):
    client, _ = client_for("integration_admin")

    content = client.get("/connections/").content.decode()

    assert shop.domain in content
    for secret in ("shpat_test", "test-client-secret", "sandbox-api-key"):
        assert secret not in content


def test_only_integration_admins_check_webhook_subscriptions(client_for, shop):
    from opsconsole.core.models import AuditEntry

    client, _ = client_for("ops")

    response = client.post(f"/connections/shops/{shop.pk}/check-webhooks/")

    assert response.status_code == 403
    shop.refresh_from_db()
    assert (shop.webhook_topics, shop.webhooks_checked_at) == ([], None)
    assert not AuditEntry.objects.filter(action="connection.check_webhooks").exists()
