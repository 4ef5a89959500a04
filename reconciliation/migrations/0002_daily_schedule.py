"""Schedule the daily order completeness run (yesterday, UTC, every active shop) daily from 02:30 UTC."""

from datetime import UTC, datetime, time, timedelta

from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    now = datetime.now(UTC)
    first = datetime.combine(now.date(), time(2, 30), tzinfo=UTC)
    if first <= now:
        first += timedelta(days=1)
    Schedule.objects.update_or_create(
        name="reconciliation.daily",
        defaults={
            "func": "reconciliation.tasks.daily",
            "schedule_type": "D",
            "next_run": first,
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="reconciliation.daily").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reconciliation", "0001_runs_discrepancies_reports"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
