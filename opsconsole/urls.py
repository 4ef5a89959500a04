from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from opsconsole.core import health, views
from sync.views import webhooks

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("webhooks/shopify", webhooks.shopify_webhook, name="shopify-webhook"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="core/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("exceptions/", views.exceptions, name="exceptions"),
    path("jobs/", views.jobs, name="jobs"),
    path("mappings/", views.mappings, name="mappings"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("connections/", views.connections, name="connections"),
    path("audit/", views.audit, name="audit"),
    path("django-admin/", admin.site.urls),
]
