"""Fixtures of the coordination tests: the test city, owners, works and plans whose matches are known exactly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Polygon

from coordination.models import Roadworks, WorksOwner
from layers.models import SRID
from tests.factories import CityFactory, PlanAreaFactory, PlanVersionFactory, ProviderFactory, member_of, planner

ROADWORKS = Path(__file__).resolve().parent.parent / "data" / "roadworks"


def line(*points) -> MultiLineString:
    return MultiLineString(LineString(*points), srid=SRID)


def box(xmin, ymin, xmax, ymax) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((xmin, ymin, xmax, ymax)), srid=SRID)


def works(owner: WorksOwner, title: str, geom, start: date, end: date, ban: date | None = None, **extra) -> Roadworks:
    return Roadworks.objects.create(
        owner=owner,
        sector=extra.pop("sector", "road"),
        title=title,
        geom=geom,
        start_date=start,
        end_date=end,
        dig_ban_until=ban,
        source=Roadworks.Source.FORM,
        **extra,
    )


@pytest.fixture
def city(db):
    return CityFactory()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def owner(db) -> WorksOwner:
    return WorksOwner.objects.create(name="Tiefbauamt", sector="road", contact_email="tiefbau@stadt.example")


@pytest.fixture
def plans(city) -> dict:
    """Alpha (published v2; v1 older) and Beta (unpublished v1): areas whose windows are known.

    Today is 2026-12-01 in the tests that use these.
    - A: Alpha, planned Q3/2027 (2027-07-01 to 2027-09-30), FTTH, square 349000–350000 / 5699000–5700000
    - C: Alpha, under construction until Q1/2027 (window 2026-12-01 to 2027-03-31), 346000–347000 / 5696000–5697000
    - D: Alpha, homes passed (no longer built), 352000–353000 / 5702000–5703000
    - E: Alpha, planned Q3/2027 but FTTC (no trench), 352000–353000 / 5696000–5697000
    - B: Beta (unpublished), planned Q3/2027, FTTB, 353500–354500 / 5699000–5700000
    - old A: Alpha v1's area at D's place, planned: superseded by v2, never matched
    """
    alpha = ProviderFactory(slug="alpha", name="Alpha Netz")
    beta = ProviderFactory(slug="beta", name="Beta Glas")
    a1 = PlanVersionFactory(provider=alpha, number=1, published_at="2026-01-01T00:00Z")
    PlanAreaFactory(
        version=a1, key="OLD", stage="planned", expected_date=date(2027, 7, 1), expected_precision="quarter",
        geom=box(352000, 5702000, 353000, 5703000),
    )  # fmt: skip
    a2 = PlanVersionFactory(provider=alpha, number=2, published_at="2026-06-01T00:00Z")
    quarter = {"expected_date": date(2027, 7, 1), "expected_precision": "quarter"}
    areas = {
        "A": PlanAreaFactory(
            version=a2, key="A", stage="planned", geom=box(349000, 5699000, 350000, 5700000), **quarter
        ),
        "C": PlanAreaFactory(
            version=a2,
            key="C",
            stage="under_construction",
            geom=box(346000, 5696000, 347000, 5697000),
            expected_date=date(2027, 1, 1),
            expected_precision="quarter",
        ),  # fmt: skip
        "D": PlanAreaFactory(version=a2, key="D", stage="homes_passed", geom=box(352000, 5702000, 353000, 5703000)),
        "E": PlanAreaFactory(
            version=a2,
            key="E",
            stage="planned",
            technology="fttc",
            geom=box(352000, 5696000, 353000, 5697000),
            **quarter,
        ),
    }
    b1 = PlanVersionFactory(provider=beta, number=1, published_at=None)
    areas["B"] = PlanAreaFactory(
        version=b1, key="B", stage="planned", technology="fttb", geom=box(353500, 5699000, 354500, 5700000), **quarter
    )
    return {
        "alpha": alpha,
        "beta": beta,
        "areas": areas,
        "planner": planner(),
        "alpha_member": member_of(alpha),
        "beta_member": member_of(beta),
    }
