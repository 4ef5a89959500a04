"""/api/v1/problems/: the exception queue and its filters, one problem with its parked jobs and activity, and
what people do with a problem (resolve, ignore, snooze, assign, replay, note) through the same services as
the console's buttons."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from sync.api.base import ApiViewSet, int_param, pk_of
from sync.api.serializers import CountOutput, NoteInput, RequiredNoteInput, parsed
from sync.models import Problem, ProblemActivity
from sync.selectors.access import shop_scope
from sync.selectors.jobs import AGES
from sync.selectors.problems import (
    PROBLEM_STATUSES,
    ProblemFilters,
    problem_detail,
    problem_parked_jobs,
    problem_queryset,
    problem_timeline,
)
from sync.services import problems as problem_services


class ProblemOut(serializers.ModelSerializer):  # type: ignore[type-arg]
    shop = serializers.CharField(source="shop.domain")
    owner = serializers.SerializerMethodField()
    blocked = serializers.IntegerField(help_text="jobs parked on it")
    dead = serializers.IntegerField(help_text="jobs dead on it")

    class Meta:
        model = Problem
        fields: tuple[str, ...] = (
            "id",
            "shop",
            "shop_id",
            "fingerprint",
            "title",
            "error_class",
            "error_code",
            "error_key",
            "message",
            "flow",
            "finance",
            "status",
            "times_seen",
            "first_seen",
            "last_seen",
            "snooze_until",
            "snooze_remaining",
            "owner",
            "status_changed_at",
            "blocked",
            "dead",
        )

    def get_owner(self, problem: Problem) -> str | None:
        return problem.owner.get_username() if problem.owner is not None else None


class ActivityOut(serializers.ModelSerializer):  # type: ignore[type-arg]
    actor = serializers.SerializerMethodField(help_text="the person, or null for the engine")

    class Meta:
        model = ProblemActivity
        fields = ("at", "kind", "actor", "note", "data")

    def get_actor(self, activity: ProblemActivity) -> str | None:
        return activity.actor.get_username() if activity.actor is not None else None


class ParkedJobOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    subject = serializers.CharField()
    subject_label = serializers.CharField()
    state = serializers.CharField()
    created_at = serializers.DateTimeField()


class ProblemDetailOut(ProblemOut):
    parked_jobs = serializers.SerializerMethodField()
    activity = serializers.SerializerMethodField()

    class Meta(ProblemOut.Meta):
        fields = (*ProblemOut.Meta.fields, "parked_jobs", "activity")

    @extend_schema_field(ParkedJobOut(many=True))
    def get_parked_jobs(self, problem: Problem) -> list[dict[str, Any]]:
        return ParkedJobOut(problem_parked_jobs(problem=problem), many=True).data  # type: ignore[return-value]

    @extend_schema_field(ActivityOut(many=True))
    def get_activity(self, problem: Problem) -> list[dict[str, Any]]:
        return ActivityOut(problem_timeline(problem=problem), many=True).data  # type: ignore[return-value]


class SnoozeInput(serializers.Serializer):
    until = serializers.DateTimeField(required=False, help_text="snooze until this time (in the future)")
    occurrences = serializers.IntegerField(
        required=False, min_value=1, max_value=1_000_000, help_text="or for this many more occurrences"
    )
    note = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("until" in attrs) == ("occurrences" in attrs):
            raise ValidationError("give either until or occurrences")
        return attrs


class AssignInput(serializers.Serializer):
    owner = serializers.IntegerField(
        allow_null=True, min_value=1, max_value=2**31 - 1, help_text="user id, or null for nobody"
    )


class ReplayInput(serializers.Serializer):
    job_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=5000,
        help_text="some of its parked jobs; all of them when left out",
    )


class ReplayOut(serializers.Serializer):
    job_ids = serializers.ListField(child=serializers.IntegerField())


PROBLEM_FILTERS = [
    OpenApiParameter(
        "status", str, enum=list(PROBLEM_STATUSES), description="open (default) includes regressed"
    ),
    OpenApiParameter("flow", str),
    OpenApiParameter("error_class", str),
    OpenApiParameter("shop", int, description="shop id"),
    OpenApiParameter("age", str, enum=list(AGES), description="last seen within"),
    OpenApiParameter("q", str, description="title, fingerprint, or an order of one of its jobs"),
    OpenApiParameter("finance", bool, description="finance problems only"),
]


def problem_filters(params: Any, user: Any = None) -> ProblemFilters:
    """The console's filters from query parameters, limited to the shops ``user`` is given."""
    status = params.get("status", "open")
    age = params.get("age", "")
    return ProblemFilters(
        flow=params.get("flow", "")[:30],
        error_class=params.get("error_class", "")[:40],
        shop=int_param(params.get("shop")),
        status=status if status in PROBLEM_STATUSES else "open",
        age=age if age in AGES else "",
        q=params.get("q", "").strip()[:120],
        finance=params.get("finance") in ("1", "true", "True"),
        shops=shop_scope(user),
    )


@extend_schema_view(
    list=extend_schema(summary="Problems, most recently seen first", parameters=PROBLEM_FILTERS),
    retrieve=extend_schema(summary="One problem with its parked jobs and activity"),
)
class ProblemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ProblemOut
    audit_object_type = "problem"
    cursor_ordering = ("-last_seen", "-id")
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> Any:
        return problem_queryset(filters=problem_filters(self.request.query_params, self.request.user))

    def get_serializer_class(self) -> Any:
        return ProblemDetailOut if self.action == "retrieve" else ProblemOut

    def get_object(self) -> Problem:
        problem = problem_detail(problem_id=pk_of(self.kwargs["pk"]), shops=shop_scope(self.request.user))
        self.check_object_permissions(self.request, problem)
        return problem

    def _actionable(self) -> Problem:
        """The problem, once the service's own rule says this user may act on it (before reading the body,
        so that a role that may not act gets 403 whatever it sends)."""
        problem = self.get_object()
        if not problem_services.problem_can_act(self.request.user, problem):
            raise PermissionDenied(f"your role cannot act on problem {problem.pk}")
        return problem

    def _detail(self, problem: Problem) -> Response:
        return Response(ProblemDetailOut(problem_detail(problem_id=problem.pk)).data)

    @extend_schema(
        summary="Resolve: the cause is fixed; its parked jobs close",
        request=RequiredNoteInput,
        responses=CountOutput,
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        problem = self._actionable()
        data = parsed(RequiredNoteInput, request.data)
        count = problem_services.problem_resolve(
            actor=request.user, problem=problem, note=data["note"], request=request._request
        )
        return Response({"count": count})

    @extend_schema(
        summary="Ignore: these jobs should not sync; its parked jobs close",
        request=RequiredNoteInput,
        responses=CountOutput,
    )
    @action(detail=True, methods=["post"])
    def ignore(self, request: Request, pk: str) -> Response:
        problem = self._actionable()
        data = parsed(RequiredNoteInput, request.data)
        count = problem_services.problem_ignore(
            actor=request.user, problem=problem, note=data["note"], request=request._request
        )
        return Response({"count": count})

    @extend_schema(
        summary="Snooze until a time or for N more occurrences",
        request=SnoozeInput,
        responses=ProblemDetailOut,
    )
    @action(detail=True, methods=["post"])
    def snooze(self, request: Request, pk: str) -> Response:
        problem = self._actionable()
        data = parsed(SnoozeInput, request.data)
        problem_services.problem_snooze(
            actor=request.user,
            problem=problem,
            until=data.get("until"),
            occurrences=data.get("occurrences"),
            note=data["note"],
            request=request._request,
        )
        return self._detail(problem)

    @extend_schema(
        summary="Give the problem an owner, or none", request=AssignInput, responses=ProblemDetailOut
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        problem = self._actionable()
        data = parsed(AssignInput, request.data)
        problem_services.problem_assign(
            actor=request.user, problem=problem, owner_id=data["owner"], request=request._request
        )
        return self._detail(problem)

    @extend_schema(summary="Replay its parked jobs (all, or some)", request=ReplayInput, responses=ReplayOut)
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str) -> Response:
        problem = self._actionable()
        data = parsed(ReplayInput, request.data)
        replayed = problem_services.problem_replay(
            actor=request.user, problem=problem, job_ids=data.get("job_ids"), request=request._request
        )
        return Response({"job_ids": replayed})

    @extend_schema(summary="Add a note to its activity", request=NoteInput, responses=ProblemDetailOut)
    @action(detail=True, methods=["post"])
    def note(self, request: Request, pk: str) -> Response:
        problem = self._actionable()
        data = parsed(NoteInput, request.data)
        problem_services.problem_note(
            actor=request.user, problem=problem, note=data["note"], request=request._request
        )
        return self._detail(problem)
