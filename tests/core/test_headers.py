"""Security headers on what the app serves: the Content-Security-Policy everywhere, ``no-store`` on every
response the app renders (customer data must not sit in a browser or proxy cache), and static files still
cacheable."""

from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.mark.parametrize("path", ["/", "/jobs/", "/audit/", "/exceptions/badge/", "/metrics", "/healthz"])
def test_pages_and_endpoints_are_never_stored(client, make_user, path):
    client.force_login(make_user("ops"))

    response = client.get(path)

    assert response.status_code == 200
    assert response["Cache-Control"] == NEVER_CACHE
    assert response["Content-Security-Policy"] == POLICY == settings.CONTENT_SECURITY_POLICY
    assert (response["X-Content-Type-Options"], response["Referrer-Policy"], response["X-Frame-Options"]) == (
        "nosniff",
        "same-origin",
        "DENY",
    )


def test_the_login_page_and_a_refused_webhook_carry_the_headers_too(client):
    login = client.get("/login/")
    webhook = client.post("/webhooks/shopify", b"{}", content_type="application/json")

    assert webhook.status_code == 401
    for response in (login, webhook):
        assert response["Content-Security-Policy"] == POLICY
        assert response["Cache-Control"] == NEVER_CACHE


def test_static_files_keep_their_cache_headers(client):
    response = client.get("/static/js/console.js")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Content-Security-Policy" not in response
