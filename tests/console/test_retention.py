"""Retention: raw bodies and payloads purged after the window unless a job still needs them; job inputs
and data-request exports too; refused deliveries and audit entries by their own windows; the purge is a
daily schedule and its counts show on the dashboard."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_q.models import Schedule

from opsconsole.core.models import AuditEntry
from sync.models import InboundEvent, JobState, PrivacyRequest, RejectedDelivery, RetentionRun, SyncJob
from sync.services.retention import retention_purge
from tests.console.conftest import make_job


def _age_event(job: SyncJob, days: int) -> None:
    InboundEvent.objects.filter(pk=job.event_id).update(
        received_at=timezone.now() - timedelta(days=days), raw_body=b'{"email": "jane.doe@example.com"}'
    )


def test_old_payloads_are_purged_unless_a_job_still_needs_them(shop, client_for, settings):
    settings.RETENTION_PAYLOAD_DAYS = 30
    old_done = make_job(shop, state=JobState.SUCCEEDED)
    old_parked = make_job(shop, state=JobState.NEEDS_ATTENTION)
    recent_done = make_job(shop, state=JobState.SUCCEEDED)
    _age_event(old_done, 31)
    _age_event(old_parked, 31)
    _age_event(recent_done, 29)
    input_job = make_job(
        shop, state=JobState.SUCCEEDED, input={"topic": "orders/create", "payload": {"a": 1}}
    )
    SyncJob.objects.filter(pk=input_job.pk).update(created_at=timezone.now() - timedelta(days=40))
    request = PrivacyRequest.objects.create(shop=shop, kind="data_request", customer_id="7", export={"x": 1})
    PrivacyRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(days=31))
    rejected_old = RejectedDelivery.objects.create(reason="bad_signature", shop_domain=shop.domain)
    RejectedDelivery.objects.filter(pk=rejected_old.pk).update(at=timezone.now() - timedelta(days=91))
    RejectedDelivery.objects.create(reason="bad_signature", shop_domain=shop.domain)
    old_audit = AuditEntry.objects.create(action="test.old", summary="old")
    AuditEntry.objects.filter(pk=old_audit.pk).update(at=timezone.now() - timedelta(days=731))

    run = retention_purge()

    done = InboundEvent.objects.get(pk=old_done.event_id)
    assert (bytes(done.raw_body), done.payload, done.purged_at is not None) == (b"", None, True)
    for kept in (old_parked, recent_done):
        event = InboundEvent.objects.get(pk=kept.event_id)
        assert b"jane.doe@example.com" in bytes(event.raw_body) and event.payload is not None
    assert "payload" not in SyncJob.objects.get(pk=input_job.pk).input
    assert PrivacyRequest.objects.get(pk=request.pk).export is None
    assert RejectedDelivery.objects.count() == 1
    assert not AuditEntry.objects.filter(pk=old_audit.pk).exists()
    assert (
        run.payloads_purged,
        run.payloads_kept_for_jobs,
        run.job_inputs_purged,
        run.exports_purged,
        run.rejected_deleted,
        run.audit_deleted,
    ) == (1, 1, 1, 1, 1, 1)
    assert AuditEntry.objects.get(action="retention.purge").after["payloads_purged"] == 1

    # and a second run finds nothing more to do
    again = retention_purge()
    assert (again.payloads_purged, again.payloads_kept_for_jobs) == (0, 1)

    # and the dashboard shows the last run's counts
    client, _ = client_for("viewer")
    page = client.get("/").content.decode()
    assert 'data-testid="retention-payloads">0<' in page
    assert RetentionRun.objects.count() == 2


def test_the_window_is_configurable_and_the_purge_is_scheduled_daily(shop, settings):
    settings.RETENTION_PAYLOAD_DAYS = 7
    job = make_job(shop, state=JobState.SUCCEEDED)
    _age_event(job, 8)

    assert retention_purge().payloads_purged == 1
    schedule = Schedule.objects.get(name="sync.retention")
    assert (schedule.func, schedule.schedule_type, schedule.repeats) == (
        "sync.tasks.retention_purge",
        "D",
        -1,
    )


def test_the_command_runs_it_now_and_says_what_it_removed(shop, settings):
    import io

    from django.core.management import call_command

    settings.RETENTION_PAYLOAD_DAYS = 30
    _age_event(make_job(shop, state=JobState.SUCCEEDED), 31)
    out = io.StringIO()

    call_command("purge_retention", stdout=out)

    assert out.getvalue().startswith("1 payload(s) purged (0 kept for open jobs)")
