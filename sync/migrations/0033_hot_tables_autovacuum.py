"""Autovacuum sooner on the tables every webhook and job churns.

The inbox pump claims the oldest delivery not ingested yet from a partial index; every ingested delivery
leaves a dead entry there until VACUUM removes it. PostgreSQL's default (vacuum once a fifth of the table is
dead) lets a flash sale's tens of thousands of dead entries pile up in front of every claim. These tables
are vacuumed and analysed once 2% of them changed instead. Nothing here runs when the server's autovacuum is
off (docs/deployment.md).
"""

from django.db import migrations

TABLES = ("sync_inboundevent", "sync_syncjob", "sync_jobattempt", "django_q_ormq")
SETTINGS = "autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02"
NAMES = "autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor"


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0032_stock_level_priority"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.RunSQL(
            sql=[f"ALTER TABLE {t} SET ({SETTINGS})" for t in TABLES],
            reverse_sql=[f"ALTER TABLE {t} RESET ({NAMES})" for t in TABLES],
        )
    ]
