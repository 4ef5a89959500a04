"""Build a Problem (and its first activity row) for every cause that parks jobs today, and link the jobs.

The fingerprints are re-grained as the engine now makes them (sync/engine/classify.py): one problem per
cause, never per order — ``order_confirm_refused:<odoo id>`` becomes ``order_confirm_refused:
sale.order.action_confirm:<message family>``; Odoo refusals split by message family; an auth problem is
one per shop through the Problem's shop. The rules are copied here (a migration must not change when the
code does), and only ``apps.get_model`` is used. Jobs parked on an Odoo refusal before this migration
carry no model and method, so their problems keep the job kind in that place; later occurrences, which
name the call, make problems of their own.
"""

import re
from collections import defaultdict

from django.db import migrations
from django.utils import timezone

PARKED = ("needs_attention", "dead")

#: Codes whose key was the Odoo order id: the key becomes the Odoo call that refused.
REFUSED_CALLS = {
    "order_confirm_refused": "sale.order.action_confirm",
    "order_cancel_refused": "sale.order.action_cancel",
    "order_update_refused": "sale.order.write",
}
#: Codes whose key was an order id and that name no cause of their own: the key goes.
RECORD_KEYED = {
    "odoo_order_missing",
    "cancel_after_delivery",
    "shopify_order_missing",
    "shopify_order_not_found",
    "fulfillment_quantity",
}
#: Odoo refusals: grouped by message family as well.
ODOO_REFUSALS = {"odoo_validation", "odoo_user_error", "odoo_missing_record", *REFUSED_CALLS}

TOTAL_CAUSES = (
    ("add up to", "unbooked_amounts"),
    ("differs from the sum of its line tax_lines", "total_tax_not_line_sum"),
    ("rounds taxes globally", "global_tax_rounding"),
    ("tax computation differs", "tax_lines_off_rate"),
    ("Odoo's tax rounding differs", "tax_rounding"),
)

_QUOTED = re.compile(
    "'[^'\n]*'|\"[^\"\n]*\"|\u201c[^\u201d\n]*\u201d|\u2018[^\u2019\n]*\u2019|\u00ab[^\u00bb\n]*\u00bb"
)
_RECORDS = re.compile(r"\b([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)\([^)]*\)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NUMBER = re.compile(r"[-+]?\d+(?:[-.,:/]\d+)*")
_SPACE = re.compile(r"\s+")
_ODOO_PREFIX = re.compile(r"^Odoo [A-Za-z]+: ")


def message_family(message):
    text = _QUOTED.sub("…", message)
    text = _RECORDS.sub(r"\1()", text)
    text = _EMAIL.sub("…", text)
    text = _NUMBER.sub("#", text)
    return _SPACE.sub(" ", text).strip().lower()[:160]


def regrained(job):
    """(fingerprint, key) as the engine makes them now."""
    code, key = job.error_code, job.error_key
    if job.error_class == "AuthError":
        system = (job.fingerprint.split(":") + ["", ""])[1] or "unknown"
        return f"auth:{system}", key
    if code in REFUSED_CALLS:
        key = REFUSED_CALLS[code]
    elif code in RECORD_KEYED:
        key = ""
    elif code == "total_mismatch":
        key = "+".join(cause for text, cause in TOTAL_CAUSES if text in job.error_message) or "tax_rounding"
    if code in ODOO_REFUSALS:
        return f"{code}:{key or job.kind}:{message_family(_ODOO_PREFIX.sub('', job.error_message))}"[
            :300
        ], key
    if code and job.error_class == "BusinessRuleError":
        return (f"{code}:{key}" if key else f"{code}:{job.kind}")[:300], key
    return job.fingerprint or f"{job.error_class or 'Error'}:{job.kind}", key


TITLES = {
    "unknown_sku": "Unknown SKU {key}",
    "missing_sku": "Line item without SKU",
    "unknown_tax": "Unmapped tax {key}",
    "unknown_shipping_method": "Unmapped shipping method {key}",
    "unknown_gateway": "Unmapped payment gateway {key}",
    "unknown_location": "Unmapped location {key}",
    "shop_not_mapped": "Shop not mapped to an Odoo company",
    "total_mismatch": "Order total differs from Shopify",
    "tax_mismatch": "Tax differs from Shopify",
    "currency_mismatch": "Currency {key} does not match the shop",
    "auth": "Odoo refused our credentials",
    "odoo_validation": "Odoo validation error on {key}: {line}",
    "odoo_user_error": "Odoo refused {key}: {line}",
    "odoo_missing_record": "Odoo record missing for {key}: {line}",
    "order_confirm_refused": "Odoo refused to confirm the order: {line}",
    "order_cancel_refused": "Odoo refused to cancel the order: {line}",
    "order_update_refused": "Odoo refused to update the order: {line}",
    "cancel_after_delivery": "Cancelled in Shopify after Odoo delivered it",
    "odoo_order_missing": "The linked Odoo order is gone",
    "shopify_order_missing": "The Shopify order no longer exists",
    "unreadable_payload": "Unreadable webhook delivery ({key})",
    "worker_lost": "The job stops its worker ({key})",
}


def title(code, key, error_class, message, kind):
    odoo = _ODOO_PREFIX.sub("", message)
    line = odoo.strip().splitlines()[0][:120] if odoo.strip() else ""
    if code in TITLES:
        return TITLES[code].format(key=key or kind, line=line)[:300]
    if code:
        return f"{code.replace('_', ' ').capitalize()}{f' {key}' if key else ''}"[:300]
    return (f"{error_class or 'Error'}: {message[:80]}" if message else (error_class or "Error"))[:300]


def build(apps, schema_editor):
    SyncJob = apps.get_model("sync", "SyncJob")
    Problem = apps.get_model("sync", "Problem")
    ProblemActivity = apps.get_model("sync", "ProblemActivity")
    now = timezone.now()
    groups = defaultdict(list)
    for job in SyncJob.objects.filter(state__in=PARKED).order_by("created_at", "pk").iterator():
        fingerprint, key = regrained(job)
        groups[(job.shop_id, fingerprint)].append((job, key))
    for (shop_id, fingerprint), members in groups.items():
        latest, key = members[-1]
        snoozes = [job.snoozed_until for job, _ in members if job.snoozed_until and job.snoozed_until > now]
        code = latest.error_code or ("auth" if latest.error_class == "AuthError" else "")
        problem = Problem.objects.create(
            shop_id=shop_id,
            fingerprint=fingerprint,
            title=title(code, key, latest.error_class, latest.error_message, latest.kind),
            error_class=latest.error_class or "Error",
            error_code=code,
            error_key=key,
            message=latest.error_message,
            flow=latest.flow,
            finance=any(job.finance for job, _ in members),
            status="snoozed" if snoozes else "open",
            snooze_until=max(snoozes) if snoozes else None,
            times_seen=len(members),
            first_seen=members[0][0].created_at,
            last_seen=latest.created_at,
            status_changed_at=now,
        )
        ProblemActivity.objects.create(
            problem=problem,
            at=members[0][0].created_at,
            kind="first_seen",
            note="Built from the jobs parked before problems were records.",
            data={"jobs": len(members), "job": members[0][0].pk},
        )
        if snoozes:
            ProblemActivity.objects.create(
                problem=problem,
                at=now,
                kind="status",
                note="Its jobs were snoozed before problems were records.",
                data={"from": "open", "to": "snoozed", "until": max(snoozes).isoformat()},
            )
        for job, job_key in members:
            SyncJob.objects.filter(pk=job.pk).update(
                problem=problem, fingerprint=fingerprint, error_key=job_key
            )


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0007_problems_as_records"),
    ]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
