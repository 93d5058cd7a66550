"""Large plans: accepted as a partition of rollout_planarea of their own (migration 0010, rollout.staging).

And the faster reader: GDAL's Arrow stream gives the same columns as pyogrio.raw.read (the valid sample
files of every format are read and validated in tests/rollout/test_services.py).
"""

import zipfile
from pathlib import Path

import geopandas
import numpy as np
import pytest
import shapely
from django.contrib.auth.models import AnonymousUser
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from pyogrio.raw import read as ogr_read

from geoportal.errors import ImportFailed, PermissionDeniedError
from rollout import pipeline, selectors, services, staging
from rollout.models import Availability, PlanArea, PlanAreaStaging, PlanSubmission, PlanVersion
from rollout.readers import _read_columns
from tests.factories import AddressFactory, ProviderFactory, member_of, planner

X, Y = 348000.0, 5698000.0


def box(i: int) -> shapely.Polygon:
    return shapely.box(X + 50 * i, Y, X + 50 * i + 20, Y + 20)


def write(tmp_path, rows: list[dict], name: str = "plan.gpkg") -> Path:
    frame = geopandas.GeoDataFrame(rows, geometry=[r.pop("geometry") for r in rows], crs="EPSG:25832")
    path = tmp_path / name
    frame.to_file(path, driver="GPKG")
    return path


def row(i: int, **values) -> dict:
    values = {"id": f"K-{i}", "name": f"Gebiet {i}", "status": "Im Bau", "technologie": "FTTH", **values}
    return {**values, "geometry": box(i)}


def submit(provider, path: Path) -> PlanSubmission:
    with path.open("rb") as handle:
        return services.submission_create(provider=provider, file=File(handle, name=path.name), by=None)


def partitions() -> dict[str, str]:
    """Partitions of rollout_planarea: name → bound."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)"
            " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'rollout_planarea'::regclass ORDER BY 1"
        )
        return dict(cursor.fetchall())


def data_version() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM data_version WHERE table_name = 'rollout_planarea'")
        return cursor.fetchone()[0]


@pytest.fixture
def provider(city):
    return ProviderFactory(slug="alpha")


@pytest.fixture
def large(monkeypatch):
    """Plans of two or more areas count as large."""
    monkeypatch.setattr(staging, "PARTITION_MIN_AREAS", 2)


@pytest.fixture
def no_json(monkeypatch):
    """No JSON copy of the features on the submission: pages read them where they are staged."""
    monkeypatch.setattr(pipeline, "FEATURES_JSON_MAX", 0)


def test_a_large_plan_is_accepted_as_a_partition_of_its_own(provider, large, tmp_path):
    before = data_version()
    submission = submit(provider, write(tmp_path, [row(i) for i in range(3)]))
    first = services.submission_accept(submission=submission, by=None)
    # its areas are in a partition for its version, ids in file order, and the data version moved on
    assert partitions()[f"rollout_planarea_v{first.pk}"] == f"FOR VALUES IN ('{first.pk}')"
    areas = list(PlanArea.objects.filter(version=first).order_by("id"))
    assert [a.key for a in areas] == ["K-0", "K-1", "K-2"]
    assert all(a.geom.equals_exact(GEOSGeometry_of(box(i)), 0.001) for i, a in enumerate(areas))
    assert data_version() > before
    # the next file is diffed against it and becomes the next version, in a partition of its own
    second = submit(provider, write(tmp_path, [row(0, status="homes passed"), row(1), row(3)], "next.gpkg"))
    assert second.state == PlanSubmission.State.RECEIVED, second.report
    assert (second.diff["added"], second.diff["removed"]) == (["K-3"], ["K-2"])
    assert second.diff["stage_changed"] == [{"key": "K-0", "old": "under_construction", "new": "homes_passed"}]
    v2 = services.submission_accept(submission=second, by=None)
    assert {f"rollout_planarea_v{first.pk}", f"rollout_planarea_v{v2.pk}"} <= set(partitions())
    # versions are never overwritten: the first keeps its areas
    assert sorted(first.areas.values_list("key", flat=True)) == ["K-0", "K-1", "K-2"]
    assert sorted(v2.areas.values_list("key", flat=True)) == ["K-0", "K-1", "K-3"]
    # confidential until published: the provider's members and planners see it, the public and others do not
    member, other = member_of(provider), member_of(ProviderFactory(slug="beta"))
    for user, sees in ((AnonymousUser(), False), (other, False), (member, True), (planner(), True)):
        visible = set(selectors.plan_areas_visible(user=user, current_only=False).values_list("id", flat=True))
        assert (set(v2.areas.values_list("id", flat=True)) <= visible) is sees
        assert visible.isdisjoint(v2.areas.values_list("id", flat=True)) is not sees
    # published, it is the public plan and reaches the addresses inside it; the first stays as of its day
    inside = AddressFactory(geom=shapely_point(X + 10, Y + 10))
    services.plan_version_publish(version=first, by=None)
    services.plan_version_publish(version=v2, by=None)
    assert Availability.objects.get(address=inside).area.version == v2
    first.refresh_from_db()
    assert selectors.plan_as_of(provider=provider, when=first.published_at, user=AnonymousUser()) == first


def own_tables() -> list[str]:
    """Tables that large submissions are staged in (rollout.staging.own_table)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class"
            " WHERE relname LIKE 'rollout\\_planarea\\_s%%' AND relkind = 'r' AND relpersistence = 'p'"
        )
        return sorted(name for (name,) in cursor.fetchall())


def test_a_failed_acceptance_leaves_no_partition(provider, large, no_json, tmp_path):
    submission = submit(provider, write(tmp_path, [row(i) for i in range(3)]))
    assert own_tables() == [staging.own_table(submission.pk)]
    # one staged row lost: the version is refused after the rows were counted
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {staging.own_table(submission.pk)} WHERE key = 'K-1'")
    with pytest.raises(ImportFailed, match="hand in the file again"):
        services.submission_accept(submission=submission, by=None)
    assert list(partitions()) == ["rollout_planarea_default"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'rollout_planarea_v%%'")
        assert cursor.fetchone()[0] == 0
    assert not PlanVersion.objects.exists()
    assert not PlanArea.objects.exists()
    # the staged table is as it was: still the submission's, with its file rows and no version
    submission.refresh_from_db()
    assert submission.state == PlanSubmission.State.RECEIVED
    assert [f["key"] for f in staging.features_staged(submission=submission)] == ["K-0", "K-2"]
    assert [f["row"] for f in staging.features_staged(submission=submission)] == [1, 3]


def test_an_invalid_large_file_reaches_no_plan_table(provider, large, tmp_path):
    submission = submit(provider, write(tmp_path, [row(1), row(2, technologie="Kupfer"), row(3)]))
    assert submission.state == PlanSubmission.State.INVALID
    assert list(partitions()) == ["rollout_planarea_default"]
    assert not PlanArea.objects.exists()
    assert not PlanAreaStaging.objects.exists()
    assert own_tables() == []
    assert not submission.own_table


def test_a_large_plan_is_staged_in_its_own_table_that_no_plan_reader_sees(provider, large, no_json, tmp_path):
    submission = submit(provider, write(tmp_path, [row(i) for i in range(3)]))
    assert (submission.own_table, submission.feature_count) == (True, 3)
    assert own_tables() == [staging.own_table(submission.pk)]
    assert not PlanAreaStaging.objects.exists()
    # no plan table holds its rows: not the partitioned table, nobody's areas, not even a planner's
    assert not PlanArea.objects.exists()
    assert not selectors.plan_areas_visible(user=planner(), current_only=False).exists()
    assert list(partitions()) == ["rollout_planarea_default"]
    # its pages read the staged features from its table, in file order with their rows
    features = selectors.submission_features(submission=submission, user=member_of(provider))
    assert [(f["row"], f["key"]) for f in features] == [(1, "K-0"), (2, "K-1"), (3, "K-2")]
    assert all(f["geom"].startswith("SRID=25832;MULTIPOLYGON") for f in features)
    assert len(selectors.submission_diff_shapes(submission=submission, user=planner())["added"]) == 3
    with pytest.raises(PermissionDeniedError):
        selectors.submission_features(submission=submission, user=member_of(ProviderFactory(slug="beta")))
    # accepted, the table is the version's partition under the version's name; its pages read the areas there
    version = services.submission_accept(submission=submission, by=None)
    assert own_tables() == []
    assert f"rollout_planarea_v{version.pk}" in partitions()
    submission.refresh_from_db()
    after = selectors.submission_features(submission=submission, user=planner())
    assert [{**f, "row": None} for f in features] == after
    assert staging.feature_last_key(submission=submission) == "K-2"


def test_a_page_that_read_the_submission_before_it_was_accepted_reads_its_areas(provider, large, no_json, tmp_path):
    submission = submit(provider, write(tmp_path, [row(i) for i in range(3)]))
    before = PlanSubmission.objects.get(pk=submission.pk)  # read while it was received
    services.submission_accept(submission=submission, by=None)
    # its table is the version's partition now: the staged features are read there
    assert [f["key"] for f in staging.features_staged(submission=before)] == ["K-0", "K-1", "K-2"]
    assert before.state == PlanSubmission.State.ACCEPTED


def test_a_large_plan_of_address_lists_keeps_its_links(city, large, no_json, tmp_path):
    provider = ProviderFactory(slug="alpha")
    one, two, three = (AddressFactory(street="Schloßstraße", house_number=n, postcode="45468") for n in (1, 2, 3))
    header = "gebiet,strasse,hausnummer,plz,status,technologie,quartal\n"
    line = "{},Schloßstraße,{},45468,geplant,FTTH,Q4/2031\n"
    first = tmp_path / "first.csv"
    first.write_text(header + line.format("L-1", 1) + line.format("L-1", 2) + line.format("L-2", 3))
    submission = submit(provider, first)
    assert submission.own_table, submission.report
    version = services.submission_accept(submission=submission, by=None)
    links = {a.key: sorted(a.addresses.values_list("pk", flat=True)) for a in version.areas.all()}
    assert links == {"L-1": [one.pk, two.pk], "L-2": [three.pk]}
    submission.refresh_from_db()
    assert {f["key"]: f["addresses"] for f in staging.features_staged(submission=submission)} == links
    # the next file is diffed against those links
    second = tmp_path / "second.csv"
    second.write_text(header + line.format("L-1", 2) + line.format("L-1", 3) + line.format("L-2", 3))
    diffed = submit(provider, second)
    assert (diffed.diff["addresses_added"], diffed.diff["addresses_removed"]) == (
        {"L-1": [three.pk]},
        {"L-1": [one.pk]},
    )


def test_a_rejected_large_plan_keeps_its_table_until_the_submission_goes(provider, large, no_json, tmp_path):
    submission = submit(provider, write(tmp_path, [row(i) for i in range(3)]))
    services.submission_reject(submission=submission, by=None, reason="zu grob")
    assert own_tables() == [staging.own_table(submission.pk)]
    assert [f["key"] for f in selectors.submission_features(submission=submission, user=planner())] == [
        "K-0",
        "K-1",
        "K-2",
    ]
    assert not PlanArea.objects.exists()
    submission.delete()
    assert own_tables() == []


def test_references_to_areas_are_checked(provider, large, tmp_path):
    version = services.submission_accept(submission=submit(provider, write(tmp_path, [row(1), row(2)])), by=None)
    area = PlanArea.objects.filter(version=version).first()
    address = AddressFactory()
    links = PlanArea.addresses.through
    # an address link must name an existing area
    with pytest.raises(IntegrityError), transaction.atomic():
        links.objects.create(planarea_id=area.pk + 1000, address=address)
    links.objects.create(planarea=area, address=address)
    # an area with links cannot be deleted behind Django's back (nor given another id)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM rollout_planarea WHERE id = %s", [area.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE rollout_planarea SET id = id + 1000 WHERE id = %s", [area.pk])
    # availability must name an area of its own version
    other = PlanVersion.objects.create(provider=provider, number=2, accepted_at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the foreign key is deferred to the (test's) commit
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO rollout_availability (address_id, provider_id, version_id, area_id, stage, technology,"
            " expected_precision, last_confirmed) VALUES (%s, %s, %s, %s, 'planned', 'ftth', '', now())",
            [address.pk, provider.pk, other.pk, area.pk],
        )
    # through Django, a version goes with its areas, their links and its availability
    services.plan_version_publish(version=version, by=None)
    version.delete()
    assert not PlanArea.objects.exists()
    assert not links.objects.exists()
    assert not Availability.objects.exists()


def GEOSGeometry_of(geom: shapely.Geometry):
    from django.contrib.gis.geos import GEOSGeometry

    return GEOSGeometry(shapely.to_wkt(shapely.MultiPolygon([geom])), srid=25832)


def shapely_point(x: float, y: float):
    from django.contrib.gis.geos import Point

    return Point(x, y, srid=25832)


# -- reader ---------------------------------------------------------------------------------------------------


def _frame(with_dates: bool = False) -> geopandas.GeoDataFrame:
    columns = {
        "id": ["A-1", "Ä-2", None, "4"],
        "name": ["Straße", None, "Gebiet; 3", "x\ty"],
        "download": [1000, 250, 100, 50],
        "upload": [100.0, None, 2.5, 1.0],
        "quote": [1, None, 3, 4],
    }
    if with_dates:
        columns["frist"] = ["2031-07-01", None, "2030-01-15", "2031-12-31"]
    frame = geopandas.GeoDataFrame(columns, geometry=[box(i) for i in range(4)], crs="EPSG:25832")
    if with_dates:
        frame["frist"] = geopandas.pd.to_datetime(frame["frist"]).dt.date
    frame["quote"] = frame["quote"].astype("Int64")
    return frame


def _written(tmp_path, frame, kind: str) -> str:
    if kind == "shp":
        folder = tmp_path / "shp"
        folder.mkdir()
        frame.to_file(folder / "plan.shp", encoding="cp1252")
        archive = tmp_path / "plan.zip"
        with zipfile.ZipFile(archive, "w") as z:
            for part in folder.iterdir():
                z.write(part, part.name)
        return f"/vsizip/{archive}/plan.shp"
    path = tmp_path / f"plan.{kind}"
    frame.to_file(path, driver={"gpkg": "GPKG", "geojson": "GeoJSON", "kml": "KML"}[kind])
    return str(path)


@pytest.mark.parametrize("kind", ["gpkg", "geojson", "kml", "shp"])
@pytest.mark.parametrize("with_dates", [False, True])
def test_the_arrow_reader_gives_what_raw_read_gives(tmp_path, kind, with_dates):
    source = _written(tmp_path, _frame(with_dates), kind)
    layer = geopandas.list_layers(source)["name"][0] if kind != "shp" else "plan"
    meta, wkb, fields = _read_columns(source, layer=layer)
    raw_meta, _fids, raw_wkb, raw_fields = ogr_read(source, layer=layer, datetime_as_string=True)
    assert list(meta["fields"]) == list(raw_meta["fields"])
    assert meta["crs"] == raw_meta["crs"]
    assert [str(d) for d in meta["dtypes"]] == [str(d) for d in raw_meta["dtypes"]]
    for ours, theirs in zip(fields, raw_fields, strict=True):
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)
    assert list(wkb) == list(raw_wkb)
