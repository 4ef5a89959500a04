"""Problems as records: Problem (one per shop and cause) and ProblemActivity; jobs point at their problem."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0006_inbox_lz4_compression"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Problem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "fingerprint",
                    models.CharField(help_text="the cause, e.g. unknown_sku:BEANIE-RUST", max_length=300),
                ),
                ("title", models.CharField(max_length=300)),
                ("error_class", models.CharField(max_length=40)),
                ("error_code", models.CharField(blank=True, max_length=60)),
                (
                    "error_key",
                    models.CharField(blank=True, help_text="what is missing or refused", max_length=255),
                ),
                ("message", models.TextField(blank=True, help_text="the latest occurrence's error message")),
                ("flow", models.CharField(max_length=30)),
                (
                    "finance",
                    models.BooleanField(default=False, help_text="a finance problem (money does not match)"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "Open"),
                            ("snoozed", "Snoozed"),
                            ("ignored", "Ignored"),
                            ("resolved", "Resolved"),
                            ("regressed", "Regressed"),
                        ],
                        default="open",
                        max_length=20,
                    ),
                ),
                ("times_seen", models.PositiveIntegerField(default=1)),
                ("first_seen", models.DateTimeField()),
                ("last_seen", models.DateTimeField()),
                ("snooze_until", models.DateTimeField(blank=True, null=True)),
                (
                    "snooze_remaining",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="occurrences left before a snoozed problem opens again",
                        null=True,
                    ),
                ),
                ("status_changed_at", models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name="ProblemActivity",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField()),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("first_seen", "First seen"),
                            ("job_parked", "Job parked"),
                            ("status", "Status changed"),
                            ("assigned", "Assigned"),
                            ("replayed", "Replayed"),
                            ("note", "Note"),
                        ],
                        max_length=20,
                    ),
                ),
                ("note", models.TextField(blank=True)),
                ("data", models.JSONField(blank=True, default=dict)),
            ],
        ),
        migrations.AddField(
            model_name="problem",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="problem",
            name="shop",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="problems",
                to="sync.shopifyshop",
            ),
        ),
        migrations.AddField(
            model_name="syncjob",
            name="problem",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="the cause this job parked on (kept after it clears, for the record)",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="jobs",
                to="sync.problem",
            ),
        ),
        migrations.AddIndex(
            model_name="syncjob",
            index=models.Index(
                condition=models.Q(("problem__isnull", False)),
                fields=["problem", "state"],
                name="job_problem_state_idx",
            ),
        ),
        migrations.AddField(
            model_name="problemactivity",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="problemactivity",
            name="problem",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="activity",
                to="sync.problem",
            ),
        ),
        migrations.AddIndex(
            model_name="problem",
            index=models.Index(fields=["status", "-last_seen"], name="problem_status_seen_idx"),
        ),
        migrations.AddIndex(
            model_name="problem",
            index=models.Index(fields=["shop", "status"], name="problem_shop_status_idx"),
        ),
        migrations.AddIndex(
            model_name="problem",
            index=models.Index(
                condition=models.Q(("finance", True)),
                fields=["status", "-last_seen"],
                name="problem_finance_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="problem",
            constraint=models.UniqueConstraint(
                fields=("shop", "fingerprint"), name="problem_unique_cause_per_shop"
            ),
        ),
        migrations.AddIndex(
            model_name="problemactivity",
            index=models.Index(fields=["problem", "-at"], name="problem_activity_time_idx"),
        ),
    ]
