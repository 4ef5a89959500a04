#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsconsole.settings")
    from django.core.management import execute_from_command_line

    from opsconsole.core.audit_context import audit_context
    from opsconsole.startup import SettingsRefused

    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    try:
        # Changes of users, groups and permissions made by any command are audited as made by it.
        with audit_context(via=f"manage.py {command}"):
            execute_from_command_line(sys.argv)
    except SettingsRefused as exc:
        sys.exit(f"opsconsole refuses to start: {exc}")


if __name__ == "__main__":
    main()
