"""Fixtures of the OGC API tests: the city's real data (boundary, 40 schools, catalogue) in PostGIS."""

import pytest
from django.conf import settings

from layers import services
from ogc.config import config_invalidate
from ogc.tiles.matrix import city_bbox_forget
from schools.importers import schools_load
from tests.conftest import REPO

DATA = REPO / "data" / "muelheim"


def city_load() -> None:
    services.city_boundary_load(path=DATA / "boundary_muelheim_vg250.geojson", ags=settings.CITY_AGS, source="test")
    schools_load(
        msb_geojson=DATA / "schools_nrw_msb_schuldaten_2021-09_muelheim.geojson",
        itnrw_csv=DATA / "schools_itnrw_2024-25_sozialindex_muelheim.csv",
    )
    services.layer_catalogue_load(path=REPO / "data" / "layers.json")


@pytest.fixture(autouse=True)
def _fresh_config():
    """The pygeoapi config is cached across requests; each test sees its own catalogue."""
    config_invalidate()
    yield
    config_invalidate()


@pytest.fixture
def own_tile_cache(settings, tmp_path):
    """An empty shared (file) cache of the test's own, and the city's extent read again (tiles tests)."""
    settings.CACHES = {
        **settings.CACHES,
        "shared": {"BACKEND": "geoportal.cache.SharedFileCache", "LOCATION": str(tmp_path / "cache")},
    }
    city_bbox_forget()
    yield
    city_bbox_forget()


@pytest.fixture
def city(db) -> None:
    city_load()


def rollout_load() -> None:
    """A little published rollout data for the live-server clients: polygon and address-list areas of two
    providers, an unpublished version that must stay invisible, districts with addresses, availability."""
    from django.contrib.gis.geos import Point
    from django.utils import timezone

    from layers.models import SRID, District
    from rollout.availability import availability_recompute
    from tests.factories import (
        AddressFactory,
        DistrictFactory,
        PlanAreaFactory,
        PlanVersionFactory,
        ProviderFactory,
        square,
    )

    borough = DistrictFactory(level=District.Level.BOROUGH, geom=square(348000, 5698000, 352000, 5702000))
    quarters = [
        DistrictFactory(parent=borough, geom=square(348000 + 2000 * i, 5698000, 350000 + 2000 * i, 5702000))
        for i in range(2)
    ]
    addresses = [
        AddressFactory(geom=Point(348100 + 37 * i, 5699000 + 11 * (i % 7), srid=SRID), district=quarters[i % 2])
        for i in range(60)
    ]
    now = timezone.now()
    for n, (stage, technology) in enumerate((("bookable", "ftth"), ("planned", "hfc"))):
        version = PlanVersionFactory(provider=ProviderFactory(), number=1, published_at=now)
        PlanAreaFactory(
            version=version,
            geom=square(348000, 5698500, 349200 + 400 * n, 5699500),
            stage=stage,
            technology=technology,
            expected_date="2030-04-01",
            expected_precision="quarter",
        )
        listed = PlanAreaFactory(version=version, geom=None, stage="under_construction", expected_date="2030-01-01")
        listed.addresses.set(addresses[40 + 5 * n : 45 + 5 * n])
        hidden = PlanVersionFactory(provider=version.provider, number=2)
        PlanAreaFactory(version=hidden, geom=square(350000, 5700000, 351000, 5701000), stage="planned")
    availability_recompute()
