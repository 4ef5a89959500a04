"""Streams of Odoo changes that outbound flows follow (Odoo → Shopify: stock, catalogue, fulfilments,
customers, credit notes).

A stream names an Odoo model, the fields to read and a domain; the engine (sync/engine/changes.py) reads
the records written since its cursor, on a cycle or when woken, and hands the new ones to the stream's
``handle``, which turns them into job requests — one per side effect, keyed by its natural key, so that a
change read twice makes one job. ``handle`` is pure: any further reading or writing happens in the jobs.

The table below is explicit (like the flow registry): a flow module defines its stream and it is listed
here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sync.connectors.odoo import ChangedRecord
from sync.flows import catalogue, customers_out, fulfilments, refunds_out, stock
from sync.kinds import JobRequest
from sync.transforms.types import ShopMappings


def _no_domain(mappings: ShopMappings) -> list[Any]:
    return []


def _always(mappings: ShopMappings) -> bool:
    return True


@dataclass(frozen=True)
class ChangeStream:
    name: str  # e.g. "stock.quant"; the cursor's key, with the shop
    model: str  # the Odoo model read
    fields: tuple[str, ...]  # read with each record (write_date is always read)
    handle: Callable[[Sequence[ChangedRecord], ShopMappings], list[JobRequest]]
    domain: Callable[[ShopMappings], list[Any]] = _no_domain
    enabled: Callable[[ShopMappings], bool] = _always  # e.g. only when the shop maps a location
    # "beginning": the first read takes every record (a full sync); "now": only what changes from now on.
    start: Literal["beginning", "now"] = "now"
    cycle_seconds: float = 60.0  # between reads when nothing wakes the stream (settings may override)
    # Records written up to this long before the cursor are read again on every cycle and de-duplicated, so
    # that a record committed late with an earlier write_date (a long Odoo transaction) is not skipped.
    overlap_seconds: float = 120.0
    page_size: int = 500
    # A shorter cycle for a shop right now (e.g. stock in peak mode), by shop id; None: the stream's own.
    cycle_override: Callable[[int], float | None] | None = None


#: Every stream, by name. The outbound flows add theirs here.
STREAMS: dict[str, ChangeStream] = {
    s.name: s
    for s in (
        # Stock out (sync/flows/stock.py): quants carry on hand and reservations; moves that reserve, finish
        # or cancel. Both ask for a push of the products they touch.
        ChangeStream(
            name="stock.quant",
            model="stock.quant",
            fields=("product_id", "location_id", "quantity", "reserved_quantity"),
            handle=stock.quant_requests,
            domain=stock.quants_domain,
            enabled=stock.stock_enabled,
            start="now",
            cycle_seconds=10.0,
            cycle_override=stock.peak_cycle,
        ),
        ChangeStream(
            name="stock.move",
            model="stock.move",
            fields=("product_id", "state"),
            handle=stock.move_requests,
            domain=stock.moves_domain,
            enabled=stock.stock_enabled,
            start="now",
            cycle_seconds=10.0,
            cycle_override=stock.peak_cycle,
        ),
        # Done deliveries and returns of sale orders → fulfilments in Shopify (sync/flows/fulfilments.py).
        ChangeStream(
            name=fulfilments.STREAM,
            model="stock.picking",
            fields=fulfilments.PICKING_FIELDS,
            handle=fulfilments.pickings_handle,
            domain=fulfilments.pickings_domain,
            cycle_seconds=5.0,
        ),
        # Catalogue out (sync/flows/catalogue.py): templates (title, description, archive) and variants (SKU,
        # barcode, price, archive) the shop's publication rule selects; from the beginning, so that what is
        # published when the rule is set is created in Shopify.
        ChangeStream(
            name="catalogue.template",
            model="product.template",
            fields=("name", "description_sale", "list_price", "active"),
            handle=catalogue.template_requests,
            domain=catalogue.publish_domain,
            enabled=catalogue.catalogue_enabled,
            start="beginning",
            cycle_seconds=30.0,
        ),
        ChangeStream(
            name="catalogue.variant",
            model="product.product",
            fields=("product_tmpl_id", "default_code", "barcode", "lst_price", "active"),
            handle=catalogue.variant_requests,
            domain=catalogue.publish_domain,
            enabled=catalogue.catalogue_enabled,
            start="beginning",
            cycle_seconds=30.0,
        ),
        # Partners linked to Shopify customers → customerUpdate of the fields Odoo owns (customers_out.py).
        ChangeStream(
            name=customers_out.STREAM,
            model="res.partner",
            fields=customers_out.PARTNER_FIELDS,
            handle=customers_out.partners_handle,
            domain=customers_out.partners_domain,
            cycle_seconds=10.0,
        ),
        # Posted credit notes of Shopify orders → Shopify refunds (sync/flows/refunds_out.py); from now on.
        ChangeStream(
            name=refunds_out.STREAM,
            model="account.move",
            fields=refunds_out.CREDIT_NOTE_FIELDS,
            handle=refunds_out.credit_notes_handle,
            domain=refunds_out.credit_notes_domain,
            start="now",
            cycle_seconds=10.0,
        ),
    )
}


def get(name: str) -> ChangeStream:
    try:
        return STREAMS[name]
    except KeyError:
        raise LookupError(f"no stream of Odoo changes is named {name!r}") from None
