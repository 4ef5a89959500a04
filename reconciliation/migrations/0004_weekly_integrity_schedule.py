"""Schedule the weekly integrity sample (last week, every active shop) on Mondays from 03:30 UTC."""

from datetime import UTC, datetime, time, timedelta

from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    now = datetime.now(UTC)
    monday = now.date() + timedelta(days=(7 - now.weekday()) % 7)
    first = datetime.combine(monday, time(3, 30), tzinfo=UTC)
    if first <= now:
        first += timedelta(days=7)
    Schedule.objects.update_or_create(
        name="reconciliation.weekly",
        defaults={
            "func": "reconciliation.tasks.weekly",
            "schedule_type": "W",
            "next_run": first,
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="reconciliation.weekly").delete()


class Migration(migrations.Migration):
    dependencies = [("reconciliation", "0003_payouts")]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
