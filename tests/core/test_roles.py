import pytest
from django.contrib.auth.models import Group

from opsconsole.core.roles import PERMISSIONS, ROLE_PERMISSIONS

CONSOLE_PAGES = ["/", "/exceptions/", "/jobs/", "/mappings/", "/reconciliation/", "/connections/", "/audit/"]


@pytest.mark.django_db
def test_the_data_migration_creates_each_role_with_exactly_its_permissions():
    groups = {g.name: sorted(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}

    assert groups == {role: sorted(codes) for role, codes in ROLE_PERMISSIONS.items()}
    assert sorted(ROLE_PERMISSIONS["integration_admin"]) == sorted(code for code, _ in PERMISSIONS)


@pytest.mark.django_db
@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_every_console_page_requires_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


@pytest.mark.django_db
@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_an_integration_admin_opens_every_page(client, make_user, path):
    client.force_login(make_user("integration_admin"))

    assert client.get(path).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["viewer", "ops", "finance"])
def test_only_integration_admins_manage_connections(client, make_user, role):
    client.force_login(make_user(role))

    response = client.get("/connections/")

    assert response.status_code == 403
    assert b"You do not have access to this page" in response.content


@pytest.mark.django_db
def test_a_user_without_a_role_sees_nothing(client, make_user):
    client.force_login(make_user(None))

    assert client.get("/").status_code == 403


@pytest.mark.django_db
def test_logout_is_a_post_and_ends_the_session(client, make_user):
    client.force_login(make_user("ops"))

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_login_with_a_wrong_password_is_refused(client, make_user):
    make_user("ops", username="olivia")

    response = client.post("/login/", {"username": "olivia", "password": "wrong-password-123"})

    assert response.status_code == 200
    assert b"did not match" in response.content
    assert "_auth_user_id" not in client.session
