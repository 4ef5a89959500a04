import getpass
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from opsconsole.core.audit_context import audit_context
from opsconsole.core.roles import ROLES
from opsconsole.core.services import user_create_or_update


class Command(BaseCommand):
    help = "Create a console user (or reset an existing one) with one role. Prompts for the password."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--superuser",
            action="store_true",
            help="also make the user a Django superuser (every permission, /django-admin/); off by default",
        )
        parser.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        with audit_context(via="create_user command"):
            user_create_or_update(
                username=options["username"],
                role=options["role"],
                password=password,
                superuser=options["superuser"],
                email=options["email"],
            )
        superuser = " and is a superuser" if options["superuser"] else ""
        self.stdout.write(f"User {options['username']} has the role {options['role']}{superuser}.")
