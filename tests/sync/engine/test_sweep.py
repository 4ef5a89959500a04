"""The sweep: jobs whose worker died, retries due, queued jobs that lost their queue entry, and snoozed
problems whose date has passed."""

from datetime import timedelta

from django.utils import timezone
from django_q.models import OrmQ
from django_q.tasks import async_task

from sync.engine.problems import problem_status_change
from sync.engine.run import job_run
from sync.engine.sweep import jobs_sweep
from sync.models import JobAttempt, JobState, Problem, SyncJob
from tests.sync.engine.conftest import make_job


def test_the_sweep_takes_back_a_job_whose_worker_died_and_marks_the_attempt_lost():
    job = make_job("order:9")
    # the worker claimed it and died: state running, lease expired, attempt still open
    SyncJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, attempts=1, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    JobAttempt.objects.create(job=job, number=1, started_at=timezone.now() - timedelta(minutes=6))
    OrmQ.objects.all().delete()

    report = jobs_sweep()

    job.refresh_from_db()
    assert report.abandoned == 1
    assert job.state == JobState.QUEUED  # handed over: the next sweep leaves it alone
    assert job.attempt_set.get().outcome == JobAttempt.Outcome.LOST
    assert jobs_sweep().abandoned == 0 and OrmQ.objects.count() == 1
    assert [q.task["args"] for q in OrmQ.objects.all()] == [(job.idempotency_key,)]
    assert job_run(key=job.idempotency_key) == "succeeded"
    assert job.attempt_set.count() == 2


def test_the_sweep_re_enqueues_queued_jobs_nobody_picked_up(settings):
    settings.SYNC_STRANDED_AFTER_SECONDS = 60
    job = make_job("order:10")
    OrmQ.objects.all().delete()  # the queue entry was lost
    SyncJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=5))

    report = jobs_sweep()

    assert report.stranded == 1
    assert [q.task["args"] for q in OrmQ.objects.all()] == [(job.idempotency_key,)]
    assert jobs_sweep().stranded == 0  # handed over once, not on every sweep


def test_a_job_that_kills_its_worker_every_time_ends_dead_not_in_a_loop():
    job = make_job("order:12")
    SyncJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING,
        attempts=8,
        max_attempts=8,
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    OrmQ.objects.all().delete()

    report = jobs_sweep()

    job.refresh_from_db()
    assert (report.abandoned, report.dead) == (0, 1)
    assert (job.state, job.error_class, job.fingerprint) == (
        JobState.DEAD,
        "WorkerLost",
        "worker_lost:test.flow",
    )
    assert (job.problem.fingerprint, job.problem.title, job.problem.times_seen) == (
        "worker_lost:test.flow",
        "The job stops its worker (test.flow)",
        1,
    )
    assert OrmQ.objects.count() == 0


def test_a_backlog_of_queued_jobs_is_not_enqueued_twice(settings):
    settings.SYNC_STRANDED_AFTER_SECONDS = 60
    jobs = [make_job(f"order:2{i}") for i in range(3)]
    SyncJob.objects.filter(pk__in=[j.pk for j in jobs]).update(updated_at=timezone.now() - timedelta(hours=1))

    report = jobs_sweep()  # all three still have their queue entries: they are waiting, not lost

    assert report.stranded == 0
    assert OrmQ.objects.count() == 3


def test_a_stranded_job_is_enqueued_again_while_other_tasks_hold_queue_entries(settings):
    """After a database restart a job's entry can fail on a dead connection (acknowledged, gone) and leave
    the job queued. The sweep runs as a task of its own, so its entry (and the alerts' beside it) is on
    the queue, taken, while it looks: those entries run no queued job and must not hide the stranded one."""
    settings.SYNC_STRANDED_AFTER_SECONDS = 60
    job = make_job("order:30")
    OrmQ.objects.all().delete()  # its entry failed and was acknowledged
    SyncJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    taken = timezone.now() + timedelta(minutes=3)  # a worker runs these now (django-q2 locks what it takes)
    for func in ("sync.tasks.sweep", "sync.tasks.alerts_evaluate"):
        async_task(func, task_name=func)
    running = make_job("order:31")
    SyncJob.objects.filter(pk=running.pk).update(state=JobState.RUNNING, attempts=1)
    OrmQ.objects.update(lock=taken)

    report = jobs_sweep()

    assert report.stranded == 1
    assert (job.idempotency_key,) in [q.task["args"] for q in OrmQ.objects.all()]


def test_a_queued_job_whose_entry_a_worker_took_ahead_is_not_enqueued_twice(settings):
    settings.SYNC_STRANDED_AFTER_SECONDS = 60
    job = make_job("order:32")
    SyncJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    OrmQ.objects.update(lock=timezone.now() + timedelta(minutes=3))  # fetched ahead, not started yet

    assert jobs_sweep().stranded == 0
    assert OrmQ.objects.count() == 1


def test_the_sweep_opens_again_a_problem_whose_snooze_date_passed():
    job = make_job("order:19")
    SyncJob.objects.filter(pk=job.pk).update(state=JobState.NEEDS_ATTENTION)
    problem = Problem.objects.create(
        shop=job.shop,
        fingerprint="unknown_sku:S",
        title="Unknown SKU S",
        error_class="BusinessRuleError",
        flow="test",
        first_seen=timezone.now(),
        last_seen=timezone.now(),
        status_changed_at=timezone.now(),
    )
    problem_status_change(
        problem=problem, status=Problem.Status.SNOOZED, snooze_until=timezone.now() + timedelta(hours=1)
    )

    assert jobs_sweep().problems_woken == 0
    report = jobs_sweep(now=timezone.now() + timedelta(hours=2))

    problem.refresh_from_db()
    assert (report.problems_woken, problem.status, problem.snooze_until) == (1, Problem.Status.OPEN, None)
    assert problem.activity.order_by("-pk").first().note == "The snooze ended."
