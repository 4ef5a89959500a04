"""/api/v1/mapping-tables/, /api/v1/mapping-entries/ and /api/v1/mapping-changes/: the mapping tables per
shop, and changes proposed by one person and approved or rejected by another through the console's own
services (which hold the maker-checker rule)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from sync.api.base import ApiView, ApiViewSet, int_param, pk_of
from sync.api.serializers import NoteInput, RequiredNoteInput, parsed
from sync.models import MappingChange, MappingEntry, MappingTable, ShopifyShop
from sync.selectors.access import shop_scope, shops_visible
from sync.selectors.mappings import (
    KEY_LABELS,
    TABLE_FIELDS,
    change_diff,
    change_unblocks,
    mapping_change_queryset,
    mapping_entries_current,
    mapping_table_counts,
    mapping_version_current,
)
from sync.selectors.odoo_records import mapping_value_problems
from sync.services import console as console_services
from sync.services.mappings import MappingRow


def shop_from(params: Any, *, required: bool, user: Any = None) -> ShopifyShop | None:
    """The shop named by ``shop``, among those ``user`` is given (another shop is as good as unknown)."""
    shop_id = int_param(str(params.get("shop", "")))
    shop = shops_visible(user).filter(pk=shop_id).first() if shop_id else None
    if shop is None and required:
        raise ValidationError({"shop": ["give the id of a connected shop"]})
    return shop


# ---------------------------------------------------------------------------------------- tables


class FieldOut(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    type = serializers.ChoiceField(choices=["int", "int?", "str", "bool"])


class TableOut(serializers.Serializer):
    table = serializers.CharField()
    label = serializers.CharField()
    key_label = serializers.CharField()
    fields = FieldOut(many=True)
    entries = serializers.IntegerField(help_text="current entries for the shop")


class TablesOut(serializers.Serializer):
    shop_id = serializers.IntegerField()
    version = serializers.IntegerField(help_text="the shop's current mapping version")
    tables = TableOut(many=True)


class MappingTablesView(ApiView):
    audit_object_type = "mapping_table"

    @extend_schema(
        summary="The mapping tables of a shop: fields, current version, entry counts",
        parameters=[OpenApiParameter("shop", int, required=True, description="shop id")],
        responses=TablesOut,
    )
    def get(self, request: Request) -> Response:
        shop = shop_from(request.query_params, required=True, user=self.request.user)
        assert shop is not None
        counts = mapping_table_counts(shop=shop)
        tables = [
            {
                "table": value,
                "label": str(label),
                "key_label": KEY_LABELS[value],
                "fields": [{"name": n, "label": lbl, "type": t} for n, lbl, t in TABLE_FIELDS[value]],
                "entries": counts.get(value, 0),
            }
            for value, label in MappingTable.choices
        ]
        return Response({"shop_id": shop.pk, "version": mapping_version_current(shop=shop), "tables": tables})


# ---------------------------------------------------------------------------------------- entries


class EntryOut(serializers.ModelSerializer):  # type: ignore[type-arg]
    value = serializers.JSONField()

    class Meta:
        model = MappingEntry
        fields = ("id", "table", "key", "value", "valid_from", "change_id")


@extend_schema_view(
    list=extend_schema(
        summary="Current entries of one mapping table, by key",
        parameters=[
            OpenApiParameter("shop", int, required=True, description="shop id"),
            OpenApiParameter("table", str, required=True, enum=MappingTable.values),
            OpenApiParameter("q", str, description="key or value contains"),
        ],
    )
)
class MappingEntryViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = EntryOut
    audit_object_type = "mapping_entry"
    cursor_ordering = ("key",)

    def get_queryset(self) -> Any:
        params = self.request.query_params
        shop = shop_from(params, required=True, user=self.request.user)
        assert shop is not None
        table = params.get("table", "")
        if table not in MappingTable.values:
            raise ValidationError({"table": [f"one of {', '.join(MappingTable.values)}"]})
        return mapping_entries_current(shop=shop, table=table, q=params.get("q", "")[:120])


# ---------------------------------------------------------------------------------------- changes


class RowIn(serializers.Serializer):
    table = serializers.ChoiceField(choices=MappingTable.values)
    key = serializers.CharField(max_length=255)
    value = serializers.JSONField(
        allow_null=True,
        help_text="the entry's fields (see /mapping-tables/); null deletes the entry. An edit of an "
        "existing entry keeps the fields it does not name; a field given as null is removed",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        table, value = attrs["table"], attrs["value"]
        if value is None:
            return attrs
        if not isinstance(value, dict):
            raise ValidationError({"value": ["an object of the table's fields, or null"]})
        fields = {name: (label, kind) for name, label, kind in TABLE_FIELDS[table]}
        unknown = sorted(set(value) - set(fields))
        if unknown:
            raise ValidationError({"value": [f"{table} has no field {', '.join(unknown)}"]})
        for name, (label, kind) in fields.items():
            item = value.get(name)
            if item is None:
                if kind in ("int", "bool"):
                    raise ValidationError({"value": [f"{name} ({label}) is required"]})
                continue  # not named: kept from the current entry; named null: removed
            expected = {"int": int, "int?": int, "str": str, "bool": bool, "components": list}[kind]
            if not isinstance(item, expected) or (expected is int and isinstance(item, bool)):
                what = "a list" if kind == "components" else kind.rstrip("?")
                raise ValidationError({"value": [f"{name} must be {what}"]})
            if isinstance(item, int) and kind in ("int", "int?") and not 0 < item < 2**31:
                raise ValidationError({"value": [f"{name} must be an Odoo id"]})
            if isinstance(item, str) and len(item) > 255:
                raise ValidationError({"value": [f"{name} is longer than 255 characters"]})
        return attrs


class ProposeIn(serializers.Serializer):
    shop = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    summary = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    rows = RowIn(many=True, allow_empty=False, max_length=5000)


class RowDiffOut(serializers.Serializer):
    table = serializers.CharField()
    key = serializers.CharField()
    action = serializers.ChoiceField(choices=["create", "edit", "delete"])
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class ChangeOut(serializers.ModelSerializer):  # type: ignore[type-arg]
    shop = serializers.CharField(source="shop.domain")
    proposed_by = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()
    rows = serializers.JSONField()

    class Meta:
        model = MappingChange
        fields: tuple[str, ...] = (
            "id",
            "shop",
            "shop_id",
            "summary",
            "state",
            "rows",
            "proposed_by",
            "proposed_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "version",
        )

    def get_proposed_by(self, change: MappingChange) -> str | None:
        return change.proposed_by.get_username() if change.proposed_by else None

    def get_decided_by(self, change: MappingChange) -> str | None:
        return change.decided_by.get_username() if change.decided_by else None


class ChangeDetailOut(ChangeOut):
    diff = serializers.SerializerMethodField()
    unblocks = serializers.SerializerMethodField(help_text="parked jobs approving it would replay")

    class Meta(ChangeOut.Meta):
        fields = (*ChangeOut.Meta.fields, "diff", "unblocks")

    @extend_schema_field(RowDiffOut(many=True))
    def get_diff(self, change: MappingChange) -> list[dict[str, Any]]:
        return [
            {"table": d.table, "key": d.key, "action": d.action, "before": d.before, "after": d.after}
            for d in change_diff(change=change)
        ]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_unblocks(self, change: MappingChange) -> list[int]:
        if change.state != MappingChange.State.PROPOSED:
            return []
        return [job.pk for job in change_unblocks(change=change)]


@extend_schema_view(
    list=extend_schema(
        summary="Mapping changes, newest first",
        parameters=[
            OpenApiParameter("shop", int, description="shop id"),
            OpenApiParameter("state", str, enum=MappingChange.State.values),
        ],
    ),
    retrieve=extend_schema(summary="One change: its rows against the values in force, what it unblocks"),
    create=extend_schema(
        summary="Propose a change (one or more rows)", request=ProposeIn, responses={201: ChangeDetailOut}
    ),
)
class MappingChangeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet
):
    serializer_class = ChangeOut
    audit_object_type = "mapping_change"
    cursor_ordering = ("-proposed_at", "-id")
    lookup_value_regex = r"\d+"
    action_permissions = {
        "create": "propose_mapping",
        "approve": "approve_mapping",
        "reject": "approve_mapping",
    }

    def get_queryset(self) -> Any:
        params = self.request.query_params
        state = params.get("state", "")
        return mapping_change_queryset(
            shop=shop_from(params, required=False, user=self.request.user),
            state=state if state in MappingChange.State.values else "",
            shops=shop_scope(self.request.user),
        )

    def get_serializer_class(self) -> Any:
        return ChangeDetailOut if self.action == "retrieve" else ChangeOut

    def get_object(self) -> MappingChange:
        change = mapping_change_queryset(shops=shop_scope(self.request.user)).get(pk=pk_of(self.kwargs["pk"]))
        self.check_object_permissions(self.request, change)
        return change

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = parsed(ProposeIn, request.data)
        shop = shop_from({"shop": data["shop"]}, required=True, user=request.user)
        assert shop is not None
        rows = [MappingRow(table=r["table"], key=r["key"].strip(), value=r["value"]) for r in data["rows"]]
        # Every Odoo id must be a record of the right kind that the shop's company can use (asked in Odoo).
        problems = mapping_value_problems(shop=shop, rows=[(r.table, r.key, r.value) for r in rows])
        if problems:
            raise ValidationError({"rows": problems})
        summary = data["summary"].strip() or f"{len(rows)} mapping row{'s' if len(rows) != 1 else ''}"
        change = console_services.mapping_propose(
            actor=request.user, shop=shop, rows=rows, summary=summary, request=request._request
        )
        return Response(ChangeDetailOut(change).data, status=201)

    @extend_schema(
        summary="Approve (someone other than the proposer): a new mapping version; the jobs it "
        "unblocks replay",
        request=NoteInput,
        responses=ChangeDetailOut,
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        change = self.get_object()
        data = parsed(NoteInput, request.data)
        console_services.mapping_approve(
            actor=request.user, change=change, note=data["note"], request=request._request
        )
        return Response(ChangeDetailOut(self.get_object()).data)

    @extend_schema(
        summary="Reject (someone other than the proposer), saying why",
        request=RequiredNoteInput,
        responses=ChangeDetailOut,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        change = self.get_object()
        data = parsed(RequiredNoteInput, request.data)
        console_services.mapping_reject(
            actor=request.user, change=change, note=data["note"], request=request._request
        )
        return Response(ChangeDetailOut(self.get_object()).data)
