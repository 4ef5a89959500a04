"""Stock out, as people and Odoo ask for it: a full re-sync of a shop or some SKUs, "push now", and the
signed wake an Odoo automation rule calls (it only brings the next read of Odoo's stock changes forward;
nothing in its body is trusted)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied

from opsconsole.core.audit import audit_record
from opsconsole.core.permissions import allowed
from sync.engine.changes import changes_wake
from sync.engine.queue import JobSpec, job_create
from sync.kinds import KINDS
from sync.models import ShopifyShop, StockPeakMode, SyncJob

STOCK_STREAMS = ("stock.quant", "stock.move")
_WAKE_SALT = "opsconsole.odoo-wake"


def stock_resync(
    *, shop: ShopifyShop, skus: list[str] | None = None, actor: Any = None, request: Any = None
) -> SyncJob:
    """Push available to sell for every mapped SKU of the shop (or ``skus``), reading Shopify's values
    first instead of trusting what we last saw. ``actor`` None: the system (a command)."""
    if actor is not None and not allowed(actor, "act_on_jobs"):
        raise PermissionDenied("you may not re-sync stock")
    wanted = sorted({s.strip() for s in skus or [] if s.strip()})
    spec = {"skus": wanted, "refresh": True} if wanted else {"all": True, "refresh": True}
    label = ", ".join(wanted)[:100] if wanted else "every mapped SKU"
    job, _ = job_create(
        spec=JobSpec(
            kind="stock.push",
            flow=KINDS["stock.push"].flow,
            shop=shop,
            idempotency_key=f"stock:resync:{shop.pk}:{uuid.uuid4()}",
            subject="stock",
            subject_label=f"re-sync: {label}",
            input=spec,
        )
    )
    audit_record(
        action="stock.resync",
        actor=actor,
        object_type="shop",
        object_id=shop.pk,
        summary=f"stock re-sync of {label} for {shop.domain} (job {job.pk})",
        request=request,
    )
    return job


def odoo_wake_token(*, shop: ShopifyShop) -> str:
    """The token in the wake URL of a shop (signed with the secret key; a rotated key keeps old tokens
    working while it is in SECRET_KEY_FALLBACKS)."""
    return signing.Signer(salt=_WAKE_SALT).sign(str(shop.pk)).split(":", 1)[1]


def odoo_wake_path(*, shop: ShopifyShop) -> str:
    return f"/webhooks/odoo/{shop.pk}/wake/{odoo_wake_token(shop=shop)}"


def odoo_wake(*, shop_id: int, token: str, stream: str = "") -> int | None:
    """Bring the next read of the shop's stock changes forward (or of the one stream named, e.g. ``pickings``
    for an automation rule on validated deliveries). None: the token is wrong (or no such shop). Returns how
    many streams were woken (0 for a stream the shop does not follow)."""
    try:
        signing.Signer(salt=_WAKE_SALT).unsign(f"{shop_id}:{token}")
    except signing.BadSignature:
        return None
    if not ShopifyShop.objects.filter(pk=shop_id, active=True).exists():
        return None
    if stream:
        return changes_wake(shop_id=shop_id, stream=stream[:60])
    return sum(changes_wake(shop_id=shop_id, stream=name) for name in STOCK_STREAMS)


def stock_peak_set(*, shop: ShopifyShop, on: bool, actor: Any = None, request: Any = None) -> StockPeakMode:
    """Peak mode on or off by a person: the stock streams are read every 2 s and the shop's ``peak_buffer``
    is held back per SKU and location. Turning it off also ends an automatic peak. A re-sync follows, so that
    the buffer is applied (or given back) at once."""
    if actor is not None and not allowed(actor, "act_on_jobs"):
        raise PermissionDenied("you may not switch peak mode")
    row, _ = StockPeakMode.objects.update_or_create(
        shop=shop,
        defaults={
            "manual": on,
            "auto_until": None,
            "changed_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    audit_record(
        action="stock.peak_on" if on else "stock.peak_off",
        actor=actor,
        object_type="shop",
        object_id=shop.pk,
        summary=f"peak mode {'on' if on else 'off'} for {shop.domain}",
        request=request,
    )
    changes_wake(shop_id=shop.pk, stream="stock.quant")
    stock_resync(shop=shop, actor=actor, request=request)
    return row
