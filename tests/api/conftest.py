"""Fixtures for the JSON API: a client per role that sends a personal token, and the console's builders."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opsconsole.core.tokens import api_token_create
from tests.console.conftest import client_for, make_job, shop  # noqa: F401  (fixtures and builders shared with the console)


class ApiClient:
    """JSON in, JSON out, with ``Authorization: Bearer <token>``."""

    def __init__(self, secret: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(
            path, body if body is not None else {}, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def api_for(make_user):  # type: ignore[no-untyped-def]
    """``api_for("ops")`` → (client, user, token) for a new user with that role and a 30-day token."""

    def make(role: str | None, username: str | None = None) -> tuple[ApiClient, Any, Any]:
        user = make_user(role, **({"username": username} if username else {}))
        token, secret = api_token_create(actor=user, name="test", days=30) if role else (None, None)
        return ApiClient(secret), user, token

    return make
