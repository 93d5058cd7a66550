"""Availability recompute against a hand-computed expectation.

Addresses (EPSG:25832):   A1 350100/5700100   A2 350500/5700500   A3 351500/5701500
                          A4 353000/5703000   A5 346500/5696500
alpha v1 (published): X1 350000–351000 under construction FTTH 1000/200 → A1, A2
                      X2 350400–352000 bookable FTTB 500/100          → A2, A3 (A2: bookable wins)
beta  v1 (published): address list {A1, A4} planned HFC, Q4/2028
beta  v2 (NOT published): X3 around A5 bookable → must not appear
"""

from datetime import date, timedelta

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from rollout.models import Availability
from rollout.services import availability_recompute
from tests.factories import AddressFactory, PlanAreaFactory, PlanVersionFactory, ProviderFactory, square


@pytest.fixture
def fixture_plans(db):
    a = {
        name: AddressFactory(geom=Point(x, y, srid=25832))
        for name, (x, y) in {
            "A1": (350100, 5700100),
            "A2": (350500, 5700500),
            "A3": (351500, 5701500),
            "A4": (353000, 5703000),
            "A5": (346500, 5696500),
        }.items()
    }
    alpha, beta = ProviderFactory(slug="alpha"), ProviderFactory(slug="beta")
    past = timezone.now() - timedelta(days=3)
    alpha_v1 = PlanVersionFactory(provider=alpha, number=1, accepted_at=past, published_at=past)
    PlanAreaFactory(version=alpha_v1, key="X1", geom=square(350000, 5700000, 351000, 5701000))
    PlanAreaFactory(
        version=alpha_v1,
        key="X2",
        geom=square(350400, 5700400, 352000, 5702000),
        stage="bookable",
        technology="fttb",
        max_down_mbits=500,
        max_up_mbits=100,
    )
    beta_v1 = PlanVersionFactory(provider=beta, number=1, accepted_at=past, published_at=past)
    listed = PlanAreaFactory(
        version=beta_v1,
        key="L",
        geom=None,
        stage="planned",
        technology="hfc",
        expected_date=date(2028, 10, 1),
        expected_precision="quarter",
    )
    listed.addresses.set([a["A1"], a["A4"]])
    beta_v2 = PlanVersionFactory(provider=beta, number=2, accepted_at=timezone.now())
    PlanAreaFactory(version=beta_v2, key="X3", geom=square(346000, 5696000, 347000, 5697000), stage="bookable")
    return a


def test_recompute_matches_hand_computed_expectation(fixture_plans):
    a = fixture_plans
    # when recomputed
    count = availability_recompute()
    # then exactly these rows exist
    rows = {
        (r.address_id, r.provider.slug, r.stage, r.technology, r.max_down_mbits, r.expected_date)
        for r in Availability.objects.select_related("provider")
    }
    assert rows == {
        (a["A1"].pk, "alpha", "under_construction", "ftth", 1000, None),
        (a["A2"].pk, "alpha", "bookable", "fttb", 500, None),
        (a["A3"].pk, "alpha", "bookable", "fttb", 500, None),
        (a["A1"].pk, "beta", "planned", "hfc", 1000, date(2028, 10, 1)),
        (a["A4"].pk, "beta", "planned", "hfc", 1000, date(2028, 10, 1)),
    }
    assert count == 5
    assert not Availability.objects.filter(address=a["A5"]).exists()


def test_recompute_replaces_the_table(fixture_plans):
    availability_recompute()
    # when run again, the contents are replaced, not added to
    assert availability_recompute() == 5
    assert Availability.objects.count() == 5


def _queries(function) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def test_recompute_is_a_fixed_number_of_statements_not_a_loop(fixture_plans):
    # The same statements however many addresses there are: 5 or 45 addresses in the areas.
    few = _queries(availability_recompute)
    for i in range(40):
        AddressFactory(geom=Point(350010 + 10 * i, 5700050, srid=25832))
    Availability.objects.all().delete()
    assert _queries(availability_recompute) == few
    assert Availability.objects.count() == 45


def _changes(changeset) -> set[tuple]:
    return {
        (c.address_id, c.provider.slug, c.kind, c.old_stage, c.new_stage, c.old_expected_date, c.new_expected_date)
        for c in changeset.changes.select_related("provider")
    }


def test_the_first_recompute_records_every_row_as_added_and_queues_its_announcement(fixture_plans):
    from procrastinate.contrib.django.models import ProcrastinateJob

    from rollout.models import AvailabilityChangeSet

    a = fixture_plans
    availability_recompute()
    changeset = AvailabilityChangeSet.objects.get()
    assert changeset.change_count == 5
    assert _changes(changeset) == {
        (a["A1"].pk, "alpha", "added", "", "under_construction", None, None),
        (a["A2"].pk, "alpha", "added", "", "bookable", None, None),
        (a["A3"].pk, "alpha", "added", "", "bookable", None, None),
        (a["A1"].pk, "beta", "added", "", "planned", None, date(2028, 10, 1)),
        (a["A4"].pk, "beta", "added", "", "planned", None, date(2028, 10, 1)),
    }
    # beta's unpublished version 2 (bookable at A5) is nowhere in the log
    assert not changeset.changes.filter(address=a["A5"]).exists()
    job = ProcrastinateJob.objects.get(task_name="rollout.changeset_announce")
    assert job.args == {"changeset_id": changeset.pk}
    assert job.status == "todo"


def test_a_recompute_that_changes_nothing_records_nothing_and_keeps_the_rows(fixture_plans):
    from rollout.models import AvailabilityChangeSet

    availability_recompute()
    ids = set(Availability.objects.values_list("pk", flat=True))
    availability_recompute()
    assert AvailabilityChangeSet.objects.count() == 1
    assert set(Availability.objects.values_list("pk", flat=True)) == ids


def test_a_published_change_records_moved_dates_changed_stages_and_removed_areas(fixture_plans):
    from rollout.models import AvailabilityChangeSet
    from rollout.services import plan_version_publish

    a = fixture_plans
    availability_recompute()
    untouched = Availability.objects.get(address=a["A1"], provider__slug="beta").pk
    # given alpha v2: X1 now bookable, X2 dropped, and a date for nothing else
    v1 = PlanVersionFactory._meta.model.objects.get(provider__slug="alpha", number=1)
    v2 = PlanVersionFactory(provider=v1.provider, number=2, accepted_at=timezone.now())
    PlanAreaFactory(version=v2, key="X1", geom=square(350000, 5700000, 351000, 5701000), stage="bookable")
    # when it is published
    plan_version_publish(version=v2, by=None)
    changeset = AvailabilityChangeSet.objects.order_by("-pk").first()
    assert changeset.version == v2
    # then A1 and A2 moved on, A3 lost its only area; beta's rows are no change and keep their ids
    assert _changes(changeset) == {
        (a["A1"].pk, "alpha", "changed", "under_construction", "bookable", None, None),
        (a["A3"].pk, "alpha", "removed", "bookable", "", None, None),
    }
    assert Availability.objects.get(address=a["A2"], provider__slug="alpha").stage == "bookable"
    assert Availability.objects.get(address=a["A1"], provider__slug="beta").pk == untouched
    assert not Availability.objects.filter(address=a["A3"]).exists()
