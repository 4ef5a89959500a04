"""Maker-checker a superuser cannot sidestep: an approver must have held the approve permission, without a
break, since before the change was proposed. The django-admin scenario of the security review: a superuser
proposes a change, creates a second integration admin in /django-admin/ and has it approve."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from opsconsole.core.models import AuditEntry, PermissionGrant
from sync.models import MappingChange, MappingEntry
from sync.services.console import mapping_approve, mapping_propose, mapping_reject
from sync.services.mappings import MappingRow

User = get_user_model()
ROWS = [MappingRow("sku", "ABC-123", {"product_id": 42})]


def _admin_makes_user(root_client: Client, username: str) -> object:
    response = root_client.post(
        "/django-admin/auth/user/add/",
        {
            "username": username,
            "usable_password": "true",
            "password1": "a-long-Passphrase-42",
            "password2": "a-long-Passphrase-42",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username=username)
    response = root_client.post(
        f"/django-admin/auth/user/{user.pk}/change/",
        {
            "username": username,
            "is_active": "on",
            "groups": [str(Group.objects.get(name="integration_admin").pk)],
            "date_joined_0": "2026-11-01",
            "date_joined_1": "10:00:00",
            "initial-date_joined_0": "2026-11-01",
            "initial-date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return user


def test_an_admin_a_superuser_makes_after_proposing_cannot_approve_the_change(shop, make_user):
    # given an integration admin who could approve all along, and a superuser who proposes a change
    ada = make_user("integration_admin", username="ada")
    root = make_user(None, username="root", is_superuser=True, is_staff=True)
    change = mapping_propose(actor=root, shop=shop, rows=ROWS, summary="root's own change")
    root_client = Client()
    root_client.force_login(root)

    # when the superuser creates a second integration admin in the Django admin and has it approve
    mallory = _admin_makes_user(root_client, "mallory")
    assert mallory.has_perm("core.approve_mapping")
    client = Client()
    client.force_login(mallory)
    page = client.get(f"/mappings/changes/{change.pk}/").content.decode()
    response = client.post(f"/mappings/changes/{change.pk}/approve/")
    with pytest.raises(PermissionDenied, match="before it was proposed"):
        mapping_approve(actor=mallory, change=change)
    with pytest.raises(PermissionDenied, match="before it was proposed"):
        mapping_reject(actor=mallory, change=change, note="no")

    # then the approval is refused in the view and in the service, and nothing is applied
    assert response.status_code == 403
    assert 'data-testid="approve"' not in page
    assert 'data-testid="approver-too-new"' in page
    change.refresh_from_db()
    assert (change.state, change.version) == ("proposed", None)
    assert not MappingEntry.objects.filter(key="ABC-123").exists()
    # and the user's creation and role are in the audit log, by the superuser
    assert list(
        AuditEntry.objects.filter(object_type="user", object_id=str(mallory.pk))
        .order_by("id")
        .values_list("action", "actor_name")
    )[:1] == [("user.create", "root")]

    # when the admin who held the permission before the proposal approves it
    mapping_approve(actor=ada, change=change)

    # then it is applied
    change.refresh_from_db()
    assert (change.state, change.decided_by) == ("approved", ada)


def test_a_superuser_flag_given_after_the_proposal_does_not_count(shop, make_user):
    proposer = make_user("integration_admin", username="ada")
    change = mapping_propose(actor=proposer, shop=shop, rows=ROWS, summary="map")
    viewer = make_user("viewer", username="vic")

    viewer.is_superuser = True
    viewer.save()

    with pytest.raises(PermissionDenied):
        mapping_approve(actor=User.objects.get(pk=viewer.pk), change=change)


def test_a_role_taken_away_and_given_back_after_the_proposal_does_not_count(shop, make_user):
    proposer = make_user("integration_admin", username="ada")
    bob = make_user("integration_admin", username="bob")
    change = mapping_propose(actor=proposer, shop=shop, rows=ROWS, summary="map")
    admins = Group.objects.get(name="integration_admin")

    bob.groups.remove(admins)
    bob.groups.add(admins)

    with pytest.raises(PermissionDenied):
        mapping_approve(actor=User.objects.get(pk=bob.pk), change=change)
    grants = list(
        PermissionGrant.objects.filter(user=bob).order_by("granted_at").values_list("revoked_at", flat=True)
    )
    assert len(grants) == 2 and grants[0] is not None and grants[1] is None


def test_a_permission_given_to_the_group_from_the_group_side_opens_a_grant(make_user):
    vic = make_user("viewer", username="vic")
    assert not PermissionGrant.objects.filter(user=vic).exists()
    from django.contrib.auth.models import Permission

    approve = Permission.objects.get(content_type__app_label="core", codename="approve_mapping")
    approve.group_set.add(Group.objects.get(name="viewer"))

    assert PermissionGrant.objects.filter(user=vic, revoked_at__isnull=True).count() == 1


def test_a_currency_rule_or_pricelist_row_that_cannot_work_is_refused_when_proposed(shop, make_user):
    # given an integration admin
    ada = make_user("integration_admin", username="ada")
    bad = [
        MappingRow("shop", "shop", {"currency": "EUR", "book_currency": "customer"}),
        MappingRow("pricelist", "usd", {"pricelist_id": 9}),
    ]
    # when a change with a rule that does not exist and a row keyed by no currency code is proposed
    with pytest.raises(ValidationError) as err:
        mapping_propose(actor=ada, shop=shop, rows=bad, summary="book in presentment")
    # then it is refused naming both, and nothing is proposed; the right rows are accepted
    assert err.value.messages == [
        "book_currency must be one of shop, presentment, not 'customer'",
        "the key of a pricelist row is a currency code like USD, not 'usd'",
    ]
    assert not MappingChange.objects.filter(shop=shop).exists()
    good = [
        MappingRow("shop", "shop", {"currency": "EUR", "book_currency": "presentment"}),
        MappingRow("pricelist", "USD", {"pricelist_id": 9}),
    ]
    change = mapping_propose(actor=ada, shop=shop, rows=good, summary="book in presentment")
    assert [r["key"] for r in change.rows] == ["shop", "USD"]
