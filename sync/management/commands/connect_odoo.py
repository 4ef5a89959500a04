from django.core.management.base import BaseCommand, CommandError

from sync.management.commands._secrets import read_secrets, refuse_on_command_line
from sync.services.connections import odoo_connect, odoo_connection_verify

HOW = "at the prompt, on stdin with --secret-stdin, or in the ODOO_SECRET environment variable"


class Command(BaseCommand):
    help = (
        "Add or update an Odoo connection (the secret is encrypted at rest). The password or API key is read "
        "from the ODOO_SECRET environment variable, from stdin with --secret-stdin, or typed at a prompt."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--url", required=True)
        parser.add_argument("--db", required=True)
        parser.add_argument("--login", required=True)
        parser.add_argument("--secret", help="refused: " + HOW)
        parser.add_argument(
            "--secret-stdin", action="store_true", help="read the secret from one line of stdin"
        )
        parser.add_argument("--protocol", choices=["jsonrpc", "json2"], default="jsonrpc")
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--no-verify",
            action="store_true",
            help="save without checking the login, database, version and access rights",
        )

    def handle(self, *args, **o):  # type: ignore[no-untyped-def]
        refuse_on_command_line(o, {"secret": HOW})
        secret = read_secrets(
            [("secret", "ODOO_SECRET", "Odoo password or API key")], from_stdin=o["secret_stdin"]
        )
        version = ""
        if not o["no_verify"]:
            problems, version = odoo_connection_verify(
                url=o["url"],
                database=o["db"],
                login=o["login"],
                secret=secret["secret"],
                protocol=o["protocol"],
            )
            if problems:
                raise CommandError("Not saved: " + "; ".join(problems) + ".")
        connection, created = odoo_connect(
            url=o["url"],
            database=o["db"],
            login=o["login"],
            secret=secret["secret"],
            protocol=o["protocol"],
            name=o["name"],
        )
        verb = "Created" if created else "Updated"
        checked = f", checked: Odoo {version}, login, read and write rights" if version else ""
        self.stdout.write(f"{verb} Odoo connection {connection.name} (id {connection.pk}){checked}.")
