"""The push of a delivery when Shopify's answer is lost: fulfillmentCreate takes no idempotency key, so the
pending row written before it is what stops a retry from making a second fulfilment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from opsconsole.core.errors import TransientError
from sync.connectors.odoo.types import MoveInfo
from sync.connectors.shopify.types import Fulfillment
from sync.flows.context import JobContext
from sync.flows.fulfilments import fulfilment_push
from sync.models import ExternalLink, Fulfilment, SyncJob
from sync.transforms.types import ShopMappings
from tests.factories import ShopifyShopFactory

pytestmark = pytest.mark.django_db

LINE = "gid://shopify/LineItem/11"
PICKING = {
    "id": 70,
    "name": "WH/OUT/00070",
    "sale_id": 9,
    "sale_name": "S00009",
    "type": "outgoing",
    "carrier": "",
    "tracking_ref": "JD1",
    "tracking_url": "",
    "location_id": 8,
    "location": "WH/Stock",
    "return_of": None,
    "date_done": "2026-11-30 10:00:00",
}


class FakeOdoo:
    calls = 0

    def picking_moves(self, ids: list[int]) -> dict[int, list[MoveInfo]]:
        move = MoveInfo(1, 5, "TEE", "[TEE] Tee", Decimal(2), Decimal(2), "done", None)
        return {ids[0]: [move]}


class FakeShopify:
    """Shopify that makes the fulfilment and then, the first time, loses the answer."""

    def __init__(self, *, lose_answer: bool, made: bool = True) -> None:
        self.lose_answer, self.made_before = lose_answer, made
        self.created: list[Fulfillment] = []

    def fulfillment_orders(self, order_id: str) -> list[dict[str, Any]]:
        remaining = 0 if self.created else 2
        line = {"id": "FOL1", "remainingQuantity": remaining, "lineItem": {"id": LINE, "sku": "TEE"}}
        return [
            {
                "id": "FO1",
                "status": "OPEN",
                "assignedLocation": {"location": {"id": "L1"}},
                "lineItems": {"nodes": [line]},
            }
        ]

    def create_fulfillment_for(self, groups: list[dict[str, Any]], **kwargs: Any) -> Fulfillment:
        made = Fulfillment(
            f"gid://shopify/Fulfillment/{len(self.created) + 1}",
            1,
            "#1.1",
            "SUCCESS",
            None,
            ("JD1",),
            ((LINE, 2),),
        )
        self.created.append(made)
        if self.lose_answer:
            self.lose_answer = False
            raise TransientError("502 after the commit", system="shopify")
        return made

    def order_fulfillments(self, order_id: str) -> list[Fulfillment]:
        return list(self.created) if self.made_before else []


def _run(job: SyncJob, shopify: FakeShopify) -> dict[str, Any]:
    mappings = ShopMappings(
        shop_domain=job.shop.domain,
        version=1,
        currency="EUR",
        company_id=None,
        pricelist_id=None,
        skus={"TEE": 5},
        taxes={},
        shipping={},
        gateways={},
        confirm_on=frozenset(),
    )
    ctx = JobContext(
        job=job,
        odoo_factory=FakeOdoo,  # type: ignore[arg-type]
        shopify_factory=lambda: shopify,  # type: ignore[arg-type,return-value]
        mappings_loader=lambda: mappings,
        on_auth_failure=lambda exc: None,
    )
    return fulfilment_push(job, ctx)


@pytest.fixture
def job() -> SyncJob:
    shop = ShopifyShopFactory()
    ExternalLink.objects.create(
        shop=shop, kind="order", shopify_id="1001", odoo_model="sale.order", odoo_id=9
    )
    return SyncJob.objects.create(
        kind="fulfillment.push",
        flow="fulfilments",
        shop=shop,
        idempotency_key="k",
        subject="odoo-order:9",
        input={"picking": PICKING},
    )


def test_a_retry_after_a_lost_answer_adopts_the_fulfilment_instead_of_making_a_second(job):
    shopify = FakeShopify(lose_answer=True)
    with pytest.raises(TransientError):
        _run(job, shopify)
    assert Fulfilment.objects.get().status == Fulfilment.Status.PENDING

    _run(job, shopify)

    assert len(shopify.created) == 1
    row = Fulfilment.objects.get()
    assert (row.status, row.shopify_fulfillment_id) == (
        Fulfilment.Status.CREATED,
        "gid://shopify/Fulfillment/1",
    )
    assert row.lines == [{"sku": "TEE", "line_item_id": LINE, "quantity": 2}]


def test_a_pending_row_whose_fulfilment_was_never_made_is_made_on_the_retry(job):
    shopify = FakeShopify(lose_answer=True, made=False)
    with pytest.raises(TransientError):
        _run(job, shopify)
    shopify.created.clear()  # Shopify never made it (the request died before)

    result = _run(job, shopify)

    assert result["outcome"] == "fulfilled" and len(shopify.created) == 1
    assert Fulfilment.objects.get().status == Fulfilment.Status.CREATED
