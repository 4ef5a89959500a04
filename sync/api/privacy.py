"""/api/v1/privacy-requests/: Shopify's data requests and redactions as carried out, and a data request's
export for someone who may see customer data (each read audited by the service)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from sync.api.base import ApiViewSet, int_param, pk_of
from sync.models import PrivacyRequest
from sync.selectors.access import shop_scope
from sync.selectors.privacy import privacy_request_list
from sync.services.privacy import privacy_export_read


class PrivacyRequestOut(serializers.ModelSerializer):  # type: ignore[type-arg]
    shop = serializers.CharField(source="shop.domain")
    has_export = serializers.BooleanField(help_text="a data request whose export can be read")
    outcome = serializers.JSONField()

    class Meta:
        model = PrivacyRequest
        fields = (
            "id",
            "kind",
            "shop",
            "shop_id",
            "customer_id",
            "job_id",
            "created_at",
            "completed_at",
            "outcome",
            "has_export",
        )


class ExportOut(serializers.Serializer):
    id = serializers.IntegerField()
    customer_id = serializers.CharField()
    export = serializers.JSONField(
        help_text="links to Odoo records, stored payloads, the Odoo partner's fields"
    )


@extend_schema_view(
    list=extend_schema(
        summary="Privacy requests, newest first (no personal data)",
        parameters=[
            OpenApiParameter("kind", str, enum=PrivacyRequest.Kind.values),
            OpenApiParameter("shop", int, description="shop id"),
        ],
    ),
    retrieve=extend_schema(summary="One privacy request (no personal data)"),
)
class PrivacyRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = PrivacyRequestOut
    audit_object_type = "privacy_request"
    cursor_ordering = ("-created_at", "-id")
    lookup_value_regex = r"\d+"
    action_permissions = {"export": "reveal_customer_data"}

    def get_queryset(self) -> Any:
        params = self.request.query_params
        kind = params.get("kind", "")
        return privacy_request_list(
            kind=kind if kind in PrivacyRequest.Kind.values else "",
            shop=int_param(params.get("shop")),
            shops=shop_scope(self.request.user),
        )

    def get_object(self) -> PrivacyRequest:
        return self.get_queryset().get(pk=pk_of(self.kwargs["pk"]))

    @extend_schema(
        summary="A data request's export, to send on to the customer (needs the reveal permission; audited)",
        responses=ExportOut,
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> Response:
        privacy_request, export = privacy_export_read(
            actor=request.user, request_id=pk_of(pk), request=request._request
        )
        return Response(
            {"id": privacy_request.pk, "customer_id": privacy_request.customer_id, "export": export}
        )
