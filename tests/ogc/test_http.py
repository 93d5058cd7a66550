"""The OGC API through Django's test client: landing, conformance, collections, items, errors."""

import pytest

pytestmark = pytest.mark.usefixtures("city")

EPSG_25832 = "http://www.opengis.net/def/crs/EPSG/0/25832"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def get_json(client, url, status=200, **params):
    response = client.get(url, {"f": "json", **params})
    assert response.status_code == status, response.content[:500]
    return response


def test_landing_page_links_service_desc_doc_conformance_and_data(client):
    rels = {link["rel"] for link in get_json(client, "/ogc/").json()["links"]}
    assert {"service-desc", "service-doc", "conformance", "data"} <= rels


def test_conformance_declares_features_core_and_crs(client):
    conforms = get_json(client, "/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conforms
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conforms


def test_conformance_declares_filtering(client):
    # QGIS sends CQL2 filters to servers declaring these four (plus /queryables);
    conforms = get_json(client, "/ogc/conformance").json()["conformsTo"]
    assert {
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    } <= set(conforms)
    html = client.get("/ogc/conformance", {"f": "html"})
    assert html.status_code == 200
    assert "ogcapi-features-2/1.0/conf/crs" in html.content.decode()


def test_collections_advertise_crs_and_storage_crs_from_the_catalogue(client):
    collections = {c["id"]: c for c in get_json(client, "/ogc/collections").json()["collections"]}
    assert set(collections) == {
        "districts", "addresses", "facilities", "schools", "streets", "water", "rollout-areas", "availability",
        "address-status", "district-statistics", "school-connectivity", "school-measurements", "metadata",
    }  # fmt: skip
    assert collections["rollout-areas"]["title"] == "Glasfaser-Ausbaugebiete der Netzbetreiber (Demodaten)"
    assert any(link["rel"] == "license" for link in collections["district-statistics"]["links"])
    schools = collections["schools"]
    assert schools["title"] == "Schulen"
    assert schools["storageCrs"] == EPSG_25832
    assert EPSG_25832 in schools["crs"]
    assert any(link["rel"] == "license" for link in schools["links"])


def test_items_are_geojson_with_content_crs_and_counts(client):
    response = get_json(client, "/ogc/collections/schools/items", limit=10)
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Crs"] == f"<{CRS84}>"
    body = response.json()
    assert body["numberMatched"] == 40
    assert body["numberReturned"] == 10


def test_next_link_pages_to_the_end_keeping_the_crs(client):
    url, seen = "/ogc/collections/schools/items", []
    params = {"limit": 15, "crs": EPSG_25832}
    while url:
        body = client.get(url, params).json()
        seen += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        params = {}
        if url:
            assert "crs=" in url
    assert len(seen) == len(set(seen)) == 40


def test_item_in_storage_crs(client):
    feature = get_json(client, "/ogc/collections/schools/items", limit=1).json()["features"][0]
    response = get_json(client, f"/ogc/collections/schools/items/{feature['id']}", crs=EPSG_25832)
    assert response["Content-Crs"] == f"<{EPSG_25832}>"
    x, _y = response.json()["geometry"]["coordinates"]
    assert 340_000 < x < 370_000


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "ten"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"colour": "red"}, "unknown query parameter"),
        ({"crs": "http://www.opengis.net/def/crs/EPSG/0/31467"}, "not supported"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox-crs": EPSG_25832}, "bbox-crs given without bbox"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"pupils": "many"}, "whole number"),
    ],
)
def test_bad_parameters_are_400_with_a_message(client, params, message):
    response = get_json(client, "/ogc/collections/schools/items", status=400, **params)
    assert message in response.content.decode()


def test_antimeridian_bbox_is_an_empty_result(client):
    body = get_json(client, "/ogc/collections/schools/items", bbox="170,-10,-170,10").json()
    assert body["features"] == []
    assert body["numberMatched"] == 0


def test_bbox_in_storage_crs_with_bbox_crs(client):
    body = get_json(
        client, "/ogc/collections/schools/items", bbox="340000,5690000,370000,5710000", **{"bbox-crs": EPSG_25832}
    ).json()
    assert body["numberMatched"] == 40


def test_datetime_outside_the_layer_validity_is_empty(client):
    # The school register is valid from 2021-09-01 (catalogue).
    assert get_json(client, "/ogc/collections/schools/items", datetime="2020-01-01").json()["numberMatched"] == 0
    assert get_json(client, "/ogc/collections/schools/items", datetime="2024-01-01").json()["numberMatched"] == 40


@pytest.mark.parametrize("collection", ["districts", "addresses", "facilities", "schools"])
def test_every_collection_serves_items(client, collection):
    response = get_json(client, f"/ogc/collections/{collection}/items", limit=5)
    assert response["Content-Type"] == "application/geo+json"


def test_unknown_collection_is_404(client):
    get_json(client, "/ogc/collections/nope/items", status=404)


@pytest.mark.parametrize(
    "url",
    ["/ogc/", "/ogc/collections", "/ogc/collections/schools", "/ogc/collections/schools/items?limit=3"],
)
def test_html_pages_use_vendored_leaflet_and_the_csp_nonce(client, url):
    response = client.get(url, {"f": "html"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "unpkg.com" not in html
    assert "cdnjs" not in html
    assert "<script>" not in html  # every script carries the nonce
    if "/items" in url:
        assert "/static/vendor/leaflet-1.9.4/leaflet.js" in html


@pytest.mark.parametrize(
    "url",
    ["/ogc", "/ogc/collections", "/ogc/collections/schools/items", "/ogc/collections/schools/queryables"],
)
def test_html_pages_load_every_asset_from_our_host(client, url):
    import re

    html = client.get(url, {"f": "html"}).content.decode()
    assets = set(re.findall(r'(?:src|href)="([^"]+\.(?:css|js|png|ico))"', html))
    assert any(a.endswith("/ogc/static/css/default.css") for a in assets)
    for asset in assets:
        assert asset.startswith(("/", "http://testserver/")), asset  # no CDN, no third party
        assert client.get(asset.removeprefix("http://testserver")).status_code == 200, asset
