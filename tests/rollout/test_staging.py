"""Large files: validated features kept in the staging table instead of JSON, accepted from there."""

import shutil
from pathlib import Path

import pytest
from django.core.files import File

from geoportal.errors import ImportFailed
from rollout import pipeline, selectors, services
from rollout.models import PlanArea, PlanAreaStaging, PlanSubmission, PlanVersion
from tests.factories import ProviderFactory, planner
from tests.rollout.conftest import PLANS


@pytest.fixture
def large(monkeypatch):
    """Every file counts as large: no JSON copy of its features on the submission."""
    monkeypatch.setattr(pipeline, "FEATURES_JSON_MAX", 0)


def submit(provider, path: Path) -> PlanSubmission:
    with path.open("rb") as handle:
        return services.submission_create(provider=provider, file=File(handle, name=path.name), by=None)


def test_a_large_file_is_staged_and_accepted_from_the_staging_table(city, large, tmp_path):
    provider = ProviderFactory(slug="alpha")
    path = Path(shutil.copy(PLANS / "valid" / "areas.gpkg", tmp_path / "areas.gpkg"))
    submission = submit(provider, path)
    assert submission.state == PlanSubmission.State.RECEIVED, submission.report
    assert (submission.features, submission.feature_count) == ([], 3)
    # the pages read the staged features (what the diff names), with EWKT geometries in EPSG:25832
    features = selectors.submission_features(submission=submission, user=planner())
    assert [f["key"] for f in features] == ["A-1", "A-2", "A-3"]
    assert all(f["geom"].startswith("SRID=25832;MULTIPOLYGON") for f in features)
    shapes = selectors.submission_diff_shapes(submission=submission, user=planner())
    assert len(shapes["added"]) == 3
    version = services.submission_accept(submission=submission, by=None)
    areas = PlanArea.objects.filter(version=version).order_by("key")
    assert [(a.key, a.stage) for a in areas] == [(f["key"], f["stage"]) for f in features]
    assert all(a.geom.srid == 25832 and a.geom.geom_type == "MultiPolygon" for a in areas)


def test_acceptance_refuses_a_submission_whose_staged_rows_are_gone(city, tmp_path):
    # The staging table is unlogged: after a database crash PostgreSQL empties it.
    provider = ProviderFactory(slug="alpha")
    path = Path(shutil.copy(PLANS / "valid" / "areas.gpkg", tmp_path / "areas.gpkg"))
    submission = submit(provider, path)
    PlanAreaStaging.objects.filter(submission=submission).delete()
    with pytest.raises(ImportFailed, match="hand in the file again"):
        services.submission_accept(submission=submission, by=None)
    assert not PlanVersion.objects.exists()
    assert not PlanArea.objects.exists()
    submission.refresh_from_db()
    assert submission.state == PlanSubmission.State.RECEIVED
