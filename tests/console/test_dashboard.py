"""Dashboard numbers: counts per flow and window, latency percentiles, backlog age, chart, /metrics."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from sync.kinds import subscription_topics
from sync.models import Fulfilment, InboundEvent, JobState, ShopifyRateLimitState, SyncJob
from sync.selectors.dashboard import dashboard_metrics, oldest_waiting, throughput_series
from sync.services.problems import problem_ignore, problem_snooze
from tests.console.conftest import make_job


def _finished_after(job, seconds):
    received = InboundEvent.objects.get(pk=job.event_id).received_at
    SyncJob.objects.filter(pk=job.pk).update(finished_at=received + timedelta(seconds=seconds))


def test_counts_per_flow_for_the_last_hour_and_the_last_day(shop):
    make_job(shop, state=JobState.SUCCEEDED)
    make_job(shop, state=JobState.SUCCEEDED, age=timedelta(hours=5))
    make_job(shop, state=JobState.RETRYING)
    make_job(shop, state=JobState.NEEDS_ATTENTION)
    make_job(shop, state=JobState.DEAD, age=timedelta(hours=3))
    make_job(shop, state=JobState.SUCCEEDED, flow="customers")

    hour = {f.flow: f for f in dashboard_metrics(window="1h").flows}
    day = {f.flow: f for f in dashboard_metrics(window="24h").flows}

    assert (hour["orders"].received, hour["orders"].succeeded, hour["orders"].retrying) == (3, 1, 1)
    assert (hour["orders"].needs_attention, hour["orders"].dead) == (1, 0)
    assert (day["orders"].received, day["orders"].succeeded, day["orders"].dead) == (5, 2, 1)
    assert (hour["customers"].received, hour["customers"].succeeded) == (1, 1)
    assert hour["privacy"].received == 0


def test_latency_percentiles_from_webhook_to_finish(shop):
    for seconds in (1, 2, 3, 4, 10):
        _finished_after(make_job(shop, state=JobState.SUCCEEDED, age=timedelta(minutes=30)), seconds)

    orders = {f.flow: f for f in dashboard_metrics(window="1h").flows}["orders"]

    assert orders.p50_ms == 3000.0
    assert round(orders.p95_ms, 6) == 8800.0  # percentile_cont interpolates between 4 s and 10 s
    assert (orders.p50_text, orders.p95_text) == ("3.0 s", "8.8 s")


def test_the_age_of_the_oldest_waiting_job(shop):
    now = timezone.now()
    old = make_job(shop, state=JobState.QUEUED, age=timedelta(minutes=20))
    make_job(shop, state=JobState.RETRYING, age=timedelta(minutes=5))
    make_job(shop, state=JobState.NEEDS_ATTENTION, age=timedelta(hours=2))

    ages = oldest_waiting(now=now)

    assert ages == {"orders": (now - SyncJob.objects.get(pk=old.pk).created_at).total_seconds()}


def test_the_series_puts_each_job_in_its_bucket(shop):
    now = timezone.now()
    make_job(shop, state=JobState.SUCCEEDED, age=timedelta(minutes=1))
    make_job(shop, state=JobState.DEAD, age=timedelta(minutes=1))
    make_job(shop, state=JobState.SUCCEEDED, age=timedelta(hours=2))

    series = throughput_series(window="1h", now=now)

    assert len(series.buckets) == 12
    assert series.buckets[-1].start <= now < series.buckets[-1].start + series.step
    assert sum(b.succeeded for b in series.buckets) == 1  # the one from two hours ago is outside
    assert sum(b.failed for b in series.buckets) == 1
    [bucket] = [b for b in series.buckets if b.total]  # both jobs of a minute ago share one bucket
    assert bucket.start <= now - timedelta(minutes=1) < bucket.start + series.step


def test_the_live_fragment_polls_every_five_seconds(shop, client_for):
    make_job(shop)
    client, _ = client_for("viewer")

    fragment = client.get("/", {"window": "24h"}, headers={"HX-Request": "true"}).content.decode()

    assert 'hx-trigger="every 5s, problems-changed from:body"' in fragment
    assert 'hx-get="/?window=24h"' in fragment
    assert 'data-testid="stat-open-problems">1<' in fragment


def test_needs_attention_counts_the_jobs_of_open_problems_only(shop, make_user):
    make_job(shop, sku="OPEN-1")
    make_job(shop, sku="OPEN-1")
    make_job(shop, sku="OPEN-2", state=JobState.DEAD)
    snoozed = make_job(shop, sku="LATER")
    ignored = make_job(shop, sku="NEVER")
    ops = make_user("ops")
    problem_snooze(actor=ops, problem=snoozed.problem, occurrences=3)
    problem_ignore(actor=ops, problem=ignored.problem, note="test SKU")

    metrics = dashboard_metrics(window="1h")

    assert (metrics.open_problems, metrics.open_groups) == (3, 2)


def test_connection_health_shows_version_deprecation_headroom_and_missing_webhooks(shop, client_for):
    shop.api_version_seen = "2025-10"
    shop.deprecation_warning = "API version 2025-10 is unsupported after 2026-10-01"
    shop.webhook_topics = ["ORDERS_CREATE"]
    shop.webhooks_checked_at = timezone.now()
    shop.last_success_at = timezone.now()
    shop.save()
    ShopifyRateLimitState.objects.create(
        shop_domain=shop.domain, available=500, maximum=2000, restore_rate=100, updated_at=timezone.now()
    )
    client, _ = client_for("viewer")

    content = client.get("/").content.decode()

    assert "served 2025-10" in content
    assert "API version 2025-10 is unsupported after 2026-10-01" in content
    assert "25% (500/2000 points)" in content
    assert f"{len(subscription_topics()) - 1} missing" in content


def test_an_uninstalled_app_shows_on_the_dashboard_and_connections_with_why(shop, client_for):
    shop.uninstalled_at = timezone.now()
    shop.save()
    client, _ = client_for("integration_admin")

    for page in ("/", "/connections/"):
        content = client.get(page).content.decode()
        assert "app uninstalled" in content
        assert "nothing is written to Shopify" in content


def test_metrics_serve_the_state_per_flow_from_indexed_queries_with_a_bearer_token(shop, settings):
    settings.METRICS_TOKEN = "scrape-token"
    make_job(shop, state=JobState.SUCCEEDED)
    make_job(shop, state=JobState.DEAD)
    make_job(shop, state=JobState.QUEUED, age=timedelta(minutes=2))
    ShopifyRateLimitState.objects.create(
        shop_domain=shop.domain, available=500, maximum=2000, restore_rate=0, updated_at=timezone.now()
    )

    refused = Client().get("/metrics")
    wrong = Client().get("/metrics", headers={"Authorization": "Bearer nope"})
    response = Client().get("/metrics", headers={"Authorization": "Bearer scrape-token"})

    assert (refused.status_code, wrong.status_code) == (401, 401)
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert 'opsconsole_queue_depth{flow="orders",state="queued"} 1.0' in lines
    assert 'opsconsole_queue_depth{flow="orders",state="retrying"} 0.0' in lines
    assert 'opsconsole_jobs_needing_attention{flow="orders",state="dead"} 1.0' in lines
    assert 'opsconsole_problems_open{error_class="BusinessRuleError"} 1.0' in lines
    assert 'opsconsole_problems{status="open"} 1.0' in lines
    assert f'opsconsole_shopify_rate_limit_headroom_ratio{{shop="{shop.domain}"}} 0.25' in lines
    assert 'opsconsole_queue_depth{flow="customers",state="queued"} 0.0' in lines  # idle flows are 0
    oldest = next(
        line for line in lines if line.startswith('opsconsole_oldest_waiting_job_seconds{flow="orders"}')
    )
    assert oldest.startswith('opsconsole_oldest_waiting_job_seconds{flow="orders"} 1')  # two minutes: 1xx s
    assert not any(line.startswith("opsconsole_jobs{") for line in lines)  # succeeded jobs are not counted


def test_orders_booked_but_different_are_counted_apart_from_success(shop, client_for):
    # given two orders booked to the cent, one booked different (read back) and one unmapped SKU
    make_job(shop, state=JobState.SUCCEEDED)
    make_job(shop, state=JobState.SUCCEEDED)
    make_job(shop, code="booked_total_mismatch", finance=True, key="tax_treatment")
    make_job(shop, sku="NOPE-1")

    # when the dashboard is computed and shown
    metrics = dashboard_metrics(window="1h")
    client, _ = client_for("viewer")
    page = client.get("/").content.decode()

    # then the different booking is neither a success nor hidden among the other problems
    assert (metrics.totals.succeeded, metrics.totals.booked_different) == (2, 1)
    assert metrics.totals.needs_attention == 2
    assert metrics.flows[[f.flow for f in metrics.flows].index("orders")].booked_different == 1
    assert "1 booked but different</a>" in page


def test_metrics_in_production_without_a_token_are_refused(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_OPEN_WITHOUT_TOKEN = False

    assert Client().get("/metrics").status_code == 401


def test_a_scrape_counts_no_whole_table(shop):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_job(shop, state=JobState.SUCCEEDED)
    with CaptureQueriesContext(connection) as queries:
        Client().get("/metrics")

    jobs = [q["sql"] for q in queries if '"sync_syncjob"' in q["sql"]]
    assert len(jobs) == 1 and '"sync_syncjob"."state" IN' in jobs[0]
    # the inbox only through its partial index of deliveries waiting for a worker
    inbox = [q["sql"] for q in queries if 'FROM "sync_inboundevent"' in q["sql"]]
    assert len(inbox) == 1 and '"sync_inboundevent"."ingested_at" IS NULL' in inbox[0]


def test_a_scrape_shows_how_long_the_oldest_delivery_has_waited_for_a_worker(shop):
    def gauge() -> float:
        lines = Client().get("/metrics").content.decode().splitlines()
        return float(
            next(li for li in lines if li.startswith("opsconsole_inbox_oldest_waiting_seconds ")).split()[1]
        )

    # none waiting
    assert gauge() == 0.0
    # a delivery stored 90 seconds ago, not yet ingested
    event = InboundEvent.objects.create(
        shop=shop, topic="orders/create", webhook_id="w-waiting", raw_body=b"{}", ingested_at=None
    )
    InboundEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(seconds=90))
    assert 90 <= gauge() < 3600


def test_fulfilment_latency_from_odoo_delivery_to_shopify_fulfilment(shop, client_for):
    now = timezone.now()
    for n, seconds in enumerate((1, 2, 3, 4, 21)):
        Fulfilment.objects.create(
            shop=shop,
            origin=Fulfilment.Origin.ODOO,
            status=Fulfilment.Status.CREATED,
            shopify_order_id="1",
            shopify_fulfillment_id=f"gid://shopify/Fulfillment/{n}",
            odoo_picking_id=n,
            picking_done_at=now - timedelta(minutes=5),
            fulfilled_at=now - timedelta(minutes=5) + timedelta(seconds=seconds),
        )
    # a fulfilment made in Shopify has no Odoo validation to measure from
    Fulfilment.objects.create(
        shop=shop, origin=Fulfilment.Origin.SHOPIFY, status=Fulfilment.Status.RECORDED, shopify_order_id="1"
    )

    metrics = dashboard_metrics(window="1h")

    assert (metrics.fulfilment_p50_ms, round(metrics.fulfilment_p95_ms or 0)) == (3000.0, 17600)
    assert {f.flow: f.p95_text for f in metrics.flows}["fulfilments"] == "17.6 s"
    client, _ = client_for("viewer")
    assert "Odoo delivery → Shopify fulfilment: 3.0 s / 17.6 s" in client.get("/").content.decode()
