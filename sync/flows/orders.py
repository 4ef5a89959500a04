"""Orders: Shopify orders/create, orders/updated, orders/edited and orders/cancelled into Odoo.

Exactly once: the sale order's ``client_order_ref`` is the Shopify order id and the connector looks it up
before creating, so a retry after a lost answer, a worker killed mid-job, or a duplicate event finds the
order instead of creating a second one. Newest state wins: the Shopify ``updated_at`` last applied is kept
on the ExternalLink, and an older payload is recorded as stale and changes nothing. An update that arrives
before its create builds the order from Shopify's current state, read through the connector.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from opsconsole.core.errors import BusinessRuleError
from sync.connectors.odoo import OrderInput, OrderLineInput, OrderTotals, OrderUpdate
from sync.connectors.shopify.types import OrderRisk
from sync.flows.cash import order_to_cash
from sync.flows.context import JobContext
from sync.flows.currency import order_booking
from sync.flows.order_products import with_order_products
from sync.flows.partners import partner_contact, partner_resolve, to_address
from sync.flows.payloads import job_payload, job_topic
from sync.flows.risk import UNREAD, Unread, order_hold_check, order_risk_recheck, risk_needed, risk_read
from sync.flows.taxes import tax_facts, taxes_check, with_odoo_rounding
from sync.flows.verify import booked_verify
from sync.models import ExternalLink, JobAttempt, SyncJob
from sync.transforms.currency import currency_note
from sync.transforms.money import currency_decimals, quantum, tax_key, to_decimal
from sync.transforms.orders import (
    is_gift_card,
    order_duties,
    order_lines_for,
    order_tip,
    order_to_odoo,
    order_update_to_odoo,
    refund_taxes_known,
    sale_order_totals,
    unwrap_order,
)
from sync.transforms.partners import order_partner
from sync.transforms.timestamps import parse_shopify_timestamp, same_date_everywhere
from sync.transforms.topics import topic_shape_problem
from sync.transforms.types import BundleRule, OdooOrderDraft, OdooOrderUpdate, ShopMappings
from sync.transforms.verify import LineBooked, LineSent, MoneyTotals


def _order_link(ctx: JobContext, order_id: str) -> ExternalLink | None:
    return ExternalLink.objects.filter(
        shop=ctx.shop, kind=ExternalLink.Kind.ORDER, shopify_id=order_id
    ).first()


def _clock() -> datetime:
    """Our now, around the confirmation (a seam for tests)."""
    return timezone.now()


def odoo_datetime(value: datetime | None) -> str | None:
    """An Odoo Datetime value: UTC, "YYYY-MM-DD HH:MM:SS" (Odoo stores UTC and shows it in each user's
    timezone, so the company's local date of a sale is what its people and its reports see)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _post_note(ctx: JobContext, odoo_id: int, name: str, order_id: str, note: str, *, changed: bool) -> None:
    """Shopify's note and note attributes go to the order's chatter (``message_post``), never over
    ``sale.order.note``, which in Odoo is the Terms & Conditions."""
    if not note and not changed:
        return
    title = f"Shopify order {name} (id {order_id})"
    body = f"{title}: the note changed in Shopify:\n{note or '(removed)'}" if changed else f"{title}:\n{note}"
    with ctx.call("odoo", "post_order_message"):
        ctx.odoo.post_order_message(odoo_id, body, subject=f"Shopify note {name}")


def _position_key(position: dict[str, Any] | None) -> tuple[str, int]:
    position = position or {}
    return (str(position.get("triggered_at") or ""), int(position.get("edit_id") or 0))


def _is_stale(link: ExternalLink | None, updated_at: datetime | None, position: dict[str, Any]) -> bool:
    """Older than what was applied: by ``updated_at``, and where two changes share its second, by
    X-Shopify-Triggered-At and then the order-edit id (``position``). Equal in all three: the same change."""
    if not (link and link.source_updated_at and updated_at):
        return False
    if updated_at != link.source_updated_at:
        return updated_at < link.source_updated_at
    stored = link.data.get("position")
    if stored is None:
        return True  # the same second and nothing recorded to order them by: taken as the same change
    return _position_key(position) <= _position_key(stored)


def _is_same_change(link: ExternalLink | None, updated_at: datetime | None, position: dict[str, Any]) -> bool:
    """The change the link records as applied, exactly (not an older one)."""
    if not (link and link.source_updated_at and updated_at) or updated_at != link.source_updated_at:
        return False
    stored = link.data.get("position")
    return stored is None or _position_key(position) == _position_key(stored)


def _position(job: SyncJob, payload: dict[str, Any]) -> dict[str, Any]:
    triggered = job.event.triggered_at if job.event is not None else None
    edit = payload.get("order_edit")
    return {
        "triggered_at": triggered.astimezone(UTC).isoformat() if triggered else None,
        "edit_id": int(edit["id"]) if isinstance(edit, dict) and edit.get("id") else None,
    }


def _save_link(
    ctx: JobContext, order_id: str, odoo_id: int, label: str, updated_at: datetime | None, **data: Any
) -> ExternalLink:
    link, created = ExternalLink.objects.get_or_create(
        shop=ctx.shop,
        kind=ExternalLink.Kind.ORDER,
        shopify_id=order_id,
        defaults={
            "odoo_model": "sale.order",
            "odoo_id": odoo_id,
            "label": label[:120],
            "source_updated_at": updated_at,
            "data": data,
        },
    )
    if not created:
        if updated_at and (link.source_updated_at is None or updated_at > link.source_updated_at):
            link.source_updated_at = updated_at
        link.odoo_id = odoo_id
        link.data = {**link.data, **data}
        link.save()
    return link


def order_write_possible(ctx: JobContext) -> bool:
    """Whether an earlier attempt on this order's subject may have written its sale order to Odoo without
    our knowing the answer: an attempt that was lost or is still marked running (its worker killed), or one
    that called ``create_sale_order`` and did not succeed (its answer lost, or a failure after the write).

    Only then is Odoo searched by ``client_order_ref`` before creating: in steady state an order's first
    attempt creates straight away (a successful earlier write left the order's link, which is read first).
    """
    job = ctx.job
    earlier = JobAttempt.objects.filter(job__shop_id=job.shop_id, job__subject=job.subject).exclude(
        job_id=job.pk, number=job.attempts
    )
    unknown = (JobAttempt.Outcome.RUNNING, JobAttempt.Outcome.LOST)
    for outcome, calls in earlier.exclude(outcome=JobAttempt.Outcome.SUCCEEDED).values_list(
        "outcome", "external_calls"
    ):
        if outcome in unknown:
            return True
        if any(isinstance(c, dict) and c.get("op") == "create_sale_order" for c in calls or []):
            return True
    return False


def order_create(
    ctx: JobContext, payload: dict[str, Any], *, position: dict[str, Any] | None = None
) -> dict[str, Any]:
    facts = tax_facts(ctx, company_id=ctx.mappings.company_id)
    mappings = with_order_products(ctx, with_odoo_rounding(ctx.mappings, facts), payload)
    draft = order_to_odoo(payload, mappings)
    taxes_check(
        facts, order=dict(unwrap_order(payload)), included=draft.taxes_included, used=draft.taxes_used
    )
    partner = partner_resolve(
        ctx, draft.customer, invoice=draft.invoice_contact, delivery=draft.delivery_contact
    )
    lines = tuple(
        OrderLineInput(
            product_id=line.product_id,
            quantity=Decimal(line.quantity),
            price_unit=line.price_unit,
            name=line.name,
            tax_ids=line.tax_ids,
        )
        for line in draft.lines
    )
    # Shopify's risk assessment, read before anything is written: a failed read retries with nothing in Odoo
    # (a retry of this job after the order's link is saved would find its change applied, and confirm
    # nothing). The decision is taken once the order is booked (sync/flows/risk.py).
    risk: OrderRisk | Unread | None = UNREAD
    if draft.confirm and not draft.cancelled and risk_needed(ctx, draft.shopify_order_id):
        risk = risk_read(ctx, draft.shopify_order_id)
    look_up = order_write_possible(ctx)
    with ctx.call("odoo", "create_sale_order"):
        # Created (or, after an attempt that may have written, found by client_order_ref) and read back in
        # the same round trip: Odoo's own totals.
        booked = ctx.odoo.create_sale_order_with_totals(
            OrderInput(
                partner_id=partner.partner_id,
                partner_invoice_id=partner.invoice_id,
                partner_shipping_id=partner.delivery_id,
                client_order_ref=draft.client_order_ref,
                lines=lines,
                origin=draft.origin,
                pricelist_id=draft.pricelist_id,
                date_order=odoo_datetime(draft.processed_at),
                company_id=draft.company_id,
                carrier_id=draft.carrier_id,
            ),
            look_up=look_up,
        )
    q = quantum(currency_decimals(mappings.currency, mappings.currency_decimals))
    booked_totals = MoneyTotals(booked.amount_untaxed, booked.amount_tax, booked.amount_total).quantized(q)
    link = _save_link(
        ctx,
        draft.shopify_order_id,
        booked.id,
        draft.origin,
        draft.updated_at,
        partner_id=partner.partner_id,
        cancelled=booked.state == "cancel",
        booked=booked_totals.as_dict(),
        taxes_included=draft.taxes_included,
        # the tip and duties booked on their products, so that a refund giving them back credits them there
        tip=str(order_tip(unwrap_order(payload))),
        duties=str(order_duties(unwrap_order(payload))),
        **({"booking": ctx.booking.as_dict()} if ctx.booking is not None else {}),
        # each line item's quantity on the Odoo order (as ordered), so that edits find what changed
        lines={
            str(li.get("id")): int(li.get("quantity") or 0)
            for li in unwrap_order(payload).get("line_items") or []
            if int(li.get("quantity") or 0) > 0
        },
        **({"position": position} if position is not None else {}),
    )
    if "note" not in link.data:
        _post_note(ctx, booked.id, draft.origin, draft.shopify_order_id, draft.note, changed=False)
        _save_link(ctx, draft.shopify_order_id, booked.id, draft.origin, draft.updated_at, note=draft.note)
    note = currency_note(unwrap_order(payload), ctx.booking) if ctx.booking is not None else ""
    if note and not link.data.get("currency_noted"):
        # The amounts in the currency not booked, for reference: on the chatter, never on the order's
        # fields (sale.order.note is the Terms & Conditions).
        with ctx.call("odoo", "post_order_message"):
            ctx.odoo.post_order_message(booked.id, note, subject=f"Shopify currencies {draft.origin}")
        _save_link(
            ctx, draft.shopify_order_id, booked.id, draft.origin, draft.updated_at, currency_noted=True
        )
    result: dict[str, Any] = {
        "outcome": "created" if booked.created else "found_existing",
        "odoo_order_id": booked.id,
        "odoo_order_name": booked.name,
        "odoo_partner_id": partner.partner_id,
        "amount_total": str(booked_totals.total),
        "currency": booked.currency or draft.currency,
        **(
            {"presentment_currency": ctx.booking.presentment_currency}
            if ctx.booking is not None and ctx.booking.presented_otherwise
            else {}
        ),
        "shopify_total": str(draft.expected_totals.shopify_total),
        "taxes_included": draft.taxes_included,
        "tax_rounding": mappings.tax_rounding,
    }
    # Verified before it is confirmed: an order booked different stays a draft until a person decides.
    result["booked"] = order_verify(
        ctx, draft=draft, booked=booked, totals=booked_totals, result=result, mappings=mappings
    )
    confirmed = booked.state == "sale"
    hold = None
    if draft.confirm and booked.state == "draft" and not draft.cancelled:
        # Shopify's risk assessment first: a risky order stays a quotation for a person (sync/flows/risk.py).
        hold = order_hold_check(
            ctx, order_id=draft.shopify_order_id, odoo_id=booked.id, label=draft.origin, risk=risk
        )
    if draft.confirm and booked.state == "draft" and hold is None:
        confirming = _clock()
        with ctx.call("odoo", "confirm_order"):
            ctx.odoo.confirm_order(booked.id)
        confirmed = True
        if draft.processed_at is not None and not same_date_everywhere(
            draft.processed_at, confirming, _clock()
        ):
            # Confirming sets date_order to now (Odoo's _prepare_confirmation_values): the sale happened
            # when Shopify processed it, so an order parked over month-end still lands in its period. An
            # order confirmed within the quarter-hour Shopify processed it keeps Odoo's date, which is
            # Shopify's in every timezone (a few seconds later): no third call in steady state.
            with ctx.call("odoo", "update_order"):
                ctx.odoo.update_order(booked.id, OrderUpdate(date_order=odoo_datetime(draft.processed_at)))
    cancelled = False
    if draft.cancelled and booked.state != "cancel":
        with ctx.call("odoo", "cancel_order"):
            ctx.odoo.cancel_order(booked.id)
        cancelled = True
        _save_link(ctx, draft.shopify_order_id, booked.id, draft.origin, draft.updated_at, cancelled=True)
    return {
        **result,
        "confirmed": confirmed,
        "cancelled": cancelled,
        **({"hold": hold} if hold is not None else {}),
        "written_at": timezone.now().isoformat(),
    }


def order_verify(
    ctx: JobContext,
    *,
    draft: OdooOrderDraft,
    booked: OrderTotals,
    totals: MoneyTotals,
    result: dict[str, Any],
    mappings: ShopMappings,
) -> dict[str, str]:
    """Odoo's totals of the order against Shopify's, to the cent (sync/flows/verify.py)."""
    order_label = f"Sale order {booked.name or booked.id} (Shopify {draft.origin})"
    if booked.currency and booked.currency.upper() != draft.currency.upper():
        raise BusinessRuleError(
            f"{order_label} was booked in {booked.currency}, Shopify charged in {draft.currency}: the "
            "order's pricelist is in another currency",
            code="currency_mismatch",
            key=booked.currency,
            details={"odoo_id": booked.id, "result": {**result, "outcome": "booked_different"}},
        )
    adjusted = any(line.kind == "rounding" for line in draft.lines)
    tolerance = (
        mappings.rounding_adjustment.max_amount
        if adjusted and mappings.rounding_adjustment is not None
        else Decimal(0)
    )

    def read_lines() -> list[LineBooked]:
        info = ctx.odoo.read_order(booked.id)
        return [
            LineBooked(line.product_id, line.quantity, line.price_unit, line.discount)
            for line in (info.lines if info else [])
            if not line.display_type
        ]

    return booked_verify(
        ctx,
        document=order_label,
        odoo_model="sale.order",
        odoo_id=booked.id,
        expected=MoneyTotals.of(
            total=draft.expected_totals.shopify_total, tax=draft.expected_totals.shopify_tax
        ),
        booked=totals,
        currency=draft.currency,
        decimals=mappings.currency_decimals,
        result=result,
        taxes_included=draft.taxes_included,
        rounding=mappings.tax_rounding,
        rates=sorted({rate for _, _, rate in draft.taxes_used}),
        lines_sent=[
            LineSent(line.product_id, Decimal(line.quantity), line.price_unit) for line in draft.lines
        ],
        read_lines=read_lines,
        tax_tolerance=tolerance,
    )


def order_update(
    ctx: JobContext, payload: dict[str, Any], link: ExternalLink, *, position: dict[str, Any] | None = None
) -> dict[str, Any]:
    update = order_update_to_odoo(payload, ctx.mappings)
    with ctx.call("odoo", "read_order"):
        info = ctx.odoo.read_order(link.odoo_id)
    if info is None:
        raise BusinessRuleError(
            f"Odoo sale order {link.odoo_id} linked to Shopify order {payload.get('id')} is gone",
            code="odoo_order_missing",
            details={"order_id": str(payload.get("id")), "odoo_order_id": link.odoo_id},
        )
    if update.cancelled:
        return order_cancel_in_odoo(ctx, payload, link, position=position)

    partner_id = int(link.data.get("partner_id") or info.partner_id or 0)
    changes: dict[str, Any] = {}
    previous_note = link.data.get("note")
    if previous_note is None:
        previous_note = info.note or ""  # a link from before notes went to the chatter
    if update.note != previous_note and (update.note or previous_note):
        _post_note(ctx, link.odoo_id, link.label, str(payload["id"]), update.note, changed=True)
        changes["note"] = update.note
    if update.delivery_contact is not None or update.invoice_contact is not None:
        customer_link = ExternalLink.objects.filter(
            shop=ctx.shop, kind=ExternalLink.Kind.CUSTOMER, odoo_id=partner_id
        ).first()
        if customer_link is not None:
            contacts = dict(customer_link.data.get("contacts", {}))
            # The same defaults as at creation (partner_resolve), so that an unchanged address hashes the
            # same and reuses its contact instead of creating a new one.
            customer = order_partner(unwrap_order(payload))
            if update.delivery_contact is not None:
                address = to_address(
                    update.delivery_contact, fallback_name=customer.name, email=customer.email
                )
                delivery = partner_contact(ctx, customer_link, contacts, "delivery", address)
                if delivery != info.partner_shipping_id:
                    changes["partner_shipping_id"] = delivery
            if update.invoice_contact is not None:
                address = to_address(
                    update.invoice_contact, fallback_name=customer.name, email=customer.email
                )
                invoice = partner_contact(ctx, customer_link, contacts, "invoice", address)
                if invoice != info.partner_invoice_id:
                    changes["partner_invoice_id"] = invoice
            customer_link.data = {**customer_link.data, "contacts": contacts}
            customer_link.save(update_fields=["data", "synced_at"])

    plan = _line_plan(ctx, payload, link, info, update)
    invoice_again = False
    if plan.changes and (plan.delivered or info.invoice_ids or info.locked):
        if not _invoiceable_additions(plan, info):
            _refuse_after_fulfilment(payload, info, plan, ctx.mappings)
        # Lines added to an invoiced order that has shipped nothing: added, and invoiced by a further
        # invoice (sync/flows/cash.py) that the edit's new payment pays.
        invoice_again = True
    add_lines = (
        tuple(
            OrderLineInput(
                product_id=line.product_id,
                quantity=Decimal(line.quantity),
                price_unit=line.price_unit,
                name=line.name,
                tax_ids=line.tax_ids,
            )
            for line in order_lines_for(payload, plan.mappings, plan.add)
        )
        if plan.add
        else ()
    )
    lines_changed = bool(plan.set_quantities or plan.remove or add_lines)
    written = {k: v for k, v in changes.items() if k != "note"}  # the note went to the chatter
    if written or lines_changed:
        with ctx.call("odoo", "update_order"):
            ctx.odoo.update_order(
                link.odoo_id,
                OrderUpdate(
                    partner_invoice_id=changes.get("partner_invoice_id"),
                    partner_shipping_id=changes.get("partner_shipping_id"),
                    add_lines=add_lines,
                    set_quantities=plan.set_quantities,
                    remove_line_ids=tuple(plan.remove),
                ),
            )
    confirmed = info.state == "sale"
    hold = None
    if update.confirm and info.state == "draft":
        hold = order_hold_check(ctx, order_id=str(payload["id"]), odoo_id=link.odoo_id, label=link.label)
    if update.confirm and info.state == "draft" and hold is None:
        with ctx.call("odoo", "confirm_order"):
            ctx.odoo.confirm_order(link.odoo_id)
        confirmed = True
    extra: dict[str, Any] = {"lines": plan.booked, "note": update.note}
    if invoice_again:
        extra["invoice_again"] = sorted({*(link.data.get("invoice_again") or []), *plan.add})
    if position is not None:
        extra["position"] = position
    _save_link(ctx, str(payload["id"]), link.odoo_id, link.label, update.updated_at, **extra)
    result: dict[str, Any] = {
        "outcome": "updated" if (changes or lines_changed) else "unchanged",
        "odoo_order_id": link.odoo_id,
        "changed": sorted(changes) + (["lines"] if lines_changed else []),
        "line_changes": plan.changes,
        "confirmed": confirmed,
        **({"hold": hold} if hold is not None else {}),
        **({"risk_recheck": True} if info.state == "sale" else {}),
        "written_at": timezone.now().isoformat(),
    }
    if lines_changed:
        # Lines changed: read Odoo's totals back and compare with Shopify's order as edited.
        with ctx.call("odoo", "read_order"):
            after = ctx.odoo.read_order(link.odoo_id, with_lines=False)
        assert after is not None
        q = quantum(currency_decimals(plan.mappings.currency, plan.mappings.currency_decimals))
        total, tax = sale_order_totals(payload)
        # Refunds taken off the order (before it was invoiced, or units restocked as ``cancel`` after:
        # sync/flows/refunds.py) are not on it any more: their amount is known, their tax split is not,
        # so the total is checked and the tax is not.
        taken = sum(
            (
                Decimal(str(r["adjustment"]["taken"]))
                for r in (link.data.get("refunds") or {}).values()
                if isinstance(r, dict) and (r.get("adjustment") or {}).get("taken")
            ),
            Decimal(0),
        )
        result["booked"] = booked_verify(
            ctx,
            document=f"Sale order {after.name or after.id} (Shopify {link.label}) after an edit",
            odoo_model="sale.order",
            odoo_id=link.odoo_id,
            expected=MoneyTotals.of(total=total - taken, tax=tax),
            booked=MoneyTotals(after.amount_untaxed, after.amount_tax, after.amount_total).quantized(q),
            tax_tolerance=Decimal("Infinity") if taken or not refund_taxes_known(payload) else Decimal(0),
            currency=plan.mappings.currency,
            decimals=plan.mappings.currency_decimals,
            result=result,
            taxes_included=bool(unwrap_order(payload).get("taxes_included")),
            rounding=plan.mappings.tax_rounding,
        )
    return result


@dataclass
class _LinePlan:
    mappings: ShopMappings
    booked: dict[str, int]  # Shopify line item id -> quantity on the Odoo order after this change
    add: dict[str, int] = field(default_factory=dict)  # new line items -> quantity
    set_quantities: dict[int, Decimal] = field(default_factory=dict)
    remove: list[int] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    delivered: bool = False


def _line_plan(
    ctx: JobContext, payload: dict[str, Any], link: ExternalLink, info: Any, update: OdooOrderUpdate
) -> _LinePlan:
    """What the order's lines need: Shopify line items Odoo has not got are added (priced and taxed as at
    creation), changed quantities set, removed lines deleted (draft) or set to 0 (confirmed: Odoo keeps
    the lines of a confirmed order). The link remembers each line item's quantity on the Odoo order;
    a link made before it did falls back to the product and the ordered quantity."""
    facts = tax_facts(ctx, company_id=ctx.mappings.company_id)
    plan = _LinePlan(mappings=with_odoo_rounding(ctx.mappings, facts), booked={})
    known: dict[str, int] | None = link.data.get("lines")
    odoo_lines = [line for line in info.lines if not line.display_type]
    items = {str(li.get("id")): li for li in unwrap_order(payload).get("line_items") or []}
    for quantity in update.quantities:
        ref = quantity.shopify_line_id
        rule = plan.mappings.bundles.get(quantity.sku or "")
        if is_gift_card(items.get(ref) or {}):
            product_id = plan.mappings.gift_card_product_id
        elif isinstance(rule, BundleRule) and rule.mode == "kit":
            product_id = rule.product_id
        else:
            product_id = plan.mappings.skus.get(quantity.sku or "")
        candidates = [line for line in odoo_lines if product_id is not None and line.product_id == product_id]
        before = known.get(ref) if known is not None else None
        if (
            isinstance(rule, BundleRule)
            and rule.mode == "components"
            and before is not None
            and quantity.target != before
        ):
            raise BusinessRuleError(
                f"bundle {quantity.sku} was edited in Shopify ({before} -> {quantity.target}); it is booked "
                "as its components, whose quantities and prices are not changed automatically. Change them "
                "on the Odoo order, then resolve this job.",
                code="bundle_edit_by_hand",
                key=quantity.sku or ref,
                details={
                    "order_id": str(payload.get("id")),
                    "line": ref,
                    "from": before,
                    "to": quantity.target,
                },
            )
        if before is None and (known is not None or not candidates):
            # Not on the Odoo order: added by an order edit.
            plan.booked[ref] = quantity.target
            if quantity.target > 0:
                plan.add[ref] = quantity.target
                plan.changes.append({"line": ref, "sku": quantity.sku, "from": 0, "to": quantity.target})
            continue
        if before is None:
            before = quantity.ordered
        plan.booked[ref] = quantity.target
        if quantity.target == before:
            continue
        if not candidates:
            raise BusinessRuleError(
                f"line {quantity.sku} changed in Shopify but is not on the Odoo order",
                code="order_line_not_found",
                key=quantity.sku or ref,
            )
        plan.changes.append({"line": ref, "sku": quantity.sku, "from": before, "to": quantity.target})
        plan.delivered = plan.delivered or any(line.qty_delivered > 0 for line in candidates)
        if quantity.target == 0 and info.state == "draft":
            plan.remove.extend(line.id for line in candidates)
        elif quantity.target == 0:
            # Odoo refuses to delete lines of a confirmed order; a quantity of 0 is how it is removed.
            plan.set_quantities.update({line.id: Decimal(0) for line in candidates})
        else:
            # By the edit's difference, from what Odoo holds now: the refund flow may have taken refunded
            # quantities off the order already (refunds never change the target, edits do).
            held = sum((Decimal(line.quantity) for line in candidates), Decimal(0))
            wanted = max(held + Decimal(quantity.target - before), Decimal(0))
            plan.set_quantities.update(_spread_quantity(candidates, wanted))
    if plan.add:
        plan.delivered = plan.delivered or any(line.qty_delivered > 0 for line in odoo_lines)
        plan.mappings = with_order_products(ctx, plan.mappings, payload)
        new = order_lines_for(payload, plan.mappings, plan.add)
        taxes_check(
            facts,
            order=dict(unwrap_order(payload)),
            included=bool(unwrap_order(payload).get("taxes_included")),
            used=_taxes_used(new, plan.mappings, payload),
        )
    return plan


def _taxes_used(
    lines: Any, mappings: ShopMappings, payload: dict[str, Any]
) -> list[tuple[str, int, Decimal]]:
    included = bool(unwrap_order(payload).get("taxes_included"))
    table = mappings.taxes_for(included=included)
    ids = {tax_id for line in lines for tax_id in line.tax_ids}
    used = []
    for li in unwrap_order(payload).get("line_items") or []:
        for tl in li.get("tax_lines") or []:
            key = tax_key(str(tl.get("title") or ""), tl.get("rate", 0))
            if table.get(key) in ids:
                used.append((key, table[key], to_decimal(tl.get("rate", 0), what="tax_lines.rate")))
    return sorted(set(used))


def _invoiceable_additions(plan: _LinePlan, info: Any) -> bool:
    """An edit Odoo can follow after invoicing: lines added, nothing changed or removed, nothing delivered,
    the order confirmed and not locked. The wizard invoices the added lines as a second invoice; a reduced
    quantity would need a credit note and a return, and stays a problem for a person."""
    return (
        bool(plan.add)
        and not plan.set_quantities
        and not plan.remove
        and not plan.delivered
        and not info.locked
        and info.state == "sale"
        and all(c["from"] == 0 for c in plan.changes)
    )


def _refuse_after_fulfilment(
    payload: dict[str, Any], info: Any, plan: _LinePlan, mappings: ShopMappings
) -> None:
    """Odoo delivered or invoiced the order already: its lines are not changed behind finance's back."""
    total, tax = sale_order_totals(payload)
    why = "delivered" if plan.delivered else "invoiced" if info.invoice_ids else "locked"
    changed = ", ".join(f"{c['sku'] or c['line']} {c['from']} -> {c['to']}" for c in plan.changes)
    q = quantum(currency_decimals(mappings.currency, mappings.currency_decimals))
    booked = info.amount_total.quantize(q)
    raise BusinessRuleError(
        f"Shopify order {payload.get('name') or payload.get('id')} was edited ({changed}), but Odoo has "
        f"already {why} sale order {info.name}: Odoo holds {booked} {mappings.currency}, Shopify now "
        f"{total} {mappings.currency} (tax {tax}), difference {booked - total} {mappings.currency}. Nothing "
        "was changed in Odoo: add or return the difference there (a further order, a return, a credit "
        "note), then resolve this job.",
        code="order_edit_after_fulfilment",
        key=why,
        details={
            "order_id": str(payload.get("id")),
            "odoo_order_id": info.id,
            "line_changes": plan.changes,
            "odoo_total": str(booked),
            "shopify_total": str(total),
            "shopify_tax": str(tax),
            "total_difference": str(booked - total),
        },
    )


def _spread_quantity(lines: list[Any], target: Decimal) -> dict[int, Decimal]:
    """New quantities for the Odoo lines of one Shopify line so that they add up to ``target``.

    One Shopify line may be booked as several Odoo lines (unit prices a cent apart, so that the total
    matches Shopify's to the cent): an increase goes on the first, a decrease is taken from the last ones.
    Only the lines whose quantity changes are returned."""
    current = [Decimal(line.quantity) for line in lines]
    wanted = list(current)
    difference = target - sum(current)
    if difference > 0:
        wanted[0] += difference
    else:
        for index in reversed(range(len(wanted))):
            taken = min(wanted[index], -difference)
            wanted[index] -= taken
            difference += taken
    return {line.id: new for line, old, new in zip(lines, current, wanted, strict=True) if new != old}


def order_cancel_in_odoo(
    ctx: JobContext, payload: dict[str, Any], link: ExternalLink, *, position: dict[str, Any] | None = None
) -> dict[str, Any]:
    with ctx.call("odoo", "order_pickings"):
        pickings = ctx.odoo.order_pickings(link.odoo_id)
    shipped = [p.name for p in pickings if p.state == "done"]
    if shipped:
        raise BusinessRuleError(
            f"Shopify cancelled order {payload.get('name', payload.get('id'))}, but Odoo has already "
            f"delivered it ({', '.join(shipped)}). Create a return in Odoo, then resolve this job.",
            code="cancel_after_delivery",
            details={"order_id": str(payload.get("id")), "odoo_order_id": link.odoo_id, "pickings": shipped},
        )
    with ctx.call("odoo", "cancel_order"):
        ctx.odoo.cancel_order(link.odoo_id)
    updated_at = parse_shopify_timestamp(payload.get("updated_at"))
    extra = {"position": position} if position is not None else {}
    _save_link(ctx, str(payload["id"]), link.odoo_id, link.label, updated_at, cancelled=True, **extra)
    return {"outcome": "cancelled", "odoo_order_id": link.odoo_id, "written_at": timezone.now().isoformat()}


def _current_state(ctx: JobContext, order_id: str) -> dict[str, Any]:
    """Shopify's current state of an order (for an update or cancel that arrived before its create)."""
    with ctx.call("shopify", "fetch_order"):
        current = ctx.shopify.fetch_order_rest(order_id)
    if current is None:
        raise BusinessRuleError(
            f"Shopify order {order_id} no longer exists",
            code="shopify_order_missing",
            details={"order_id": order_id},
        )
    return dict(current)


def order_upsert(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    payload = job_payload(job)
    position = _position(job, payload)
    if job_topic(job) == "orders/edited" and "order_edit" in payload:
        payload = _current_state(ctx, str(payload["order_edit"]["order_id"]))
    order_id = str(payload["id"])
    updated_at = parse_shopify_timestamp(payload.get("updated_at"))
    link = _order_link(ctx, order_id)
    # A retry of this very job finds its own change recorded (the link is saved as soon as the order is
    # written) but perhaps not finished: not confirmed, invoiced or paid because an answer was lost or the
    # worker died. It goes through the update path, which reads Odoo's order and does what is left.
    resuming = job.attempts > 1 and _is_same_change(link, updated_at, position)
    if _is_stale(link, updated_at, position) and not resuming:
        assert link is not None
        return {
            "outcome": "stale",
            "odoo_order_id": link.odoo_id,
            "detail": f"payload updated_at {updated_at} (triggered {position['triggered_at']}, edit "
            f"{position['edit_id']}) is not newer than {link.source_updated_at} "
            f"({link.data.get('position')})",
        }
    if link is None:
        if job_topic(job) != "orders/create":
            payload = _current_state(ctx, order_id)
        payload = order_booking(ctx, payload, None)
        result = order_create(ctx, payload, position=position)
        if order_update_to_odoo(payload, ctx.mappings).changed_lines:
            # Booked from a state that already carries order edits (an update that arrived before its
            # create): the lines were created as ordered, so apply the edits as the update path would.
            created_link = _order_link(ctx, order_id)
            assert created_link is not None
            result["changed"] = order_update(ctx, payload, created_link, position=position)["changed"]
    else:
        payload = order_booking(ctx, payload, link)
        result = order_update(ctx, payload, link, position=position)
    if result.get("outcome") != "cancelled":
        booked_link = _order_link(ctx, order_id)
        if booked_link is not None and not booked_link.data.get("cancelled"):
            if result.get("hold"):
                # Held for a person (sync/flows/risk.py): a quotation is neither invoiced nor paid.
                result["cash"] = {"invoice": "waiting", "why": f"held: {result['hold']['status']}"}
            else:
                result["cash"] = order_to_cash(ctx, payload, booked_link)
            if result.pop("risk_recheck", False) and (
                risky := order_risk_recheck(ctx, order_id=order_id, link=booked_link)
            ):
                risky.details["result"] = result
                raise risky
    return result


def order_cancel(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    payload = job_payload(job)
    if problem := topic_shape_problem("orders/cancelled", payload, shop_domain=ctx.shop.domain):
        raise BusinessRuleError(
            f"not acted on: the body does not fit orders/cancelled: {problem}",
            code="topic_mismatch",
            key="orders/cancelled",
            details={"order_id": str(payload.get("id", ""))[:30]},
        )
    order_id = str(payload["id"])
    link = _order_link(ctx, order_id)
    if link is not None and link.data.get("cancelled"):
        return {"outcome": "already_cancelled", "odoo_order_id": link.odoo_id}
    # Shopify signs the body, not the topic: cancel only what Shopify itself says is cancelled now.
    current = _current_state(ctx, order_id)
    if not current.get("cancelled_at"):
        raise BusinessRuleError(
            f"not acted on: a cancellation arrived for order {payload.get('name') or order_id}, but Shopify "
            "says the order is not cancelled. Nothing was changed in Odoo.",
            code="cancel_not_confirmed",
            details={"order_id": order_id},
        )
    if link is None:
        # Cancelled before we booked it: book it as Shopify has it now (cancelled), which cancels it in Odoo.
        return order_create(ctx, order_booking(ctx, current, None), position=_position(job, payload))
    return order_cancel_in_odoo(ctx, current, link, position=_position(job, payload))


def order_backfill(job: SyncJob, ctx: JobContext) -> dict[str, Any]:
    """An order reconciliation found in Shopify and not in Odoo (its webhook was missed): booked from
    Shopify's current state, read now. If the late webhook got there first, the order is found (its link,
    or Odoo's ``client_order_ref`` look-up) and only newer state is applied: never a second order."""
    order_id = str((job.input or {}).get("order_id") or job.subject.split(":", 1)[-1])
    payload = _current_state(ctx, order_id)
    updated_at = parse_shopify_timestamp(payload.get("updated_at"))
    link = _order_link(ctx, order_id)
    if link is not None:
        if _is_stale(link, updated_at, {}):
            return {"outcome": "already_booked", "odoo_order_id": link.odoo_id}
        updated = order_update(ctx, order_booking(ctx, payload, link), link)
        updated.pop("risk_recheck", None)
        return {**updated, "backfill": "updated"}
    payload = order_booking(ctx, payload, None)
    result = order_create(ctx, payload)
    if order_update_to_odoo(payload, ctx.mappings).changed_lines:
        created_link = _order_link(ctx, order_id)
        assert created_link is not None
        result["changed"] = order_update(ctx, payload, created_link)["changed"]
    return {**result, "backfill": True}
