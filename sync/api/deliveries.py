"""/api/v1/webhook-deliveries/ and /api/v1/rejected-deliveries/: what the inbox stored (without bodies:
they hold customer data) and what it refused."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from sync.api.base import ApiViewSet, int_param, pk_of
from sync.models import InboundEvent, RejectedDelivery
from sync.selectors.access import shop_scope
from sync.selectors.deliveries import delivery_list, rejected_delivery_list


class DeliveryOut(serializers.ModelSerializer):  # type: ignore[type-arg]
    shop = serializers.CharField(source="shop.domain")
    job_count = serializers.IntegerField()
    parked_count = serializers.IntegerField()

    class Meta:
        model = InboundEvent
        fields = (
            "id",
            "shop",
            "shop_id",
            "topic",
            "webhook_id",
            "event_id",
            "triggered_at",
            "api_version",
            "subject_id",
            "parse_error",
            "received_at",
            "ingested_at",
            "purged_at",
            "job_count",
            "parked_count",
            "handled_by",
            "handled_as",
        )


class RejectedOut(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = RejectedDelivery
        fields = ("id", "at", "reason", "shop_domain", "topic", "webhook_id", "remote_addr", "body_bytes")


@extend_schema_view(
    list=extend_schema(
        summary="Stored webhook deliveries, newest first (no bodies)",
        parameters=[
            OpenApiParameter("shop", int, description="shop id"),
            OpenApiParameter("topic", str, description="e.g. orders/create"),
            OpenApiParameter("unreadable", bool, description="only bodies that could not be parsed"),
        ],
    ),
    retrieve=extend_schema(summary="One stored delivery (no body)"),
)
class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = DeliveryOut
    audit_object_type = "inbound_event"
    cursor_ordering = ("-received_at", "-id")
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> Any:
        params = self.request.query_params
        return delivery_list(
            shop=int_param(params.get("shop")),
            topic=params.get("topic", "")[:100],
            unreadable=params.get("unreadable") in ("1", "true", "True"),
            shops=shop_scope(self.request.user),
        )

    def get_object(self) -> InboundEvent:
        return self.get_queryset().get(pk=pk_of(self.kwargs["pk"]))


@extend_schema_view(
    list=extend_schema(
        summary="Refused webhook requests (bad signature, unknown shop, too large), newest first",
        parameters=[OpenApiParameter("reason", str, enum=RejectedDelivery.Reason.values)],
    )
)
class RejectedDeliveryViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = RejectedOut
    audit_object_type = "rejected_delivery"
    cursor_ordering = ("-at", "-id")

    def get_queryset(self) -> Any:
        reason = self.request.query_params.get("reason", "")
        return rejected_delivery_list(
            reason=reason if reason in RejectedDelivery.Reason.values else "",
            shops=shop_scope(self.request.user),
        )
