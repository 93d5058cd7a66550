"""Matching in PostgreSQL (layers/search_selectors.py): what residents type finds the right street and house."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point

from layers.search import address_query
from layers.search_selectors import address_search, addresses_nearest, fuzzy_prefixes
from tests.residents.town import KETTWIGER_2, town_create, wgs84

pytestmark = pytest.mark.django_db


@pytest.fixture
def town(db) -> dict[str, int]:
    return town_create()


def search(text: str, **options):
    return address_search(query=address_query(text), **options)


def first_street(text: str) -> str:
    result = search(text)
    assert result.matched, text
    return f"{result.streets[0].name}, {result.streets[0].postcode}"


def first_address(text: str, **options) -> str:
    hit = search(text, **options).addresses[0]
    return f"{hit.street} {hit.house_label}, {hit.postcode}"


@pytest.mark.parametrize(
    ("typed", "street"),
    [
        # prefix typing
        ("Sc", "Schloßberg, 45468"),
        ("Schloßs", "Schloßstraße, 45468"),
        ("schlosss", "Schloßstraße, 45468"),
        ("Goethep", "Goetheplatz, 45472"),
        ("Goethepla", "Goetheplatz, 45472"),
        # umlaut and ß variants, abbreviations, hyphens and spaces
        ("Schlossstrasse", "Schloßstraße, 45468"),
        ("Schloss-Str.", "Schloßstraße, 45468"),
        ("schloss str", "Schloßstraße, 45468"),
        ("Muelheimer Str", "Mülheimer Straße, 45468"),
        ("Mulheimer strasse", "Mülheimer Straße, 45468"),
        ("Göthepl.", "Goetheplatz, 45472"),
        ("alte-duisburger-str", "Alte Duisburger Straße, 45481"),
        ("alteduisburgerstraße", "Alte Duisburger Straße, 45481"),
        # whole words and words inside the name
        ("Duisburger", "Duisburger Straße, 45479"),
        ("Lindenhof", "Am Lindenhof, 45470"),
        ("17. Juni", "Straße des 17. Juni, 45473"),
        # typing errors: swapped, missing, extra and wrong letters
        ("Shcloßstraße", "Schloßstraße, 45468"),
        ("Schlosstrase", "Schloßstraße, 45468"),
        ("Schlossstrrasse", "Schloßstraße, 45468"),
        ("Kettwigerstrase", "Kettwiger Straße, 45468"),
        ("Ketwiger", "Kettwiger Straße, 45468"),
        ("Kettwigre Str", "Kettwiger Straße, 45468"),
        ("Alte Dusiburger", "Alte Duisburger Straße, 45481"),
        ("Goehteplatz", "Goetheplatz, 45472"),
        # the postcode typed decides between two streets of one name
        ("45470 Schloßstraße", "Schloßstraße, 45470"),
        ("Schloßstraße, 45468 Mülheim an der Ruhr", "Schloßstraße, 45468"),
    ],
)
def test_typed_street_names_find_their_street_first(town, typed, street):
    assert first_street(typed) == street


def test_an_exact_name_ranks_before_longer_names_and_words(town):
    result = search("Duisburger Straße")
    assert [(s.name, s.tier) for s in result.streets[:2]] == [("Duisburger Straße", 0), ("Alte Duisburger Straße", 2)]


def test_one_name_in_two_postcodes_gives_two_streets(town):
    streets = [(s.name, s.postcode) for s in search("Schloßstraße").streets if s.matched]
    assert streets[:2] == [("Schloßstraße", "45468"), ("Schloßstraße", "45470")]


@pytest.mark.parametrize(
    ("typed", "address"),
    [
        ("Schloßstraße 12", "Schloßstraße 12, 45468"),
        ("Schlossstr. 12a", "Schloßstraße 12a, 45468"),
        ("Schloßstraße 12 A", "Schloßstraße 12a, 45468"),
        ("schlossstrasse 12B", "Schloßstraße 12b, 45468"),
        ("45470 Schloßstr 3", "Schloßstraße 3, 45470"),
        ("3 Schloßstraße, 45470", "Schloßstraße 3, 45470"),
        ("Shcloßstraße 7", "Schloßstraße 7, 45468"),
        ("Kettwiger Str. 4, Mülheim", "Kettwiger Straße 4, 45468"),
        ("MH Kettwiger Str. 4", "Kettwiger Straße 4, 45468"),
        ("Straße des 17. Juni 2", "Straße des 17. Juni 2, 45473"),
    ],
)
def test_house_numbers_exact_first(town, typed, address):
    result = search(typed)
    assert first_address(typed) == address
    assert result.addresses[0].exact


def test_a_missing_number_offers_the_nearest_numbers_of_the_street(town):
    hits = search("Kettwiger Straße 7").addresses  # only even numbers there
    assert [h.house_number for h in hits[:2]] == [6, 8]
    assert not any(h.exact for h in hits)


def test_a_number_being_typed_offers_the_numbers_it_begins(town):
    numbers = [h.house_label for h in search("Schloßstraße 1, 45468", typing=True).addresses[:4]]
    assert numbers[0] == "1"
    assert numbers[1:3] == ["2", "3"]
    typing = [h.house_label for h in search("45468 Schloßstraße 1", typing=True).addresses[:6]]
    assert typing[0] == "1"
    assert set(typing[1:6]) <= {"10", "11", "12", "12a", "12b", "13", "14"}


def test_both_streets_of_one_name_offer_the_number_before_other_numbers(town):
    labels = [f"{h.house_label}, {h.postcode}" for h in search("Schloßstraße 3").addresses[:3]]
    assert labels[:2] == ["3, 45468", "3, 45470"]


def test_the_exact_address_is_known_only_when_it_is_the_only_one(town):
    assert search("Schloßstraße 12a").exact_address.house_label == "12a"
    assert search("Schloßstraße 3").exact_address is None  # in 45468 and in 45470
    assert search("45470 Schloßstraße 3").exact_address.postcode == "45470"
    assert search("Schloßstr 3").exact_address is None
    assert search("Schlosstrase 12").exact_address is None  # a typing error: show, don't jump


def test_no_match_says_so_and_offers_the_nearest_names(town):
    result = search("Zyxwvu")
    assert not result.matched
    assert result.addresses == []
    nearly = search("Schloßallee")  # no such street; the Schloß… names are nearest
    assert {s.name for s in nearly.nearest()[:3]} & {"Schloßstraße", "Schloßberg"}
    assert len(nearly.nearest()) <= 5
    # names alike in nothing are not offered
    assert search("Qqqqqqq").nearest() == []


def test_too_little_to_search_returns_nothing(town):
    assert search("S").streets == []
    assert search("45468").streets == []


def test_hostile_text_is_only_text(town):
    # the longest texts allowed, also where the compared form grows ("ß" → "ss", "str" → "strasse")
    longest = ["ö" * 200, "ß" * 200, "str " * 50, "Schloßstraße " * 15 + "12"]
    for text in ["'; DROP TABLE layers_address; --", "%_%", "\\", "<script>alert(1)</script>", *longest]:
        search(text)  # no error
    assert search("Schlo%").streets[0].name.startswith("Schloß")


def test_the_nearest_addresses_to_a_position(town):
    lon, lat = wgs84(KETTWIGER_2[0] + 3, KETTWIGER_2[1] + 4)  # 5 m from Kettwiger Straße 2
    nearby = addresses_nearest(point=Point(lon, lat, srid=4326), limit=3)
    assert f"{nearby[0].hit.street} {nearby[0].hit.house_label}" == "Kettwiger Straße 2"
    assert nearby[0].metres == pytest.approx(5, abs=0.5)
    assert [n.metres for n in nearby] == sorted(n.metres for n in nearby)


def test_a_search_is_one_query_whatever_it_finds(town, django_assert_num_queries):
    for text in ["Schlo", "Shcloßstraße 7", "Zyxwvu", "Schloßstraße 3"]:
        with django_assert_num_queries(1):
            search(text)


def test_typing_errors_are_looked_for_among_names_that_begin_alike():
    assert fuzzy_prefixes("shclossstrasse") == ("shc%", "hsc%", "sch%")
    assert fuzzy_prefixes("malvewinkel") == ("mal%", "aml%", "mla%")  # not "am%": a third of all names
    assert fuzzy_prefixes("am ternhof") == ("am t%",) * 3  # not all names beginning "am"
    assert fuzzy_prefixes("an der finkenohe") == ("an der f%",) * 3
    assert fuzzy_prefixes("ab") == ("ab%",) * 3
