"""Console pages of the core: a person's API tokens. The sync screens live
in ``sync/views/console/``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from opsconsole.core.models import ApiToken
from opsconsole.core.permissions import allowed
from opsconsole.core.roles import perm
from opsconsole.core.tokens import EXPIRY_DAYS_CHOICES, api_token_create, api_token_revoke, api_tokens_of

# --------------------------------------------------------------------------------------- API tokens


@permission_required(perm("view_console"), raise_exception=True)
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """A person's API tokens (integration admins see everyone's): make one (its secret is shown in this
    answer only), or revoke one."""
    context: dict[str, Any] = {"title": "API tokens", "days_choices": EXPIRY_DAYS_CHOICES, "errors": []}
    status = 200
    if request.method == "POST":
        try:
            days = int(request.POST.get("days", "0"))
        except ValueError:
            days = 0
        try:
            token, secret = api_token_create(
                actor=request.user, name=request.POST.get("name", ""), days=days, request=request
            )
        except ValidationError as exc:
            context["errors"] = exc.messages
            status = 400
        else:
            context["created"] = token
            context["secret"] = secret
    context["tokens"] = list(api_tokens_of(user=request.user)[:200])
    context["now"] = timezone.now()
    context["sees_all"] = allowed(request.user, "manage_connections")
    return render(request, "core/api_tokens.html", context, status=status)


@permission_required(perm("view_console"), raise_exception=True)
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id)
    api_token_revoke(actor=request.user, token=token, request=request)  # PermissionDenied → 403
    messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("api-tokens")
