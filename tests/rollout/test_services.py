"""Submissions from files of every supported format, the broken-file corpus, accepting and publishing."""

import shutil
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from django.core.files import File

from geoportal.errors import InvalidInputError, PermissionDeniedError
from rollout.models import Availability, FieldMapping, PlanArea, PlanSubmission, PlanVersion
from rollout.services import plan_version_publish, submission_accept, submission_create, submission_reject
from tests.factories import AddressFactory, ProviderFactory, member_of, planner
from tests.rollout.conftest import PLANS


def submit(provider, path: Path, by=None, mapping=None) -> PlanSubmission:
    with path.open("rb") as handle:
        return submission_create(provider=provider, file=File(handle, name=path.name), by=by, mapping=mapping)


def messages(submission) -> list[str]:
    return [p["message"] for p in submission.report if p["severity"] == "error"]


@pytest.fixture
def provider(city):
    return ProviderFactory(slug="alpha")


@pytest.fixture
def plans(tmp_path) -> Path:
    """A private copy of the plan files (real data copied before use)."""
    target = tmp_path / "plans"
    shutil.copytree(PLANS, target)
    return target


@pytest.mark.parametrize(
    ("name", "mapping"),
    [
        ("areas.geojson", None),
        ("areas.gpkg", None),
        ("areas.kml", None),
        ("areas_shp.zip", {"technology": "technologi"}),  # Shapefile cut the column name to 10 characters
    ],
)
def test_area_files_of_every_format_are_received(provider, plans, name, mapping):
    # when a valid area file is handed in
    submission = submit(provider, plans / "valid" / name, mapping=mapping)
    # then it is received, with its diff against the (empty) plan, and the file is kept
    assert submission.state == PlanSubmission.State.RECEIVED, submission.report
    assert submission.diff["added"] == ["A-1", "A-2", "A-3"]
    assert {f["stage"] for f in submission.features} == {"under_construction", "bookable", "planned"}
    assert submission.file.name.startswith("submissions/alpha/")
    assert Path(submission.file.path).read_bytes() == (plans / "valid" / name).read_bytes()


def test_csv_in_cp1252_with_semicolons_and_wkt(provider, plans):
    submission = submit(provider, plans / "valid" / "areas_wkt_cp1252.csv", mapping={"crs": "EPSG:25832"})
    assert submission.state == PlanSubmission.State.RECEIVED, submission.report
    (feature,) = submission.features
    assert feature["name"] == "Dümpten Süd"
    assert (feature["stage"], feature["technology"]) == ("pre_marketing", "ftth")
    assert (feature["expected_date"], feature["expected_precision"]) == ("2028-07-01", "quarter")
    assert (feature["quota_percent"], feature["quota_deadline_date"], feature["connection_fee_eur"]) == (
        40,
        "2028-03-31",
        "99.00",
    )


def test_saved_mapping_is_reused_next_quarter(provider, plans):
    # given a first upload that needed a mapping
    submit(provider, plans / "valid" / "areas_wkt_cp1252.csv", mapping={"crs": "EPSG:25832"})
    # when the same export comes again without one
    again = submit(provider, plans / "valid" / "areas_wkt_cp1252.csv")
    # then the saved mapping applies
    assert FieldMapping.objects.get(provider=provider).mapping == {"crs": "EPSG:25832"}
    assert again.state == PlanSubmission.State.RECEIVED, again.report


def test_address_list_matched_against_register(provider, plans):
    one = AddressFactory(street="Schloßstraße", house_number=1, postcode="45468")
    two = AddressFactory(street="Schloßstraße", house_number=2, house_number_suffix="a", postcode="45468")
    submission = submit(provider, plans / "valid" / "addresses.csv")
    assert submission.state == PlanSubmission.State.RECEIVED, submission.report
    (feature,) = submission.features
    assert (feature["key"], feature["addresses"], feature["technology"]) == ("L-1", sorted([one.pk, two.pk]), "hfc")


def test_lat_lon_points_match_the_nearest_address(provider, plans):
    # given an address 5 m from the point 51.43 N 6.85 E (EPSG:25832 ≈ 350 260, 5 699 400)
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 25832, always_xy=True).transform(6.85, 51.43)
    near = AddressFactory(geom=Point(x + 3, y + 4, srid=25832))
    submission = submit(provider, plans / "valid" / "points_latlon.csv")
    assert submission.state == PlanSubmission.State.RECEIVED, submission.report
    assert submission.features[0]["addresses"] == [near.pk]


INVALID = [
    ("unsupported.docx", "unsupported file type"),
    ("garbage.gpkg", "unreadable file"),
    ("bomb.zip", "archive inflates beyond the limit"),
    ("no_prj.zip", "missing coordinate reference system"),
    ("missing_crs.csv", "missing coordinate reference system"),
    ("unknown_crs.geojson", "coordinates do not fit the coordinate reference system"),
    ("empty_geometry.geojson", "empty geometry"),
    ("line_geometry.geojson", "not a polygon"),
    ("outside_city.geojson", "feature lies outside the city"),
    ("duplicate_key.geojson", "duplicate feature key"),
    ("duplicate_feature.geojson", "duplicate feature"),
    ("no_features.geojson", "file holds no features"),
    ("unknown_stage.csv", "unknown stage"),
    ("unknown_technology.csv", "unknown technology"),
    ("past_quarter.csv", "expected lies in the past"),
    ("unparseable_date.csv", "unparseable expected"),
    ("bad_wkt.csv", "unreadable WKT"),
    ("cancelled_without_reason.csv", "a cancelled area needs a reason"),
    ("unknown_address.csv", "address not in the register"),
]


@pytest.mark.parametrize(("name", "message"), INVALID)
def test_broken_file_is_invalid_and_changes_no_plan(provider, plans, name, message, settings):
    # given a published plan
    AddressFactory(geom=Point(350000, 5700000, srid=25832))
    version = submission_accept(submission=submit(provider, plans / "valid" / "areas.geojson"), by=None)
    plan_version_publish(version=version, by=None)
    before = (PlanVersion.objects.count(), PlanArea.objects.count(), list(Availability.objects.values()))
    mapping = {"crs": "EPSG:25832"} if name.endswith(".csv") and name != "missing_crs.csv" else None
    # when a broken file is handed in
    submission = submit(provider, plans / "invalid" / name, mapping=mapping)
    # then it is kept as invalid with the expected message, and no plan table changed
    assert submission.state == PlanSubmission.State.INVALID
    assert message in messages(submission), submission.report
    assert (submission.features, submission.diff) == ([], {})
    assert (PlanVersion.objects.count(), PlanArea.objects.count(), list(Availability.objects.values())) == before
    with pytest.raises(InvalidInputError, match="only received"):
        submission_accept(submission=submission, by=None)


def test_oversize_file_is_refused_without_keeping_it(provider, plans, settings):
    settings.PLAN_UPLOAD_MAX_BYTES = 100
    submission = submit(provider, plans / "valid" / "areas.geojson")
    assert submission.state == PlanSubmission.State.INVALID
    assert messages(submission) == ["file too large"]
    assert not submission.file


def test_invalid_geometry_is_repaired_and_reported(provider, plans):
    # given a bow-tie polygon (self-intersecting) in an otherwise good file
    bowtie = "POLYGON((349000 5699000,351000 5701000,351000 5699000,349000 5701000,349000 5699000))"
    path = plans / "bowtie.csv"
    path.write_text(f'id,status,technologie,quartal,wkt\nB-1,im Bau,FTTH,Q3/2028,"{bowtie}"\n', encoding="utf-8")
    submission = submit(provider, path, mapping={"crs": "EPSG:25832"})
    assert submission.state == PlanSubmission.State.RECEIVED, submission.report
    assert [p["message"] for p in submission.report] == ["invalid geometry repaired"]
    assert submission.features[0]["geom"].startswith("SRID=25832;MULTIPOLYGON")


def test_accept_and_publish(provider, plans):
    # given a received submission
    submission = submit(provider, plans / "valid" / "areas.geojson")
    AddressFactory(geom=Point(350000, 5700000, srid=25832))
    # when accepted, then a confidential version 1 exists and no public availability yet
    version = submission_accept(submission=submission, by=None)
    assert (version.number, version.published_at, version.areas.count()) == (1, None, 3)
    assert Availability.objects.count() == 0
    # when published, then availability is derived from it
    plan_version_publish(version=version, by=None)
    assert list(Availability.objects.values_list("stage", flat=True)) == ["under_construction"]
    with pytest.raises(InvalidInputError, match="already published"):
        plan_version_publish(version=version, by=None)


def test_second_version_diff_and_refused_backward_stage(provider, plans):
    # given version 1 from areas.geojson (A-2 bookable)
    submission_accept(submission=submit(provider, plans / "valid" / "areas.geojson"), by=None)
    # when a file moves A-1's date, drops A-3, sets A-2 back to planned
    src = (plans / "valid" / "areas.geojson").read_text(encoding="utf-8")
    changed = src.replace('"buchbar"', '"geplant"').replace('"2025-06-30"', '"Q2/2029"')
    path = plans / "v2.geojson"
    path.write_text(changed, encoding="utf-8")
    submission = submit(provider, path)
    # then the stage going backwards makes it invalid
    assert "stage may not go from bookable to planned" in messages(submission)
    # and a file that only moves the date is diffed
    path.write_text(src.replace('"Q3/2028"', '"Q1/2029"', 1), encoding="utf-8")
    submission = submit(provider, path)
    assert submission.diff["date_moved"] == [{"key": "A-1", "old": "2028-07-01", "new": "2029-01-01"}]
    assert submission.diff["added"] == submission.diff["removed"] == []


def test_accepting_supersedes_older_pending_submissions(provider, plans):
    older = submit(provider, plans / "valid" / "areas.geojson")
    newer = submit(provider, plans / "valid" / "areas.gpkg")
    submission_accept(submission=newer, by=None)
    older.refresh_from_db()
    assert older.state == PlanSubmission.State.SUPERSEDED


def test_roles_in_services(provider, plans):
    other = ProviderFactory(slug="beta")
    with pytest.raises(PermissionDeniedError):
        submit(provider, plans / "valid" / "areas.geojson", by=member_of(other))
    member = member_of(provider)
    version = submission_accept(submission=submit(provider, plans / "valid" / "areas.geojson", by=member), by=member)
    # a member may not publish unless the city allows it
    with pytest.raises(PermissionDeniedError):
        plan_version_publish(version=version, by=member)
    provider.may_self_publish = True
    provider.save()
    assert plan_version_publish(version=version, by=member).published_by == member


def test_planner_rejects(provider, plans):
    submission = submit(provider, plans / "valid" / "areas.geojson")
    rejected = submission_reject(submission=submission, by=planner(), reason="wrong quarter")
    assert (rejected.state, rejected.decision_note) == ("rejected", "wrong quarter")


def test_passed_quota_deadline_is_fine_once_building(provider, plans):
    # given an area under construction whose sign-up deadline has passed (it was met)
    path = plans / "building.csv"
    wkt = "POLYGON((349000 5699000,351000 5699000,351000 5701000,349000 5701000,349000 5699000))"
    path.write_text(
        f"id;status;technologie;quartal;frist;wkt\nX;im Bau;FTTH;Q3/2028;01.01.2024;{wkt}\n", encoding="utf-8"
    )
    submission = submit(provider, path, mapping={"crs": "EPSG:25832"})
    assert submission.state == PlanSubmission.State.RECEIVED, submission.report


def test_expired_quota_deadline_in_pre_marketing_is_refused(provider, plans):
    path = plans / "premarketing.csv"
    wkt = "POLYGON((349000 5699000,351000 5699000,351000 5701000,349000 5701000,349000 5699000))"
    header = "id;status;technologie;quartal;quote;frist;wkt\n"
    path.write_text(header + f"X;Vorvermarktung;FTTH;Q3/2028;40;01.01.2024;{wkt}\n", encoding="utf-8")
    submission = submit(provider, path, mapping={"crs": "EPSG:25832"})
    assert "quota_deadline lies in the past" in messages(submission)


def test_geopackage_with_attribute_table_of_addresses(provider, plans, tmp_path):
    # given a GeoPackage layer without geometry that lists addresses
    import pandas as pd
    import pyogrio

    address = AddressFactory(street="Schloßstraße", house_number=7, postcode="45468")
    frame = pd.DataFrame(
        {
            "gebiet": ["L"],
            "strasse": ["Schloßstr."],
            "hausnummer": ["7"],
            "plz": ["45468"],
            "status": ["geplant"],
            "technologie": ["FTTH"],
            "quartal": ["Q2/2029"],
        }
    )
    path = tmp_path / "list.gpkg"
    pyogrio.write_dataframe(frame, path, driver="GPKG")
    submission = submit(provider, path)
    assert submission.state == PlanSubmission.State.RECEIVED, submission.report
    assert submission.features[0]["addresses"] == [address.pk]
