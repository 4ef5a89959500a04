"""Alerts: rules evaluated every minute (django-q2 schedule ``sync.alerts``), deduplicated per shop, rule
and key (one firing alert at a time), resolved when the condition clears, and sent by e-mail (Django's
mail backend) and to a Slack-compatible webhook URL when they fire and when they resolve.

Rules (thresholds per shop in ``AlertSettings``, defaults in ``AlertSettings.DEFAULTS``):

| rule | fires when | key |
|---|---|---|
| ``parked_jobs`` | a flow's parked (needs_attention) and dead jobs reach ``parked_threshold`` | flow |
| ``flow_stalled`` | a flow's events keep arriving, none of its jobs succeeded for ``stall_minutes`` | flow |
| ``oldest_waiting`` | a flow's oldest queued / retrying job is older than ``oldest_waiting_minutes`` | flow |
| ``webhooks_missing`` | a required webhook subscription is missing at the shop's callback URL | — |
| ``worker_heartbeat`` | no worker beat for ``heartbeat_minutes`` (not per shop) | — |
| ``api_version`` | the shop's API version is removed within ``api_version_days`` (or was) | version |
| hooks | ``ALERT_RULE_HOOKS``: more rules (reconciliation differences, when reconciliation runs) | — |
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from opsconsole.core.audit import audit_record
from opsconsole.core.models import WorkerHeartbeat
from opsconsole.core.permissions import require
from sync.kinds import subscription_topics
from sync.models import Alert, AlertSettings, JobState, ShopifyShop, SyncJob
from sync.selectors.access import require_shop

logger = logging.getLogger("sync.alerts")

WEBHOOK_TIMEOUT_SECONDS = 5.0
WAITING = (JobState.QUEUED, JobState.RETRYING)
PARKED = (JobState.NEEDS_ATTENTION, JobState.DEAD)


@dataclass(frozen=True)
class Condition:
    """A rule whose condition holds now, for one shop (None: every shop) and key."""

    rule: str
    key: str
    title: str
    detail: str
    value: float | None = None
    threshold: float | None = None
    shop_id: int | None = None


#: More rules, each ``(shop, settings, now) -> list[Condition]``: e.g. reconciliation differences, which
#: the reconciliation app adds when it has runs to report.
ALERT_RULE_HOOKS: list[Callable[[ShopifyShop, AlertSettings, datetime], list[Condition]]] = []


def alert_settings_for(shop: ShopifyShop) -> AlertSettings:
    found = AlertSettings.objects.filter(shop=shop).first()
    return found or AlertSettings(shop=shop, **AlertSettings.DEFAULTS)


# -- rules -------------------------------------------------------------------------------------------------


def _parked_jobs(shop: ShopifyShop, cfg: AlertSettings, now: datetime) -> list[Condition]:
    rows = (
        SyncJob.objects.filter(shop=shop, state__in=PARKED)
        .values("flow")
        .annotate(n=Count("pk"))
        .order_by("flow")
    )
    return [
        Condition(
            rule="parked_jobs",
            key=row["flow"],
            title=f"{row['n']} {row['flow']} jobs parked or dead on {shop.domain}",
            detail=f"{row['n']} jobs of the {row['flow']} flow need a person "
            f"(threshold {cfg.parked_threshold}).",
            value=row["n"],
            threshold=cfg.parked_threshold,
        )
        for row in rows
        if row["n"] >= cfg.parked_threshold
    ]


def _flow_stalled(shop: ShopifyShop, cfg: AlertSettings, now: datetime) -> list[Condition]:
    """Since the flow's first arrival after its last success, ``stall_minutes`` have passed without a
    success, and events still arrive (one in the last ``stall_minutes``)."""
    window = timedelta(minutes=cfg.stall_minutes)
    found = []
    recent = (
        SyncJob.objects.filter(shop=shop, created_at__gte=now - window)
        .values_list("flow", flat=True)
        .distinct()
    )
    for flow in sorted(set(recent)):
        last_success = (
            SyncJob.objects.filter(shop=shop, flow=flow, state=JobState.SUCCEEDED)
            .order_by("-created_at")
            .values_list("finished_at", flat=True)
            .first()
        )
        arrivals = SyncJob.objects.filter(shop=shop, flow=flow)
        if last_success is not None:
            arrivals = arrivals.filter(created_at__gt=last_success)
        first = arrivals.aggregate(first=Min("created_at"))["first"]
        if first is not None and now - first >= window:
            minutes = int((now - first).total_seconds() // 60)
            found.append(
                Condition(
                    rule="flow_stalled",
                    key=flow,
                    title=f"{flow} stalled on {shop.domain}: no success for {minutes} min",
                    detail=(
                        f"Events keep arriving for the {flow} flow, but none of its jobs succeeded since "
                        f"{first:%Y-%m-%d %H:%M} UTC (threshold {cfg.stall_minutes} min)."
                    ),
                    value=minutes,
                    threshold=cfg.stall_minutes,
                )
            )
    return found


def _oldest_waiting(shop: ShopifyShop, cfg: AlertSettings, now: datetime) -> list[Condition]:
    rows = (
        SyncJob.objects.filter(shop=shop, state__in=WAITING)
        .values("flow")
        .annotate(first=Min("created_at"))
        .order_by("flow")
    )
    found = []
    for row in rows:
        minutes = (now - row["first"]).total_seconds() / 60
        if minutes >= cfg.oldest_waiting_minutes:
            found.append(
                Condition(
                    rule="oldest_waiting",
                    key=row["flow"],
                    title=f"{row['flow']} backlog on {shop.domain}: oldest job waits {int(minutes)} min",
                    detail=f"The oldest waiting {row['flow']} job is {int(minutes)} minutes old "
                    f"(threshold {cfg.oldest_waiting_minutes}).",
                    value=round(minutes, 1),
                    threshold=cfg.oldest_waiting_minutes,
                )
            )
    return found


def _webhooks_missing(shop: ShopifyShop, cfg: AlertSettings, now: datetime) -> list[Condition]:
    if not shop.webhook_callback_url or shop.webhooks_checked_at is None or shop.uninstalled_at:
        return []
    present = set(shop.webhook_topics or [])
    missing = [t for t in subscription_topics() if t not in present]
    if not missing:
        return []
    return [
        Condition(
            rule="webhooks_missing",
            key="",
            title=f"{len(missing)} webhook subscriptions missing on {shop.domain}",
            detail=f"Missing at {shop.webhook_callback_url}: {', '.join(missing)}. The sweep registers them "
            "again; if this stays, check the app's access scopes (docs/runbooks.md).",
            value=len(missing),
        )
    ]


def api_version_removal(version: str) -> date | None:
    """When Shopify stops supporting a stable version: twelve months after its release (YYYY-MM, released
    on the first of that month; shopify.dev, "About Shopify API versioning")."""
    try:
        year, month = (int(part) for part in version.split("-"))
    except ValueError:
        return None
    return date(year + 1, month, 1)


def _api_version(shop: ShopifyShop, cfg: AlertSettings, now: datetime) -> list[Condition]:
    removal = api_version_removal(shop.api_version)
    if removal is None:
        return []
    days = (removal - now.date()).days
    fell_forward = bool(shop.api_version_seen) and shop.api_version_seen != shop.api_version
    if days > cfg.api_version_days and not fell_forward:
        return []
    when = f"was removed on {removal}" if days <= 0 else f"is removed on {removal} ({days} days)"
    served = f"; Shopify already answers with {shop.api_version_seen}" if fell_forward else ""
    return [
        Condition(
            rule="api_version",
            key=shop.api_version,
            title=f"Shopify API version {shop.api_version} of {shop.domain} {when}",
            detail=f"Move the connection to a newer version (connect_shopify --api-version){served}.",
            value=days,
            threshold=cfg.api_version_days,
        )
    ]


SHOP_RULES: list[Callable[[ShopifyShop, AlertSettings, datetime], list[Condition]]] = [
    _parked_jobs,
    _flow_stalled,
    _oldest_waiting,
    _webhooks_missing,
    _api_version,
]


def _worker_heartbeat(minutes: int, now: datetime) -> list[Condition]:
    newest = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    if newest is not None and now - newest < timedelta(minutes=minutes):
        return []
    since = f"since {newest:%Y-%m-%d %H:%M} UTC" if newest else "ever"
    return [
        Condition(
            rule="worker_heartbeat",
            key="",
            title=f"No worker heartbeat {since}",
            detail=f"No django-q2 worker has run a task for {minutes} minutes: jobs are not being run. "
            "Check the worker hosts (docs/deployment.md).",
            value=round((now - newest).total_seconds() / 60, 1) if newest else None,
            threshold=minutes,
        )
    ]


# -- evaluation ----------------------------------------------------------------------------------------


@dataclass
class EvaluationReport:
    fired: int = 0
    resolved: int = 0
    still_firing: int = 0
    retried: int = 0


def alerts_evaluate(*, now: datetime | None = None) -> EvaluationReport:
    """Evaluate every rule once: new conditions fire (and notify), held ones are refreshed, cleared ones
    resolve (and notify). Safe to run twice or on two workers at once (one firing alert per key)."""
    now = now or timezone.now()
    shops = list(ShopifyShop.objects.filter(active=True).order_by("pk"))
    configs = {shop.pk: alert_settings_for(shop) for shop in shops}
    holding: list[Condition] = []
    for shop in shops:
        for rule in [*SHOP_RULES, *ALERT_RULE_HOOKS]:
            for condition in rule(shop, configs[shop.pk], now):
                holding.append(_with_shop(condition, shop.pk))
    heartbeat_minutes = min((c.heartbeat_minutes for c in configs.values()), default=5)
    if shops:
        holding.extend(_worker_heartbeat(heartbeat_minutes, now))

    report = EvaluationReport()
    notified: set[int] = set()  # sent in this evaluation: not retried in it
    held = {(c.shop_id, c.rule, c.key): c for c in holding}
    firing = {(a.shop_id, a.rule, a.key): a for a in Alert.objects.filter(status=Alert.Status.FIRING)}
    for ident, condition in held.items():
        alert = firing.get(ident)
        if alert is not None:
            Alert.objects.filter(pk=alert.pk).update(
                last_seen_at=now, value=condition.value, title=condition.title, detail=condition.detail
            )
            report.still_firing += 1
            continue
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    shop_id=condition.shop_id,
                    rule=condition.rule,
                    key=condition.key,
                    title=condition.title[:255],
                    detail=condition.detail,
                    value=condition.value,
                    threshold=condition.threshold,
                    fired_at=now,
                    last_seen_at=now,
                )
        except IntegrityError:
            continue  # another worker fired it a moment ago: it notifies
        report.fired += 1
        logger.warning("alert.fired", extra={"rule": alert.rule, "key": alert.key, "shop": alert.shop_id})
        _notify(alert, "firing", configs)
        notified.add(alert.pk)
    for ident, alert in firing.items():
        if ident in held:
            continue
        resolved = Alert.objects.filter(pk=alert.pk, status=Alert.Status.FIRING).update(
            status=Alert.Status.RESOLVED, resolved_at=now
        )
        if resolved:
            alert.refresh_from_db()
            report.resolved += 1
            logger.info("alert.resolved", extra={"rule": alert.rule, "key": alert.key, "shop": alert.shop_id})
            _notify(alert, "resolved", configs)
            notified.add(alert.pk)
    report.retried = _failed_sends_retry(now, configs, skip=notified)
    return report


def _with_shop(condition: Condition, shop_id: int) -> Condition:
    return Condition(**{**condition.__dict__, "shop_id": shop_id})


# -- notifications -------------------------------------------------------------------------------------


def _targets(alert: Alert, configs: dict[int, AlertSettings]) -> tuple[list[str], list[str]]:
    chosen = [configs[alert.shop_id]] if alert.shop_id in configs else list(configs.values())
    emails = sorted({e for cfg in chosen for e in cfg.recipients()})
    hooks = sorted({cfg.webhook_url for cfg in chosen if cfg.webhook_url})
    return emails, hooks


def _message(alert: Alert, event: str) -> tuple[str, str]:
    mark = "RESOLVED" if event == "resolved" else "FIRING"
    subject = f"[opsconsole] {mark}: {alert.title}"
    lines = [alert.detail, "", f"Rule: {alert.rule}{f' ({alert.key})' if alert.key else ''}"]
    lines.append(f"Fired: {alert.fired_at:%Y-%m-%d %H:%M} UTC")
    if alert.resolved_at:
        lines.append(f"Resolved: {alert.resolved_at:%Y-%m-%d %H:%M} UTC")
    base = getattr(settings, "CONSOLE_BASE_URL", "")
    if base:
        lines.append(f"Alerts: {base.rstrip('/')}/alerts/")
    return subject, "\n".join(lines)


#: A send that failed is tried again at the next evaluations, this many sends in all per target and event.
MAX_SENDS = 3
#: Resolved alerts are looked at for a failed send this long after they resolved.
RESEND_WINDOW = timedelta(days=1)


def _hook_target(url: str) -> str:
    # Slack-style webhook URLs are secrets: the record names a digest, never the URL.
    return "webhook:" + hashlib.sha256(url.encode()).hexdigest()[:12]


def _notify(
    alert: Alert, event: str, configs: dict[int, AlertSettings], *, only: set[str] | None = None
) -> None:
    """Send ``event`` (firing / resolved) to every target of the alert (or to the targets in ``only``)
    and record each send on the alert: channel, target, event, ok or the error."""
    emails, hooks = _targets(alert, configs)
    subject, body = _message(alert, event)
    sent: list[dict[str, Any]] = []
    at = datetime.now(UTC).isoformat()
    if emails and (only is None or "email" in only):
        entry = {"channel": "email", "target": "email", "event": event, "at": at}
        try:
            send_mail(subject, body, None, emails, fail_silently=False)
            sent.append({**entry, "ok": True, "to": len(emails)})
        except Exception as exc:  # noqa: BLE001 - a mail server that fails is recorded, not raised
            sent.append({**entry, "ok": False, "error": type(exc).__name__})
    for url in hooks:
        target = _hook_target(url)
        if only is not None and target not in only:
            continue
        entry = {"channel": "webhook", "target": target, "event": event, "at": at}
        try:
            resp = requests.post(
                url,
                data=json.dumps({"text": f"{subject}\n{body}"}),
                headers={"Content-Type": "application/json"},
                timeout=WEBHOOK_TIMEOUT_SECONDS,
            )
            sent.append({**entry, "ok": resp.ok, "status": resp.status_code})
        except requests.RequestException as exc:
            sent.append({**entry, "ok": False, "error": type(exc).__name__})
    if sent:
        alert.notifications = [*alert.notifications, *sent]
        Alert.objects.filter(pk=alert.pk).update(notifications=alert.notifications)


def _failed_sends_retry(now: datetime, configs: dict[int, AlertSettings], *, skip: set[int]) -> int:
    """Send again what failed (a mail server or a webhook that was down), up to MAX_SENDS per target and
    event; only while the alert is in that state (a firing message is not sent once it resolved)."""
    retried = 0
    recent = Q(status=Alert.Status.FIRING) | Q(resolved_at__gte=now - RESEND_WINDOW)
    for alert in Alert.objects.filter(recent).exclude(pk__in=skip).order_by("pk"):
        event = "resolved" if alert.status == Alert.Status.RESOLVED else "firing"
        tries: dict[str, list[bool]] = {}
        for entry in alert.notifications:
            if entry.get("event") == event:
                tries.setdefault(entry.get("target") or entry.get("channel", ""), []).append(
                    bool(entry.get("ok"))
                )
        again = {target for target, oks in tries.items() if not any(oks) and len(oks) < MAX_SENDS}
        if again:
            _notify(alert, event, configs, only=again)
            retried += 1
    return retried


# -- settings ------------------------------------------------------------------------------------------

SETTING_FIELDS = ("emails", "webhook_url", *AlertSettings.DEFAULTS)


def alert_settings_update(
    *, actor: Any, shop: ShopifyShop, values: dict[str, Any], request: Any = None
) -> AlertSettings:
    """Change a shop's recipients and thresholds (integration admins; audited with before and after)."""
    require(actor, "manage_connections")
    require_shop(actor, shop.pk)
    current = alert_settings_for(shop)
    before = {name: getattr(current, name) for name in SETTING_FIELDS}
    for name in SETTING_FIELDS:
        if name in values:
            setattr(current, name, values[name])
    current.full_clean(exclude=["shop"])
    current.save()
    after = {name: getattr(current, name) for name in SETTING_FIELDS}
    changed = sorted(name for name in SETTING_FIELDS if before[name] != after[name])
    audit_record(
        action="alerts.settings_changed",
        actor=actor,
        request=request,
        object_type="shopify_shop",
        object_id=shop.pk,
        summary=f"alert settings of {shop.domain}: {', '.join(changed) or 'nothing'} changed",
        before=before,
        after=after,
    )
    return current
