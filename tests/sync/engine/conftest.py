"""The engine's tests run in-process against the real database (a worker only calls job_run). A test flow
raises whatever the test asks for, so each rule is checked on its own; tests/e2e checks the same rules
through a real worker and both sandboxes."""

from __future__ import annotations

from typing import Any

import pytest

from sync.engine.queue import JobSpec, job_create
from sync.flows import registry
from sync.models import SyncJob
from tests.factories import ShopifyShopFactory

#: subject → the exception the test flow raises for it (absent: it succeeds).
BEHAVIOUR: dict[str, BaseException] = {}


def _test_flow(job: SyncJob, ctx: Any) -> dict[str, Any]:
    outcome = BEHAVIOUR.get(job.subject)
    if outcome is not None:
        raise outcome
    return {"outcome": "done", "subject": job.subject}


@pytest.fixture(autouse=True)
def test_flow(monkeypatch, db):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(registry.FLOWS, "test.flow", _test_flow)
    BEHAVIOUR.clear()
    yield BEHAVIOUR
    BEHAVIOUR.clear()


def make_job(subject: str = "order:1", **spec: Any) -> SyncJob:
    shop = spec.pop("shop", None) or ShopifyShopFactory()
    job, created = job_create(
        spec=JobSpec(
            kind="test.flow",
            flow="test",
            shop=shop,
            idempotency_key=f"test:{subject}:{shop.pk}",
            subject=subject,
            **spec,
        )
    )
    assert created
    return job


def fail_with(subject: str, exc: BaseException) -> None:
    BEHAVIOUR[subject] = exc


def succeed(subject: str) -> None:
    BEHAVIOUR.pop(subject, None)
