"""The Connections screen's actions, for integration admins only: add and edit an Odoo connection or a shop
(verified against the real stand-ins over HTTP before anything is saved; secrets write-only), disable and
enable, remove (refused while something depends on it), and "Connect a shop" (the set-up proposal, with its
report). Every action writes an audit row; no response carries a secret."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection as db

from opsconsole.core.models import AuditEntry
from sandbox.odoo.seed import ADMIN_API_KEY, READONLY_API_KEY
from sandbox.odoo.testing import RunningOdooSandbox, odoo_sandbox
from sandbox.shopify.shopdata import DEFAULT_SCOPES
from sandbox.shopify.testing import RunningSandbox, running_sandbox
from sync.models import MappingChange, OdooConnection, ShopifyShop
from tests.console.conftest import make_job
from tests.factories import OdooConnectionFactory, ShopifyShopFactory

pytestmark = pytest.mark.django_db

WRITES = {"create", "write", "unlink", "web_save", "copy"}
CALLBACK = "http://127.0.0.1:9/webhooks/shopify"  # registered at Shopify, never called in these tests


@pytest.fixture(scope="module")
def odoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningOdooSandbox]:
    with odoo_sandbox(tmp_path_factory.mktemp("connect-odoo"), version=19) as standin:
        yield standin


@pytest.fixture(scope="module")
def shopify(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(data_dir=tmp_path_factory.mktemp("connect-shopify")) as standin:
        yield standin


@pytest.fixture
def admin(client_for):  # type: ignore[no-untyped-def]
    return client_for("integration_admin", username="connector")


def _odoo_form(odoo: RunningOdooSandbox, **over: str) -> dict[str, str]:
    return {
        "name": "erp",
        "url": odoo.base_url,
        "database": odoo.db,
        "login": "admin",
        "secret": ADMIN_API_KEY,
        "protocol": "jsonrpc",
        **over,
    }


def _shop_form(shopify: RunningSandbox, odoo_id: int, **over: str) -> dict[str, str]:
    return {
        "domain": shopify.domain,
        "admin_url": shopify.admin_url,
        "api_version": shopify.api_version,
        "token": shopify.token,
        "client_secret": shopify.client_secret,
        "odoo": str(odoo_id),
        **over,
    }


def _raw(table: str, column: str, pk: int) -> str:
    with db.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])  # noqa: S608 - test constants
        return str(cursor.fetchone()[0])


def _actions() -> list[str]:
    entries = AuditEntry.objects.exclude(action__startswith="auth.").order_by("pk")
    return list(entries.values_list("action", flat=True))


@pytest.mark.parametrize("role", ["viewer", "ops", "finance"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/connections/odoo/new/"),
        ("post", "/connections/odoo/new/"),
        ("get", "/connections/odoo/{odoo}/edit/"),
        ("get", "/connections/shops/new/"),
        ("post", "/connections/shops/{shop}/edit/"),
        ("post", "/connections/shopify/{shop}/active/"),
        ("post", "/connections/odoo/{odoo}/active/"),
        ("get", "/connections/shopify/{shop}/remove/"),
        ("post", "/connections/shopify/{shop}/remove/"),
        ("post", "/connections/odoo/{odoo}/remove/"),
        ("get", "/connections/connect-shop/"),
        ("post", "/connections/connect-shop/"),
    ],
)
def test_only_integration_admins_may_act_on_connections(client_for, role, method, path):
    shop = ShopifyShopFactory()
    client, _ = client_for(role)

    response = getattr(client, method)(path.format(shop=shop.pk, odoo=shop.odoo_id), {"active": "0"})

    assert response.status_code == 403
    assert ShopifyShop.objects.get(pk=shop.pk).active is True
    assert OdooConnection.objects.filter(pk=shop.odoo_id).exists()
    assert not AuditEntry.objects.filter(action__startswith="connection.").exists()


def test_an_odoo_connection_is_added_only_once_verified_and_its_key_is_never_shown(admin, odoo):
    client, _ = admin
    odoo.control.reset(seed=True)

    wrong = client.post("/connections/odoo/new/", _odoo_form(odoo, secret="not-the-key"))
    readonly = client.post(
        "/connections/odoo/new/", _odoo_form(odoo, login="readonly", secret=READONLY_API_KEY)
    )
    assert OdooConnection.objects.count() == 0
    saved = client.post("/connections/odoo/new/", _odoo_form(odoo))
    page = client.get("/connections/")
    edit = client.get(f"/connections/odoo/{OdooConnection.objects.get().pk}/edit/")

    assert wrong.status_code == 400
    assert (
        "Odoo refused the login &#x27;admin&#x27; with that password or API key on database "
        "&#x27;sandbox&#x27;." in wrong.content.decode()
    )
    assert readonly.status_code == 400
    assert "The user &#x27;readonly&#x27; may not create payments (account.payment) in Odoo." in (
        readonly.content.decode()
    )
    assert saved.status_code == 302
    connection = OdooConnection.objects.get()
    assert (connection.name, connection.login, connection.server_version) == ("erp", "admin", "19.0")
    assert connection.secret == ADMIN_API_KEY and ADMIN_API_KEY not in _raw(
        "sync_odooconnection", "secret", connection.pk
    )
    assert "Odoo connection erp added: checked Odoo 19.0" in page.content.decode()
    for response in (wrong, readonly, saved, page, edit):
        assert ADMIN_API_KEY.encode() not in response.content
        assert READONLY_API_KEY.encode() not in response.content
    assert _actions() == ["connection.odoo.create"]
    entry = AuditEntry.objects.get(action="connection.odoo.create")
    assert (entry.actor_name, entry.ip) == ("connector", "127.0.0.1") and ADMIN_API_KEY not in str(
        entry.after
    )


def test_editing_an_odoo_connection_keeps_a_blank_secret_and_is_verified_again(admin, odoo):
    client, _ = admin
    odoo.control.reset(seed=True)
    client.post("/connections/odoo/new/", _odoo_form(odoo))
    connection = OdooConnection.objects.get()

    kept = client.post(
        f"/connections/odoo/{connection.pk}/edit/", _odoo_form(odoo, name="erp-main", secret="")
    )
    refused = client.post(
        f"/connections/odoo/{connection.pk}/edit/", _odoo_form(odoo, login="readonly", secret="")
    )

    assert kept.status_code == 302 and refused.status_code == 400
    connection.refresh_from_db()
    assert (connection.name, connection.login, connection.secret) == ("erp-main", "admin", ADMIN_API_KEY)
    update = AuditEntry.objects.get(action="connection.odoo.update")
    assert update.before["name"] == "erp" and update.after["name"] == "erp-main"
    assert update.after["secret_replaced"] is False


def test_a_shop_is_added_only_with_every_scope_and_its_token_is_never_shown(admin, odoo, shopify):
    client, _ = admin
    shopify.control.reset(seed_demo=True)
    erp = OdooConnectionFactory(name="erp")
    shopify.control.settings(scopes=[h for h in DEFAULT_SCOPES if h != "write_inventory"])
    try:
        lacking = client.post("/connections/shops/new/", _shop_form(shopify, erp.pk))
    finally:
        shopify.control.settings(scopes=list(DEFAULT_SCOPES))
    wrong = client.post("/connections/shops/new/", _shop_form(shopify, erp.pk, token="shpat_wrong"))
    assert ShopifyShop.objects.count() == 0
    saved = client.post("/connections/shops/new/", _shop_form(shopify, erp.pk))
    shop = ShopifyShop.objects.get()
    edit = client.get(f"/connections/shops/{shop.pk}/edit/")

    assert lacking.status_code == 400
    assert "The app&#x27;s access token lacks the access scope write_inventory" in lacking.content.decode()
    assert wrong.status_code == 400
    assert f"Shopify refused the access token for {shopify.domain}." in wrong.content.decode()
    assert saved.status_code == 302
    assert (shop.domain, shop.odoo_id, shop.access_token) == (shopify.domain, erp.pk, shopify.token)
    assert shopify.token not in _raw("sync_shopifyshop", "access_token", shop.pk)
    for response in (lacking, wrong, saved, edit, client.get("/connections/")):
        assert shopify.token.encode() not in response.content
        assert shopify.client_secret.encode() not in response.content
    assert _actions() == ["connection.shopify.create"]


def test_editing_a_shop_keeps_blank_secrets_and_a_disabled_shop_stays_disabled(admin, shopify):
    client, _ = admin
    shopify.control.reset(seed_demo=True)
    erp, other = OdooConnectionFactory(name="erp"), OdooConnectionFactory(name="erp-2")
    client.post("/connections/shops/new/", _shop_form(shopify, erp.pk))
    shop = ShopifyShop.objects.get()
    client.post(f"/connections/shopify/{shop.pk}/active/", {"active": "0"})

    response = client.post(
        f"/connections/shops/{shop.pk}/edit/",
        _shop_form(shopify, other.pk, token="", client_secret="", domain="ignored.myshopify.com"),
    )

    assert response.status_code == 302
    shop.refresh_from_db()
    assert (shop.domain, shop.odoo_id, shop.active) == (shopify.domain, other.pk, False)
    assert (shop.access_token, shop.client_secret) == (shopify.token, shopify.client_secret)
    assert shop.previous_client_secret == ""
    assert _actions() == [
        "connection.shopify.create",
        "connection.shopify.disable",
        "connection.shopify.update",
    ]


def test_disabling_and_enabling_are_audited(admin):
    client, _ = admin
    shop = ShopifyShopFactory()

    client.post(f"/connections/shopify/{shop.pk}/active/", {"active": "0"})
    off = ShopifyShop.objects.get(pk=shop.pk).active
    client.post(f"/connections/odoo/{shop.odoo_id}/active/", {"active": "0"})
    client.post(f"/connections/shopify/{shop.pk}/active/", {"active": "1"})

    assert off is False
    assert ShopifyShop.objects.get(pk=shop.pk).active is True
    assert OdooConnection.objects.get(pk=shop.odoo_id).active is False
    assert _actions() == [
        "connection.shopify.disable",
        "connection.odoo.disable",
        "connection.shopify.enable",
    ]
    assert AuditEntry.objects.filter(action="connection.shopify.disable").get().before == {"active": True}


def test_a_shop_with_history_is_not_removed_and_the_page_says_why(admin):
    client, _ = admin
    shop = ShopifyShopFactory()
    make_job(shop)

    confirm = client.get(f"/connections/shopify/{shop.pk}/remove/")
    refused = client.post(f"/connections/shopify/{shop.pk}/remove/", follow=True)
    odoo_refused = client.post(f"/connections/odoo/{shop.odoo_id}/remove/", follow=True)

    assert "It cannot be removed: it has history that removing it would delete" in confirm.content.decode()
    said = refused.content.decode()
    assert (
        f"Not removed: {shop.domain} has history (1 inbound events, 1 problems, 1 sync jobs) that removing "
        "it would delete; disable it instead (webhooks are refused and nothing is synced, the history stays)."
    ) in said
    assert f"Not removed: {shop.domain} uses the Odoo connection" in odoo_refused.content.decode()
    assert ShopifyShop.objects.filter(pk=shop.pk).exists()
    assert not AuditEntry.objects.filter(action__endswith=".remove").exists()


def test_a_shop_without_history_and_then_its_odoo_are_removed_and_audited(admin):
    client, _ = admin
    shop = ShopifyShopFactory()
    odoo_id, domain = shop.odoo_id, shop.domain

    confirm = client.get(f"/connections/shopify/{shop.pk}/remove/")
    removed = client.post(f"/connections/shopify/{shop.pk}/remove/", follow=True)
    client.post(f"/connections/odoo/{odoo_id}/remove/")

    assert 'data-testid="confirm-remove"' in confirm.content.decode()
    assert f"The shop {domain} was removed with its set-up; it had no history." in removed.content.decode()
    assert not ShopifyShop.objects.exists() and not OdooConnection.objects.exists()
    assert _actions() == ["connection.shopify.remove", "connection.odoo.remove"]


def test_connect_a_shop_proposes_one_change_shows_the_report_and_writes_nothing_to_odoo(admin, odoo, shopify):
    client, _ = admin
    odoo.control.reset(seed=True)
    shopify.control.reset(seed_demo=True)
    client.post("/connections/odoo/new/", _odoo_form(odoo))
    client.post("/connections/shops/new/", _shop_form(shopify, OdooConnection.objects.get().pk))
    shop = ShopifyShop.objects.get()
    form = client.get("/connections/connect-shop/")
    odoo.control.reset_counters()

    response = client.post(
        "/connections/connect-shop/",
        {"shop": shop.pk, "odoo": shop.odoo_id, "callback_url": CALLBACK},
    )
    again = client.post(
        "/connections/connect-shop/",
        {"shop": shop.pk, "odoo": shop.odoo_id, "callback_url": CALLBACK},
    )

    assert "http://testserver/webhooks/shopify" in form.content.decode()  # the default callback URL
    assert response.status_code == 200
    change = MappingChange.objects.get(shop=shop)
    assert change.state == MappingChange.State.PROPOSED and change.proposed_by.username == "connector"
    html = response.content.decode()
    assert f'href="/mappings/changes/{change.pk}/"' in html
    for section in ("matched", "ambiguous", "missing_in_odoo", "missing_in_shopify"):
        assert f'data-testid="section-{section}"' in html
    report = AuditEntry.objects.get(action="mapping.propose").after["report"]
    for section, counts in report["summary"].items():
        assert html.count(f'data-testid="row-{section}"') == sum(counts.values())
    assert sum(report["summary"]["matched"].values()) > 0
    writes = {
        m: sorted(set(calls) & WRITES)
        for m, calls in odoo.control.counters()["calls"].items()
        if set(calls) & WRITES
    }
    assert writes == {}
    assert (
        "No new proposal" in again.content.decode() and MappingChange.objects.filter(shop=shop).count() == 1
    )
    assert _actions()[-3:] == ["mapping.propose", "connection.onboard", "connection.onboard"]
    assert shopify.token.encode() not in response.content


def test_connect_a_shop_bigger_than_the_limit_proposes_nothing_and_says_to_use_setup_shop(
    admin, odoo, shopify, monkeypatch
):
    client, _ = admin
    odoo.control.reset(seed=True)
    shopify.control.reset(seed_demo=True)
    client.post("/connections/odoo/new/", _odoo_form(odoo))
    client.post("/connections/shops/new/", _shop_form(shopify, OdooConnection.objects.get().pk))
    shop = ShopifyShop.objects.get()
    monkeypatch.setattr("sync.services.setup.CONSOLE_MAX_VARIANTS", 5)  # the demo shop has more

    response = client.post(
        "/connections/connect-shop/", {"shop": shop.pk, "odoo": shop.odoo_id, "callback_url": CALLBACK}
    )

    assert response.status_code == 400
    assert (
        f"{shop.domain} has more than 5 product variants: run manage.py setup_shop for it (no time limit "
        "there); nothing was proposed or registered."
    ) in response.content.decode()
    assert not MappingChange.objects.exists()
    assert shopify.control.subscriptions()["subscriptions"] == []
    assert not AuditEntry.objects.filter(action__in=["mapping.propose", "connection.onboard"]).exists()
