"""Versions are never overwritten: diffs between them, the plan as of a date, a provider's record of slips."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from geoportal.errors import InvalidInputError
from rollout import selectors
from rollout.diff import plan_diff, snapshot_of_version
from tests.factories import PlanAreaFactory, PlanVersionFactory, ProviderFactory, planner, square


def make_history():
    """v1: A planned Q1/2028, B planned Q2/2028, C under construction.

    v2: A moved to Q3/2028, B cancelled, C gone, D new.
    """
    provider = ProviderFactory(slug="alpha")
    t0 = timezone.now() - timedelta(days=30)
    v1 = PlanVersionFactory(provider=provider, number=1, accepted_at=t0, published_at=t0)
    q1, q2, q3 = date(2028, 1, 1), date(2028, 4, 1), date(2028, 7, 1)
    PlanAreaFactory(version=v1, key="A", stage="planned", expected_date=q1, expected_precision="quarter")
    PlanAreaFactory(version=v1, key="B", stage="planned", expected_date=q2, expected_precision="quarter")
    PlanAreaFactory(version=v1, key="C")
    t1 = timezone.now() - timedelta(days=10)
    v2 = PlanVersionFactory(provider=provider, number=2, accepted_at=t1, published_at=t1)
    PlanAreaFactory(version=v2, key="A", stage="planned", expected_date=q3, expected_precision="quarter")
    PlanAreaFactory(
        version=v2,
        key="B",
        stage="cancelled",
        cancel_reason="quota missed",
        expected_date=q2,
        expected_precision="quarter",
    )
    PlanAreaFactory(version=v2, key="D", geom=square(346000, 5696000, 347000, 5697000))
    return provider, v1, v2, t0, t1


def test_diff_between_versions(db):
    _, v1, v2, *_ = make_history()
    diff = plan_diff(old=snapshot_of_version(v1), new=snapshot_of_version(v2))
    assert diff["added"] == ["D"]
    assert diff["removed"] == ["C"]
    assert diff["date_moved"] == [{"key": "A", "old": "2028-01-01", "new": "2028-07-01"}]
    assert diff["stage_changed"] == [{"key": "B", "old": "planned", "new": "cancelled"}]
    assert diff["geometry_changed"] == []


def test_geometry_and_address_changes_are_diffed(db):
    old = {"K": {"stage": "planned", "expected": None, "geom": "SRID=25832;POINT(0 0)", "addresses": [1, 2]}}
    new = {"K": {"stage": "planned", "expected": None, "geom": "SRID=25832;POINT(5 0)", "addresses": [2, 3]}}
    diff = plan_diff(old=old, new=new)
    assert diff["geometry_changed"] == ["K"]
    assert (diff["addresses_added"], diff["addresses_removed"]) == ({"K": [3]}, {"K": [1]})


def test_plan_as_of_past_dates(db):
    provider, v1, v2, t0, t1 = make_history()
    user = planner()
    assert selectors.plan_as_of(provider=provider, when=t0 - timedelta(seconds=1), user=user) is None
    assert selectors.plan_as_of(provider=provider, when=t0 + timedelta(days=1), user=user) == v1
    assert selectors.plan_as_of(provider=provider, when=t1, user=user) == v2
    # and the old version's areas are still there, unchanged
    assert set(v1.areas.values_list("key", flat=True)) == {"A", "B", "C"}


def test_track_record_counts_slips_and_cancellations(db):
    provider, *_ = make_history()
    record = selectors.provider_track_record(provider=provider, user=None)
    assert record["versions"] == 2
    assert record["slipped"] == [{"version": 2, "key": "A", "old": "2028-01-01", "new": "2028-07-01"}]
    assert record["cancelled"] == [{"version": 2, "key": "B", "old": "planned", "new": "cancelled"}]


def test_plan_areas_cannot_be_edited(db):
    _, v1, *_ = make_history()
    area = v1.areas.first()
    area.stage = "bookable"
    with pytest.raises(InvalidInputError, match="immutable"):
        area.save()
