"""Providers' spellings map onto the one vocabulary; quarter and date formats parse."""

from datetime import date

import pytest

from rollout.vocabulary import (
    STAGE_SYNONYMS,
    TECHNOLOGY_SYNONYMS,
    expected_end,
    map_value,
    parse_expected,
    quarter_label,
)


@pytest.mark.parametrize(
    ("spelling", "technology"),
    [
        ("FTTH", "ftth"),
        ("ftth", "ftth"),
        ("Glasfaser bis in die Wohnung", "ftth"),
        ("FTTB", "fttb"),
        ("HFC/DOCSIS 3.1", "hfc"),
        ("FTTC/VDSL", "fttc"),
        ("5G-FWA", "fwa_5g"),
    ],
)
def test_technology_spellings(spelling, technology):
    assert map_value(spelling, TECHNOLOGY_SYNONYMS, what="technology") == technology


@pytest.mark.parametrize(
    ("spelling", "stage"),
    [("Im Bau", "under_construction"), ("under_construction", "under_construction"), ("Storniert", "cancelled")],
)
def test_stage_spellings(spelling, stage):
    assert map_value(spelling, STAGE_SYNONYMS, what="stage") == stage


def test_unknown_value_names_the_accepted_ones():
    with pytest.raises(ValueError, match="expected one of .*ftth"):
        map_value("Brieftaube", TECHNOLOGY_SYNONYMS, what="technology")


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("Q3/2027", (date(2027, 7, 1), "quarter")),
        ("2027-Q3", (date(2027, 7, 1), "quarter")),
        ("3. Quartal 2027", (date(2027, 7, 1), "quarter")),
        ("q1 2028", (date(2028, 1, 1), "quarter")),
        ("2027-09-30", (date(2027, 9, 30), "day")),
        ("30.09.2027", (date(2027, 9, 30), "day")),
        (date(2027, 9, 30), (date(2027, 9, 30), "day")),
    ],
)
def test_expected_formats(text, parsed):
    assert parse_expected(text) == parsed


@pytest.mark.parametrize("text", ["bald", "Q5/2027", "2027-13-01", ""])
def test_unparseable_dates(text):
    with pytest.raises(ValueError, match="unparseable"):
        parse_expected(text)


def test_quarter_end_and_label():
    assert expected_end(date(2027, 10, 1), "quarter") == date(2027, 12, 31)
    assert quarter_label(date(2027, 10, 1), "quarter") == "Q4/2027"
