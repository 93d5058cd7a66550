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

from datetime import date, datetime
from typing import NamedTuple

from django.db import connection, transaction

from coordination.models import MatchNotification, Roadworks, WorksOwner
from layers.models import Address, District
from rollout.models import PlanArea, PlanVersion, Provider
from rollout.selectors import ADDRESS_LIST_RADIUS_M
from rollout.stages import Stage, Technology

# Stages in which the fibre is not yet in the ground, and technologies that are laid in a trench.
BUILD_STAGES = (Stage.PLANNED, Stage.PRE_MARKETING, Stage.UNDER_CONSTRUCTION)
TRENCH_TECHNOLOGIES = (Technology.FTTH, Technology.FTTB)

CONFLICT, CHANCE = MatchNotification.Kind.CONFLICT.value, MatchNotification.Kind.CHANCE.value


class Match(NamedTuple):
    """One pair of works and planned area, with what the list, the map, the export and the mail show.

    A NamedTuple: the statement's rows become matches at C speed (a frozen dataclass cost ~10 µs a row,
    a third of the whole at 33,000 chances, bench/coordination.py)."""

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
    notified_at: datetime | None = None  # the newest notification about this pair and kind
    notified_count: int = 0


def _window_sql() -> str:
    """The construction window's ``first_day`` and ``last_day`` (NULL: open) of area ``ar``."""
    expected_end = (
        "CASE WHEN ar.expected_precision = 'quarter'"
        " THEN (ar.expected_date + interval '3 months' - interval '1 day')::date ELSE ar.expected_date END"
    )
    return f"""SELECT
        CASE WHEN ar.stage = 'under_construction' THEN %(today)s::date
             ELSE coalesce(ar.expected_date, %(today)s::date) END AS first_day,
        CASE WHEN ar.stage = 'under_construction' THEN greatest(%(today)s::date, {expected_end})
             ELSE {expected_end} END AS last_day"""


def _statement(kind: str) -> str:
    works, area, owner = Roadworks._meta.db_table, PlanArea._meta.db_table, WorksOwner._meta.db_table
    address, district = Address._meta.db_table, District._meta.db_table
    through = PlanArea.addresses.through._meta.db_table
    if kind == CONFLICT:
        # Only works with a dig ban can conflict; ST_DWithin at 0 m is ST_Intersects (and uses the index).
        works_filter = "w.dig_ban_until > w.end_date"
        distance = "0"
        when = "daterange(w.end_date, w.dig_ban_until, '(]') && daterange(win.first_day, win.last_day, '[]')"
        overlap = "daterange(p.end_date, p.dig_ban_until, '(]') * daterange(p.win_start, p.win_end, '[]')"
        gap = "0"
    else:
        works_filter = "w.end_date >= %(today)s::date"
        distance = "%(distance)s"
        period = (
            "daterange((w.start_date - make_interval(months => %(months)s))::date,"
            " (w.end_date + make_interval(months => %(months)s))::date, '[]')"
        )
        when = f"{period} && daterange(win.first_day, win.last_day, '[]')"
        overlap = "daterange(p.start_date, p.end_date, '[]') * daterange(p.win_start, p.win_end, '[]')"
        # Days from the works to the window (or back), 0 when they overlap.
        gap = (
            "CASE WHEN daterange(p.start_date, p.end_date, '[]') && daterange(p.win_start, p.win_end, '[]') THEN 0"
            " WHEN p.win_start > p.end_date THEN p.win_start - p.end_date"
            " ELSE p.start_date - p.win_end END"
        )
    # Both branches carry every column the result needs: joining the pairs back to the works (a CTE without
    # an index) cost a nested loop over all works per pair (bench/coordination.py).
    carried = (
        "w.id AS works_id, w.title, w.reference, w.sector, w.owner_id, w.owner_name, w.start_date, w.end_date,"
        " w.dig_ban_until, w.district, ar.id AS area_id, ar.version_id, ar.key, ar.name, ar.stage, ar.technology,"
        " ar.expected_date, ar.expected_precision, win.first_day AS win_start, win.last_day AS win_end"
    )
    planned = "ar.stage = ANY(%(stages)s) AND ar.technology = ANY(%(technologies)s)"
    return f"""
        WITH works AS MATERIALIZED (
            SELECT w.id, w.title, w.reference, w.sector, w.owner_id, o.name AS owner_name, w.start_date,
                   w.end_date, w.dig_ban_until, w.geom, coalesce(d.name, '') AS district
            FROM {works} w
            JOIN {owner} o ON o.id = w.owner_id
            LEFT JOIN {district} d ON d.id = w.district_id
            WHERE {works_filter}
              AND (%(owner)s::bigint IS NULL OR w.owner_id = %(owner)s)
              AND (%(sector)s::text IS NULL OR w.sector = %(sector)s)
              AND (%(works_id)s::bigint IS NULL OR w.id = %(works_id)s)
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
            -- LATERAL: from each work into the areas' GiST index, whatever the statistics of a freshly
            -- imported works table say (a join the planner turned around took 8.7 s at 1,000,000 addresses).
            SELECT {carried}, ar.distance
            FROM works w
            CROSS JOIN LATERAL (
                SELECT ar.*, ST_Distance(ar.geom, w.geom) AS distance FROM {area} ar
                WHERE ST_DWithin(ar.geom, w.geom, {distance}) AND ar.version_id = ANY(%(versions)s) AND {planned}
            ) ar
            CROSS JOIN LATERAL ({_window_sql()}) win
            WHERE {when}
            UNION ALL
            SELECT {carried}, ST_Distance(l.shape, w.geom)
            FROM works w
            JOIN listed l ON ST_DWithin(l.shape, w.geom, {distance})
            JOIN {area} ar ON ar.id = l.id AND ar.version_id = ANY(%(versions)s)
            CROSS JOIN LATERAL ({_window_sql()}) win
            WHERE {when}
        )
        SELECT p.works_id, p.title, p.reference, p.sector, p.owner_id, p.owner_name, p.start_date, p.end_date,
               p.dig_ban_until, p.area_id, p.key, p.name, p.stage, p.technology, p.expected_date,
               p.expected_precision, p.version_id,
               p.win_start, p.win_end, round(p.distance::numeric, 1)::float,
               lower({overlap}), upper({overlap}) - 1, {gap}, p.district
        FROM pairs p
        WHERE (%(area)s::bigint IS NULL OR p.area_id = %(area)s)
        ORDER BY p.start_date, p.works_id, p.area_id
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
    with transaction.atomic(), connection.cursor() as cursor:
        # A plan accepted a minute ago is a partition without statistics (autovacuum analyses it later): then
        # the planner ANDed the areas' GiST with a bitmap over the whole version's (version, key) index, per
        # work, 16 s instead of 0.5 s at 100,000 areas (bench/coordination.py). A plain index scan of the GiST
        # is what it picks with statistics; bitmap scans are off for this statement only.
        cursor.execute("SELECT current_setting('enable_bitmapscan')")
        before = cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(_statement(kind), params)
        rows = cursor.fetchall()
        cursor.execute("SELECT set_config('enable_bitmapscan', %s, true)", [before])
        # The versions' providers and the notifications sent: a few rows each, joined here by key. Joined in
        # SQL, the planner (expecting a handful of pairs) rescanned all pairs once per provider.
        cursor.execute(
            f"""SELECT v.id, pr.id, pr.name, pr.slug, v.number, v.published_at IS NOT NULL
                FROM {PlanVersion._meta.db_table} v JOIN {Provider._meta.db_table} pr ON pr.id = v.provider_id
                WHERE v.id = ANY(%s)""",
            [list(versions)],
        )
        version = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(
            f"""SELECT roadworks_id, provider_id, area_key, max(sent_at), count(*)
                FROM {MatchNotification._meta.db_table} WHERE kind = %s AND roadworks_id IS NOT NULL
                GROUP BY roadworks_id, provider_id, area_key""",
            [kind],
        )
        sent = {(works, provider, key): (at, count) for works, provider, key, at, count in cursor.fetchall()}
    matches = []
    for row in rows:
        provider = version[row[16]]
        notified = sent.get((row[0], provider[0], row[10]), (None, 0))
        matches.append(Match._make((kind, *row[:16], *provider, *row[17:], *notified)))
    matches.sort(key=lambda m: (m.start_date, m.works_id, m.area_id))
    return matches
