"""`make lint`'s migration check (``makemigrations --check --dry-run``). With DATABASE_URL unset the settings
start the embedded PostgreSQL; when this check started it, it stops it again, so that `make lint` (and so
`make test` on a machine without DATABASE_URL) leaves no server running. A server found running is left."""

from __future__ import annotations

import os
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsconsole.settings_test")
    import django
    from django.core.management import call_command

    from opsconsole import embedded_pg

    try:
        django.setup()
        call_command("makemigrations", check=True, dry_run=True)
    except SystemExit as exc:  # makemigrations --check exits 1 when a migration is missing
        return int(exc.code or 0)
    finally:
        if embedded_pg.started_here:
            embedded_pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
