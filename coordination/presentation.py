"""Matches as the rows the pages and the CSV export show: labels in the active language, dates as planners
write them, sorted as asked. No queries here."""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from coordination.matching import CONFLICT, Match
from coordination.sectors import Sector
from rollout.presentation import stage_label, technology_label

# The match list's sort keys (coordination.forms.SORT_CHOICES) → how rows are ordered; ties by works and area.
SORT_KEYS = {
    "beginn": lambda m: (m.start_date, m.works_id, m.area_key),
    "bau": lambda m: (m.window_start, m.works_id, m.area_key),
    "abstand": lambda m: (m.distance_m, m.start_date, m.works_id, m.area_key),
    "anbieter": lambda m: (m.provider_name.casefold(), m.area_key, m.start_date),
    "traeger": lambda m: (m.owner_name.casefold(), m.start_date, m.works_id),
    "stadtteil": lambda m: (m.district.casefold(), m.start_date, m.works_id),
}


def matches_sorted(matches: list[Match], key: str | None) -> list[Match]:
    return sorted(matches, key=SORT_KEYS.get(key or "beginn", SORT_KEYS["beginn"]))


def day(value: date | None) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else ""


def sector_label(value: str) -> str:
    return str(Sector(value).label) if value in Sector.values else value


def window_label(match: Match) -> str:
    """The construction window as planners read it: "Q3/2027" for a whole quarter, else from–to."""
    start, end = match.window_start, match.window_end
    if end is None:
        return _("from %(start)s, no date given") % {"start": day(start)}
    quarter_start = start.day == 1 and start.month in (1, 4, 7, 10)
    if match.stage != "under_construction" and match.expected_precision == "quarter" and quarter_start:
        return f"Q{(start.month - 1) // 3 + 1}/{start.year}"
    return f"{day(start)} – {day(end)}"


def match_row(match: Match) -> dict:
    if match.kind == CONFLICT:
        when = _("dig ban and construction overlap %(start)s – %(end)s") % {
            "start": day(match.overlap_start),
            "end": day(match.overlap_end),
        }
    elif match.gap_days:
        when = _("%(days)s days between the works and the construction") % {"days": match.gap_days}
    else:
        when = _("at the same time")
    return {
        "match": match,
        "kind_label": _("Conflict") if match.kind == CONFLICT else _("Chance"),
        "sector": sector_label(match.sector),
        "works_period": f"{day(match.start_date)} – {day(match.end_date)}",
        "dig_ban": day(match.dig_ban_until),
        "stage": stage_label(match.stage),
        "technology": technology_label(match.technology),
        "window": window_label(match),
        "when": when,
        "distance": f"{match.distance_m:.0f}",
        # The statement's timestamps come in UTC: the day is the city's.
        "notified": day(timezone.localtime(match.notified_at).date() if match.notified_at else None),
    }


def match_counts(matches: list[Match]) -> dict:
    """How many conflicts and chances, per provider and per owner (the page's summary)."""
    kinds = Counter(m.kind for m in matches)
    providers = Counter((m.provider_name, m.kind) for m in matches)
    names = sorted({m.provider_name for m in matches}, key=str.casefold)
    return {
        "conflicts": kinds.get(CONFLICT, 0),
        "chances": len(matches) - kinds.get(CONFLICT, 0),
        "works": len({m.works_id for m in matches}),
        "areas": len({m.area_id for m in matches}),
        "by_provider": [
            {"name": name, "conflicts": providers[(name, CONFLICT)], "chances": providers[(name, "chance")]}
            for name in names
        ],
    }


CSV_HEADER = [
    "kind",
    "works_id",
    "works_title",
    "works_reference",
    "owner",
    "sector",
    "works_start",
    "works_end",
    "dig_ban_until",
    "district",
    "provider",
    "provider_slug",
    "plan_version",
    "published",
    "area_key",
    "area_name",
    "stage",
    "technology",
    "construction_from",
    "construction_until",
    "distance_m",
    "overlap_from",
    "overlap_until",
    "gap_days",
    "notified_at",
]


def csv_row(match: Match) -> list:
    """One match for the CSV export: ISO dates and the stored values (a table for other tools, not for reading)."""

    def iso(value) -> str:
        return value.isoformat() if value else ""

    return [
        match.kind,
        match.works_id,
        match.works_title,
        match.works_reference,
        match.owner_name,
        match.sector,
        iso(match.start_date),
        iso(match.end_date),
        iso(match.dig_ban_until),
        match.district,
        match.provider_name,
        match.provider_slug,
        match.version_number,
        "yes" if match.published else "no",
        match.area_key,
        match.area_name,
        match.stage,
        match.technology,
        iso(match.window_start),
        iso(match.window_end),
        f"{match.distance_m:.1f}",
        iso(match.overlap_start),
        iso(match.overlap_end),
        match.gap_days,
        match.notified_at.isoformat(timespec="seconds") if match.notified_at else "",
    ]
