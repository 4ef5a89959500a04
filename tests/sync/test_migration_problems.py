"""The data migration that builds Problems from the jobs parked before problems were records
(sync/migrations/0008_problems_from_parked_jobs.py): one per shop and re-grained cause, with its first
activity, and the jobs linked."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    # The tests after this one in the same database need every migration applied again.
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


BEFORE = [("sync", "0007_problems_as_records")]
AFTER = [("sync", "0009_job_snooze_and_fingerprint_index_go")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_parked_jobs_become_problems_of_even_grain():
    old = _migrate(BEFORE)
    Odoo = old.get_model("sync", "OdooConnection")
    Shop = old.get_model("sync", "ShopifyShop")
    Job = old.get_model("sync", "SyncJob")
    odoo = Odoo.objects.create(name="o", url="http://o", database="d", login="l", secret="")
    shop = Shop.objects.create(
        domain="m.myshopify.com",
        admin_url="https://m",
        api_version="2026-07",
        access_token="",
        client_secret="",
        odoo=odoo,
    )
    later = timezone.now() + timedelta(days=1)

    def job(n, state, **error):
        return Job.objects.create(
            kind="order.upsert",
            flow="orders",
            shop=shop,
            idempotency_key=f"k{n}",
            subject=f"order:{n}",
            subject_label=f"#{n}",
            state=state,
            **error,
        )

    refused = "Odoo UserError: Order S{} cannot be confirmed: product 'Beanie' is archived."
    confirm = [
        job(
            n,
            "needs_attention",
            error_class="BusinessRuleError",
            error_code="order_confirm_refused",
            error_key=str(4000 + n),  # the Odoo order id: one problem per order, before
            error_message=refused.format(n),
            fingerprint=f"order_confirm_refused:{4000 + n}",
        )
        for n in (1, 2)
    ]
    sku = job(
        3,
        "needs_attention",
        error_class="BusinessRuleError",
        error_code="unknown_sku",
        error_key="BEANIE-RUST",
        error_message="SKU 'BEANIE-RUST' is not mapped",
        fingerprint="unknown_sku:BEANIE-RUST",
        snoozed_until=later,
    )
    auth = job(
        4,
        "needs_attention",
        error_class="AuthError",
        error_code="auth",
        error_message="Odoo refused",
        fingerprint=f"auth:odoo:shop{shop.pk}",
    )
    dead = job(
        5, "dead", error_class="ContractError", error_message="?", fingerprint="ContractError:order.upsert"
    )
    done = job(6, "succeeded")

    new = _migrate(AFTER)
    Problem = new.get_model("sync", "Problem")
    Job = new.get_model("sync", "SyncJob")

    problems = {p.fingerprint: p for p in Problem.objects.all()}
    assert sorted(problems) == [
        "ContractError:order.upsert",
        "auth:odoo",
        "order_confirm_refused:sale.order.action_confirm:"
        "order s# cannot be confirmed: product … is archived.",
        "unknown_sku:BEANIE-RUST",
    ]
    confirm_problem = Problem.objects.get(error_code="order_confirm_refused")
    assert (confirm_problem.times_seen, confirm_problem.error_key, confirm_problem.status) == (
        2,
        "sale.order.action_confirm",
        "open",
    )
    assert (
        confirm_problem.title
        == "Odoo refused to confirm the order: Order S2 cannot be confirmed: product 'Beanie' is archived."
    )
    assert {j.problem_id for j in Job.objects.filter(pk__in=[j.pk for j in confirm])} == {confirm_problem.pk}
    assert Job.objects.get(pk=confirm[0].pk).error_key == "sale.order.action_confirm"
    snoozed = problems["unknown_sku:BEANIE-RUST"]
    assert (snoozed.status, snoozed.snooze_until, snoozed.title) == (
        "snoozed",
        later,
        "Unknown SKU BEANIE-RUST",
    )
    assert problems["auth:odoo"].title == "Odoo refused our credentials"
    assert Job.objects.get(pk=dead.pk).problem_id == problems["ContractError:order.upsert"].pk
    assert Job.objects.get(pk=done.pk).problem_id is None
    assert Job.objects.get(pk=sku.pk).problem_id == snoozed.pk and Job.objects.get(pk=auth.pk).problem_id
    first = confirm_problem.activity.get()
    assert (first.kind, first.actor_id, first.data) == ("first_seen", None, {"jobs": 2, "job": confirm[0].pk})
    assert list(snoozed.activity.order_by("pk").values_list("kind", flat=True)) == ["first_seen", "status"]
