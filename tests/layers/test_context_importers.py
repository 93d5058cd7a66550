"""Street and water importers (the maps' context layers): good files, OSM, repairs, broken files, the commands."""

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Point, Polygon
from django.core.management import CommandError, call_command
from django.db import connection

from geoportal.errors import ImportFailed, InvalidInputError, UnknownCRSError
from layers import services
from layers.importers import StreetMapping, WaterMapping, districts_import, streets_import, water_import
from layers.models import District, Street, Water

pytestmark = pytest.mark.django_db

GPKG_STREETS = StreetMapping(name="STRNAME", postcode="PLZ")
GPKG_WATER = WaterMapping(name="NAME", kind="ART")


@pytest.fixture
def city() -> District:
    return services.city_boundary_load(
        path=services.CITY_DATA / "boundary_muelheim_vg250.geojson", ags="05117000", source="test"
    )


def table_state(table: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), md5(coalesce(string_agg(concat_ws('|', t.*::text), ',' ORDER BY id), '')) FROM {table} t"
        )
        return cursor.fetchone()


def demo_street(**kwargs) -> Street:
    line = MultiLineString(LineString((352000, 5699000), (352100, 5699050)), srid=25832)
    return Street.objects.create(**({"name": "Demoweg", "postcode": "45468", "geom": line, "is_demo": True} | kwargs))


# -- streets ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mapping"),
    [("streets.gpkg", GPKG_STREETS), ("streets_4326.geojson", None), ("context.osm", None)],
)
def test_street_file_imports_one_row_per_street_with_segments_merged(city, data_dir: Path, name, mapping):
    # given a street file whose Schloßstraße comes in two segments that meet end to end (GeoPackage in
    # EPSG:25832 with its own field names, GeoJSON in WGS 84 with the usual ones, OSM XML with highway ways)
    path = data_dir / "streets" / name

    # when it is imported
    report = streets_import(path=path, mapping=mapping)

    # then there is one row per street and postcode, the two segments joined into one line
    assert (report.created, report.updated) == (3, 0)
    assert sorted(Street.objects.values_list("name", "postcode")) == [
        ("Düsseldorfer Straße", "45481"),
        ("Löhberg", "45468"),
        ("Schloßstraße", "45468"),
    ]
    schloss = Street.objects.get(name="Schloßstraße")
    assert len(schloss.geom) == 1
    assert len(schloss.geom[0].coords) == 4
    assert 250 < schloss.geom.length < 320  # metres: the geometry is in EPSG:25832
    assert schloss.source == name
    assert not Street.objects.filter(is_demo=True).exists()


def test_osm_ways_that_are_no_named_streets_are_skipped(city, data_dir: Path):
    report = streets_import(path=data_dir / "streets" / "context.osm")

    # a footway without name, a fence and the river are not streets
    assert report.skipped == 3
    assert not Street.objects.filter(name="Ruhr").exists()


def test_reimport_updates_instead_of_duplicating(city, data_dir: Path):
    path = data_dir / "streets" / "streets.gpkg"
    streets_import(path=path, mapping=GPKG_STREETS)
    before = table_state("layers_street")

    report = streets_import(path=path, mapping=GPKG_STREETS)

    assert (report.created, report.updated) == (0, 3)
    assert Street.objects.count() == 3
    assert table_state("layers_street")[0] == before[0]


def test_streets_get_the_stadtteil_holding_most_of_them(city, data_dir: Path):
    # given two Stadtteile, split by a meridian: most of the Düsseldorfer Straße lies in the western one
    west = MultiPolygon(Polygon.from_bbox((340000, 5690000, 351720, 5710000)), srid=25832)
    east = MultiPolygon(Polygon.from_bbox((351720, 5690000, 360000, 5710000)), srid=25832)
    whole = MultiPolygon(Polygon.from_bbox((340000, 5690000, 360000, 5710000)), srid=25832)
    borough = District.objects.create(code="B", name="Bezirk", level="stadtbezirk", geom=whole)
    District.objects.create(code="W", name="West", level="stadtteil", parent=borough, geom=west)
    District.objects.create(code="E", name="Ost", level="stadtteil", parent=borough, geom=east)
    path = data_dir / "streets" / "streets.gpkg"

    streets_import(path=path, mapping=GPKG_STREETS)

    street = Street.objects.get(name="Düsseldorfer Straße")
    inside_west = street.geom.intersection(west).length
    assert inside_west > street.geom.length / 2
    assert street.district.code == "W"
    assert Street.objects.get(name="Löhberg").district.code == "E"


def test_replace_demo_removes_only_demo_streets(city, data_dir: Path):
    demo_street()
    kept = demo_street(name="Echter Weg", is_demo=False)

    report = streets_import(path=data_dir / "streets" / "streets.gpkg", mapping=GPKG_STREETS, replace_demo=True)

    assert report.deleted_demo == 1
    assert not Street.objects.filter(name="Demoweg").exists()
    assert Street.objects.filter(pk=kept.pk).exists()


def test_a_real_street_takes_over_a_demo_street_of_the_same_name(city, data_dir: Path):
    demo_street(name="Löhberg", postcode="45468")

    streets_import(path=data_dir / "streets" / "streets.gpkg", mapping=GPKG_STREETS)

    loehberg = Street.objects.get(name="Löhberg")
    assert not loehberg.is_demo
    assert loehberg.geom.distance(Point(352000, 5699000, srid=25832)) > 500


def test_dry_run_writes_no_street(city, data_dir: Path):
    report = streets_import(path=data_dir / "streets" / "streets.gpkg", mapping=GPKG_STREETS, dry_run=True)

    assert report.created == 3
    assert Street.objects.count() == 0


def test_broken_street_file_lists_every_problem_with_its_feature_and_writes_nothing(city, data_dir: Path):
    demo_street()
    before = table_state("layers_street")

    with pytest.raises(ImportFailed) as error:
        streets_import(path=data_dir / "invalid" / "streets_broken.geojson")

    problems = "\n".join(error.value.problems)
    assert "feature 2, field geometry: expected a line or multiline, got Point" in problems
    assert "feature 3, field name: street name is empty" in problems
    assert "feature 4, field geometry: the line has fewer than two distinct points" in problems
    assert "feature 5, field geometry: geometry is missing or empty (expected a line)" in problems
    assert "feature 1," not in problems
    assert "4 problem(s), nothing was imported" in str(error.value)
    assert table_state("layers_street") == before


@pytest.mark.parametrize(
    ("path", "options", "error", "expected"),
    [
        ("invalid/no_prj.shp", {}, UnknownCRSError, "pass --crs"),
        ("invalid/garbage_crs.geojson", {}, UnknownCRSError, "kartoffel"),
        ("invalid/broken.geojson", {}, ImportFailed, "cannot read"),
        ("invalid/truncated.gpkg", {}, ImportFailed, "cannot read"),
        ("streets/streets.gpkg", {"mapping": StreetMapping(name="STRASSE")}, ImportFailed, "available fields"),
        ("streets/nope.gpkg", {}, ImportFailed, "no such file"),
    ],
)
def test_unreadable_street_files_are_refused_with_what_is_wrong(city, data_dir, path, options, error, expected):
    with pytest.raises(error, match=expected):
        streets_import(path=data_dir / path, **options)
    assert Street.objects.count() == 0


def test_shapefile_of_points_read_with_a_given_crs_is_refused_for_its_geometry(city, data_dir: Path):
    # the CRS given on the command line is used; then the points are named as what they are
    with pytest.raises(ImportFailed, match="expected a line or multiline, got Point"):
        streets_import(path=data_dir / "invalid" / "no_prj.shp", crs="EPSG:25832", mapping=StreetMapping(name="street"))


def test_streets_outside_the_city_are_skipped_or_fail_with_strict(city, data_dir: Path, tmp_path: Path):
    path = tmp_path / "far.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "properties": {"name": "Unter den Linden"},'
        ' "geometry": {"type": "LineString", "coordinates": [[13.38, 52.517], [13.39, 52.517]]}},'
        '{"type": "Feature", "properties": {"name": "Löhberg"},'
        ' "geometry": {"type": "LineString", "coordinates": [[6.878, 51.4286], [6.8795, 51.4292]]}}]}',
        encoding="utf-8",
    )

    report = streets_import(path=path)
    assert report.skipped == 1
    assert "Unter den Linden" in report.warnings[-1]
    assert list(Street.objects.values_list("name", flat=True)) == ["Löhberg"]

    with pytest.raises(ImportFailed, match="'Unter den Linden': lies entirely outside the city"):
        streets_import(path=path, strict=True)


def test_district_import_reassigns_the_streets(city, data_dir: Path):
    streets_import(path=data_dir / "streets" / "streets.gpkg", mapping=GPKG_STREETS)
    assert not Street.objects.filter(district__isnull=False).exists()

    districts_import(path=data_dir / "districts" / "stadtbezirk.geojson", level="stadtbezirk")

    assert Street.objects.filter(district__code="B1").exists()


def test_import_streets_command_prints_a_summary_and_refuses_bad_files(city, data_dir: Path):
    out = StringIO()
    call_command(
        "import_streets",
        str(data_dir / "streets" / "streets.gpkg"),
        "--name-field",
        "STRNAME",
        "--postcode-field",
        "PLZ",
        stdout=out,
        stderr=StringIO(),
        verbosity=0,
    )
    assert "streets from" in out.getvalue()
    assert "created 3" in out.getvalue()
    with pytest.raises(CommandError, match="expected a line or multiline, got Point"):
        call_command("import_streets", str(data_dir / "invalid" / "streets_broken.geojson"), verbosity=0)


# -- water -----------------------------------------------------------------------------------------------------------


def test_water_file_with_lines_and_areas_imports_each_with_its_kind(city, data_dir: Path):
    report = water_import(path=data_dir / "water" / "water.gpkg", mapping=GPKG_WATER)

    assert report.created == 4
    kinds = dict(Water.objects.values_list("name", "kind"))
    # "Fluss", "Kanal", "Teich" are known words; "Altarm" is not: other, with a warning that says so
    assert kinds == {"Ruhr": "river", "Schleusenkanal": "canal", "Entenpfuhl": "lake", "Ruhraue": "other"}
    assert any("kind 'Altarm' is not known" in w for w in report.warnings)
    assert isinstance(Water.objects.get(name="Ruhr").geom, MultiLineString)
    assert isinstance(Water.objects.get(name="Entenpfuhl").geom, MultiPolygon)


def test_self_intersecting_water_area_is_repaired_with_a_warning(city, data_dir: Path):
    report = water_import(path=data_dir / "water" / "water.gpkg", mapping=GPKG_WATER)

    aue = Water.objects.get(name="Ruhraue")
    assert aue.geom.valid
    assert len(aue.geom) == 2  # the bow tie's two triangles
    assert any("feature 4: invalid polygon" in w and "repaired" in w for w in report.warnings)


def test_reimporting_a_water_file_replaces_what_it_brought_and_keeps_other_files(city, data_dir: Path):
    other = Water.objects.create(
        name="Silbersee",
        kind="lake",
        source="seen.gpkg",
        geom=MultiPolygon(Polygon.from_bbox((350000, 5700000, 350100, 5700100)), srid=25832),
    )
    path = data_dir / "water" / "water.gpkg"
    water_import(path=path, mapping=GPKG_WATER)

    report = water_import(path=path, mapping=GPKG_WATER, kind="river")

    assert (report.updated, report.created) == (4, 4)
    assert Water.objects.filter(source="water.gpkg").count() == 4
    assert set(Water.objects.filter(source="water.gpkg").values_list("kind", flat=True)) == {"river"}
    assert Water.objects.filter(pk=other.pk).exists()


def test_osm_water_comes_from_waterway_lines_and_water_areas(city, data_dir: Path):
    water_import(path=data_dir / "streets" / "context.osm")

    assert dict(Water.objects.values_list("name", "kind")) == {"Ruhr": "river", "Entenpfuhl": "lake"}


def test_water_point_is_refused_and_the_database_refuses_points_too(city, data_dir: Path):
    with pytest.raises(ImportFailed, match="feature 1, field geometry: expected a polygon or a line, got Point"):
        water_import(path=data_dir / "invalid" / "water_point.geojson")
    # the check constraint of migration 0006, for writes that bypass the importer
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Water.objects.create(name="Brunnen", kind="other", geom=Point(350000, 5700000, srid=25832))


def test_unknown_water_kind_option_is_a_clear_error(city, data_dir: Path):
    with pytest.raises(InvalidInputError, match="kind 'sea' is not one of river, lake, canal, other"):
        water_import(path=data_dir / "water" / "water.gpkg", kind="sea")


def test_import_water_command(city, data_dir: Path):
    out = StringIO()
    call_command(
        "import_water",
        str(data_dir / "water" / "water.gpkg"),
        "--name-field=NAME",
        "--kind-field=ART",
        stdout=out,
        stderr=StringIO(),
        verbosity=0,
    )
    assert "water from" in out.getvalue()
    assert Water.objects.count() == 4
