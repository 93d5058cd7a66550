"""The validation report in the reader's language: messages and "expected" hints, values kept as written."""

from __future__ import annotations

import pytest
from django.utils import translation

from rollout.presentation import report_summary, report_text, stage_label
from rollout.vocabulary import STAGE_SYNONYMS, map_value, parse_expected


def _hint_of(function) -> str:
    try:
        function()
    except ValueError as error:
        return str(error)
    raise AssertionError("no ValueError")


def test_hints_with_values_are_translated_and_keep_their_values():
    unknown = _hint_of(lambda: map_value("irgendwann", STAGE_SYNONYMS, what="stage"))
    with translation.override("de"):
        german = report_text(unknown)
        assert german.startswith("einer dieser Werte: ")
        assert "bookable" in german
        assert "under_construction" in german
        assert german.endswith("(oder eine übliche Schreibweise)")
        assert report_text("a whole number from 0 to 100") == "eine ganze Zahl von 0 bis 100"
        assert report_text("≤ 209715200") == "höchstens 200,0\xa0MB"
        assert report_text(_hint_of(lambda: parse_expected("bald"))).startswith("ein Quartal (Q3/2027")
        assert report_text("a valid GeoPackage, GeoJSON, KML or zipped Shapefile (not a zip)") == (
            "ein gültiges GeoPackage, GeoJSON, KML oder gezipptes Shapefile (not a zip)"
        )
    with translation.override("en"):
        assert report_text("≤ 209715200") == "at most 200.0\xa0MB"


@pytest.mark.parametrize(
    ("stage", "german"),
    [
        ("planned", "Geplant"),
        ("pre_marketing", "Vorvermarktung / Nachfragebündelung"),
        ("under_construction", "Im Bau"),
        ("homes_passed", "Glasfaser in der Straße"),
        ("homes_connected", "Hausanschluss gelegt"),
        ("bookable", "Buchbar"),
        ("cancelled", "Abgesagt"),
    ],
)
def test_stages_in_plain_german(stage, german):
    with translation.override("de"):
        assert stage_label(stage) == german


def test_a_report_groups_its_problems_with_translated_hints():
    report = [
        {"severity": "error", "message": "file too large", "field": "file", "value": 300, "expected": "≤ 1048576"},
        {"severity": "error", "message": "unknown stage", "row": 3, "field": "stage", "expected": "a value"},
    ]
    with translation.override("de"):
        summary = report_summary(report)
    hints = {group["message"]: group["problems"][0]["expected"] for group in summary["groups"]}
    assert hints == {"Datei zu groß": "höchstens 1,0\xa0MB", "unbekannter Ausbaustand": "ein Wert"}
