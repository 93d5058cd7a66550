"""Rollout plans of the fictional demo providers, handed in through the rollout services like real files.

Each plan version is written as the file a provider would send (GeoJSON polygons
in EPSG:25832, or a CSV address list), then validated by ``submission_create``,
accepted and, where the script says so, published. Versions, diffs, the track
record and availability are therefore exactly what real uploads would give.

What the plans show: every stage and technology; overbuild (areas of several
providers over the same streets, and cable over whole Stadtteile); address-list
areas; providers with two or three versions whose dates slipped or whose areas
were cancelled (and one revived); and one provider whose newest version is
accepted but not published, i.e. confidential.

Dates are relative to the day of generation, because validation refuses planned
dates in the past; everything else (places, sizes, address picks) follows the seed.
Version timestamps are moved back by whole quarters after acceptance so that the
history (``plan_as_of``, availability's ``last_confirmed``) looks like years of
uploads, not one second.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import shapely
from django.core.files.base import ContentFile
from django.utils import timezone

from geoportal.errors import GeoportalError
from layers.demo.addresses import Houses
from layers.demo.districts import QUARTERS
from rollout.models import PlanSubmission, PlanVersion, Provider
from rollout.services import availability_recompute, plan_version_publish, submission_accept, submission_create
from rollout.stages import Funding, Stage, TargetGroup, Technology

P, M, B = Stage.PLANNED, Stage.PRE_MARKETING, Stage.UNDER_CONSTRUCTION
HP, HC, OK, X = Stage.HOMES_PASSED, Stage.HOMES_CONNECTED, Stage.BOOKABLE, Stage.CANCELLED
PROGRAMME = "Gigabitförderung 2.0 (Bund, Land NRW) – Demo"
QUOTA_PERCENT = 40
DAYS_BETWEEN_VERSIONS = 91

# An area's state in one version: (stage, quarters from the current one: > 0 ahead, <= 0 past) or
# (cancelled, reason); None: the area is not in that version.
State = tuple[str, int | str] | None


@dataclass(frozen=True)
class AreaPlan:
    key: str
    name: str
    quarter: str  # key of the Stadtteil it lies in
    technology: str
    states: tuple[State, ...]  # one per version
    size: float = 350.0  # half the side of the square in metres; 0: the whole Stadtteil
    near: str | None = None  # an earlier area (of any provider) this one overlaps: overbuild
    addresses: int = 0  # > 0: an explicit list of this many addresses instead of a polygon
    down: int = 1000
    up: int = 200
    funding: str = Funding.OWN
    target_group: str = TargetGroup.RESIDENTIAL
    fee: str = ""


@dataclass(frozen=True)
class ProviderPlan:
    slug: str
    published: int  # how many of the versions the city published; later ones stay confidential
    areas: tuple[AreaPlan, ...]

    @property
    def versions(self) -> int:
        return len(self.areas[0].states)


FTTH, FTTB, HFC, FTTC, FWA = (Technology.FTTH, Technology.FTTB, Technology.HFC, Technology.FTTC, Technology.FWA_5G)
NO_DEMAND = "Vorvermarktungsquote nicht erreicht"

PLANS: tuple[ProviderPlan, ...] = (
    # A municipal utility building FTTH: three published versions; dates slip, an area is cancelled and revived.
    ProviderPlan(
        "demo-musterfaser-ruhr",
        published=3,
        areas=(
            AreaPlan("MR-01", "Altstadt Kern", "AS1", FTTH, ((B, 1), (HP, 0), (OK, 0)), 300, down=1000, up=500),
            AreaPlan("MR-02", "Heißen Mitte", "HEI", FTTH, ((P, 2), (M, 3), (B, 2)), 400, down=1000, up=500),
            AreaPlan("MR-03", "Heißen Ost", "HEI", FTTH, ((P, 1), (P, 3), (P, 5)), 300, down=1000, up=500),
            AreaPlan("MR-04", "Holthausen", "MHO", FTTH, ((M, 2), (M, 2), (X, NO_DEMAND)), 450, down=1000, up=500),
            AreaPlan("MR-05", "Altstadt II Nord", "AS2", FTTH, ((B, 1), (HP, 0), (HC, 0)), 300, down=1000, up=500),
            AreaPlan("MR-06", "Altstadt Süd", "AS1", FTTH, (None, (P, 4), (P, 4)), 250, down=1000, up=500),
            AreaPlan(
                "MR-07",
                "Dümpten West",
                "DUE",
                FTTH,
                ((P, 3), (X, "Trassengenehmigung versagt"), (P, 6)),
                400,
                down=1000,
                up=500,
            ),
        ),
    ),
    # A national carrier: FTTB over the utility's streets (overbuild) and old FTTC/VDSL; two versions.
    ProviderPlan(
        "demo-beispielnetz-west",
        published=2,
        areas=(
            AreaPlan("BW-01", "Altstadt FTTB", "AS1", FTTB, ((B, 1), (HP, 0)), 300, near="MR-01"),
            AreaPlan("BW-02", "Heißen FTTB", "HEI", FTTB, ((P, 2), (P, 4)), 350, near="MR-02"),
            AreaPlan("BW-03", "Styrum VDSL", "STY", FTTC, ((OK, -6), (OK, -6)), 600, down=250, up=40),
            AreaPlan("BW-04", "Broich FTTB", "BRO", FTTB, ((M, 2), (X, NO_DEMAND)), 350),
            AreaPlan("BW-05", "Altstadt II FTTB", "AS2", FTTB, ((P, 2), (B, 1)), 300, near="MR-05"),
        ),
    ),
    # A fibre-only builder with pre-marketing and subsidies; its second version is accepted, not published.
    ProviderPlan(
        "demo-lichtweg-exemplar",
        published=1,
        areas=(
            AreaPlan("LW-01", "Saarn Dorf", "SAA", FTTH, ((M, 3), (B, 2)), 500, funding=Funding.SUBSIDY, fee="0.00"),
            AreaPlan("LW-02", "Speldorf Nord", "SPE", FTTH, ((P, 2), (P, 4)), 450, fee="99.00"),
            AreaPlan("LW-03", "Saarn Süd", "SAA", FTTH, ((M, 4), (M, 4)), 350, funding=Funding.SUBSIDY, fee="0.00"),
            AreaPlan("LW-04", "Speldorf Süd (vertraulich)", "SPE", FTTH, (None, (P, 3)), 400),
            AreaPlan("LW-05", "Broich Ost", "BRO", FTTH, ((P, 3), (P, 3)), 300, near="BW-04", fee="99.00"),
        ),
    ),
    # A business-park builder whose plans are address lists.
    ProviderPlan(
        "demo-glasfaser-fiktiv",
        published=1,
        areas=(
            AreaPlan(
                "GF-01",
                "Gewerbe Styrum",
                "STY",
                FTTH,
                ((B, 1),),
                addresses=40,
                up=1000,
                fee="0.00",
                target_group=TargetGroup.BUSINESS,
            ),
            AreaPlan(
                "GF-02",
                "Gewerbe Dümpten",
                "DUE",
                FTTH,
                ((HC, 0),),
                addresses=25,
                up=1000,
                fee="0.00",
                target_group=TargetGroup.BUSINESS,
            ),
            AreaPlan(
                "GF-03",
                "Gewerbe Heißen",
                "HEI",
                FTTH,
                ((P, 2),),
                addresses=30,
                up=1000,
                fee="0.00",
                target_group=TargetGroup.BOTH,
            ),
        ),
    ),  # fmt: skip
    # A cable operator: DOCSIS 3.1 over whole Stadtteile, 5G-FWA at the edge.
    ProviderPlan(
        "demo-kabelwerk-platzhalter",
        published=1,
        areas=(
            AreaPlan("KP-01", "Kabel Altstadt I", "AS1", HFC, ((OK, -8),), 0, up=50),
            AreaPlan("KP-02", "Kabel Altstadt II", "AS2", HFC, ((OK, -8),), 0, up=50),
            AreaPlan("KP-03", "Kabel Styrum", "STY", HFC, ((OK, -7),), 0, up=50),
            AreaPlan("KP-04", "Kabel Broich", "BRO", HFC, ((B, 1),), 0, up=50),
            AreaPlan("KP-05", "Funk Saarn", "SAA", FWA, ((P, 1),), 600, down=300, up=50),
            AreaPlan("KP-06", "Funk Holthausen", "MHO", FWA, ((OK, -1),), 500, down=300, up=50),
        ),
    ),
)


@dataclass(frozen=True)
class PlansReport:
    versions: int
    published: int
    areas: int
    availability: int


def _quarter(today: date, offset: int) -> date:
    """First day of the quarter ``offset`` quarters after today's."""
    year, index = divmod(today.year * 4 + (today.month - 1) // 3 + offset, 4)
    return date(year, 3 * index + 1, 1)


def _row(area: AreaPlan, state: tuple[str, int | str], today: date) -> dict:
    stage, when = state
    row = {
        "key": area.key,
        "name": area.name,
        "stage": str(stage),
        "technology": str(area.technology),
        "expected": "",
        "max_down": area.down,
        "max_up": area.up,
        "quota": None,  # a number or nothing: "" would make GDAL read the column as text
        "quota_deadline": "",
        "cancel_reason": "",
        "funding": str(area.funding),
        "subsidy_programme": PROGRAMME if area.funding == Funding.SUBSIDY else "",
        "connection_fee": area.fee,
        "target_group": str(area.target_group),
    }
    if stage == X:
        row["cancel_reason"] = when
        return row
    start = _quarter(today, when)
    row["expected"] = f"Q{(start.month - 1) // 3 + 1}/{start.year}"
    if stage == M:
        row["quota"] = QUOTA_PERCENT
        row["quota_deadline"] = (today + timedelta(days=30 + 30 * when)).isoformat()
    return row


class _Places:
    """Where each area lies: a polygon or a list of addresses, drawn once per area and kept across versions."""

    def __init__(self, *, shapes: dict[str, shapely.Geometry], houses: dict[str, Houses]) -> None:
        self.shapes = shapes
        self.houses = houses
        self.postcodes = {q.key: q.postcode for q in QUARTERS}
        self.centres: dict[str, tuple[float, float]] = {}

    def polygon(self, area: AreaPlan, rng: np.random.Generator) -> shapely.Geometry:
        quarter = self.shapes[area.quarter].buffer(-2.0)  # stay clear of the Stadtteil's edge
        if area.size == 0:
            return quarter.simplify(2.0)
        if area.near is not None:
            x, y = self.centres[area.near]
            x, y = x + rng.uniform(-0.4, 0.4) * area.size, y + rng.uniform(-0.4, 0.4) * area.size
        else:
            houses = self.houses[area.quarter]
            pick = int(rng.integers(len(houses)))
            x, y = float(houses.x[pick]), float(houses.y[pick])
        self.centres[area.key] = (x, y)
        square = shapely.box(x - area.size, y - area.size, x + area.size, y + area.size)
        parts = [p for p in shapely.get_parts(shapely.intersection(square, quarter)) if p.geom_type == "Polygon"]
        if not parts:
            raise GeoportalError(f"demo area {area.key} misses its Stadtteil {area.quarter}")
        return shapely.MultiPolygon(parts)

    def addresses(self, area: AreaPlan, rng: np.random.Generator) -> list[tuple[str, str, str]]:
        """The ``area.addresses`` houses (without suffix) nearest to a random one: a business park's streets."""
        houses = self.houses[area.quarter]
        plain = np.flatnonzero(houses.suffix == "")
        first = plain[int(rng.integers(len(plain)))]
        distance = (houses.x[plain] - houses.x[first]) ** 2 + (houses.y[plain] - houses.y[first]) ** 2
        chosen = plain[np.argsort(distance, kind="stable")[: area.addresses]]
        self.centres[area.key] = (float(houses.x[first]), float(houses.y[first]))
        postcode = self.postcodes[area.quarter]
        return [(str(houses.street[i]), str(int(houses.number[i])), postcode) for i in sorted(chosen)]


def _geojson(name: str, rows: list[tuple[dict, shapely.Geometry]]) -> ContentFile:
    collection = {
        "type": "FeatureCollection",
        "name": name,
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
        "features": [
            {"type": "Feature", "properties": row, "geometry": json.loads(shapely.to_geojson(geom))}
            for row, geom in rows
        ],
    }
    return ContentFile(json.dumps(collection, ensure_ascii=False).encode(), name=f"{name}.geojson")


def _csv(name: str, rows: list[tuple[dict, list[tuple[str, str, str]]]]) -> ContentFile:
    text = io.StringIO()
    writer = None
    for row, addresses in rows:
        for street, number, postcode in addresses:
            line = {**row, "street": street, "house_number": number, "postcode": postcode}
            if writer is None:
                writer = csv.DictWriter(text, fieldnames=list(line))
                writer.writeheader()
            writer.writerow(line)
    return ContentFile(text.getvalue().encode(), name=f"{name}.csv")


def _plan_file(plan: ProviderPlan, number: int, places: dict, today: date) -> ContentFile:
    name = f"{plan.slug}-v{number}"
    rows = [
        (_row(area, area.states[number - 1], today), places[area.key])
        for area in plan.areas
        if area.states[number - 1] is not None
    ]
    if all(area.addresses for area in plan.areas):
        return _csv(name, rows)
    return _geojson(name, rows)


def _submit(provider: Provider, file: ContentFile) -> PlanVersion:
    submission = submission_create(provider=provider, file=file, by=None)
    if submission.state != PlanSubmission.State.RECEIVED:
        errors = [p["message"] for p in submission.report if p["severity"] == "error"][:3]
        raise GeoportalError(f"demo plan {file.name} is invalid: {'; '.join(errors)}")
    return submission_accept(submission=submission, by=None)


def _backdate(version: PlanVersion, *, quarters_ago: int, today: date) -> None:
    """Move the version's (and its submission's) timestamps back, keeping their order."""
    accepted = timezone.make_aware(datetime.combine(today, time(10))) - timedelta(
        days=7 + DAYS_BETWEEN_VERSIONS * quarters_ago
    )
    published = accepted + timedelta(days=2) if version.published_at else None
    PlanVersion.objects.filter(pk=version.pk).update(accepted_at=accepted, published_at=published)
    PlanSubmission.objects.filter(pk=version.submission_id).update(
        received_at=accepted - timedelta(days=1), decided_at=accepted
    )


def demo_plans_create(
    *,
    providers: list[Provider],
    shapes: dict[str, shapely.Geometry],
    houses: dict[str, Houses],
    seed: int,
    today: date | None = None,
) -> PlansReport:
    """Hand in, accept and publish the demo providers' plan versions; recompute availability once."""
    today = today or timezone.localdate()
    by_slug = {p.slug: p for p in providers}
    places = _Places(shapes=shapes, houses=houses)
    versions = published = areas = 0
    for index, plan in enumerate(PLANS):
        # One generator per provider: changing one provider's script leaves the others' places be.
        rng = np.random.default_rng([seed, 100 + index])
        where = {a.key: places.addresses(a, rng) if a.addresses else places.polygon(a, rng) for a in plan.areas}
        for number in range(1, plan.versions + 1):
            version = _submit(by_slug[plan.slug], _plan_file(plan, number, where, today))
            if number <= plan.published:
                version = plan_version_publish(version=version, by=None, recompute=False)
                published += 1
            _backdate(version, quarters_ago=plan.versions - number, today=today)
            versions += 1
            areas += sum(a.states[number - 1] is not None for a in plan.areas)
    return PlansReport(versions=versions, published=published, areas=areas, availability=availability_recompute())
