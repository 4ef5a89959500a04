"""Every change of users, groups and permissions is audited with before and after, wherever it is made;
the django-q2 schedule admin (arbitrary functions in the worker) is read-only in production."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import override_settings
from django_q.models import Schedule

from opsconsole.core.models import AuditEntry
from tests.support.processes import ROOT, process_env

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def superuser(make_user):  # type: ignore[no-untyped-def]
    return make_user(None, username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def admin_client(client, superuser):  # type: ignore[no-untyped-def]
    client.force_login(superuser)
    return client


# Membership and permission changes are audited when their transaction commits; a test's own transaction
# never does, so these tests run the commit callbacks as a commit would (django_capture_on_commit_callbacks).


def _entries(prefix: str) -> list[dict[str, object]]:
    return list(
        AuditEntry.objects.filter(action__startswith=prefix)
        .order_by("id")
        .values("action", "actor_name", "object_id", "summary", "before", "after", "ip")
    )


def test_a_user_added_in_the_django_admin_is_audited_with_its_author(admin_client):
    response = admin_client.post(
        "/django-admin/auth/user/add/",
        {
            "username": "mallory",
            "usable_password": "true",
            "password1": "a-long-Passphrase-42",
            "password2": "a-long-Passphrase-42",
        },
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    mallory = User.objects.get(username="mallory")
    assert _entries("user.") == [
        {
            "action": "user.create",
            "actor_name": "root",
            "object_id": str(mallory.pk),
            "summary": "user mallory created (via /django-admin/auth/user/add/)",
            "before": None,
            "after": {
                "username": "mallory",
                "email": "",
                "first_name": "",
                "last_name": "",
                "is_active": True,
                "is_staff": False,
                "is_superuser": False,
            },
            "ip": "203.0.113.9",
        }
    ]


def test_a_role_and_superuser_flag_given_in_the_django_admin_are_audited(
    admin_client, make_user, django_capture_on_commit_callbacks
):
    target = make_user("viewer", username="vera")
    admin_group = Group.objects.get(name="integration_admin")
    form = {
        "username": "vera",
        "email": "vera@example.test",
        "is_active": "on",
        "is_superuser": "on",
        "groups": [str(admin_group.pk)],
        "date_joined_0": "2026-11-01",
        "date_joined_1": "10:00:00",
        "initial-date_joined_0": "2026-11-01",
        "initial-date_joined_1": "10:00:00",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/django-admin/auth/user/{target.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:3000]
    entries = _entries("user.")
    assert [(e["action"], e["actor_name"], e["before"], e["after"]) for e in entries] == [
        ("user.change", "root", {"is_superuser": False}, {"is_superuser": True}),
        ("user.groups", "root", {"groups": ["viewer"]}, {"groups": ["integration_admin"]}),
    ]


def test_a_group_permission_change_in_the_django_admin_is_audited(
    admin_client, django_capture_on_commit_callbacks
):
    viewer = Group.objects.get(name="viewer")
    approve = Permission.objects.get(content_type__app_label="core", codename="approve_mapping")
    kept = list(viewer.permissions.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/django-admin/auth/group/{viewer.pk}/change/",
            {"name": "viewer", "permissions": [str(pk) for pk in [*kept, approve.pk]]},
        )

    assert response.status_code == 302
    assert [(e["action"], e["actor_name"], e["before"], e["after"]) for e in _entries("group.")] == [
        (
            "group.permissions",
            "root",
            {"permissions": ["core.view_audit_log", "core.view_console"]},
            {"permissions": ["core.approve_mapping", "core.view_audit_log", "core.view_console"]},
        )
    ]


def test_adding_members_from_the_group_side_is_audited(make_user):
    from opsconsole.core.audit import audit_context

    olivia = make_user(None, username="olivia")
    ops = Group.objects.get(name="ops")

    with audit_context(via="a shell"):
        ops.user_set.add(olivia)

    assert [(e["action"], e["summary"], e["after"]) for e in _entries("user.")] == [
        ("user.groups", "olivia added to group ops (via a shell)", {"added": ["olivia"], "groups": ["ops"]})
    ]


def test_a_password_change_is_audited_without_the_password(make_user):
    from opsconsole.core.audit import audit_context

    user = make_user("ops", username="otto")
    old_hash = user.password

    with audit_context(via="manage.py changepassword"):
        user.set_password("another-long-Passphrase-7")
        user.save()

    entry = AuditEntry.objects.get(action="user.change")
    assert (entry.summary, entry.before, entry.after) == (
        "user otto: password changed (via manage.py changepassword)",
        {"password": "(previous)"},
        {"password": "(changed)"},
    )
    assert old_hash not in str(entry.before) and user.password not in str(entry.after)


def test_logging_in_does_not_write_a_user_change(client, make_user, password):
    make_user("ops", username="olivia")

    client.post("/login/", {"username": "olivia", "password": password})

    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["auth.login"]


@pytest.mark.django_db(transaction=True)
def test_djangos_own_commands_through_manage_py_are_audited():
    make = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.contrib.auth.models import User; User.objects.create_user('carol', password='x'*20)",
        ],
        cwd=ROOT,
        env=process_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert make.returncode == 0, make.stderr
    entry = AuditEntry.objects.get(action="user.create")
    assert (entry.actor_name, entry.summary) == ("system", "user carol created (via manage.py shell)")


def test_demo_users_are_audited_as_made_by_the_demo(settings):
    settings.DEMO_MODE = True

    call_command("demo_users", stdout=io.StringIO())

    created = AuditEntry.objects.filter(action="user.create").values_list("summary", flat=True)
    assert sorted(created) == sorted(
        f"user {name} created (via demo_users)" for name in ("admin", "admin2", "ops", "finance", "viewer")
    )


# The django-q2 schedule admin ------------------------------------------------------------------------------


def test_schedules_are_read_only_in_the_django_admin_in_production(admin_client):
    schedule = Schedule.objects.create(name="probe", func="opsconsole.core.tasks.worker_heartbeat")

    add = admin_client.post("/django-admin/django_q/schedule/add/", {"name": "x", "func": "os.system"})
    change = admin_client.post(
        f"/django-admin/django_q/schedule/{schedule.pk}/change/",
        {"name": "probe", "func": "os.system", "args": "'touch /tmp/owned'", "schedule_type": "O"},
    )
    delete = admin_client.post(f"/django-admin/django_q/schedule/{schedule.pk}/delete/", {"post": "yes"})
    listing = admin_client.get("/django-admin/django_q/schedule/")

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert listing.status_code == 200 and "probe" in listing.content.decode()
    schedule.refresh_from_db()
    assert schedule.func == "opsconsole.core.tasks.worker_heartbeat"
    assert not Schedule.objects.filter(func="os.system").exists()


@override_settings(DEMO_MODE=True)
def test_schedules_stay_editable_in_demo_mode(admin_client):
    assert admin_client.get("/django-admin/django_q/schedule/add/").status_code == 200
