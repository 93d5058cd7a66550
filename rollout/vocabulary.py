"""Map the spellings providers use onto the one vocabulary of rollout.stages, and parse expected dates.

Each function raises ValueError with the accepted values when it cannot map;
the importer turns that into a report entry.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

from rollout.stages import Funding, Stage, TargetGroup, Technology


# Cached: a plan of 100,000 rows repeats a handful of spellings, and the regexes were a third of validation.
@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Case, separators and spacing do not matter: 'Im-Bau', 'im_bau' and 'IM BAU' are one spelling."""
    text = re.sub(r"[_\-/()]+", " ", str(text).casefold())
    return re.sub(r"\s+", " ", text).strip()


def _table(synonyms: dict[str, list[str]]) -> dict[str, str]:
    table = {}
    for value, spellings in synonyms.items():
        for spelling in [value, *spellings]:
            table[normalise(spelling)] = value
    return table


STAGE_SYNONYMS = _table(
    {
        Stage.PLANNED: ["geplant", "planung", "in planung", "plan"],
        Stage.PRE_MARKETING: ["premarketing", "vorvermarktung", "nachfragebündelung", "demand aggregation"],
        Stage.UNDER_CONSTRUCTION: ["im bau", "in bau", "bau", "construction", "building"],
        Stage.HOMES_PASSED: ["hp", "homes passed", "ausgebaut"],
        Stage.HOMES_CONNECTED: ["hc", "homes connected", "angeschlossen"],
        Stage.BOOKABLE: ["buchbar", "verfügbar", "available", "vermarktbar"],
        Stage.CANCELLED: ["canceled", "storniert", "abgesagt", "eingestellt", "gestoppt"],
    }
)
TECHNOLOGY_SYNONYMS = _table(
    {
        Technology.FTTH: ["fiber to the home", "fibre to the home", "glasfaser bis in die wohnung", "glasfaser"],
        Technology.FTTB: ["fiber to the building", "fibre to the building", "glasfaser bis ins gebäude"],
        Technology.HFC: ["docsis", "docsis 3.1", "hfc docsis 3.1", "kabel", "tv kabel", "koax"],
        Technology.FTTC: ["vdsl", "fttc vdsl", "vectoring", "super vectoring"],
        Technology.FWA_5G: ["5g", "5g fwa", "fwa", "5g-fwa"],
    }
)
FUNDING_SYNONYMS = _table(
    {
        Funding.OWN: ["eigenwirtschaftlich", "eigenausbau", "own investment", "privat"],
        Funding.SUBSIDY: ["gefördert", "foerderung", "förderung", "subsidised", "subsidized"],
    }
)
TARGET_GROUP_SYNONYMS = _table(
    {
        TargetGroup.RESIDENTIAL: ["privat", "privatkunden", "wohnen", "private"],
        TargetGroup.BUSINESS: ["gewerbe", "geschäftskunden", "gewerbegebiet"],
        TargetGroup.BOTH: ["alle", "beide", "all"],
    }
)


def map_value(value: object, table: dict[str, str], *, what: str) -> str:
    key = normalise(str(value))
    if key in table:
        return table[key]
    expected = ", ".join(sorted(set(table.values())))
    raise ValueError(f"unknown {what}; expected one of {expected} (or a common spelling)")


_QUARTER_PATTERNS = [
    re.compile(r"^q([1-4])\s*[/\- ]?\s*(\d{4})$"),  # Q3/2027, Q3 2027, Q3-2027
    re.compile(r"^(\d{4})\s*[/\- ]?\s*q([1-4])$"),  # 2027-Q3
    re.compile(r"^([1-4])\s*\.?\s*(?:quartal|qu\.?|quarter)\s*(\d{4})$"),  # 3. Quartal 2027
]


def parse_expected(value: object) -> tuple[date, str]:
    """Return (date, precision): the first day of a quarter with "quarter", or an exact day with "day"."""
    if isinstance(value, datetime):
        return value.date(), "day"
    if isinstance(value, date):
        return value, "day"
    return _parse_expected_text(str(value))


@lru_cache(maxsize=4096)
def _parse_expected_text(value: str) -> tuple[date, str]:
    text = value.strip().casefold()
    for index, pattern in enumerate(_QUARTER_PATTERNS):
        match = pattern.match(text)
        if match:
            quarter, year = match.groups() if index != 1 else reversed(match.groups())
            return date(int(year), 3 * int(quarter) - 2, 1), "quarter"
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text[:10], fmt).date(), "day"  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    raise ValueError("unparseable date; expected a quarter (Q3/2027, 2027-Q3, 3. Quartal 2027) or a date (2027-09-30)")


def expected_end(when: date, precision: str) -> date:
    """Last day the expectation covers: the quarter's end for quarters."""
    if precision != "quarter":
        return when
    end_month = when.month + 2
    next_month = date(when.year + (end_month == 12), end_month % 12 + 1, 1)
    return date.fromordinal(next_month.toordinal() - 1)


def quarter_label(when: date | None, precision: str) -> str:
    if when is None:
        return ""
    if precision == "quarter":
        return f"Q{(when.month - 1) // 3 + 1}/{when.year}"
    return when.isoformat()
