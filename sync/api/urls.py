"""Routes of /api/v1/."""

from __future__ import annotations

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from reconciliation.api import DiscrepancyViewSet, PayoutViewSet, RunViewSet
from sync.api.base import not_found
from sync.api.connections import ConnectionsView
from sync.api.deliveries import DeliveryViewSet, RejectedDeliveryViewSet
from sync.api.jobs import JobViewSet
from sync.api.mappings import MappingChangeViewSet, MappingEntryViewSet, MappingTablesView
from sync.api.privacy import PrivacyRequestViewSet
from sync.api.problems import ProblemViewSet
from sync.api.schema import SchemaView

router = SimpleRouter()
router.register("jobs", JobViewSet, basename="api-job")
router.register("problems", ProblemViewSet, basename="api-problem")
router.register("mapping-entries", MappingEntryViewSet, basename="api-mapping-entry")
router.register("mapping-changes", MappingChangeViewSet, basename="api-mapping-change")
router.register("webhook-deliveries", DeliveryViewSet, basename="api-delivery")
router.register("rejected-deliveries", RejectedDeliveryViewSet, basename="api-rejected-delivery")
router.register("privacy-requests", PrivacyRequestViewSet, basename="api-privacy-request")
router.register("reconciliation-runs", RunViewSet, basename="api-reconciliation-run")
router.register("discrepancies", DiscrepancyViewSet, basename="api-discrepancy")
router.register("payouts", PayoutViewSet, basename="api-payout")

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("mapping-tables/", MappingTablesView.as_view(), name="api-mapping-tables"),
    path("connections/", ConnectionsView.as_view(), name="api-connections"),
    *router.urls,
    re_path(r"^(?P<path>.*)$", not_found, name="api-not-found"),
]
