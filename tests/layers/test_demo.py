"""Tests of the demo-data generator (layers.demo) and its command, on a real PostGIS."""

import hashlib
from io import StringIO

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from layers.demo import DemoDataExists, demo_generate
from layers.demo.districts import BOROUGHS
from layers.models import Address, District, Facility, Street
from layers.services import CITY_DATA, city_boundary_load
from rollout.models import Provider

AGS = "05117000"
N = 2000


@pytest.fixture
def city(db, settings) -> District:
    settings.CITY_AGS = AGS
    return city_boundary_load(path=CITY_DATA / "boundary_muelheim_vg250.geojson", ags=AGS, source="test")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """The demo plans are handed in as files: keep them out of the repository's var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


def _checksum() -> str:
    digest = hashlib.sha256()
    rows = Address.objects.filter(is_demo=True).order_by("postcode", "street", "house_number", "house_number_suffix")
    for a in rows:
        digest.update(
            f"{a.street}|{a.house_number}|{a.house_number_suffix}|{a.postcode}|"
            f"{round(a.geom.x, 2)}|{round(a.geom.y, 2)}|{a.homes}\n".encode()
        )
    for d in District.objects.filter(is_demo=True).order_by("code"):
        digest.update(d.code.encode() + bytes(d.geom.wkb))
    return digest.hexdigest()


def _scalar(sql: str, params=()) -> float:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def test_same_seed_gives_same_data_and_another_seed_other_data(city):
    demo_generate(seed=7, addresses=N)
    first = _checksum()

    demo_generate(seed=7, addresses=N, replace=True)
    again = _checksum()
    demo_generate(seed=8, addresses=N, replace=True)
    other = _checksum()

    assert first == again
    assert first != other


def test_districts_have_real_names_parents_and_partition_the_city(city):
    demo_generate(seed=1, addresses=N)

    boroughs = District.objects.filter(level=District.Level.BOROUGH)
    assert {b.name for b in boroughs} == {"Rechtsruhr-Süd", "Rechtsruhr-Nord", "Linksruhr"}
    assert all(b.parent_id == city.id and b.is_demo for b in boroughs)
    for borough in BOROUGHS:
        quarters = District.objects.filter(level=District.Level.QUARTER, parent__name=borough.name)
        assert {q.name for q in quarters} == {q.name for q in borough.quarters}
        parent = District.objects.get(level=District.Level.BOROUGH, name=borough.name)
        assert sum(q.geom.area for q in quarters) == pytest.approx(parent.geom.area, rel=1e-6)
    quarters = District.objects.filter(level=District.Level.QUARTER)
    assert quarters.count() == 9
    assert sum(q.geom.area for q in quarters) == pytest.approx(city.geom.area, rel=1e-3)
    overlap = _scalar(
        """SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom))), 0) FROM layers_district a
           JOIN layers_district b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)
           WHERE a.level = 'stadtteil' AND b.level = 'stadtteil'"""
    )
    assert overlap < 1.0  # square metres, in a city of 91 km²
    assert _scalar("SELECT bool_and(ST_IsValid(geom)) FROM layers_district WHERE is_demo")


def test_every_address_lies_in_the_city_and_its_stadtteil(city):
    demo_generate(seed=1, addresses=N)

    outside_city = _scalar(
        "SELECT count(*) FROM layers_address a WHERE NOT ST_Contains(%s::geometry, a.geom)", [city.geom.ewkb.hex()]
    )
    misplaced = _scalar(
        """SELECT count(*) FROM layers_address a LEFT JOIN layers_district d ON d.id = a.district_id
           WHERE d.id IS NULL OR d.level <> 'stadtteil' OR NOT ST_Contains(d.geom, a.geom)"""
    )
    assert Address.objects.count() == N
    assert outside_city == 0
    assert misplaced == 0
    # One postcode per Stadtteil, and street names unique per postcode.
    assert Address.objects.values("district").distinct().count() == 9
    assert Address.objects.values("postcode").distinct().count() == 9


def test_the_street_network_is_stored_as_streets_of_the_addresses(city):
    report = demo_generate(seed=1, addresses=N)

    # every street an address names is a Street row of its postcode, in the Stadtteil the address lies in
    unmatched = _scalar(
        """SELECT count(*) FROM layers_address a
           LEFT JOIN layers_street s ON s.name = a.street AND s.postcode = a.postcode
           WHERE s.id IS NULL OR s.district_id IS DISTINCT FROM a.district_id"""
    )
    assert unmatched == 0
    assert Street.objects.count() == report.streets >= Address.objects.values("street", "postcode").distinct().count()
    assert not Street.objects.filter(is_demo=False).exists()
    assert _scalar("SELECT bool_and(ST_IsValid(geom) AND ST_Length(geom) > 25) FROM layers_street")
    # each address stands about a setback from its street's centre line
    assert (
        _scalar(
            """SELECT max(ST_Distance(a.geom, s.geom)) FROM layers_address a
           JOIN layers_street s ON s.name = a.street AND s.postcode = a.postcode"""
        )
        < 20
    )


def test_homes_per_address_match_the_city(city):
    report = demo_generate(seed=1, addresses=N)

    homes = sum(Address.objects.values_list("homes", flat=True))
    assert homes == report.homes
    assert homes / N == pytest.approx(90_000 / 35_000, rel=0.15)
    assert Address.objects.filter(homes__lte=2).count() > N / 2  # mostly 1-2-family houses
    assert Address.objects.filter(homes__gt=12).exists()
    assert not Address.objects.filter(homes__gt=60).exists()


def test_house_numbers_are_odd_on_one_side_and_even_on_the_other(city):
    demo_generate(seed=1, addresses=N)

    street = Address.objects.values_list("street", "postcode").order_by("street", "postcode").first()
    numbers = list(
        Address.objects.filter(street=street[0], postcode=street[1], house_number_suffix="")
        .order_by("house_number")
        .values_list("house_number", flat=True)
    )
    odd = [n for n in numbers if n % 2]
    even = [n for n in numbers if not n % 2]
    assert odd == list(range(1, 2 * len(odd), 2))
    assert even == list(range(2, 2 * len(even) + 1, 2))


def test_every_generated_row_is_demo(city):
    report = demo_generate(seed=1, addresses=N)

    assert not Address.objects.filter(is_demo=False).exists()
    assert not Facility.objects.filter(is_demo=False).exists()
    assert list(District.objects.filter(is_demo=False)) == [city]
    providers = Provider.objects.all()
    assert report.providers == providers.count() == 5
    assert all(p.is_demo and p.name.endswith(" (Demo)") for p in providers)
    assert report.facilities == Facility.objects.count() >= 24
    assert all(f.opening_hours and f.address for f in Facility.objects.all())


def test_replace_removes_only_demo_rows(city):
    real = Address.objects.create(
        street="Echte Straße", house_number=1, postcode="45468", geom=Point(352000, 5698000, srid=25832)
    )
    demo_generate(seed=1, addresses=N)

    demo_generate(seed=2, addresses=N, replace=True)

    assert Address.objects.filter(pk=real.pk, is_demo=False).exists()
    assert Address.objects.filter(is_demo=True).count() == N
    assert Street.objects.filter(is_demo=True).count() == Street.objects.count() > 0
    assert District.objects.filter(level=District.Level.QUARTER).count() == 9
    assert Provider.objects.count() == 5


def test_second_run_without_replace_is_refused(city):
    out = StringIO()
    call_command("generate_demo", "--addresses", str(N), stdout=out)

    with pytest.raises(CommandError, match="--replace"):
        call_command("generate_demo", "--addresses", str(N), stdout=StringIO())
    with pytest.raises(DemoDataExists):
        demo_generate(addresses=N)
    assert f"{N} addresses" in out.getvalue()
    assert Address.objects.count() == N


def test_too_few_addresses_are_refused(city):
    with pytest.raises(CommandError, match="at least"):
        call_command("generate_demo", "--addresses", "10", stdout=StringIO())
    assert not District.objects.filter(is_demo=True).exists()


def test_without_a_city_boundary_nothing_is_written(db):
    with pytest.raises(CommandError, match="load_city"):
        call_command("generate_demo", "--addresses", str(N), stdout=StringIO())
    assert not Provider.objects.exists()
