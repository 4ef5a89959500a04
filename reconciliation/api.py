"""/api/v1/reconciliation-runs/, /api/v1/discrepancies/ and /api/v1/payouts/: the Reconciliation screens'
runs, discrepancy queue and payouts, through the same selectors and services (finance acts, every console role
reads; a user limited to some shops sees only theirs)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_date
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from opsconsole.core.permissions import allowed
from reconciliation.models import (
    Discrepancy,
    DiscrepancyActivity,
    Payout,
    PayoutLine,
    ReconciliationRun,
    RunKind,
)
from reconciliation.selectors.payouts import PAYOUT_STATUSES, payout_list
from reconciliation.selectors.runs import DISCREPANCY_STATUSES, DiscrepancyFilters, discrepancy_list, run_list
from reconciliation.services import discrepancies as discrepancy_services
from reconciliation.services.runs import run_rerun
from sync.api.base import ApiViewSet, int_param, pk_of
from sync.api.serializers import NoteInput, RequiredNoteInput, parsed
from sync.selectors.access import in_scope, shop_scope


class RunOut(serializers.ModelSerializer):  # type: ignore[type-arg]
    shop = serializers.CharField(source="shop.domain")
    started_by = serializers.CharField(source="started_by_label")
    counts = serializers.JSONField()

    class Meta:
        model = ReconciliationRun
        fields = (
            "id",
            "shop",
            "shop_id",
            "kind",
            "trigger",
            "started_by",
            "rerun_of_id",
            "window_start",
            "window_end",
            "status",
            "counts",
            "source",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        )


class DiscrepancyActivityOut(serializers.ModelSerializer):  # type: ignore[type-arg]
    actor = serializers.CharField(source="actor_label")

    class Meta:
        model = DiscrepancyActivity
        fields = ("created_at", "action", "actor", "note", "run_id")


class DiscrepancyOut(serializers.ModelSerializer):  # type: ignore[type-arg]
    shop = serializers.CharField(source="shop.domain")
    assignee = serializers.SerializerMethodField()
    details = serializers.JSONField()

    class Meta:
        model = Discrepancy
        fields: tuple[str, ...] = (
            "id",
            "shop",
            "shop_id",
            "kind",
            "code",
            "subject",
            "label",
            "shopify_value",
            "odoo_value",
            "amount_shopify",
            "amount_odoo",
            "currency",
            "details",
            "occurred_at",
            "status",
            "assignee",
            "first_run_id",
            "last_run_id",
            "first_seen",
            "last_seen",
            "times_seen",
            "resolved_at",
        )

    def get_assignee(self, d: Discrepancy) -> str | None:
        return d.assignee.get_username() if d.assignee else None


class DiscrepancyDetailOut(DiscrepancyOut):
    activity = serializers.SerializerMethodField()

    class Meta(DiscrepancyOut.Meta):
        fields = (*DiscrepancyOut.Meta.fields, "activity")

    @extend_schema_field(DiscrepancyActivityOut(many=True))
    def get_activity(self, d: Discrepancy) -> list[dict[str, Any]]:
        return DiscrepancyActivityOut(d.activity.select_related("actor").all()[:200], many=True).data  # type: ignore[return-value]


class AssignIn(serializers.Serializer):
    assignee = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="user id")
    note = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


@extend_schema_view(
    list=extend_schema(
        summary="Reconciliation runs, newest first",
        parameters=[
            OpenApiParameter("shop", int, description="shop id"),
            OpenApiParameter("kind", str, enum=RunKind.values),
        ],
    ),
    retrieve=extend_schema(summary="One reconciliation run with its counts"),
)
class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = RunOut
    audit_object_type = "reconciliation_run"
    cursor_ordering = ("-created_at", "-id")
    lookup_value_regex = r"\d+"
    action_permissions = {"rerun": "act_on_finance"}

    def get_queryset(self) -> Any:
        params = self.request.query_params
        kind = params.get("kind", "")
        runs = run_list(shop=int_param(params.get("shop")), kind=kind if kind in RunKind.values else "")
        return in_scope(runs, shop_scope(self.request.user))

    def get_object(self) -> ReconciliationRun:
        return self.get_queryset().get(pk=pk_of(self.kwargs["pk"]))

    @extend_schema(summary="Run the same window again (finance)", request=None, responses={201: RunOut})
    @action(detail=True, methods=["post"])
    def rerun(self, request: Request, pk: str) -> Response:
        again = run_rerun(user=request.user, run=self.get_object())
        return Response(RunOut(again).data, status=201)


@extend_schema_view(
    list=extend_schema(
        summary="The discrepancy queue, most recently seen first",
        parameters=[
            OpenApiParameter("status", str, enum=list(DISCREPANCY_STATUSES), description="open by default"),
            OpenApiParameter("code", str),
            OpenApiParameter("shop", int, description="shop id"),
            OpenApiParameter("assignee", str, enum=["me", "none"]),
            OpenApiParameter("q", str, description="subject or label contains"),
        ],
    ),
    retrieve=extend_schema(summary="One discrepancy with its activity"),
)
class DiscrepancyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = DiscrepancyOut
    audit_object_type = "discrepancy"
    cursor_ordering = ("-last_seen", "-id")
    lookup_value_regex = r"\d+"
    action_permissions = {
        "resolve": "act_on_finance",
        "reopen": "act_on_finance",
        "note": "act_on_finance",
        "assign": "act_on_finance",
    }

    def get_queryset(self) -> Any:
        params = self.request.query_params
        status = params.get("status", "open")
        assignee = params.get("assignee", "")
        filters = DiscrepancyFilters(
            status=status if status in DISCREPANCY_STATUSES else "open",
            code=params.get("code", "").strip()[:60],
            shop=int_param(params.get("shop")),
            assignee=assignee if assignee in ("me", "none") else "",
            q=params.get("q", "").strip()[:120],
        )
        rows = discrepancy_list(filters=filters, user=self.request.user)
        return in_scope(rows, shop_scope(self.request.user))

    def get_serializer_class(self) -> Any:
        return DiscrepancyDetailOut if self.action == "retrieve" else DiscrepancyOut

    def get_object(self) -> Discrepancy:
        rows = Discrepancy.objects.select_related("shop", "assignee", "first_run", "last_run")
        return in_scope(rows, shop_scope(self.request.user)).get(pk=pk_of(self.kwargs["pk"]))

    def _done(self, d: Discrepancy) -> Response:
        return Response(DiscrepancyDetailOut(self.get_object()).data)

    @extend_schema(
        summary="Resolve, saying why (finance)", request=RequiredNoteInput, responses=DiscrepancyDetailOut
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        d = self.get_object()
        data = parsed(RequiredNoteInput, request.data)
        if not data["note"].strip():
            raise ValidationError({"note": ["say why"]})
        return self._done(
            discrepancy_services.discrepancy_resolve(user=request.user, discrepancy=d, note=data["note"])
        )

    @extend_schema(summary="Open it again (finance)", request=NoteInput, responses=DiscrepancyDetailOut)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        d = self.get_object()
        data = parsed(NoteInput, request.data)
        return self._done(
            discrepancy_services.discrepancy_reopen(user=request.user, discrepancy=d, note=data["note"])
        )

    @extend_schema(summary="Add a note (finance)", request=RequiredNoteInput, responses=DiscrepancyDetailOut)
    @action(detail=True, methods=["post"])
    def note(self, request: Request, pk: str) -> Response:
        d = self.get_object()
        data = parsed(RequiredNoteInput, request.data)
        if not data["note"].strip():
            raise ValidationError({"note": ["the note is empty"]})
        return self._done(
            discrepancy_services.discrepancy_note(user=request.user, discrepancy=d, note=data["note"])
        )

    @extend_schema(
        summary="Give it to someone in finance (finance)", request=AssignIn, responses=DiscrepancyDetailOut
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        d = self.get_object()
        data = parsed(AssignIn, request.data)
        who = get_user_model().objects.filter(pk=data["assignee"], is_active=True).first()
        if who is None:
            raise ValidationError({"assignee": ["no such user"]})
        if not allowed(who, "act_on_finance"):
            raise ValidationError({"assignee": [f"{who.get_username()} cannot act on discrepancies"]})
        return self._done(
            discrepancy_services.discrepancy_assign(
                user=request.user, discrepancy=d, assignee=who, note=data["note"]
            )
        )


class PayoutLineOut(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = PayoutLine
        fields = (
            "transaction_id",
            "type",
            "source_type",
            "order_id",
            "order_name",
            "transaction_date",
            "amount",
            "fee",
            "net",
            "currency",
            "adjustment_reason",
            "match",
            "odoo_model",
            "odoo_id",
        )


class PayoutOut(serializers.ModelSerializer):  # type: ignore[type-arg]
    shop = serializers.CharField(source="shop.domain")
    differences = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Payout
        fields: tuple[str, ...] = (
            "id",
            "shop",
            "shop_id",
            "payout_id",
            "legacy_id",
            "issued_at",
            "shopify_status",
            "net",
            "currency",
            "status",
            "expected_net",
            "difference",
            "fees",
            "differences",
            "odoo_move_id",
            "odoo_move_name",
            "bank_line_id",
            "posted_at",
            "reconciled_at",
        )


class PayoutDetailOut(PayoutOut):
    lines = PayoutLineOut(many=True, read_only=True)

    class Meta(PayoutOut.Meta):
        fields: tuple[str, ...] = (*PayoutOut.Meta.fields, "lines")


@extend_schema_view(
    list=extend_schema(
        summary="Shopify Payments payouts, newest first, with how each reconciled",
        parameters=[
            OpenApiParameter("status", str, enum=list(PAYOUT_STATUSES)),
            OpenApiParameter("shop", int, description="shop id"),
            OpenApiParameter("since", str, description="issued on or after (YYYY-MM-DD)"),
            OpenApiParameter("until", str, description="issued on or before (YYYY-MM-DD)"),
        ],
    ),
    retrieve=extend_schema(summary="One payout with each balance transaction and its Odoo match"),
)
class PayoutViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = PayoutOut
    audit_object_type = "payout"
    cursor_ordering = ("-issued_at", "-id")
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> Any:
        params = self.request.query_params
        payouts = payout_list(
            status=params.get("status", ""),
            shop=int_param(params.get("shop")),
            since=_date_param(params.get("since")),
            until=_date_param(params.get("until")),
        )
        return in_scope(payouts, shop_scope(self.request.user))

    def get_object(self) -> Payout:
        return self.get_queryset().prefetch_related("lines").get(pk=pk_of(self.kwargs["pk"]))

    def get_serializer_class(self) -> Any:
        return PayoutDetailOut if self.action == "retrieve" else PayoutOut


def _date_param(value: str | None) -> date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        raise ValidationError({"date": [f"not a date: {value!r}"]}) from None
