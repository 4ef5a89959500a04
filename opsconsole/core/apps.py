from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_role_groups(sender, **kwargs):  # type: ignore[no-untyped-def]
    # Imported here: this module loads before the app registry, and the services import auth models.
    from opsconsole.core.services import role_groups_sync

    role_groups_sync(using=kwargs.get("using", "default"))


class CoreConfig(AppConfig):
    name = "opsconsole.core"
    label = "core"
    verbose_name = "Console core"

    def ready(self) -> None:
        # The data migration creates the role groups; this keeps them equal to roles.py after every
        # migrate or flush (a flush between transactional tests would otherwise leave no groups).
        post_migrate.connect(_sync_role_groups, sender=self, dispatch_uid="core.sync_role_groups")
        # Imported for their side effects: signal receivers (audit) and deploy checks.
        from opsconsole.core import checks, signals  # noqa: F401
