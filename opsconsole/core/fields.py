"""Credentials encrypted at rest with rotatable keys (``OPSCONSOLE_ENCRYPTION_KEYS``).

Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography``; ``MultiFernet`` decrypts with any configured key
and encrypts with the first, so a rotation is: put the new key first, keep the old ones after it, run
``manage.py rotate_encryption_keys`` (re-encrypts every value under the first key), then drop old keys.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("OPSCONSOLE_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise RuntimeError("a stored credential cannot be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode()


class Secret(str):
    """A decrypted credential whose repr never shows the value (so it stays out of logs and tracebacks)."""

    def __repr__(self) -> str:
        return "Secret('********')"


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees the clear value as a ``Secret``."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Secret | None:
        if value is None or value == "":
            return Secret("") if value == "" else None
        return Secret(decrypt(value))

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        if value == "":
            return ""
        return encrypt(str(value))
