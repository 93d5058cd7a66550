"""The schools come from the official NRW register, joined with the 2024/25 figures."""

import csv

import pytest

from layers import services
from schools.importers import schools_load
from schools.models import School

MSB_GEOJSON = services.CITY_DATA / "schools_nrw_msb_schuldaten_2021-09_muelheim.geojson"
MSB_CSV = services.CITY_DATA / "schools_nrw_msb_schuldaten_2021-09_muelheim.csv"
ITNRW_CSV = services.CITY_DATA / "schools_itnrw_2024-25_sozialindex_muelheim.csv"


def _rows(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["Schulnummer"]: row for row in csv.DictReader(fh)}


@pytest.mark.django_db
def test_all_register_entries_load_at_their_official_coordinates():
    official = _rows(MSB_CSV)

    report = schools_load(msb_geojson=MSB_GEOJSON, itnrw_csv=ITNRW_CSV)

    assert report.created == len(official) == 40
    for school in School.objects.all():
        row = official[school.school_number]
        assert school.geom.srid == 25832
        assert school.geom.x == pytest.approx(float(row["UTMRechtswert"]), abs=0.01)
        assert school.geom.y == pytest.approx(float(row["UTMHochwert"]), abs=0.01)


@pytest.mark.django_db
def test_pupils_social_index_and_startchancen_are_joined_on_schulnummer():
    newer = _rows(ITNRW_CSV)

    report = schools_load(msb_geojson=MSB_GEOJSON, itnrw_csv=ITNRW_CSV)

    assert report.joined == len(newer) == 39
    sunderplatz = School.objects.get(school_number="103780")
    assert sunderplatz.name == "Städt. Gem. Grundschule Am Sunderplatz"
    assert sunderplatz.school_type == "Grundschule"
    assert sunderplatz.pupils == int(newer["103780"]["Anzahl"])
    assert sunderplatz.pupils_school_year == "2024/25"
    assert sunderplatz.social_index == 2
    startchancen = {n for n, row in newer.items() if row["Startchancen-Schule"] == "1"}
    assert set(School.objects.filter(startchancen=True).values_list("school_number", flat=True)) == startchancen


@pytest.mark.django_db
def test_the_school_office_is_listed_but_not_counted_as_a_school():
    schools_load(msb_geojson=MSB_GEOJSON, itnrw_csv=ITNRW_CSV)

    office = School.objects.get(is_school=False)
    assert office.school_type_code == "0A"
    assert "Schulamt" in office.name
    assert School.objects.filter(is_school=True).count() == 39


@pytest.mark.django_db
def test_loading_twice_updates_instead_of_duplicating():
    schools_load(msb_geojson=MSB_GEOJSON, itnrw_csv=ITNRW_CSV)

    report = schools_load(msb_geojson=MSB_GEOJSON, itnrw_csv=ITNRW_CSV)

    assert (report.created, report.updated) == (0, 40)
    assert School.objects.count() == 40
