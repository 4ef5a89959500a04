"""What people do in the console. Every function checks the actor's permission and writes an audit entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from opsconsole.core.audit import audit_record
from opsconsole.core.permissions import allowed, require
from sync.models import PROBLEM_STATES, JobState, MappingChange, ShopifyShop, SyncJob
from sync.services.jobs import jobs_requeue
from sync.services.mappings import MappingRow, mapping_apply


def _can_act_on(user: Any, job: SyncJob) -> bool:
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
    if not allowed(actor, "act_on_jobs") and not allowed(actor, "act_on_finance"):
        raise PermissionDenied("replaying jobs needs the ops or finance role")
    jobs = _actionable(actor, job_ids)
    count = jobs_requeue(
        job_ids=[job.pk for job in jobs],
        states=(*PROBLEM_STATES, JobState.RETRYING, JobState.RESOLVED, JobState.IGNORED),
    )
    audit_record(
        action="job.replay",
        actor=actor,
        object_type="sync_job",
        object_id=",".join(str(j.pk) for j in jobs)[:128],
        summary=f"replayed {count} job(s)",
        after={"job_ids": [j.pk for j in jobs]},
        request=request,
    )
    return count


def problem_replay(*, actor: Any, fingerprint: str, request: Any = None) -> int:
    ids = list(
        SyncJob.objects.filter(fingerprint=fingerprint, state__in=PROBLEM_STATES).values_list("pk", flat=True)
    )
    return jobs_replay(actor=actor, job_ids=ids, request=request) if ids else 0


def _close(*, actor: Any, job_ids: list[int], state: str, note: str, action: str, request: Any) -> int:
    if not note.strip():
        raise ValidationError("say why in a note")
    jobs = _actionable(actor, job_ids)
    now = timezone.now()
    with transaction.atomic():
        count = SyncJob.objects.filter(pk__in=[j.pk for j in jobs], state__in=PROBLEM_STATES).update(
            state=state, closed_by=actor, closed_note=note, finished_at=now, updated_at=now
        )
        audit_record(
            action=action,
            actor=actor,
            object_type="sync_job",
            object_id=",".join(str(j.pk) for j in jobs)[:128],
            summary=note[:500],
            before={"states": {j.pk: j.state for j in jobs}},
            after={"state": state},
            request=request,
        )
    return count


def jobs_resolve(*, actor: Any, job_ids: list[int], note: str, request: Any = None) -> int:
    return _close(
        actor=actor,
        job_ids=job_ids,
        state=JobState.RESOLVED,
        note=note,
        action="job.resolve",
        request=request,
    )


def jobs_ignore(*, actor: Any, job_ids: list[int], note: str, request: Any = None) -> int:
    return _close(
        actor=actor, job_ids=job_ids, state=JobState.IGNORED, note=note, action="job.ignore", request=request
    )


def jobs_snooze(*, actor: Any, job_ids: list[int], until: datetime, request: Any = None) -> int:
    if until <= timezone.now():
        raise ValidationError("snooze until a time in the future")
    jobs = _actionable(actor, job_ids)
    count = SyncJob.objects.filter(pk__in=[j.pk for j in jobs], state__in=PROBLEM_STATES).update(
        snoozed_until=until, updated_at=timezone.now()
    )
    audit_record(
        action="job.snooze",
        actor=actor,
        object_type="sync_job",
        object_id=",".join(str(j.pk) for j in jobs)[:128],
        summary=f"snoozed until {until:%Y-%m-%d %H:%M}",
        after={"until": until.isoformat()},
        request=request,
    )
    return count


def payload_reveal(*, actor: Any, job: SyncJob, request: Any = None) -> dict[str, Any] | None:
    require(actor, "reveal_customer_data")
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
    *, actor: Any, shop: ShopifyShop, rows: list[MappingRow], summary: str, request: Any = None
) -> MappingChange:
    require(actor, "propose_mapping")
    if not rows:
        raise ValidationError("a change needs at least one row")
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


def _decidable(actor: Any, change: MappingChange, verb: str) -> MappingChange:
    """The proposal, locked, once checked that ``actor`` may decide it (maker-checker). In a transaction."""
    require(actor, "approve_mapping")
    change = MappingChange.objects.select_for_update().get(pk=change.pk)
    if change.state != MappingChange.State.PROPOSED:
        raise ValidationError(f"this change is already {change.state}")
    if change.proposed_by_id == actor.pk:
        raise PermissionDenied(f"a change must be {verb} by someone other than its proposer")
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
        version = mapping_apply(shop=change.shop, rows=rows, change=change)
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
    from sync.models import MappingEntry

    require(actor, "propose_mapping")
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
    )


#: CSV columns of a SKU import; product_id is required, the rest optional.
SKU_CSV_COLUMNS = ("sku", "product_id", "default_code")


def mapping_rows_from_csv(*, text: str) -> list[MappingRow]:
    """Parse ``sku,product_id[,default_code]`` rows (a header line is optional). An empty product_id deletes
    the mapping. Raises ValidationError naming every bad line, and nothing is proposed."""
    import csv
    import io

    rows: list[MappingRow] = []
    errors: list[str] = []
    seen: set[str] = set()
    reader = csv.reader(io.StringIO(text.strip()))
    for number, record in enumerate(reader, start=1):
        cells = [c.strip() for c in record]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() == "sku":
            continue
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
            errors.append(f"line {number}: product_id {product!r} is not a number")
            continue
        value: dict[str, Any] | None = None
        if product:
            value = {"product_id": int(product)}
            if code:
                value["default_code"] = code
        rows.append(MappingRow(table="sku", key=sku, value=value))
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError("the file has no SKU rows")
    return rows


def mapping_import_csv(*, actor: Any, shop: ShopifyShop, text: str, request: Any = None) -> MappingChange:
    """Many SKU rows proposed as one change."""
    require(actor, "propose_mapping")
    rows = mapping_rows_from_csv(text=text)
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
    from sync.services.clients import shopify_client_for

    require(actor, "manage_connections")
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
