"""Connecting checks before it saves: the login, the database, the Odoo version and the access rights the
integration reads and writes with; the shop's token, API version and access scopes. What is wrong is said
plainly (one sentence per failing check), and nothing is stored."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from sandbox.shopify.shopdata import DEFAULT_SCOPES
from sync.models import OdooConnection, ShopifyShop


def _connect_odoo(standin, monkeypatch, *, secret=None, db="sandbox", login="admin"):
    monkeypatch.setenv("ODOO_SECRET", secret or standin.api_key)
    out = io.StringIO()
    call_command(
        "connect_odoo",
        "--url",
        standin.base_url,
        "--db",
        db,
        "--login",
        login,
        "--name",
        "checked",
        stdout=out,
    )
    return out.getvalue()


@pytest.mark.parametrize("version", [17, 19])
def test_connect_odoo_checks_the_login_database_and_version_before_saving(
    db, odoo_standins, monkeypatch, version
):
    standin = odoo_standins(version)
    standin.control.reset(seed=True)

    with pytest.raises(CommandError) as wrong_key:
        _connect_odoo(standin, monkeypatch, secret="not-the-key")
    with pytest.raises(CommandError) as wrong_db:
        _connect_odoo(standin, monkeypatch, db="nope")
    assert not OdooConnection.objects.exists()
    said = _connect_odoo(standin, monkeypatch)

    assert str(wrong_key.value) == (
        "Not saved: Odoo refused the login 'admin' with that password or API key on database 'sandbox'."
    )
    assert str(wrong_db.value).startswith("Not saved: ")
    assert "nope" in str(wrong_db.value)
    assert f"checked: Odoo {version}.0, login, read and write rights" in said
    assert OdooConnection.objects.get().name == "checked"


def test_connect_shopify_checks_the_token_before_saving(db, odoo_standins, shopify_standin, monkeypatch):
    standin = odoo_standins(19)
    _connect_odoo(standin, monkeypatch)
    shopify_standin.control.reset(seed_demo=True)
    args = [
        "--domain",
        shopify_standin.domain,
        "--api-version",
        shopify_standin.api_version,
        "--admin-url",
        shopify_standin.admin_url,
    ]
    monkeypatch.setenv("SHOPIFY_CLIENT_SECRET", shopify_standin.client_secret)

    monkeypatch.setenv("SHOPIFY_TOKEN", "shpat_wrong")
    with pytest.raises(CommandError) as refused:
        call_command("connect_shopify", *args, stdout=io.StringIO())
    assert not ShopifyShop.objects.exists()
    monkeypatch.setenv("SHOPIFY_TOKEN", shopify_standin.token)
    out = io.StringIO()
    call_command("connect_shopify", *args, stdout=out)

    assert str(refused.value) == f"Not saved: Shopify refused the access token for {shopify_standin.domain}."
    assert f"token, API version {shopify_standin.api_version} and access scopes" in out.getvalue()
    assert ShopifyShop.objects.get().domain == shopify_standin.domain


@pytest.mark.parametrize("version", [17, 18, 19])
def test_connect_odoo_names_each_model_a_read_only_user_may_not_write(
    db, odoo_standins, monkeypatch, version
):
    standin = odoo_standins(version)

    with pytest.raises(CommandError) as refused:
        _connect_odoo(standin, monkeypatch, login="readonly", secret="sandbox-readonly-key")

    said = str(refused.value)
    assert said.startswith(
        "Not saved: The user 'readonly' may not create or modify sales orders (sale.order)"
    )
    assert "The user 'readonly' may not create payments (account.payment)" in said
    assert "The user 'readonly' may not modify transfers (stock.picking)" in said
    assert "The user 'readonly' may not create the invoicing wizard (sale.advance.payment.inv)" in said
    assert "products (product.product)" not in said  # reading is allowed
    assert said.count("; ") == 12  # one sentence for each of the 13 models the integration writes
    assert not OdooConnection.objects.exists()


def test_connect_odoo_names_the_one_right_missing(db, odoo_standins, monkeypatch):
    standin = odoo_standins(19)
    standin.control.credentials(login="admin", denied={"account.payment": ["create"]})
    try:
        with pytest.raises(CommandError) as refused:
            _connect_odoo(standin, monkeypatch)
    finally:
        standin.control.credentials(login="admin", restore=True)

    assert (
        str(refused.value) == "Not saved: The user 'admin' may not create payments (account.payment) in Odoo."
    )
    assert not OdooConnection.objects.exists()


def test_connect_shopify_names_the_access_scopes_the_token_lacks(
    db, odoo_standins, shopify_standin, monkeypatch
):
    _connect_odoo(odoo_standins(19), monkeypatch)
    shopify_standin.control.reset(seed_demo=True)
    granted = [h for h in DEFAULT_SCOPES if h not in ("write_inventory", "read_returns", "write_returns")]
    shopify_standin.control.settings(scopes=granted)
    monkeypatch.setenv("SHOPIFY_CLIENT_SECRET", shopify_standin.client_secret)
    monkeypatch.setenv("SHOPIFY_TOKEN", shopify_standin.token)
    try:
        with pytest.raises(CommandError) as refused:
            call_command(
                "connect_shopify",
                "--domain",
                shopify_standin.domain,
                "--api-version",
                shopify_standin.api_version,
                "--admin-url",
                shopify_standin.admin_url,
                stdout=io.StringIO(),
            )
    finally:
        shopify_standin.control.settings(scopes=list(DEFAULT_SCOPES))

    assert str(refused.value) == (
        "Not saved: The app's access token lacks the access scopes read_returns, write_inventory, "
        "write_returns: grant them in the app's configuration and reinstall the app on the shop."
    )
    assert not ShopifyShop.objects.exists()


def test_connect_odoo_over_json2_needs_odoo_19(db, odoo_standins, monkeypatch):
    standin = odoo_standins(18)
    monkeypatch.setenv("ODOO_SECRET", standin.api_key)

    with pytest.raises(CommandError) as refused:
        call_command(
            "connect_odoo",
            *("--url", standin.base_url, "--db", "sandbox", "--login", "admin", "--protocol", "json2"),
            stdout=io.StringIO(),
        )

    assert str(refused.value) == (
        f"Not saved: Odoo at {standin.base_url} did not answer as Odoo does (ContractError: JSON-2 needs "
        "Odoo 19 or later; this server is 18.0)."
    )
    assert not OdooConnection.objects.exists()
