"""PyQGIS (Debian's python3-qgis, run headless in the system Python) loads every collection."""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from layers.models import Address, District, Facility
from rollout.selectors import availability_features, district_statistics, plan_area_features
from schools.models import School
from tests.factories import AddressFactory, DistrictFactory, FacilityFactory
from tests.ogc.conftest import city_load, rollout_load

pytestmark = pytest.mark.slow
PROBE = Path(__file__).with_name("qgis_probe.py")
SYSTEM_PYTHON = "/usr/bin/python3"


def qgis_probe(base: str, *collections: str) -> dict:
    if (
        not shutil.which(SYSTEM_PYTHON)
        or subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, check=False).returncode
    ):
        pytest.fail("python3-qgis is not installed for the system Python (make test installs it)")
    runtime = Path(tempfile.mkdtemp(prefix="qgis-runtime-"))  # Qt wants a private (0700) runtime dir
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(runtime)}
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [SYSTEM_PYTHON, str(PROBE), base, *collections],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def live_city(transactional_db, live_server) -> str:
    city_load()
    DistrictFactory.create_batch(3)
    AddressFactory.create_batch(120)
    FacilityFactory.create_batch(4)
    return f"{live_server.url}/ogc"


def test_qgis_loads_every_collection_with_the_expected_feature_count(live_city):
    seen = qgis_probe(live_city, "districts", "addresses", "facilities", "schools")

    expected = {
        "districts": District.objects.count(),
        "addresses": Address.objects.count(),
        "facilities": Facility.objects.count(),
        "schools": School.objects.count(),
    }
    assert {name: layer.get("count") for name, layer in seen.items()} == expected
    assert all(layer["valid"] for layer in seen.values())


def test_qgis_places_the_schools_at_their_official_coordinates(live_city):
    seen = qgis_probe(live_city, "schools")["schools"]

    stored = {s.school_number: s.geom for s in School.objects.all()}
    assert seen["count"] == 40
    for feature in seen["features"]:
        geom = stored[feature["attributes"]["school_number"]]
        assert abs(feature["x"] - geom.x) < 1
        assert abs(feature["y"] - geom.y) < 1


@pytest.fixture
def live_rollout(transactional_db, live_server) -> str:
    city_load()
    rollout_load()
    return f"{live_server.url}/ogc"


def test_qgis_loads_the_rollout_collections_with_the_public_feature_count(live_rollout):
    seen = qgis_probe(live_rollout, "rollout-areas", "availability", "district-statistics")

    expected = {
        "rollout-areas": plan_area_features(user=None).count(),
        "availability": availability_features(user=None).count(),
        "district-statistics": district_statistics(user=None).count(),
    }
    assert {name: layer.get("count") for name, layer in seen.items()} == expected
    assert all(layer["valid"] for layer in seen.values())
    assert {"provider_slug", "stage", "expected_date", "published"} <= set(seen["rollout-areas"]["fields"])
    assert {"homes_fibre", "fibre_share_percent"} <= set(seen["district-statistics"]["fields"])
    # Address-list areas arrive as polygons around their addresses, like the others.
    assert {f["attributes"]["address_list"] for f in seen["rollout-areas"]["features"]} == {"True", "False"}
