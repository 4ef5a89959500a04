"""Login protection: django-axes throttles per account and per address, failures are logged and audited,
and the client address comes from X-Forwarded-For only behind our proxy (the same rule for axes)."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from opsconsole.core.models import AuditEntry

pytestmark = pytest.mark.django_db

LIMIT = 5  # AXES_FAILURE_LIMIT's default (OPSCONSOLE_LOGIN_FAILURE_LIMIT)


def _post_login(client: Client, username: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": username, "password": password}, **extra)


def test_an_account_is_locked_after_too_many_failures_from_any_address(make_user, password, caplog):
    make_user("ops", username="olivia")
    client = Client()
    caplog.set_level(logging.WARNING, logger="opsconsole.auth")

    for n in range(LIMIT):
        _post_login(client, "olivia", f"wrong-{n}", REMOTE_ADDR=f"198.51.100.{n + 1}")
    locked = _post_login(Client(), "olivia", password, REMOTE_ADDR="192.0.2.77")

    assert locked.status_code == 429
    assert 'data-testid="locked-out"' in locked.content.decode()
    assert "_auth_user_id" not in locked.wsgi_request.session
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "object_id", "ip"))
    failed = [("auth.login_failed", "olivia", f"198.51.100.{n + 1}") for n in range(LIMIT)]
    assert actions == [
        *failed[:-1],
        ("auth.locked_out", "olivia", f"198.51.100.{LIMIT}"),  # axes signals the lockout first
        failed[-1],
        # the right password during the lockout is refused, counted and audited like a wrong one
        ("auth.locked_out", "olivia", "192.0.2.77"),
        ("auth.login_failed", "olivia", "192.0.2.77"),
    ]
    assert not AuditEntry.objects.filter(action="auth.login").exists()
    failures = [r.getMessage() for r in caplog.records if r.name == "opsconsole.auth"]
    assert failures[0] == "failed login for 'olivia' from 198.51.100.1"
    assert "password" not in " ".join(failures) and "wrong-0" not in " ".join(failures)


def test_an_address_is_locked_after_too_many_failures_on_any_account(make_user, password):
    make_user("ops", username="olivia")
    client = Client(REMOTE_ADDR="203.0.113.5")

    for n in range(LIMIT):
        _post_login(client, f"guess{n}", "wrong")
    from_there = _post_login(client, "olivia", password)
    from_elsewhere = _post_login(Client(REMOTE_ADDR="203.0.113.6"), "olivia", password)

    assert from_there.status_code == 429
    assert from_elsewhere.status_code == 302  # the account itself had no failure
    assert AuditEntry.objects.filter(action="auth.login", actor_name="olivia").count() == 1


def test_a_success_before_the_limit_clears_the_count(make_user, password):
    make_user("ops", username="olivia")
    client = Client(REMOTE_ADDR="203.0.113.5")

    for _ in range(LIMIT - 1):
        _post_login(client, "olivia", "wrong")
    assert _post_login(client, "olivia", password).status_code == 302
    client.post("/logout/")
    for _ in range(LIMIT - 1):
        _post_login(client, "olivia", "wrong")

    assert _post_login(client, "olivia", password).status_code == 302


def test_forwarded_for_is_ignored_without_a_proxy(make_user, password, settings):
    settings.BEHIND_PROXY = False
    make_user("ops", username="olivia")

    for n in range(LIMIT):
        # An attacker rotating X-Forwarded-For from one connection address gains nothing.
        _post_login(
            Client(), f"guess{n}", "wrong", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        )
    locked = _post_login(
        Client(), "olivia", password, REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.9.9.9"
    )

    assert locked.status_code == 429
    assert set(AuditEntry.objects.filter(action="auth.login_failed").values_list("ip", flat=True)) == {
        "203.0.113.5"
    }


def test_behind_the_proxy_the_address_is_the_last_forwarded_one(make_user, password, settings):
    settings.BEHIND_PROXY = True
    make_user("ops", username="olivia")
    proxy = {"REMOTE_ADDR": "127.0.0.1"}

    for n in range(LIMIT):
        # The client may put anything first; our proxy appends the address it saw.
        _post_login(Client(), f"guess{n}", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 198.51.100.7", **proxy)
    same_client = _post_login(Client(), "olivia", password, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    other_client = _post_login(Client(), "olivia", password, HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy)

    assert same_client.status_code == 429
    assert other_client.status_code == 302
    assert set(AuditEntry.objects.filter(action="auth.login_failed").values_list("ip", flat=True)) == {
        "198.51.100.7"
    }
    assert AuditEntry.objects.get(action="auth.login").ip == "198.51.100.8"


def test_a_forged_forwarded_value_falls_back_to_the_peer(settings, make_user):
    settings.BEHIND_PROXY = True

    _post_login(Client(), "nobody", "wrong", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="not-an-address")

    assert AuditEntry.objects.get(action="auth.login_failed").ip == "127.0.0.1"
