from django.core.management.base import BaseCommand

from sync.services.connections import odoo_connect


class Command(BaseCommand):
    help = "Add or update an Odoo connection (the secret is encrypted at rest)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--url", required=True)
        parser.add_argument("--db", required=True)
        parser.add_argument("--login", required=True)
        parser.add_argument("--secret", required=True, help="password or API key")
        parser.add_argument("--protocol", choices=["jsonrpc", "json2"], default="jsonrpc")
        parser.add_argument("--name", default="")

    def handle(self, *args, **o):  # type: ignore[no-untyped-def]
        connection, created = odoo_connect(
            url=o["url"],
            database=o["db"],
            login=o["login"],
            secret=o["secret"],
            protocol=o["protocol"],
            name=o["name"],
        )
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} Odoo connection {connection.name} (id {connection.pk}).")
