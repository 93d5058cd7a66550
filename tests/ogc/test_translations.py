"""pygeoapi's HTML pages in German by default, English on request (ogc/translations.py), and the contact address."""

from __future__ import annotations

import re
from html import unescape

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from ogc.config import config_invalidate
from ogc.translations import DOMAIN, LOCALE_DIR, api_texts, templates_translated
from schools.models import School

OGC = "/ogc"


def _text(html: str) -> str:
    """What a reader sees: the body's text without tags and scripts, whitespace collapsed."""
    body = html.split("<body", 1)[1]
    body = re.sub(r"<script\b.*?</script>|<!--.*?-->", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


def _title(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.search(r"<title>(.*?)</title>", html, re.S).group(1))).strip()


def _lang(html: str) -> str:
    return re.search(r'<html lang="([^"]*)"', html).group(1)


def test_the_german_catalogue_translates_every_text_of_the_templates():
    with (LOCALE_DIR / "de" / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        german = {message.id: message for message in read_po(handle, domain=DOMAIN) if message.id}
    used: dict[str, str] = {}
    for path in templates_translated():
        for lineno, text, _comments, _context in extract_from_file(
            "jinja2.ext:babel_extract", str(path), options={"extensions": "jinja2.ext.i18n"}
        ):
            used.setdefault(text, f"{path.name}:{lineno}")
    assert len(used) > 50  # the extraction finds pygeoapi's texts
    titles = api_texts()
    assert {"Items as GeoJSON", "Items as CSV", "This document as JSON", "Items (next)"} <= set(titles)
    for text, (where, lineno) in titles.items():
        used.setdefault(text, f"{where}:{lineno}")
    untranslated = {text: where for text, where in used.items() if text not in german or not german[text].string}
    assert not untranslated, "run scripts/ogc_templates.py and translate in messages.po: " + repr(untranslated)
    assert not [text for text, message in german.items() if message.fuzzy]


@pytest.fixture
def pages(city) -> dict[str, tuple[str, dict]]:
    """Each page's path and query (items: a first page of 10 of the 40 schools, so it has a next page)."""
    school = School.objects.order_by("pk")[1]
    return {
        "landing": (f"{OGC}", {}),
        "collections": (f"{OGC}/collections", {}),
        "collection": (f"{OGC}/collections/schools", {}),
        "items": (f"{OGC}/collections/schools/items", {"limit": "10"}),
        "item": (f"{OGC}/collections/schools/items/{school.pk}", {}),
        "queryables": (f"{OGC}/collections/schools/queryables", {}),
        "tileset": (f"{OGC}/collections/addresses/tiles/WebMercatorQuad", {}),
    }


# What a reader finds on each page, in German and in English: pygeoapi's texts, not our data.
EXPECTED = {
    "landing": (
        ["Start", "Die Sammlungen dieses Dienstes ansehen", "Konformität", "Ansprechstelle", "Lizenz siehe die"],
        ["Home", "View the collections in this service", "Conformance", "Contact point", "License see each collection"],
    ),
    "collections": (["Start / Sammlungen", "Datensammlungen dieses Dienstes"], ["Home / Collections"]),
    "collection": (
        [
            "Objekte durchsuchen von",
            "Abfragbare Eigenschaften von",
            "Koordinatenreferenzsysteme",
            "nicht angegeben",
            "Objekte als GeoJSON",
            "Die Startseite dieses Dienstes als JSON",
        ],
        [
            "Browse through the items of",
            "Display Queryables of",
            "Reference Systems",
            "not specified",
            "Items as GeoJSON",
            "The landing page of this server as JSON",
        ],
    ),
    "items": (
        ["/ Objekte", "Objekte in dieser Sammlung: 40", "Objekte je Seite:", "(Standard)", "Weiter"],
        ["/ Items", "Items in this collection: 40", "Limit:", "(default)", "Next"],
    ),
    "item": (
        ["/ Objekte /", "Eigenschaft", "Wert", "Dieses Dokument als JSON"],
        ["/ Items /", "Property", "Value", "This document as JSON"],
    ),
    "queryables": (["Abfragbare Eigenschaften", "Name", "Typ"], ["Queryables", "Name", "Type"]),
    # our tiles pages: Django's catalogue for their texts, pygeoapi's for those of its _base.html
    "tileset": (["Start / Sammlungen", "Vektorkacheln", "Betrieben mit"], ["Home / Collections", "Vector tiles"]),
}


ENGLISH = ["Home", "Collections", "Items in", "Limit", "Next", "Prev", "Powered by", "Browse", "Property", "Value"]


def test_pages_are_german_by_default(client, pages):
    for name, (path, query) in pages.items():
        response = client.get(path, {"f": "html", **query})
        assert response.status_code == 200, name
        html = response.content.decode()
        text = _text(html)
        assert _lang(html) == "de", name
        german, english = EXPECTED[name]
        for expected in german:
            assert expected in text, f"{name}: {expected!r} not in {text[:3000]}"
        for unexpected in ENGLISH:
            assert not re.search(rf"\b{unexpected}\b", text), f"{name}: English {unexpected!r} in {text[:3000]}"
        # the links' titles, made by pygeoapi's Python code (ogc.translations.api_texts)
        assert not re.search(r"\b(document|Items|server|collection|definition) (as|in)\b", text), name


@pytest.mark.parametrize("how", ["lang", "accept-language"])
def test_pages_are_english_on_request(client, pages, how):
    for name, (path, query) in pages.items():
        if how == "lang":
            response = client.get(path, {"f": "html", "lang": "en", **query}, HTTP_ACCEPT_LANGUAGE="de")
        else:
            response = client.get(path, {"f": "html", **query}, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
        assert response.status_code == 200, name
        html = response.content.decode()
        text = _text(html)
        assert _lang(html) == "en", name
        for expected in EXPECTED[name][1]:
            assert expected in text, f"{name}: {expected!r} not in {text[:3000]}"
        for unexpected in ("Start /", "Sammlungen", "Objekte"):
            assert unexpected not in text, f"{name}: German {unexpected!r} in {text[:3000]}"


def test_json_link_titles_follow_the_language_too(client, city):
    """pygeoapi translates its link titles for JSON as for HTML: German by default, English on request."""

    def title(response) -> str:
        return next(link["title"] for link in response.json()["links"] if link["type"] == "application/geo+json")

    assert title(client.get(f"{OGC}/collections/schools", {"f": "json"})) == "Objekte als GeoJSON"
    assert title(client.get(f"{OGC}/collections/schools", {"f": "json", "lang": "en"})) == "Items as GeoJSON"


def test_items_page_has_a_title_and_a_labelled_page_size(client, city):
    html = client.get(f"{OGC}/collections/schools/items", {"f": "html"}).content.decode()
    assert _title(html) == "Schulen – Objekte"
    assert re.search(r'<label for="limits">Objekte je Seite:</label>\s*<select id="limits">', html)
    english = client.get(f"{OGC}/collections/schools/items", {"f": "html", "lang": "en"}).content.decode()
    assert _title(english) == "Schulen – Items"


def test_page_sizes_in_the_readers_number_format_and_not_above_the_maximum(client, city):
    def options(**query) -> list[tuple[str, str]]:
        html = client.get(f"{OGC}/collections/schools/items", {"f": "html", **query}).content.decode()
        select = re.search(r'<select id="limits">(.*?)</select>', html, re.S).group(1)
        return [
            (value, label.strip()) for value, label in re.findall(r'<option value="(\d+)">([^<]*)</option>', select)
        ]

    # the default first, then the sizes; the server gives at most 1000 items a page (ogc.config.LIMITS)
    assert options() == [("100", "100 (Standard)"), ("100", "100"), ("1000", "1.000")]
    assert options(lang="en") == [("100", "100 (default)"), ("100", "100"), ("1000", "1,000")]


def test_contact_email_is_a_setting_and_no_empty_mailto(client, city, settings):
    settings.OGC_CONTACT_EMAIL = ""
    html = client.get(OGC, {"f": "html"}).content.decode()
    assert "mailto:" not in html
    assert "E-Mail" not in _text(html)
    # the header's contact link leads to the portal instead
    assert re.search(r'<a class="nav-link" href="/">Kontakt</a>', html)
    openapi = client.get(f"{OGC}/openapi", {"f": "json"}).json()
    assert "emails" not in openapi["info"]["contact"]["x-ogc-serviceContact"]

    settings.OGC_CONTACT_EMAIL = "geodaten@example.de"
    config_invalidate()
    html = client.get(OGC, {"f": "html"}).content.decode()
    assert html.count('href="mailto:geodaten@example.de"') == 2  # the header and the contact card
    assert "E-Mail geodaten@example.de" in _text(html)
    openapi = client.get(f"{OGC}/openapi", {"f": "json"}).json()
    assert openapi["info"]["contact"]["x-ogc-serviceContact"]["emails"] == [{"value": "geodaten@example.de"}]


def test_html_pages_follow_the_current_configuration_and_host(client, city, settings):
    """pygeoapi caches the configuration its templates see per language only (ogc.translations); ours per
    configuration: a page shows the current one, and links the host it was asked on."""
    settings.ALLOWED_HOSTS = ["portal.example", "intern.example"]
    for host in ("portal.example", "intern.example"):
        html = client.get(OGC, {"f": "html"}, HTTP_HOST=host).content.decode()
        assert f'href="http://{host}/ogc/static/css/default.css"' in html
        assert "mailto:" not in html
    settings.OGC_CONTACT_EMAIL = "geodaten@example.de"
    config_invalidate()
    html = client.get(OGC, {"f": "html"}, HTTP_HOST="portal.example").content.decode()
    assert 'href="mailto:geodaten@example.de"' in html


def test_the_items_output_format_links_are_titled_in_the_documents_language(client, city):
    """pygeoapi titles its output formats' links ("This document as CSV") without translating them."""

    def csv_titles(response) -> list[str]:
        if response["Content-Type"].startswith("text/html"):
            html = response.content.decode()
            return re.findall(r'<link rel="alternate" type="text/csv[^"]*" title="([^"]*)"', html)
        return [link["title"] for link in response.json()["links"] if link["type"].startswith("text/csv")]

    items = f"{OGC}/collections/schools/items"
    for f in ("json", "html"):
        assert csv_titles(client.get(items, {"f": f})) == ["Dieses Dokument als CSV"], f
        assert csv_titles(client.get(items, {"f": f, "lang": "en"})) == ["This document as CSV"], f
        assert csv_titles(client.get(items, {"f": f}, HTTP_ACCEPT_LANGUAGE="en")) == ["This document as CSV"], f
