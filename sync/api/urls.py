"""Routes of /api/v1/."""

from __future__ import annotations

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from sync.api.base import not_found
from sync.api.connections import ConnectionViewSet
from sync.api.deliveries import DeliveryViewSet, RejectedDeliveryViewSet
from sync.api.jobs import JobViewSet
from sync.api.mappings import MappingChangeViewSet, MappingEntryViewSet, MappingTableViewSet
from sync.api.problems import ProblemViewSet

router = SimpleRouter()
router.register("jobs", JobViewSet, basename="api-job")
router.register("problems", ProblemViewSet, basename="api-problem")
router.register("mapping-tables", MappingTableViewSet, basename="api-mapping-table")
router.register("mapping-entries", MappingEntryViewSet, basename="api-mapping-entry")
router.register("mapping-changes", MappingChangeViewSet, basename="api-mapping-change")
router.register("connections", ConnectionViewSet, basename="api-connection")
router.register("webhook-deliveries", DeliveryViewSet, basename="api-delivery")
router.register("rejected-deliveries", RejectedDeliveryViewSet, basename="api-rejected-delivery")

urlpatterns = [
    *router.urls,
    re_path(r"^(?P<path>.*)$", not_found, name="api-not-found"),
]
