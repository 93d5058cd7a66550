"""The schools' demo data: deterministic, labelled, never touching real school facts or real records."""

from __future__ import annotations

from datetime import date

import pytest

from schools.demo import school_demo_delete, school_demo_generate
from schools.models import (
    Measurement,
    MeasurementAggregate,
    MeasurementBatch,
    School,
    SchoolConnection,
    SchoolConnectionChange,
)
from schools.services import ConnectionState, school_connection_update
from tests.factories import CityFactory, ProviderFactory, SchoolFactory


def _digest() -> list[tuple]:
    history = SchoolConnectionChange.objects.order_by("school__school_number", "valid_from", "pk")
    measured = Measurement.objects.order_by("school_id", "measured_at").values_list("school_id", "down_mbits")
    return [*history.values_list("school__school_number", "valid_from", "status", "contracted_down_mbits"),
            *measured[:500]]  # fmt: skip


@pytest.fixture
def schools(db):
    CityFactory()
    ProviderFactory(is_demo=True, name="Demo-Netz", slug="demo-netz")
    return [SchoolFactory(school_number=str(100000 + i), pupils=100 + 50 * i) for i in range(8)]


def test_the_same_seed_gives_the_same_demo_and_everything_is_labelled(schools):
    facts = list(School.objects.order_by("pk").values())
    school_demo_generate(seed=5, days=30)
    first = _digest()
    school_demo_generate(seed=5, days=30)
    assert _digest() == first
    school_demo_generate(seed=6, days=30)
    assert _digest() != first

    assert list(School.objects.order_by("pk").values()) == facts  # the real facts stay real
    for model in (SchoolConnection, SchoolConnectionChange, Measurement, MeasurementBatch, MeasurementAggregate):
        assert model.objects.exists(), model
        assert not model.objects.filter(is_demo=False).exists(), model
    assert SchoolConnection.objects.count() == len(schools)


def test_real_records_are_kept_and_only_demo_rows_are_deleted(schools):
    real = schools[0]
    school_connection_update(
        school=real, by=None, state=ConnectionState(status="connected", connected_date=date(2025, 1, 1))
    )
    school_demo_generate(seed=1, days=10)
    assert SchoolConnection.objects.get(school=real).is_demo is False
    assert not SchoolConnectionChange.objects.filter(school=real, is_demo=True).exists()

    school_demo_delete()
    assert list(SchoolConnection.objects.values_list("school_id", flat=True)) == [real.pk]
    assert not Measurement.objects.exists()
