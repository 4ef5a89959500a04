from django.core.management.base import BaseCommand, CommandError

from sync.models import OdooConnection
from sync.services.connections import shopify_connect


class Command(BaseCommand):
    help = "Add or update a Shopify shop connection (token and client secret are encrypted at rest)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--domain", required=True, help="the shop's *.myshopify.com domain")
        parser.add_argument("--token", required=True, help="Admin API access token")
        parser.add_argument("--client-secret", required=True, help="the app's client secret (signs webhooks)")
        parser.add_argument("--api-version", required=True, help="e.g. 2026-01")
        parser.add_argument("--admin-url", default="", help="defaults to https://<domain>")
        parser.add_argument("--odoo", default="", help="Odoo connection name or id (default: the only one)")

    def handle(self, *args, **o):  # type: ignore[no-untyped-def]
        connections = OdooConnection.objects.filter(active=True)
        if o["odoo"]:
            key = o["odoo"]
            connections = connections.filter(pk=int(key)) if key.isdigit() else connections.filter(name=key)
        if connections.count() != 1:
            raise CommandError("Name the Odoo connection with --odoo (connect_odoo first).")
        shop, created = shopify_connect(
            domain=o["domain"],
            token=o["token"],
            client_secret=o["client_secret"],
            api_version=o["api_version"],
            admin_url=o["admin_url"],
            odoo=connections.get(),
        )
        self.stdout.write(f"{'Created' if created else 'Updated'} shop {shop.domain} (id {shop.pk}).")
