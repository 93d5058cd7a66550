"""Roadworks matched in space and time against planned fibre construction: one SQL statement per kind.

**Planned fibre construction** is every area of each provider's newest plan version that the reader may see
(rollout.selectors.plan_versions_current decides; planners: every provider's newest version, published or
not) in a stage before the fibre is in the ground (planned, pre-marketing, under construction) with a
technology that needs a trench (FTTH, FTTB). Address-list areas count as the union of 10 m circles around
their addresses, as the OGC API draws them (rollout.selectors.ADDRESS_LIST_RADIUS_M).

**When** an area is built (its construction window, both days included):

- under construction: from today to the end of its expected quarter (or day), at least today;
- planned or pre-marketing: its expected quarter (first to last day) or day; without an expected date the
  window is open from today on (the dig ban of any day ahead may be in the way).

**Conflict**: the works' line or area intersects the planned area, and the dig ban (from the day after the
works end to ``dig_ban_until``, both included) overlaps the construction window: the provider would have
to open a freshly resurfaced street.

**Co-laying chance**: the works are not over yet (end today or later), they lie within N metres of the
area (``ST_DWithin``: exactly N metres counts) and their period, widened by M months on each side, overlaps
the construction window (exactly M months apart counts): one trench could carry both.

Both statements run from the (few) works to the (many) plan areas over the areas' GiST index; distances are
in metres (EPSG:25832).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import connection

from coordination.models import MatchNotification, Roadworks, WorksOwner
from layers.models import Address, District
from rollout.models import PlanArea, Provider
from rollout.selectors import ADDRESS_LIST_RADIUS_M
from rollout.stages import Stage, Technology

# Stages in which the fibre is not yet in the ground, and technologies that are laid in a trench.
BUILD_STAGES = (Stage.PLANNED, Stage.PRE_MARKETING, Stage.UNDER_CONSTRUCTION)
TRENCH_TECHNOLOGIES = (Technology.FTTH, Technology.FTTB)

CONFLICT, CHANCE = MatchNotification.Kind.CONFLICT.value, MatchNotification.Kind.CHANCE.value


@dataclass(frozen=True)
class Match:
    """One pair of works and planned area, with what the list, the map, the export and the mail show."""

    kind: str
    works_id: int
    works_title: str
    works_reference: str
    sector: str
    owner_id: int
    owner_name: str
    start_date: date
    end_date: date
    dig_ban_until: date | None
    area_id: int
    area_key: str
    area_name: str
    stage: str
    technology: str
    expected_date: date | None
    expected_precision: str
    provider_id: int
    provider_name: str
    provider_slug: str
    version_number: int
    published: bool
    window_start: date
    window_end: date | None  # None: open (no expected date)
    distance_m: float
    # Conflict: the first and last day on which the dig ban and the construction window overlap.
    # Chance: the days between the works and the window (0 when they overlap).
    overlap_start: date | None
    overlap_end: date | None
    gap_days: int
    district: str
    notified_at: object = None  # datetime of the newest notification about this pair and kind
    notified_count: int = 0
    extra: dict = field(default_factory=dict, compare=False)


def _window_sql() -> str:
    """The construction window's first and last day (NULL: open) of area ``ar`` (module docstring)."""
    expected_end = (
        "CASE WHEN ar.expected_precision = 'quarter'"
        " THEN (ar.expected_date + interval '3 months' - interval '1 day')::date ELSE ar.expected_date END"
    )
    return f"""
        CASE WHEN ar.stage = 'under_construction' THEN %(today)s::date
             ELSE coalesce(ar.expected_date, %(today)s::date) END AS win_start,
        CASE WHEN ar.stage = 'under_construction' THEN greatest(%(today)s::date, {expected_end})
             ELSE {expected_end} END AS win_end"""


def _statement(kind: str) -> str:
    works, area, owner = Roadworks._meta.db_table, PlanArea._meta.db_table, WorksOwner._meta.db_table
    provider, address, district = Provider._meta.db_table, Address._meta.db_table, District._meta.db_table
    through, sent = PlanArea.addresses.through._meta.db_table, MatchNotification._meta.db_table
    if kind == CONFLICT:
        # Only works with a dig ban can conflict; ST_DWithin at 0 m is ST_Intersects (and uses the index).
        works_filter = "w.dig_ban_until > w.end_date"
        distance = "0"
        when = "daterange(w.end_date, w.dig_ban_until, '(]') && daterange(p.win_start, p.win_end, '[]')"
        overlap = "daterange(w.end_date, w.dig_ban_until, '(]') * daterange(p.win_start, p.win_end, '[]')"
        gap = "0"
    else:
        works_filter = "w.end_date >= %(today)s::date"
        distance = "%(distance)s"
        period = (
            "daterange((w.start_date - make_interval(months => %(months)s))::date,"
            " (w.end_date + make_interval(months => %(months)s))::date, '[]')"
        )
        when = f"{period} && daterange(p.win_start, p.win_end, '[]')"
        overlap = "daterange(w.start_date, w.end_date, '[]') * daterange(p.win_start, p.win_end, '[]')"
        # Days from the works to the window (or back), 0 when they overlap.
        gap = (
            "CASE WHEN daterange(w.start_date, w.end_date, '[]') && daterange(p.win_start, p.win_end, '[]') THEN 0"
            " WHEN p.win_start > w.end_date THEN p.win_start - w.end_date"
            " ELSE w.start_date - p.win_end END"
        )
    carried = (
        "ar.id AS area_id, ar.version_id, ar.key, ar.name, ar.stage, ar.technology, ar.expected_date,"
        " ar.expected_precision, " + _window_sql()
    )
    planned = "ar.stage = ANY(%(stages)s) AND ar.technology = ANY(%(technologies)s)"
    return f"""
        WITH works AS MATERIALIZED (
            SELECT w.* FROM {works} w
            WHERE {works_filter}
              AND (%(owner)s::bigint IS NULL OR w.owner_id = %(owner)s)
              AND (%(sector)s::text IS NULL OR w.sector = %(sector)s)
        ),
        listed AS MATERIALIZED (
            -- Address-list areas have no polygon: the union of circles around their addresses stands for it.
            SELECT ar.id, ST_Multi(ST_Union(ST_Buffer(a.geom, %(radius)s, 4))) AS shape
            FROM {area} ar
            JOIN {through} t ON t.planarea_id = ar.id
            JOIN {address} a ON a.id = t.address_id
            WHERE ar.version_id = ANY(%(versions)s) AND ar.geom IS NULL AND {planned}
            GROUP BY ar.id
        ),
        pairs AS (
            SELECT w.id AS works_id, ST_Distance(ar.geom, w.geom) AS distance, {carried}
            FROM works w
            JOIN {area} ar ON ST_DWithin(ar.geom, w.geom, {distance})
            WHERE ar.version_id = ANY(%(versions)s) AND {planned}
            UNION ALL
            SELECT w.id, ST_Distance(l.shape, w.geom), {carried}
            FROM works w
            JOIN listed l ON ST_DWithin(l.shape, w.geom, {distance})
            JOIN {area} ar ON ar.id = l.id AND ar.version_id = ANY(%(versions)s)
        )
        SELECT w.id, w.title, w.reference, w.sector, o.id, o.name, w.start_date, w.end_date, w.dig_ban_until,
               p.area_id, p.key, p.name, p.stage, p.technology, p.expected_date, p.expected_precision,
               pr.id, pr.name, pr.slug, v.number, v.published_at IS NOT NULL,
               p.win_start, p.win_end, round(p.distance::numeric, 1)::float,
               lower({overlap}), upper({overlap}) - 1, {gap},
               coalesce(d.name, ''), n.sent_at, coalesce(n.count, 0)
        FROM pairs p
        JOIN works w ON w.id = p.works_id
        JOIN {owner} o ON o.id = w.owner_id
        JOIN rollout_planversion v ON v.id = p.version_id
        JOIN {provider} pr ON pr.id = v.provider_id
        LEFT JOIN LATERAL (
            SELECT name FROM {district} d
            WHERE d.level = 'stadtteil' AND ST_Intersects(d.geom, ST_PointOnSurface(w.geom))
            ORDER BY d.id LIMIT 1
        ) d ON true
        LEFT JOIN LATERAL (
            SELECT max(s.sent_at) AS sent_at, count(*) AS count FROM {sent} s
            WHERE s.roadworks_id = w.id AND s.provider_id = pr.id AND s.area_key = p.key AND s.kind = %(kind)s
        ) n ON true
        WHERE {when}
          AND (%(area)s::bigint IS NULL OR p.area_id = %(area)s)
          AND (%(works_id)s::bigint IS NULL OR w.id = %(works_id)s)
        ORDER BY w.start_date, w.id, pr.name, p.key
    """


def matches_find(
    *,
    kind: str,
    versions: list[int],
    today: date,
    distance_m: float = 0,
    months: int = 0,
    owner_id: int | None = None,
    sector: str | None = None,
    works_id: int | None = None,
    area_id: int | None = None,
) -> list[Match]:
    """Every match of ``kind`` between the works and the areas of ``versions`` (already visible to the reader:
    coordination.selectors asks rollout.selectors which), in one statement."""
    if kind not in (CONFLICT, CHANCE):
        raise ValueError(f"unknown kind of match {kind!r}")
    if not versions:
        return []
    params = {
        "today": today,
        "distance": float(distance_m),
        "months": int(months),
        "versions": list(versions),
        "stages": [str(s) for s in BUILD_STAGES],
        "technologies": [str(t) for t in TRENCH_TECHNOLOGIES],
        "radius": float(ADDRESS_LIST_RADIUS_M),
        "owner": owner_id,
        "sector": sector,
        "kind": kind,
        "area": area_id,
        "works_id": works_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(_statement(kind), params)
        rows = cursor.fetchall()
    return [Match(kind, *row) for row in rows]
