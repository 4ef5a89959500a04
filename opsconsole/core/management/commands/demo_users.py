from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from opsconsole.core.services import demo_users_reset


class Command(BaseCommand):
    help = "Demo mode only: create the demo users with fresh random passwords and print them once."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if not settings.DEMO_MODE:
            raise CommandError("Demo users exist only in demo mode (OPSCONSOLE_DEMO=1).")
        self.stdout.write("Demo users (passwords are new on every start and shown only here):")
        for username, role, password in demo_users_reset():
            self.stdout.write(f"  {username:<9} {role:<18} {password}")
