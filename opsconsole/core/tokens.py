"""Personal API tokens: made and revoked by people in the console (audited), shown once, stored as a
SHA-256 digest, with an expiry. The token's secret has 256 bits of entropy, so a fast digest is enough
(a slow password hash would only make every API request slower); lookup is by digest through a unique
index, so no stored secret is compared byte by byte.

``api_token_hit`` is the per-token rate limit: one conditional UPDATE on the token's row counts the request
in a fixed window, so that every web process and host shares the count (no cache to configure).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from opsconsole.core.audit import audit_record
from opsconsole.core.models import ApiToken
from opsconsole.core.permissions import allowed, require

#: Every token starts with this, so that secret scanners and people recognise it.
TOKEN_PREFIX = "oct_"  # noqa: S105  (a prefix, not a secret)
#: Characters of the token kept in clear to show in lists ("oct_AbC1…").
SHOWN_CHARS = 10
EXPIRY_DAYS_CHOICES = (7, 30, 90, 365)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *, actor: Any, name: str, days: int, request: Any = None, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """A token for ``actor`` itself. Returns the row and the secret, which is never available again."""
    require(actor, "view_console")
    name = (name or "").strip()
    if not name:
        raise ValidationError("name the token (what will use it)")
    if days not in EXPIRY_DAYS_CHOICES:
        raise ValidationError(f"a token expires after {', '.join(map(str, EXPIRY_DAYS_CHOICES))} days")
    now = now or timezone.now()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name[:100],
        prefix=secret[:SHOWN_CHARS],
        digest=token_digest(secret),
        expires_at=now + timedelta(days=days),
    )
    audit_record(
        action="api_token.create",
        actor=actor,
        object_type="api_token",
        object_id=token.pk,
        summary=f"API token {token.prefix}… '{token.name}' for {actor.get_username()}, expires "
        f"{token.expires_at:%Y-%m-%d}",
        after={"name": token.name, "prefix": token.prefix, "expires_at": token.expires_at.isoformat()},
        request=request,
    )
    return token, secret


def api_token_may_revoke(user: Any, token: ApiToken) -> bool:
    """Owners revoke their own tokens; integration admins (who manage connections) anyone's."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (token.user_id == user.pk or allowed(user, "manage_connections"))
    )


def api_token_revoke(*, actor: Any, token: ApiToken, request: Any = None) -> None:
    if not api_token_may_revoke(actor, token):
        raise PermissionDenied("you may revoke only your own tokens")
    if token.revoked_at is not None:
        return
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now, revoked_by=actor)
    token.refresh_from_db()
    audit_record(
        action="api_token.revoke",
        actor=actor,
        object_type="api_token",
        object_id=token.pk,
        summary=f"revoked API token {token.prefix}… '{token.name}' of {token.user.get_username()}",
        request=request,
    )


def api_tokens_of(*, user: Any) -> QuerySet[ApiToken]:
    """The tokens a person sees on their page: their own, or everyone's for integration admins."""
    query = ApiToken.objects.select_related("user", "revoked_by").order_by("-created_at")
    if allowed(user, "manage_connections"):
        return query
    return query.filter(user=user)


def api_token_authenticate(secret: str, *, now: datetime | None = None) -> ApiToken | None:
    """The live token with this secret (not expired, not revoked, its user active), or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    now = now or timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(secret), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token


def api_token_hit(*, token_id: int, now: datetime | None = None) -> tuple[int, datetime]:
    """Count one request in the token's current window (``API_RATE_WINDOW_SECONDS``), starting a new window
    when the last one is over; also stamps ``last_used_at``. Returns the count and the window's start."""
    now = now or timezone.now()
    window_open_after = now - timedelta(seconds=settings.API_RATE_WINDOW_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {ApiToken._meta.db_table}
               SET window_count = CASE WHEN window_started_at > %s THEN window_count + 1 ELSE 1 END,
                   window_started_at = CASE WHEN window_started_at > %s THEN window_started_at ELSE %s END,
                   last_used_at = %s
             WHERE id = %s
         RETURNING window_count, window_started_at
            """,  # noqa: S608  (the table name is ours; the values are parameters)
            [window_open_after, window_open_after, now, now, token_id],
        )
        row = cursor.fetchone()
    if row is None:
        return 0, now
    return int(row[0]), row[1]
