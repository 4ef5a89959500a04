"""A Jepsen-style checker for the chaos tests: a history of what the outside world saw, and one verdict.

The history is read from the systems' own records, never from what we believe we did:

- ``acknowledged``: every Shopify order whose webhook the Shopify stand-in got a 2xx for (its delivery
  log). Shopify stops retrying once it has a 2xx, so from then on the order is ours to keep.
- ``sale_orders``: every sale.order in the Odoo stand-in, by its Shopify order id (``client_order_ref``).
- ``parked``: the Shopify orders that a person can see as stuck (a job needing attention or dead, with its
  Problem) — a visible refusal, not a loss.
- ``shopify_writes``: every write we made to Shopify that the Shopify stand-in applied, by the logical
  write it was (a mutation and the idempotency key or identity of what it changed).

The verdict: each acknowledged order ends in exactly one Odoo sale order, or in none and a visible parked
job; no Odoo sale order exists for an order nobody acknowledged; no Shopify write was applied twice.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: The webhook topics that carry a Shopify order (the order's id is the body's ``id``).
ORDER_TOPICS = ("orders/create", "orders/updated", "orders/paid")


@dataclass
class History:
    acknowledged: set[str] = field(default_factory=set)
    sale_orders: dict[str, list[int]] = field(default_factory=dict)
    parked: set[str] = field(default_factory=set)
    shopify_writes: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Verdict:
    lost: list[str]
    doubled: dict[str, list[int]]
    phantom: dict[str, list[int]]
    rewritten: dict[tuple[str, str], int]
    completed: int
    parked: int

    @property
    def ok(self) -> bool:
        return not (self.lost or self.doubled or self.phantom or self.rewritten)

    def __str__(self) -> str:
        return (
            f"lost={self.lost} doubled={self.doubled} phantom={self.phantom} "
            f"shopify writes applied more than once={self.rewritten} "
            f"(completed={self.completed}, parked={self.parked})"
        )


def check(history: History) -> Verdict:
    """Judge a history: pure, so that it can be shown to catch a lost or a doubled order."""
    lost: list[str] = []
    doubled: dict[str, list[int]] = {}
    completed = parked = 0
    for order_id in sorted(history.acknowledged):
        odoo_ids = history.sale_orders.get(order_id, [])
        if len(odoo_ids) > 1:
            doubled[order_id] = sorted(odoo_ids)
        elif len(odoo_ids) == 1:
            completed += 1
        elif order_id in history.parked:
            parked += 1
        else:
            lost.append(order_id)
    phantom = {
        order_id: sorted(ids)
        for order_id, ids in history.sale_orders.items()
        if ids and order_id not in history.acknowledged
    }
    rewritten = {write: n for write, n in Counter(history.shopify_writes).items() if n > 1}
    return Verdict(
        lost=lost, doubled=doubled, phantom=phantom, rewritten=rewritten, completed=completed, parked=parked
    )


# -- recording from the stand-ins and our tables -----------------------------------------------------------
def acknowledged_orders(deliveries: list[dict[str, Any]]) -> set[str]:
    """The Shopify order ids of the order webhooks that some attempt got a 2xx for."""
    acked: set[str] = set()
    for row in deliveries:
        if row.get("topic") not in ORDER_TOPICS:
            continue
        if not any(200 <= int(a.get("status_code") or 0) < 300 for a in row.get("attempts", [])):
            continue
        acked.add(str(json.loads(row["body"])["id"]))
    return acked


def odoo_sale_orders(rpc: Any) -> dict[str, list[int]]:
    """Every sale.order in Odoo that names a Shopify order, by that order's id."""
    rows = rpc.env["sale.order"].search_read([("client_order_ref", "!=", False)], ["client_order_ref"])
    by_ref: dict[str, list[int]] = {}
    for row in rows:
        by_ref.setdefault(str(row["client_order_ref"]), []).append(int(row["id"]))
    return by_ref


def parked_orders(shop: Any) -> set[str]:
    """The Shopify orders whose job waits, visibly, for a person (needs attention or dead, with a Problem)."""
    from django.db import close_old_connections

    from sync.models import PROBLEM_STATES, SyncJob

    close_old_connections()
    subjects = SyncJob.objects.filter(
        shop=shop, subject__startswith="order:", state__in=PROBLEM_STATES, problem__isnull=False
    ).values_list("subject", flat=True)
    return {s.split(":", 1)[1] for s in subjects}


def shopify_inventory_writes(
    adjustments: list[dict[str, Any]], *, since_id: int = 0
) -> list[tuple[str, str]]:
    """Our inventory writes Shopify applied, one per level set: the same level set to the same quantity
    twice by the same job (its reference document) is one write done twice."""
    writes: list[tuple[str, str]] = []
    for group in adjustments:
        reference = str(group.get("reference") or "")
        if int(group["id"]) <= since_id or not reference.startswith("gid://opsconsole/"):
            continue
        for change in group.get("changes", []):
            if change.get("name") != "available":
                continue
            level = f"{change['item_id']}@{change['location_id']}={change['after']}"
            writes.append(("inventory", f"{reference} {level}"))
    return writes


def record(pipeline: Any, *, shopify_writes: list[tuple[str, str]] | None = None) -> History:
    """The history of one pipeline run, read from the stand-ins and our tables."""
    return History(
        acknowledged=acknowledged_orders(pipeline.shopify.control.deliveries()),
        sale_orders=odoo_sale_orders(pipeline.rpc),
        parked=parked_orders(pipeline.shop),
        shopify_writes=list(shopify_writes or []),
    )


def wait_acknowledged(pipeline: Any, orders: list[dict[str, Any]], *, advance: float = 0) -> None:
    """Wait until the Shopify stand-in has a 2xx for every order's orders/create delivery (advancing its
    clock by ``advance`` seconds a poll, so that Shopify's retries of a failed delivery fall due without
    waiting)."""
    from tests.support.processes import wait_for

    wanted = {str(o["id"]) for o in orders}

    def delivered() -> bool:
        if advance:
            pipeline.shopify.control.advance_clock(advance)
        rows = pipeline.shopify.control.deliveries(topic="orders/create")
        return wanted <= acknowledged_orders(rows)

    wait_for(delivered, timeout=120, interval=0.3, message="every orders/create to be acknowledged")


def assert_linearizable(pipeline: Any, **options: Any) -> Verdict:
    """Record the run's history and fail, naming every lost, doubled or phantom order, unless it holds."""
    verdict = check(record(pipeline, **options))
    assert verdict.ok, str(verdict)
    return verdict
