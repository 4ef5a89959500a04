"""Job kinds as data: which webhook topic becomes which kind of job, and which flow group (the dashboard's
grouping) and label each kind has.

A static table, so that the webhook inbox can make a job without importing a single flow, and the screens
can list flow groups without loading flow code. ``sync/flows/registry.py`` maps each kind here to the
function that runs it; tests/sync/test_kinds.py checks that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobKind:
    kind: str  # e.g. "order.upsert"
    flow: str  # the flow group: orders, customers, privacy, ...
    label: str
    topics: tuple[str, ...] = ()  # webhook topics that make a job of this kind


KINDS: dict[str, JobKind] = {
    k.kind: k
    for k in (
        JobKind(
            "order.upsert",
            "orders",
            "Order create / update",
            ("orders/create", "orders/updated", "orders/edited"),
        ),
        JobKind("order.cancel", "orders", "Order cancellation", ("orders/cancelled",)),
        JobKind(
            "customer.upsert",
            "customers",
            "Customer create / update",
            ("customers/create", "customers/update"),
        ),
        JobKind("privacy.customer_redact", "privacy", "Customer redaction", ("customers/redact",)),
        JobKind("privacy.data_request", "privacy", "Customer data request", ("customers/data_request",)),
        JobKind("privacy.shop_redact", "privacy", "Shop redaction", ("shop/redact",)),
    )
}

#: Webhook topic → job kind. Topics absent here are stored in the inbox without a job.
TOPIC_KINDS: dict[str, JobKind] = {topic: k for k in KINDS.values() for topic in k.topics}

#: A signed delivery that cannot be read is quarantined as a job of this kind (no flow runs it).
QUARANTINE_KIND = "inbox.unreadable"
QUARANTINE_FLOW = "inbox"


def kind_for_topic(topic: str) -> JobKind | None:
    return TOPIC_KINDS.get(topic)


def flow_groups() -> list[str]:
    """Every flow group, sorted: the dashboard's rows and the screens' flow filters."""
    return sorted({k.flow for k in KINDS.values()})


@dataclass(frozen=True)
class JobRequest:
    """A job a stream of Odoo changes asks for (sync/flows/streams.py); the engine makes it once per
    ``idempotency_key`` — the natural key of the side effect, so that a change read twice is one job."""

    kind: str
    idempotency_key: str
    subject: str
    subject_label: str = ""
    input: dict[str, Any] | None = None
