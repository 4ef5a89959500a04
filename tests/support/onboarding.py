"""Tests that need a shop mapped take set-up's proposal as a person would approve it (the approval rule
itself is tested in tests/console and tests/core)."""

from __future__ import annotations

from sync.models import MappingChange
from sync.services.mappings import MappingRow, mapping_apply


def proposal_accept(change_id: int | None) -> int | None:
    """Make the proposed change the shop's mapping version, as its approval does; returns the version."""
    if change_id is None:
        return None
    change = MappingChange.objects.get(pk=change_id)
    rows = [MappingRow(table=r["table"], key=r["key"], value=r["value"]) for r in change.rows]
    version = mapping_apply(shop=change.shop, rows=rows, change=change)
    MappingChange.objects.filter(pk=change.pk).update(state=MappingChange.State.APPROVED, version=version)
    return version
