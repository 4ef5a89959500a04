"""Stock out: Odoo's available to sell, per SKU and Shopify location, pushed to Shopify's ``available``.

Changes are read from Odoo by cursor (sync/engine/changes.py): the quants of the mapped locations (on hand
and reservations move there) and stock moves that reserve, finish or cancel. Each read asks for one
``stock.push`` job for the products it saw, and a push takes in every other push of the shop still waiting
(coalescing: a hundred changes of one SKU make one push). A push:

1. reads Odoo's quants for its products at the mapped locations (each quant counts for the Shopify location
   whose Odoo location is its nearest mapped ancestor) and the sales Shopify made that Odoo has not booked
   yet (order jobs still on their way);
2. works out available to sell (sync/transforms/stock.py) and the value to set without overwriting a sale;
3. sets what differs from Shopify's value with ``inventorySetQuantities`` (``available``, at most 250 per
   call, ``changeFromQuantity`` = the value we believe Shopify holds, an ``@idempotent`` key new on every
   try). When Shopify's value moved meanwhile (a sale: ``CHANGE_FROM_QUANTITY_STALE``) both sides are read
   again and the set is tried again, so no update is lost and no sale is overwritten.

Shopify's values are cached per SKU and location (``StockLevel``, kept fresh by our own pushes and by
``inventory_levels/update``), so a push spends points on reads only for SKUs it has not seen. An item not
stocked at a location is activated there (or reported, by the shop's ``stock_not_stocked`` setting); an
untracked item, a mapped SKU Shopify does not have, and an Odoo product that Shopify sells but the mappings
do not map, are each one problem per SKU (a ``stock.check_sku`` job that parks).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from opsconsole.core.errors import BusinessRuleError, TransientError
from sync.connectors.odoo import ChangedRecord
from sync.connectors.shopify.client import StaleQuantityError
from sync.connectors.shopify.types import InventoryItemLevels, InventorySet
from sync.flows.context import JobContext
from sync.flows.payloads import job_event
from sync.kinds import SALE_TOPICS, JobRequest
from sync.locks import job_lock_key, subject_lock
from sync.models import InboundEvent, JobState, StockLevel, StockPeakMode, SyncJob
from sync.transforms.stock import StockFigures, available_to_sell, value_to_set
from sync.transforms.types import ShopMappings

#: Every stock job of a shop runs under this subject, so two never set one item at once.
SUBJECT = "stock"
PUSH = "stock.push"
CHECK_SKU = "stock.check_sku"
LEVEL_UPDATE = "stock.level_update"
#: Compare-and-set rounds (a sale between our read and our write) before the job retries later.
MAX_ROUNDS = 5
MAX_BATCH = 250
#: A batch refused because some of its items moved is sent again at once without them, this many times.
RESENDS = 3
#: Pushes taken in by a running push at most (the rest wait for the next one).
COALESCE_LIMIT = 500
#: A fall of Shopify's stock that we did not make, received less than this ago when its level-update job
#: first runs, is not raised back on that attempt: Shopify sends a sale's ``inventory_levels/update`` and
#: its ``orders/create`` separately, in no set order, and until the order's delivery is here no rule can
#: tell the sale from drift. The job's retry (after its backoff) decides, with the order counted if it came.
LEVEL_RAISE_GRACE_SECONDS = 10
#: Order jobs whose sales Odoo has not booked yet.
PENDING_ORDER_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING, JobState.NEEDS_ATTENTION)


# ------------------------------------------------------------------------------------------------ streams


def _odoo_locations(mappings: ShopMappings) -> list[int]:
    return sorted({lid for ids in mappings.locations.values() for lid in ids})


def _sku_of(value: Any) -> str:
    """The SKU in a product many2one's display name, ``[SKU] Name`` ("" when it has none)."""
    name = value[1] if isinstance(value, list | tuple) and len(value) > 1 else ""
    if isinstance(name, str) and name.startswith("[") and "]" in name:
        return name[1 : name.index("]")]
    return ""


def _product_id(value: Any) -> int | None:
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    return int(value) if isinstance(value, int) and value else None


def _digest(records: Sequence[ChangedRecord]) -> str:
    text = "|".join(f"{r.id}:{r.write_date}:{sorted(r.values.items())}" for r in records)
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


def stock_requests(stream: str, records: Sequence[ChangedRecord], mappings: ShopMappings) -> list[JobRequest]:
    """One push for the mapped products these records touch; one check per unmapped SKU (is it sold in
    Shopify? then it is an unknown SKU there)."""
    by_product = {pid: sku for sku, pid in mappings.skus.items()}
    mapped: set[int] = set()
    unmapped: set[str] = set()
    for record in records:
        pid = _product_id(record.values.get("product_id"))
        if pid is None:
            continue
        if pid in by_product:
            mapped.add(pid)
        elif sku := _sku_of(record.values.get("product_id")):
            unmapped.add(sku)
    requests = []
    if mapped:
        requests.append(
            JobRequest(
                kind=PUSH,
                idempotency_key=f"stock:push:{mappings.shop_domain}:{stream}:{_digest(records)}",
                subject=SUBJECT,
                subject_label=f"{len(mapped)} product(s) changed in Odoo",
                input={"product_ids": sorted(mapped)},
            )
        )
    for sku in sorted(unmapped):
        requests.append(
            JobRequest(
                kind=CHECK_SKU,
                idempotency_key=f"stock:check:{mappings.shop_domain}:{sku}:v{mappings.version}",
                subject=SUBJECT,
                subject_label=sku,
                input={"sku": sku, "reason": "unmapped"},
            )
        )
    return requests


def quants_domain(mappings: ShopMappings) -> list[Any]:
    return [("location_id", "child_of", _odoo_locations(mappings))]


def moves_domain(mappings: ShopMappings) -> list[Any]:
    locations = _odoo_locations(mappings)
    return [
        ("state", "in", ["assigned", "partially_available", "done", "cancel"]),
        "|",
        ("location_id", "child_of", locations),
        ("location_dest_id", "child_of", locations),
    ]


def stock_enabled(mappings: ShopMappings) -> bool:
    """Read the stock streams when stock out is on (OPSCONSOLE_STOCK_OUT) and the shop maps a location."""
    return bool(getattr(settings, "STOCK_OUT", True)) and bool(mappings.locations) and bool(mappings.skus)


def quant_requests(records: Sequence[ChangedRecord], mappings: ShopMappings) -> list[JobRequest]:
    return stock_requests("stock.quant", records, mappings)


def move_requests(records: Sequence[ChangedRecord], mappings: ShopMappings) -> list[JobRequest]:
    return stock_requests("stock.move", records, mappings)


# ------------------------------------------------------------------------------------------------ peak

#: Stock streams are read this often in peak mode (instead of their cycle).
PEAK_CYCLE_SECONDS = 2.0
#: Automatic peak mode lasts this long after the order rate last passed the threshold.
PEAK_AUTO_SECONDS = 600
#: Orders per minute that turn peak mode on by itself, unless the shop's ``peak_orders_per_minute`` says
#: otherwise (0: never by itself).
PEAK_ORDERS_PER_MINUTE = 60


def peak_state(*, shop_id: int, threshold: int | None = None, now: datetime | None = None) -> str:
    """ "manual", "auto" or "" (off). Looks at the order rate of the last minute and turns automatic peak
    mode on (for ``PEAK_AUTO_SECONDS``) when it passes the threshold."""
    now = now or timezone.now()
    row = StockPeakMode.objects.filter(shop_id=shop_id).first()
    if row is not None and row.manual:
        return "manual"
    if row is not None and row.auto_until is not None and row.auto_until > now:
        return "auto"
    limit = PEAK_ORDERS_PER_MINUTE if threshold is None else threshold
    if limit <= 0:
        return ""
    recent = SyncJob.objects.filter(
        shop_id=shop_id, flow="orders", kind="order.upsert", created_at__gte=now - timedelta(seconds=60)
    ).count()
    if recent < limit:
        return ""
    StockPeakMode.objects.update_or_create(
        shop_id=shop_id, defaults={"auto_until": now + timedelta(seconds=PEAK_AUTO_SECONDS)}
    )
    return "auto"


def _threshold(mappings: ShopMappings) -> int | None:
    value = mappings.options.get("peak_orders_per_minute")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def peak_cycle(shop_id: int) -> float | None:
    """The stock streams' cycle in peak mode (None: their own). Reads the switch only: the order rate is
    looked at by each push, with the shop's threshold."""
    return PEAK_CYCLE_SECONDS if peak_state(shop_id=shop_id, threshold=0) else None


# ------------------------------------------------------------------------------------------------- jobs


def stock_push(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    """Push available to sell for the job's products (``product_ids``), SKUs (``skus``) or everything
    mapped (``all``); ``refresh`` reads Shopify's values first instead of trusting the cache."""
    spec = dict(job.input or {})
    spec = _coalesce(job, spec)
    mappings = ctx.mappings
    by_product = {pid: sku for sku, pid in mappings.skus.items()}
    if spec.get("all"):
        skus = sorted(mappings.skus)
    else:
        skus = sorted(
            {by_product[int(p)] for p in spec.get("product_ids", []) if int(p) in by_product}
            | {s for s in spec.get("skus", []) if s in mappings.skus}
        )
    return _push(ctx, skus, refresh=bool(spec.get("refresh")))


def stock_check_sku(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    """One SKU, strictly: pushed if all is well, otherwise parked on its own problem (one per SKU)."""
    sku = str((job.input or {}).get("sku", ""))
    mappings = ctx.mappings
    if sku not in mappings.skus:
        with ctx.call("shopify", "inventory_levels_by_sku"):
            found = ctx.shopify.inventory_levels_by_sku([sku], list(mappings.locations)[:8] or [""])
        if sku in found:
            raise BusinessRuleError(
                f"SKU {sku} is sold in Shopify and stocked in Odoo but not mapped: its stock is not pushed",
                code="unknown_sku",
                key=sku,
                system="odoo",
                details={"sku": sku},
            )
        return {"outcome": "not_sold_in_shopify", "sku": sku}
    return _push(ctx, [sku], refresh=True, strict=True)


def stock_level_update(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    """``inventory_levels/update``: Shopify's value at a location changed. Our own push's echo is noted;
    anything else is drift, and Odoo's truth is asserted again (a sale Odoo has not booked yet stays)."""
    # The newest of the deliveries folded into this job (sync/engine/ingest.py): Shopify's latest value.
    event = job_event(job)
    payload = event.payload if event is not None else None
    if not isinstance(payload, dict):
        return {"outcome": "no_payload"}
    item = f"gid://shopify/InventoryItem/{payload.get('inventory_item_id')}"
    location = f"gid://shopify/Location/{payload.get('location_id')}"
    available = payload.get("available")
    updated_at = _parse(payload.get("updated_at"))
    with subject_lock(job_lock_key(ctx.shop.pk, SUBJECT)):
        level = StockLevel.objects.filter(shop=ctx.shop, inventory_item_id=item, location=location).first()
        if level is None or available is None:
            return {"outcome": "not_followed", "inventory_item_id": item, "location": location}
        # Shopify's clock against Shopify's clock: an older delivery than one applied already is stale.
        if updated_at and level.shopify_updated_at and updated_at < level.shopify_updated_at:
            return {"outcome": "stale", "sku": level.sku}
        level.shopify_available = int(available)
        level.shopify_seen_at = timezone.now()
        level.shopify_updated_at = updated_at or level.shopify_updated_at
        seen = ["shopify_available", "shopify_seen_at", "shopify_updated_at"]
        if level.shopify_available == level.pushed:
            level.save(update_fields=seen)
            return {"outcome": "echo", "sku": level.sku, "available": level.shopify_available}
        level.drift = level.shopify_available - level.target
        level.drift_at = timezone.now()
        level.save(update_fields=[*seen, "drift", "drift_at"])
        if level.sku not in ctx.mappings.skus:
            return {"outcome": "drift", "sku": level.sku}
        hold = ""
        received = event.received_at if event is not None else None
        if (
            job.attempts <= 1
            and level.target is not None
            and level.shopify_available < level.target
            and received is not None
            and timezone.now() - received < timedelta(seconds=LEVEL_RAISE_GRACE_SECONDS)
        ):
            hold = (
                "Shopify's stock fell moments ago, and the order that sold the units may not have reached us "
                "yet (Shopify sends it separately)"
            )
        result = _push(ctx, [level.sku], refresh=False, hold_raises=hold)
    return {**result, "outcome": "reasserted" if result["set"] else "drift_explained", "sku": level.sku}


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------- coalescing


def _coalesce(job: SyncJob, spec: dict[str, Any]) -> dict[str, Any]:
    """Take in every other push of the shop that is waiting: their products join this one (kept on this
    job's input, so a retry still has them) and they end as succeeded, coalesced into this job."""
    with transaction.atomic():
        others = list(
            SyncJob.objects.select_for_update(skip_locked=True)
            .filter(shop_id=job.shop_id, kind=PUSH, state__in=[JobState.QUEUED, JobState.RETRYING])
            .exclude(pk=job.pk)
            .order_by("pk")[:COALESCE_LIMIT]
        )
        if not others:
            return spec
        products = set(spec.get("product_ids", []))
        skus = set(spec.get("skus", []))
        everything = bool(spec.get("all"))
        refresh = bool(spec.get("refresh"))
        for other in others:
            o = other.input or {}
            products.update(o.get("product_ids", []))
            skus.update(o.get("skus", []))
            everything = everything or bool(o.get("all"))
            refresh = refresh or bool(o.get("refresh"))
        merged = {
            "product_ids": sorted(products),
            "skus": sorted(skus),
            "all": everything,
            "refresh": refresh,
        }
        now = timezone.now()
        # What an earlier attempt of a push taken in had done (the falls it set before holding raises back)
        # stays on its result, beside the job that took it in.
        SyncJob.objects.filter(pk__in=[o.pk for o in others]).update(
            state=JobState.SUCCEEDED,
            result=RawSQL(
                "COALESCE(result, '{}'::jsonb) || %s::jsonb",
                [json.dumps({"outcome": "coalesced", "into_job": job.pk})],
            ),
            finished_at=now,
            next_attempt_at=None,
            updated_at=now,
        )
        SyncJob.objects.filter(pk=job.pk).update(input=merged)
        job.input = merged
    return merged


# ------------------------------------------------------------------------------------------------- push


#: The units per SKU an order's body sells, as a jsonb object, from the jsonb ``{payload}``: each line's
#: ``current_quantity`` (what is left after refunds and edits) or else its ``quantity`` (a quantity that is
#: not a plain number counts 0: it must not stop the order's ingest nor every push); nothing for a
#: cancelled order or a body that is not an order. Ingest stores it on the delivery (``sale_lines``); a
#: delivery ingested before that column existed is read from its payload with this same expression.
SALE_LINES_SQL = """(
SELECT COALESCE(jsonb_object_agg(s.sku, s.units), '{{}}'::jsonb) FROM (
    SELECT line ->> 'sku' AS sku,
        sum(CASE WHEN q.quantity ~ '^-?[0-9]+([.][0-9]+)?$' THEN q.quantity::numeric ELSE 0 END) AS units
    FROM jsonb_array_elements(
        CASE WHEN jsonb_typeof({payload}) = 'object' AND jsonb_typeof({payload} -> 'line_items') = 'array'
             AND COALESCE({payload} ->> 'cancelled_at', '') IN ('', 'false', '0')
        THEN {payload} -> 'line_items' ELSE '[]'::jsonb END
    ) line
    CROSS JOIN LATERAL (
        SELECT CASE WHEN line ? 'current_quantity' THEN line ->> 'current_quantity'
                    ELSE line ->> 'quantity' END
    ) q (quantity)
    WHERE line ->> 'sku' IS NOT NULL
    GROUP BY 1
) s
)"""

# Constant SQL; every value is a parameter.
_PENDING_SALES_SQL = """
WITH pending AS (
    SELECT DISTINCT ON (subject) subject, event_id
    FROM sync_syncjob
    WHERE shop_id = %(shop)s AND kind = 'order.upsert' AND state = ANY(%(states)s) AND event_id IS NOT NULL
    ORDER BY subject, id DESC
)
SELECT sold.key, sum(sold.value::numeric)
FROM pending p
JOIN sync_inboundevent e ON e.id = p.event_id
CROSS JOIN LATERAL jsonb_each_text(COALESCE(e.sale_lines, {sale_lines})) sold
WHERE sold.key = ANY(%(skus)s)
  AND NOT EXISTS (
      SELECT 1 FROM sync_syncjob b
      WHERE b.shop_id = %(shop)s AND b.kind = 'order.upsert' AND b.state = 'succeeded'
        AND b.subject = p.subject
  )
GROUP BY 1
""".format(sale_lines=SALE_LINES_SQL.format(payload="e.payload"))  # noqa: S608


def pending_sales(*, shop_id: int, skus: Iterable[str]) -> dict[str, int]:
    """Units per SKU sold in Shopify whose orders Odoo has not booked yet: order jobs still on their way (or
    parked), for orders no job has booked, each order by its newest delivery. Odoo's figures do not show
    these sales yet. Summed in PostgreSQL from each delivery's ``sale_lines``: under a backlog of tens of
    thousands of orders, neither their bodies nor their jsonb payloads are read for every push (reading
    the payloads took 3.5 s per call behind 26,700 orders)."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            _PENDING_SALES_SQL,
            {"shop": shop_id, "states": [str(s) for s in PENDING_ORDER_STATES], "skus": wanted},
        )
        return {sku: int(units) for sku, units in cursor.fetchall() if int(units)}


def sales_uncounted(*, shop_id: int, received_before: datetime | None = None) -> int:
    """The shop's order deliveries stored (before ``received_before``) but not ingested yet: their sales have
    no job yet, so ``pending_sales`` cannot count them. While there are any, a push lowers Shopify's stock
    but does not raise it (a raise could give back units one of them sold). A push asks for those received
    before its attempt began: the engine ingested the first of them just before (sync/engine/run.py), so
    what is left is a backlog. A sale whose delivery arrives during the push is not seen by this rule (nor
    was it before the rule); its order job counts it from the next push on."""
    query = InboundEvent.objects.filter(shop_id=shop_id, ingested_at__isnull=True, topic__in=SALE_TOPICS)
    if received_before is not None:
        query = query.filter(received_at__lt=received_before)
    return query.count()


def _owners(parents: dict[int, int | None], mapped: dict[int, str]) -> dict[int, str]:
    """Odoo location → the Shopify location whose Odoo location is its nearest mapped ancestor."""
    out: dict[int, str] = {}
    for loc in parents:
        cur: int | None = loc
        seen = 0
        while cur is not None and seen < 64:
            if cur in mapped:
                out[loc] = mapped[cur]
                break
            cur = parents.get(cur)
            seen += 1
    return out


def _figures(
    ctx: JobContext, skus: Sequence[str]
) -> tuple[dict[tuple[str, str], StockFigures], dict[str, int]]:
    return stock_figures(odoo=ctx.odoo, shop_id=ctx.shop.pk, mappings=ctx.mappings, skus=skus, call=ctx.call)


def _no_call(system: str, op: str) -> AbstractContextManager[Any]:
    return nullcontext()


def stock_figures(
    *,
    odoo: Any,
    shop_id: int,
    mappings: ShopMappings,
    skus: Sequence[str],
    call: Callable[[str, str], AbstractContextManager[Any]] = _no_call,
) -> tuple[dict[tuple[str, str], StockFigures], dict[str, int]]:
    """Read both sides' inputs: pending sales first (so an order booked meanwhile is subtracted at most
    twice, which errs low, never high), then Odoo's quants. Also the weekly integrity sample's Odoo side
    (reconciliation), with the same rules."""
    pending = pending_sales(shop_id=shop_id, skus=skus)
    mapped = {lid: gid for gid, ids in mappings.locations.items() for lid in ids}
    odoo_locations = sorted(mapped)
    with call("odoo", "stock_location_parents"):
        parents = odoo.stock_location_parents(odoo_locations)
    owners = _owners(parents, mapped)
    product_ids = [mappings.skus[s] for s in skus]
    with call("odoo", "stock_quants"):
        quants = odoo.stock_quants(product_ids, odoo_locations)
    by_product = {pid: sku for sku, pid in mappings.skus.items()}
    on_hand: dict[tuple[str, str], Any] = defaultdict(int)
    reserved: dict[tuple[str, str], Any] = defaultdict(int)
    for q in quants:
        sku = by_product.get(q.product_id)
        owner = owners.get(q.location_id)
        if sku is None or owner is None:
            continue
        on_hand[(sku, owner)] += q.quantity
        reserved[(sku, owner)] += q.reserved
    peak = bool(peak_state(shop_id=shop_id, threshold=_threshold(mappings))) or (
        mappings.stock is not None and mappings.stock.peak
    )
    figures = {
        (sku, gid): available_to_sell(
            sku=sku,
            location=gid,
            on_hand=on_hand[(sku, gid)],
            reserved=reserved[(sku, gid)],
            rules=mappings.stock,
            peak=peak,
        )
        for sku in skus
        for gid in mappings.locations
    }
    return figures, pending


def _read_shopify(ctx: JobContext, skus: Sequence[str]) -> dict[str, InventoryItemLevels]:
    if not skus:
        return {}
    with ctx.call("shopify", "inventory_levels_by_sku"):
        out: dict[str, InventoryItemLevels] = {}
        locations = list(ctx.mappings.locations)
        for start in range(0, len(locations), 8):
            for sku, found in ctx.shopify.inventory_levels_by_sku(skus, locations[start : start + 8]).items():
                if sku in out:
                    found = InventoryItemLevels(
                        **{**found.__dict__, "available": {**out[sku].available, **found.available}}
                    )
                out[sku] = found
        return out


def _levels(ctx: JobContext, skus: Sequence[str]) -> dict[tuple[str, str], StockLevel]:
    rows = StockLevel.objects.filter(shop=ctx.shop, sku__in=list(skus))
    return {(r.sku, r.location): r for r in rows}


def _key(job: SyncJob, round_: int, batch: int, resend: int = 0) -> str:
    """A new ``@idempotent`` key per attempt, round, batch and resend: a retry after a refusal must not reuse
    one."""
    tail = f"/{resend}" if resend else ""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{job.idempotency_key}/{job.attempts}/{round_}/{batch}{tail}"))


def _push(
    ctx: JobContext, skus: Sequence[str], *, refresh: bool, strict: bool = False, hold_raises: str = ""
) -> dict[str, Any]:
    """Bring Shopify's available of ``skus`` in line with Odoo's. ``hold_raises``: why no raise may be made
    on this attempt (falls are set; raises are held back and the job tried again)."""
    job = ctx.job
    mappings = ctx.mappings
    now = timezone.now()
    result: dict[str, Any] = {
        "skus": len(skus),
        "set": 0,
        "mutations": 0,
        "stale_rounds": 0,
        "activated": 0,
        "reported": [],
    }
    if not skus:
        return result
    levels = _levels(ctx, skus)
    # Shopify's side: read what we have not seen (or everything, on refresh).
    unknown = [
        s
        for s in skus
        if refresh
        or any(
            (lv := levels.get((s, gid))) is None or not lv.inventory_item_id or lv.shopify_available is None
            for gid in mappings.locations
        )
    ]
    shopify = _read_shopify(ctx, unknown)
    problems: list[tuple[str, str]] = []
    for sku in unknown:
        found = shopify.get(sku)
        for gid in mappings.locations:
            lv = levels.get((sku, gid)) or StockLevel(shop=ctx.shop, sku=sku, location=gid)
            lv.product_id = mappings.skus[sku]
            if found is None:
                lv.state = StockLevel.State.MISSING
                lv.inventory_item_id = ""
                lv.shopify_available = None
            else:
                lv.inventory_item_id = found.inventory_item_id
                lv.shopify_available = found.available.get(gid)
                lv.shopify_seen_at = now
                lv.state = (
                    StockLevel.State.UNTRACKED
                    if not found.tracked
                    else StockLevel.State.OK
                    if gid in found.available
                    else StockLevel.State.NOT_STOCKED
                )
            levels[(sku, gid)] = lv
        if found is None:
            problems.append((sku, "missing"))
        elif not found.tracked:
            problems.append((sku, "untracked"))

    rounds = 0
    moving: list[str] = []
    while True:
        figures, pending = _figures(ctx, skus)
        uncounted = sales_uncounted(shop_id=ctx.shop.pk, received_before=ctx.started_at)
        held: list[str] = []
        sets: list[tuple[StockLevel, int]] = []
        for (sku, gid), fig in figures.items():
            lv = levels[(sku, gid)]
            lv.on_hand, lv.reserved, lv.safety = fig.on_hand, fig.reserved, fig.safety
            lv.allocation, lv.buffer, lv.target = fig.allocation, fig.buffer, fig.available
            lv.pending_sales = pending.get(sku, 0)
            lv.computed_at = timezone.now()
            if lv.state in (StockLevel.State.MISSING, StockLevel.State.UNTRACKED):
                continue
            value = value_to_set(
                target=fig.available, shopify=lv.shopify_available, pending_sales=lv.pending_sales
            )
            if lv.state == StockLevel.State.NOT_STOCKED:
                if mappings.stock is not None and mappings.stock.not_stocked == "report":
                    problems.append((sku, "not_stocked"))
                    continue
                with ctx.call("shopify", "activate_inventory"):
                    ctx.shopify.activate_inventory(
                        lv.inventory_item_id, gid, available=value, idempotency_key=_key(job, rounds, -1)
                    )
                lv.state = StockLevel.State.OK
                lv.shopify_available = lv.pushed = value
                lv.pushed_job_id = job.pk
                lv.pushed_at = lv.shopify_seen_at = timezone.now()
                result["activated"] += 1
                continue
            if value != lv.shopify_available:
                if (
                    (uncounted or hold_raises)
                    and lv.shopify_available is not None
                    and value > lv.shopify_available
                ):
                    held.append(sku)  # a sale not counted yet may be why Shopify is lower: not given back
                    continue
                sets.append((lv, value))
        stale = _set_all(ctx, sets, rounds, result)
        if not stale:
            break
        rounds += 1
        result["stale_rounds"] = rounds
        if rounds >= MAX_ROUNDS:
            # Shopify's value of these SKUs moved (sales) in every round. What could be set is set; they go
            # to a push of their own, at once, rather than this push failing into a backoff that every
            # later change of the shop would wait for (it takes them in).
            moving = sorted(stale)
            break
        # Shopify's value moved meanwhile (a sale): read both sides again and decide again.
        fresh = _read_shopify(ctx, sorted(stale))
        for sku in stale:
            found = fresh.get(sku)
            for gid in mappings.locations:
                lv = levels[(sku, gid)]
                lv.shopify_available = found.available.get(gid) if found else None
                lv.shopify_seen_at = timezone.now()
    _save(levels.values())
    if len(skus) <= MAX_BATCH:
        # The SKUs now in line with Odoo in Shopify (set, or found right), for whoever measures how soon a
        # change gets there (bench/peak.py); not those held back or reported.
        off = set(held) | set(moving) | {sku for sku, _ in problems}
        result["checked_skus"] = [s for s in skus if s not in off]
    if held:
        why = (
            f"{uncounted} order deliveries of this shop wait to be counted, and a raise could give back "
            "units they sold"
            if uncounted
            else hold_raises
        )
        raise TransientError(
            f"{len(held)} stock raise(s) held back ({', '.join(sorted(set(held))[:5])}): {why}. "
            "What had to be lowered was set; the raises are tried again.",
            # what this attempt set is kept as the job's result (sync/engine/attempts.py)
            details={
                "held_skus": sorted(set(held))[:20],
                "uncounted_deliveries": uncounted,
                "reason": "uncounted_deliveries" if uncounted else "sale_on_its_way",
                "result": result,
            },
        )
    if moving:
        result["moving_skus"] = moving
        ctx.follow_ups.append(
            JobRequest(
                kind=PUSH,
                idempotency_key=f"stock:moving:{job.pk}:{job.attempts}",
                subject=SUBJECT,
                subject_label=f"{len(moving)} SKU(s) still moving",
                input={"skus": moving, "refresh": True},  # Shopify's values read first: ours are stale
            )
        )
    result["reported"] = sorted({f"{sku}:{why}" for sku, why in problems})
    if strict and problems:
        sku, why = problems[0]
        raise _problem(sku, why)
    for sku, why in sorted(set(problems)):
        ctx.follow_ups.append(
            JobRequest(
                kind=CHECK_SKU,
                idempotency_key=f"stock:check:{mappings.shop_domain}:{sku}:{why}:v{mappings.version}",
                subject=SUBJECT,
                subject_label=sku,
                input={"sku": sku, "reason": why},
            )
        )
    return result


def _problem(sku: str, why: str) -> BusinessRuleError:
    messages = {
        "missing": ("sku_not_in_shopify", f"SKU {sku} is mapped but Shopify has no variant with it"),
        "untracked": (
            "inventory_not_tracked",
            f"SKU {sku} is not tracked in Shopify: its stock cannot be set",
        ),
        "not_stocked": (
            "inventory_not_stocked",
            f"SKU {sku} is not stocked at a mapped Shopify location (the shop reports, not activates)",
        ),
    }
    code, message = messages[why]
    return BusinessRuleError(message, code=code, key=sku, system="shopify", details={"sku": sku})


def _moved(exc: StaleQuantityError, size: int) -> set[int] | None:
    """The positions in the refused batch of the items whose ``changeFromQuantity`` Shopify found stale (its
    userErrors' ``field``: input, quantities, <index>, changeFromQuantity); None when it does not say."""
    found: set[int] = set()
    for error in exc.details.get("userErrors") or []:
        if error.get("code") != "CHANGE_FROM_QUANTITY_STALE":
            continue
        index = next((int(p) for p in error.get("field") or [] if str(p).isdigit()), None)
        if index is None or index >= size:
            return None
        found.add(index)
    return found or None


def _set_all(
    ctx: JobContext, sets: list[tuple[StockLevel, int]], round_: int, result: dict[str, Any]
) -> set[str]:
    """Set in batches of at most 250; returns the SKUs Shopify refused as stale, to be read and decided again.

    A refused ``inventorySetQuantities`` changes nothing and names the items whose value moved (a sale
    since we read it). The rest of the batch is sent again at once without them (their values were right a
    moment ago), up to ``RESENDS`` times: in a shop selling fast, a batch of fifty SKUs read and decided
    together nearly always has one sale among them by the time it is sent, and refusing the whole batch
    round after round held every SKU back for one."""
    stale: set[str] = set()
    for index, start in enumerate(range(0, len(sets), MAX_BATCH)):
        batch = sets[start : start + MAX_BATCH]
        for resend in range(RESENDS + 1):
            quantities = [
                InventorySet(lv.inventory_item_id, lv.location, value, lv.shopify_available)
                for lv, value in batch
            ]
            try:
                with ctx.call("shopify", "set_inventory_quantities"):
                    ctx.shopify.set_inventory_quantities(
                        quantities,
                        reason="correction",
                        reference_document_uri=f"gid://opsconsole/SyncJob/{ctx.job.pk}",
                        idempotency_key=_key(ctx.job, round_, index, resend),
                    )
            except StaleQuantityError as exc:
                moved = _moved(exc, len(batch))
                if moved is None or resend == RESENDS:
                    stale.update(lv.sku for lv, _ in batch)
                    batch = []
                else:
                    stale.update(batch[i][0].sku for i in moved)
                    batch = [item for i, item in enumerate(batch) if i not in moved]
                if batch:
                    continue
                break
            result["mutations"] += 1
            result["set"] += len(batch)
            result["set_skus"] = sorted({*result.get("set_skus", []), *(lv.sku for lv, _ in batch)})
            now = timezone.now()
            for lv, value in batch:
                lv.pushed = lv.shopify_available = value
                lv.pushed_at = lv.shopify_seen_at = now
                lv.pushed_job_id = ctx.job.pk  # its echo is credited to this job (sync/engine/ingest.py)
                lv.drift = 0
            break
    return stale


def _save(levels: Iterable[StockLevel]) -> None:
    for lv in levels:
        lv.save()
