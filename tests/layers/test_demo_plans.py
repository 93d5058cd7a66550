"""The demo providers' rollout plans (layers.demo.plans): true to the model, deterministic, deletable."""

import hashlib
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Count

from layers.demo import demo_delete, demo_generate
from layers.services import CITY_DATA, city_boundary_load
from rollout.models import Availability, PlanArea, PlanSubmission, PlanVersion, Provider
from rollout.selectors import plan_areas_visible, plan_versions_current, provider_track_record
from rollout.stages import Stage, Technology
from tests.factories import member_of, planner

AGS = "05117000"
N = 2000


@pytest.fixture
def city(db, settings, tmp_path):
    settings.CITY_AGS = AGS
    settings.MEDIA_ROOT = tmp_path / "media"
    return city_boundary_load(path=CITY_DATA / "boundary_muelheim_vg250.geojson", ags=AGS, source="test")


@pytest.fixture
def demo(city):
    return demo_generate(seed=3, addresses=N)


def _plans_checksum() -> str:
    digest = hashlib.sha256()
    areas = PlanArea.objects.select_related("version__provider").order_by(
        "version__provider__slug", "version__number", "key"
    )
    for area in areas:
        listed = sorted(area.addresses.values_list("street", "house_number", "postcode"))
        digest.update(
            f"{area.version.provider.slug}|{area.version.number}|{area.version.published_at is not None}|{area.key}|"
            f"{area.stage}|{area.technology}|{area.expected_date}|{area.quota_percent}|{area.cancel_reason}|"
            f"{area.geom.wkt if area.geom else ''}|{listed}\n".encode()
        )
    return digest.hexdigest()


def test_published_plans_show_every_stage_and_technology(demo):
    public = plan_areas_visible(user=AnonymousUser())

    assert set(public.values_list("stage", flat=True)) == set(Stage.values)
    assert set(public.values_list("technology", flat=True)) == set(Technology.values)
    assert public.filter(geom__isnull=True).count() >= 2  # address lists
    assert demo.plan_versions == PlanVersion.objects.count() == 9
    assert demo.availability == Availability.objects.count() > N / 4
    cancelled = public.filter(stage=Stage.CANCELLED)
    assert all(area.cancel_reason for area in cancelled)
    assert all(area.quota_percent and area.quota_deadline for area in public.filter(stage=Stage.PRE_MARKETING))
    assert all(area.expected_date for area in public.filter(stage=Stage.PLANNED))


def test_areas_of_different_providers_overlap(demo):
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM rollout_planarea a JOIN rollout_planversion va ON va.id = a.version_id
               JOIN rollout_planarea b ON ST_Intersects(a.geom, b.geom) AND a.id < b.id
               JOIN rollout_planversion vb ON vb.id = b.version_id
               WHERE va.provider_id <> vb.provider_id AND va.published_at IS NOT NULL
               AND vb.published_at IS NOT NULL AND ST_Area(ST_Intersection(a.geom, b.geom)) > 10000"""
        )
        overlaps = cursor.fetchone()[0]
    # And the addresses there are offered by several providers.
    several = Availability.objects.values("address").order_by().annotate(n=Count("provider")).filter(n__gt=1)
    assert overlaps >= 3
    assert several.exists()


def test_slipped_dates_and_cancellations_show_in_the_track_record(demo):
    utility = Provider.objects.get(slug="demo-musterfaser-ruhr")

    record = provider_track_record(provider=utility, user=AnonymousUser())

    assert record["versions"] == 3
    slipped = {(s["key"], s["version"]) for s in record["slipped"] if s["new"] is not None}
    assert {("MR-03", 2), ("MR-03", 3)} <= slipped
    assert {c["key"] for c in record["cancelled"]} == {"MR-04", "MR-07"}
    # History: each version was accepted before the next one.
    accepted = list(
        PlanVersion.objects.filter(provider=utility).order_by("number").values_list("accepted_at", flat=True)
    )
    assert accepted == sorted(accepted)
    assert accepted[0] < accepted[-1]


def test_unpublished_newest_version_is_confidential(demo):
    builder = Provider.objects.get(slug="demo-lichtweg-exemplar")
    newest = PlanVersion.objects.filter(provider=builder).order_by("-number").first()
    outsider = member_of(Provider.objects.get(slug="demo-beispielnetz-west"))

    assert newest.number == 2
    assert newest.published_at is None
    for user in (AnonymousUser(), outsider):
        keys = set(plan_areas_visible(user=user).filter(version__provider=builder).values_list("key", flat=True))
        assert "LW-04" not in keys
        assert plan_versions_current(user=user).get(provider=builder).number == 1
    for user in (member_of(builder), planner()):
        keys = set(plan_areas_visible(user=user).filter(version__provider=builder).values_list("key", flat=True))
        assert "LW-04" in keys
    # Availability holds the published version 1 only: LW-04 and version 2's stages never reach it.
    assert not Availability.objects.filter(version=newest).exists()
    assert Availability.objects.filter(provider=builder, version__number=1).exists()


def test_same_seed_gives_the_same_plans_and_another_seed_others(city):
    demo_generate(seed=5, addresses=N)
    first = _plans_checksum()
    demo_generate(seed=5, addresses=N, replace=True)
    again = _plans_checksum()
    demo_generate(seed=6, addresses=N, replace=True)
    other = _plans_checksum()

    assert first == again
    assert first != other


def test_demo_delete_leaves_no_rollout_rows_and_no_files(demo, settings, django_capture_on_commit_callbacks):
    files = [Path(settings.MEDIA_ROOT) / name for name in PlanSubmission.objects.values_list("file", flat=True)]
    assert files
    assert all(f.exists() for f in files)

    with django_capture_on_commit_callbacks(execute=True):
        demo_delete()

    for model in (Availability, PlanArea, PlanVersion, PlanSubmission, Provider):
        assert not model.objects.exists(), model
    assert not PlanArea.addresses.through.objects.exists()
    assert not any(f.exists() for f in files)
