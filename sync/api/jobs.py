"""/api/v1/jobs/: the job explorer's list and filters, one job with its attempts, replay."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from sync.api.base import ApiViewSet, int_param, pk_of
from sync.api.serializers import CountOutput
from sync.models import JobAttempt, JobState, SyncJob
from sync.selectors.access import shop_scope
from sync.selectors.jobs import AGES, JobFilters, job_detail, job_links, job_list
from sync.services import console as console_services
from sync.transforms.privacy import mask_payload


class AttemptOut(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = JobAttempt
        fields = (
            "number",
            "started_at",
            "finished_at",
            "duration_ms",
            "outcome",
            "error_class",
            "error_message",
            "external_calls",
        )


class JobOut(serializers.ModelSerializer):  # type: ignore[type-arg]
    shop = serializers.CharField(source="shop.domain")

    class Meta:
        model = SyncJob
        fields: tuple[str, ...] = (
            "id",
            "kind",
            "flow",
            "shop",
            "shop_id",
            "subject",
            "subject_label",
            "state",
            "attempts",
            "max_attempts",
            "next_attempt_at",
            "correlation_id",
            "mapping_version",
            "error_class",
            "error_code",
            "error_key",
            "error_message",
            "finance",
            "problem_id",
            "created_at",
            "updated_at",
            "finished_at",
        )


class JobLinksOut(serializers.Serializer):
    odoo_url = serializers.CharField(allow_null=True)
    odoo_label = serializers.CharField()
    shopify_url = serializers.CharField(allow_null=True)
    shopify_label = serializers.CharField()


class JobDetailOut(JobOut):
    attempt_set = AttemptOut(many=True, read_only=True)
    links = serializers.SerializerMethodField()
    payload = serializers.SerializerMethodField(help_text="the stored payload, customer data masked")
    result = serializers.JSONField()
    error_context = serializers.SerializerMethodField()
    closed_by = serializers.SerializerMethodField()

    class Meta(JobOut.Meta):
        fields = (
            *JobOut.Meta.fields,
            "result",
            "error_context",
            "closed_by",
            "closed_note",
            "links",
            "payload",
            "attempt_set",
        )

    def get_links(self, job: SyncJob) -> dict[str, Any]:
        links = job_links(job=job)
        return {
            "odoo_url": links.odoo_url,
            "odoo_label": links.odoo_label,
            "shopify_url": links.shopify_url,
            "shopify_label": links.shopify_label,
        }

    def get_payload(self, job: SyncJob) -> Any:
        payload = job.event.payload if job.event is not None else (job.input or {}).get("payload")
        return mask_payload(payload) if payload is not None else None

    def get_error_context(self, job: SyncJob) -> Any:
        return mask_payload(job.error_context) if job.error_context else None

    def get_closed_by(self, job: SyncJob) -> str | None:
        return job.closed_by.get_username() if job.closed_by is not None else None


JOB_FILTERS = [
    OpenApiParameter("flow", str, description="flow group, e.g. orders"),
    OpenApiParameter("state", str, enum=JobState.values),
    OpenApiParameter("shop", int, description="shop id"),
    OpenApiParameter("kind", str, description="job kind, e.g. order.upsert"),
    OpenApiParameter("age", str, enum=list(AGES), description="created within"),
    OpenApiParameter("q", str, description="order name or id, Odoo reference, error key"),
]


def job_filters(params: Any, user: Any = None) -> JobFilters:
    """The console's filters from query parameters, limited to the shops ``user`` is given."""
    age = params.get("age", "")
    return JobFilters(
        flow=params.get("flow", "")[:30],
        state=params.get("state", ""),
        shop=int_param(params.get("shop")),
        kind=params.get("kind", "")[:50],
        age=age if age in AGES else "",
        q=params.get("q", "").strip()[:120],
        shops=shop_scope(user),
    )


@extend_schema_view(
    list=extend_schema(summary="Jobs, newest first, with the console's filters", parameters=JOB_FILTERS),
    retrieve=extend_schema(summary="One job with its attempts, links and masked payload"),
)
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = JobOut
    audit_object_type = "sync_job"
    cursor_ordering = ("-created_at", "-id")
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> Any:
        return job_list(filters=job_filters(self.request.query_params, self.request.user))

    def get_serializer_class(self) -> Any:
        return JobDetailOut if self.action == "retrieve" else JobOut

    def get_object(self) -> SyncJob:
        job = job_detail(
            job_id=pk_of(self.kwargs["pk"]), shops=shop_scope(self.request.user)
        )  # DoesNotExist → 404
        self.check_object_permissions(self.request, job)
        return job

    @extend_schema(summary="Replay the job now", request=None, responses=CountOutput)
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str) -> Response:
        """Puts the job back on the queue (parked, dead, retrying, resolved or ignored jobs); ``count`` is 0
        when it was not stuck. Needs the ops role (or finance, for a finance job)."""
        job = self.get_object()
        count = console_services.jobs_replay(actor=request.user, job_ids=[job.pk], request=request._request)
        return Response({"count": count})
