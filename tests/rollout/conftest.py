"""Fixtures of the rollout tests: the test city, private media storage."""

from pathlib import Path

import pytest

from tests.factories import CityFactory

PLANS = Path(__file__).resolve().parent.parent / "data" / "plans"


@pytest.fixture
def city(db):
    return CityFactory()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
