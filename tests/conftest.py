"""Shared fixtures. The database is real PostgreSQL: DATABASE_URL, or the embedded server when unset."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def make_user(db):  # type: ignore[no-untyped-def]
    def make(role: str | None = None, **kwargs):  # type: ignore[no-untyped-def]
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def password() -> str:
    return PASSWORD
