"""The connectivity of schools on hand-made rows: benchmark classes where the right class is known, fibre at the
school's address from published plans only, the planners' flag, the status at past days, the service's checks."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from geoportal.errors import InvalidInputError, PermissionDeniedError
from layers.models import SRID
from rollout.services import availability_recompute
from schools.aggregates import measured_refresh
from schools.ingest import measurements_store
from schools.models import SchoolAddress, SchoolConnectionChange
from schools.selectors import (
    school_connections_as_of,
    school_connectivity,
    school_offers,
    schools_in_district,
    schools_needing_attention,
    schools_timeline,
)
from schools.services import ConnectionState, school_connection_update
from schools.vocabulary import ConnectionStatus as S
from tests.factories import (
    CENTRE_X,
    CENTRE_Y,
    AddressFactory,
    CityFactory,
    DistrictFactory,
    PlanAreaFactory,
    PlanVersionFactory,
    ProviderFactory,
    SchoolFactory,
    UserFactory,
    square,
)


def _connect(school, status=S.CONNECTED, down=1000, **extra):
    state = ConnectionState(status=status, contracted_down_mbits=down, **extra)
    if status == S.CONNECTED:
        state = ConnectionState(status=status, contracted_down_mbits=down, connected_date=date(2025, 1, 1), **extra)
    return school_connection_update(school=school, state=state, by=None, valid_from=date(2025, 1, 1))


def _measure(school, *downs: float) -> None:
    now = timezone.now()
    rows = [(i + 1, now - timedelta(hours=i + 1), float(d), 50.0, 9.0, None, None) for i, d in enumerate(downs)]
    measurements_store(school=school, rows=rows)


@pytest.fixture
def classes(db, settings) -> dict[str, object]:
    """Schools whose class follows from the rule by hand (1 Mbit/s per pupil, moderate from a quarter)."""
    settings.SCHOOL_BENCHMARK_MBITS_PER_PUPIL = 1.0
    settings.SCHOOL_BENCHMARK_MODERATE_SHARE = 0.25
    settings.SCHOOL_BENCHMARK_DEFAULT_MBITS = 1000.0
    CityFactory()
    made = {
        # contract 500 for 400 pupils: good, from the contract (no measurements)
        "good_by_contract": SchoolFactory(pupils=400),
        # contract 1000 but measures 150 for 400 pupils: 150 >= 100 (a quarter) -> moderate, from measurements
        "moderate_measured": SchoolFactory(pupils=400),
        # measures 90 for 400 pupils: below a quarter -> insufficient, although the contract would be good
        "insufficient_measured": SchoolFactory(pupils=400),
        # exactly the benchmark: good (>=)
        "good_exactly": SchoolFactory(pupils=250),
        # no pupils known: benchmark 1000; contract 300 -> moderate
        "moderate_no_pupils": SchoolFactory(pupils=None),
        # neither a contract nor measurements -> unknown
        "unknown": SchoolFactory(pupils=100),
    }
    _connect(made["good_by_contract"], down=500)
    _connect(made["moderate_measured"], down=1000)
    _measure(made["moderate_measured"], 140, 150, 160)
    _connect(made["insufficient_measured"], down=1000)
    _measure(made["insufficient_measured"], 80, 90, 95)
    _connect(made["good_exactly"], down=250)
    _connect(made["moderate_no_pupils"], status=S.NOT_CONNECTED, down=300)
    return made


def test_benchmark_classes_on_a_fixture_where_they_are_known(classes):
    rows = {s.pk: s for s in school_connectivity()}
    got = {name: (rows[s.pk].benchmark_class, rows[s.pk].benchmark_basis) for name, s in classes.items()}
    assert got == {
        "good_by_contract": ("good", "contracted"),
        "moderate_measured": ("moderate", "measured"),
        "insufficient_measured": ("insufficient", "measured"),
        "good_exactly": ("good", "contracted"),
        "moderate_no_pupils": ("moderate", "contracted"),
        "unknown": ("unknown", "none"),
    }
    assert rows[classes["moderate_measured"].pk].measured_down_mbits == 150
    assert rows[classes["moderate_no_pupils"].pk].required_down_mbits == 1000
    assert rows[classes["good_exactly"].pk].required_down_mbits == 250


def test_the_benchmark_follows_its_settings(classes, settings):
    settings.SCHOOL_BENCHMARK_MBITS_PER_PUPIL = 2.0  # 400 pupils now need 800: a contract of 500 is moderate
    row = school_connectivity().get(pk=classes["good_by_contract"].pk)
    assert (row.required_down_mbits, row.benchmark_class) == (800, "moderate")


def test_measurements_older_than_the_window_do_not_count(classes, settings):
    school = classes["good_by_contract"]
    old = timezone.now() - timedelta(days=45)
    measurements_store(school=school, rows=[(1, old, 10.0, 1.0, None, None, None)])
    assert school_connectivity().get(pk=school.pk).benchmark_basis == "contracted"
    settings.SCHOOL_MEASUREMENT_WINDOW_DAYS = 60
    measured_refresh()
    row = school_connectivity().get(pk=school.pk)
    assert (row.benchmark_basis, row.benchmark_class) == ("measured", "insufficient")


@pytest.fixture
def rollout(db):
    """A school whose address is registered, one whose address is not; a published plan of one provider and an
    unpublished plan of a second that covers both schools."""
    CityFactory()
    address = AddressFactory(street="Schulstraße", house_number=12, postcode="45468",
                             geom=Point(CENTRE_X + 5, CENTRE_Y + 5, srid=SRID))  # fmt: skip
    registered = SchoolFactory(street="Schulstr. 10-14", postcode="45468", geom=Point(CENTRE_X, CENTRE_Y, srid=SRID))
    unregistered = SchoolFactory(street="Feldweg 3", postcode="45468", geom=Point(CENTRE_X + 300, CENTRE_Y, srid=SRID))
    outside = SchoolFactory(street="Waldweg 1", postcode="45468", geom=Point(CENTRE_X + 3000, CENTRE_Y, srid=SRID))
    public = PlanVersionFactory(provider=ProviderFactory(name="Öffentlich"), published_at=timezone.now())
    PlanAreaFactory(version=public, stage="under_construction", technology="ftth", max_down_mbits=1000,
                    geom=square(CENTRE_X - 1000, CENTRE_Y - 1000, CENTRE_X + 1000, CENTRE_Y + 1000))  # fmt: skip
    secret = PlanVersionFactory(provider=ProviderFactory(name="Vertraulich"), published_at=None)
    PlanAreaFactory(version=secret, stage="bookable", technology="ftth", max_down_mbits=2000,
                    geom=square(CENTRE_X - 5000, CENTRE_Y - 5000, CENTRE_X + 5000, CENTRE_Y + 5000))  # fmt: skip
    availability_recompute()
    return {"address": address, "registered": registered, "unregistered": unregistered, "outside": outside}


def test_the_school_is_matched_to_its_registered_address(rollout):
    match = SchoolAddress.objects.get(school=rollout["registered"])
    assert (match.address_id, match.match) == (rollout["address"].pk, "address")
    assert not SchoolAddress.objects.filter(school=rollout["unregistered"]).exists()


def test_nearest_address_within_20_m_when_street_and_number_do_not_match(rollout):
    school = SchoolFactory(street="Anderer Weg 1", postcode="45468", geom=Point(CENTRE_X + 15, CENTRE_Y, srid=SRID))
    far = SchoolFactory(street="Anderer Weg 2", postcode="45468", geom=Point(CENTRE_X + 40, CENTRE_Y, srid=SRID))
    assert SchoolAddress.objects.get(school=school).match == "nearby"
    assert not SchoolAddress.objects.filter(school=far).exists()


def test_fibre_at_the_address_comes_from_published_plans_only(rollout):
    rows = {s.pk: s for s in school_connectivity()}
    registered, unregistered = rows[rollout["registered"].pk], rows[rollout["unregistered"].pk]

    assert registered.fibre_source == "address"
    assert registered.fibre["provider"] == "Öffentlich"
    assert registered.fibre["stage"] == "under_construction"
    assert unregistered.fibre_source == "area"
    assert unregistered.fibre["provider"] == "Öffentlich"
    # The unpublished plan (bookable at 2 Gbit/s, covering all three) is never shown, not even where it alone
    # would reach the school.
    assert rows[rollout["outside"].pk].fibre is None
    assert rows[rollout["outside"].pk].gigabit_offered is False
    for school in (registered, unregistered):
        assert [o["provider"] for o in school_offers(school=school)] == ["Öffentlich"]


def test_schools_without_gigabit_and_without_a_plan_are_flagged(rollout):
    outside, registered = rollout["outside"], rollout["registered"]
    flagged = set(schools_needing_attention().values_list("pk", flat=True))
    # the registered school has no record, but a published gigabit plan at its address: not flagged
    assert flagged == {outside.pk}
    _connect(outside, status=S.PLANNED, down=50, planned_date=date(2028, 1, 1))
    assert not schools_needing_attention().filter(pk=outside.pk).exists()
    _connect(registered, status=S.CONNECTED, down=300)
    assert school_connectivity().get(pk=registered.pk).gigabit is True


def test_schools_in_a_district_and_the_districts_below_it(db):
    CityFactory()
    borough = DistrictFactory(level="stadtbezirk")
    quarter = DistrictFactory(parent=borough)
    inside = SchoolFactory(district=quarter)
    SchoolFactory(district=DistrictFactory())
    assert list(schools_in_district(district=borough)) == [inside]
    assert list(schools_in_district(district=quarter)) == [inside]


def _state_on(day: date) -> dict:
    return {row.school_id: row.status for row in school_connections_as_of(day=day)}


def test_the_status_at_any_past_day_is_one_query(db, django_assert_num_queries):
    CityFactory()
    one, two = SchoolFactory(), SchoolFactory()
    tz = timezone.get_default_timezone()

    def change(school, day: date, **state):
        school_connection_update(
            school=school, state=ConnectionState(**state), by=None, valid_from=day,
            changed_at=datetime(day.year, day.month, day.day, 12, tzinfo=tz),
        )  # fmt: skip

    change(one, date(2024, 1, 10), status=S.NOT_CONNECTED)
    change(one, date(2024, 6, 1), status=S.PLANNED, planned_date=date(2025, 7, 1))
    change(one, date(2025, 3, 1), status=S.UNDER_CONSTRUCTION)
    change(one, date(2025, 9, 15), status=S.CONNECTED, connected_date=date(2025, 9, 15))
    change(two, date(2025, 1, 1), status=S.NOT_CONNECTED)
    # the same day twice: the later change wins
    change(two, date(2025, 5, 5), status=S.PLANNED, planned_date=date(2026, 1, 1))
    change(two, date(2025, 5, 5), status=S.UNDER_CONSTRUCTION)

    with django_assert_num_queries(1):
        assert _state_on(date(2024, 6, 1)) == {one.pk: S.PLANNED}
    assert _state_on(date(2024, 1, 9)) == {}
    assert _state_on(date(2025, 5, 4)) == {one.pk: S.UNDER_CONSTRUCTION, two.pk: S.NOT_CONNECTED}
    assert _state_on(date(2025, 5, 5)) == {one.pk: S.UNDER_CONSTRUCTION, two.pk: S.UNDER_CONSTRUCTION}
    assert _state_on(date(2025, 12, 31)) == {one.pk: S.CONNECTED, two.pk: S.UNDER_CONSTRUCTION}

    timeline = {s["number"]: s["changes"] for s in schools_timeline()["schools"]}
    assert timeline[one.school_number] == [
        ["2024-01-10", "not_connected"], ["2024-06-01", "planned"], ["2025-03-01", "under_construction"],
        ["2025-09-15", "connected"],
    ]  # fmt: skip
    assert timeline[two.school_number] == [["2025-01-01", "not_connected"], ["2025-05-05", "under_construction"]]


def test_the_service_checks_what_it_records(db):
    CityFactory()
    school = SchoolFactory()
    today = timezone.localdate()
    with pytest.raises(InvalidInputError, match="expected") as error:
        school_connection_update(school=school, state=ConnectionState(status=S.PLANNED), by=None)
    assert error.value.where == "planned_date"
    with pytest.raises(InvalidInputError) as error:
        school_connection_update(
            school=school, state=ConnectionState(status=S.CONNECTED, connected_date=today + timedelta(days=1)), by=None
        )
    assert error.value.where == "connected_date"
    with pytest.raises(InvalidInputError) as error:
        school_connection_update(
            school=school, state=ConnectionState(status=S.NOT_CONNECTED, contracted_down_mbits=10**6), by=None
        )
    assert error.value.where == "contracted_down_mbits"
    with pytest.raises(PermissionDeniedError):
        school_connection_update(school=school, state=ConnectionState(status=S.NOT_CONNECTED), by=UserFactory())

    school_connection_update(school=school, state=ConnectionState(status=S.NOT_CONNECTED), by=None)
    # the same state again writes nothing; an earlier start than the current state's is refused
    school_connection_update(school=school, state=ConnectionState(status=S.NOT_CONNECTED), by=None)
    assert SchoolConnectionChange.objects.filter(school=school).count() == 1
    with pytest.raises(InvalidInputError) as error:
        school_connection_update(
            school=school, state=ConnectionState(status=S.PLANNED, planned_date=date(2030, 1, 1)), by=None,
            valid_from=today - timedelta(days=1),
        )  # fmt: skip
    assert error.value.where == "valid_from"
    with pytest.raises(InvalidInputError):
        school_connection_update(
            school=school, state=ConnectionState(status=S.PLANNED, planned_date=date(2030, 1, 1)), by=None,
            valid_from=today + timedelta(days=1),
        )  # fmt: skip
