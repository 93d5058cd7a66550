"""SelectorProvider against real PostGIS: paging, bbox, CRS, property filters."""

import pytest
from pygeoapi.provider.base import ProviderInvalidQueryError, ProviderItemNotFoundError

from ogc.context import RequestState, state_reset, state_set
from ogc.crs import CRS84, EPSG_4326, EPSG_25832, bbox_geometry
from ogc.providers import SelectorProvider
from schools.models import School
from tests.factories import SchoolFactory

pytestmark = pytest.mark.usefixtures("city")


@pytest.fixture
def provider() -> SelectorProvider:
    return SelectorProvider({"name": "ogc.providers.SelectorProvider", "type": "feature", "data": "schools"})


@pytest.fixture
def in_state():
    tokens = []

    def _set(**kwargs):
        tokens.append(state_set(RequestState(**kwargs)))

    yield _set
    for token in reversed(tokens):
        state_reset(token)


def test_query_pages_through_all_schools_without_overlap(provider):
    first = provider.query(offset=0, limit=25)
    second = provider.query(offset=25, limit=25)
    ids = [f["id"] for f in first["features"] + second["features"]]
    assert first["numberMatched"] == second["numberMatched"] == 40
    assert (first["numberReturned"], second["numberReturned"]) == (25, 15)
    assert len(set(ids)) == 40


def test_query_counts_only_when_the_page_is_full(provider, django_assert_num_queries):
    with django_assert_num_queries(1):
        provider.query(offset=30, limit=25)
    # A full page: the page, the tables' data versions and the count ...
    with django_assert_num_queries(3):
        provider.query(offset=0, limit=25)
    # ... and the same request again finds the count cached under unchanged versions.
    with django_assert_num_queries(2):
        assert provider.query(offset=0, limit=25)["numberMatched"] == 40


def test_number_matched_follows_every_write_despite_the_cache(provider):
    assert provider.query(offset=0, limit=25)["numberMatched"] == 40
    SchoolFactory()
    assert provider.query(offset=0, limit=25)["numberMatched"] == 41
    School.objects.filter(name__startswith="Testschule").delete()
    assert provider.query(offset=0, limit=25)["numberMatched"] == 40


def test_cached_count_is_per_condition(provider):
    schools_only = [("is_school", "true")]
    assert provider.query(offset=0, limit=5, properties=schools_only)["numberMatched"] == 39
    assert provider.query(offset=0, limit=5)["numberMatched"] == 40
    assert provider.query(offset=0, limit=5, properties=schools_only)["numberMatched"] == 39


def test_query_in_storage_crs_returns_the_stored_coordinates(provider, in_state):
    in_state(crs=EPSG_25832)
    school = School.objects.get(pk=provider.query(limit=1)["features"][0]["id"])
    x, y = provider.query(limit=1)["features"][0]["geometry"]["coordinates"]
    assert abs(x - school.geom.x) < 0.01
    assert abs(y - school.geom.y) < 0.01


def test_query_in_epsg_4326_is_latitude_first(provider, in_state):
    lon, lat = provider.query(limit=1)["features"][0]["geometry"]["coordinates"]
    in_state(crs=EPSG_4326)
    assert provider.query(limit=1)["features"][0]["geometry"]["coordinates"] == [lat, lon]
    assert 51 < lat < 52
    assert 6 < lon < 8


def test_query_bbox_selects_the_schools_inside(provider, in_state):
    school = School.objects.order_by("pk").first()
    point = school.geom.transform(4326, clone=True)
    in_state(bbox=bbox_geometry([point.x - 0.001, point.y - 0.001, point.x + 0.001, point.y + 0.001], CRS84))
    result = provider.query(limit=10)
    assert school.pk in [f["id"] for f in result["features"]]
    assert result["numberMatched"] < 40


def test_query_filters_by_property_with_typed_values(provider):
    result = provider.query(limit=100, properties=[("is_school", "false")])
    assert result["numberMatched"] == School.objects.filter(is_school=False).count()
    with pytest.raises(ProviderInvalidQueryError, match="whole number"):
        provider.query(limit=10, properties=[("pupils", "many")])


def test_query_selects_properties_and_skips_geometry(provider):
    feature = provider.query(limit=1, select_properties=["name"], skip_geometry=True)["features"][0]
    assert list(feature["properties"]) == ["name"]
    assert feature["geometry"] is None


def test_get_returns_one_feature_and_404s_unknown_ids(provider):
    school = School.objects.first()
    assert provider.get(str(school.pk))["properties"]["school_number"] == school.school_number
    with pytest.raises(ProviderItemNotFoundError):
        provider.get("nope")
    with pytest.raises(ProviderItemNotFoundError):
        provider.get("999999")
