"""Real OGC API clients (GDAL's OAPIF driver, OWSLib) against a live server on real PostGIS."""

import json
import shutil
import subprocess

import pytest
from owslib.ogcapi.features import Features

from rollout.selectors import availability_features, district_statistics, plan_area_features
from schools.models import School
from tests.ogc.conftest import city_load, rollout_load

EPSG_25832 = "http://www.opengis.net/def/crs/EPSG/0/25832"
pytestmark = pytest.mark.slow


@pytest.fixture
def live_city(transactional_db, live_server) -> str:
    """The city's data visible to the live server's thread (committed), and the API's URL."""
    city_load()
    return f"{live_server.url}/ogc"


def ogr(*args: str) -> str:
    if shutil.which("ogrinfo") is None:
        pytest.skip("ogrinfo (gdal-bin) is not installed")
    result = subprocess.run(["ogrinfo", *args], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_ogrinfo_reads_all_schools(live_city):
    out = ogr("-ro", "-al", "-so", f"OAPIF:{live_city}/collections/schools")
    assert "Feature Count: 40" in out


@pytest.fixture
def live_rollout(live_city) -> str:
    rollout_load()
    return live_city


@pytest.mark.parametrize(
    ("collection", "public_rows"),
    [
        ("rollout-areas", lambda: plan_area_features(user=None)),
        ("availability", lambda: availability_features(user=None)),
        ("district-statistics", lambda: district_statistics(user=None)),
    ],
)
def test_ogrinfo_counts_the_public_rollout_rows(live_rollout, collection, public_rows):
    out = ogr("-ro", "-al", "-so", f"OAPIF:{live_rollout}/collections/{collection}")
    assert f"Feature Count: {public_rows().count()}" in out
    assert public_rows().count() > 0


def test_ogr2ogr_pages_through_availability_with_the_stored_attributes(live_rollout, tmp_path):
    features = ogr2ogr_features(f"OAPIF:{live_rollout}/collections/availability", tmp_path, "-oo", "PAGE_SIZE=7")
    stored = {(a.address_id, a.provider_slug): a.stage for a in availability_features(user=None)}
    assert {(f["properties"]["address_id"], f["properties"]["provider_slug"]): f["properties"]["stage"]
            for f in features} == stored  # fmt: skip


def ogr2ogr_features(source: str, tmp_path, *args: str) -> list[dict]:
    if shutil.which("ogr2ogr") is None:
        pytest.skip("ogr2ogr (gdal-bin) is not installed")
    target = tmp_path / "out.geojson"
    subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "-lco", "RFC7946=NO", *args, str(target), source],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return json.loads(target.read_text())["features"]


def assert_at_stored_positions(features: list[dict]) -> None:
    stored = {s.school_number: s.geom for s in School.objects.all()}
    assert len(features) == 40
    for feature in features:
        x, y = feature["geometry"]["coordinates"][:2]
        geom = stored[feature["properties"]["school_number"]]
        assert abs(x - geom.x) < 1
        assert abs(y - geom.y) < 1


def test_ogr2ogr_pages_through_crs84_that_reprojects_onto_the_stored_coordinates(live_city, tmp_path):
    source = f"OAPIF:{live_city}/collections/schools"
    assert_at_stored_positions(ogr2ogr_features(source, tmp_path, "-oo", "PAGE_SIZE=15", "-t_srs", "EPSG:25832"))


def test_gdal_reads_items_requested_in_storage_crs(live_city, tmp_path):
    # GDAL 3.6's OAPIF driver cannot ask for a CRS (its CRS option came in 3.7): read the
    # items URL with ?crs= through GDAL's GeoJSON driver instead.
    source = f"{live_city}/collections/schools/items?limit=100&crs={EPSG_25832}"
    assert_at_stored_positions(ogr2ogr_features(source, tmp_path))


def test_owslib_features_in_storage_crs(live_city):
    api = Features(live_city)
    assert "schools" in [c["id"] for c in api.collections()["collections"]]
    items = api.collection_items("schools", limit=50, crs=EPSG_25832)
    stored = {s.pk: s.geom for s in School.objects.all()}
    assert items["numberMatched"] == 40
    for feature in items["features"]:
        x, y = feature["geometry"]["coordinates"]
        assert abs(x - stored[feature["id"]].x) < 1
        assert abs(y - stored[feature["id"]].y) < 1


def test_owslib_sends_cql2_text_and_json_filters(live_city):
    api = Features(live_city)
    items = api.collection_items("schools", limit=100, filter="pupils > 500 AND is_school = TRUE")
    assert items["numberMatched"] == School.objects.filter(pupils__gt=500, is_school=True).count() > 0
    expression = json.dumps({"op": "like", "args": [{"property": "name"}, "%Gymnasium%"]})
    items = api.collection_items("schools", limit=100, filter=expression, **{"filter-lang": "cql2-json"})
    assert items["numberMatched"] == School.objects.filter(name__contains="Gymnasium").count() > 0


def test_ogrinfo_where_becomes_a_server_side_cql2_filter(live_city):
    expected = School.objects.filter(pupils__gt=500, school_type="Grundschule").count()
    out = ogr_debug(
        "-ro",
        "-al",
        "-so",
        f"OAPIF:{live_city}/collections/schools",
        "-where",
        "pupils > 500 AND school_type = 'Grundschule'",
    )  # noqa: E501
    assert f"Feature Count: {expected}" in out.stdout
    # GDAL sent the filter to the server instead of downloading everything.
    assert "filter=" in out.stderr


def ogr_debug(*args: str) -> subprocess.CompletedProcess:
    if shutil.which("ogrinfo") is None:
        pytest.skip("ogrinfo (gdal-bin) is not installed")
    result = subprocess.run(
        ["ogrinfo", "--debug", "on", *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_ogr2ogr_where_counts_match_the_database(live_city, tmp_path):
    source = f"OAPIF:{live_city}/collections/schools"
    features = ogr2ogr_features(source, tmp_path, "-where", "startchancen = 1 OR social_index >= 8")
    from django.db.models import Q

    assert len(features) == School.objects.filter(Q(startchancen=True) | Q(social_index__gte=8)).count() > 0
