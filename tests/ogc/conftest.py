"""Fixtures of the OGC API tests: the city's real data (boundary, 40 schools, catalogue) in PostGIS."""

import pytest
from django.conf import settings

from layers import services
from ogc.config import config_invalidate
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
def city(db) -> None:
    city_load()
