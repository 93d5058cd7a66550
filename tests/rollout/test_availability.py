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


def test_recompute_is_one_statement_not_a_loop(fixture_plans, django_assert_max_num_queries):
    # SET LOCAL jit + DELETE + INSERT … SELECT (+ savepoint handling), however many addresses there are
    with django_assert_max_num_queries(5):
        availability_recompute()
