"""Dig-once matching on hand-made fixtures whose conflicts and chances are known exactly (conftest.py here).

Today is 2026-12-01 throughout; area A's construction window is Q3/2027 (2027-07-01 to 2027-09-30).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coordination.matching import CHANCE, CONFLICT
from coordination.selectors import MatchSettings, match_get, matches_visible
from geoportal.errors import NotFoundError
from layers.models import SRID
from rollout.roles import roles_read_once
from tests.coordination.conftest import box, line, works
from tests.factories import AddressFactory, PlanAreaFactory, UserFactory

TODAY = date(2026, 12, 1)
DEFAULT = MatchSettings(distance_m=50, months=6)
# A line across area A (349000–350000 E), and one at exactly 50 m east of its edge.
ACROSS_A = line((348800, 5699500), (350200, 5699500))
EAST_OF_A = 350000


def found(user, kind, match_settings=DEFAULT, **filters) -> set[tuple[str, str]]:
    """(works title, area key) of the matches of ``kind``."""
    return {
        (m.works_title, m.area_key)
        for m in matches_visible(user=user, kind=kind, match_settings=match_settings, today=TODAY, **filters)
    }


def test_a_dig_ban_that_reaches_the_first_day_of_construction_is_a_conflict_one_day_less_is_not(plans, owner):
    works(owner, "touching", ACROSS_A, date(2026, 3, 1), date(2026, 4, 30), ban=date(2027, 7, 1))
    works(owner, "day before", ACROSS_A, date(2026, 3, 1), date(2026, 4, 30), ban=date(2027, 6, 30))
    assert found(plans["planner"], CONFLICT) == {("touching", "A")}
    (match,) = matches_visible(user=plans["planner"], kind=CONFLICT, match_settings=DEFAULT, today=TODAY)
    assert (match.window_start, match.window_end) == (date(2027, 7, 1), date(2027, 9, 30))
    assert (match.overlap_start, match.overlap_end) == (date(2027, 7, 1), date(2027, 7, 1))
    assert (match.provider_name, match.published, match.version_number) == ("Alpha Netz", True, 2)


def test_the_dig_ban_starts_the_day_after_the_works_end(plans, owner):
    # Works that end on the last day of the window: the ban runs from the day after, so it does not overlap.
    works(owner, "ends with the window", ACROSS_A, date(2027, 9, 1), date(2027, 9, 30), ban=date(2031, 1, 1))
    works(owner, "ends a day earlier", ACROSS_A, date(2027, 9, 1), date(2027, 9, 29), ban=date(2031, 1, 1))
    assert found(plans["planner"], CONFLICT) == {("ends a day earlier", "A")}


def test_works_without_a_dig_ban_or_outside_the_area_never_conflict(plans, owner):
    works(owner, "no ban", ACROSS_A, date(2026, 3, 1), date(2026, 4, 30))
    works(
        owner,
        "beside",
        line((EAST_OF_A + 1, 5699000), (EAST_OF_A + 1, 5700000)),
        date(2026, 3, 1),
        date(2026, 4, 30),
        ban=date(2030, 1, 1),
    )
    works(
        owner,
        "on the edge",
        line((EAST_OF_A, 5699000), (EAST_OF_A, 5700000)),
        date(2026, 3, 1),
        date(2026, 4, 30),
        ban=date(2030, 1, 1),
    )
    # Touching the area's boundary is opening the same street.
    assert found(plans["planner"], CONFLICT) == {("on the edge", "A")}


def test_a_chance_at_exactly_n_metres_counts_a_millimetre_more_does_not(plans, owner):
    period = (date(2027, 7, 1), date(2027, 8, 31))
    works(owner, "50 m", line((EAST_OF_A + 50, 5699000), (EAST_OF_A + 50, 5700000)), *period)
    works(owner, "50.001 m", line((EAST_OF_A + 50.001, 5699200), (EAST_OF_A + 50.001, 5699800)), *period)
    assert found(plans["planner"], CHANCE) == {("50 m", "A")}
    assert found(plans["planner"], CHANCE, MatchSettings(distance_m=49, months=6)) == set()
    (match,) = matches_visible(user=plans["planner"], kind=CHANCE, match_settings=DEFAULT, today=TODAY)
    assert (match.distance_m, match.gap_days) == (50.0, 0)


def test_a_chance_at_exactly_m_months_counts_one_day_more_does_not(plans, owner):
    # Ends 2027-01-01; six months later is 2027-07-01, the window's first day.
    works(owner, "six months", ACROSS_A, date(2026, 12, 1), date(2027, 1, 1))
    works(owner, "a day more", line((349000, 5699600), (349900, 5699600)), date(2026, 12, 1), date(2026, 12, 31))
    assert found(plans["planner"], CHANCE) == {("six months", "A")}
    assert found(plans["planner"], CHANCE, MatchSettings(distance_m=50, months=5)) == set()
    assert found(plans["planner"], CHANCE, MatchSettings(distance_m=50, months=7)) == {
        ("six months", "A"),
        ("a day more", "A"),
    }
    six = next(m for m in matches_visible(user=plans["planner"], kind=CHANCE, match_settings=DEFAULT, today=TODAY))
    assert six.gap_days == (date(2027, 7, 1) - date(2027, 1, 1)).days


def test_works_after_the_window_are_chances_too_and_finished_works_are_not(plans, owner):
    works(owner, "after", ACROSS_A, date(2028, 3, 30), date(2028, 4, 30))  # six months after 2027-09-30
    works(owner, "over", line((349000, 5699300), (349900, 5699300)), date(2026, 11, 1), date(2026, 11, 30))
    assert found(plans["planner"], CHANCE, MatchSettings(distance_m=0, months=12)) == {("after", "A")}
    assert found(plans["planner"], CHANCE) == {("after", "A")}


def test_only_areas_still_to_be_built_with_a_trench_in_each_providers_newest_version_match(plans, owner):
    everything = box(345000, 5695000, 355000, 5705000)
    works(owner, "everywhere", everything, date(2026, 1, 1), date(2026, 6, 30), ban=date(2035, 1, 1))
    # A, C (under construction), B (Beta, unpublished); not D (homes passed), E (FTTC), OLD (superseded version).
    assert found(plans["planner"], CONFLICT) == {("everywhere", "A"), ("everywhere", "B"), ("everywhere", "C")}
    c = next(m for m in matches_visible(user=plans["planner"], kind=CONFLICT, today=TODAY) if m.area_key == "C")
    assert (c.window_start, c.window_end) == (TODAY, date(2027, 3, 31))  # from today to its quarter's end


def test_an_area_without_a_date_is_open_from_today(plans, owner):
    version = plans["areas"]["A"].version
    PlanAreaFactory(
        version=version, key="F", stage="pre_marketing", quota_percent=40, geom=box(347500, 5703000, 348500, 5704000)
    )
    far = line((347400, 5703500), (348600, 5703500))
    works(owner, "ban from 2031", far, date(2030, 1, 1), date(2030, 12, 31), ban=date(2033, 1, 1))
    (match,) = matches_visible(user=plans["planner"], kind=CONFLICT, today=TODAY)
    assert (match.area_key, match.window_start, match.window_end) == ("F", TODAY, None)
    assert (match.overlap_start, match.overlap_end) == (date(2031, 1, 1), date(2033, 1, 1))


def test_an_address_list_area_is_the_union_of_10_m_circles_around_its_addresses(plans, owner):
    listed = PlanAreaFactory(
        version=plans["areas"]["A"].version, key="L", stage="planned", geom=None,
        expected_date=date(2027, 7, 1), expected_precision="quarter",
    )  # fmt: skip
    listed.addresses.add(AddressFactory(geom=Point(348000, 5701000, srid=SRID)))
    works(
        owner,
        "8 m",
        line((347000, 5701008), (349000, 5701008)),
        date(2027, 3, 1),
        date(2027, 4, 30),
        ban=date(2030, 1, 1),
    )
    works(
        owner,
        "12 m",
        line((347000, 5700988), (349000, 5700988)),
        date(2027, 3, 1),
        date(2027, 4, 30),
        ban=date(2030, 1, 1),
    )
    assert found(plans["planner"], CONFLICT) == {("8 m", "L")}
    assert {m.works_title: round(m.distance_m) for m in matches_visible(
        user=plans["planner"], kind=CHANCE, match_settings=MatchSettings(distance_m=5, months=60), today=TODAY
    ) if m.area_key == "L"} == {"8 m": 0, "12 m": 2}  # fmt: skip


def test_provider_members_see_only_their_own_providers_matches(plans, owner):
    everything = box(345000, 5695000, 355000, 5705000)
    works(owner, "everywhere", everything, date(2026, 1, 1), date(2026, 6, 30), ban=date(2035, 1, 1))
    assert found(plans["alpha_member"], CONFLICT) == {("everywhere", "A"), ("everywhere", "C")}
    # Beta's unpublished plan: its own members see it, Alpha's never.
    assert found(plans["beta_member"], CONFLICT) == {("everywhere", "B")}
    with pytest.raises(NotFoundError):
        matches_visible(user=UserFactory(), kind=CONFLICT, today=TODAY)
    with pytest.raises(NotFoundError):
        matches_visible(user=None, kind=CONFLICT, today=TODAY)


def test_filters_by_provider_owner_and_sector(plans, owner):
    from coordination.models import WorksOwner

    water = WorksOwner.objects.create(name="Wasserwerk", sector="water")
    everything = box(345000, 5695000, 355000, 5705000)
    works(owner, "road", everything, date(2026, 1, 1), date(2026, 6, 30), ban=date(2035, 1, 1))
    works(water, "water", everything, date(2026, 1, 1), date(2026, 6, 30), ban=date(2035, 1, 1), sector="water")
    user = plans["planner"]
    assert found(user, CONFLICT, provider_ids={plans["beta"].pk}) == {("road", "B"), ("water", "B")}
    assert found(user, CONFLICT, owner_id=water.pk) == {("water", "A"), ("water", "B"), ("water", "C")}
    assert found(user, CONFLICT, sector="road") == {("road", "A"), ("road", "B"), ("road", "C")}


def test_match_get_finds_one_pair_and_refuses_a_pair_that_is_no_match(plans, owner):
    crossing = works(owner, "across", ACROSS_A, date(2026, 3, 1), date(2026, 4, 30), ban=date(2030, 1, 1))
    area = plans["areas"]["A"]
    match = match_get(
        user=plans["planner"], kind=CONFLICT, works_id=crossing.pk, area_id=area.pk, match_settings=DEFAULT, today=TODAY
    )
    assert (match.works_id, match.area_id) == (crossing.pk, area.pk)
    with pytest.raises(NotFoundError):
        match_get(
            user=plans["planner"],
            kind=CHANCE,
            works_id=crossing.pk,
            area_id=area.pk,
            match_settings=DEFAULT,
            today=TODAY,
        )
    with pytest.raises(NotFoundError):  # Alpha's member cannot reach Beta's area through any pair
        match_get(
            user=plans["alpha_member"],
            kind=CONFLICT,
            works_id=crossing.pk,
            area_id=plans["areas"]["B"].pk,
            match_settings=DEFAULT,
            today=TODAY,
        )


def test_matching_is_one_statement_whatever_the_number_of_works(plans, owner):
    def counted(n: int) -> tuple[int, int, int]:
        for i in range(n):
            works(
                owner,
                f"w{n}-{i}",
                line((348800, 5699000 + 30 * i), (350200, 5699000 + 30 * i)),
                date(2026, 1, 1),
                date(2026, 2, 1),
                ban=date(2030, 1, 1),
            )
        # Roles read once, as within a request (rollout.roles.RolesPerRequestMiddleware).
        with roles_read_once(), CaptureQueriesContext(connection) as queries:
            matches = matches_visible(user=plans["planner"], kind=CONFLICT, today=TODAY)
        spatial = [q for q in queries.captured_queries if "coordination_roadworks" in q["sql"]]
        return len(matches), len(spatial), len(queries.captured_queries)

    one, thirty_one = counted(1), counted(30)
    assert (one[0], thirty_one[0]) == (1, 31)
    # one matching statement, and as many statements in all (roles, versions, providers, notifications)
    assert one[1] == thirty_one[1] == 1
    assert one[2] == thirty_one[2]
