"""Part 3 and the Part 1 niceties through HTTP: filters, queryables, sortby/properties, CORS, ETag, OpenAPI."""

import json

import pytest
from django.contrib.gis.geos import Point
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from schools.models import School
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("city")
ITEMS = "/ogc/collections/schools/items"
EPSG_25832 = "http://www.opengis.net/def/crs/EPSG/0/25832"


def items(client, status=200, **params):
    response = client.get(ITEMS, {"f": "json", "limit": 100, **params})
    assert response.status_code == status, response.content[:500]
    return response.json()


def test_cql2_text_filter_selects_and_counts(client):
    body = items(client, filter="pupils > 500 AND is_school = TRUE")
    expected = School.objects.filter(pupils__gt=500, is_school=True)
    assert body["numberMatched"] == expected.count() > 0
    assert {f["id"] for f in body["features"]} == set(expected.values_list("pk", flat=True))


def test_cql2_json_filter(client):
    expression = {"op": "in", "args": [{"property": "postcode"}, ["45472", "45475"]]}
    body = items(client, filter=json.dumps(expression), **{"filter-lang": "cql2-json"})
    assert body["numberMatched"] == School.objects.filter(postcode__in=["45472", "45475"]).count() > 0


def test_a_filter_in_a_get_body_is_refused_not_ignored(client):
    """pygeoapi reads a request body as CQL2 JSON and hands it to the provider; ours filter only by the
    filter parameter, so a body is a 400 that says where the filter goes, never an unfiltered 200."""
    expression = {"op": "=", "args": [{"property": "postcode"}, "45472"]}
    response = client.generic("GET", ITEMS, json.dumps(expression), content_type="application/json")
    assert response.status_code == 400
    assert "filter query parameter" in response.json()["description"]


def test_spatial_filter_in_crs84_and_in_epsg_25832(client):
    school = School.objects.order_by("school_number").first()
    lon, lat = school.geom.transform(4326, clone=True).coords
    body = items(
        client, filter=f"S_INTERSECTS(geometry, BBOX({lon - 0.0005},{lat - 0.0005},{lon + 0.0005},{lat + 0.0005}))"
    )
    assert school.pk in {f["id"] for f in body["features"]}
    x, y = school.geom.coords
    body = items(
        client,
        filter=f"S_WITHIN(geometry, POLYGON(({x - 3} {y - 3},{x + 3} {y - 3},{x + 3} {y + 3},{x - 3} {y + 3},{x - 3} {y - 3})))",  # noqa: E501
        **{"filter-crs": EPSG_25832},
    )
    assert [f["id"] for f in body["features"]] == [school.pk]


def test_next_link_keeps_the_filter(client):
    body = items(client, filter="is_school = TRUE", limit=10)
    following = next(link["href"] for link in body["links"] if link["rel"] == "next")
    assert "filter=is_school" in following


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"filter": "email = 'a'"}, "property 'email' is not queryable here; queryables: school_number"),
        ({"filter": "pupils = 'many'"}, "pupils is an integer"),
        ({"filter": "pupils >"}, "CQL2 text ends too early"),
        ({"filter": "pupils > 5 name"}, "column 12"),
        ({"filter": "{", "filter-lang": "cql2-json"}, "CQL2 JSON cannot be read"),
        ({"filter": "pupils > 1", "filter-lang": "ecql"}, "filter-lang 'ecql' is not supported"),
        ({"filter": "TRUE", "filter-crs": "EPSG:31467"}, "filter-crs"),
        ({"filter-lang": "cql2-text"}, "filter-lang given without filter"),
        ({"sortby": "email"}, "cannot sort by 'email'; sortable (queryables): school_number"),
        ({"properties": "name,secret"}, "unknown property 'secret'; properties: school_number"),
        ({"skipGeometry": "perhaps"}, "skipGeometry must be true or false"),
    ],
)
def test_bad_filters_and_names_are_400_with_a_message(client, params, message):
    response = client.get(ITEMS, {"f": "json", **params})
    assert response.status_code == 400
    assert message in response.json()["description"]


def test_queryables_are_json_schema_2020_12_and_closed(client):
    response = client.get("/ogc/collections/schools/queryables", {"f": "json"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    schema = response.json()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/ogc/collections/schools/queryables")
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert schema["properties"]["geometry"] == {
        "title": "geometry",
        "format": "geometry-point",
        "x-ogc-role": "primary-geometry",
    }
    assert schema["properties"]["pupils"]["type"] == "integer"
    # The schema accepts what a filter may name and refuses what it may not.
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"pupils": 5, "name": "x"})
    assert not validator.is_valid({"email": "x"})
    assert not validator.is_valid({"pupils": "many"})


def test_queryables_html_and_every_collection(client):
    html = client.get("/ogc/collections/schools/queryables", {"f": "html"})
    assert html.status_code == 200
    assert "<code>pupils</code>" in html.content.decode()
    for collection in ("districts", "addresses", "facilities"):
        schema = client.get(f"/ogc/collections/{collection}/queryables", {"f": "json"}).json()
        assert schema["additionalProperties"] is False
    assert client.get("/ogc/collections/nope/queryables", {"f": "json"}).status_code == 404


def test_property_query_parameters_match_the_queryables(client):
    schema = client.get("/ogc/collections/schools/queryables", {"f": "json"}).json()
    for name in set(schema["properties"]) - {"geometry"}:
        assert client.get(ITEMS, {"f": "json", name: "1" if name != "startchancen" else "true"}).status_code in (
            200,
            400,  # typed: "1" for a boolean is refused with a message
        )
    assert items(client, is_school="false")["numberMatched"] == School.objects.filter(is_school=False).count()
    assert client.get(ITEMS, {"f": "json", "email": "x"}).status_code == 400


def test_sortby_ascending_descending_and_with_plus(client):
    up = [f["properties"]["pupils"] for f in items(client, sortby="pupils", filter="pupils IS NOT NULL")["features"]]
    down = [f["properties"]["pupils"] for f in items(client, sortby="-pupils", filter="pupils IS NOT NULL")["features"]]
    assert up == sorted(up)
    assert len(up) > 1
    assert down == sorted(up, reverse=True)
    # "+pupils" unencoded arrives as " pupils".
    plus = client.get(f"{ITEMS}?f=json&limit=100&sortby=+pupils&filter=pupils%20IS%20NOT%20NULL").json()
    assert [f["properties"]["pupils"] for f in plus["features"]] == up
    names = [f["properties"]["name"] for f in items(client, sortby="-name,pupils")["features"]]
    assert names == sorted(names, reverse=True)


def test_properties_selection_and_skip_geometry(client):
    feature = items(client, properties="name,pupils", skipGeometry="true", limit=1)["features"][0]
    assert set(feature["properties"]) == {"name", "pupils"}
    assert feature["geometry"] is None
    feature = items(client, properties="name", limit=1)["features"][0]
    assert list(feature["properties"]) == ["name"]
    assert feature["geometry"]["type"] == "Point"


# CORS, caching ----------------------------------------------------------------------------------


def test_cors_preflight_and_simple_requests(client):
    response = client.options(ITEMS, HTTP_ORIGIN="https://map.example.org", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response
    response = client.get(ITEMS, {"limit": 1}, HTTP_ORIGIN="https://map.example.org")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Content-Crs" in response["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response
    # Outside /ogc nothing changes.
    assert "Access-Control-Allow-Origin" not in client.get("/healthz")


def test_etag_and_last_modified_answer_conditional_requests_with_304(client):
    first = client.get(ITEMS, {"limit": 5})
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"')
    assert modified
    assert "Cookie" in first["Vary"]
    assert client.get(ITEMS, {"limit": 5}, HTTP_IF_NONE_MATCH=etag).status_code == 304
    not_modified = client.get(ITEMS, {"limit": 5}, HTTP_IF_MODIFIED_SINCE=modified)
    assert not_modified.status_code == 304
    assert not_modified["Access-Control-Allow-Origin"] == "*"
    assert client.get(ITEMS, {"limit": 6}, HTTP_IF_NONE_MATCH=etag).status_code == 200
    for url in ("/ogc/", "/ogc/conformance", "/ogc/collections/schools", "/ogc/collections/schools/queryables"):
        response = client.get(url, {"f": "json"})
        assert client.get(url, {"f": "json"}, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304, url


def test_a_changed_body_is_modified_since_the_last_response(client):
    first = client.get(ITEMS, {"limit": 1, "sortby": "-pupils"})
    school = School.objects.get(pk=first.json()["features"][0]["id"])
    School.objects.filter(pk=school.pk).update(
        name="Umbenannt", geom=Point(school.geom.x + 1, school.geom.y, srid=25832)
    )
    second = client.get(ITEMS, {"limit": 1, "sortby": "-pupils"}, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert second.status_code == 200
    assert second["ETag"] != first["ETag"]


def test_responses_for_a_logged_in_user_are_private(client):
    anonymous = client.get(ITEMS, {"limit": 1})
    assert "private" not in anonymous["Cache-Control"]
    client.force_login(UserFactory())
    logged_in = client.get(ITEMS, {"limit": 1})
    assert "private" in logged_in["Cache-Control"]
    assert "Cookie" in logged_in["Vary"]


def test_head_answers_like_get_without_a_body(client):
    get = client.get(ITEMS, {"limit": 2})
    head = client.head(ITEMS, {"limit": 2})
    assert head.status_code == 200
    assert head["ETag"] == get["ETag"]
    assert head.content == b""


# OpenAPI ----------------------------------------------------------------------------------------


def test_openapi_document_validates_offline_and_describes_the_filters(client):
    response = client.get("/ogc/openapi", {"f": "json"})
    assert response.status_code == 200
    document = response.json()
    text = json.dumps(document)
    assert '"$ref": "http' not in text  # self-contained: no remote references
    validate(document)
    limit = document["components"]["parameters"]["limit"]["schema"]
    assert (limit["minimum"], limit["default"], limit["maximum"]) == (1, 100, 1000)
    operation = document["paths"]["/collections/schools/items"]["get"]
    refs = {p.get("$ref", "").rsplit("/", 1)[-1] for p in operation["parameters"]}
    assert {"limit", "filter", "filter-lang", "filter-crs", "sortby", "datetime"} <= refs
    assert "post" not in document["paths"]["/collections/schools/items"]
    lang = document["components"]["parameters"]["filter-lang"]["schema"]["enum"]
    assert lang == ["cql2-text", "cql2-json", "cql-text"]  # the last for GDAL <= 3.6
    assert "/collections/schools/queryables" in document["paths"]
