"""Roadworks files through the plans' readers and report: good files in every format, broken ones refused whole."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from django.contrib.gis.geos import Point
from django.core.files import File

from coordination.models import Roadworks, RoadworksImport
from coordination.services import roadworks_import
from geoportal.errors import PermissionDeniedError
from tests.coordination.conftest import ROADWORKS, line, works
from tests.factories import UserFactory, planner

TODAY = date(2026, 12, 1)
GOOD = ROADWORKS / "valid"
BROKEN = ROADWORKS / "invalid"


def imported(owner, path, *, by=None, mapping=None) -> RoadworksImport:
    with path.open("rb") as handle:
        return roadworks_import(owner=owner, file=File(handle, name=path.name), by=by, mapping=mapping, today=TODAY)


def errors(record: RoadworksImport) -> list[tuple]:
    return [(p["row"], p["field"], p["message"]) for p in record.report if p["severity"] == "error"]


def warnings(record: RoadworksImport) -> list[tuple]:
    return [(p["row"], p["field"], p["message"]) for p in record.report if p["severity"] == "warning"]


@pytest.mark.parametrize(
    ("name", "mapping"),
    [
        ("roadworks.geojson", None),
        ("roadworks.gpkg", None),
        ("roadworks_4326.geojson", None),
    ],
)
def test_the_same_three_works_come_from_every_spatial_format(city, owner, name, mapping):
    record = imported(owner, GOOD / name, mapping=mapping)
    assert record.state == RoadworksImport.State.IMPORTED, record.report
    assert (record.created, record.updated, record.removed) == (3, 0, 0)
    rows = {
        w.reference: (w.title, w.sector, w.geom.geom_type, w.start_date, w.end_date, w.dig_ban_until)
        for w in Roadworks.objects.filter(owner=owner)
    }
    line, area = "MultiLineString", "MultiPolygon"
    assert rows == {
        "TB-1": ("Deckenerneuerung Schloßstraße", "road", line, date(2031, 3, 1), date(2031, 6, 30), date(2036, 6, 30)),
        # Quarters: a start from the quarter's first day, an end to its last.
        "W-7": ("Wasserleitung Kirchplatz", "water", area, date(2031, 4, 1), date(2031, 9, 30), None),
        "FW-3": (
            "Fernwärme Ringstraße", "district_heating", line, date(2031, 9, 1), date(2031, 11, 30), date(2034, 11, 30)
        ),
    }  # fmt: skip
    trench = Roadworks.objects.get(owner=owner, reference="TB-1")
    assert trench.geom.srid == 25832
    assert trench.geom.length == pytest.approx(1000, abs=0.01)  # reprojected from degrees where needed
    assert trench.source == Roadworks.Source.IMPORT
    assert trench.source_import == record


def test_a_german_excel_csv_with_wkt_and_no_crs_is_recognised_and_reported(city, owner):
    record = imported(owner, GOOD / "roadworks_wkt_cp1252.csv")
    assert record.state == RoadworksImport.State.IMPORTED, record.report
    assert warnings(record) == [
        (None, "crs", "coordinate reference system recognised from the coordinates"),
        (3, "end", "finished works without a running dig ban never match planned fibre"),
    ]
    sewer = Roadworks.objects.get(owner=owner, reference="K-100")
    assert (sewer.title, sewer.sector, sewer.start_date, sewer.dig_ban_until) == (
        "Kanalsanierung Hauptstraße", "sewer", date(2031, 4, 1), date(2034, 7, 31),
    )  # fmt: skip
    assert Roadworks.objects.get(owner=owner, reference="G-5").end_date == date(2031, 3, 31)


def test_a_site_given_by_lat_lon_is_kept_as_a_circle_of_10_m(city, owner):
    record = imported(owner, GOOD / "roadworks_latlon.csv")
    assert record.state == RoadworksImport.State.IMPORTED, record.report
    assert warnings(record) == [(1, "geometry", "a point site is kept as a circle")]
    site = Roadworks.objects.get(owner=owner)
    assert site.geom.geom_type == "MultiPolygon"
    assert site.geom.area == pytest.approx(314, rel=0.03)
    assert site.geom.centroid.distance(Point(350200, 5700300, srid=25832)) < 0.5  # six decimals of a degree
    assert site.sector == "power"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "bad_dates.csv",
            [
                (2, "start", "unparseable start"),
                (3, "end", "works end before they start"),
                (4, "dig_ban_until", "the dig ban ends before the works end"),
            ],
        ),
        ("unknown_sector.geojson", [(1, "sector", "unknown sector")]),
        ("outside_city.geojson", [(2, "geometry", "feature lies outside the city")]),
        ("not_line_or_area.geojson", [(1, "geometry", "not a line or an area")]),
        ("duplicate_reference.geojson", [(2, "reference", "duplicate reference")]),
        ("empty_geometry.geojson", [(1, "geometry", "empty geometry")]),
        ("no_geometry.csv", [(None, "file", "no geometry")]),
        ("garbage.gpkg", [(None, "file", "unreadable file")]),
        ("hostile.geojson", [(1, "start", "unparseable start")]),
    ],
)
def test_a_broken_file_is_refused_whole_with_each_problem_at_its_row_and_field(city, owner, name, expected):
    kept = works(owner, "before", line((349000, 5699000), (349100, 5699000)), date(2030, 1, 1), date(2030, 2, 1))
    record = imported(owner, BROKEN / name)
    assert record.state == RoadworksImport.State.INVALID
    assert errors(record) == expected
    assert list(Roadworks.objects.filter(owner=owner)) == [kept]  # nothing stored, nothing removed
    assert all(p["expected"] for p in record.report if p["severity"] == "error")  # each says what was expected


def test_a_new_file_replaces_the_owners_imported_works_by_reference_and_keeps_works_entered_by_hand(
    city, owner, tmp_path
):
    by_hand = works(owner, "by hand", line((349000, 5699000), (349100, 5699000)), date(2030, 1, 1), date(2030, 2, 1))
    first = imported(owner, GOOD / "roadworks.geojson")
    trench = Roadworks.objects.get(owner=owner, reference="TB-1")
    # The next export: TB-1 moved by a month, W-7 gone, FW-3 still there, K-100 new.
    text = (GOOD / "roadworks.geojson").read_text(encoding="utf-8")
    text = text.replace('"2031-03-01"', '"2031-04-01"').replace('"W-7"', '"K-100"')
    path = tmp_path / "roadworks.geojson"
    path.write_text(text, encoding="utf-8")
    second = imported(owner, path)
    assert (second.created, second.updated, second.removed) == (1, 2, 1)
    assert set(Roadworks.objects.filter(owner=owner).values_list("reference", flat=True)) == {
        "",
        "TB-1",
        "FW-3",
        "K-100",
    }
    trench.refresh_from_db()  # the same row, updated in place: its notifications stay attached
    assert (trench.start_date, trench.source_import_id) == (date(2031, 4, 1), second.pk)
    assert Roadworks.objects.filter(pk=by_hand.pk).exists()
    assert first.pk != second.pk


def test_an_import_leaves_other_owners_works_alone(city, owner):
    from coordination.models import WorksOwner

    water = WorksOwner.objects.create(name="Wasserwerk", sector="water")
    imported(water, GOOD / "roadworks.geojson")
    imported(owner, GOOD / "roadworks_latlon.csv")
    imported(owner, GOOD / "roadworks_wkt_cp1252.csv")  # replaces the owner's site
    assert Roadworks.objects.filter(owner=water).count() == 3
    assert set(Roadworks.objects.filter(owner=owner).values_list("reference", flat=True)) == {"K-100", "G-5", "S-1"}


def test_a_zipped_shapefile_needs_a_mapping_for_its_cut_column_names_which_is_remembered(city, owner):
    # The DBF cut "aufbruchsperre" to ten characters: without a mapping the dig ban is not found.
    first = imported(owner, GOOD / "roadworks_shp.zip")
    assert first.state == RoadworksImport.State.IMPORTED
    assert Roadworks.objects.get(owner=owner, reference="TB-1").dig_ban_until is None
    imported(owner, GOOD / "roadworks_shp.zip", mapping={"dig_ban_until": "aufbruchsp"})
    owner.refresh_from_db()
    assert owner.field_mapping == {"dig_ban_until": "aufbruchsp"}
    again = imported(owner, GOOD / "roadworks_shp.zip")
    assert (again.state, again.created, again.updated) == (RoadworksImport.State.IMPORTED, 0, 2)
    assert Roadworks.objects.get(owner=owner, reference="TB-1").dig_ban_until == date(2036, 6, 30)
    assert Roadworks.objects.get(owner=owner, reference="FW-3").geom.geom_type == "MultiLineString"


def test_a_file_too_large_is_recorded_without_keeping_its_bytes(city, owner, settings, tmp_path):
    settings.PLAN_UPLOAD_MAX_BYTES = 100
    record = imported(owner, GOOD / "roadworks.geojson")
    assert record.state == RoadworksImport.State.INVALID
    assert errors(record) == [(None, "file", "file too large")]
    assert not record.file


def test_only_planners_import(city, owner):
    with pytest.raises(PermissionDeniedError):
        imported(owner, GOOD / "roadworks.geojson", by=UserFactory())
    assert imported(owner, GOOD / "roadworks.geojson", by=planner()).received_by is not None


def test_the_import_command_reports_and_refuses_a_broken_file(city, tmp_path, capsys):
    from django.core.management import CommandError, call_command

    path = tmp_path / "roadworks.geojson"
    shutil.copy(GOOD / "roadworks.geojson", path)
    call_command("import_roadworks", str(path), owner="Stadtwerke", create_owner=True, sector="water")
    assert "3 new, 0 updated, 0 removed" in capsys.readouterr().out
    with pytest.raises(CommandError, match="invalid; nothing was imported"):
        call_command("import_roadworks", str(BROKEN / "bad_dates.csv"), owner="Stadtwerke")
    assert "row 3, end: works end before they start" in capsys.readouterr().err
    assert Roadworks.objects.count() == 3


def test_imported_works_know_their_stadtteil(city, owner):
    from tests.factories import DistrictFactory

    centre = DistrictFactory(name="Mitte")  # 349500–350500 E, 5699500–5700500 N
    imported(owner, GOOD / "roadworks.geojson")
    districts = dict(Roadworks.objects.filter(owner=owner).values_list("reference", "district__name"))
    assert districts == {"TB-1": "Mitte", "W-7": None, "FW-3": None}
    assert centre.pk
