from django.core.management.base import BaseCommand, CommandError

from sync.management.commands._secrets import read_secrets, refuse_on_command_line
from sync.models import OdooConnection
from sync.services.connections import shopify_connect, shopify_connection_verify

HOW = (
    "at the prompts, on stdin with --secret-stdin (the token on the first line, the client secret on the "
    "second), or in the SHOPIFY_TOKEN and SHOPIFY_CLIENT_SECRET environment variables"
)


class Command(BaseCommand):
    help = (
        "Add or update a Shopify shop connection (token and client secret are encrypted at rest). The Admin "
        "API token and the app's client secret are read from SHOPIFY_TOKEN and SHOPIFY_CLIENT_SECRET, from "
        "stdin with --secret-stdin (token first line, client secret second), or typed at prompts."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--domain", required=True, help="the shop's *.myshopify.com domain")
        parser.add_argument("--token", help="refused: " + HOW)
        parser.add_argument("--client-secret", help="refused: " + HOW)
        parser.add_argument(
            "--secret-stdin",
            action="store_true",
            help="read the token and then the client secret from two lines of stdin",
        )
        parser.add_argument("--api-version", required=True, help="e.g. 2026-01")
        parser.add_argument("--admin-url", default="", help="defaults to https://<domain>")
        parser.add_argument("--odoo", default="", help="Odoo connection name or id (default: the only one)")
        parser.add_argument(
            "--no-verify",
            action="store_true",
            help="save without checking the token, API version and access scopes",
        )

    def handle(self, *args, **o):  # type: ignore[no-untyped-def]
        refuse_on_command_line(o, {"token": HOW, "client_secret": HOW})
        connections = OdooConnection.objects.filter(active=True)
        if o["odoo"]:
            key = o["odoo"]
            connections = connections.filter(pk=int(key)) if key.isdigit() else connections.filter(name=key)
        if connections.count() != 1:
            raise CommandError("Name the Odoo connection with --odoo (connect_odoo first).")
        secrets = read_secrets(
            [
                ("token", "SHOPIFY_TOKEN", "Admin API access token"),
                ("client_secret", "SHOPIFY_CLIENT_SECRET", "app client secret (it signs webhooks)"),
            ],
            from_stdin=o["secret_stdin"],
        )
        name = ""
        if not o["no_verify"]:
            problems, name = shopify_connection_verify(
                domain=o["domain"],
                token=secrets["token"],
                api_version=o["api_version"],
                admin_url=o["admin_url"],
            )
            if problems:
                raise CommandError("Not saved: " + "; ".join(problems) + ".")
        shop, created = shopify_connect(
            domain=o["domain"],
            token=secrets["token"],
            client_secret=secrets["client_secret"],
            api_version=o["api_version"],
            admin_url=o["admin_url"],
            odoo=connections.get(),
        )
        checked = (
            f", checked: {name}, token, API version {o['api_version']} and access scopes" if name else ""
        )
        self.stdout.write(
            f"{'Created' if created else 'Updated'} shop {shop.domain} (id {shop.pk}){checked}."
        )
