"""Sync state: connections, the webhook inbox, jobs and their attempts, problems and their activity, links
and mappings."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from opsconsole.core.fields import EncryptedTextField


class OdooConnection(models.Model):
    class Protocol(models.TextChoices):
        JSONRPC = "jsonrpc", "JSON-RPC (Odoo 14-19)"
        JSON2 = "json2", "JSON-2 (Odoo 19+)"

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField()
    database = models.CharField(max_length=100)
    login = models.CharField(max_length=150)
    secret = EncryptedTextField(help_text="password or API key, encrypted at rest")
    protocol = models.CharField(max_length=10, choices=Protocol.choices, default=Protocol.JSONRPC)
    timeout_seconds = models.FloatField(default=30)
    server_version = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    auth_failed_at = models.DateTimeField(null=True, blank=True, help_text="set while Odoo refuses us")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.url}, {self.database})"


class ShopifyShop(models.Model):
    domain = models.CharField(max_length=255, unique=True)
    admin_url = models.URLField(help_text="https://<domain> for a real shop; the sandbox gives its own")
    api_version = models.CharField(max_length=10)
    access_token = EncryptedTextField()
    client_secret = EncryptedTextField()
    previous_client_secret = EncryptedTextField(blank=True, default="")
    odoo = models.ForeignKey(OdooConnection, on_delete=models.PROTECT, related_name="shops")
    active = models.BooleanField(default=True)
    webhook_callback_url = models.URLField(blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    api_version_seen = models.CharField(max_length=10, blank=True)
    deprecation_warning = models.TextField(blank=True)
    webhook_topics = models.JSONField(
        default=list, blank=True, help_text="topics subscribed at our callback URL when last checked"
    )
    webhooks_checked_at = models.DateTimeField(null=True, blank=True)
    uninstalled_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Shopify said the app was uninstalled (app/uninstalled); outbound jobs are paused "
        "until the shop is connected again",
    )
    jobs_claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="when a job of this shop was last claimed (fair turns between shops)"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.domain


class RejectedDelivery(models.Model):
    """A webhook request we refused (bad signature, unknown shop, too large). The security log."""

    class Reason(models.TextChoices):
        UNKNOWN_SHOP = "unknown_shop", "Unknown or missing shop"
        BAD_SIGNATURE = "bad_signature", "Bad or missing signature"
        TOO_LARGE = "too_large", "Body too large"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    shop_domain = models.CharField(max_length=255, blank=True)
    topic = models.CharField(max_length=100, blank=True)
    webhook_id = models.CharField(max_length=100, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    body_sha256 = models.CharField(max_length=64, blank=True)
    body_bytes = models.BigIntegerField(null=True)
    # Rejections repeat (a flood, a misconfigured app): one row per reason, address (and, for a bad
    # signature, shop) and hour, counted, instead of a row per request. The first one's details are kept.
    bucket = models.CharField(max_length=64, unique=True, null=True, blank=True)
    count = models.PositiveIntegerField(default=1)
    last_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.reason} {self.shop_domain}"


class InboundEvent(models.Model):
    """One webhook delivery as received: headers and raw body (written by the request), then the parsed
    JSON or the parse error (written by the worker that ingests it: sync/engine/ingest.py)."""

    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="events", db_index=False)
    topic = models.CharField(max_length=100)
    webhook_id = models.CharField(max_length=100)
    event_id = models.CharField(max_length=100, blank=True)
    triggered_at = models.DateTimeField(null=True, blank=True)
    api_version = models.CharField(max_length=20, blank=True)
    headers = models.JSONField(default=dict)
    raw_body = models.BinaryField()
    payload = models.JSONField(null=True, blank=True)
    parse_error = models.TextField(blank=True)
    subject_id = models.CharField(max_length=64, blank=True, help_text="Shopify id of the order/customer")
    payload_updated_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Empty while a worker has yet to parse it and make its job (the webhook request stores it so); a row
    # made any other way (with its job, by whoever made it) is complete when created.
    ingested_at = models.DateTimeField(
        null=True,
        blank=True,
        default=timezone.now,
        help_text="parsed and turned into its job by a worker (empty: not yet)",
    )
    correlation_id = models.UUIDField(null=True, blank=True, help_text="the request's, carried on by its job")
    # An ingest that failed (a fault of ours, sync/engine/ingest.py): counted, tried again after a back-off,
    # and after INGEST_MAX_FAILURES parked in front of a person with the last error.
    ingest_failures = models.PositiveSmallIntegerField(default=0, help_text="failed ingests so far")
    ingest_retry_at = models.DateTimeField(null=True, blank=True, help_text="next ingest after a failure")
    ingest_error = models.TextField(blank=True, help_text="the last failed ingest's error")
    purged_at = models.DateTimeField(null=True, blank=True, help_text="personal data removed")
    # A delivery that made no job of its own (sync/engine/ingest.py, coalescing): the job that handled it,
    # and how — "coalesced" (folded into a job of its subject still waiting: that job reads the newest
    # delivery) or "echo" (Shopify's echo of the stock our push job set: nothing to do).
    handled_by = models.ForeignKey(
        "SyncJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="folded_deliveries",
        db_index=False,  # the partial index below
        help_text="the job that handled this delivery, when it made none of its own",
    )
    handled_as = models.CharField(max_length=20, blank=True, help_text="coalesced | echo")
    # An order delivery's units per SKU, written when it is ingested (sync/flows/stock.py ``SALE_LINES_SQL``):
    # a stock push sums these over every order not booked yet rather than every order's whole body.
    sale_lines = models.JSONField(
        null=True, blank=True, help_text="units sold per SKU (order deliveries; empty: read from the payload)"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "webhook_id"], name="inbound_event_unique_delivery"),
            models.UniqueConstraint(
                fields=["shop", "topic", "event_id"],
                condition=~Q(event_id=""),
                name="inbound_event_unique_event",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "subject_id"], name="inbound_event_subject_idx"),
            # Deliveries not ingested yet (sync/engine/ingest.py): the sweeper's and a privacy job's look-up;
            # partial, so that it holds only the few waiting for a worker.
            models.Index(
                fields=["received_at"],
                condition=Q(ingested_at__isnull=True),
                name="inbound_event_pending_idx",
            ),
            models.Index(
                fields=["handled_by"], condition=Q(handled_by__isnull=False), name="inbound_event_handled_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.webhook_id}"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    RETRYING = "retrying", "Retrying"
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    DEAD = "dead", "Dead"
    RESOLVED = "resolved", "Resolved"
    IGNORED = "ignored", "Ignored"


#: States a worker may pick up.
RUNNABLE_STATES = (JobState.QUEUED, JobState.RETRYING)
#: States that a person has to look at.
PROBLEM_STATES = (JobState.NEEDS_ATTENTION, JobState.DEAD)


class SyncJob(models.Model):
    """One unit of sync work. The idempotency key makes creating it twice a no-op."""

    # Every index below is paid on each webhook's insert: only those the engine and the screens use.
    kind = models.CharField(max_length=50)
    flow = models.CharField(max_length=30)
    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="jobs", db_index=False)
    event = models.ForeignKey(
        InboundEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    idempotency_key = models.CharField(max_length=255, unique=True)
    subject = models.CharField(
        max_length=120, help_text="e.g. order:5940139491234; one job per subject runs at once"
    )
    subject_label = models.CharField(max_length=120, blank=True, help_text="e.g. the order name #1001")
    input = models.JSONField(null=True, blank=True, help_text="parameters for jobs that have no event")
    state = models.CharField(max_length=20, choices=JobState.choices, default=JobState.QUEUED)
    priority = models.PositiveSmallIntegerField(
        default=2,
        help_text="earlier first: 0 stock pushes, 1 stock levels, 2 orders, refunds, fulfilments, "
        "3 catalogue, customers",
    )
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    correlation_id = models.UUIDField(default=uuid.uuid4, editable=False)
    mapping_version = models.PositiveIntegerField(null=True, blank=True)
    source_updated_at = models.DateTimeField(null=True, blank=True)
    error_class = models.CharField(max_length=40, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_key = models.CharField(max_length=255, blank=True)
    error_message = models.TextField(blank=True)
    error_context = models.JSONField(null=True, blank=True)
    fingerprint = models.CharField(max_length=300, blank=True)
    finance = models.BooleanField(default=False, help_text="a finance problem (money does not match)")
    result = models.JSONField(null=True, blank=True, help_text="ids produced, outcome")
    problem = models.ForeignKey(
        "Problem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
        db_index=False,  # the partial (problem, state) index below serves every lookup
        help_text="the cause this job parked on (kept after it clears, for the record)",
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    closed_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Partial: only retrying / running rows, so a new (queued) job does not pay for them.
            models.Index(fields=["next_attempt_at"], condition=Q(state="retrying"), name="job_due_idx"),
            models.Index(fields=["lease_expires_at"], condition=Q(state="running"), name="job_lease_idx"),
            models.Index(fields=["shop", "subject"], name="job_subject_idx"),
            # Coalescing at ingest (sync/engine/ingest.py): the waiting job of a subject a new delivery folds
            # into; partial, so that it holds only the jobs not claimed yet.
            models.Index(
                fields=["shop", "kind", "subject"],
                condition=Q(state__in=["queued", "retrying"]),
                name="job_fold_idx",
            ),
            # The pick (sync/engine/pick.py): per shop, its oldest due job of an earlier priority.
            models.Index(
                fields=["shop", "priority", "id"],
                condition=Q(state__in=["queued", "retrying"]),
                name="job_pick_idx",
            ),
            models.Index(fields=["flow", "created_at"], name="job_flow_time_idx"),
            # The console's job explorer (filter by state, newest first; unfiltered, newest first).
            models.Index(fields=["state", "-created_at"], name="job_state_time_idx"),
            models.Index(fields=["-created_at"], name="job_time_idx"),
            # The dashboard's latency and throughput over its window (jobs that succeeded since then);
            # partial, so that neither the webhook's insert nor a failed attempt pays for it.
            models.Index(
                fields=["finished_at"], condition=Q(state="succeeded"), name="job_succeeded_time_idx"
            ),
            # The job search (sync/selectors/jobs.py: job_search_q): by label, by error key (parked jobs
            # only), by what a job produced (written at its end, never on the webhook's insert).
            models.Index(Upper("subject_label"), name="job_label_upper_idx"),
            models.Index(Upper("error_key"), condition=~Q(error_key=""), name="job_error_key_upper_idx"),
            GinIndex(
                fields=["result"],
                opclasses=["jsonb_path_ops"],
                condition=Q(result__isnull=False),
                name="job_result_gin_idx",
            ),
            # A problem's jobs by state (its blocked count, its parked jobs); partial, so that a new job
            # (no problem yet) does not pay for it on the webhook's insert.
            models.Index(
                fields=["problem", "state"], condition=Q(problem__isnull=False), name="job_problem_state_idx"
            ),
            # A problem's newest job (its page's sample, also once no job is parked): without it the planner
            # walks the primary key backwards through millions of jobs when the problem has none left.
            models.Index(
                fields=["problem", "-id"], condition=Q(problem__isnull=False), name="job_problem_recent_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} [{self.state}]"


class Problem(models.Model):
    """One cause that parks jobs, per shop (Sentry's issue): the status a person gave it, how often and
    when it was seen, and who owns it. Every change goes through sync/engine/problems.py, which writes a
    ProblemActivity row for it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SNOOZED = "snoozed", "Snoozed"
        IGNORED = "ignored", "Ignored"
        RESOLVED = "resolved", "Resolved"
        REGRESSED = "regressed", "Regressed"

    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="problems", db_index=False)
    fingerprint = models.CharField(max_length=300, help_text="the cause, e.g. unknown_sku:BEANIE-RUST")
    title = models.CharField(max_length=300)
    error_class = models.CharField(max_length=40)
    error_code = models.CharField(max_length=60, blank=True)
    error_key = models.CharField(max_length=255, blank=True, help_text="what is missing or refused")
    message = models.TextField(blank=True, help_text="the latest occurrence's error message")
    flow = models.CharField(max_length=30)
    finance = models.BooleanField(default=False, help_text="a finance problem (money does not match)")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    times_seen = models.PositiveIntegerField(default=1)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    snooze_until = models.DateTimeField(null=True, blank=True)
    snooze_remaining = models.PositiveIntegerField(
        null=True, blank=True, help_text="occurrences left before a snoozed problem opens again"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "fingerprint"], name="problem_unique_cause_per_shop"),
        ]
        indexes = [
            # The exception queue: a status (open and regressed, snoozed, ...), most recently seen first.
            models.Index(fields=["status", "-last_seen"], name="problem_status_seen_idx"),
            # The queue filtered by shop.
            models.Index(fields=["shop", "status"], name="problem_shop_status_idx"),
            # The finance view: finance problems only.
            models.Index(
                fields=["status", "-last_seen"], condition=Q(finance=True), name="problem_finance_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} [{self.status}]"


class ProblemActivity(models.Model):
    """One change of a problem: by a person (actor) or by the engine (actor null)."""

    class Kind(models.TextChoices):
        FIRST_SEEN = "first_seen", "First seen"
        JOB_PARKED = "job_parked", "Job parked"
        STATUS = "status", "Status changed"
        ASSIGNED = "assigned", "Assigned"
        REPLAYED = "replayed", "Replayed"
        NOTE = "note", "Note"

    problem = models.ForeignKey(
        Problem,
        on_delete=models.CASCADE,
        related_name="activity",
        db_index=False,  # (problem, -at) below
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["problem", "-at"], name="problem_activity_time_idx")]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class JobAttempt(models.Model):
    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        RETRY = "retry", "Will retry"
        PARKED = "parked", "Parked for a person"
        DEAD = "dead", "Dead"
        LOST = "lost", "Worker lost"

    job = models.ForeignKey(SyncJob, on_delete=models.CASCADE, related_name="attempt_set")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RUNNING)
    error_class = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    external_calls = models.JSONField(default=list)
    worker_pid = models.IntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="job_attempt_unique_number")]
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.number} {self.outcome}"


class ExternalLink(models.Model):
    """A Shopify record and the Odoo record it became."""

    class Kind(models.TextChoices):
        ORDER = "order", "Order"
        CUSTOMER = "customer", "Customer"
        PRODUCT = "product", "Product"
        REFUND = "refund", "Refund"  # a Shopify refund and its Odoo credit note (data.origin: which made it)

    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    shopify_id = models.CharField(max_length=64)
    odoo_model = models.CharField(max_length=64)
    odoo_id = models.PositiveIntegerField()
    label = models.CharField(max_length=120, blank=True)
    source_updated_at = models.DateTimeField(
        null=True, blank=True, help_text="Shopify updated_at last applied"
    )
    data = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "kind", "shopify_id"], name="external_link_unique_shopify"
            ),
        ]
        indexes = [models.Index(fields=["odoo_model", "odoo_id"], name="external_link_odoo_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.shopify_id} → {self.odoo_model}({self.odoo_id})"


class MappingTable(models.TextChoices):
    SKU = "sku", "SKU → product"
    SHIPPING = "shipping", "Shipping method → carrier and delivery product"
    TAX = "tax", "Tax → Odoo tax"
    GATEWAY = "gateway", "Payment gateway → journal"
    LOCATION = "location", "Shopify location → stock location"
    CARRIER = "carrier", "Odoo carrier → Shopify tracking company"
    SHOP = "shop", "Shop → company, pricelist, currency"
    FINANCIAL_STATUS = "financial_status", "Financial status → confirmation policy"
    PRICELIST = "pricelist", "Currency → pricelist (orders booked in their presentment currency)"
    BUNDLE = "bundle", "Bundle SKU → kit or components"


class MappingEntry(models.Model):
    """One row of a mapping table, valid from one mapping version until (not including) another.

    The current mapping is every entry with ``valid_to`` null; a job records the version it used, and any
    past version can be rebuilt from ``valid_from <= v < valid_to``.
    """

    table = models.CharField(max_length=20, choices=MappingTable.choices)
    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="mappings")
    key = models.CharField(max_length=255)
    value = models.JSONField()
    valid_from = models.PositiveIntegerField()
    valid_to = models.PositiveIntegerField(null=True, blank=True)
    change = models.ForeignKey(
        "MappingChange", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["table", "shop", "key"],
                condition=Q(valid_to__isnull=True),
                name="mapping_entry_one_current",
            ),
        ]
        indexes = [models.Index(fields=["shop", "table", "valid_to"], name="mapping_current_idx")]

    def __str__(self) -> str:
        return f"{self.table}:{self.key} v{self.valid_from}"


class MappingChange(models.Model):
    """A proposed change to mapping tables: made by one user, approved or rejected by another."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="mapping_changes")
    summary = models.CharField(max_length=300)
    rows = models.JSONField(help_text='[{"table", "key", "value" (null deletes)}]')
    state = models.CharField(max_length=20, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    version = models.PositiveIntegerField(null=True, blank=True, help_text="mapping version it created")

    def __str__(self) -> str:
        return f"{self.summary} [{self.state}]"


class MappingVersion(models.Model):
    """The sequence of mapping versions per shop; version 1 is the initial seed."""

    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="mapping_versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    change = models.ForeignKey(
        MappingChange, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "number"], name="mapping_version_unique")]

    def __str__(self) -> str:
        return f"{self.shop_id} v{self.number}"


class PrivacyRequest(models.Model):
    """A customers/data_request, customers/redact or shop/redact as carried out."""

    class Kind(models.TextChoices):
        DATA_REQUEST = "data_request", "Data request"
        CUSTOMER_REDACT = "customer_redact", "Customer redaction"
        SHOP_REDACT = "shop_redact", "Shop redaction"

    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="privacy_requests")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    customer_id = models.CharField(max_length=64, blank=True)
    job = models.OneToOneField(SyncJob, null=True, on_delete=models.SET_NULL, related_name="privacy_request")
    export = models.JSONField(null=True, blank=True, help_text="the data-request export for an admin")
    outcome = models.JSONField(default=dict)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_id}"


class ShopifyRateLimitState(models.Model):
    """The GraphQL cost bucket of one shop, shared by every worker process (see connectors/shopify)."""

    shop_domain = models.CharField(max_length=255, unique=True)
    available = models.FloatField()
    maximum = models.FloatField()
    restore_rate = models.FloatField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.shop_domain}: {self.available:.0f}/{self.maximum:.0f}"


class OdooChangeCursor(models.Model):
    """How far one stream of Odoo changes (a model and domain, sync/flows/streams.py) has been read for one
    shop, and when it is read next. See sync/engine/changes.py."""

    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="change_cursors")
    stream = models.CharField(max_length=60)
    write_date = models.CharField(
        max_length=19, blank=True, help_text="newest write_date read, Odoo's UTC text 'YYYY-MM-DD HH:MM:SS'"
    )
    seen = models.JSONField(
        default=dict, blank=True, help_text="record id → write_date and values digest, within the overlap"
    )
    due_at = models.DateTimeField(null=True, blank=True, help_text="the next read; a wake brings it forward")
    queued_at = models.DateTimeField(null=True, blank=True, help_text="a read is on the queue since")
    polled_at = models.DateTimeField(null=True, blank=True)
    last_change_at = models.DateTimeField(null=True, blank=True)
    records_read = models.PositiveBigIntegerField(default=0)
    jobs_made = models.PositiveBigIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0, help_text="reads failed in a row")
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "stream"], name="odoo_change_cursor_unique_stream")
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}:{self.stream} @ {self.write_date or 'start'}"


class AlertSettings(models.Model):
    """Who hears about a shop's alerts and when they fire (sync/services/alerts.py). One row per shop;
    a shop without a row uses the defaults. Changed by an integration admin, audited."""

    DEFAULTS = {
        "parked_threshold": 10,
        "stall_minutes": 30,
        "oldest_waiting_minutes": 15,
        "heartbeat_minutes": 5,
        "api_version_days": 90,
    }

    shop = models.OneToOneField(ShopifyShop, on_delete=models.CASCADE, related_name="alert_settings")
    emails = models.TextField(blank=True, help_text="comma-separated recipients")
    webhook_url = models.URLField(blank=True, help_text="Slack-compatible incoming webhook")
    parked_threshold = models.PositiveIntegerField(default=10, help_text="parked or dead jobs per flow")
    stall_minutes = models.PositiveIntegerField(default=30, help_text="events arriving, no success")
    oldest_waiting_minutes = models.PositiveIntegerField(default=15)
    heartbeat_minutes = models.PositiveIntegerField(default=5)
    api_version_days = models.PositiveIntegerField(default=90)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"alert settings of {self.shop_id}"

    def recipients(self) -> list[str]:
        return [e.strip() for e in self.emails.replace(";", ",").split(",") if e.strip()]


class Alert(models.Model):
    """One firing of one rule for one shop and key (a flow, a topic, ...): fired, notified, resolved when
    the condition clears. At most one firing alert per (shop, rule, key): that is the deduplication."""

    class Status(models.TextChoices):
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Resolved"

    shop = models.ForeignKey(ShopifyShop, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(max_length=40)
    key = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FIRING)
    title = models.CharField(max_length=255)
    detail = models.TextField(blank=True)
    value = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    fired_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    notifications = models.JSONField(
        default=list, blank=True, help_text="each send: channel, event, ok, error"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "rule", "key"],
                condition=Q(status="firing"),
                nulls_distinct=False,
                name="alert_one_firing_per_rule_key",
            )
        ]
        indexes = [models.Index(fields=["-fired_at"], name="alert_fired_idx")]

    def __str__(self) -> str:
        return f"{self.rule}:{self.key} [{self.status}]"


class StockLevel(models.Model):
    """One SKU at one Shopify location, as the stock flow last saw and pushed it (sync/flows/stock.py): Odoo's
    figures, what is held back, the value set in Shopify, what Shopify last said, and drift. Also the cache
    of the inventory item id, so that a push needs no read while Shopify holds what we last set."""

    class State(models.TextChoices):
        OK = "ok", "In sync"
        NOT_STOCKED = "not_stocked", "Not stocked at the location"
        UNTRACKED = "untracked", "Not tracked in Shopify"
        MISSING = "missing", "SKU not in Shopify"

    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="stock_levels")
    sku = models.CharField(max_length=120)
    location = models.CharField(max_length=80, help_text="Shopify location gid")
    product_id = models.PositiveIntegerField(null=True, blank=True, help_text="Odoo product.product id")
    inventory_item_id = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OK)
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    safety = models.IntegerField(default=0)
    allocation = models.IntegerField(default=0)
    buffer = models.IntegerField(default=0, help_text="peak buffer held back")
    target = models.IntegerField(default=0, help_text="Odoo's available to sell")
    pending_sales = models.IntegerField(default=0, help_text="units sold in Shopify not yet booked in Odoo")
    pushed = models.IntegerField(null=True, blank=True, help_text="the value we last set")
    pushed_at = models.DateTimeField(null=True, blank=True)
    pushed_job_id = models.BigIntegerField(
        null=True, blank=True, help_text="the job that last set it (its echo is credited to that job)"
    )
    shopify_available = models.IntegerField(null=True, blank=True, help_text="Shopify's value, last seen")
    shopify_seen_at = models.DateTimeField(null=True, blank=True)
    shopify_updated_at = models.DateTimeField(
        null=True, blank=True, help_text="Shopify's updated_at of the newest inventory_levels/update applied"
    )
    drift = models.IntegerField(default=0, help_text="Shopify's value minus the target, when last seen")
    drift_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "sku", "location"], name="stock_level_unique")]
        indexes = [models.Index(fields=["shop", "inventory_item_id"], name="stock_level_item_idx")]

    def __str__(self) -> str:
        return f"{self.sku}@{self.location}: {self.pushed}"


class Fulfilment(models.Model):
    """One Shopify fulfilment and the Odoo delivery (``stock.picking``) it stands for: pushed from a
    validated Odoo delivery (origin ``odoo``, sync/flows/fulfilments.py), or made outside Odoo — a 3PL app or
    a person in the Shopify admin — and recorded from ``fulfillments/create|update`` (origin ``shopify``).

    The unique constraints carry the idempotency of the push: one fulfilment per delivery and Shopify
    location, one row per Shopify fulfilment."""

    class Origin(models.TextChoices):
        ODOO = "odoo", "Odoo delivery"
        SHOPIFY = "shopify", "Made in Shopify or by a 3PL"

    class Status(models.TextChoices):
        PENDING = "pending", "Being created in Shopify"
        CREATED = "created", "Created in Shopify"
        CANCELLED = "cancelled", "Cancelled"
        RECORDED = "recorded", "Recorded, not matched"
        MATCHED = "matched", "Matched to the Odoo delivery"
        VALIDATED = "validated", "Odoo delivery validated from it"

    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="fulfilments")
    origin = models.CharField(max_length=10, choices=Origin.choices)
    status = models.CharField(max_length=12, choices=Status.choices)
    shopify_order_id = models.CharField(max_length=64)
    shopify_fulfillment_id = models.CharField(max_length=100, blank=True, help_text="gid")
    shopify_location_id = models.CharField(max_length=100, blank=True, help_text="gid")
    odoo_order_id = models.PositiveIntegerField(null=True, blank=True)
    odoo_picking_id = models.PositiveIntegerField(null=True, blank=True)
    odoo_picking_name = models.CharField(max_length=64, blank=True)
    tracking_company = models.CharField(max_length=255, blank=True)
    tracking_number = models.CharField(max_length=255, blank=True)
    tracking_url = models.CharField(max_length=1000, blank=True)
    lines = models.JSONField(default=list, blank=True, help_text="[{sku, quantity, line_item_id}]")
    picking_done_at = models.DateTimeField(null=True, blank=True, help_text="Odoo's date_done")
    fulfilled_at = models.DateTimeField(null=True, blank=True, help_text="Shopify accepted the fulfilment")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "shopify_fulfillment_id"],
                condition=~models.Q(shopify_fulfillment_id=""),
                name="fulfilment_unique_shopify",
            ),
            models.UniqueConstraint(
                fields=["shop", "odoo_picking_id", "shopify_location_id"],
                condition=models.Q(origin="odoo"),
                name="fulfilment_unique_picking_location",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "odoo_picking_id"], name="fulfilment_picking_idx"),
            models.Index(fields=["shop", "shopify_order_id"], name="fulfilment_order_idx"),
            models.Index(fields=["fulfilled_at"], name="fulfilment_fulfilled_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.odoo_picking_name or self.odoo_picking_id} → {self.shopify_fulfillment_id or '?'}"


class ShopAccess(models.Model):
    """Limits a user to some shops. A user with no rows here sees every shop (the default); a user with
    rows sees only those shops' jobs, problems, deliveries, mappings, connections and alerts, in the
    console and the API alike (sync/selectors/access.py). Superusers always see every shop."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="shop_access")
    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="user_access")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "shop"], name="shop_access_unique")]
        verbose_name_plural = "shop access"

    def __str__(self) -> str:
        return f"{self.user_id} → {self.shop_id}"


class RetentionRun(models.Model):
    """One run of the daily retention purge (sync/services/retention.py) and what it removed."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    payloads_purged = models.PositiveIntegerField(default=0)
    payloads_kept_for_jobs = models.PositiveIntegerField(default=0)
    job_inputs_purged = models.PositiveIntegerField(default=0)
    exports_purged = models.PositiveIntegerField(default=0)
    rejected_deleted = models.PositiveIntegerField(default=0)
    audit_deleted = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"retention {self.started_at:%Y-%m-%d %H:%M}: {self.payloads_purged} payloads"


class StockPeakMode(models.Model):
    """Peak mode of a shop's stock out (sync/flows/stock.py): the stock streams are read on a short cycle and
    a buffer per SKU and location is held back. On by a person (``manual``) or by itself for a while when
    the order rate passes the shop's ``peak_orders_per_minute`` (``auto_until``)."""

    shop = models.OneToOneField(ShopifyShop, on_delete=models.CASCADE, related_name="stock_peak")
    manual = models.BooleanField(default=False)
    auto_until = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"peak mode of {self.shop_id}: {'on' if self.manual else 'auto'}"


class OrderHold(models.Model):
    """An order Shopify's risk assessment recommends cancelling or investigating, booked in Odoo as a
    quotation and held there (not confirmed, so not invoiced, paid or reserved) until a person releases or
    cancels it (sync/flows/risk.py). One row per shop and order; the decision is carried out by a job
    (``order.release`` / ``order.risk_cancel``) whose id the row keeps."""

    class Status(models.TextChoices):
        HELD = "held", "Held"
        RELEASING = "releasing", "Being released"
        RELEASED = "released", "Released"
        CANCELLING = "cancelling", "Being cancelled"
        CANCELLED = "cancelled", "Cancelled"
        CLEARED = "cleared", "Cleared by Shopify's new assessment"

    shop = models.ForeignKey(ShopifyShop, on_delete=models.CASCADE, related_name="order_holds")
    shopify_order_id = models.CharField(max_length=64)
    label = models.CharField(max_length=120, blank=True, help_text="the Shopify order name")
    odoo_order_id = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.HELD)
    recommendation = models.CharField(max_length=16, help_text="Shopify's OrderRiskRecommendationResult")
    assessments = models.JSONField(
        default=list, blank=True, help_text="[{risk_level, provider, facts: [{description, sentiment}]}]"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_job = models.ForeignKey(
        SyncJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "shopify_order_id"], name="order_hold_unique_order"),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="order_hold_status_idx")]

    def __str__(self) -> str:
        return f"{self.label or self.shopify_order_id}: {self.status}"
