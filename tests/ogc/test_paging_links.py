"""Paging and format links keep every query parameter but the offset, in GeoJSON and on the HTML pages."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.usefixtures("city")

ITEMS = "/ogc/collections/schools/items"
EPSG_25832 = "http://www.opengis.net/def/crs/EPSG/0/25832"
# Everything a GIS user narrows a query with: CRS, bbox in another CRS, CQL2, a property filter, sorting,
# a property selection, datetime; the selection still spans several pages of 5.
QUERY = {
    "limit": "5",
    "crs": EPSG_25832,
    "bbox": "340000,5690000,370000,5710000",
    "bbox-crs": EPSG_25832,
    "filter": "pupils > 100",
    "filter-lang": "cql2-text",
    "is_school": "true",
    "sortby": "-pupils",
    "properties": "name,pupils",
    "datetime": "2024-01-01",
}


def _query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def _expected(f: str, offset: int | None) -> dict[str, list[str]]:
    expected = {k: [v] for k, v in QUERY.items()} | {"f": [f]}
    return expected | ({"offset": [str(offset)]} if offset is not None else {})


def _html_links(html: str) -> dict[str, str]:
    """The page's Prev/Next buttons and its JSON link, as a user sees them (in German, the default)."""
    buttons = re.findall(r'<a role="button" href="([^"]+)">(\w+)', html)
    links = {{"Zurück": "prev", "Weiter": "next"}[name]: unescape(href) for href, name in buttons}
    links["json"] = unescape(re.search(r'<a href="([^"]+)">JSON</a>', html).group(1))
    return links


def _ids(client, href: str) -> list[int]:
    body = client.get(urlsplit(href).path, {**_query_flat(href), "f": "json"}).json()
    return [feature["id"] for feature in body["features"]]


def _query_flat(href: str) -> dict[str, str]:
    return {k: v[0] for k, v in _query(href).items()}


def test_geojson_next_and_prev_keep_every_parameter_but_the_offset(client):
    body = client.get(ITEMS, {**QUERY, "offset": "5", "f": "json"}).json()
    links = {link["rel"]: link["href"] for link in body["links"] if link["rel"] in ("next", "prev")}
    assert _query(links["next"]) == _expected("json", 10)
    assert _query(links["prev"]) == _expected("json", 0)
    html = next(link["href"] for link in body["links"] if link.get("type") == "text/html")
    assert _query(html) == _expected("html", 5)


@pytest.mark.parametrize("negotiation", ["f=html", "Accept: text/html"])
def test_html_next_prev_and_json_links_keep_every_parameter_but_the_offset(client, negotiation):
    if negotiation == "f=html":
        response = client.get(ITEMS, {**QUERY, "offset": "5", "f": "html"})
    else:
        response = client.get(ITEMS, {**QUERY, "offset": "5"}, HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Crs"] == f"<{EPSG_25832}>"
    links = _html_links(response.content.decode())
    assert _query(links["next"]) == _expected("html", 10)
    assert _query(links["prev"]) == _expected("html", 0)
    assert _query(links["json"]) == _expected("json", 5)


def test_following_the_html_next_link_shows_the_next_page_of_the_same_selection(client):
    everything = client.get(ITEMS, {**QUERY, "limit": "100", "f": "json"}).json()
    selected = [feature["id"] for feature in everything["features"]]
    assert 10 < len(selected) < 40  # the filters narrow the 40 entries, and there are several pages

    first = client.get(ITEMS, {**QUERY, "f": "html"})
    following = _html_links(first.content.decode())["next"]
    second = client.get(urlsplit(following).path, _query_flat(following))
    assert second.status_code == 200
    assert second["Content-Type"].startswith("text/html")
    assert _ids(client, _html_links(second.content.decode())["json"]) == selected[5:10]
    # The page's table links exactly those schools.
    shown = [int(i) for i in re.findall(r'<a href="[^"]*/items/(\d+)"', second.content.decode())]
    assert shown == selected[5:10]
