"""Job kind → the flow function that runs it. The job engine dispatches through here; nothing else needs
flow code (the inbox and the screens read the static table in sync/kinds.py, which this must match:
tests/sync/test_kinds.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sync.flows import (
    catalogue,
    connections,
    customers,
    customers_out,
    fulfilments,
    fulfilments_in,
    holds,
    orders,
    privacy,
    refunds,
    refunds_out,
    stock,
)
from sync.flows.payloads import job_topic
from sync.kinds import KINDS, UNHANDLED_TOPIC_KIND, kind_for_topic

if TYPE_CHECKING:
    from sync.flows.context import JobContext
    from sync.models import SyncJob

FlowFunction = Callable[["SyncJob", "JobContext"], dict[str, Any]]

FLOWS: dict[str, FlowFunction] = {
    "order.upsert": orders.order_upsert,
    "order.cancel": orders.order_cancel,
    "refund.create": refunds.refund_create,
    "order.backfill": orders.order_backfill,
    "order.release": holds.order_release,
    "order.risk_cancel": holds.order_risk_cancel,
    "customer.upsert": customers.customer_upsert,
    "privacy.customer_redact": privacy.customer_redact,
    "privacy.data_request": privacy.data_request,
    "privacy.shop_redact": privacy.shop_redact,
    "shop.uninstalled": connections.shop_uninstalled,
    "catalogue.push": catalogue.catalogue_push,
    "catalogue.shopify_update": catalogue.shopify_product_update,
    "stock.push": stock.stock_push,
    "stock.check_sku": stock.stock_check_sku,
    "stock.level_update": stock.stock_level_update,
    "fulfillment.push": fulfilments.fulfilment_push,
    "fulfillment.return": fulfilments.fulfilment_return,
    "fulfillment.inbound": fulfilments_in.fulfilment_inbound,
    "customer.push": customers_out.customer_push,
    "refund.push": refunds_out.refund_push,
}


def get(kind: str) -> FlowFunction:
    try:
        return FLOWS[kind]
    except KeyError:
        raise LookupError(f"no flow is registered for job kind {kind!r}") from None


def for_job(job: SyncJob) -> FlowFunction:
    """The flow that runs ``job``. A parked delivery of a topic no flow handled runs the topic's flow once
    one exists (a replay after the kind was added), and parks again on "no flow handles topic X" otherwise.
    An outbound job of a shop whose app was uninstalled parks on "app uninstalled"."""
    if job.kind == UNHANDLED_TOPIC_KIND:
        handled = kind_for_topic(job_topic(job))
        return FLOWS[handled.kind] if handled is not None else connections.unhandled_topic
    flow = get(job.kind)
    kind = KINDS.get(job.kind)
    if job.shop.uninstalled_at is not None and kind is not None and kind.direction == "outbound":
        return _paused
    return flow


def _paused(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    raise connections.uninstalled_refusal(job.shop)
