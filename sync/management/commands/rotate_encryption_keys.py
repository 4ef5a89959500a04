from django.core.management.base import BaseCommand

from sync.services.connections import credentials_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored credential under the first key of OPSCONSOLE_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old ones after it, run this, then remove the old keys."
    )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        count = credentials_reencrypt()
        self.stdout.write(f"Re-encrypted {count} credential(s) under the first key.")
