"""The audit log: login and logout are recorded, filters work, and nothing can change an entry."""

import pytest
from django.contrib import admin
from django.test import Client

from opsconsole.core.audit import audit_record
from opsconsole.core.models import AuditEntry


def test_login_and_logout_are_audited(make_user, password):
    make_user("ops", username="olivia")
    client = Client()

    client.post("/login/", {"username": "olivia", "password": password})
    client.post("/logout/")

    assert list(AuditEntry.objects.order_by("id").values_list("action", "actor_name")) == [
        ("auth.login", "olivia"),
        ("auth.logout", "olivia"),
    ]


def test_the_log_filters_by_actor_and_action(client_for):
    client, _ = client_for("viewer", "vera")
    audit_record(action="job.replay", summary="replayed 3 job(s)", object_type="sync_job", object_id="1")
    audit_record(
        action="mapping.approve", summary="approved 'map SKU'", object_type="mapping_change", object_id="9"
    )

    by_action = client.get(
        "/audit/", {"action": "mapping.approve"}, headers={"HX-Request": "true"}
    ).content.decode()
    by_actor = client.get("/audit/", {"actor": "system"}, headers={"HX-Request": "true"}).content.decode()

    assert by_action.count('data-testid="audit-row"') == 1
    assert "approved &#x27;map SKU&#x27;" in by_action
    assert by_actor.count('data-testid="audit-row"') == 2


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_no_url_changes_an_audit_entry(client_for, method):
    client, _ = client_for("integration_admin")
    entry = audit_record(action="job.replay", summary="original")
    before = list(AuditEntry.objects.values_list("pk", "summary"))

    response = getattr(client, method)("/audit/", {"id": entry.pk, "summary": "rewritten"})

    assert response.status_code == 405
    entry.refresh_from_db()
    assert list(AuditEntry.objects.values_list("pk", "summary")) == before
    assert entry.summary == "original"


def test_the_audit_entry_is_not_in_django_admin():
    assert not admin.site.is_registered(AuditEntry)


def test_the_audit_log_has_one_route_and_it_only_reads():
    from django.urls import get_resolver

    names = [p.name for p in get_resolver().url_patterns if getattr(p, "name", None)]
    assert [n for n in names if n.startswith("audit")] == ["audit"]
