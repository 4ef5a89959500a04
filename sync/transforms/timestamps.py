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


#: Every timezone's offset from UTC is a whole number of quarter-hours (+05:45, +08:45 and +12:45 included):
#: a date changes somewhere in the world only on a quarter-hour of UTC.
QUARTER_HOUR_SECONDS = 900
#: How far Odoo's clock may be from ours.
CLOCK_SKEW_SECONDS = 60


def same_date_everywhere(at: datetime, start: datetime, end: datetime) -> bool:
    """Whether any instant between ``start`` and ``end`` (our clock, give or take ``CLOCK_SKEW_SECONDS``
    for another server's) falls on the same date as ``at`` in every timezone: all of them within the
    quarter-hour of UTC that holds ``at``.

    Confirming a sale order sets Odoo's ``date_order`` to Odoo's now; when that now is within ``at``'s
    quarter-hour, the order's date (and so its period) is Shopify's in every timezone, and rewriting
    ``date_order`` would change only its seconds."""
    block = int(at.timestamp()) // QUARTER_HOUR_SECONDS
    first = int(start.timestamp()) - CLOCK_SKEW_SECONDS
    last = int(end.timestamp()) + CLOCK_SKEW_SECONDS
    return first // QUARTER_HOUR_SECONDS == block == last // QUARTER_HOUR_SECONDS
