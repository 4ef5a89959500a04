"""Reconciliation: runs (who or what started them, the window, counts, status), the discrepancies they find
with their activity trail, and the daily report per shop."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from sync.models import ShopifyShop


class RunKind(models.TextChoices):
    ORDERS = "orders", "Order completeness"
    PAYOUTS = "payouts", "Payouts"
    INTEGRITY = "integrity", "Integrity sample"


class ReconciliationRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        PERSON = "person", "Person"
        RERUN = "rerun", "Re-run"

    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="reconciliation_runs")
    kind = models.CharField(max_length=20, choices=RunKind.choices)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rerun_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField(help_text="exclusive")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    counts = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=20, blank=True, help_text="how Shopify was read: pages or bulk")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["shop", "kind", "-created_at"], name="recon_run_shop_kind_idx"),
            models.Index(fields=["-created_at"], name="recon_run_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} run {self.pk} {self.shop_id} [{self.status}]"

    @property
    def started_by_label(self) -> str:
        if self.started_by_id:
            return self.started_by.get_username() if self.started_by else "a person"
        return "schedule" if self.trigger == self.Trigger.SCHEDULE else "system"


class Discrepancy(models.Model):
    """One difference between Shopify and Odoo, per shop, code and subject; a re-run that finds it again
    updates it (never a second row), and one that no longer finds it resolves it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="discrepancies")
    kind = models.CharField(max_length=20, choices=RunKind.choices)
    code = models.CharField(max_length=60)
    subject = models.CharField(max_length=120, help_text="e.g. order:<Shopify id>, payout:<id>")
    label = models.CharField(max_length=120, blank=True)
    shopify_value = models.CharField(max_length=255, blank=True)
    odoo_value = models.CharField(max_length=255, blank=True)
    amount_shopify = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    amount_odoo = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    details = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True, help_text="when its subject happened")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_run = models.ForeignKey(ReconciliationRun, on_delete=models.SET_NULL, null=True, related_name="+")
    last_run = models.ForeignKey(ReconciliationRun, on_delete=models.SET_NULL, null=True, related_name="+")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    times_seen = models.PositiveIntegerField(default=1)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "code", "subject"], name="discrepancy_unique_per_subject"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-last_seen"], name="discrepancy_status_seen_idx"),
            models.Index(fields=["shop", "kind", "status"], name="discrepancy_shop_kind_idx"),
            models.Index(
                fields=["shop", "kind", "occurred_at"],
                condition=Q(status="open"),
                name="discrepancy_open_window_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.subject} [{self.status}]"


class DiscrepancyActivity(models.Model):
    class Action(models.TextChoices):
        FOUND = "found", "Found"
        FOUND_AGAIN = "found_again", "Found again"
        CLEARED = "cleared", "No longer found by a run"
        ASSIGNED = "assigned", "Assigned"
        NOTE = "note", "Note"
        RESOLVED = "resolved", "Resolved"
        REOPENED = "reopened", "Reopened"
        RERUN = "rerun", "Re-run requested"
        BACKFILL = "backfill", "Backfill job"

    discrepancy = models.ForeignKey(Discrepancy, on_delete=models.CASCADE, related_name="activity")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    note = models.TextField(blank=True)
    run = models.ForeignKey(
        ReconciliationRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} on discrepancy {self.discrepancy_id}"

    @property
    def actor_label(self) -> str:
        return self.actor.get_username() if self.actor else "reconciliation"


class DailyReport(models.Model):
    """The daily order report of one shop: orders, missing, backfilled, differing; stored, shown, e-mailed."""

    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="daily_reports")
    day = models.DateField()
    run = models.ForeignKey(ReconciliationRun, on_delete=models.SET_NULL, null=True, related_name="+")
    counts = models.JSONField(default=dict)
    body = models.TextField()
    recipients = models.JSONField(default=list, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "day"], name="daily_report_per_shop_day")]
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"report {self.shop_id} {self.day}"


class Payout(models.Model):
    """A Shopify Payments payout, imported idempotently (one row per shop and payout gid), with what
    reconciliation made of it and the Odoo entry it posted (once, only when it balanced)."""

    class Reconciliation(models.TextChoices):
        IMPORTED = "imported", "Imported"
        MATCHED = "matched", "Matched"
        VARIANCE = "variance", "Variance"
        POSTED = "posted", "Posted"

    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="payouts")
    payout_id = models.CharField(max_length=80, help_text="gid://shopify/ShopifyPaymentsPayout/<id>")
    legacy_id = models.BigIntegerField()
    issued_at = models.DateTimeField()
    shopify_status = models.CharField(max_length=20)
    transaction_type = models.CharField(max_length=20, default="DEPOSIT")
    net = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    summary = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Reconciliation.choices, default=Reconciliation.IMPORTED)
    expected_net = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    difference = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    fees = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    differences = models.JSONField(default=list, blank=True, help_text="codes of the differences found")
    odoo_move_id = models.IntegerField(null=True, blank=True)
    odoo_move_name = models.CharField(max_length=64, blank=True)
    bank_line_id = models.IntegerField(null=True, blank=True, help_text="the Odoo bank statement line")
    bank_line_label = models.CharField(max_length=120, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "payout_id"], name="payout_unique_per_shop")]
        indexes = [models.Index(fields=["shop", "-issued_at"], name="payout_shop_issued_idx")]

    def __str__(self) -> str:
        return f"payout {self.legacy_id} {self.net} {self.currency} [{self.status}]"


class PayoutLine(models.Model):
    """One balance transaction of a payout, with its Odoo match and what differs."""

    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="lines")
    transaction_id = models.CharField(
        max_length=80, help_text="gid://shopify/ShopifyPaymentsBalanceTransaction/<id>"
    )
    type = models.CharField(max_length=40, help_text="Shopify's ShopifyPaymentsTransactionType, e.g. CHARGE")
    source_type = models.CharField(max_length=40, blank=True)
    source_order_transaction_id = models.BigIntegerField(null=True, blank=True)
    order_id = models.CharField(max_length=80, blank=True)
    order_name = models.CharField(max_length=40, blank=True)
    transaction_date = models.DateTimeField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    fee = models.DecimalField(max_digits=14, decimal_places=2)
    net = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    adjustment_reason = models.CharField(max_length=80, blank=True)
    match = models.CharField(max_length=40, blank=True, help_text="matched, or the code of the difference")
    odoo_model = models.CharField(max_length=40, blank=True)
    odoo_id = models.IntegerField(null=True, blank=True)
    odoo_label = models.CharField(max_length=120, blank=True)
    odoo_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["payout", "transaction_id"], name="payout_line_unique_transaction"
            )
        ]
        ordering = ["transaction_date", "pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.amount} [{self.match}]"
