"""Providers' column names → our canonical fields."""

from __future__ import annotations

from typing import Any

from rollout.vocabulary import (
    normalise,
)

# Column names providers commonly use for each canonical field; a saved FieldMapping takes precedence.
COLUMN_SYNONYMS: dict[str, list[str]] = {
    "key": ["key", "id", "area_id", "gebiet_id", "gebiet", "cluster", "cluster_id"],
    "name": ["name", "bezeichnung"],
    "stage": ["stage", "status", "phase", "ausbaustatus"],
    "technology": ["technology", "technologie", "tech"],
    "expected": ["expected", "quarter", "quartal", "date", "datum", "fertigstellung", "completion"],
    "max_down": ["max_down", "down", "download", "downstream"],
    "max_up": ["max_up", "up", "upload", "upstream"],
    "quota": ["quota", "quote"],
    "quota_deadline": ["quota_deadline", "deadline", "frist"],
    "cancel_reason": ["cancel_reason", "reason", "grund"],
    "funding": ["funding", "foerderung", "förderung", "finanzierung"],
    "subsidy_programme": ["subsidy_programme", "programme", "program", "programm", "foerderprogramm"],
    "connection_fee": ["connection_fee", "fee", "anschlussgebuehr", "anschlussgebühr"],
    "target_group": ["target_group", "zielgruppe", "segment"],
    "street": ["street", "strasse", "straße"],
    "house_number": ["house_number", "hausnummer", "hnr"],
    "postcode": ["postcode", "plz", "zip"],
    "wkt": ["wkt", "geometry", "geom", "the_geom"],
    "lat": ["lat", "latitude", "breite"],
    "lon": ["lon", "lng", "longitude", "laenge", "länge"],
}
CANONICAL_FIELDS = tuple(COLUMN_SYNONYMS)


def resolve_mapping(
    columns: list[str], mapping: dict[str, str] | None, *, synonyms: dict[str, list[str]] = COLUMN_SYNONYMS
) -> dict[str, str]:
    """Canonical field → column present in the file: the given mapping first, then the common names.

    ``synonyms`` are a plan's fields by default; other imports through the same readers (roadworks,
    coordination.importers) pass their own."""
    by_normalised = {normalise(c): c for c in columns}
    resolved = {}
    for canonical, spellings in synonyms.items():
        wanted = (mapping or {}).get(canonical)
        if wanted and wanted in columns:
            resolved[canonical] = wanted
            continue
        for spelling in spellings:
            if normalise(spelling) in by_normalised:
                resolved[canonical] = by_normalised[normalise(spelling)]
                break
    return resolved


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value != value  # NaN != NaN
