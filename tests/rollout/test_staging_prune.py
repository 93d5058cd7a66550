"""Files that were not accepted lose their staged features some days after the decision (manage.py prune_staging).

A large file's table of its own (rollout_planarea_s<id>) and a small one's rows in the shared staging table
only take space once the file is rejected or superseded; the submission keeps its file, report and diff.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from rollout import pipeline, selectors, services, staging
from rollout.models import PlanArea, PlanAreaStaging, PlanSubmission
from tests.factories import ProviderFactory, member_of, planner
from tests.rollout.test_partitions import own_tables, row, submit, write


@pytest.fixture
def provider(city):
    return ProviderFactory(slug="alpha")


def decided_days_ago(submission: PlanSubmission, days: float) -> None:
    PlanSubmission.objects.filter(pk=submission.pk).update(decided_at=timezone.now() - timedelta(days=days))


def test_old_rejected_and_superseded_files_lose_their_staged_features_and_nothing_else(
    provider, tmp_path, monkeypatch, settings
):
    settings.PLAN_STAGING_KEEP_DAYS = 30
    monkeypatch.setattr(staging, "PARTITION_MIN_AREAS", 3)  # three areas or more: a table of its own
    monkeypatch.setattr(pipeline, "FEATURES_JSON_MAX", 2)  # two or fewer: a JSON copy on the submission
    city_planner = planner()
    # A large file rejected long ago, a large one rejected lately, a small one superseded long ago by the
    # file accepted after it, and one still waiting for a decision.
    large_old = submit(provider, write(tmp_path, [row(i) for i in range(4)], "a.gpkg"))
    services.submission_reject(submission=large_old, by=city_planner, reason="Gebiete fehlen")
    large_new = submit(provider, write(tmp_path, [row(i) for i in range(5)], "b.gpkg"))
    services.submission_reject(submission=large_new, by=city_planner, reason="Termine fehlen")
    small = submit(provider, write(tmp_path, [row(7)], "c.gpkg"))
    accepted = submit(provider, write(tmp_path, [row(i) for i in range(3)], "d.gpkg"))
    version = services.submission_accept(submission=accepted, by=None)
    waiting = submit(provider, write(tmp_path, [row(i) for i in range(6)], "e.gpkg"))
    small.refresh_from_db()
    assert small.state == PlanSubmission.State.SUPERSEDED
    assert (large_old.own_table, large_new.own_table, small.own_table, waiting.own_table) == (True, True, False, True)
    decided_days_ago(large_old, 31)
    decided_days_ago(small, 45)
    decided_days_ago(large_new, 29)
    PlanSubmission.objects.filter(pk=accepted.pk).update(decided_at=timezone.now() - timedelta(days=400))
    kept_before = PlanSubmission.objects.values("diff", "report", "file", "decision_note").get(pk=large_old.pk)
    assert kept_before["diff"]["added"] == ["K-0", "K-1", "K-2", "K-3"]
    areas_before = PlanArea.objects.filter(version=version).count()

    out = StringIO()
    call_command("prune_staging", stdout=out)
    assert "staged features of 2 submission(s) dropped" in out.getvalue()

    # Gone: the old large file's table and the old small file's staged rows.
    assert staging.own_table(large_old.pk) not in own_tables()
    assert not PlanAreaStaging.objects.filter(submission_id=small.pk).exists()
    # Kept: what the decision was about, and everything younger, undecided or accepted.
    large_old.refresh_from_db()
    assert large_old.staged_dropped_at is not None
    assert PlanSubmission.objects.values("diff", "report", "file", "decision_note").get(pk=large_old.pk) == kept_before
    assert large_old.file.storage.exists(large_old.file.name)
    assert large_old.state == PlanSubmission.State.REJECTED
    assert staging.own_table(large_new.pk) in own_tables()
    assert staging.own_table(waiting.pk) in own_tables()
    assert PlanArea.objects.filter(version=version).count() == areas_before == 3
    # The small file's page still has its features (JSON); the large one's has none, and says why.
    small.refresh_from_db()
    assert [f["key"] for f in selectors.submission_features(submission=small, user=city_planner)] == ["K-7"]
    assert selectors.submission_features(submission=large_old, user=city_planner) == []
    assert selectors.submission_features(submission=large_new, user=city_planner) != []
    # A second run finds nothing more to do.
    out = StringIO()
    call_command("prune_staging", stdout=out)
    assert "of 0 submission(s)" in out.getvalue()
    # With fewer days to keep, the lately rejected one goes too; the waiting one never does.
    call_command("prune_staging", "--days", "0", stdout=StringIO())
    assert staging.own_table(large_new.pk) not in own_tables()
    assert staging.own_table(waiting.pk) in own_tables()
    # The waiting file can still be accepted, from its own table.
    second = services.submission_accept(submission=waiting, by=None)
    assert PlanArea.objects.filter(version=second).count() == 6


def test_a_pruned_large_file_keeps_its_page_with_its_list_of_changes_and_a_note(
    provider, tmp_path, monkeypatch, client
):
    monkeypatch.setattr(staging, "PARTITION_MIN_AREAS", 2)
    monkeypatch.setattr(pipeline, "FEATURES_JSON_MAX", 0)
    member = member_of(provider)
    submission = submit(provider, write(tmp_path, [row(1, name="Dümpten Nord"), row(2)]))
    services.submission_reject(submission=submission, by=planner(), reason="Bitte mit Terminen")
    client.force_login(member)
    page = f"/ausbau/einreichungen/{submission.pk}/"
    before = client.get(page).content.decode()
    assert "Dümpten Nord" in before
    assert 'id="features-dropped"' not in before
    decided_days_ago(submission, 100)
    services.submissions_staging_prune()
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    # The list of changes remains (by key), the names came from the dropped rows; the note says so, in German.
    assert "K-1" in html
    assert "K-2" in html
    assert "Dümpten Nord" not in html
    note = html.split('id="features-dropped">', 1)[1].split("</p>", 1)[0]
    assert "Die geprüften Flächen dieser Datei wurden am" in note
    assert "100 Tage nach der Entscheidung" in note


def test_only_files_that_ended_without_acceptance_lose_their_rows(provider, tmp_path, monkeypatch):
    monkeypatch.setattr(staging, "PARTITION_MIN_AREAS", 2)
    submission = submit(provider, write(tmp_path, [row(1), row(2)]))
    with pytest.raises(ValueError, match="not received"):
        staging.staged_drop(submission=submission)
    with pytest.raises(CommandError, match="days to keep must be 0 or more"):
        call_command("prune_staging", "--days", "-1", stdout=StringIO())
    assert staging.own_table(submission.pk) in own_tables()
