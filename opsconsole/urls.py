from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from opsconsole.core import health, views
from reconciliation import views as reconciliation_views
from sync.views import metrics, odoo_wake, webhooks
from sync.views.console import (
    alerts,
    api_docs,
    audit,
    connections,
    dashboard,
    exceptions,
    jobs,
    mappings,
    privacy,
)

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("webhooks/shopify", webhooks.shopify_webhook, name="shopify-webhook"),
    path("webhooks/odoo/<int:shop_id>/wake/<str:token>", odoo_wake.odoo_wake, name="odoo-wake"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="core/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", dashboard.dashboard, name="dashboard"),
    path("exceptions/", exceptions.exceptions, name="exceptions"),
    path("exceptions/<int:problem_id>/", exceptions.problem_page, name="problem"),
    path("exceptions/<int:problem_id>/act/", exceptions.problem_act, name="problem-act"),
    path("exceptions/group/", exceptions.problem_by_fp, name="problem-by-fingerprint"),
    path("exceptions/progress/", exceptions.replay_progress, name="replay-progress"),
    path("exceptions/badge/", exceptions.problems_badge, name="problems-badge"),
    path("jobs/", jobs.jobs, name="jobs"),
    path("jobs/<int:job_id>/", jobs.job_page, name="job"),
    path("jobs/<int:job_id>/replay/", jobs.job_replay, name="job-replay"),
    path("jobs/<int:job_id>/reveal/", jobs.job_reveal, name="job-reveal"),
    path("mappings/", mappings.mappings, name="mappings"),
    path("mappings/propose/", mappings.mapping_propose, name="mapping-propose"),
    path("mappings/import/", mappings.mapping_import, name="mapping-import"),
    path("mappings/history/", mappings.mapping_history_page, name="mapping-history"),
    path("mappings/rollback/", mappings.mapping_rollback, name="mapping-rollback"),
    path("mappings/changes/<int:change_id>/", mappings.mapping_change, name="mapping-change"),
    path(
        "mappings/changes/<int:change_id>/approve/",
        mappings.mapping_decide,
        {"decision": "approve"},
        name="mapping-approve",
    ),
    path(
        "mappings/changes/<int:change_id>/reject/",
        mappings.mapping_decide,
        {"decision": "reject"},
        name="mapping-reject",
    ),
    path("reconciliation/", reconciliation_views.reconciliation, name="reconciliation"),
    path("reconciliation/runs/", reconciliation_views.run_start, name="reconciliation-run-start"),
    path("reconciliation/runs/<int:run_id>/", reconciliation_views.run_page, name="reconciliation-run"),
    path(
        "reconciliation/runs/<int:run_id>/again/",
        reconciliation_views.run_again,
        name="reconciliation-run-again",
    ),
    path(
        "reconciliation/reports/<int:report_id>/",
        reconciliation_views.report_page,
        name="reconciliation-report",
    ),
    path("reconciliation/payouts/", reconciliation_views.payouts, name="reconciliation-payouts"),
    path("reconciliation/payouts/run/", reconciliation_views.payouts_run, name="reconciliation-payouts-run"),
    path(
        "reconciliation/payouts/<int:payout_id>/",
        reconciliation_views.payout_page,
        name="reconciliation-payout",
    ),
    path(
        "reconciliation/discrepancies/",
        reconciliation_views.discrepancies,
        name="reconciliation-discrepancies",
    ),
    path(
        "reconciliation/discrepancies/<int:discrepancy_id>/",
        reconciliation_views.discrepancy_page,
        name="reconciliation-discrepancy",
    ),
    path(
        "reconciliation/discrepancies/<int:discrepancy_id>/act/",
        reconciliation_views.discrepancy_act,
        name="reconciliation-discrepancy-act",
    ),
    path("connections/", connections.connections, name="connections"),
    path(
        "connections/shops/<int:shop_id>/check-webhooks/",
        connections.shop_check_webhooks,
        name="shop-check-webhooks",
    ),
    path("alerts/", alerts.alerts, name="alerts"),
    path("alerts/shops/<int:shop_id>/settings/", alerts.alert_settings_save, name="alert-settings"),
    path("audit/", audit.audit, name="audit"),
    path("privacy/", privacy.privacy, name="privacy"),
    path("privacy/<int:request_id>/export/", privacy.privacy_export, name="privacy-export"),
    path("api-tokens/", views.api_tokens, name="api-tokens"),
    path("api-tokens/<int:token_id>/revoke/", views.api_token_revoke_view, name="api-token-revoke"),
    path("api/v1/docs/", api_docs.api_docs, name="api-docs"),
    path("api/v1/", include("sync.api.urls")),
    path("django-admin/", admin.site.urls),
]
