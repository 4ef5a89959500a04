"""Shopify timestamps (ISO 8601 with an offset) and which of two states is newer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from opsconsole.core.errors import ContractError


def parse_shopify_timestamp(value: str | datetime | None) -> datetime | None:
    """``"2008-01-10T11:00:00-05:00"`` (or ``...Z``) -> an aware datetime; None stays None.

    A timestamp without an offset is a contract error: guessing a zone could reorder events.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ContractError(f"not an ISO 8601 timestamp: {value!r}", system="shopify") from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ContractError(f"timestamp without a UTC offset: {value!r}", system="shopify")
    return parsed


def _updated_at(value: Mapping[str, Any] | str | datetime | None) -> datetime | None:
    if isinstance(value, Mapping):
        return parse_shopify_timestamp(value.get("updated_at"))
    return parse_shopify_timestamp(value)


def is_newer(
    payload: Mapping[str, Any] | str | datetime | None, than: Mapping[str, Any] | str | datetime | None
) -> bool:
    """True when ``payload`` (a payload or its ``updated_at``) is strictly newer than state ``than``.

    No known state (``than`` is None or has no ``updated_at``): True, the payload is all we have.
    A payload without ``updated_at``: False, it cannot prove it is newer. Equal instants (whatever the
    offsets) are not newer: Shopify's ``updated_at`` has whole seconds, so the flow should treat an
    equal timestamp as "possibly the same version" and re-read the order rather than overwrite.
    """
    known = _updated_at(than)
    if known is None:
        return True
    incoming = _updated_at(payload)
    if incoming is None:
        return False
    return incoming > known
