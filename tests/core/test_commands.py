import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory, override_settings

from opsconsole.core.models import AuditEntry


def _login(username: str, password: str):  # type: ignore[no-untyped-def]
    # django-axes needs the request to count failures per address.
    return authenticate(RequestFactory().post("/login/"), username=username, password=password)


@pytest.mark.django_db
def test_create_user_gives_the_user_one_role_and_the_password(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-Passphrase-42\n"))

    call_command(
        "create_user",
        "--username",
        "alice",
        "--role",
        "integration_admin",
        "--superuser",
        "--password-stdin",
        stdout=io.StringIO(),
    )

    user = get_user_model().objects.get(username="alice")
    assert list(user.groups.values_list("name", flat=True)) == ["integration_admin"]
    assert user.is_superuser and user.is_staff
    assert _login("alice", "a-long-Passphrase-42") == user


@pytest.mark.django_db
def test_create_user_refuses_a_weak_password(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("123\n"))

    with pytest.raises(CommandError):
        call_command("create_user", "--username", "bob", "--role", "ops", "--password-stdin")

    assert not get_user_model().objects.filter(username="bob").exists()


@pytest.mark.django_db
def test_demo_users_exist_only_in_demo_mode():
    with override_settings(DEMO_MODE=False), pytest.raises(CommandError):
        call_command("demo_users")

    assert get_user_model().objects.count() == 0


@pytest.mark.django_db
def test_demo_users_print_fresh_passwords_that_work():
    out = io.StringIO()
    with override_settings(DEMO_MODE=True):
        call_command("demo_users", stdout=out)

    rows = {line.split()[0]: line.split() for line in out.getvalue().splitlines()[1:]}
    assert set(rows) == {"admin", "admin2", "ops", "finance", "viewer"}
    assert rows["ops"][1] == "ops"
    assert _login("ops", rows["ops"][2]) is not None
    # No demo user is a superuser: the maker-checker tour needs two integration admins, nothing more.
    assert list(get_user_model().objects.filter(is_superuser=True)) == []
    assert list(get_user_model().objects.filter(is_staff=True)) == []


@pytest.mark.django_db
def test_create_user_makes_no_superuser_unless_asked(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-Passphrase-42\n"))
    out = io.StringIO()

    call_command(
        "create_user", "--username", "alice", "--role", "integration_admin", "--password-stdin", stdout=out
    )

    user = get_user_model().objects.get(username="alice")
    assert (user.is_superuser, user.is_staff) == (False, False)
    assert out.getvalue() == "User alice has the role integration_admin.\n"


@pytest.mark.django_db
def test_create_user_is_audited_with_the_values_it_set(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-Passphrase-42\n"))

    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "create_user",
            "--username",
            "alice",
            "--role",
            "ops",
            "--superuser",
            "--password-stdin",
            stdout=io.StringIO(),
        )

    entries = list(
        AuditEntry.objects.order_by("id").values("action", "actor_name", "summary", "before", "after")
    )
    assert entries == [
        {
            "action": "user.create",
            "actor_name": "system",
            "summary": "user alice created (via create_user command)",
            "before": None,
            "after": {
                "username": "alice",
                "email": "",
                "first_name": "",
                "last_name": "",
                "is_active": True,
                "is_staff": True,
                "is_superuser": True,
            },
        },
        {
            "action": "user.groups",
            "actor_name": "system",
            "summary": "user alice: groups ops (via create_user command)",
            "before": {"groups": []},
            "after": {"groups": ["ops"]},
        },
    ]
