from django.core.management.base import BaseCommand

from sync.services.retention import retention_purge


class Command(BaseCommand):
    help = (
        "Run the retention purge now (it also runs daily): webhook bodies and payloads past "
        "OPSCONSOLE_RETENTION_PAYLOAD_DAYS unless a job still needs them, refused deliveries and audit "
        "entries past their own windows. Prints what it removed."
    )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        run = retention_purge()
        self.stdout.write(
            f"{run.payloads_purged} payload(s) purged ({run.payloads_kept_for_jobs} kept for open jobs), "
            f"{run.job_inputs_purged} job input(s), {run.exports_purged} export(s); "
            f"{run.rejected_deleted} refused deliveries and {run.audit_deleted} audit entries deleted."
        )
