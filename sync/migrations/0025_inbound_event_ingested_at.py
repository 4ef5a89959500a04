# Deliveries are stored as received by the request and ingested (parsed, given their job) by a worker.
# Every row stored before this was parsed and given its job by the request itself: the column's default
# (the time of this migration) marks each one ingested, so none is taken for a delivery still to ingest.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0024_mapping_table_bundle"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboundevent",
            name="correlation_id",
            field=models.UUIDField(blank=True, help_text="the request's, carried on by its job", null=True),
        ),
        migrations.AddField(
            model_name="inboundevent",
            name="ingested_at",
            field=models.DateTimeField(
                blank=True,
                default=django.utils.timezone.now,
                help_text="parsed and turned into its job by a worker (empty: not yet)",
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name="inboundevent",
            index=models.Index(
                condition=models.Q(("ingested_at__isnull", True)),
                fields=["received_at"],
                name="inbound_event_pending_idx",
            ),
        ),
    ]
