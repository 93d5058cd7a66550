"""Importers: good files import with the right rows, broken files are rejected and leave the database unchanged."""

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from django.db import connection
from pyproj import Transformer

from geoportal.errors import ImportFailed, InvalidInputError, UnknownCRSError
from layers import services
from layers.importers import AddressMapping, DistrictMapping, addresses_import, districts_import
from layers.models import Address, District

pytestmark = pytest.mark.django_db

TO_UTM = Transformer.from_crs(4326, 25832, always_xy=True)
LOEHBERG_12 = TO_UTM.transform(6.8790, 51.4290)
GOOD_FILES = [
    "hk_cp1252_semicolon.csv",
    "hk_utf8_comma.csv",
    "addresses.gpkg",
    "addresses_shp.zip",
    "addresses_4326.geojson",
    "addresses.osm",
    "addresses.osm.pbf",
]


@pytest.fixture
def city() -> District:
    return services.city_boundary_load(
        path=services.CITY_DATA / "boundary_muelheim_vg250.geojson", ags="05117000", source="test"
    )


def db_state() -> tuple:
    """Row counts and a checksum over every column of addresses and districts."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), md5(coalesce(string_agg(concat_ws('|', id, street, house_number, house_number_suffix,"
            " postcode, city, ST_AsEWKT(geom), homes, source_id, is_demo, district_id), ',' ORDER BY id), ''))"
            " FROM layers_address"
        )
        addresses = cursor.fetchone()
        cursor.execute(
            "SELECT count(*), md5(coalesce(string_agg(concat_ws('|', id, code, name, level, parent_id,"
            " ST_AsEWKB(geom)::text, is_demo), ',' ORDER BY id), '')) FROM layers_district"
        )
        return addresses, cursor.fetchone()


def demo_address(**kwargs) -> Address:
    fields = {"street": "Demoweg", "house_number": 1, "postcode": "45468", "geom": Point(352000, 5699000, srid=25832)}
    return Address.objects.create(is_demo=True, **(fields | kwargs))


# -- good files ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GOOD_FILES)
def test_good_file_imports_all_addresses_at_the_right_place(city, data_dir: Path, name: str):
    # given a good address file with five addresses in Mülheim
    path = data_dir / "addresses" / name

    # when it is imported
    report = addresses_import(path=path)

    # then five addresses exist, with umlauts intact, suffixes split off, positions within 1 m
    assert (report.created, report.updated, report.read - report.skipped) == (5, 0, 5)
    assert Address.objects.count() == 5
    assert Address.objects.filter(street="Schloßstraße", house_number=3, house_number_suffix="a").exists()
    loehberg = Address.objects.get(street="Löhberg", house_number=12)
    assert loehberg.geom.distance(Point(*LOEHBERG_12, srid=25832)) < 1.0
    assert loehberg.postcode == "45468"
    assert not Address.objects.filter(is_demo=True).exists()


def test_cp1252_file_is_detected_and_umlauts_survive(city, data_dir: Path):
    # given the NRW house coordinates in cp1252 with semicolons, no encoding given
    path = data_dir / "addresses" / "hk_cp1252_semicolon.csv"

    # when imported
    report = addresses_import(path=path)

    # then cp1252 was picked and the streets read correctly
    assert report.encoding == "cp1252"
    assert set(Address.objects.values_list("street", flat=True)) == {
        "Schloßstraße",
        "Löhberg",
        "Düsseldorfer Straße",
        "Kölner Straße",
    }
    assert Address.objects.get(street="Löhberg").source_id == "DENW000000000003"


def test_utf8_bom_file_with_header_and_commas(city, data_dir: Path):
    report = addresses_import(path=data_dir / "addresses" / "hk_utf8_comma.csv")

    assert report.encoding == "utf-8-sig"
    assert Address.objects.filter(street="Düsseldorfer Straße", house_number=101).exists()


def test_homes_are_taken_from_the_mapped_field(city, data_dir: Path):
    addresses_import(path=data_dir / "addresses" / "addresses.gpkg", mapping=AddressMapping(homes="homes"))

    assert Address.objects.get(street="Löhberg", house_number=12).homes == 6


def test_reimport_is_idempotent(city, data_dir: Path):
    # given an imported file
    path = data_dir / "addresses" / "addresses.gpkg"
    addresses_import(path=path)
    before = db_state()

    # when it is imported again
    report = addresses_import(path=path)

    # then every row is updated, none created, and the rows are the same
    assert (report.created, report.updated) == (0, 5)
    assert db_state() == before


def test_replace_demo_removes_only_demo_rows(city, data_dir: Path):
    # given two demo addresses and one real address from an earlier import
    demo_address(house_number=1)
    demo_address(house_number=2)
    Address.objects.create(street="Echtweg", house_number=5, postcode="45468", geom=Point(352100, 5699100, srid=25832))

    # when a real file is imported with replace_demo
    report = addresses_import(path=data_dir / "addresses" / "addresses.gpkg", replace_demo=True)

    # then the demo rows are gone, the earlier real row stays
    assert report.deleted_demo == 2
    assert not Address.objects.filter(is_demo=True).exists()
    assert Address.objects.filter(street="Echtweg").exists()
    assert Address.objects.count() == 6


def test_dry_run_writes_nothing(city, data_dir: Path):
    demo_address()
    before = db_state()

    report = addresses_import(path=data_dir / "addresses" / "addresses.gpkg", replace_demo=True, dry_run=True)

    assert (report.created, report.deleted_demo) == (5, 1)
    assert db_state() == before


def test_addresses_get_the_smallest_containing_district(city, data_dir: Path):
    # given a borough and two quarters inside it
    districts_import(path=data_dir / "districts" / "stadtbezirk.geojson", level="stadtbezirk", parent="05117000")
    quarters = data_dir / "districts" / "stadtteile.gpkg"
    districts_import(path=quarters, level="stadtteil", mapping=DistrictMapping(parent_code="parent"))

    # when addresses are imported
    report = addresses_import(path=data_dir / "addresses" / "addresses.gpkg")

    # then each lies in its quarter (not the borough)
    assert report.districts_assigned == 5
    assert Address.objects.get(street="Löhberg").district.code == "T01"
    assert Address.objects.get(street="Düsseldorfer Straße").district.code == "T02"
    assert District.objects.get(code="T01").parent.code == "B1"


# -- broken files ----------------------------------------------------------------------------------------------------


BROKEN_ADDRESSES = [
    ("truncated.gpkg", {}, ImportFailed, ["truncated.gpkg", "cannot read"]),
    ("broken.geojson", {}, ImportFailed, ["broken.geojson", "cannot read", "GeoJSON"]),
    ("no_prj.shp", {}, UnknownCRSError, ["no_prj.shp", "no coordinate reference system", "--crs"]),
    ("garbage_crs.shp", {}, UnknownCRSError, ["garbage_crs.prj", "--crs"]),
    ("garbage_crs.geojson", {}, UnknownCRSError, ["garbage_crs.geojson", "member crs", "EPSG::kartoffel"]),
    ("missing_column.csv", {}, ImportFailed, ["missing_column.csv", "row 1", "STN", "the header has: NBA"]),
    ("bad_house_number.csv", {}, ImportFailed, ["bad_house_number.csv", "row 3", "field HNR", "'zwölf'"]),
    ("outside_city.geojson", {"strict": True}, ImportFailed, ["outside_city.geojson", "feature 3", "outside the city"]),
    ("addresses.gpkg", {"crs": "EPSG:nonsense"}, UnknownCRSError, ["--crs", "EPSG:nonsense"]),
    ("addresses.gpkg", {"mapping": AddressMapping(street="strasse")}, ImportFailed, ["'strasse'", "available fields"]),
    ("hk_cp1252_semicolon.csv", {"encoding": "utf-8"}, InvalidInputError, ["row 1", "not valid utf-8", "cp1252"]),
]


@pytest.mark.parametrize(("name", "options", "error", "expected"), BROKEN_ADDRESSES)
def test_broken_address_file_is_rejected_and_nothing_changes(city, data_dir, name, options, error, expected):
    # given a database with a demo address and a real one
    demo_address()
    Address.objects.create(street="Löhberg", house_number=12, postcode="45468", geom=Point(1, 1, srid=25832))
    before = db_state()
    folder = "addresses" if (data_dir / "addresses" / name).exists() else "invalid"

    # when the broken file is imported (replacing the demo)
    with pytest.raises(error) as caught:
        addresses_import(path=data_dir / folder / name, replace_demo=True, **options)

    # then the message names the place and what was expected, and the database is unchanged
    for text in expected:
        assert text in str(caught.value)
    assert db_state() == before


def test_shapefile_without_prj_imports_with_crs_option(city, data_dir: Path):
    report = addresses_import(path=data_dir / "invalid" / "no_prj.shp", crs="EPSG:25832")

    assert report.created == 5


def test_points_outside_the_city_are_skipped_with_a_warning(city, data_dir: Path):
    report = addresses_import(path=data_dir / "invalid" / "outside_city.geojson")

    assert (report.created, report.skipped) == (2, 2)
    assert "2 address(es) outside the city" in report.warnings[0]


def test_all_problems_are_listed(city, data_dir: Path, tmp_path: Path):
    # given a file with three bad rows
    good = (data_dir / "addresses" / "hk_utf8_comma.csv").read_text(encoding="utf-8-sig").splitlines()
    rows = [good[0], *good[1:3], good[3].replace(",12,", ",x,"), good[4].replace("45481", "4548"), "N,too,short"]
    path = tmp_path / "three_bad.csv"
    path.write_text("\n".join(rows), encoding="utf-8")

    with pytest.raises(ImportFailed) as caught:
        addresses_import(path=path)

    assert len(caught.value.problems) == 3
    assert "row 4, field HNR" in caught.value.problems[0]
    assert "row 5, field PLZ" in caught.value.problems[1]
    assert "row 6" in caught.value.problems[2]
    assert not Address.objects.exists()


# -- districts -------------------------------------------------------------------------------------------------------


def test_bowtie_polygon_is_repaired_and_reported(city, data_dir: Path):
    report = districts_import(path=data_dir / "invalid" / "bowtie.geojson", level="stadtteil")

    district = District.objects.get(code="X1")
    assert district.geom.valid
    assert district.geom.geom_type == "MultiPolygon"
    assert any("feature 1" in w and "repaired" in w for w in report.warnings)


def test_empty_geometry_rejects_all_districts(city, data_dir: Path):
    before = db_state()

    with pytest.raises(ImportFailed) as caught:
        districts_import(path=data_dir / "invalid" / "empty_geometry.geojson", level="stadtteil")

    assert "empty_geometry.geojson, feature 2, field geometry" in str(caught.value)
    assert db_state() == before


def test_unknown_parent_rolls_back_the_districts(city, data_dir: Path):
    before = db_state()

    with pytest.raises(ImportFailed, match="parent district 'B1' does not exist"):
        districts_import(
            path=data_dir / "districts" / "stadtteile.gpkg",
            level="stadtteil",
            mapping=DistrictMapping(parent_code="parent"),
        )

    assert db_state() == before


def test_missing_district_field_lists_available_fields(city, data_dir: Path):
    with pytest.raises(ImportFailed, match="field 'GEN' .*available fields: code, name, parent"):
        districts_import(
            path=data_dir / "districts" / "stadtteile.gpkg", level="stadtteil", mapping=DistrictMapping(name="GEN")
        )


# -- commands --------------------------------------------------------------------------------------------------------


def test_import_addresses_command_prints_a_summary(city, data_dir: Path):
    out, err = StringIO(), StringIO()

    call_command(
        "import_addresses", str(data_dir / "addresses" / "addresses.osm"), "--replace-demo", stdout=out, stderr=err
    )

    assert "read 6, created 5, updated 0, skipped 1" in out.getvalue()
    assert Address.objects.count() == 5


def test_import_addresses_command_turns_bad_input_into_command_error(city, data_dir: Path):
    with pytest.raises(CommandError, match=r"bad_house_number.csv, row 3, field HNR"):
        call_command("import_addresses", str(data_dir / "invalid" / "bad_house_number.csv"), stdout=StringIO())


def test_import_districts_command(city, data_dir: Path):
    out = StringIO()

    call_command(
        "import_districts",
        str(data_dir / "districts" / "stadtbezirk.geojson"),
        "--level=stadtbezirk",
        "--parent=05117000",
        stdout=out,
        stderr=StringIO(),
    )

    assert "created 1" in out.getvalue()
    assert District.objects.get(code="B1").parent.code == "05117000"


def test_many_rows_go_through_copy_and_upsert(city, tmp_path: Path):
    # given 20,000 HK-DE records spread over the city centre
    path = tmp_path / "many.csv"
    lines = [
        f"N;DENW{i:012d};A;05;1;17;000;0001;00001;{i % 400 + 1};;{351000 + i % 200 * 10},5;"
        f"{5698000 + i // 200 * 10},25;Teststraße {i // 400};45468;Mülheim an der Ruhr;;"
        for i in range(20_000)
    ]
    path.write_text("\n".join(lines), encoding="cp1252")

    # when imported twice
    first = addresses_import(path=path)
    second = addresses_import(path=path)

    # then all rows are created once and updated the second time
    assert (first.created, first.updated) == (20_000, 0)
    assert (second.created, second.updated) == (0, 20_000)
    assert Address.objects.get(street="Teststraße 0", house_number=1).geom.coords == (351000.5, 5698000.25)


def test_command_exits_with_status_1_and_no_traceback(data_dir: Path):
    import os
    import subprocess
    import sys

    # given a broken file, when the command runs as a process
    result = subprocess.run(
        [sys.executable, "manage.py", "import_addresses", str(data_dir / "invalid" / "broken.geojson"), "-v0"],
        capture_output=True,
        text=True,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "geoportal.settings"},
        check=False,
    )

    # then it fails with exit code 1 and a one-line message naming the file
    assert result.returncode == 1
    assert "CommandError: " in result.stderr
    assert "broken.geojson" in result.stderr
    assert "Traceback" not in result.stderr


def test_replace_demo_districts_removes_demo_districts_and_reassigns_addresses(city, data_dir: Path):
    # given a demo borough with a demo quarter, and an address inside the quarter
    square = "SRID=25832;MULTIPOLYGON(((350000 5690000,360000 5690000,360000 5705000,350000 5705000,350000 5690000)))"
    borough = District.objects.create(code="D1", name="Demo-Bezirk", level="stadtbezirk", geom=square, is_demo=True)
    quarter = square.replace("350000", "351000")
    District.objects.create(code="D2", name="Demo-Teil", level="stadtteil", geom=quarter, parent=borough, is_demo=True)
    addresses_import(path=data_dir / "addresses" / "addresses.gpkg")
    assert Address.objects.get(street="Löhberg").district.code == "D2"

    # when the real borough is imported replacing the demo
    report = districts_import(
        path=data_dir / "districts" / "stadtbezirk.geojson", level="stadtbezirk", parent="05117000", replace_demo=True
    )

    # then only real districts remain and the address lies in the real borough
    assert report.deleted_demo == 2
    assert set(District.objects.values_list("code", flat=True)) == {"05117000", "B1"}
    assert Address.objects.get(street="Löhberg").district.code == "B1"


def test_hk_house_number_with_letter_and_duplicates(city, data_dir: Path, tmp_path: Path):
    # given HK-DE rows where HNR holds "7b" and the last row repeats the second address elsewhere
    lines = (data_dir / "addresses" / "hk_cp1252_semicolon.csv").read_text(encoding="cp1252").splitlines()
    parts = lines[0].split(";")
    parts[9], parts[10] = "7b", ""
    moved = lines[1].split(";")
    moved[11] = "352700,000"
    path = tmp_path / "letters.csv"
    path.write_text("\n".join([";".join(parts), *lines[1:], ";".join(moved)]), encoding="cp1252")

    # when imported
    report = addresses_import(path=path)

    # then "7b" is split, and the later duplicate wins with a warning
    assert Address.objects.filter(street="Schloßstraße", house_number=7, house_number_suffix="b").exists()
    assert Address.objects.get(street="Schloßstraße", house_number=3, house_number_suffix="a").geom.x == 352700.0
    assert report.skipped == 1
    assert any("row 6" in w and "same address as row 2" in w for w in report.warnings)


def test_utf8_file_read_as_cp1252_is_flagged(city, data_dir: Path):
    report = addresses_import(path=data_dir / "addresses" / "addresses_4326.geojson")
    assert report.warnings == []

    # given a UTF-8 file without BOM, when it is read with --encoding cp1252
    path = data_dir / "addresses" / "plain_utf8.csv"
    text = (data_dir / "addresses" / "hk_utf8_comma.csv").read_text(encoding="utf-8-sig")
    path.write_text(text, encoding="utf-8")
    report = addresses_import(path=path, encoding="cp1252")

    # then the import warns that the text looks like UTF-8 read as cp1252
    assert any("looks like UTF-8 read as cp1252" in w for w in report.warnings)


def test_crs_option_overrides_the_declared_crs_with_a_warning(city, data_dir: Path):
    report = addresses_import(path=data_dir / "addresses" / "addresses_4326.geojson", crs="EPSG:4258")

    assert report.created == 5
    assert any("declares" in w and "--crs" in w for w in report.warnings)
