"""HTML pages of the tiles documents: negotiation, links both ways, German and English, the map's configuration."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.contrib.gis.geos import Point

from layers.models import SRID
from tests.factories import AddressFactory

OGC = "/ogc"
MVT = "application/vnd.mapbox-vector-tile"
PAGES = {
    "/tileMatrixSets": "Kachelschemata",
    "/tileMatrixSets/WebMercatorQuad": "Google Maps Compatible for the World",
    "/collections/addresses/tiles": "Adressen (Demodaten): Vektorkacheln",
    "/collections/addresses/tiles/WebMercatorQuad": "Adressen (Demodaten): Vektorkacheln",
    "/collections/rollout-areas/tiles/WebMercatorQuad": "Vektorkacheln",
}


@pytest.fixture(autouse=True)
def _own_tile_cache(own_tile_cache):
    """Every test starts with an empty shared (file) cache and re-reads the city's extent."""


def _path(href: str) -> str:
    return urlsplit(href).path + (f"?{urlsplit(href).query}" if urlsplit(href).query else "")


def _h1(html: str) -> str:
    return unescape(re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)).strip()


def _hrefs(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'<a\b[^>]*\shref="([^"]+)"', html)]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("ask", ["f=html", "Accept"])
def test_each_tiles_document_is_an_html_page_in_german(client, city, path, ask):
    if ask == "f=html":
        response = client.get(OGC + path, {"f": "html"})
    else:
        response = client.get(OGC + path, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Language"] == "de"
    html = response.content.decode()
    assert PAGES[path] in _h1(html)
    assert '<html lang="de"' in html
    # The JSON document is one click away, and it is the same resource.
    json_link = next(h for h in _hrefs(html) if h.endswith(path + "?f=json"))
    document = client.get(_path(json_link))
    assert document["Content-Type"] == "application/json"
    # Our CSP allows no inline script: these pages have none (scripts only from files of this site).
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []
    assert "jsonld" not in html


@pytest.mark.parametrize("path", PAGES)
def test_json_documents_link_their_html_page(client, city, path):
    document = client.get(OGC + path).json()
    assert document["links"][0]["rel"] == "self"
    assert document["links"][0]["type"] == "application/json"
    html = [link for link in document["links"] if link["type"] == "text/html"]
    assert [link["rel"] for link in html] == ["alternate"]
    page = client.get(_path(html[0]["href"]))
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")


def test_pages_link_each_other_from_landing_page_to_tileset(client, city):
    """A person clicks from the landing page and from a collection to the map of its tiles."""
    landing = client.get(OGC + "/", {"f": "html"}).content.decode()
    tms_list = next(h for h in _hrefs(landing) if h.endswith("/tileMatrixSets?f=html"))
    listing = client.get(_path(tms_list)).content.decode()
    assert (
        client.get(_path(next(h for h in _hrefs(listing) if "/tileMatrixSets/WebMercatorQuad" in h))).status_code == 200
    )

    collection = client.get(f"{OGC}/collections/addresses", {"f": "html"}).content.decode()
    tiles = next(h for h in _hrefs(collection) if h.endswith("/collections/addresses/tiles"))
    tilesets = client.get(_path(tiles), HTTP_ACCEPT="text/html").content.decode()
    tileset_href = next(h for h in _hrefs(tilesets) if h.endswith("/tiles/WebMercatorQuad?f=html"))
    tileset = client.get(_path(tileset_href)).content.decode()
    assert "data-tileset-map" in tileset
    for back in (
        "/collections/addresses?f=html",
        "/collections/addresses/tiles?f=html",
        "/tileMatrixSets/WebMercatorQuad?f=html",
    ):
        assert any(h.endswith(back) for h in _hrefs(tileset)), back
    # Collections without tiles do not offer any.
    districts = client.get(f"{OGC}/collections/districts", {"f": "html"}).content.decode()
    assert not any(h.endswith("/tiles") for h in _hrefs(districts))


def test_english_with_lang_or_accept_language(client, city):
    path = f"{OGC}/collections/addresses/tiles/WebMercatorQuad"
    for response in (
        client.get(path, {"f": "html", "lang": "en"}),
        client.get(path, {"f": "html"}, HTTP_ACCEPT_LANGUAGE="en"),
    ):
        html = response.content.decode()
        assert response["Content-Language"] == "en"
        assert ": Vector tiles" in _h1(html)
        assert "Zoom in to level 13 or closer to see the tiles." in html
        assert "Vektorkacheln" not in html


def _map_attributes(html: str) -> dict[str, str]:
    element = re.search(r"<div id=\"tileset-map\"(.*?)></div>", html, re.S).group(1)
    return {k: unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', element)}


def test_tileset_map_is_configured_for_our_tiles_and_assets(client, city, settings):
    settings.BASEMAP_URL = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    settings.BASEMAP_ATTRIBUTION = "© Beispiel-Basiskarte"
    centre = Point(350_000, 5_700_000, srid=SRID)
    AddressFactory(geom=centre)
    html = client.get(f"{OGC}/collections/addresses/tiles/WebMercatorQuad", {"f": "html"}).content.decode()
    data = _map_attributes(html)
    assert data["layer"] == "addresses"
    assert (data["dimension"], data["min-zoom"], data["max-zoom"]) == ("0", "13", "18")
    assert data["tiles"] == "http://testserver/ogc/collections/addresses/tiles/WebMercatorQuad/{z}/{y}/{x}"
    assert data["basemap"] == settings.BASEMAP_URL
    assert data["basemap-attribution"] == "© Beispiel-Basiskarte"
    assert data["attribution"]  # the catalogue's attribution of the addresses
    # The template, filled in as the map fills it in, gives the tile with the address.
    lonlat = centre.transform(4326, clone=True)
    from ogc.tiles.matrix import lonlat_to_tile

    col, row = lonlat_to_tile(lonlat.x, lonlat.y, 16)
    tile = client.get(_path(data["tiles"].format(z=16, y=row, x=col)))
    assert tile.status_code == 200
    assert tile["Content-Type"] == MVT
    # MapLibre, its worker, the map script and the styles come from this site and exist.
    scripts = re.findall(r'<script type="module" src="([^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    for asset in [data["library"], data["worker"], *scripts, *styles]:
        assert asset.startswith(("/", "http://testserver/")), asset
        assert client.get(asset.removeprefix("http://testserver")).status_code == 200, asset
    assert any("maplibre-gl-6.17.0/maplibre-gl" in s for s in styles)
    assert "maplibre-gl-6.17.0/maplibre-gl-worker" in data["worker"]


def test_formats_and_errors_stay_as_they_were(client, city):
    assert client.get(f"{OGC}/tileMatrixSets", {"f": "xml"}).status_code == 400
    missing = client.get(f"{OGC}/collections/districts/tiles", {"f": "html"})
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"
    # A client that accepts anything (GDAL, QGIS, curl) still gets JSON.
    assert client.get(f"{OGC}/collections/addresses/tiles", HTTP_ACCEPT="*/*")["Content-Type"] == "application/json"
    # The answer depends on Accept (and the language on Accept-Language): caches must know.
    page = client.get(f"{OGC}/collections/addresses/tiles", HTTP_ACCEPT="text/html")
    assert {"Accept", "Accept-Language"} <= {v.strip() for v in page["Vary"].split(",")}


def test_tileset_titles_and_attribute_descriptions_follow_the_language(client, city):
    url = OGC + "/collections/rollout-areas/tiles/WebMercatorQuad"
    german = client.get(url, {"f": "html"}).content.decode()
    assert "Ausbaugebiete" in german
    assert "Farbe des Anbieters" in german
    english = client.get(url, {"f": "html", "lang": "en"}).content.decode()
    assert "Rollout areas" in english
    assert "the provider&#39;s colour" in english
    # the JSON document speaks the language the client asks for
    doc = client.get(url, HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="de").json()
    assert doc["title"] == "Ausbaugebiete"
    assert doc["layers"][0]["propertiesSchema"]["properties"]["colour"]["description"] == "Farbe des Anbieters, #rrggbb"
    doc = client.get(url, HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert doc["title"] == "Rollout areas"
