"""Fixtures for the page tests: the real city boundary, schools and layer catalogue."""

from pathlib import Path

import pytest

from layers import services
from schools.importers import schools_load

REPO = Path(__file__).resolve().parent.parent.parent
CITY = REPO / "data" / "muelheim"


def city_data_load() -> None:
    """Boundary, schools and catalogue from data/ (the same files load_city uses)."""
    services.city_boundary_load(path=CITY / "boundary_muelheim_vg250.geojson", ags="05117000", source="t")
    schools_load(
        msb_geojson=CITY / "schools_nrw_msb_schuldaten_2021-09_muelheim.geojson",
        itnrw_csv=CITY / "schools_itnrw_2024-25_sozialindex_muelheim.csv",
    )
    services.layer_catalogue_load(path=REPO / "data" / "layers.json")


@pytest.fixture
def city(db) -> None:
    city_data_load()
