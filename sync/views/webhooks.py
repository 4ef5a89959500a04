"""POST /webhooks/shopify: authenticated by HMAC only (no session, no CSRF), answered within milliseconds."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from opsconsole.core.metrics import WEBHOOKS
from sync.models import RejectedDelivery
from sync.services.inbox import HEADER_NAMES, headers_capped, record_rejection, webhook_receive

#: Where WSGI puts each header (``HTTP_`` and the name upper-cased, dashes as underscores, whatever case the
#: client sent: HTTP/2 lower-cases header names): request.headers would build a mapping of every header
#: on each request to read these seven.
_META_KEYS = {short: "HTTP_" + name.upper().replace("-", "_") for short, name in HEADER_NAMES.items()}
#: The answers to Shopify, as JsonResponse would write them, made once.
_ANSWERS = {outcome: json.dumps({"status": outcome}).encode() for outcome in ("stored", "duplicate")}


def _headers(request: HttpRequest) -> dict[str, str]:
    meta = request.META
    return headers_capped({short: meta.get(key, "") for short, key in _META_KEYS.items()})


def _read_limited(request: HttpRequest, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit``. Never reads more than limit + 1 bytes, whatever
    Content-Length claims (missing, understated or chunked)."""
    declared = request.META.get("CONTENT_LENGTH")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    while size <= limit:
        chunk = request.read(min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    body = b"".join(chunks)
    return None if len(body) > limit else body


@csrf_exempt
@login_not_required
@require_POST
def shopify_webhook(request: HttpRequest) -> HttpResponse:
    headers = _headers(request)
    remote = request.META.get("REMOTE_ADDR")
    body = _read_limited(request, settings.WEBHOOK_MAX_BODY_BYTES)
    if body is None:
        record_rejection(
            reason=RejectedDelivery.Reason.TOO_LARGE,
            headers=headers,
            body=None,
            size=int(request.META.get("CONTENT_LENGTH") or 0) or None,
            remote_addr=remote,
        )
        WEBHOOKS.labels(outcome=f"rejected:{RejectedDelivery.Reason.TOO_LARGE}").inc()
        return JsonResponse({"error": "payload too large"}, status=413)
    receipt = webhook_receive(headers=headers, body=body, remote_addr=remote)
    WEBHOOKS.labels(outcome=receipt.outcome).inc()
    if receipt.status != 200:
        return JsonResponse({"error": "unauthorized"}, status=receipt.status)
    return HttpResponse(_ANSWERS[receipt.outcome], content_type="application/json")
