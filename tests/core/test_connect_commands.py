"""connect_odoo / connect_shopify take secrets from a prompt, stdin or the environment, never from the
command line (visible in ``ps`` and shell history)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from sync.models import OdooConnection, ShopifyShop
from tests.factories import OdooConnectionFactory

pytestmark = pytest.mark.django_db

# How secrets are read, without a server to check them against (tests/sync/flows/test_connecting.py checks).
ODOO = [
    "--url",
    "http://127.0.0.1:8069",
    "--db",
    "sandbox",
    "--login",
    "admin",
    "--name",
    "erp",
    "--no-verify",
]
SHOP = ["--domain", "cmd.myshopify.com", "--api-version", "2026-07", "--odoo", "erp", "--no-verify"]


class Stdin(io.StringIO):
    def __init__(self, text: str, *, tty: bool) -> None:
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.fixture(autouse=True)
def _no_secrets_in_env(monkeypatch):  # type: ignore[no-untyped-def]
    for name in ("ODOO_SECRET", "SHOPIFY_TOKEN", "SHOPIFY_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.stdin", Stdin("", tty=False))


def test_the_odoo_secret_on_the_command_line_is_refused_and_nothing_is_stored():
    with pytest.raises(CommandError) as refused:
        call_command("connect_odoo", *ODOO, "--secret", "s3cret-key", stdout=io.StringIO())

    assert str(refused.value) == (
        "--secret on the command line is refused: it would be visible in `ps` and shell history. Give it at "
        "the prompt, on stdin with --secret-stdin, or in the ODOO_SECRET environment variable."
    )
    assert OdooConnection.objects.count() == 0


def test_the_odoo_secret_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("ODOO_SECRET", "from-env-key")

    call_command("connect_odoo", *ODOO, stdout=io.StringIO())

    assert OdooConnection.objects.get(name="erp").secret == "from-env-key"


def test_the_odoo_secret_comes_from_stdin(monkeypatch):
    monkeypatch.setenv("ODOO_SECRET", "ignored-when-stdin-is-asked")
    monkeypatch.setattr("sys.stdin", Stdin("from-stdin-key\n", tty=False))

    call_command("connect_odoo", *ODOO, "--secret-stdin", stdout=io.StringIO())

    assert OdooConnection.objects.get(name="erp").secret == "from-stdin-key"


def test_the_odoo_secret_is_prompted_for_on_a_terminal(monkeypatch):
    prompts: list[str] = []
    monkeypatch.setattr("sys.stdin", Stdin("", tty=True))
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or "typed-key")

    call_command("connect_odoo", *ODOO, stdout=io.StringIO())

    assert prompts == ["Odoo password or API key: "]
    assert OdooConnection.objects.get(name="erp").secret == "typed-key"


def test_no_secret_anywhere_is_a_clear_error():
    with pytest.raises(CommandError) as missing:
        call_command("connect_odoo", *ODOO, stdout=io.StringIO())

    assert str(missing.value) == (
        "No Odoo password or API key: set ODOO_SECRET, pipe it with --secret-stdin, or run the command in a "
        "terminal to be prompted."
    )
    assert OdooConnection.objects.count() == 0


@pytest.mark.parametrize("flag", ["--token", "--client-secret"])
def test_shopify_secrets_on_the_command_line_are_refused(flag):
    OdooConnectionFactory(name="erp")

    with pytest.raises(CommandError) as refused:
        call_command("connect_shopify", *SHOP, flag, "shpat_leaked", stdout=io.StringIO())

    assert str(refused.value).startswith(f"{flag} on the command line is refused")
    assert "SHOPIFY_TOKEN and SHOPIFY_CLIENT_SECRET" in str(refused.value)
    assert ShopifyShop.objects.count() == 0


def test_shopify_secrets_come_from_the_environment(monkeypatch):
    OdooConnectionFactory(name="erp")
    monkeypatch.setenv("SHOPIFY_TOKEN", "shpat_env")
    monkeypatch.setenv("SHOPIFY_CLIENT_SECRET", "env-client-secret")

    call_command("connect_shopify", *SHOP, stdout=io.StringIO())

    shop = ShopifyShop.objects.get(domain="cmd.myshopify.com")
    assert (shop.access_token, shop.client_secret) == ("shpat_env", "env-client-secret")


def test_shopify_secrets_come_from_two_lines_of_stdin(monkeypatch):
    OdooConnectionFactory(name="erp")
    monkeypatch.setattr("sys.stdin", Stdin("shpat_stdin\nstdin-client-secret\n", tty=False))

    call_command("connect_shopify", *SHOP, "--secret-stdin", stdout=io.StringIO())

    shop = ShopifyShop.objects.get(domain="cmd.myshopify.com")
    assert (shop.access_token, shop.client_secret) == ("shpat_stdin", "stdin-client-secret")


def test_a_missing_second_line_on_stdin_stores_nothing(monkeypatch):
    OdooConnectionFactory(name="erp")
    monkeypatch.setattr("sys.stdin", Stdin("shpat_stdin\n", tty=False))

    with pytest.raises(CommandError) as missing:
        call_command("connect_shopify", *SHOP, "--secret-stdin", stdout=io.StringIO())

    assert (
        str(missing.value)
        == "--secret-stdin: no line for the app client secret (it signs webhooks) on stdin."
    )
    assert ShopifyShop.objects.count() == 0
