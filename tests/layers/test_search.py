"""The address search's normalisation and parser (layers/search.py), and its SQL twin in the database."""

from __future__ import annotations

import pytest
from django.db import connection

from geoportal.errors import InvalidInputError
from layers.demo.streets import street_name_pool
from layers.naming import slug
from layers.search import (
    MAX_QUERY_LENGTH,
    address_query_parse,
    house_suffix_key,
    query_clean,
    street_key,
    street_words,
    street_words_sql,
    typo_allowance,
)

CITY = "Mülheim an der Ruhr"


def parse(text: str):
    return address_query_parse(query_clean(text), city=CITY, city_aliases=("MH",))


# -- normalisation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variants",
    [
        ["Mülheim", "Muelheim", "Mulheim", "MÜLHEIM", "mülheim"],
        [
            "Schloßstraße",
            "Schlossstrasse",
            "Schloss-Str.",
            "Schloss Str",
            "Schloßstr.",
            "SCHLOSS STRASSE",
            "schlossstr.",
        ],
        ["Alte-Duisburger-Str", "alte duisburger strasse", "Alte Duisburger Straße", "alteduisburgerstr."],
        ["Goethe-Platz", "Goetheplatz", "Göthepl.", "goethe pl"],
        ["Sankt-Josef-Straße", "St. Josef-Str.", "st josef str"],
        ["Dr.-Simonis-Straße", "Doktor-Simonis-Str.", "Dr Simonis Str"],
        ["Straße des 17. Juni", "strasse des 17 juni"],
        # Decomposed umlauts (as some keyboards and macOS file names send them) meet the composed ones.
        ["Mu\u0308lheimer Straße", "Mülheimer Straße"],
    ],
)
def test_ways_of_writing_a_name_meet_in_one_key(variants):
    assert len({street_key(v) for v in variants}) == 1, {v: street_key(v) for v in variants}


def test_words_keep_word_boundaries_and_expand_abbreviations():
    assert street_words("Alte Duisburger Str.") == "alte duisburger strasse"
    assert street_words("  Am   Lindenhof ") == "am lindenhof"
    assert street_words("Kästnerpl.") == "kastnerplatz"
    # Only at the end of a word: "Str" inside a word, and "Pl" starting one, stay as they are.
    assert street_words("Strandweg") == "strandweg"
    assert street_words("Planckstraße") == "planckstrasse"
    # A half-typed long form stays a prefix of the stored name.
    assert street_key("Goethepla") in street_key("Goetheplatz")
    assert street_key("Schlossstra") in street_key("Schloßstraße")


def test_other_accents_are_dropped_and_punctuation_is_a_space():
    assert street_words("Crème-Brûlée-Allee") == "creme brulee allee"
    assert street_words("O'Brien-Weg") == "o brien weg"
    assert street_words("🎉") == ""


def test_house_suffixes_compare_by_letters_and_digits():
    assert [house_suffix_key(s) for s in ["a", " A", "-14", "/1", "b "]] == ["a", "a", "14", "1", "b"]


# -- the parser ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "number", "suffix", "postcode"),
    [
        ("Schloßstraße 12", "schlossstrasse", 12, "", None),
        ("45468 Schloßstr 12", "schlossstrasse", 12, "", "45468"),
        ("Schloßstr. 12, 45468 Mülheim an der Ruhr", "schlossstrasse", 12, "", "45468"),
        ("schlossstrasse 12 a", "schlossstrasse", 12, "a", None),
        ("Schloss-Str. 12A", "schlossstrasse", 12, "a", None),
        ("Schloßstraße12b", "schlossstrasse", 12, "b", None),
        ("Schloßstraße 12-14", "schlossstrasse", 12, "14", None),
        ("Schloßstraße 12 - 14", "schlossstrasse", 12, "14", None),
        ("Schloßstraße 12/1", "schlossstrasse", 12, "1", None),
        ("12 Schloßstraße", "schlossstrasse", 12, "", None),
        ("Mülheim, Schloßstraße 12", "schlossstrasse", 12, "", None),
        ("Schloßstraße 12, Mülheim a. d. Ruhr", "schlossstrasse", 12, "", None),
        ("Schloßstraße 12 Mülheim/Ruhr", "schlossstrasse", 12, "", None),
        ("MH Schloßstraße 12", "schlossstrasse", 12, "", None),
        ("Muelheim Schlossstr. 12", "schlossstrasse", 12, "", None),
        # "Mülheimer" is a street's word, not the city.
        ("Mülheimer Str. 3", "mulheimerstrasse", 3, "", None),
        # Numbers inside the name: the ordinal stays, the last number is the house.
        ("Straße des 17. Juni 5", "strassedes17juni", 5, "", None),
        ("Straße des 17. Juni", "strassedes17juni", None, "", None),
        ("Schlo", "schlo", None, "", None),
        ("45468", "", None, "", "45468"),
        ("Am Lindenhof 5 a", "amlindenhof", 5, "a", None),
    ],
)
def test_typed_addresses_are_taken_apart(text, key, number, suffix, postcode):
    query = parse(text)
    assert (query.key, query.number, query.suffix, query.postcode) == (key, number, suffix, postcode)


def test_the_house_number_at_the_end_may_still_be_typed():
    assert parse("Schloßstraße 1").number_last
    assert not parse("Schloßstraße 1, 45468").number_last
    assert not parse("Schloßstraße").number_last


def test_a_query_needs_two_letters_of_a_street():
    assert not parse("S").searchable
    assert not parse("12").searchable
    assert not parse("45468 Mülheim").searchable
    assert parse("Sc").searchable


@pytest.mark.parametrize("text", ["Schloß\x00straße", "bell\x07", "x\x1b[31m", "line\u2028sep", "del\x7f", "c1\x85"])
def test_control_characters_are_refused(text):
    with pytest.raises(InvalidInputError, match="control characters"):
        query_clean(text)


def test_overlong_text_is_refused_and_whitespace_is_trimmed():
    with pytest.raises(InvalidInputError, match=str(MAX_QUERY_LENGTH)):
        query_clean("a" * (MAX_QUERY_LENGTH + 1))
    assert query_clean("  Schloßstraße\t12\r\n") == "Schloßstraße 12"
    assert query_clean("Mu\u0308lheim") == "Mülheim"  # NFC


def test_typing_errors_forgiven_grow_with_the_length():
    assert [typo_allowance("x" * n) for n in (2, 3, 4, 5, 6, 9, 10, 20)] == [0, 0, 1, 1, 2, 2, 3, 3]


# -- the SQL twin -------------------------------------------------------------------------------------------

HARD = [
    "Straße des 17. Juni",
    "Mu\u0308lheimer Straße",
    "ÄÖÜ äöü ẞ ß",
    "ﬁschweg",  # a ligature: NFKD makes it "fi"
    "Øster Allee",  # no decomposition: dropped, as in Python
    "İnönü-Straße",
    "Crème-Brûlée-Allee",
    "Dr.-Simonis-Str.",
    "St. Josef",
    "emoji 🎉 weg",
    "a--b  c",
    "O'Brien-Platz",
    "\u00a0Nbsp\u2003Em ",
    "Ⅻ. Straße",
    "Goethe-Pl.",
    "Professor-Kuhn-Weg",
]


@pytest.mark.django_db
def test_the_database_functions_give_the_python_answers():
    names = street_name_pool() + HARD
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n, layers_street_words(n), layers_street_key(n), layers_slug(n) FROM unnest(%s::text[]) AS n",
            [names],
        )
        rows = cursor.fetchall()
    assert len(rows) == len(names) > 1000
    differ = [
        (name, (words, key, slugged), (street_words(name), street_key(name), slug(name)))
        for name, words, key, slugged in rows
        if (words, key, slugged) != (street_words(name), street_key(name), slug(name))
    ]
    assert differ == []


@pytest.mark.django_db
def test_the_database_function_is_rendered_from_the_current_rules():
    """A change of layers.search.STEPS must come with a migration that replaces layers_street_words."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'layers_street_words'")
        (source,) = cursor.fetchone()
    assert source.strip() == f"SELECT {street_words_sql()}"
