"""Demo roadworks: fictional owners and works laid along the demo streets, placed against the demo plans.

Called by layers.demo.demo_generate after the providers' plans exist, so the works can be placed where the
dig-once matching has something to find: resurfaced streets whose dig ban covers planned fibre
(conflicts, one of them under a provider's confidential plan), works near planned fibre at about the same
time (co-laying chances), one that is both, and works that meet nothing (an old resurfacing whose ban is
over, works where no fibre is planned). Every row is ``is_demo``; dates are relative to the day of
generation (as the plans' are), places follow the plans and the seed.

A work's line follows a demo street: the street with the most houses inside (or, for a chance, just
outside) the area, its house points (10 m either side of the street) sorted along the street and averaged
in steps of 40 m, which gives the street's middle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection

from coordination.models import Roadworks, WorksOwner
from coordination.sectors import Sector
from layers.models import SRID, Address
from rollout.models import PlanArea, PlanVersion, Provider

# (name, sector, contact); the reserved .example domain (RFC 2606).
OWNERS: tuple[tuple[str, str, str], ...] = (
    ("Tiefbauamt Mülheim (Demo)", Sector.ROAD, "tiefbau@stadt-demo.example"),
    ("Wasserwerk Ruhrtal (Demo)", Sector.WATER, "leitungsbau@wasserwerk-demo.example"),
    ("Stadtentwässerung Mülheim (Demo)", Sector.SEWER, "kanal@stadtentwaesserung-demo.example"),
    ("Energienetz Ruhr (Demo)", Sector.POWER, "netzbau@energienetz-demo.example"),
    ("Fernwärme Mülheim (Demo)", Sector.DISTRICT_HEATING, "bau@fernwaerme-demo.example"),
    ("Gasnetz West (Demo)", Sector.GAS, "trassen@gasnetz-demo.example"),
)


@dataclass(frozen=True)
class WorksPlan:
    """One demo work: beside which demo plan area, how, when (months from the area's construction window)."""

    area: str  # key of a demo plan area (its provider's newest version)
    owner: int  # index into OWNERS
    title: str
    relation: str  # "inside": along a street in the area; "near": a street just outside it (NEAR_M)
    start: int  # months from the start of the area's construction window (negative: before)
    months: int  # duration of the works in months
    ban_years: int = 0  # dig ban after the works; 0: none


# What each work demonstrates is in its title's comment.
WORKS: tuple[WorksPlan, ...] = (
    # Conflict: resurfaced last year, ban over the planned quarter.
    WorksPlan("MR-03", 0, "Deckenerneuerung", "inside", -14, 3, ban_years=5),
    # Conflict under a confidential (unpublished) plan: the owner's mail must not name the provider.
    WorksPlan("LW-04", 2, "Kanalsanierung", "inside", -8, 4, ban_years=3),
    # Both: works three months before the planned quarter (a chance), then a ban over it (a conflict).
    WorksPlan("BW-02", 3, "Mittelspannungskabel", "inside", -5, 2, ban_years=4),
    # Chances: works just outside the area at about the construction time.
    WorksPlan("MR-06", 1, "Erneuerung der Wasserleitung", "near", -1, 4),
    WorksPlan("LW-02", 4, "Fernwärmeanschluss", "inside", 2, 3),
    WorksPlan("MR-02", 5, "Gasleitung, Hausanschlüsse", "near", 0, 5),
)
# Works that meet no plan: an old resurfacing whose ban is over, and works where no fibre is planned.
# (Stadtteil, its n-th street by number of houses, owner, title, start in months from today, months, ban years);
# Menden-Holthausen has no live fibre plan in the demo.
UNMATCHED: tuple[tuple[str, int, int, str, int, int, int], ...] = (
    ("Styrum", 0, 0, "Fahrbahnsanierung", -40, 3, 2),
    ("Menden-Holthausen", 0, 1, "Hauptwasserleitung", 4, 6, 0),
    ("Menden-Holthausen", 1, 0, "Gehwegsanierung", 6, 2, 3),
)
STEP_M = 40.0  # averaging step along the street
NEAR_M = 35.0  # "near": houses of a street this close to the area, outside it (its middle is within 45 m)


def _months(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, 28))


def _window(area: PlanArea, today: date) -> date:
    """The first day of the area's construction window (coordination.matching)."""
    if area.stage == "under_construction" or area.expected_date is None:
        return today
    return area.expected_date


def _street_line(points: np.ndarray) -> shapely.LineString | None:
    """The middle of a street from its house points: sorted along the main axis, averaged per STEP_M."""
    if len(points) < 2:
        return None
    centre = points.mean(axis=0)
    _, _, axes = np.linalg.svd(points - centre, full_matrices=False)
    along = (points - centre) @ axes[0]
    bins = np.floor((along - along.min()) / STEP_M).astype(int)
    vertices = [points[bins == b].mean(axis=0) for b in np.unique(bins)]
    if len(vertices) < 2:
        return None
    return shapely.LineString(np.round(vertices, 3))


def _houses(query) -> dict[str, np.ndarray]:
    by_street: dict[str, list] = {}
    for street, x, y in query:
        by_street.setdefault(street, []).append((x, y))
    return {street: np.array(xy) for street, xy in sorted(by_street.items())}


def _line_for(area: PlanArea, relation: str) -> tuple[str, shapely.LineString] | None:
    """A street (name, line) inside or just outside the area: the street with the most houses there."""
    shape = area.geom
    if shape is None:  # an address list: its addresses stand for the area
        shape = GEOSGeometry(
            shapely.to_wkb(shapely.MultiPoint([a.geom.coords for a in area.addresses.all()])), srid=SRID
        )
        shape = shape.buffer(10)
    sql = f"""SELECT street, ST_X(geom), ST_Y(geom) FROM {Address._meta.db_table}
              WHERE is_demo AND {
        "ST_Intersects(geom, %s)"
        if relation == "inside"
        else "ST_DWithin(geom, %s, %s) AND NOT ST_Intersects(geom, %s)"
    }
              ORDER BY street, house_number, house_number_suffix"""
    params = [shape.ewkb] if relation == "inside" else [shape.ewkb, NEAR_M, shape.ewkb]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        streets = _houses(cursor.fetchall())
    for _count, street in sorted(((-len(p), s) for s, p in streets.items())):
        line = _street_line(streets[street])
        if line is not None:
            return street, line
    return _line_fallback(shapely.from_wkb(bytes(shape.wkb)), relation)


def _line_fallback(shape: shapely.Geometry, relation: str) -> tuple[str, shapely.LineString]:
    """Where too few houses stand (a small demo): a line across the area's middle, or 20 m beside its east side."""
    xmin, ymin, xmax, ymax = shape.bounds
    if relation == "inside":
        y = shapely.point_on_surface(shape).y
        return "Querstraße", shapely.LineString([(xmin + 0.25 * (xmax - xmin), y), (xmax - 0.25 * (xmax - xmin), y)])
    x = xmax + 20.0
    return "Randweg", shapely.LineString([(x, ymin + 0.3 * (ymax - ymin)), (x, ymax - 0.3 * (ymax - ymin))])


def demo_roadworks_create(*, today: date) -> int:
    """The demo owners and their works (module docstring); returns the number of works."""
    owners = [
        WorksOwner.objects.create(name=name, sector=sector, contact_email=contact, is_demo=True)
        for name, sector, contact in OWNERS
    ]
    newest = {
        v.provider_id: v.pk
        for v in PlanVersion.objects.filter(provider__in=Provider.objects.filter(is_demo=True)).order_by("number")
    }
    areas = {a.key: a for a in PlanArea.objects.filter(version_id__in=newest.values()).prefetch_related("addresses")}
    made = []
    for plan in WORKS:
        area = areas.get(plan.area)
        found = _line_for(area, plan.relation) if area is not None else None
        if found is None:
            continue
        # Named after the street, never after the plan area (a confidential plan's name stays with its provider).
        street, line = found
        start = _months(_window(area, today), plan.start)
        made.append(_works(owners[plan.owner], plan.title, line, start, plan.months, plan.ban_years, street))
    for quarter, rank, owner, title, start_months, months, ban_years in UNMATCHED:
        line = _quarter_line(quarter, rank)
        if line is not None:
            start = _months(today, start_months)
            made.append(_works(owners[owner], title, line, start, months, ban_years, quarter))
    for number, works in enumerate(made, start=1):
        works.reference = f"DEMO-{number:03d}"
    Roadworks.objects.bulk_create(made)
    from coordination.services import roadworks_districts_assign

    for owner in owners:
        roadworks_districts_assign(owner_id=owner.pk)
    return len(made)


def _works(owner: WorksOwner, title: str, line, start: date, months: int, ban_years: int, place: str) -> Roadworks:
    end = max(_months(start, months) - timedelta(days=1), start)
    return Roadworks(
        owner=owner,
        sector=owner.sector,
        title=f"{title}, {place}",
        description="Fiktive Baumaßnahme der Demodaten.",
        geom=GEOSGeometry(memoryview(shapely.to_wkb(shapely.MultiLineString([line]))), srid=SRID),
        start_date=start,
        end_date=end,
        dig_ban_until=date(end.year + ban_years, end.month, min(end.day, 28)) if ban_years else None,
        source=Roadworks.Source.DEMO,
        source_note="Demo",
        is_demo=True,
    )


def _quarter_line(name: str, rank: int) -> shapely.LineString | None:
    """The ``rank``-th demo street (by number of houses, 0: the most) of the Stadtteil ``name``."""
    sql = f"""SELECT a.street, ST_X(a.geom), ST_Y(a.geom) FROM {Address._meta.db_table} a
              JOIN layers_district d ON d.id = a.district_id
              WHERE a.is_demo AND d.name = %s ORDER BY a.street, a.house_number, a.house_number_suffix"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [name])
        streets = _houses(cursor.fetchall())
    lines = [_street_line(streets[s]) for _count, s in sorted((-len(p), s) for s, p in streets.items())]
    lines = [line for line in lines if line is not None]
    return lines[rank] if rank < len(lines) else None


def demo_roadworks_delete() -> int:
    """Every demo work and owner (never another); the notifications sent about them stay as records."""
    deleted = Roadworks.objects.filter(is_demo=True).delete()[0]
    return deleted + WorksOwner.objects.filter(is_demo=True, roadworks__isnull=True).delete()[0]
