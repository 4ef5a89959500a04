"""Sessions through the real middleware: an idle timeout that polling does not extend, an absolute
lifetime from the login, and htmx requests of an ended session sent to the login page as a whole."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from opsconsole.core.models import AuditEntry
from opsconsole.core.signals import AUTH_STARTED_KEY

pytestmark = pytest.mark.django_db

POLL = {"HTTP_HX_REQUEST": "true", "HTTP_X_OPSCONSOLE_POLL": "1"}


@pytest.fixture
def logged_in(make_user, password) -> Client:
    make_user("ops", username="olivia")
    client = Client()
    assert client.post("/login/", {"username": "olivia", "password": password}).status_code == 302
    return client


def _session(client: Client) -> Session:
    return Session.objects.get(session_key=client.cookies["sessionid"].value)


def _expire_in(client: Client, seconds: int) -> timezone.datetime:
    session = _session(client)
    session.expire_date = timezone.now() + timedelta(seconds=seconds)
    session.save()
    return session.expire_date


def test_a_poll_does_not_extend_the_idle_timeout(logged_in):
    expires = _expire_in(logged_in, 60)

    response = logged_in.get("/exceptions/badge/", **POLL)

    assert response.status_code == 200
    assert "sessionid" not in response.cookies  # no renewed cookie either
    assert _session(logged_in).expire_date == expires


def test_the_persons_own_request_extends_it(logged_in, settings):
    expires = _expire_in(logged_in, 60)

    response = logged_in.get("/jobs/")

    assert response.status_code == 200
    assert response.cookies["sessionid"]["max-age"] == settings.SESSION_COOKIE_AGE
    assert _session(logged_in).expire_date > expires + timedelta(seconds=settings.SESSION_COOKIE_AGE - 120)


def test_an_idle_session_ends_even_while_a_tab_polls(logged_in):
    _expire_in(logged_in, 60)
    for _ in range(3):
        logged_in.get("/", **POLL)
    _expire_in(logged_in, -1)  # the idle timeout passes with only polls in between

    poll = logged_in.get("/exceptions/badge/", **POLL)
    page = logged_in.get("/jobs/")

    assert (poll.status_code, poll["HX-Refresh"]) == (401, "true")  # htmx reloads the page: to the login
    assert (page.status_code, page["Location"]) == (302, "/login/?next=/jobs/")


def test_a_session_ends_after_its_absolute_lifetime_however_active(logged_in, settings):
    session = logged_in.session
    session[AUTH_STARTED_KEY] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()

    response = logged_in.get("/jobs/")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/jobs/")
    entry = AuditEntry.objects.get(action="auth.session_expired")
    assert (entry.actor_name, entry.summary) == ("olivia", "olivia's session reached its absolute lifetime")
    assert logged_in.get("/jobs/").status_code == 302  # the session is gone, not only refused once


def test_a_session_within_its_lifetime_carries_on(logged_in, settings):
    session = logged_in.session
    session[AUTH_STARTED_KEY] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS + 300
    session.save()

    assert logged_in.get("/jobs/").status_code == 200
    assert not AuditEntry.objects.filter(action="auth.session_expired").exists()


def test_the_polling_elements_are_marked(logged_in):
    # static/js/console.js sends X-Opsconsole-Poll for requests of [data-poll] elements (the browser test
    # tests/browser/test_security_headers.py sees it on the wire).
    dashboard = logged_in.get("/").content.decode()
    exceptions = logged_in.get("/exceptions/").content.decode()

    assert dashboard.count(" data-poll") == 2  # the dashboard's live block and the problems badge
    assert exceptions.count(" data-poll") == 2  # the problem list and the badge
