"""Mapping tables as data: versioned per shop. Applying a change makes a new version and replays the jobs
that were parked waiting for it. Reads are in sync/engine/mappings.py (the engine builds each job's mappings
from them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from sync.engine.mappings import fingerprints_fixed_by, mapping_version_current
from sync.engine.replay import problem_jobs_replay
from sync.models import MappingChange, MappingEntry, MappingVersion, Problem, ShopifyShop


@dataclass(frozen=True)
class MappingRow:
    table: str
    key: str
    # None deletes the entry. An edit names only the fields it changes: a field given as None is removed,
    # one not given keeps its current value (``mapping_rows_merged``).
    value: dict[str, Any] | None


def mapping_rows_merged(*, shop: ShopifyShop, rows: list[MappingRow]) -> list[MappingRow]:
    """Each row as the entry it makes: its fields laid onto the shop's current entry of that key, so that an
    edit keeps the fields it does not name (a shop row's ``invoice_on`` or ``book_currency``, set elsewhere,
    survives an edit in a form that does not show them); a field named with None is removed."""
    keys = {(r.table, r.key) for r in rows if r.value is not None}
    current: dict[tuple[str, str], dict[str, Any]] = {}
    if keys:
        for entry in MappingEntry.objects.filter(
            shop=shop,
            table__in={t for t, _ in keys},
            key__in={k for _, k in keys},
            valid_to__isnull=True,
        ):
            if isinstance(entry.value, dict):
                current[(entry.table, entry.key)] = entry.value
    merged = []
    for row in rows:
        if row.value is None:
            merged.append(row)
            continue
        value = {**current.get((row.table, row.key), {}), **row.value}
        merged.append(
            MappingRow(table=row.table, key=row.key, value={k: v for k, v in value.items() if v is not None})
        )
    return merged


def missing_mapping_fingerprints(rows: list[MappingRow]) -> list[str]:
    """The problems (by fingerprint) that these rows fix: each added entry's missing-mapping cause."""
    return [
        fingerprint
        for row in rows
        for fingerprint in fingerprints_fixed_by(table=row.table, key=row.key, value=row.value)
    ]


def mapping_apply(
    *, shop: ShopifyShop, rows: list[MappingRow], change: MappingChange | None = None, actor: Any = None
) -> int:
    """Make ``rows`` current as one new mapping version; returns the version number. Jobs parked for a
    missing entry that this version adds are replayed (an activity row on each problem says so)."""
    with transaction.atomic():
        # Serialise version numbers per shop.
        ShopifyShop.objects.select_for_update().filter(pk=shop.pk).first()
        number = mapping_version_current(shop=shop) + 1
        MappingVersion.objects.create(shop=shop, number=number, change=change)
        for row in rows:
            MappingEntry.objects.filter(
                shop=shop, table=row.table, key=row.key, valid_to__isnull=True
            ).update(valid_to=number)
            if row.value is not None:
                MappingEntry.objects.create(
                    shop=shop, table=row.table, key=row.key, value=row.value, valid_from=number, change=change
                )
        problems = list(Problem.objects.filter(shop=shop, fingerprint__in=missing_mapping_fingerprints(rows)))
        if problems:
            what = f"change {change.pk}" if change is not None else "a direct update"
            problem_jobs_replay(
                problems=problems,
                actor=actor,
                note=f"Mapping version {number} ({what}) adds what was missing.",
            )
    return number
