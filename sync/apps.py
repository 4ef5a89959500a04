from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = "Sync"

    def ready(self) -> None:
        # Imported here, not at the top: this module is loaded before the app registry (and so before the
        # models the adapter imports) is ready.
        from sync.engine.queue_adapter import verify_or_refuse

        verify_or_refuse()
