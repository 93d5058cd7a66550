"""Bench of dig once (issue 14): the matching of roadworks against planned fibre, against hand-written SQL.

Called once per size by bench/bench.py (``dig_once_bench``) in the bench database, after part B has imported
and published its 100,000-area plan (with part ``c`` alone, the plan is imported here first). The plans are
then the demo providers' plans at that size plus the bench plan; the works are the demo roadworks plus
``BENCH_ROADWORKS`` (2,000) generated works of a bench owner: lines of 50–400 m inside the city, periods
between 2026 and 2032, half with a dig ban of 1–5 years (deterministic, seed 1).

Ours: ``coordination.matching.matches_find`` for conflicts and for chances (50 m, 6 months), i.e. the one
statement behind the page (with its notification look-up, its overlaps and gaps) and the rows made matches, as a
planner reads it. Peer: the plainest hand-written statement that finds the same (works, area) pairs with the
columns the list shows (owner, Stadtteil, provider, version, window, distance): a join on ST_Intersects /
ST_DWithin with the time condition inline, address-list areas by a UNION ALL over their circles, fetched with
the same cursor. Each is run five times; the best counts. The pairs are compared. Target: ours within 1.5× of
the hand-written one.
"""

from __future__ import annotations

import os
import time
from datetime import date

BENCH_ROADWORKS = int(os.environ.get("BENCH_ROADWORKS", "2000"))
ROUNDS = 5
TODAY = date(2026, 12, 1)  # fixed, so runs on different days compare


def _works_make(count: int, *, seed: int = 1) -> int:
    """Replace the bench owner's works with ``count`` generated ones (one bulk insert)."""
    import numpy as np
    import shapely
    from django.contrib.gis.geos import GEOSGeometry

    from coordination.models import Roadworks, WorksOwner
    from coordination.services import roadworks_districts_assign
    from layers.models import SRID, District

    owner, _ = WorksOwner.objects.get_or_create(name="Bench Tiefbau", defaults={"sector": "road"})
    Roadworks.objects.filter(owner=owner).delete()
    city = shapely.from_wkb(bytes(District.objects.get(level=District.Level.CITY).geom.wkb)).buffer(-500)
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = city.bounds
    made = []
    while len(made) < count:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not city.contains(shapely.Point(x, y)):
            continue
        angle, length = rng.uniform(0, np.pi), rng.uniform(50, 400)
        dx, dy = np.cos(angle) * length, np.sin(angle) * length
        line = shapely.MultiLineString([[(x, y), (x + dx, y + dy)]])
        start = date.fromordinal(date(2026, 1, 1).toordinal() + int(rng.integers(0, 6 * 365)))
        end = date.fromordinal(start.toordinal() + int(rng.integers(14, 200)))
        ban = date(end.year + int(rng.integers(1, 6)), end.month, min(end.day, 28)) if rng.random() < 0.5 else None
        made.append(
            Roadworks(
                owner=owner,
                sector="road",
                title=f"Bench {len(made) + 1}",
                reference=f"B-{len(made) + 1:05d}",
                geom=GEOSGeometry(memoryview(shapely.to_wkb(line)), srid=SRID),
                start_date=start,
                end_date=end,
                dig_ban_until=ban,
                source=Roadworks.Source.IMPORT,
            )
        )
    Roadworks.objects.bulk_create(made, batch_size=1000)
    roadworks_districts_assign(owner_id=owner.pk)  # no ANALYZE: the statement must not need fresh statistics
    return Roadworks.objects.count()


def _hand_sql(kind: str, *, variant: str) -> str:
    """The plainest statement that finds the same pairs (coordination.matching says what they are), with the
    list's columns either joined inline (``inline``) or joined to the pairs found first (``pairs``)."""
    building = "ar.stage = 'under_construction'"
    win_start = f"CASE WHEN {building} THEN %(today)s::date ELSE coalesce(ar.expected_date, %(today)s::date) END"
    expected_end = (
        "CASE WHEN ar.expected_precision = 'quarter'"
        " THEN (ar.expected_date + interval '3 months' - interval '1 day')::date ELSE ar.expected_date END"
    )
    win_end = f"CASE WHEN {building} THEN greatest(%(today)s::date, {expected_end}) ELSE {expected_end} END"
    window = f"daterange({win_start}, {win_end}, '[]')"
    if kind == "conflict":
        near = "ST_Intersects({shape}, w.geom)"
        when = f"w.dig_ban_until > w.end_date AND daterange(w.end_date, w.dig_ban_until, '(]') && {window}"
    else:
        near = "ST_DWithin({shape}, w.geom, %(distance)s)"
        when = (
            "w.end_date >= %(today)s::date AND daterange((w.start_date - interval '6 months')::date,"
            f" (w.end_date + interval '6 months')::date, '[]') && {window}"
        )
    planned = (
        "ar.version_id = ANY(%(versions)s) AND ar.stage IN ('planned', 'pre_marketing', 'under_construction')"
        " AND ar.technology IN ('ftth', 'fttb')"
    )
    # The columns the list shows, as plainly as they come: works with owner and Stadtteil, area with provider and
    # version, the construction window, the distance.
    columns = (
        "w.id, w.title, w.reference, w.sector, o.name, w.start_date, w.end_date, w.dig_ban_until, d.name,"
        " ar.id, ar.key, ar.name, ar.stage, ar.technology, pr.name, pr.slug, v.number, v.published_at,"
        f" {win_start}, {win_end}, ST_Distance({{shape}}, w.geom)"
    )
    listed = (
        "SELECT ST_Union(ST_Buffer(a.geom, 10, 4)) AS shape FROM rollout_planarea_addresses t"
        " JOIN layers_address a ON a.id = t.address_id WHERE t.planarea_id = ar.id"
    )
    joins = (
        "JOIN coordination_worksowner o ON o.id = w.owner_id LEFT JOIN layers_district d ON d.id = w.district_id"
        " JOIN rollout_planversion v ON v.id = ar.version_id JOIN rollout_provider pr ON pr.id = v.provider_id"
    )
    if variant == "inline":
        return f"""
        SELECT {columns.format(shape="ar.geom")} FROM coordination_roadworks w
        JOIN rollout_planarea ar ON {near.format(shape="ar.geom")}
        {joins}
        WHERE {planned} AND {when}
        UNION ALL
        SELECT {columns.format(shape="l.shape")} FROM rollout_planarea ar
        CROSS JOIN LATERAL ({listed}) l
        JOIN coordination_roadworks w ON {near.format(shape="l.shape")}
        {joins}
        WHERE ar.geom IS NULL AND {planned} AND {when}
        """
    return f"""
        SELECT {columns.format(shape="h.shape")} FROM (
            SELECT w.id AS works_id, ar.id AS area_id, ar.geom AS shape FROM coordination_roadworks w
            JOIN rollout_planarea ar ON {near.format(shape="ar.geom")}
            WHERE {planned} AND {when}
            UNION ALL
            SELECT w.id, ar.id, l.shape FROM rollout_planarea ar
            CROSS JOIN LATERAL ({listed}) l
            JOIN coordination_roadworks w ON {near.format(shape="l.shape")}
            WHERE ar.geom IS NULL AND {planned} AND {when}
        ) h
        JOIN coordination_roadworks w ON w.id = h.works_id
        JOIN rollout_planarea ar ON ar.id = h.area_id
        {joins}
    """


def _best(function) -> tuple[float, object]:
    times, result = [], None
    for _ in range(ROUNDS):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def dig_once_run() -> dict:
    from django.db import connection

    from coordination.matching import CHANCE, CONFLICT, matches_find
    from rollout.models import PlanArea, PlanVersion

    works = _works_make(BENCH_ROADWORKS)
    versions = [v.pk for v in PlanVersion.objects.order_by("provider_id", "-number").distinct("provider_id")]
    areas = PlanArea.objects.filter(version_id__in=versions).count()
    result = {"works": works, "areas": areas}
    for kind, distance in ((CONFLICT, 0), (CHANCE, 50)):
        ours_s, ours = _best(
            lambda kind=kind, distance=distance: matches_find(
                kind=kind, versions=versions, today=TODAY, distance_m=distance, months=6
            )
        )

        def hand(kind=kind, variant="inline"):
            with connection.cursor() as cursor:
                params = {"today": TODAY, "versions": versions, "distance": 50.0}
                cursor.execute(_hand_sql(kind, variant=variant), params)
                return cursor.fetchall()

        # The peer at its best: whichever of its two forms the planner runs faster.
        hand_s, pairs = min(_best(hand), _best(lambda kind=kind: hand(kind, "pairs")), key=lambda t: t[0])
        result[kind] = {
            "ours_ms": ours_s * 1000,
            "hand_ms": hand_s * 1000,
            "matches": len(ours),
            "same_pairs": sorted((m.works_id, m.area_id) for m in ours) == sorted((r[0], r[9]) for r in pairs),
        }
    return result


def dig_once_bench(db, size: int, parts: set[str]) -> dict | None:
    """Run and print the dig-once figures of this size (parts b or c); the plan is imported first if missing."""
    if not parts & {"b", "c"}:
        return None
    from rollout.models import PlanVersion, Provider

    bench = Provider.objects.filter(slug="bench").first()
    if bench is None or not PlanVersion.objects.filter(provider=bench, published_at__isnull=False).exists():
        from bench.bench import import_run
        from rollout.services import plan_version_publish

        plan_version_publish(version=import_run(db)["version"], by=None, recompute=False)
    result = dig_once_run()
    print(f"\ndig once at {size:,} addresses: {result['works']:,} roadworks against {result['areas']:,} plan areas")
    for kind, label in (("conflict", "conflicts"), ("chance", "chances (50 m, 6 months)")):
        r = result[kind]
        ratio = r["ours_ms"] / r["hand_ms"] if r["hand_ms"] else float("nan")
        print(
            f"- {label}: {r['matches']:,} matches; ours {r['ours_ms']:.1f} ms, hand-written {r['hand_ms']:.1f} ms:"
            f" {ratio:.2f}x {'ok' if ratio <= 1.5 else 'MISS'} (target ≤1.5x); same pairs: {r['same_pairs']}"
        )
    return result
