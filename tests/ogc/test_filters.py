"""CQL2 (text and JSON) through the SelectorProvider against real PostGIS: every operator, the allow-list, errors."""

import json
from dataclasses import replace
from datetime import date

import pytest
from django.contrib.gis.geos import Point, Polygon
from django.db.models import Q
from django.utils import timezone
from pygeoapi.provider.base import ProviderInvalidQueryError

from geoportal.errors import InvalidInputError
from layers.models import District
from ogc.collections import COLLECTIONS, INTEGER, STRING, Collection
from ogc.context import RequestState, state_reset, state_set
from ogc.crs import CRS84, EPSG_3857, EPSG_4326, EPSG_25832
from ogc.filters import filter_q
from ogc.providers import SelectorProvider
from schools.models import School
from tests.factories import PlanAreaFactory, PlanVersionFactory

pytestmark = pytest.mark.usefixtures("city")


def provider_for(collection_id: str) -> SelectorProvider:
    return SelectorProvider({"name": "ogc.providers.SelectorProvider", "type": "feature", "data": collection_id})


def matched(text: str, *, collection="schools", lang="cql2-text", crs=CRS84) -> set[int]:
    """The ids of the features the filter selects, through the provider as the views call it."""
    q = filter_q(text, lang=lang, collection=COLLECTIONS[collection], crs=crs)
    token = state_set(RequestState(filter=q))
    try:
        result = provider_for(collection).query(limit=1000)
    finally:
        state_reset(token)
    return {f["id"] for f in result["features"]}


def ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pupils = 295", Q(pupils=295)),
        ("pupils < 300", Q(pupils__lt=300)),
        ("pupils <= 295", Q(pupils__lte=295)),
        ("pupils > 500", Q(pupils__gt=500)),
        ("pupils >= 500", Q(pupils__gte=500)),
        # SQL's three-valued logic: schools without a social index are in neither result.
        ("social_index <> 3", Q(social_index__isnull=False) & ~Q(social_index=3)),
        ("NOT (social_index = 3)", Q(social_index__isnull=False) & ~Q(social_index=3)),
        ("500 < pupils", Q(pupils__gt=500)),
        ("pupils > 300 AND startchancen = TRUE", Q(pupils__gt=300, startchancen=True)),
        ("pupils > 800 OR is_school = false", Q(pupils__gt=800) | Q(is_school=False)),
        ("school_type = 'Grundschule'", Q(school_type="Grundschule")),
        ("name LIKE 'Städt. Gem.%'", Q(name__startswith="Städt. Gem.")),
        ("name NOT LIKE '%Grundschule%'", ~Q(name__contains="Grundschule")),
        ("postcode LIKE '4547_'", Q(postcode__regex=r"^4547.$")),
        ("CASEI(name) LIKE CASEI('%GRUNDSCHULE%')", Q(name__icontains="grundschule")),
        ("name ILIKE '%gymnasium%'", Q(name__icontains="gymnasium")),
        ("postcode IN ('45472', '45475')", Q(postcode__in=["45472", "45475"])),
        ("postcode NOT IN ('45472', '45475')", ~Q(postcode__in=["45472", "45475"])),
        ("pupils BETWEEN 300 AND 400", Q(pupils__range=(300, 400))),
        ("pupils NOT BETWEEN 300 AND 400", Q(pupils__isnull=False) & ~Q(pupils__range=(300, 400))),
        ("pupils IS NULL", Q(pupils__isnull=True)),
        ("pupils IS NOT NULL", Q(pupils__isnull=False)),
        ("TRUE", Q()),
        ("startchancen = 1", Q(startchancen=True)),  # as GDAL writes booleans
    ],
)
def test_cql2_text_operators_select_what_the_orm_selects(text, expected):
    assert matched(text) == ids(School.objects.filter(expected))


def test_the_operators_select_something_and_not_everything():
    # Guards the table above against vacuous cases on the real data.
    for text in ("pupils > 500", "social_index <> 3", "name LIKE 'Städt. Gem.%'", "pupils BETWEEN 300 AND 400"):
        assert 0 < len(matched(text)) < 40, text


def test_cql2_json_gives_the_same_results_as_text():
    pairs = [
        ("pupils > 500", {"op": ">", "args": [{"property": "pupils"}, 500]}),
        (
            "postcode IN ('45472','45475') AND NOT pupils IS NULL",
            {
                "op": "and",
                "args": [
                    {"op": "in", "args": [{"property": "postcode"}, ["45472", "45475"]]},
                    {"op": "not", "args": [{"op": "isNull", "args": [{"property": "pupils"}]}]},
                ],
            },
        ),
        ("pupils BETWEEN 300 AND 400", {"op": "between", "args": [{"property": "pupils"}, 300, 400]}),
        (
            "CASEI(name) LIKE CASEI('%gymnasium%')",
            {
                "op": "like",
                "args": [{"op": "casei", "args": [{"property": "name"}]}, {"op": "casei", "args": ["%gymnasium%"]}],
            },
        ),
    ]
    for text, expression in pairs:
        assert matched(json.dumps(expression), lang="cql2-json") == matched(text), text


def test_provider_accepts_a_cql2_json_filterq_and_reports_bad_ones_as_invalid_query():
    provider = provider_for("schools")
    result = provider.query(limit=100, filterq={"op": "=", "args": [{"property": "is_school"}, False]})
    assert {f["id"] for f in result["features"]} == ids(School.objects.filter(is_school=False))
    with pytest.raises(ProviderInvalidQueryError, match="not queryable"):
        provider.query(limit=10, filterq={"op": "=", "args": [{"property": "email"}, "x"]})


# Spatial ----------------------------------------------------------------------------------------


@pytest.fixture
def school() -> School:
    return School.objects.order_by("school_number").first()


def lonlat_box(point: Point, half: float) -> str:
    x, y = point.transform(4326, clone=True).coords
    return f"POLYGON(({x - half} {y - half},{x + half} {y - half},{x + half} {y + half},{x - half} {y + half},{x - half} {y - half}))"  # noqa: E501


def test_s_intersects_and_s_within_in_crs84(school):
    box = lonlat_box(school.geom, 0.001)
    near = ids(School.objects.filter(geom__intersects=_box_25832(school.geom, 0.001)))
    assert school.pk in matched(f"S_INTERSECTS(geometry, {box})")
    assert matched(f"S_INTERSECTS(geometry, {box})") == matched(f"S_WITHIN(geometry, {box})")
    assert len(matched(f"S_INTERSECTS(geometry, {box})")) < 40
    assert school.pk in near


def _box_25832(point: Point, half_degrees: float) -> Polygon:
    x, y = point.transform(4326, clone=True).coords
    polygon = Polygon.from_bbox((x - half_degrees, y - half_degrees, x + half_degrees, y + half_degrees))
    polygon.srid = 4326
    return polygon.transform(25832, clone=True)


def test_s_intersects_with_a_bbox_literal_and_a_point(school):
    x, y = school.geom.transform(4326, clone=True).coords
    assert school.pk in matched(f"S_INTERSECTS(geometry, BBOX({x - 0.001},{y - 0.001},{x + 0.001},{y + 0.001}))")
    district = District.objects.filter(level="city").first()
    assert matched(f"S_INTERSECTS(geometry, POINT({x} {y}))", collection="districts") >= {district.pk}


def test_filter_crs_epsg_25832_uses_the_stored_coordinates(school):
    x, y = school.geom.coords
    box = f"POLYGON(({x - 5} {y - 5},{x + 5} {y - 5},{x + 5} {y + 5},{x - 5} {y + 5},{x - 5} {y - 5}))"
    assert matched(f"S_INTERSECTS(geometry, {box})", crs=EPSG_25832) == {school.pk}
    # The same numbers read as CRS84 lie far outside the area: nothing.
    assert matched(f"S_INTERSECTS(geometry, {box})") == set()


def test_filter_crs_epsg_4326_is_latitude_first_and_3857_works(school):
    lon, lat = school.geom.transform(4326, clone=True).coords
    assert school.pk in matched(
        f"S_INTERSECTS(geometry, BBOX({lat - 0.001},{lon - 0.001},{lat + 0.001},{lon + 0.001}))", crs=EPSG_4326
    )  # noqa: E501
    x, y = school.geom.transform(3857, clone=True).coords
    assert school.pk in matched(f"S_INTERSECTS(geometry, BBOX({x - 100},{y - 100},{x + 100},{y + 100}))", crs=EPSG_3857)


def test_s_disjoint_is_the_complement_and_s_contains_finds_the_city(school):
    x, y = school.geom.transform(4326, clone=True).coords
    box = lonlat_box(school.geom, 0.001)
    assert matched(f"S_DISJOINT(geometry, {box})") == ids(School.objects.all()) - matched(
        f"S_INTERSECTS(geometry, {box})"
    )
    city = District.objects.get(level="city")
    assert city.pk in matched(f"S_CONTAINS(geometry, POINT({x} {y}))", collection="districts")
    # The world is clipped to where EPSG:25832 is usable; everything intersects it.
    assert len(matched("S_INTERSECTS(geometry, BBOX(-180,-90,180,90))")) == 40
    assert len(matched("S_WITHIN(geometry, BBOX(-180,-90,180,90))")) == 40
    assert matched("S_CONTAINS(geometry, BBOX(-180,-90,180,90))", collection="districts") == set()


def test_spatial_errors_are_400s():
    for text, message in [
        ("S_OVERLAPS(geometry, BBOX(-180,-90,180,90))", "reaching beyond"),
        ("S_INTERSECTS(geometry, POLYGON((0 0,1 1,1 0,0 1,0 0)))", "not valid"),
        ("S_INTERSECTS(name, POINT(7 51))", "property 'geometry'"),
        ("geometry = 1", "spatial functions"),
    ]:
        with pytest.raises(InvalidInputError, match=message):
            matched(text)


# Temporal ---------------------------------------------------------------------------------------


@pytest.fixture
def plan_areas(monkeypatch):
    """A collection with a date queryable: published plan areas with expected dates."""
    collection = Collection(
        id="test_plan_areas",
        selector="rollout.selectors.plan_areas_visible",
        layer="none",
        geometry_type="MultiPolygon",
        fields={"name": STRING, "max_down_mbits": INTEGER, "expected_date": {"type": "string", "format": "date"}},
        time_field="expected_date",
    )
    monkeypatch.setitem(COLLECTIONS, collection.id, collection)
    version = PlanVersionFactory(published_at=timezone.now())
    areas = {
        day: PlanAreaFactory(version=version, name=f"area {day}", expected_date=date.fromisoformat(day))
        for day in ("2025-01-01", "2025-04-01", "2025-07-01", "2025-10-01")
    }
    areas[None] = PlanAreaFactory(version=version, name="no date", expected_date=None)
    return {day: area.pk for day, area in areas.items()}


def test_temporal_functions_on_a_date_queryable(plan_areas):
    def days(text):
        found = matched(text, collection="test_plan_areas")
        return sorted(day for day, pk in plan_areas.items() if pk in found)

    assert days("T_BEFORE(expected_date, DATE('2025-04-01'))") == ["2025-01-01"]
    assert days("T_AFTER(expected_date, DATE('2025-04-01'))") == ["2025-07-01", "2025-10-01"]
    assert days("T_EQUALS(expected_date, DATE('2025-04-01'))") == ["2025-04-01"]
    assert days("T_DURING(expected_date, INTERVAL('2025-01-01','2025-10-01'))") == ["2025-04-01", "2025-07-01"]
    assert days("T_INTERSECTS(expected_date, INTERVAL('2025-01-01','2025-04-01'))") == ["2025-01-01", "2025-04-01"]
    assert days("T_INTERSECTS(expected_date, INTERVAL('2025-06-01','..'))") == ["2025-07-01", "2025-10-01"]
    assert days("T_DISJOINT(expected_date, INTERVAL('2025-02-01','2025-08-01'))") == ["2025-01-01", "2025-10-01"]
    assert days("T_STARTS(expected_date, INTERVAL('2025-07-01','2025-12-31'))") == ["2025-07-01"]
    assert days("T_MEETS(expected_date, INTERVAL('2025-10-01','..'))") == ["2025-10-01"]
    assert days("T_CONTAINS(expected_date, INTERVAL('2025-01-01','2025-12-31'))") == []
    assert days("expected_date >= DATE('2025-07-01')") == ["2025-07-01", "2025-10-01"]
    assert days("T_AFTER(expected_date, TIMESTAMP('2025-06-30T23:00:00Z'))") == ["2025-07-01", "2025-10-01"]
    json_filter = '{"op":"t_before","args":[{"property":"expected_date"},{"date":"2025-04-01"}]}'
    assert sorted(matched(json_filter, collection="test_plan_areas", lang="cql2-json")) == [plan_areas["2025-01-01"]]


def test_temporal_errors(plan_areas):
    with pytest.raises(InvalidInputError, match="name is a string"):
        matched("T_BEFORE(name, DATE('2025-01-01'))", collection="test_plan_areas")
    with pytest.raises(InvalidInputError, match="DATE"):
        matched("expected_date = '2025-01-01'", collection="test_plan_areas")
    with pytest.raises(InvalidInputError, match="not a date"):
        matched("T_BEFORE(expected_date, DATE('2025-13-45'))", collection="test_plan_areas")


# The allow-list and typed values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("email = 'x@example.org'", "property 'email' is not queryable here; queryables: school_number, name"),
        ("district__name = 'Styrum'", "'district__name' is not queryable"),
        ("geom IS NULL", "'geom' is not queryable"),
        ("pk = 1", "'pk' is not queryable"),
        ("pupils = '100'", "pupils is an integer; compare it with a number, not the string '100'"),
        ("name = 5", "name is a string; compare it with a 'quoted string', not the number 5"),
        ("startchancen = 2", "startchancen is a boolean"),
        ("pupils LIKE '1%'", "LIKE needs a string property"),
        ("pupils = social_index", "comparing two properties is not supported"),
        ("pupils IN ('a')", "compare it with a number"),
        ("ACCENTI(name) = 'x'", "ACCENTI is not supported"),
    ],
)
def test_non_queryables_and_mistyped_values_are_refused_with_a_message(text, message):
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        matched(text)
    assert error.value.status == 400


def test_only_declared_queryables_are_filterable(monkeypatch):
    narrow = replace(COLLECTIONS["schools"], queryables=("name", "pupils"))
    monkeypatch.setitem(COLLECTIONS, "schools", narrow)
    assert len(matched("pupils > 0")) > 0
    with pytest.raises(InvalidInputError, match="queryables: name, pupils, geometry"):
        matched("website LIKE 'http%'")


@pytest.mark.parametrize(
    ("text", "lang", "message"),
    [
        ("pupils >", "cql2-text", "ends too early"),
        ("pupils > 5 name = 'x'", "cql2-text", "line 1, column 12"),
        ("name = 'unclosed", "cql2-text", "column 8"),
        ("{", "cql2-json", "CQL2 JSON cannot be read"),
        ('{"op":"frobnicate","args":[]}', "cql2-json", "operator 'frobnicate' is not supported"),
        ('{"op":"between","args":[{"property":"pupils"},1]}', "cql2-json", "BETWEEN takes 3"),
        ('"pupils"', "cql2-json", "expected a condition"),
        ("pupils > 1", "ecql", "filter-lang 'ecql' is not supported"),
    ],
)
def test_malformed_filters_are_400_with_the_parsers_position(text, lang, message):
    with pytest.raises(InvalidInputError, match=message):
        matched(text, lang=lang)
