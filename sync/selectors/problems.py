"""Problem reads for the console: the exception queue, one problem with its parked jobs and its activity
timeline, the counts on the badge and the dashboard. The queries follow the Problem indexes (status and
last seen; shop and status; finance) and the jobs' (problem, state) index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from sync.engine.problems import OPEN_STATUSES
from sync.models import PROBLEM_STATES, JobState, Problem, ProblemActivity, SyncJob
from sync.selectors.access import ShopScope, in_scope
from sync.selectors.jobs import AGES, job_search_q

Status = Problem.Status

#: The statuses the exception queue filters by ("open" is open and regressed).
PROBLEM_STATUSES = ("open", "regressed", "snoozed", "ignored", "resolved", "all")


@dataclass(frozen=True)
class ProblemFilters:
    flow: str = ""
    error_class: str = ""
    shop: int | None = None
    status: str = "open"
    age: str = ""  # seen in the last ...
    q: str = ""
    finance: bool = False
    shops: ShopScope = None  # the user's shops (sync/selectors/access.py); None: every shop


def _status_q(status: str, now: datetime) -> Q:
    """A snoozed problem whose date has passed counts as open even before the sweep wakes it."""
    snooze_over = Q(status=Status.SNOOZED, snooze_until__lte=now)
    if status == "open":
        return Q(status__in=OPEN_STATUSES) | snooze_over
    if status == "snoozed":
        return Q(status=Status.SNOOZED) & ~snooze_over
    if status in (Status.REGRESSED, Status.IGNORED, Status.RESOLVED):
        return Q(status=status)
    return Q()


def problems_query(*, filters: ProblemFilters, now: datetime | None = None) -> QuerySet[Problem]:
    now = now or timezone.now()
    query = in_scope(Problem.objects.filter(_status_q(filters.status, now)), filters.shops)
    if filters.flow:
        query = query.filter(flow=filters.flow)
    if filters.error_class:
        query = query.filter(error_class=filters.error_class)
    if filters.shop:
        query = query.filter(shop_id=filters.shop)
    if filters.finance:
        query = query.filter(finance=True)
    if filters.age in AGES:
        query = query.filter(last_seen__gte=now - AGES[filters.age])
    if filters.q:
        text = filters.q.strip()
        jobs = SyncJob.objects.filter(job_search_q(text), problem__isnull=False).values("problem_id")
        query = query.filter(
            Q(title__icontains=text)
            | Q(fingerprint__icontains=text)
            | Q(error_key__iexact=text)
            | Q(pk__in=jobs)
        )
    return query


def _job_count(*states: str) -> Coalesce:
    """A problem's jobs in ``states``, counted for that problem alone (the jobs' (problem, state) index)."""
    jobs = (
        SyncJob.objects.filter(problem=OuterRef("pk"), state__in=states)
        .order_by()
        .values("problem")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(jobs, output_field=IntegerField()), 0)


def _with_counts(query: QuerySet[Problem]) -> QuerySet[Problem]:
    """``blocked`` (parked jobs) and ``dead`` per problem, as correlated counts rather than a join grouped by
    problem: PostgreSQL evaluates them for the rows a page shows (after its ORDER BY and LIMIT), where a
    join counted every job of every problem in the filter (all 40,000 parked jobs of the open problems for
    a page of 200, with a year of data)."""
    return query.annotate(blocked=_job_count(*PROBLEM_STATES), dead=_job_count(JobState.DEAD))


def problem_queryset(
    *, filters: ProblemFilters | None = None, now: datetime | None = None
) -> QuerySet[Problem]:
    """Problems most recently seen first, each with ``blocked`` (parked jobs) and ``dead`` counts."""
    filters = filters or ProblemFilters()
    query = problems_query(filters=filters, now=now).select_related("shop", "owner")
    return _with_counts(query).order_by("-last_seen", "-pk")


def problem_list(
    *, filters: ProblemFilters | None = None, now: datetime | None = None, limit: int = 200
) -> list[Problem]:
    """The exception queue's page: ``problem_queryset``, at most ``limit``."""
    return list(problem_queryset(filters=filters, now=now)[:limit])


def problem_detail(*, problem_id: int, shops: ShopScope = None) -> Problem:
    """One problem (Problem.DoesNotExist also when its shop is outside ``shops``)."""
    return _with_counts(in_scope(Problem.objects.select_related("shop", "owner"), shops)).get(pk=problem_id)


def problem_by_fingerprint(*, fingerprint: str, shops: ShopScope = None) -> Problem | None:
    """The most recently seen problem with this fingerprint, in any of ``shops`` (old links)."""
    return in_scope(Problem.objects.filter(fingerprint=fingerprint), shops).order_by("-last_seen").first()


def problem_parked_jobs(*, problem: Problem, limit: int = 500) -> list[SyncJob]:
    return list(
        SyncJob.objects.filter(problem=problem, state__in=PROBLEM_STATES)
        .select_related("shop", "event")
        .order_by("-created_at")[:limit]
    )


def problem_sample_job(*, problem: Problem) -> SyncJob | None:
    """The job whose error the problem page shows: the newest parked one, else the newest at all."""
    jobs = SyncJob.objects.filter(problem=problem).order_by("-pk")
    return jobs.filter(state__in=PROBLEM_STATES).first() or jobs.first()


def problem_timeline(*, problem: Problem, limit: int = 100) -> list[ProblemActivity]:
    return list(problem.activity.select_related("actor").order_by("-at", "-pk")[:limit])


def problem_error_classes() -> list[str]:
    return sorted(c for c in Problem.objects.values_list("error_class", flat=True).distinct() if c)


def open_problem_count(*, now: datetime | None = None, shops: ShopScope = None) -> int:
    """Open problems: the sidebar badge."""
    return problems_query(filters=ProblemFilters(shops=shops), now=now).count()


@dataclass(frozen=True)
class OpenProblemStats:
    problems: int
    jobs: int  # parked jobs of those problems


def open_problem_stats(*, now: datetime | None = None, shops: ShopScope = None) -> OpenProblemStats:
    """The dashboard's "needs attention": open problems and the jobs parked on them."""
    problems = problems_query(filters=ProblemFilters(shops=shops), now=now)
    # The parked jobs alone, on the jobs' (problem, state) index: a join counted every job ever linked to an
    # open problem (a job keeps its problem after it clears), to keep the parked ones.
    jobs = SyncJob.objects.filter(state__in=PROBLEM_STATES, problem__in=problems.values("pk"))
    return OpenProblemStats(problems=problems.count(), jobs=jobs.count())


def problem_owner_choices() -> list[AbstractBaseUser]:
    """The people a problem can be given to: active users who may act on problems."""
    codenames = ("act_on_jobs", "act_on_finance")
    may_act = (
        Q(is_superuser=True)
        | Q(groups__permissions__content_type__app_label="core", groups__permissions__codename__in=codenames)
        | Q(user_permissions__content_type__app_label="core", user_permissions__codename__in=codenames)
    )
    users = get_user_model().objects.filter(may_act, is_active=True).distinct()
    return list(users.order_by(get_user_model().USERNAME_FIELD))
