"""Every stage transition, allowed and refused, against a table written out by hand."""

import itertools

import pytest

from geoportal.errors import InvalidInputError
from rollout.stages import Stage, stage_transition_allowed, stage_transition_check

ALLOWED = {
    ("planned", "pre_marketing"),
    ("planned", "under_construction"),
    ("planned", "cancelled"),
    ("pre_marketing", "under_construction"),
    ("pre_marketing", "cancelled"),
    ("under_construction", "homes_passed"),
    ("under_construction", "cancelled"),
    ("homes_passed", "homes_connected"),
    ("homes_passed", "bookable"),
    ("homes_connected", "bookable"),
    ("cancelled", "planned"),
}
PAIRS = list(itertools.product(Stage.values, repeat=2))


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_transition(old, new):
    # given a pair of stages; when asked; then allowed exactly when listed (or unchanged)
    expected = old == new or (old, new) in ALLOWED
    assert stage_transition_allowed(old=old, new=new) is expected
    if not expected:
        with pytest.raises(InvalidInputError, match=f"from {old} to {new}"):
            stage_transition_check(old=old, new=new)
    else:
        stage_transition_check(old=old, new=new)


def test_unknown_stage_is_refused():
    with pytest.raises(InvalidInputError, match="unknown stage"):
        stage_transition_allowed(old="planned", new="someday")
