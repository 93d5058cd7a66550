"""Fixtures of the residents' pages."""

import pytest

from tests.residents.town import town_create


@pytest.fixture
def town(db) -> dict[str, int]:
    """The search town (tests/residents/town.py): address ids by label ("Schloßstraße 12, 45468")."""
    return town_create()
