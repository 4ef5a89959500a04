"""Pushes of one shop waiting at once are taken into the one that runs (sync/flows/stock.py ``_coalesce``)."""

from __future__ import annotations

import pytest

from sync.flows import stock as stock_module
from sync.models import JobState, SyncJob
from tests.factories import ShopifyShopFactory

pytestmark = pytest.mark.django_db


def _push(shop, key: str, state: str, **fields) -> SyncJob:
    return SyncJob.objects.create(
        kind="stock.push",
        flow="stock",
        shop=shop,
        idempotency_key=key,
        subject="stock",
        state=state,
        **fields,
    )


def test_a_push_taken_into_another_keeps_what_its_earlier_attempt_set_and_names_the_one_that_took_it():
    # given a push whose attempt set the falls and held a raise back (retrying, its result on record), and a
    # push waiting with another SKU
    shop = ShopifyShopFactory()
    held = _push(
        shop,
        "push-held",
        JobState.RETRYING,
        input={"skus": ["A", "B"]},
        result={"set": 1, "set_skus": ["A"], "checked_skus": ["A"]},
    )
    waiting = _push(shop, "push-waiting", JobState.QUEUED, input={"skus": ["C"]})
    running = _push(shop, "push-running", JobState.RUNNING, input={"skus": ["D"]})

    # when the running push takes in the others
    merged = stock_module._coalesce(running, {"skus": ["D"]})

    # then it carries every SKU, and each push it took in ends succeeded, naming it, with what it had done
    assert merged["skus"] == ["A", "B", "C", "D"]
    held.refresh_from_db()
    waiting.refresh_from_db()
    assert (held.state, waiting.state) == (JobState.SUCCEEDED, JobState.SUCCEEDED)
    assert held.result == {
        "set": 1,
        "set_skus": ["A"],
        "checked_skus": ["A"],
        "outcome": "coalesced",
        "into_job": running.pk,
    }
    assert waiting.result == {"outcome": "coalesced", "into_job": running.pk}
