"""Personal API tokens: made and revoked in the console (audited), shown once, stored as a digest, with an
expiry; the API accepts only live tokens, and limits the requests of each."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.utils import timezone

from opsconsole.core.models import ApiToken, AuditEntry
from opsconsole.core.tokens import api_token_authenticate, api_token_create, api_token_revoke, token_digest
from tests.api.conftest import ApiClient


def test_a_token_made_in_the_console_is_shown_once_and_stored_only_as_a_digest(make_user):
    user = make_user("ops", username="olive")
    browser = Client()
    browser.force_login(user)

    page = browser.post("/api-tokens/", {"name": "nightly replay", "days": "30"})

    assert page.status_code == 200
    token = ApiToken.objects.get(user=user)
    secret = page.context["secret"]
    assert secret.startswith("oct_") and len(secret) > 40
    assert secret in page.content.decode()
    assert token.digest == token_digest(secret) and secret not in str(token.__dict__)
    assert token.prefix == secret[:10]
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    again = browser.get("/api-tokens/").content.decode()
    assert secret not in again and f"{token.prefix}…" in again
    entry = AuditEntry.objects.get(action="api_token.create")
    assert (entry.actor, entry.object_id) == (user, str(token.pk))
    assert secret not in str(entry.after) + entry.summary


def test_the_api_accepts_a_live_token_and_refuses_expired_revoked_and_unknown_ones(make_user):
    user = make_user("viewer", username="vic")
    token, secret = api_token_create(actor=user, name="script", days=7)

    assert ApiClient(secret).get("/api/v1/jobs/").status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None

    for bad in (None, "oct_not-a-token", secret + "x"):
        response = ApiClient(bad).get("/api/v1/jobs/")
        assert response.status_code == 401
        assert response.json()["error"]["status"] == 401
        assert response["WWW-Authenticate"].startswith("Bearer")

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ApiClient(secret).get("/api/v1/jobs/").status_code == 401

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + timedelta(days=1))
    api_token_revoke(actor=user, token=token)
    assert ApiClient(secret).get("/api/v1/jobs/").status_code == 401
    assert AuditEntry.objects.filter(action="api_token.revoke", object_id=str(token.pk)).count() == 1


def test_a_deactivated_user_s_token_stops_working(make_user):
    user = make_user("ops")
    _, secret = api_token_create(actor=user, name="x", days=7)
    user.is_active = False
    user.save()
    assert api_token_authenticate(secret) is None
    assert ApiClient(secret).get("/api/v1/jobs/").status_code == 401


def test_people_revoke_their_own_tokens_and_integration_admins_anyone_s(make_user):
    owner = make_user("ops", username="owner")
    other = make_user("ops", username="other")
    admin = make_user("integration_admin", username="adm")
    token, _ = api_token_create(actor=owner, name="x", days=7)

    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=other, token=token)
    browser = Client()
    browser.force_login(other)
    assert browser.post(f"/api-tokens/{token.pk}/revoke/").status_code == 403
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None

    browser.force_login(admin)
    assert browser.post(f"/api-tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == admin


def test_a_token_needs_a_name_and_a_known_expiry(make_user):
    user = make_user("viewer")
    browser = Client()
    browser.force_login(user)
    assert browser.post("/api-tokens/", {"name": "", "days": "30"}).status_code == 400
    assert browser.post("/api-tokens/", {"name": "x", "days": "10000"}).status_code == 400
    assert not ApiToken.objects.exists()


@override_settings(API_RATE_LIMIT=3, API_RATE_WINDOW_SECONDS=3600)
def test_each_token_has_its_own_rate_limit(make_user):
    first = ApiClient(api_token_create(actor=make_user("viewer"), name="a", days=7)[1])
    second = ApiClient(api_token_create(actor=make_user("viewer"), name="b", days=7)[1])

    assert [first.get("/api/v1/jobs/").status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = first.get("/api/v1/jobs/")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert 3500 <= int(refused["Retry-After"]) <= 3600
    assert second.get("/api/v1/jobs/").status_code == 200


@override_settings(API_RATE_LIMIT=2, API_RATE_WINDOW_SECONDS=60)
def test_a_new_window_starts_when_the_last_one_is_over(make_user):
    token, secret = api_token_create(actor=make_user("viewer"), name="a", days=7)
    client = ApiClient(secret)
    assert [client.get("/api/v1/jobs/").status_code for _ in range(3)] == [200, 200, 429]
    ApiToken.objects.filter(pk=token.pk).update(window_started_at=timezone.now() - timedelta(seconds=61))
    assert client.get("/api/v1/jobs/").status_code == 200


def test_refused_calls_without_a_valid_token_write_nothing_to_the_audit_table(db):
    for secret in (None, "oct_unknown"):
        assert ApiClient(secret).post("/api/v1/jobs/1/replay/").status_code == 401
    assert not AuditEntry.objects.filter(action__startswith="api.").exists()
