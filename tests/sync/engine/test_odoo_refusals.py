"""Odoo refusals that no retry can change are parked at once and never retried; only transient failures
are retried (Saleor's rule). Through the Odoo sandbox over real HTTP, with the client the engine builds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.odoo.testing import RunningOdooSandbox, odoo_sandbox
from sync.engine.clients import clients_reset
from sync.engine.run import job_run
from sync.flows import registry
from sync.models import JobAttempt, JobState, SyncJob
from tests.factories import OdooConnectionFactory, ShopifyShopFactory
from tests.sync.engine.conftest import make_job

#: subject → the Odoo call the test flow makes: (model, method, parameters).
CALLS: dict[str, tuple[str, str, dict[str, Any]]] = {
    # sale.order without a customer: Odoo's ValidationError (422 over JSON-2)
    "order:validation": ("sale.order", "create", {"vals_list": [{"client_order_ref": "refused-1"}]}),
    # writing a record that does not exist: Odoo's MissingError
    "order:missing": ("res.partner", "write", {"ids": [987654], "vals": {"name": "x"}}),
    # a model that does not exist: UserError over JSON-RPC, 404 over JSON-2
    "order:no-model": ("no.such.model", "create", {"vals_list": [{"name": "x"}]}),
}


def _odoo_flow(job: SyncJob, ctx: Any) -> dict[str, Any]:
    model, method, params = CALLS[job.subject]
    params = dict(params)
    ids = params.pop("ids", None)
    with ctx.call("odoo", f"{model}.{method}"):
        ctx.odoo.execute(model, method, ids, **params)
    return {"outcome": "written"}


@pytest.fixture(scope="module")
def odoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningOdooSandbox]:
    with odoo_sandbox(tmp_path_factory.mktemp("odoo-refusals"), version=19, seed=True) as sandbox:
        yield sandbox


@pytest.fixture(params=["jsonrpc", "json2"])
def shop(request, odoo, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(registry.FLOWS, "test.flow", _odoo_flow)
    odoo.control.clear_faults()
    odoo.control.reset_counters()
    clients_reset()
    connection = OdooConnectionFactory(
        name=f"sandbox-{request.param}",
        url=odoo.base_url,
        database=odoo.db,
        login=odoo.login,
        secret=odoo.api_key,
        protocol=request.param,
    )
    yield ShopifyShopFactory(odoo=connection)
    clients_reset()


@pytest.mark.parametrize(
    "subject,code,odoo_model,odoo_method",
    [
        ("order:validation", "odoo_validation", "sale.order", "create"),
        ("order:missing", "odoo_missing_record", "res.partner", "write"),
    ],
)
def test_a_refusal_parks_after_exactly_one_attempt_and_one_call(
    shop, odoo, subject, code, odoo_model, odoo_method
):
    job = make_job(subject, shop=shop)

    assert job_run(key=job.idempotency_key) == "failed"

    job.refresh_from_db()
    assert (job.state, job.attempts, job.error_code, job.next_attempt_at) == (
        JobState.NEEDS_ATTENTION,
        1,
        code,
        None,
    )
    assert list(job.attempt_set.values_list("outcome", flat=True)) == [JobAttempt.Outcome.PARKED]
    assert odoo.control.counters()["calls"][odoo_model] == {odoo_method: 1}  # the transport did not retry
    assert job.problem.fingerprint.startswith(f"{code}:{odoo_model}.{odoo_method}:")
    assert job_run(key=job.idempotency_key) == "not_runnable"  # and nothing will run it again by itself


def test_a_missing_model_is_refused_the_same_way_over_either_protocol(shop, odoo):
    job = make_job("order:no-model", shop=shop)

    job_run(key=job.idempotency_key)

    job.refresh_from_db()
    expected = "odoo_http_refused" if shop.odoo.protocol == "json2" else "odoo_model_missing"
    assert (job.state, job.attempts, job.error_code, job.error_key) == (
        JobState.NEEDS_ATTENTION,
        1,
        expected,
        "no.such.model.create",
    )


def test_an_outage_is_retried_later(shop, odoo):
    odoo.control.add_fault("error", status=502, count=10)
    job = make_job("order:validation", shop=shop)

    job_run(key=job.idempotency_key)

    job.refresh_from_db()
    assert (job.state, job.attempts, job.error_class) == (JobState.RETRYING, 1, "TransientError")
    assert job.next_attempt_at is not None and job.problem_id is None
