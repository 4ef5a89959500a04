import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings


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
    assert authenticate(username="alice", password="a-long-Passphrase-42") == user


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
    assert authenticate(username="ops", password=rows["ops"][2]) is not None
    assert get_user_model().objects.get(username="admin").is_superuser
