"""What people do in the console. Every function checks the actor's permission and writes an audit entry."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from opsconsole.core.audit import audit_record
from opsconsole.core.grants import permission_held_since
from opsconsole.core.permissions import allowed, require
from sync.engine.clients import shopify_client_for
from sync.engine.problems import problem_activity
from sync.engine.replay import jobs_requeue
from sync.models import (
    PROBLEM_STATES,
    JobState,
    MappingChange,
    MappingEntry,
    MappingTable,
    Problem,
    ProblemActivity,
    ShopifyShop,
    SyncJob,
)
from sync.selectors.access import require_shop, shop_visible
from sync.services.mappings import MappingRow, mapping_apply, mapping_rows_merged
from sync.transforms.bundles import bundle_rule_parse
from sync.transforms.currency import currency_mapping_errors


def _can_act_on(user: Any, job: SyncJob) -> bool:
    if not shop_visible(user, job.shop_id):
        return False
    return allowed(user, "act_on_jobs") or (job.finance and allowed(user, "act_on_finance"))


def _actionable(user: Any, job_ids: list[int]) -> list[SyncJob]:
    jobs = list(SyncJob.objects.filter(pk__in=job_ids))
    if not jobs:
        return []
    refused = [job.pk for job in jobs if not _can_act_on(user, job)]
    if refused:
        raise PermissionDenied(f"you may not act on job(s) {', '.join(map(str, refused))}")
    return jobs


def jobs_replay(*, actor: Any, job_ids: list[int], request: Any = None) -> int:
    """Replay single jobs (from the job page, a problem's rows), closed ones included. Each replay is noted
    on the job's problem."""
    if not allowed(actor, "act_on_jobs") and not allowed(actor, "act_on_finance"):
        raise PermissionDenied("replaying jobs needs the ops or finance role")
    jobs = _actionable(actor, job_ids)
    requeued = jobs_requeue(
        job_ids=[job.pk for job in jobs],
        states=(*PROBLEM_STATES, JobState.RETRYING, JobState.RESOLVED, JobState.IGNORED),
    )
    by_problem: dict[int, list[int]] = {}
    for job in jobs:
        if job.problem_id is not None and job.pk in requeued:
            by_problem.setdefault(job.problem_id, []).append(job.pk)
    for problem in Problem.objects.filter(pk__in=by_problem):
        problem_activity(
            problem=problem,
            kind=ProblemActivity.Kind.REPLAYED,
            actor=actor,
            data={"jobs": by_problem[problem.pk], "count": len(by_problem[problem.pk])},
        )
    audit_record(
        action="job.replay",
        actor=actor,
        object_type="sync_job",
        object_id=",".join(str(j.pk) for j in jobs)[:128],
        summary=f"replayed {len(requeued)} job(s)",
        after={"job_ids": [j.pk for j in jobs]},
        request=request,
    )
    return len(requeued)


def payload_reveal(*, actor: Any, job: SyncJob, request: Any = None) -> dict[str, Any] | None:
    require(actor, "reveal_customer_data")
    require_shop(actor, job.shop_id)
    audit_record(
        action="payload.reveal",
        actor=actor,
        object_type="sync_job",
        object_id=job.pk,
        summary=f"revealed the customer data of job {job.pk} ({job.subject_label or job.subject})",
        request=request,
    )
    return job.event.payload if job.event is not None else (job.input or {}).get("payload")


# ------------------------------------------------------------------------------------------- mappings


def mapping_propose(
    *,
    actor: Any,
    shop: ShopifyShop,
    rows: list[MappingRow],
    summary: str,
    request: Any = None,
    merge: bool = True,
) -> MappingChange:
    require(actor, "propose_mapping")
    require_shop(actor, shop.pk)
    if not rows:
        raise ValidationError("a change needs at least one row")
    if merge:  # an edit keeps the current entry's fields it does not name (removed only explicitly)
        rows = mapping_rows_merged(shop=shop, rows=rows)
    mapping_rows_check(rows)
    change = MappingChange.objects.create(
        shop=shop,
        summary=summary[:300],
        proposed_by=actor,
        rows=[{"table": r.table, "key": r.key, "value": r.value} for r in rows],
    )
    audit_record(
        action="mapping.propose",
        actor=actor,
        object_type="mapping_change",
        object_id=change.pk,
        summary=summary[:500],
        after={"rows": change.rows},
        request=request,
    )
    return change


def mapping_rows_check(rows: list[MappingRow]) -> None:
    """Rows whose meaning is more than their fields' types are checked before anyone can approve them:
    a bundle rule must be one the order flow can book (sync/transforms/bundles.py), a gift-card product an
    Odoo id, a currency rule one of ``book_currency``'s and a pricelist row keyed by a currency code.
    ValidationError naming each bad row; nothing is proposed."""
    errors = []
    for row in rows:
        if row.value is None:
            continue
        # the shop's book_currency rule and the currency -> pricelist rows (sync/transforms/currency.py)
        errors.extend(currency_mapping_errors(row.table, row.key, row.value))
        if row.table == MappingTable.BUNDLE:
            try:
                bundle_rule_parse(row.value)
            except ValueError as exc:
                errors.append(f"bundle {row.key}: {exc}")
        if row.table == MappingTable.SHOP and row.value.get("gift_card_product_id") is not None:
            product = row.value["gift_card_product_id"]
            if isinstance(product, bool) or not isinstance(product, int) or not 0 < product < 2**31:
                errors.append(f"shop {row.key}: gift_card_product_id must be an Odoo product id")
    if errors:
        raise ValidationError(errors)


def _decidable(actor: Any, change: MappingChange, verb: str) -> MappingChange:
    """The proposal, locked, once checked that ``actor`` may decide it (maker-checker). In a transaction."""
    require(actor, "approve_mapping")
    change = MappingChange.objects.select_for_update().get(pk=change.pk)
    require_shop(actor, change.shop_id)
    if change.state != MappingChange.State.PROPOSED:
        raise ValidationError(f"this change is already {change.state}")
    if change.proposed_by_id == actor.pk:
        raise PermissionDenied(f"a change must be {verb} by someone other than its proposer")
    # An approver made (or given the permission) after the proposal could be the proposer's own creature:
    # a superuser cannot make a second admin to approve their change.
    since = permission_held_since(user=actor, codename="approve_mapping")
    if since is None or since >= change.proposed_at:
        raise PermissionDenied(
            f"a change can be {verb} only by someone who could approve changes before it was proposed"
        )
    return change


def _decided(change: MappingChange, *, actor: Any, state: str, note: str) -> None:
    change.state = state
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.decision_note = note


def mapping_approve(*, actor: Any, change: MappingChange, note: str = "", request: Any = None) -> int:
    with transaction.atomic():
        change = _decidable(actor, change, "approved")
        rows = [MappingRow(table=r["table"], key=r["key"], value=r["value"]) for r in change.rows]
        version = mapping_apply(shop=change.shop, rows=rows, change=change, actor=actor)
        _decided(change, actor=actor, state=MappingChange.State.APPROVED, note=note)
        change.version = version
        change.save()
        audit_record(
            action="mapping.approve",
            actor=actor,
            object_type="mapping_change",
            object_id=change.pk,
            summary=f"approved '{change.summary}' as mapping version {version}",
            after={"version": version},
            request=request,
        )
    return version


def mapping_reject(*, actor: Any, change: MappingChange, note: str, request: Any = None) -> None:
    with transaction.atomic():
        change = _decidable(actor, change, "rejected")
        _decided(change, actor=actor, state=MappingChange.State.REJECTED, note=note)
        change.save()
        audit_record(
            action="mapping.reject",
            actor=actor,
            object_type="mapping_change",
            object_id=change.pk,
            summary=note[:500],
            request=request,
        )


def mapping_rollback(
    *, actor: Any, shop: ShopifyShop, table: str, key: str, version: int, request: Any = None
) -> MappingChange:
    """Propose the value an entry had at ``version`` (or its deletion, if it did not exist then)."""
    require(actor, "propose_mapping")
    require_shop(actor, shop.pk)
    entry = (
        MappingEntry.objects.filter(shop=shop, table=table, key=key, valid_from__lte=version)
        .exclude(valid_to__lte=version)
        .first()
    )
    value = entry.value if entry is not None else None
    return mapping_propose(
        actor=actor,
        shop=shop,
        rows=[MappingRow(table=table, key=key, value=value)],
        summary=f"Roll back {table} {key} to version {version}",
        request=request,
        merge=False,  # the entry exactly as it was
    )


#: CSV columns of a SKU import; product_id is required, the rest optional.
SKU_CSV_COLUMNS = ("sku", "product_id", "default_code")


def mapping_rows_from_csv(
    *, text: str | None = None, lines: Iterable[str] | None = None, max_rows: int | None = None
) -> list[MappingRow]:
    """Parse ``sku,product_id[,default_code]`` rows (a header line is optional) from ``text`` or, streamed,
    from ``lines`` (an uploaded file). An empty product_id deletes the mapping. More than ``max_rows`` rows
    (settings.MAPPING_IMPORT_MAX_ROWS) stops the reading at once. Raises ValidationError naming the bad
    lines (the first 50), and nothing is proposed."""
    limit = max_rows if max_rows is not None else settings.MAPPING_IMPORT_MAX_ROWS
    rows: list[MappingRow] = []
    errors: list[str] = []
    seen: set[str] = set()
    source: Iterable[str] = lines if lines is not None else io.StringIO((text or "").strip())
    try:
        for number, record in enumerate(csv.reader(source), start=1):
            cells = [c.strip() for c in record]
            if not any(cells):
                continue
            if number == 1 and cells[0].lower().lstrip("\ufeff") == "sku":
                continue
            if len(rows) + len(errors) >= limit:
                raise ValidationError(
                    f"the file has more than {limit} rows; split it into files of at most {limit} rows"
                )
            sku = cells[0]
            product = cells[1] if len(cells) > 1 else ""
            code = cells[2] if len(cells) > 2 else ""
            if not sku:
                errors.append(f"line {number}: the SKU is empty")
                continue
            if sku in seen:
                errors.append(f"line {number}: SKU {sku} appears twice")
                continue
            seen.add(sku)
            if product and not product.isdigit():
                errors.append(f"line {number}: product_id {product[:40]!r} is not a number")
                continue
            value: dict[str, Any] | None = None
            if product:
                value = {"product_id": int(product)}
                if code:
                    value["default_code"] = code
            rows.append(MappingRow(table="sku", key=sku, value=value))
    except csv.Error as exc:
        raise ValidationError(f"the file is not a CSV this import can read: {exc}") from None
    if errors:
        more = f" (and {len(errors) - 50} more)" if len(errors) > 50 else ""
        raise ValidationError([*errors[:50], *([more.strip()] if more else [])])
    if not rows:
        raise ValidationError("the file has no SKU rows")
    return rows


def mapping_import_csv(
    *,
    actor: Any,
    shop: ShopifyShop,
    text: str | None = None,
    lines: Iterable[str] | None = None,
    request: Any = None,
    check: Callable[[list[MappingRow]], list[str]] | None = None,
) -> MappingChange:
    """Many SKU rows proposed as one change (``text`` from the form, or ``lines`` streamed from a file).
    ``check`` names what is wrong with the parsed rows (the Odoo ids, asked in Odoo): anything, and nothing
    is proposed (ValidationError with the first 50)."""
    require(actor, "propose_mapping")
    rows = mapping_rows_from_csv(text=text, lines=lines)
    problems = check(rows) if check is not None else []
    if problems:
        more = [f"… and {len(problems) - 50} more"] if len(problems) > 50 else []
        raise ValidationError([*problems[:50], *more])
    return mapping_propose(
        actor=actor,
        shop=shop,
        rows=rows,
        summary=f"Import {len(rows)} SKU mapping{'s' if len(rows) != 1 else ''} from CSV",
        request=request,
    )


# ----------------------------------------------------------------------------------------- connections


def shop_webhooks_check(*, actor: Any, shop: ShopifyShop, request: Any = None) -> list[str]:
    """Ask Shopify which webhook topics are subscribed at our callback URL and store it for the health
    panels. Returns the topics present."""
    require(actor, "manage_connections")
    require_shop(actor, shop.pk)
    before = list(shop.webhook_topics or [])
    subscriptions = shopify_client_for(shop).list_webhook_subscriptions()
    callback = shop.webhook_callback_url
    present = sorted({s.topic for s in subscriptions if not callback or s.callback_url == callback})
    now = timezone.now()
    ShopifyShop.objects.filter(pk=shop.pk).update(
        webhook_topics=present, webhooks_checked_at=now, last_success_at=now
    )
    audit_record(
        action="connection.check_webhooks",
        actor=actor,
        object_type="shopify_shop",
        object_id=shop.pk,
        summary=f"checked the webhook subscriptions of {shop.domain}: {len(present)} present",
        before={"topics": before},
        after={"topics": present},
        request=request,
    )
    return present
