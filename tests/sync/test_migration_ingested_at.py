"""The migration that splits the webhook inbox (sync/migrations/0025_inbound_event_ingested_at.py): every
delivery stored before it was parsed and given its job by the request itself, so each one is marked
ingested and none is taken for a delivery still waiting for a worker."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from sync.engine.sweep import jobs_sweep
from sync.models import InboundEvent

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("sync", "0024_mapping_table_bundle")]
AFTER = [("sync", "0025_inbound_event_ingested_at")]


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    # The tests after this one in the same database need every migration applied again.
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor.loader.graph.leaf_nodes()


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_deliveries_stored_before_the_split_are_ingested_and_never_enqueued_again():
    # given a delivery stored (parsed, with its job) before the migration
    old = _migrate(BEFORE)
    odoo = old.get_model("sync", "OdooConnection").objects.create(
        name="o", url="http://o", database="d", login="l", secret=""
    )
    shop = old.get_model("sync", "ShopifyShop").objects.create(
        domain="m.myshopify.com",
        admin_url="https://m",
        api_version="2026-07",
        access_token="",
        client_secret="",
        odoo=odoo,
    )
    event = old.get_model("sync", "InboundEvent").objects.create(
        shop=shop, topic="orders/create", webhook_id="old-1", raw_body=b'{"id": 1}', payload={"id": 1}
    )

    # when the migration runs
    after = _migrate(AFTER).get_model("sync", "InboundEvent")

    # then the delivery counts as ingested: not pending (read with the model as that migration left it)
    stored = after.objects.get(pk=event.pk)
    assert stored.ingested_at is not None and stored.payload == {"id": 1}
    assert not after.objects.filter(ingested_at__isnull=True).exists()
    # and, with every later migration applied (the code's models), the sweeper does not hand it to a worker
    _migrate(_latest())
    assert not InboundEvent.objects.filter(ingested_at__isnull=True).exists()
    assert jobs_sweep(now=timezone.now() + timedelta(hours=1)).stranded == 0
