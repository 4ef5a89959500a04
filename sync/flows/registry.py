"""Job kind → the flow function that runs it. The job engine dispatches through here; nothing else needs
flow code (the inbox and the screens read the static table in sync/kinds.py, which this must match:
tests/sync/test_kinds.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sync.flows import customers, orders, privacy

if TYPE_CHECKING:
    from sync.flows.context import JobContext
    from sync.models import SyncJob

FlowFunction = Callable[["SyncJob", "JobContext"], dict[str, Any]]

FLOWS: dict[str, FlowFunction] = {
    "order.upsert": orders.order_upsert,
    "order.cancel": orders.order_cancel,
    "customer.upsert": customers.customer_upsert,
    "privacy.customer_redact": privacy.customer_redact,
    "privacy.data_request": privacy.data_request,
    "privacy.shop_redact": privacy.shop_redact,
}


def get(kind: str) -> FlowFunction:
    try:
        return FLOWS[kind]
    except KeyError:
        raise LookupError(f"no flow is registered for job kind {kind!r}") from None
