"""opsconsole settings. Production differs from development only by environment variables.

Every variable is listed in the README. Secure defaults: ``DEBUG`` is off and HTTPS-only cookies, HSTS
and the SSL redirect are on unless ``OPSCONSOLE_HTTPS=0`` (the local demo serves plain HTTP).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from opsconsole.startup import SettingsRefused, refusal

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("OPSCONSOLE_DATA_DIR", BASE_DIR / ".data"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _dev_secret(filename: str, make: object) -> str:
    """A development secret generated once into .data/ (never committed); production sets the variable."""
    path = DATA_DIR / filename
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(make())  # type: ignore[operator]
        path.chmod(0o600)
    return path.read_text().strip()


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


DEBUG = env_bool("OPSCONSOLE_DEBUG", False)
DEMO_MODE = env_bool("OPSCONSOLE_DEMO", False)
#: Development without debug (the test settings set it): generated keys and the embedded database allowed.
DEVELOPMENT = env_bool("OPSCONSOLE_DEVELOPMENT", False)
HTTPS = env_bool("OPSCONSOLE_HTTPS", not DEBUG)

# Production (debug, demo and development off) refuses to start without its own keys and database, and
# demo mode with debug off must be forced (opsconsole/startup.py). manage.py and gunicorn.conf.py print the
# message alone; anything else importing these settings sees the exception.
_refused = refusal(os.environ)
if _refused:
    raise SettingsRefused(_refused)

#: Which of the production variables were replaced by development defaults (the deploy check refuses).
DEVELOPMENT_DEFAULTS: list[str] = []
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    SECRET_KEY = _dev_secret("secret_key", lambda: secrets.token_urlsafe(64))
    DEVELOPMENT_DEFAULTS.append("SECRET_KEY")
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")
#: Comma-separated Fernet keys; the first encrypts, all decrypt (see docs/runbooks.md, key rotation).
ENCRYPTION_KEYS = env_list("OPSCONSOLE_ENCRYPTION_KEYS", "")
if not ENCRYPTION_KEYS:
    ENCRYPTION_KEYS = [_dev_secret("encryption_key", _fernet_key)]
    DEVELOPMENT_DEFAULTS.append("OPSCONSOLE_ENCRYPTION_KEYS")

ALLOWED_HOSTS = env_list("OPSCONSOLE_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("OPSCONSOLE_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "django_htmx",
    # Before django_q: our qcluster command (a shutdown deadline) takes precedence over django-q2's.
    "opsconsole.core",
    "django_q",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our static files (no CDN)
    "axes",
    "sync",
    "reconciliation",
]

# Order: static files leave before anything else runs; the client address is settled before anything
# reads REMOTE_ADDR; the correlation id is bound before anything logs; security headers wrap every
# response the app renders; NUL bytes and over-long query values are refused (400) once the body deadline
# applies; sessions skip renewal on polls; the absolute session lifetime is checked as
# soon as the user is known; the audit context and the login requirement follow; django-axes goes last, as
# its documentation asks.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "opsconsole.core.middleware.ClientAddressMiddleware",
    "opsconsole.core.middleware.CorrelationIdMiddleware",
    "opsconsole.core.middleware.SecurityHeadersMiddleware",
    "opsconsole.core.middleware.BodyDeadlineMiddleware",
    "opsconsole.core.middleware.InputGuardMiddleware",
    "opsconsole.core.middleware.ConsoleSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "opsconsole.core.middleware.SessionLifetimeMiddleware",
    "opsconsole.core.middleware.AuditContextMiddleware",
    "opsconsole.core.middleware.ConsoleLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "opsconsole.urls"
WSGI_APPLICATION = "opsconsole.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opsconsole.core.context_processors.console",
            ],
        },
    },
]

# Database: DATABASE_URL, or the embedded PostgreSQL under .data/pg when it is unset.
_database: dict[str, Any]
if os.environ.get("DATABASE_URL"):
    _database = dict(dj_database_url.parse(os.environ["DATABASE_URL"]))
else:
    from opsconsole.embedded_pg import database_settings

    _database = database_settings()
    DEVELOPMENT_DEFAULTS.append("DATABASE_URL")
_database["CONN_MAX_AGE"] = int(os.environ.get("OPSCONSOLE_DB_CONN_MAX_AGE", 60))
# A kept connection is checked (one round trip) before its first use in each request or task: after a
# PostgreSQL restart or failover, the first task in each worker process and the first request in each web
# thread would otherwise fail on the dead connection (a task lost that way waits for the sweeper).
_database["CONN_HEALTH_CHECKS"] = os.environ.get("OPSCONSOLE_DB_HEALTH_CHECKS", "1") != "0"
_database.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out account or address before the password
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): after OPSCONSOLE_LOGIN_FAILURE_LIMIT failed logins for one username, or
# from one address, that username / address is locked out for OPSCONSOLE_LOGIN_LOCKOUT_SECONDS (429 and a
# page that says so). A successful login clears the count. Failures and lockouts are logged and audited
# (opsconsole/core/signals.py). The address is ours: X-Forwarded-For only behind our proxy.
AXES_FAILURE_LIMIT = int(os.environ.get("OPSCONSOLE_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(seconds=int(os.environ.get("OPSCONSOLE_LOGIN_LOCKOUT_SECONDS", 15 * 60)))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "opsconsole.core.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_ENABLE_ADMIN = False  # lockouts are cleared with `manage.py axes_reset_username NAME` (docs/runbooks.md)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("OPSCONSOLE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve from static/ directly too, so a missing collectstatic is not fatal

# Sessions: idle timeout 30 minutes, renewed by the person's own requests but not by polls (htmx elements
# that refresh themselves send X-Opsconsole-Poll; ConsoleSessionMiddleware saves every other request, as
# SESSION_SAVE_EVERY_REQUEST would); an absolute lifetime of 12 hours from the login whatever happens.
SESSION_COOKIE_AGE = int(os.environ.get("OPSCONSOLE_SESSION_SECONDS", 30 * 60))
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("OPSCONSOLE_SESSION_ABSOLUTE_SECONDS", 12 * 3600))
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; kept default-compatible

# HTTPS hardening (on unless OPSCONSOLE_HTTPS=0).
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("OPSCONSOLE_HSTS_PRELOAD", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # probes speak plain HTTP inside the cluster
#: Behind our reverse proxy (deploy/nginx.conf): trust its X-Forwarded-Proto and X-Forwarded-For (the last
#: OPSCONSOLE_PROXY_HOPS entries are our proxies'; opsconsole/core/client_ip.py). Never without one.
BEHIND_PROXY = env_bool("OPSCONSOLE_BEHIND_PROXY", False)
PROXY_HOPS = int(os.environ.get("OPSCONSOLE_PROXY_HOPS", 1))
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every page's scripts and styles come from static/ (no inline script, style or handler; htmx's own
# indicator style is off, see templates/base.html); nothing may frame the console.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# A request body must arrive within this many seconds of the request reaching the app (opsconsole/core/
# wsgi.py); a client that drips its body is answered 408 instead of holding a server thread.
REQUEST_BODY_SECONDS = float(os.environ.get("OPSCONSOLE_REQUEST_BODY_SECONDS", 20))

# Webhook bodies above this are refused with 413 before they are read.
WEBHOOK_MAX_BODY_BYTES = int(os.environ.get("OPSCONSOLE_WEBHOOK_MAX_BYTES", 2 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = WEBHOOK_MAX_BODY_BYTES
# Uploaded files (a mapping CSV) are capped too: Django's limit above leaves file parts out.
FILE_UPLOAD_MAX_BYTES = int(os.environ.get("OPSCONSOLE_UPLOAD_MAX_BYTES", 2 * 1024 * 1024))
FILE_UPLOAD_HANDLERS = [
    "opsconsole.core.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Retention (sync/services/retention.py, daily): webhook bodies and payloads, refused deliveries, audit.
RETENTION_PAYLOAD_DAYS = int(os.environ.get("OPSCONSOLE_RETENTION_PAYLOAD_DAYS", 30))
RETENTION_REJECTED_DAYS = int(os.environ.get("OPSCONSOLE_RETENTION_REJECTED_DAYS", 90))
RETENTION_AUDIT_DAYS = int(os.environ.get("OPSCONSOLE_RETENTION_AUDIT_DAYS", 730))
#: A mapping CSV import is read row by row and stops past this many rows.
MAPPING_IMPORT_MAX_ROWS = int(os.environ.get("OPSCONSOLE_MAPPING_IMPORT_MAX_ROWS", 20_000))
# Destructive topics (orders/cancelled, customers/redact, shop/redact) are acted on only when Shopify
# triggered them less than this long ago (X-Shopify-Triggered-At); wider than Shopify's 4-hour retries.
WEBHOOK_DESTRUCTIVE_MAX_AGE_HOURS = float(os.environ.get("OPSCONSOLE_WEBHOOK_DESTRUCTIVE_MAX_AGE_HOURS", 24))
if WEBHOOK_DESTRUCTIVE_MAX_AGE_HOURS <= 4:
    raise ImproperlyConfigured(
        "OPSCONSOLE_WEBHOOK_DESTRUCTIVE_MAX_AGE_HOURS must be wider than Shopify's 4-hour retry schedule"
    )

# django-q2 with the ORM broker on the same database: a job row and its queue entry commit together.
# timeout < retry (a task is only re-presented after it surely ended); finite max_attempts; save_limit=-1
# keeps no successes in django-q's tables (our SyncJob/attempt tables are the audit trail) and removes the
# per-task pruning that caps the ORM broker near 100 tasks/s on two cores (shared/research/RELIABILITY.md).
Q_CLUSTER: dict[str, Any] = {
    "name": os.environ.get("OPSCONSOLE_Q_NAME", "opsconsole"),
    "orm": "default",
    "workers": int(os.environ.get("OPSCONSOLE_Q_WORKERS", 2)),
    "timeout": int(os.environ.get("OPSCONSOLE_Q_TIMEOUT", 120)),
    "retry": int(os.environ.get("OPSCONSOLE_Q_RETRY", 180)),
    "max_attempts": 3,
    "save_limit": -1,
    "ack_failures": True,
    "catch_up": False,
    "recycle": 500,
    "max_rss": 512_000,
    "poll": 0.2,
    "bulk": 1,
    "queue_limit": 8,
    "label": "Task queue",
}

# OPSCONSOLE_Q_BROKER=redis://host:6379/0 (or rediss://) selects django-q2's Redis broker for several
# worker hosts. Redis is outside our database, so a job's queue entry is pushed once its transaction has
# committed (sync/engine/queue.py), and the sweeper enqueues again a queued job whose push was lost.
Q_BROKER = os.environ.get("OPSCONSOLE_Q_BROKER", "orm").strip() or "orm"
if Q_BROKER.startswith(("redis://", "rediss://", "unix://")):
    del Q_CLUSTER["orm"]
    Q_CLUSTER["redis"] = Q_BROKER
elif Q_BROKER != "orm":
    raise ValueError(f"OPSCONSOLE_Q_BROKER must be 'orm' or a redis:// URL, not {Q_BROKER!r}")

# The job engine (sync/engine/): capped exponential backoff with jitter; a job that has not
# succeeded after SYNC_MAX_ATTEMPTS transient failures is dead. With the defaults (30 s doubling, each
# delay drawn between half and all of its ceiling) 8 attempts span 32 to 64 minutes, so an Odoo outage of
# half an hour kills nothing; a replay from the console gives a dead job a fresh budget. A running job
# whose worker died is taken back after its lease.
#: After SIGTERM, ``manage.py qcluster`` has this long to stop before its processes are killed (a database
#: that vanished blocks django-q2's graceful stop; opsconsole/core/management/commands/qcluster.py).
Q_SHUTDOWN_SECONDS = float(os.environ.get("OPSCONSOLE_Q_SHUTDOWN_SECONDS", 30))

SYNC_RETRY_BASE_SECONDS = float(os.environ.get("OPSCONSOLE_SYNC_RETRY_BASE_SECONDS", 30))
SYNC_RETRY_CAP_SECONDS = float(os.environ.get("OPSCONSOLE_SYNC_RETRY_CAP_SECONDS", 3600))
SYNC_MAX_ATTEMPTS = int(os.environ.get("OPSCONSOLE_SYNC_MAX_ATTEMPTS", 8))
SYNC_LEASE_SECONDS = float(os.environ.get("OPSCONSOLE_SYNC_LEASE_SECONDS", 300))
SYNC_STRANDED_AFTER_SECONDS = float(os.environ.get("OPSCONSOLE_SYNC_STRANDED_AFTER_SECONDS", 300))
# Odoo changes the outbound flows follow (sync/engine/changes.py): the ticker in every worker looks for due
# streams this often; a stream's cycle may be set per stream name ("stock.quant=10,pickings=30").
CHANGES_TICK_SECONDS = float(os.environ.get("OPSCONSOLE_CHANGES_TICK_SECONDS", 1))
# The inbox pump (sync/engine/ingest.py): every worker ingests stored webhook deliveries, looking again after
# this many seconds when none waits.
INBOX_PUMP_SECONDS = float(os.environ.get("OPSCONSOLE_INBOX_PUMP_SECONDS", 0.2))
# A delivery the pump has left waiting this long (a flash sale outruns one thread) is ingested by the next
# worker that takes a queue entry, up to INBOX_HELP_BATCH of them, before that entry's job.
INBOX_OVERDUE_SECONDS = float(os.environ.get("OPSCONSOLE_INBOX_OVERDUE_SECONDS", 2))
INBOX_HELP_BATCH = int(os.environ.get("OPSCONSOLE_INBOX_HELP_BATCH", 50))
# A read of Odoo's changes queued this long ago and not taken yet (behind an order backlog) is run by the
# next worker that takes a queue entry, before that entry's job (sync/engine/changes.py).
CHANGES_POLL_OVERDUE_SECONDS = float(os.environ.get("OPSCONSOLE_CHANGES_POLL_OVERDUE_SECONDS", 2))
CHANGES_CYCLE_SECONDS = {
    name.strip(): float(value)
    for name, _, value in (
        item.partition("=") for item in env_list("OPSCONSOLE_CHANGES_CYCLE_SECONDS", "") if "=" in item
    )
}
# Off: this worker reads no Odoo changes at all (no stream is due here); other workers may. The shared
# end-to-end test worker runs with it off so that only what a test does makes jobs.
CHANGES_TICKER = env_bool("OPSCONSOLE_CHANGES_TICKER", True)
# Stock out (sync/flows/stock.py): off, Odoo's stock streams are not read (nothing is pushed by them).
STOCK_OUT = env_bool("OPSCONSOLE_STOCK_OUT", True)
# Background threads every worker (qcluster) runs beside django-q2's processes, by dotted path; each is
# called with a threading.Event that is set when the worker stops.
WORKER_THREADS = [
    "sync.tasks.inbox_pump",
    "sync.tasks.changes_ticker",
    "opsconsole.core.metrics.worker_metrics_server",
]

# Metrics (opsconsole/core/metrics.py, docs/observability.md): GET /metrics, and on a worker host the
# event counts on OPSCONSOLE_WORKER_METRICS_BIND (host:port, off when empty). Both ask for
# "Authorization: Bearer <OPSCONSOLE_METRICS_TOKEN>"; with no token set they are open in development and
# the demo only (production answers 401 until a token is set). Several processes per host:
# PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode).
# Alerts (sync/services/alerts.py) go by e-mail through Django's mail backend (SMTP by default) and to
# each shop's webhook URL; links in them point at the console's public address.
CONSOLE_BASE_URL = os.environ.get("OPSCONSOLE_BASE_URL", "")
EMAIL_BACKEND = os.environ.get("OPSCONSOLE_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("OPSCONSOLE_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("OPSCONSOLE_EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("OPSCONSOLE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("OPSCONSOLE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("OPSCONSOLE_EMAIL_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("OPSCONSOLE_EMAIL_FROM", "opsconsole@localhost")

METRICS_TOKEN = os.environ.get("OPSCONSOLE_METRICS_TOKEN", "")
METRICS_OPEN_WITHOUT_TOKEN = DEBUG or DEVELOPMENT or DEMO_MODE
WORKER_METRICS_BIND = os.environ.get("OPSCONSOLE_WORKER_METRICS_BIND", "")

# The JSON API (sync/api/): personal tokens only (no sessions, so no CSRF), JSON only, the console's
# permission checks, cursor pages, one error shape, a rate limit per token.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["sync.api.policy.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["sync.api.policy.ConsoleReader"],
    "DEFAULT_THROTTLE_CLASSES": ["sync.api.policy.PerTokenThrottle"],
    "DEFAULT_PAGINATION_CLASS": "sync.api.policy.NewestFirstCursor",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["sync.api.policy.StrictJSONParser"],
    "EXCEPTION_HANDLER": "sync.api.base.error_response",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "opsconsole API",
    "DESCRIPTION": "Jobs, problems, mappings, connections and webhook deliveries of opsconsole. "
    "Authenticate with a personal token (made on the console's API tokens page): "
    "`Authorization: Bearer oct_…`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "JobStateEnum": "sync.models.JobState",
        "MappingChangeStateEnum": "sync.models.MappingChange.State",
        "ProblemStatusEnum": "sync.models.Problem.Status",
        "RunStatusEnum": "reconciliation.models.ReconciliationRun.Status",
        "DiscrepancyStatusEnum": "reconciliation.models.Discrepancy.Status",
        "RunKindEnum": "reconciliation.models.RunKind",
        "PrivacyRequestKindEnum": "sync.models.PrivacyRequest.Kind",
        "PayoutStatusEnum": "reconciliation.models.Payout.Reconciliation",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sync.api.base.error_responses_hook",
    ],
}

# Logs (opsconsole/core/logs.py): one JSON object per line in production, readable lines in development;
# every line carries the bound correlation id, shop, job id and flow; customer data is never written.
from opsconsole.core.logs import log_format_from_env, logging_config, structlog_configure  # noqa: E402

LOG_FORMAT = log_format_from_env(os.environ)
LOGGING = logging_config(fmt=LOG_FORMAT, level=os.environ.get("OPSCONSOLE_LOG_LEVEL", "INFO"))
structlog_configure()

# The JSON API (/api/v1/, sync/api/): requests per token per window (opsconsole/core/tokens.py), and
# how many items a page holds.
API_RATE_LIMIT = int(os.environ.get("OPSCONSOLE_API_RATE_LIMIT", 600))
API_RATE_WINDOW_SECONDS = int(os.environ.get("OPSCONSOLE_API_RATE_WINDOW_SECONDS", 60))
API_PAGE_SIZE = 50
