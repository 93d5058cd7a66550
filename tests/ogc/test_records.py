"""OGC API – Records: the catalogue of the layers at /ogc/collections/metadata, through HTTP and with OWSLib."""

import pytest
from django.contrib.gis.geos import Polygon
from owslib.ogcapi.records import Records

from layers.models import Layer
from ogc.conformance import CONFORMANCE
from tests.ogc.conftest import city_load

ITEMS = "/ogc/collections/metadata/items"
pytestmark = pytest.mark.usefixtures("city")


def search(client, status=200, **params) -> dict:
    response = client.get(ITEMS, {"f": "json", **params})
    assert response.status_code == status, response.content[:500]
    return response.json()


def ids(body: dict) -> set[str]:
    return {record["id"] for record in body["features"]}


def published_slugs() -> set[str]:
    return set(Layer.objects.filter(published=True).values_list("slug", flat=True))


def test_catalogue_is_a_record_collection_of_type_catalog(client):
    body = client.get("/ogc/collections/metadata", {"f": "json"}).json()
    assert body["itemType"] == "record"
    assert body["type"] == "Catalog"
    listed = {c["id"]: c for c in client.get("/ogc/collections", {"f": "json"}).json()["collections"]}
    assert listed["metadata"]["type"] == "Catalog"


def test_every_published_layer_is_a_record_with_the_core_properties(client):
    response = client.get(ITEMS, {"f": "json"})
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert ids(body) == published_slugs()
    assert body["numberMatched"] == len(published_slugs())
    schools = next(r for r in body["features"] if r["id"] == "schulen")
    assert schools["type"] == "Feature"
    properties = schools["properties"]
    assert properties["type"] == "dataset"
    assert properties["title"] == "Schulen"
    assert "Schule" in properties["keywords"]
    assert properties["license"] == "DL-DE-BY-2.0"
    assert "Schulgrunddaten NRW" in properties["rights"]
    assert properties["language"]["code"] == "de"
    assert {f["mediaType"] for f in properties["formats"]} == {
        "application/geopackage+sqlite3",
        "text/csv",
        "application/geo+json",
    }
    assert schools["time"] == {"interval": ["2021-09-01", ".."]}
    # No catalogue entry has an extent yet: the city's stands in, in CRS84.
    minx, miny = schools["geometry"]["coordinates"][0][0]
    assert 6.7 < minx < 7.0
    assert 51.3 < miny < 51.5


def test_a_licence_without_spdx_identifier_is_other_with_a_license_link(client):
    record = client.get(f"{ITEMS}/stadtgrenze", {"f": "json"}).json()
    assert record["properties"]["license"] == "other"
    licence = [link for link in record["links"] if link["rel"] == "license"]
    assert licence[0]["href"] == "https://www.gesetze-im-internet.de/geonutzv/"
    assert licence[0]["title"] == "GeoNutzV"


def test_record_links_to_its_collection_downloads_licence_and_source(client):
    record = client.get(f"{ITEMS}/schulen", {"f": "json"}).json()
    links = record["links"]
    by_rel = {}
    for link in links:
        by_rel.setdefault(link["rel"], []).append(link)
    assert by_rel["item"][0]["href"] == "http://testserver/ogc/collections/schools"
    assert by_rel["items"][0]["href"] == "http://testserver/ogc/collections/schools/items"
    enclosures = {link["type"]: link for link in by_rel["enclosure"]}
    assert enclosures["application/geopackage+sqlite3"]["href"] == "http://testserver/daten/schulen.gpkg"
    assert enclosures["text/csv"]["href"] == "http://testserver/daten/schulen.csv"
    assert enclosures["application/geo+json"]["href"] == "http://testserver/daten/schulen.geojson"
    assert all("Datenlizenz Deutschland" in link["title"] for link in enclosures.values())
    assert by_rel["license"][0]["href"] == "https://www.govdata.de/dl-de/by-2-0"
    assert by_rel["describedby"][0]["href"].startswith("https://open.nrw/")
    # pygeoapi's own: the catalogue the record belongs to.
    assert by_rel["collection"][0]["href"].endswith("/ogc/collections/metadata")
    # Every link the record gives can be followed.
    for link in by_rel["item"] + by_rel["items"]:
        assert client.get(link["href"].removeprefix("http://testserver"), {"f": "json"}).status_code == 200


def test_a_layer_without_a_collection_has_no_downloads(client):
    record = client.get(f"{ITEMS}/breitbandatlas", {"f": "json"}).json()
    assert not [link for link in record["links"] if link["rel"] in ("enclosure", "item")]
    assert "formats" not in record["properties"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Schulen", {"schulen", "schulanbindung", "schul-messungen"}),  # the title
        ("schule", {"schulen", "schulanbindung", "schul-messungen"}),  # stem and case
        (
            "glasfaser",
            {"breitbandatlas", "ausbaugebiete", "verfuegbarkeit", "ausbaustand", "ausbau-statistik", "schulanbindung"},
        ),  # keyword, lower case
        (
            "faser",
            {"breitbandatlas", "ausbaugebiete", "verfuegbarkeit", "ausbaustand", "ausbau-statistik", "schulanbindung"},
        ),  # part of a compound
        (
            "Adressen,Schulen",
            {
                "adressen",
                "schulen",
                "ausbaugebiete",
                "verfuegbarkeit",
                "ausbaustand",
                "ausbau-statistik",
                "schulanbindung",
                "schul-messungen",
            },
        ),  # comma: OR; the rollout layers name Adressen
        ("echten Namen", {"stadtbezirke"}),  # white space: phrase
        ("Namen echten", set()),  # ... in that order
        ("Unterwasserkabel", set()),
    ],
)
def test_free_text_search(client, q, expected):
    assert ids(search(client, q=q)) == expected


def test_keyword_search_is_whole_word_and_case_insensitive(client):
    assert ids(search(client, keywords="demodaten")) == {
        "stadtbezirke",
        "adressen",
        "einrichtungen",
        "strassen",
        "ausbaugebiete",
        "verfuegbarkeit",
        "ausbaustand",
        "ausbau-statistik",
        "schulanbindung",
        "schul-messungen",
    }
    assert ids(search(client, keywords="Schule,VG250")) == {
        "schulen",
        "stadtgrenze",
        "schulanbindung",
        "schul-messungen",
    }
    assert ids(search(client, keywords="Demo")) == set()


def test_bbox_search_uses_the_layer_extent_or_the_city(client):
    Layer.objects.filter(slug="schulen").update(extent=Polygon.from_bbox((6.9, 51.42, 6.92, 51.44)))
    assert "schulen" in ids(search(client, bbox="6.91,51.43,6.95,51.45"))
    outside_schools = ids(search(client, bbox="6.8,51.36,6.85,51.38"))
    assert "schulen" not in outside_schools
    assert "adressen" in outside_schools  # no extent: the city's
    assert ids(search(client, bbox="13.3,52.4,13.5,52.6")) == set()  # Berlin


def test_datetime_search_overlaps_the_validity_period(client):
    # breitbandatlas 2005-2021, schulen from 2021-09; entries without a period always match.
    in_2010 = ids(search(client, datetime="2010-06-01"))
    assert "breitbandatlas" in in_2010
    assert "schulen" not in in_2010
    assert "adressen" in in_2010
    assert "breitbandatlas" not in ids(search(client, datetime="2023-01-01/.."))


def test_type_ids_external_ids_limit_and_sortby(client):
    assert ids(search(client, type="dataset")) == published_slugs()
    assert ids(search(client, type="service")) == set()
    assert ids(search(client, ids="schulen,adressen")) == {"schulen", "adressen"}
    assert ids(search(client, externalIds="urn:x:1")) == set()
    page = search(client, limit=2, sortby="-title")
    assert page["numberReturned"] == 2
    assert page["numberMatched"] == len(published_slugs())
    titles = sorted(Layer.objects.filter(published=True).values_list("title", flat=True), reverse=True)
    assert [r["properties"]["title"] for r in page["features"]] == titles[:2]
    assert any(link["rel"] == "next" for link in page["links"])


def test_unpublished_layers_are_not_in_the_catalogue(client):
    Layer.objects.filter(slug="schulen").update(published=False)
    assert "schulen" not in ids(search(client))
    assert ids(search(client, q="Schulen")) == {"schulanbindung", "schul-messungen"}  # the others still match
    assert client.get(f"{ITEMS}/schulen", {"f": "json"}).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"foo": "1"},
        {"crs": "http://www.opengis.net/def/crs/EPSG/0/25832"},
        {"bbox": "6.9,51.4"},
        {"bbox": "a,b,c,d"},
        {"datetime": "gestern"},
        {"limit": "0"},
        {"sortby": "description"},
        {"sortby": "nonsense"},
        {"q": "x" * 300},
    ],
)
def test_bad_parameters_are_400(client, params):
    response = client.get(ITEMS, {"f": "json", **params})
    assert response.status_code == 400, response.content[:300]
    assert response.json()["description"]


def test_record_item_refuses_unknown_parameters(client):
    assert client.get(f"{ITEMS}/schulen", {"f": "json", "q": "x"}).status_code == 400


def test_records_html_pages_render(client):
    page = client.get(ITEMS, {"f": "html"})
    assert page.status_code == 200
    assert "Schulen" in page.content.decode()
    record = client.get(f"{ITEMS}/schulen", {"f": "html"})
    assert record.status_code == 200
    assert "Schulen" in record.content.decode()


def test_conformance_declares_the_records_classes(client):
    conforms = client.get("/ogc/conformance", {"f": "json"}).json()["conformsTo"]
    for name in ("record-core", "record-collection", "searchable-catalog", "record-core-query-parameters"):
        assert f"http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/{name}" in conforms
    # Sorting needs /sortables, filtering CQL2: not claimed.
    assert not [c for c in CONFORMANCE if "records-1" in c and ("sorting" in c or "filtering" in c)]


@pytest.mark.slow
def test_owslib_reads_and_searches_the_catalogue(transactional_db, live_server):
    city_load()
    catalogue = Records(f"{live_server.url}/ogc")
    assert catalogue.records() == ["metadata"]
    found = catalogue.collection_items("metadata", q="Breitbandatlas")
    assert [r["id"] for r in found["features"]] == ["breitbandatlas"]
    record = catalogue.collection_item("metadata", "schulen")
    assert record["properties"]["title"] == "Schulen"
