"""Fixtures of the schools' tests: a small city of hand-made rows in PostGIS, planners, tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from schools.models import School
from schools.tokens import school_token_create
from tests.factories import CENTRE_X, CENTRE_Y, CityFactory, SchoolFactory, planner


@pytest.fixture(autouse=True)
def _own_shared_cache(settings, tmp_path):
    """Rate-limit counters in a cache of the test's own (the real one is shared with other runs)."""
    settings.CACHES = {
        **settings.CACHES,
        "shared": {"BACKEND": "geoportal.cache.SharedFileCache", "LOCATION": str(tmp_path / "cache")},
    }


@pytest.fixture
def school(db) -> School:
    CityFactory()
    return SchoolFactory(pupils=400, street="Schulstr. 10", postcode="45468")


@pytest.fixture
def city_planner(db):
    return planner()


@pytest.fixture
def token(school) -> str:
    _token, secret = school_token_create(school=school, name="Messbox", by=None)
    return secret


def at(hours_ago: float) -> str:
    """An RFC 3339 timestamp ``hours_ago`` hours before now (whole minutes, with offset)."""
    return (timezone.now() - timedelta(hours=hours_ago)).replace(second=0, microsecond=0).isoformat()


__all__ = ["CENTRE_X", "CENTRE_Y", "at"]
