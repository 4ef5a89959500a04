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
    # "outbound": the job writes to Shopify (Odoo's truth going out); paused while the app is uninstalled.
    direction: str = "inbound"
    # Coalescing (sync/engine/ingest.py): a delivery whose subject already has a job of this kind waiting
    # (queued or retrying, not running) makes no job of its own; it is folded into that one, which reads
    # the newest of its deliveries when it runs. Only for kinds that act on the current state of their
    # subject, never on each delivery as a change.
    coalesce: bool = False
    # The subject whose lock a job of this kind runs under, when not its own (sync/engine/run.py): stock
    # level updates run one at a time with the shop's stock pushes, as their flow requires.
    lock: str = ""
    # Its priority when not its flow group's (``flow_priority``).
    priority_override: int | None = None

    @property
    def priority(self) -> int:
        """Earlier first (sync/engine/pick.py): a worker whose queue entry names a later job runs a due job of
        an earlier priority first. See ``flow_priority``."""
        return self.priority_override if self.priority_override is not None else flow_priority(self.flow)


#: Flow groups whose jobs go before every other: stock. Odoo's available to sell reaching Shopify is what
#: stops an oversell, and a push never needs the orders waiting ahead of it (it counts the sales Odoo has
#: not booked yet from their jobs and stored deliveries: sync/flows/stock.py ``pending_sales``), so under a
#: backlog of thousands of orders a stock change still goes out within a claim cycle.
FIRST_FLOWS = frozenset({"stock"})
#: Flow groups whose jobs yield to the others (a catalogue re-sync never holds an order back).
LATER_FLOWS = frozenset({"catalogue", "customers", "privacy", "reconciliation"})
#: The priorities, earliest first: 0 stock pushes (Odoo's stock going out); 1 Shopify's stock level
#: changes (checked against Odoo, after the pushes: in a sale every order brings some, and they run one at a
#: time with the pushes under the shop's stock lock, so ahead of the pushes they held every stock change
#: back); 2 orders, cancellations, refunds, fulfilments, the connection; 3 catalogue, customers, privacy,
#: reconciliation.
STOCK_PRIORITY, STOCK_LEVEL_PRIORITY, ORDERS_PRIORITY, LATER_PRIORITY = 0, 1, 2, 3


def flow_priority(flow: str) -> int:
    if flow in FIRST_FLOWS:
        return STOCK_PRIORITY
    return LATER_PRIORITY if flow in LATER_FLOWS else ORDERS_PRIORITY


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
        JobKind("refund.create", "refunds", "Refund (credit note, return)", ("refunds/create",)),
        # Made by a person's decision on an order held for its risk (sync/services/holds.py).
        JobKind("order.release", "orders", "Held order released"),
        JobKind(
            "order.risk_cancel", "orders", "Held order cancelled in Shopify and Odoo", direction="outbound"
        ),
        # Made by reconciliation for an order Shopify has and Odoo does not (a missed webhook).
        JobKind("order.backfill", "orders", "Order backfill (missed webhook)"),
        JobKind(
            "customer.upsert",
            "customers",
            "Customer create / update",
            ("customers/create", "customers/update"),
            coalesce=True,
        ),
        JobKind("privacy.customer_redact", "privacy", "Customer redaction", ("customers/redact",)),
        JobKind("privacy.data_request", "privacy", "Customer data request", ("customers/data_request",)),
        JobKind("privacy.shop_redact", "privacy", "Shop redaction", ("shop/redact",)),
        JobKind("shop.uninstalled", "connections", "App uninstalled", ("app/uninstalled",)),
        JobKind("stock.push", "stock", "Stock push to Shopify", direction="outbound"),
        JobKind("stock.check_sku", "stock", "Stock check of one SKU", direction="outbound"),
        JobKind("catalogue.push", "catalogue", "Product push to Shopify", direction="outbound"),
        JobKind(
            "catalogue.shopify_update",
            "catalogue",
            "Shopify product changed",
            ("products/update",),
            direction="outbound",
        ),
        JobKind(
            "stock.level_update",
            "stock",
            "Shopify stock level changed",
            ("inventory_levels/update",),
            direction="outbound",
            coalesce=True,
            lock="stock",
            priority_override=STOCK_LEVEL_PRIORITY,
        ),
        # Made by the stream of Odoo deliveries (sync/flows/fulfilments.py), not by a webhook.
        JobKind("fulfillment.push", "fulfilments", "Delivery → Shopify fulfilment", direction="outbound"),
        JobKind(
            "fulfillment.return", "fulfilments", "Delivery returned → cancel fulfilment", direction="outbound"
        ),
        JobKind("customer.push", "customers", "Odoo partner → Shopify customer", direction="outbound"),
        # Made by the stream of Odoo credit notes (sync/flows/refunds_out.py).
        JobKind("refund.push", "refunds", "Odoo credit note → Shopify refund", direction="outbound"),
        JobKind(
            "fulfillment.inbound",
            "fulfilments",
            "Fulfilment made in Shopify / by a 3PL",
            ("fulfillments/create", "fulfillments/update"),
        ),
    )
}

#: The topics whose deliveries carry a sale Odoo has to book (an order's line items): a stock push counts
#: the sales of these waiting to be booked (sync/flows/stock.py ``pending_sales``).
SALE_TOPICS: tuple[str, ...] = KINDS["order.upsert"].topics

#: Webhook topic → job kind. A delivery of a topic absent here is stored and parked on the problem "no flow
#: handles topic X" (kind UNHANDLED_TOPIC_KIND); subscriptions follow this table, so only a subscription made
#: outside opsconsole, or one left from before a kind went away, brings such a delivery.
TOPIC_KINDS: dict[str, JobKind] = {topic: k for k in KINDS.values() for topic in k.topics}

#: The mandatory privacy topics: configured for the app (its compliance URL), never subscribed via the API.
COMPLIANCE_TOPICS: tuple[str, ...] = ("customers/data_request", "customers/redact", "shop/redact")

#: A delivery of a topic no kind handles parks as a job of this kind; a replay runs the topic's flow once
#: one exists (sync/flows/registry.py: ``for_job``).
UNHANDLED_TOPIC_KIND = "inbox.unhandled_topic"


def backfill_key(shop_id: int, order_id: int | str) -> str:
    """The idempotency key of an order's backfill job: like the webhook's ``webhook:<shop>:<delivery id>``,
    the source, the shop and what makes it unique (one backfill per order, however often a run finds it
    missing). The Odoo order itself is created once whichever of the backfill and a late webhook runs
    first: both run ``order.upsert``'s path under the order's subject lock, and the second finds it."""
    return f"backfill:{shop_id}:order:{order_id}"


#: A signed delivery that cannot be read is quarantined as a job of this kind (no flow runs it).
QUARANTINE_KIND = "inbox.unreadable"
QUARANTINE_FLOW = "inbox"
#: A delivery whose ingest failed every time (a fault of ours) is parked as a job of this kind; a replay
#: ingests it again (sync/flows/connections.py ``delivery_reingest``).
INGEST_FAILED_KIND = "inbox.ingest_failed"


def kind_priority(kind: str, flow: str = "") -> int:
    """A job's priority by its kind (its flow group when the kind is not in the table)."""
    known = KINDS.get(kind)
    if known is not None:
        return known.priority
    return flow_priority(flow)


def lock_subject(kind: str, subject: str) -> str:
    """The subject whose lock a job runs under: its kind's (``JobKind.lock``), else its own."""
    known = KINDS.get(kind)
    return known.lock if known is not None and known.lock else subject


def kinds_locked_by(subject: str) -> tuple[str, ...]:
    """The kinds whose jobs run under ``subject``'s lock whatever their own subject."""
    return tuple(sorted(k.kind for k in KINDS.values() if k.lock and k.lock == subject))


def kind_for_topic(topic: str) -> JobKind | None:
    return TOPIC_KINDS.get(topic)


def topic_enum(topic: str) -> str:
    """``orders/create`` → ``ORDERS_CREATE`` (GraphQL's WebhookSubscriptionTopic)."""
    return topic.replace("/", "_").upper()


def subscription_topics() -> tuple[str, ...]:
    """The topics to subscribe through the Admin API, in GraphQL enum form: every topic a kind handles,
    except the compliance topics. Nothing else is subscribed (and what else is found at our callback URL
    is unsubscribed), so that no delivery arrives that nothing handles."""
    return tuple(sorted(topic_enum(t) for t in TOPIC_KINDS if t not in COMPLIANCE_TOPICS))


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


#: The topics of an order's own deliveries: its sale and edits, cancellation, refunds and fulfilments. A
#: worker helping an inbox pump that has fallen behind ingests these first, in the order received
#: (sync/engine/ingest.py ``deliveries_overdue_ingest``): one order's jobs keep their order, every sale is
#: counted by the stock pushes sooner, and what waits is what coalesces (stock levels, customers, products).
ORDER_TOPICS: tuple[str, ...] = tuple(
    topic for k in KINDS.values() if k.flow in ("orders", "refunds", "fulfilments") for topic in k.topics
)
