"""Snoozing is a problem's (Problem.snooze_until, moved there by 0008); the job explorer and the exception
queue no longer group jobs by fingerprint (the (problem, state) index serves the queue)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0008_problems_from_parked_jobs"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="syncjob", name="job_open_problem_idx"),
        migrations.RemoveField(model_name="syncjob", name="snoozed_until"),
    ]
