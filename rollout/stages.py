"""The rollout vocabulary: stages, technologies, funding, target groups, and the allowed stage transitions.

Everything that names a stage or a technology imports it from here, so the
vocabulary and the transition rules live in one place.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from geoportal.errors import InvalidInputError


class Stage(models.TextChoices):
    PLANNED = "planned", _("Planned")
    PRE_MARKETING = "pre_marketing", _("Pre-marketing / demand aggregation")
    UNDER_CONSTRUCTION = "under_construction", _("Under construction")
    HOMES_PASSED = "homes_passed", _("Homes passed")
    HOMES_CONNECTED = "homes_connected", _("Homes connected")
    BOOKABLE = "bookable", _("Bookable")
    CANCELLED = "cancelled", _("Cancelled")


class Technology(models.TextChoices):
    FTTH = "ftth", "FTTH"
    FTTB = "fttb", "FTTB"
    HFC = "hfc", "HFC / DOCSIS 3.1"
    FTTC = "fttc", "FTTC / VDSL"
    FWA_5G = "fwa_5g", "5G-FWA"


class Funding(models.TextChoices):
    OWN = "own", _("Own investment")
    SUBSIDY = "subsidy", _("Subsidy programme")


class TargetGroup(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    BUSINESS = "business", _("Business")
    BOTH = "both", _("Residential and business")


# Forward along the build chain; cancelling is possible until fibre is in the ground,
# and a cancelled area may be planned anew. Staying in the same stage is always allowed.
TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.PLANNED: frozenset({Stage.PRE_MARKETING, Stage.UNDER_CONSTRUCTION, Stage.CANCELLED}),
    Stage.PRE_MARKETING: frozenset({Stage.UNDER_CONSTRUCTION, Stage.CANCELLED}),
    Stage.UNDER_CONSTRUCTION: frozenset({Stage.HOMES_PASSED, Stage.CANCELLED}),
    Stage.HOMES_PASSED: frozenset({Stage.HOMES_CONNECTED, Stage.BOOKABLE}),
    Stage.HOMES_CONNECTED: frozenset({Stage.BOOKABLE}),
    Stage.BOOKABLE: frozenset(),
    Stage.CANCELLED: frozenset({Stage.PLANNED}),
}

# Rank of a stage when one address lies in several areas of one provider: the most advanced wins,
# a cancelled area loses against any live one.
STAGE_RANK: dict[str, int] = {
    Stage.CANCELLED: 0,
    Stage.PLANNED: 1,
    Stage.PRE_MARKETING: 2,
    Stage.UNDER_CONSTRUCTION: 3,
    Stage.HOMES_PASSED: 4,
    Stage.HOMES_CONNECTED: 5,
    Stage.BOOKABLE: 6,
}

# Stages whose date lies ahead: a date in the past there means the plan slipped without saying so.
FUTURE_STAGES = frozenset({Stage.PLANNED, Stage.PRE_MARKETING, Stage.UNDER_CONSTRUCTION})


def stage_transition_allowed(*, old: str, new: str) -> bool:
    """Whether an area may move from stage ``old`` to stage ``new``."""
    if old not in TRANSITIONS or new not in TRANSITIONS:
        raise InvalidInputError(f"unknown stage {old!r} or {new!r}")
    return old == new or new in TRANSITIONS[old]


def stage_transition_check(*, old: str, new: str, where: str | None = None) -> None:
    """Raise InvalidInputError unless ``old`` → ``new`` is an allowed transition."""
    if not stage_transition_allowed(old=old, new=new):
        allowed = ", ".join(sorted(TRANSITIONS[old])) or "none"
        raise InvalidInputError(f"stage may not change from {old} to {new} (allowed: {allowed})", where=where)
