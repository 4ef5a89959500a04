"""The OpenAPI 3 schema of /api/v1/ (drf-spectacular), for a token or for a console session (the API docs
page reads it from the browser with the person's session)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.views import SpectacularAPIView
from rest_framework.authentication import SessionAuthentication

from sync.api.policy import ApiTokenAuthentication, ConsoleReader


class SchemaView(SpectacularAPIView):
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [ConsoleReader]
    throttle_classes: list[Any] = []

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        view = super().as_view(**initkwargs)
        view.login_required = False  # a token is a login here too; DRF answers 401 without either
        return view
