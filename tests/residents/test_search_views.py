"""The search's HTTP face: results page, suggestions API, "use my location"; bad input, limits, caching."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.core.cache import caches
from django.test import Client

from layers.models import Address
from residents.links import address_url, street_url
from tests.residents.town import KETTWIGER_2, SECRET_PROVIDER, town_create, wgs84

pytestmark = pytest.mark.django_db

SUGGEST = "/suche/vorschlaege"


@pytest.fixture
def town(db) -> dict[str, int]:
    """The search town (tests/residents/town.py): address ids by label ("Schloßstraße 12, 45468")."""
    return town_create()


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Rate-limit counters live in the shared cache (files without CACHE_URL): every test starts at zero."""
    caches["shared"].clear()
    yield
    caches["shared"].clear()


def suggest(client: Client, text: str, **extra) -> dict:
    response = client.get(SUGGEST, {"q": text}, **extra)
    assert response.status_code == 200, response.content
    return response.json()


def labels(data: dict) -> list[str]:
    return [s["label"] for s in data["suggestions"]]


# -- suggestions -----------------------------------------------------------------------------------------------


def test_suggestions_for_a_street_being_typed(client, town):
    data = suggest(client, "Schlo")
    assert data["match"] is True
    assert labels(data)[:3] == ["Schloßberg, 45468", "Schloßstraße, 45468", "Schloßstraße, 45470"]
    first = data["suggestions"][0]
    assert first == {
        "label": "Schloßberg, 45468",
        "kind": "street",
        "url": street_url(street="Schloßberg", postcode="45468"),
        "detail": "Altstadt I · 3 Adressen",
    }
    assert client.get(first["url"]).status_code == 200


def test_suggestions_with_a_house_number_are_addresses_with_permalinks(client, town):
    data = suggest(client, "schlossstr 12a")
    top = data["suggestions"][0]
    assert (top["label"], top["kind"], top["url"]) == (
        "Schloßstraße 12a, 45468",
        "address",
        "/adresse/45468/schlossstrasse/12a/",
    )
    assert client.get(top["url"]).status_code == 200
    assert {s["kind"] for s in data["suggestions"]} <= {"address", "street"}
    assert len(data["suggestions"]) <= 8


def test_suggestions_in_english_link_to_english_pages(client, town):
    data = client.get("/en" + SUGGEST, {"q": "Goetheplatz 2"}).json()
    assert data["suggestions"][0]["url"] == "/en/adresse/45472/goetheplatz/2/"


def test_no_match_returns_the_nearest_street_names(client, town):
    data = suggest(client, "Schlossallee")
    assert data["match"] is False
    assert any(label.startswith("Schloß") for label in labels(data))
    assert all(s["kind"] == "street" for s in data["suggestions"])


def test_too_short_text_suggests_nothing(client, town):
    assert suggest(client, "S")["suggestions"] == []
    assert suggest(client, "")["suggestions"] == []


def test_suggestions_are_public_and_cacheable(client, town):
    response = client.get(SUGGEST, {"q": "Schlo"})
    assert response["Content-Type"] == "application/json"
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]
    assert "Set-Cookie" not in response.headers  # a public answer sets no cookie


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a" * 201, "länger als 200 Zeichen"),
        ("Schloß\x00straße", "Steuerzeichen"),
        ("Schloß\x1b[2J", "Steuerzeichen"),
    ],
)
def test_malformed_text_is_a_400_that_says_why(client, town, text, message):
    response = client.get(SUGGEST, {"q": text})
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert "public" not in response.get("Cache-Control", "")
    page = client.get("/suche/", {"q": text})
    assert page.status_code == 400
    assert message in page.content.decode()


def test_suggestions_are_rate_limited_per_client(client, town, settings):
    settings.RATELIMIT_SUGGEST = "3/m"
    for _ in range(3):
        assert client.get(SUGGEST, {"q": "Schlo"}).status_code == 200
    refused = client.get(SUGGEST, {"q": "Schlo"})
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "error" in refused.json()
    # another client is not affected
    assert client.get(SUGGEST, {"q": "Schlo"}, REMOTE_ADDR="192.0.2.7").status_code == 200


def test_only_get_is_allowed(client, town):
    assert client.post(SUGGEST, {"q": "Schlo"}).status_code == 405


def test_hostile_text_is_escaped_in_json_and_page(client, town):
    text = "<script>alert('x')</script> Schloßstraße"
    assert client.get(SUGGEST, {"q": text}).status_code == 200
    page = client.get("/suche/", {"q": text}).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


def test_an_unpublished_plan_never_shows(client, town):
    for text in ["Schloßstraße 3", "Kettwiger", "Schlossallee"]:
        assert SECRET_PROVIDER not in client.get(SUGGEST, {"q": text}).content.decode()
        assert SECRET_PROVIDER not in client.get("/suche/", {"q": text}).content.decode()
    assert suggest(client, SECRET_PROVIDER)["match"] is False  # its name finds nothing but street names


# -- the results page --------------------------------------------------------------------------------------------


def test_the_results_page_lists_addresses_and_streets(client, town):
    response = client.get("/suche/", {"q": "Schloßstraße 3"})  # in two postcodes: no redirect
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ergebnisse für „Schloßstraße 3“" in html
    assert 'href="/adresse/45468/schlossstrasse/3/"' in html
    assert 'href="/adresse/45470/schlossstrasse/3/"' in html
    assert f'href="{street_url(street="Schloßstraße", postcode="45470")}"' in html
    assert 'value="Schloßstraße 3"' in html  # the box keeps the text
    # the two exact addresses and four neighbours, not the whole street
    listed = re.search(r'<ul class="result-list" aria-labelledby="result-addresses">(.*?)</ul>', html, re.S)[1]
    assert listed.count("<li>") == 2 + 4


def test_one_exact_address_redirects_to_its_page(client, town):
    response = client.get("/suche/", {"q": "45468 schlossstr. 12 A"})
    assert response.status_code == 302
    assert response["Location"] == "/adresse/45468/schlossstrasse/12a/"
    english = client.get("/en/suche/", {"q": "Goetheplatz 2"})
    assert english["Location"] == "/en/adresse/45472/goetheplatz/2/"


def test_a_missing_house_number_says_so_and_offers_the_nearest(client, town):
    html = client.get("/suche/", {"q": "Kettwiger Straße 7"}).content.decode()
    assert "Die Hausnummer 7 gibt es nicht" in html
    assert 'href="/adresse/45468/kettwiger-strasse/6/"' in html
    assert 'href="/adresse/45468/kettwiger-strasse/8/"' in html


def test_no_match_says_so_and_offers_the_nearest_street_names(client, town):
    html = client.get("/suche/", {"q": "Schlossallee"}).content.decode()
    assert "Wir haben keine Straße mit diesem Namen gefunden." in html
    assert 'href="/adresse/45468/schlossstrasse/"' in html or 'href="/adresse/45468/schlossberg/"' in html


def test_an_empty_search_shows_the_form(client, town):
    html = client.get("/suche/").content.decode()
    assert 'action="/suche/"' in html
    assert 'name="q"' in html
    assert "Ergebnisse" not in html
    assert "mindestens zwei Buchstaben" in client.get("/suche/", {"q": "12"}).content.decode()


def test_the_home_page_has_the_search_box(client, town):
    html = client.get("/").content.decode()
    assert 'role="combobox"' in html
    assert 'aria-controls="search-listbox"' in html
    assert 'action="/suche/"' in html
    assert 'method="get"' in html
    assert 'data-suggest-url="/suche/vorschlaege"' in html
    assert 'type="module" src="/static/residents/js/search-box.' in html


# -- use my location -------------------------------------------------------------------------------------------


def test_locate_finds_the_nearest_addresses(client, town):
    lon, lat = wgs84(KETTWIGER_2[0] + 1, KETTWIGER_2[1] + 1)
    response = client.post("/suche/standort", {"lat": lat, "lon": lon})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]
    nearest = response.json()["addresses"][0]
    assert nearest["label"] == "Kettwiger Straße 2, 45468"
    assert nearest["url"] == address_url(Address.objects.get(pk=town["Kettwiger Straße 2, 45468"]))
    assert nearest["distance"] == "1 m entfernt"


def test_locate_far_from_the_city_says_so(client, town):
    data = client.post("/suche/standort", {"lat": 48.137, "lon": 11.575}).json()  # Munich
    assert data["addresses"] == []
    assert "keine Adresse in Mülheim an der Ruhr" in data["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"lat": "x", "lon": "6.9"},
        {"lat": "nan", "lon": "6.9"},
        {"lat": "91", "lon": "6.9"},
        {"lat": "51", "lon": "inf"},
    ],
)
def test_locate_refuses_what_is_not_a_position(client, town, body):
    response = client.post("/suche/standort", body)
    assert response.status_code == 400
    assert response.json()["error"].startswith("Das ist kein Standort")


def test_locate_needs_csrf_and_post(town):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/suche/standort", {"lat": 51.43, "lon": 6.88}).status_code == 403
    assert strict.get("/suche/standort", {"lat": 51.43, "lon": 6.88}).status_code == 405


def test_locate_does_not_log_the_position(client, town, caplog):
    lon, lat = wgs84(*KETTWIGER_2)
    with caplog.at_level(logging.DEBUG):
        client.post("/suche/standort", {"lat": f"{lat:.7f}", "lon": f"{lon:.7f}"})
        client.post("/suche/standort", {"lat": "bad", "lon": f"{lon:.7f}"})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"{lat:.4f}" not in logged
    assert f"{lon:.4f}" not in logged


def test_the_suggestion_json_is_valid_utf8_json(client, town):
    body = client.get(SUGGEST, {"q": "Mülheimer"}).content
    assert json.loads(body.decode("utf-8"))["suggestions"][0]["label"] == "Mülheimer Straße, 45468"


@pytest.mark.parametrize("text", ["ß" * 200, "str " * 50, "1" * 200, "45468 " * 33])
def test_the_longest_texts_allowed_are_answered(client, town, text):
    assert client.get(SUGGEST, {"q": text}).status_code == 200
    assert client.get("/suche/", {"q": text}).status_code == 200
