"""Alerts fire once, resolve when the condition clears, and reach people by e-mail (Django's locmem
backend) and a Slack-compatible webhook (a real HTTP receiver); settings per shop, audited."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from opsconsole.core.models import AuditEntry, WorkerHeartbeat
from sync.models import Alert, JobState, SyncJob
from sync.services.alerts import alert_settings_update, alerts_evaluate, api_version_removal
from tests.console.conftest import make_job


class Receiver:
    """A real HTTP server that keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.fail_next = 0  # answer this many requests with 503 (a receiver that is down)
        received = self.bodies
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length)))
                failing = receiver.fail_next > 0
                receiver.fail_next -= 1 if failing else 0
                self.send_response(503 if failing else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/alerts"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def quiet_shop(shop):  # type: ignore[no-untyped-def]
    """A shop with nothing else to alert on: a supported API version and a worker that beats."""
    shop.api_version = "2026-10"
    shop.save()
    WorkerHeartbeat.objects.create(name="w1", seen_at=timezone.now(), pid=1)
    return shop


def test_an_alert_fires_once_and_resolves_by_email_and_webhook(quiet_shop, make_user, receiver):
    # given ops are told by e-mail and webhook when 3 orders jobs are parked or dead
    admin = make_user("integration_admin")
    alert_settings_update(
        actor=admin,
        shop=quiet_shop,
        values={
            "emails": "ops@example.com, lead@example.com",
            "webhook_url": receiver.url,
            "parked_threshold": 3,
        },
    )
    make_job(quiet_shop, state=JobState.DEAD)
    make_job(quiet_shop, state=JobState.NEEDS_ATTENTION)
    make_job(quiet_shop, state=JobState.NEEDS_ATTENTION)

    # when the rules are evaluated, twice
    first = alerts_evaluate()
    second = alerts_evaluate()

    # then one alert fired, told once by each channel
    assert (first.fired, second.fired, second.still_firing) == (1, 0, 1)
    alert = Alert.objects.get()
    assert (alert.rule, alert.key, alert.status, alert.value) == ("parked_jobs", "orders", "firing", 3)
    assert len(mail.outbox) == 1
    assert (
        mail.outbox[0].subject == f"[opsconsole] FIRING: 3 orders jobs parked or dead on {quiet_shop.domain}"
    )
    assert sorted(mail.outbox[0].to) == ["lead@example.com", "ops@example.com"]
    assert len(receiver.bodies) == 1 and receiver.bodies[0]["text"].startswith(
        "[opsconsole] FIRING: 3 orders"
    )

    # when the jobs are cleared and the rules run again
    SyncJob.objects.filter(shop=quiet_shop).update(state=JobState.RESOLVED)
    third = alerts_evaluate()

    # then it resolved, and both channels heard so once more
    assert third.resolved == 1
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolved_at is not None
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["[opsconsole] FIRING", "[opsconsole] RESOLVED"]
    assert len(receiver.bodies) == 2 and receiver.bodies[1]["text"].startswith("[opsconsole] RESOLVED:")
    assert [(n["channel"], n["event"], n["ok"]) for n in alert.notifications] == [
        ("email", "firing", True),
        ("webhook", "firing", True),
        ("email", "resolved", True),
        ("webhook", "resolved", True),
    ]
    # and a new breach later is a new alert
    make_job(quiet_shop, state=JobState.DEAD)
    make_job(quiet_shop, state=JobState.DEAD)
    make_job(quiet_shop, state=JobState.DEAD)
    assert alerts_evaluate().fired == 1 and Alert.objects.count() == 2


def test_below_the_threshold_nothing_fires(quiet_shop):
    for _ in range(9):
        make_job(quiet_shop, state=JobState.DEAD)

    assert alerts_evaluate().fired == 0  # default threshold 10


def test_a_stalled_flow_a_backlog_and_a_silent_worker_fire(shop):
    # given orders arriving for 40 minutes with no success, and the last heartbeat 10 minutes ago
    shop.api_version = "2026-10"
    shop.save()
    make_job(shop, state=JobState.SUCCEEDED, age=timedelta(hours=2))
    make_job(shop, state=JobState.QUEUED, age=timedelta(minutes=40))
    make_job(shop, state=JobState.QUEUED, age=timedelta(minutes=1))
    WorkerHeartbeat.objects.create(name="w1", seen_at=timezone.now() - timedelta(minutes=10), pid=1)

    alerts_evaluate()

    rules = sorted((a.rule, a.key) for a in Alert.objects.filter(status="firing"))
    assert rules == [("flow_stalled", "orders"), ("oldest_waiting", "orders"), ("worker_heartbeat", "")]


def test_the_api_version_alert_comes_90_days_before_removal(shop):
    WorkerHeartbeat.objects.create(name="w1", seen_at=timezone.now(), pid=1)
    removal = api_version_removal("2026-01")
    assert str(removal) == "2027-01-01"

    alerts_evaluate(now=timezone.now().replace(year=2026, month=9, day=1))
    assert not Alert.objects.filter(rule="api_version").exists()
    alerts_evaluate(now=timezone.now().replace(year=2026, month=10, day=15))
    alert = Alert.objects.get(rule="api_version")
    assert alert.title == f"Shopify API version 2026-01 of {shop.domain} is removed on 2027-01-01 (78 days)"


def test_settings_are_changed_by_integration_admins_only_and_audited(quiet_shop, client_for):
    ops, _ = client_for("ops")
    admin, admin_user = client_for("integration_admin")
    url = f"/alerts/shops/{quiet_shop.pk}/settings/"

    refused = ops.post(url, {"emails": "x@example.com"})
    saved = admin.post(url, {"emails": "ops@example.com", "webhook_url": "", "parked_threshold": "5"})
    page = ops.get("/alerts/")

    assert refused.status_code == 403
    assert saved.status_code == 302
    entry = AuditEntry.objects.get(action="alerts.settings_changed")
    assert entry.actor == admin_user
    assert (entry.before["parked_threshold"], entry.after["parked_threshold"]) == (10, 5)
    assert entry.after["emails"] == "ops@example.com"
    assert page.status_code == 200 and b"parked \xe2\x89\xa5 5" in page.content
    assert b"alert-settings-form" not in page.content  # ops read, do not edit


def _recon_run(shop, status: str = "succeeded"):  # type: ignore[no-untyped-def]
    from reconciliation.models import ReconciliationRun

    start = timezone.now() - timedelta(days=1)
    return ReconciliationRun.objects.create(
        shop=shop,
        kind="orders",
        trigger="schedule",
        window_start=start,
        window_end=start + timedelta(days=1),
        status=status,
        error="Shopify timed out" if status == "failed" else "",
        finished_at=timezone.now(),
    )


def test_reconciliation_differences_and_a_failed_run_alert_and_resolve(quiet_shop, settings):
    from django.test import Client

    from reconciliation.models import Discrepancy

    # given an order completeness run that found one difference, and a later run that failed
    run = _recon_run(quiet_shop)
    now = timezone.now()
    discrepancy = Discrepancy.objects.create(
        shop=quiet_shop,
        kind="orders",
        code="order_missing_in_odoo",
        subject="order:1001",
        first_run=run,
        last_run=run,
        first_seen=now,
        last_seen=now,
    )
    _recon_run(quiet_shop, status="failed")

    # when the rules are evaluated and /metrics is scraped
    alerts_evaluate()
    settings.METRICS_TOKEN = "t"
    lines = Client().get("/metrics", headers={"Authorization": "Bearer t"}).content.decode().splitlines()

    # then both fire, and the metrics say the same
    firing = {(a.rule, a.key): a.title for a in Alert.objects.filter(status="firing")}
    domain = quiet_shop.domain
    assert firing == {
        ("reconciliation_differences", "orders"): f"1 open order completeness difference on {domain}",
        ("reconciliation_failed", "orders"): f"The latest order completeness run of {domain} failed",
    }
    labels = f'{{kind="orders",shop="{quiet_shop.domain}"}}'
    assert f"opsconsole_reconciliation_discrepancies_open{labels} 1.0" in lines
    assert f"opsconsole_reconciliation_last_run_failed{labels} 1.0" in lines

    # when the difference is resolved and a run succeeds
    Discrepancy.objects.filter(pk=discrepancy.pk).update(status="resolved")
    _recon_run(quiet_shop)

    # then both resolve
    assert alerts_evaluate().resolved == 2


def test_a_failed_webhook_send_is_tried_again_until_it_arrives_at_most_three_times(
    quiet_shop, make_user, receiver
):
    # given the webhook receiver is down for the first two sends
    alert_settings_update(
        actor=make_user("integration_admin"),
        shop=quiet_shop,
        values={"webhook_url": receiver.url, "parked_threshold": 1},
    )
    receiver.fail_next = 2
    make_job(quiet_shop, state=JobState.DEAD)

    # when the rules are evaluated four times
    reports = [alerts_evaluate() for _ in range(4)]

    # then the firing message was sent three times, the last one arrived, and no fourth time
    assert [r.retried for r in reports] == [0, 1, 1, 0]
    assert len(receiver.bodies) == 3
    alert = Alert.objects.get()
    assert [(n["event"], n["ok"], n.get("status")) for n in alert.notifications] == [
        ("firing", False, 503),
        ("firing", False, 503),
        ("firing", True, 200),
    ]
    assert receiver.url not in json.dumps(alert.notifications)  # the URL is a secret: a digest is kept


def test_a_receiver_that_stays_down_gets_three_sends_and_no_more(quiet_shop, make_user, receiver):
    alert_settings_update(
        actor=make_user("integration_admin"),
        shop=quiet_shop,
        values={"webhook_url": receiver.url, "parked_threshold": 1},
    )
    receiver.fail_next = 100
    make_job(quiet_shop, state=JobState.DEAD)

    for _ in range(5):
        alerts_evaluate()

    assert len(receiver.bodies) == 3
    assert [n["ok"] for n in Alert.objects.get().notifications] == [False, False, False]


def test_an_admin_limited_to_other_shops_cannot_change_this_shops_settings_through_the_service(
    quiet_shop, make_user
):
    from django.core.exceptions import PermissionDenied

    from sync.models import ShopAccess
    from tests.factories import ShopifyShopFactory

    admin = make_user("integration_admin")
    ShopAccess.objects.create(user=admin, shop=ShopifyShopFactory(domain="other.myshopify.com"))

    with pytest.raises(PermissionDenied):
        alert_settings_update(actor=admin, shop=quiet_shop, values={"emails": "x@example.com"})
    assert not AuditEntry.objects.filter(action="alerts.settings_changed").exists()
