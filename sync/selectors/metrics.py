"""The numbers ``GET /metrics`` serves (sync/views/metrics.py) in Prometheus text: counts only, no
personal data."""

from __future__ import annotations

from django.db.models import Count, Min
from django.utils import timezone

from sync.models import RUNNABLE_STATES, InboundEvent, JobState, Problem, RejectedDelivery, SyncJob


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def metrics_text() -> str:
    lines = [
        "# HELP opsconsole_jobs Sync jobs by flow and state.",
        "# TYPE opsconsole_jobs gauge",
    ]
    counts = SyncJob.objects.values("flow", "state").annotate(n=Count("pk")).order_by("flow", "state")
    seen = {(row["flow"], row["state"]): row["n"] for row in counts}
    flows = sorted({flow for flow, _ in seen})
    for flow in flows:
        for state in JobState.values:
            lines.append(
                f'opsconsole_jobs{{flow="{_label(flow)}",state="{state}"}} {seen.get((flow, state), 0)}'
            )
    now = timezone.now()
    lines += [
        "# HELP opsconsole_oldest_waiting_job_seconds Age of the oldest queued or retrying job per flow.",
        "# TYPE opsconsole_oldest_waiting_job_seconds gauge",
    ]
    oldest = (
        SyncJob.objects.filter(state__in=RUNNABLE_STATES).values("flow").annotate(first=Min("created_at"))
    )
    for row in oldest.order_by("flow"):
        age = max((now - row["first"]).total_seconds(), 0)
        lines.append(f'opsconsole_oldest_waiting_job_seconds{{flow="{_label(row["flow"])}"}} {age:.3f}')
    lines += [
        "# HELP opsconsole_inbox_events_total Webhook deliveries stored in the inbox.",
        "# TYPE opsconsole_inbox_events_total counter",
        f"opsconsole_inbox_events_total {InboundEvent.objects.count()}",
        "# HELP opsconsole_inbox_unparseable Deliveries whose body was not valid JSON (quarantined).",
        "# TYPE opsconsole_inbox_unparseable gauge",
        f"opsconsole_inbox_unparseable {InboundEvent.objects.exclude(parse_error='').count()}",
        "# HELP opsconsole_rejected_deliveries_total Webhook requests refused, by reason.",
        "# TYPE opsconsole_rejected_deliveries_total counter",
    ]
    rejected = dict(RejectedDelivery.objects.values_list("reason").annotate(n=Count("pk")).order_by())
    for reason in RejectedDelivery.Reason.values:
        lines.append(f'opsconsole_rejected_deliveries_total{{reason="{reason}"}} {rejected.get(reason, 0)}')
    lines += [
        "# HELP opsconsole_problems Problems (one per shop and cause) by status.",
        "# TYPE opsconsole_problems gauge",
    ]
    statuses = dict(Problem.objects.values_list("status").annotate(n=Count("pk")).order_by())
    for status in Problem.Status.values:
        lines.append(f'opsconsole_problems{{status="{status}"}} {statuses.get(status, 0)}')
    return "\n".join(lines) + "\n"
