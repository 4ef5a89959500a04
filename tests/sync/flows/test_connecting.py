"""Connecting checks before it saves: the login, the database, the Odoo version and read rights; the shop's
token and API version. What is wrong is said plainly, and nothing is stored."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from sync.models import OdooConnection, ShopifyShop


def _connect_odoo(standin, monkeypatch, *, secret=None, db="sandbox"):
    monkeypatch.setenv("ODOO_SECRET", secret or standin.api_key)
    out = io.StringIO()
    call_command(
        "connect_odoo",
        "--url",
        standin.base_url,
        "--db",
        db,
        "--login",
        "admin",
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
    assert f"checked: Odoo {version}.0, login and read rights" in said
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
    assert f"token and API version {shopify_standin.api_version}" in out.getvalue()
    assert ShopifyShop.objects.get().domain == shopify_standin.domain
