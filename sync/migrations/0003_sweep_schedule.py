"""Schedule the job sweeper every minute (django-q2's scheduler checks about every 30 seconds)."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="sync.sweep",
        defaults={"func": "sync.tasks.sweep", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="sync.sweep").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0002_inbox_jobs_links_mappings"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
