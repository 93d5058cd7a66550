"""The column-based import path: clean rows in bulk, problem rows reported one by one, the diff in SQL."""

from datetime import date

import geopandas
import numpy as np
import pytest
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.core.files import File
from django.db import IntegrityError, connection, transaction

from rollout import pipeline
from rollout.diff import plan_diff, snapshot_of_features, snapshot_of_version
from rollout.importers import placement
from rollout.importers.ewkb import ewkb_hex
from rollout.models import PlanArea, PlanAreaStaging, PlanSubmission, PlanVersion
from rollout.readers import Report, read_plan_file
from rollout.services import submission_accept, submission_create
from tests.factories import AddressFactory, ProviderFactory

# Inside the test city (tests.factories.CITY_BOUNDS = 345000 5695000 355000 5705000).
X, Y = 348000.0004, 5698000.0006


def box(i: int, size: float = 20) -> shapely.Polygon:
    return shapely.box(X + 50 * i, Y, X + 50 * i + size, Y + size)


def write(tmp_path, rows: list[dict], name: str = "plan.gpkg"):
    frame = geopandas.GeoDataFrame(rows, geometry=[r.pop("geometry") for r in rows], crs="EPSG:25832")
    path = tmp_path / name
    frame.to_file(path, driver="GPKG")
    return path


def submit(provider, path) -> PlanSubmission:
    with path.open("rb") as handle:
        return submission_create(provider=provider, file=File(handle, name=path.name), by=None)


def clean(i: int, **values) -> dict:
    row = {"id": f"K-{i}", "name": f"Gebiet {i}", "status": "Im Bau", "technologie": "FTTH", "geometry": box(i)}
    return {**row, **values}


@pytest.fixture
def provider(city):
    return ProviderFactory(slug="alpha")


def test_ewkb_written_with_numpy_is_what_shapely_writes():
    # given polygons, holes, multipolygons and a mix of them, with sub-millimetre noise
    hole = shapely.box(X, Y, X + 100, Y + 100).difference(shapely.box(X + 10.0004, Y + 10, X + 20, Y + 20.0006))
    multi = shapely.MultiPolygon([box(0), box(3), hole])
    geoms = np.array([box(0), hole, multi, box(7, 3.3333), shapely.MultiPolygon([box(9)])], dtype=object)
    for subset in (geoms[:1], geoms[[0, 3]], geoms[1:3], geoms):
        # then each is the hex EWKB of the geometry rounded to mm, as a MultiPolygon in EPSG:25832
        expected = [
            shapely.to_wkb(
                shapely.set_srid(
                    shapely.transform(shapely.multipolygons(shapely.get_parts(g)), lambda xy: np.round(xy, 3)), 25832
                ),
                include_srid=True,
            ).hex()
            for g in subset
        ]
        assert ewkb_hex(subset) == expected
    assert ewkb_hex(hole) == ewkb_hex(np.array([hole], dtype=object))[0]
    assert GEOSGeometry(ewkb_hex(hole)).srid == 25832


def test_clean_rows_and_problem_rows_in_one_file(provider, tmp_path):
    # given a file where most rows are clean and a few have problems of every kind
    rows = [clean(i) for i in range(1, 11)]
    rows[2]["status"] = "irgendwann"  # row 3: unknown stage
    rows[4]["geometry"] = shapely.Polygon([(X, Y), (X + 10, Y + 10), (X + 10, Y), (X, Y + 10)])  # row 5: bow tie
    rows[6]["geometry"] = shapely.box(354990, Y, 355010, Y + 20)  # row 7: partly outside the city
    rows[8]["id"] = "K-2"  # row 9: the key of row 2
    rows[9]["id"] = "  "  # row 10: no key
    path = write(tmp_path, rows)
    submission = submit(provider, path)
    # then every problem is reported with its row, in row order, and nothing is staged
    assert [(p["row"], p["severity"], p["message"]) for p in submission.report] == [
        (3, "error", "unknown stage"),
        (5, "warning", "invalid geometry repaired"),
        (7, "warning", "feature extends beyond the city"),
        (9, "error", "duplicate feature key"),
    ]
    assert submission.report[0]["value"] == "irgendwann"
    assert submission.state == PlanSubmission.State.INVALID
    assert not PlanAreaStaging.objects.exists()
    # when the errors are fixed, the same file is received with the warnings, its features in file order
    rows = [clean(i) for i in range(1, 11)]
    rows[4]["geometry"] = shapely.Polygon([(X, Y), (X + 10, Y + 10), (X + 10, Y), (X, Y + 10)])
    rows[6]["geometry"] = shapely.box(354990, Y, 355010, Y + 20)
    rows[9]["id"] = "  "
    submission = submit(provider, write(tmp_path, rows, "fixed.gpkg"))
    assert submission.state == PlanSubmission.State.RECEIVED, submission.report
    assert [p["row"] for p in submission.report] == [5, 7]
    keys = [f["key"] for f in submission.features]
    assert keys == [f"K-{i}" for i in range(1, 10)] + ["row-10"]
    assert [f["row"] for f in submission.features] == list(range(1, 11))
    assert list(PlanAreaStaging.objects.filter(submission=submission).values_list("key", flat=True)) == keys
    first = submission.features[0]
    assert (first["name"], first["stage"], first["technology"]) == ("Gebiet 1", "under_construction", "ftth")
    # coordinates rounded to millimetres (348050.0004 + 20, 5698000.0006)
    assert GEOSGeometry(first["geom"]).coords[0][0][0] == (348070.0, 5698000.001)


def test_date_columns_are_exact_days(provider, tmp_path):
    rows = [clean(1, status="geplant", fertig=date(2031, 5, 17)), clean(2, status="geplant", fertig=None)]
    rows[1]["quartal"] = "Q4/2031"
    rows[0]["quartal"] = None
    path = write(tmp_path, rows)
    with path.open("rb") as handle:
        submission = submission_create(
            provider=provider, file=File(handle, name=path.name), by=None, mapping={"expected": "fertig"}
        )
    # the date column is mapped as the expected date; row 2 has none
    assert submission.state == PlanSubmission.State.INVALID
    assert [(p["row"], p["message"]) for p in submission.report] == [(2, "a planned area needs its quarter")]
    rows = [clean(1, status="geplant", fertig=date(2031, 5, 17))]
    path = write(tmp_path, rows, "one.gpkg")
    with path.open("rb") as handle:
        submission = submission_create(provider=provider, file=File(handle, name=path.name), by=None)
    (feature,) = submission.features
    assert (feature["expected_date"], feature["expected_precision"]) == ("2031-05-17", "day")


def test_the_diff_in_sql_is_the_diff_of_the_snapshots(provider, tmp_path):
    # given an accepted version with polygons and an address list
    one, two = AddressFactory(), AddressFactory()
    rows = [clean(i, status="geplant", quartal="Q1/2031") for i in range(1, 7)]
    first = submit(provider, write(tmp_path, rows))
    version = submission_accept(submission=first, by=None)
    area = PlanArea.objects.create(version=version, key="L-1", stage="planned", technology="ftth")
    area.addresses.set([one, two])
    # when a file moves a date, changes a stage, moves a shape a little and a lot, drops and adds areas
    rows = [clean(i, status="geplant", quartal="Q1/2031") for i in range(1, 7)]
    rows[0]["quartal"] = "Q3/2031"  # K-1 slips
    rows[1]["status"] = "Im Bau"  # K-2 starts building
    rows[2]["geometry"] = shapely.affinity.translate(box(3), 0.004)  # K-3 within the 1 cm tolerance
    rows[3]["geometry"] = box(4, 30)  # K-4 grows
    del rows[4]  # K-5 removed
    rows.append(clean(7, status="geplant", quartal="Q2/2031"))  # K-7 added
    second = submit(provider, write(tmp_path, rows, "second.gpkg"))
    assert second.state == PlanSubmission.State.RECEIVED, second.report
    # then the stored diff is what plan_diff says for the two snapshots
    features = second.features
    for f in features:
        f["geom"] = GEOSGeometry(f["geom"]).hexewkb.decode()
    expected = plan_diff(old=snapshot_of_version(version), new=snapshot_of_features(features))
    assert second.diff == expected
    assert second.diff["added"] == ["K-7"]
    assert second.diff["removed"] == ["K-5", "L-1"]
    assert second.diff["date_moved"] == [{"key": "K-1", "old": "2031-01-01", "new": "2031-07-01"}]
    assert second.diff["stage_changed"] == [{"key": "K-2", "old": "planned", "new": "under_construction"}]
    assert second.diff["geometry_changed"] == ["K-4"]


def test_a_backward_stage_is_reported_with_the_other_errors_and_stages_nothing(provider, tmp_path):
    rows = [clean(1, status="buchbar"), clean(2)]
    submission_accept(submission=submit(provider, write(tmp_path, rows)), by=None)
    rows = [clean(1, status="Im Bau"), clean(2, technologie="Kupfer"), clean(3)]
    submission = submit(provider, write(tmp_path, rows, "back.gpkg"))
    assert submission.state == PlanSubmission.State.INVALID
    assert [(p["row"], p["message"]) for p in submission.report] == [
        (2, "unknown technology"),
        (1, "stage may not go from bookable to under_construction"),
    ]
    assert not PlanAreaStaging.objects.filter(submission=submission).exists()
    assert (submission.features, submission.diff, submission.feature_count) == ([], {}, 0)


def test_every_area_belongs_to_an_existing_version(provider, tmp_path):
    version = submission_accept(submission=submit(provider, write(tmp_path, [clean(1)])), by=None)
    area = PlanArea.objects.get(version=version)
    # an area of a version that does not exist is refused, by the ORM and by SQL
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanArea.objects.create(version_id=version.pk + 1000, key="X", stage="planned", technology="ftth")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE rollout_planarea SET version_id = %s WHERE id = %s", [version.pk + 1000, area.pk])
    # a version with areas cannot be deleted behind Django's back
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM rollout_planversion WHERE id = %s", [version.pk])
    # through Django its areas go with it
    version.delete()
    assert not PlanVersion.objects.exists()
    assert not PlanArea.objects.exists()


def test_address_lists_are_diffed_in_sql(provider, tmp_path):
    one, two, three = (AddressFactory(street="Schloßstraße", house_number=n, postcode="45468") for n in (1, 2, 3))
    header = "gebiet,strasse,hausnummer,plz,status,technologie,quartal\n"
    row = "L-1,Schloßstraße,{},45468,geplant,FTTH,Q4/2031\n"
    first = tmp_path / "first.csv"
    first.write_text(header + row.format(1) + row.format(2))
    version = submission_accept(submission=submit(provider, first), by=None)
    second = tmp_path / "second.csv"
    second.write_text(header + row.format(2) + row.format(3))
    submission = submit(provider, second)
    assert submission.state == PlanSubmission.State.RECEIVED, submission.report
    assert (submission.diff["addresses_added"], submission.diff["addresses_removed"]) == (
        {"L-1": [three.pk]},
        {"L-1": [one.pk]},
    )
    assert submission.diff == plan_diff(old=snapshot_of_version(version), new=snapshot_of_features(submission.features))


def test_numeric_keys_and_names_are_read_as_text(provider, tmp_path):
    # given a GeoPackage whose id and name columns are numbers, as many GIS exports write them
    rows = [{**clean(i), "id": 100 + i, "name": 7 * i} for i in range(3)]
    submission = submit(provider, write(tmp_path, rows))
    # then it is accepted with the numbers as keys and names (a name of 0 is no name)
    assert submission.state == PlanSubmission.State.RECEIVED, submission.report
    version = submission_accept(submission=submission, by=None)
    assert sorted(version.areas.values_list("key", "name")) == [("100", ""), ("101", "7"), ("102", "14")]


def test_polygons_checked_in_threads_give_what_one_thread_gives(city, tmp_path, monkeypatch):
    # given a file with clean polygons and polygons with every kind of problem, in several parts
    rows = [clean(i) for i in range(1, 31)]
    rows[4]["geometry"] = shapely.Polygon([(X, Y), (X + 10, Y + 10), (X + 10, Y), (X, Y + 10)])  # bow tie
    rows[6]["geometry"] = shapely.box(354990, Y, 355010, Y + 20)  # partly outside the city
    rows[11]["geometry"] = shapely.box(360000, Y, 360020, Y + 20)  # outside the city
    rows[17]["geometry"] = shapely.Polygon([(X, Y), (X + 10, Y), (X + 20, Y)])  # no area
    rows[23]["geometry"] = shapely.MultiPolygon([box(23), box(60)])
    rows[26]["id"] = "K-2"  # a key twice
    path = write(tmp_path, rows)

    def validated() -> tuple[list, list]:
        report = Report()
        table = read_plan_file(path, original_name=path.name, report=report)
        features = pipeline.validate_table(table, mapping={}, report=report)
        return features.dicts(), report.as_list()

    one = validated()
    # when the polygons are checked in three threads
    monkeypatch.setattr(placement, "PARALLEL_MIN_POLYGONS", 1)
    monkeypatch.setattr(placement, "_THREADS", 3)
    # then features and report are the same, and the report names the problems
    assert validated() == one
    assert [(p["row"], p["message"]) for p in one[1]] == [
        (5, "invalid geometry repaired"),
        (7, "feature extends beyond the city"),
        (12, "feature lies outside the city"),
        (18, "invalid geometry repaired"),
        (18, "not a polygon"),
        (27, "duplicate feature key"),
    ]
