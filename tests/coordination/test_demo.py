"""The demo roadworks (coordination.demo): flagged, deterministic, and placed so the matching finds something."""

from __future__ import annotations

import pytest

from coordination.matching import CHANCE, CONFLICT
from coordination.models import Roadworks, WorksOwner
from coordination.selectors import matches_visible
from layers.demo import demo_delete, demo_generate
from layers.services import CITY_DATA, city_boundary_load
from tests.factories import planner

AGS = "05117000"


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.CITY_AGS = AGS
    settings.MEDIA_ROOT = tmp_path / "media"
    city_boundary_load(path=CITY_DATA / "boundary_muelheim_vg250.geojson", ags=AGS, source="test")
    return demo_generate(seed=3, addresses=2000)


def _works() -> list[tuple]:
    return [
        (w.reference, w.owner.name, w.sector, w.title, w.start_date, w.end_date, w.dig_ban_until, w.geom.wkt)
        for w in Roadworks.objects.select_related("owner").order_by("reference")
    ]


def test_demo_roadworks_are_flagged_and_meet_the_demo_plans(demo):
    assert demo.roadworks == Roadworks.objects.count() >= 8
    assert not Roadworks.objects.filter(is_demo=False).exists()
    assert not WorksOwner.objects.filter(is_demo=False).exists()
    assert all(w.source == Roadworks.Source.DEMO for w in Roadworks.objects.all())
    user = planner()
    conflicts = matches_visible(user=user, kind=CONFLICT)
    chances = matches_visible(user=user, kind=CHANCE)
    assert len(conflicts) >= 2
    assert len(chances) >= 3
    # one conflict lies under a provider's confidential (unpublished) plan
    assert any(not m.published for m in conflicts)
    assert any(m.published for m in conflicts)
    # some works meet no plan at all (an old resurfacing, works where nothing is planned)
    matched = {m.works_id for m in conflicts + chances}
    assert Roadworks.objects.exclude(pk__in=matched).count() >= 2
    # works are named after their street, never after a (possibly confidential) plan area
    areas = {m.area_name for m in conflicts + chances if m.area_name}
    assert not any(name in w.title for w in Roadworks.objects.all() for name in areas)


def test_the_same_seed_gives_the_same_works(demo):
    first = _works()
    demo_generate(seed=3, addresses=2000, replace=True)
    assert _works() == first


def test_demo_delete_removes_the_demo_works_and_owners_and_keeps_the_citys(demo):
    own = WorksOwner.objects.create(name="Tiefbauamt (echt)", sector="road")
    demo_delete()
    assert not Roadworks.objects.exists()
    assert list(WorksOwner.objects.all()) == [own]
