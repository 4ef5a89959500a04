# Four priorities (sync/kinds.py): stock pushes, then Shopify's stock level changes, then orders and the rest
# of the flows that were first, then catalogue, customers, privacy and reconciliation. Every job's priority
# is set again from its kind and flow, so that a job replayed later runs at its new priority.

from django.db import migrations, models

FORWARD = """
UPDATE sync_syncjob SET priority = CASE
    WHEN kind = 'stock.level_update' THEN 1
    WHEN flow = 'stock' THEN 0
    WHEN flow IN ('catalogue', 'customers', 'privacy', 'reconciliation') THEN 3
    ELSE 2 END
"""
BACKWARD = """
UPDATE sync_syncjob SET priority = CASE
    WHEN flow = 'stock' THEN 0
    WHEN flow IN ('catalogue', 'customers', 'privacy', 'reconciliation') THEN 2
    ELSE 1 END
"""


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0031_priority_tiers"),
    ]

    operations = [
        migrations.AlterField(
            model_name="syncjob",
            name="priority",
            field=models.PositiveSmallIntegerField(
                default=2,
                help_text="earlier first: 0 stock pushes, 1 stock levels, 2 orders, refunds, fulfilments, 3 catalogue, customers",
            ),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
