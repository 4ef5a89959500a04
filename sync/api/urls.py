"""Routes of /api/v1/."""

from __future__ import annotations

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from sync.api.base import not_found
from sync.api.jobs import JobViewSet
from sync.api.problems import ProblemViewSet

router = SimpleRouter()
router.register("jobs", JobViewSet, basename="api-job")
router.register("problems", ProblemViewSet, basename="api-problem")

urlpatterns = [
    *router.urls,
    re_path(r"^(?P<path>.*)$", not_found, name="api-not-found"),
]
