"""The street index (layers.models.StreetIndex) stays exact whatever writes the addresses: ORM, bulk, COPY,
importer, demo generator, admin, TRUNCATE, two transactions at once. Checked against a count made here in
Python from the addresses themselves."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict

import psycopg
import pytest
from django.contrib.gis.geos import MultiPoint, Point
from django.db import connection

from layers import services
from layers.demo import demo_generate
from layers.importers import addresses_import
from layers.models import SRID, Address, District, StreetIndex
from layers.naming import slug
from layers.search import street_key, street_words
from layers.selectors import street_for_slug
from tests.factories import AddressFactory, square


def expected_index() -> dict[tuple[str, str], dict]:
    """What the index should hold, computed from the addresses in Python."""
    groups: dict[tuple[str, str], list[Address]] = defaultdict(list)
    for address in Address.objects.all():
        groups[(address.street, address.postcode)].append(address)
    expected = {}
    for (street, postcode), addresses in groups.items():
        districts = Counter(a.district_id for a in addresses if a.district_id is not None)
        top = max(districts.values(), default=0)
        expected[(street, postcode)] = {
            "words": street_words(street),
            "key": street_key(street),
            "slug": slug(street),
            "addresses": len(addresses),
            "homes": sum(a.homes for a in addresses),
            # mode(): the most frequent district; on a tie PostgreSQL takes the smallest id
            "district_id": min((d for d, n in districts.items() if n == top), default=None),
            "points": {(round(a.geom.x, 3), round(a.geom.y, 3)) for a in addresses},
        }
    return expected


def index_rows() -> dict[tuple[str, str], dict]:
    return {
        (row.name, row.postcode): {
            "words": row.words,
            "key": row.key,
            "slug": row.slug,
            "addresses": row.addresses,
            "homes": row.homes,
            "district_id": row.district_id,
            "centre": (round(row.centre.x, 3), round(row.centre.y, 3)),
        }
        for row in StreetIndex.objects.all()
    }


def assert_index_exact() -> None:
    expected, rows = expected_index(), index_rows()
    assert set(rows) == set(expected)
    for street, row in rows.items():
        want = expected[street]
        assert {k: row[k] for k in row if k != "centre"} == {k: want[k] for k in want if k != "points"}, street
        # The centre is one of the street's addresses (so it lies on the street).
        assert row["centre"] in want["points"], street


@pytest.mark.django_db
def test_orm_writes_of_single_addresses_keep_the_index():
    first = AddressFactory(street="Schloßstraße", house_number=1, homes=3)
    AddressFactory(street="Schloßstraße", house_number=2, homes=1)
    assert index_rows()[("Schloßstraße", "45468")] | {"centre": None} == {
        "words": "schlossstrasse",
        "key": "schlossstrasse",
        "slug": "schlossstrasse",
        "addresses": 2,
        "homes": 4,
        "district_id": None,
        "centre": None,
    }
    first.street = "Goethestraße"
    first.save()
    assert_index_exact()
    assert index_rows()[("Schloßstraße", "45468")]["addresses"] == 1

    Address.objects.filter(street="Schloßstraße").delete()
    assert ("Schloßstraße", "45468") not in index_rows()
    assert_index_exact()


@pytest.mark.django_db
def test_bulk_writes_keep_the_index():
    quarter = District.objects.create(code="q1", name="Altstadt I", level="stadtteil", geom=square(0, 0, 1, 1))
    Address.objects.bulk_create(
        Address(street=f"Weg {i % 7}", house_number=i, postcode="45468", geom=Point(350000 + i, 5700000, srid=SRID))
        for i in range(1, 120)
    )
    assert_index_exact()
    Address.objects.filter(house_number__lte=40).update(postcode="45470", district=quarter, homes=5)
    assert_index_exact()
    Address.objects.filter(street="Weg 3").update(street="Weg Drei")
    assert_index_exact()
    Address.objects.filter(house_number__gt=100).delete()
    assert_index_exact()
    # A district deleted: the index forgets it as the addresses do.
    quarter.delete()
    assert_index_exact()
    assert not StreetIndex.objects.filter(district__isnull=False).exists()


@pytest.mark.django_db
def test_truncate_empties_the_index():
    AddressFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending (deferred) FK checks
        cursor.execute("TRUNCATE layers_address CASCADE")
    assert StreetIndex.objects.count() == 0


@pytest.fixture
def city(db, settings) -> District:
    settings.CITY_AGS = "05117000"
    return services.city_boundary_load(
        path=services.CITY_DATA / "boundary_muelheim_vg250.geojson", ags="05117000", source="test"
    )


def test_the_demo_generator_and_its_replacement_leave_an_exact_index(city, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_generate(seed=1, addresses=2000)  # COPY per Stadtteil, then districts assigned by one UPDATE
    assert StreetIndex.objects.count() > 50
    assert not StreetIndex.objects.filter(district__isnull=True).exists()
    assert_index_exact()
    demo_generate(seed=2, addresses=1500, replace=True)
    assert_index_exact()


def test_the_address_importer_keeps_the_index(city, data_dir):
    AddressFactory(street="Demoweg", is_demo=True)
    addresses_import(path=data_dir / "addresses" / "addresses.gpkg")
    assert_index_exact()
    imported = StreetIndex.objects.exclude(name="Demoweg")
    assert imported.exists()
    addresses_import(path=data_dir / "addresses" / "hk_utf8_comma.csv", replace_demo=True)
    assert not StreetIndex.objects.filter(name="Demoweg").exists()
    assert_index_exact()


def test_an_edit_in_the_admin_moves_the_address_to_its_new_street(admin_client):
    address = AddressFactory(street="Schloßstraße", house_number=12)
    AddressFactory(street="Schloßstraße", house_number=14)
    form = {
        "street": "Kettwiger Straße",
        "house_number": "12",
        "house_number_suffix": "",
        "postcode": "45468",
        "city": "Mülheim an der Ruhr",
        "district": "",
        "geom": Point(350010, 5700010, srid=SRID).json,
        "homes": "2",
        "source_id": "",
    }
    response = admin_client.post(f"/admin/layers/address/{address.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert index_rows()[("Schloßstraße", "45468")]["addresses"] == 1
    assert index_rows()[("Kettwiger Straße", "45468")]["homes"] == 2
    assert_index_exact()


def test_rebuild_restores_rows_written_past_the_triggers(db):
    AddressFactory.create_batch(3, street="Schloßstraße")
    AddressFactory(street="Am Rosenhof")
    before = index_rows()
    with connection.cursor() as cursor:  # as a restore with triggers disabled would leave it
        cursor.execute("DELETE FROM layers_streetindex WHERE name = 'Am Rosenhof'")
        cursor.execute("UPDATE layers_streetindex SET addresses = 99")
    assert services.street_index_rebuild() == 2
    assert index_rows() == before


def test_the_centre_is_the_address_nearest_the_middle(db):
    for x in (0, 10, 20, 300):  # the middle of the four is x≈82.5: the address at 20 is nearest
        AddressFactory(street="Langer Weg", geom=Point(350000 + x, 5700000, srid=SRID))
    row = StreetIndex.objects.get(name="Langer Weg")
    assert (row.centre.x, row.centre.y) == (350020, 5700000)
    points = MultiPoint([a.geom for a in Address.objects.all()], srid=SRID)
    assert row.centre.distance(points.centroid) == min(a.geom.distance(points.centroid) for a in Address.objects.all())


def test_two_transactions_writing_one_street_at_once_count_every_address(transactional_db):
    """Each refresh runs after the other's commit (advisory lock, fresh snapshot): no stale count survives."""
    AddressFactory(street="Schloßstraße", house_number=1)
    params = connection.get_connection_params()
    insert = (
        "INSERT INTO layers_address (street, house_number, house_number_suffix, postcode, city, geom, homes,"
        " source_id, is_demo) VALUES ('Schloßstraße', %s, '', '45468', 'M', ST_SetSRID(ST_MakePoint(350000, 5700000),"
        " 25832), 1, '', false)"
    )
    with psycopg.connect(**params) as first, psycopg.connect(**params) as second:
        first.execute(insert, [2])  # holds the locks until it commits
        done = threading.Event()

        def write_second() -> None:
            second.execute(insert, [3])
            second.commit()
            done.set()

        thread = threading.Thread(target=write_second)
        thread.start()
        assert not done.wait(0.5)  # the second waits for the first
        first.commit()
        thread.join(10)
        assert done.is_set()
    assert StreetIndex.objects.get(name="Schloßstraße").addresses == 3
    assert_index_exact()


@pytest.mark.django_db
def test_street_for_slug_is_an_index_lookup_within_the_postcode(django_assert_num_queries):
    AddressFactory(street="Alte Duisburger Straße", postcode="45481")
    AddressFactory(street="Schloßstraße", postcode="45468")
    with django_assert_num_queries(1):
        assert street_for_slug(postcode="45481", street_slug="alte-duisburger-strasse") == "Alte Duisburger Straße"
    assert street_for_slug(postcode="45468", street_slug="schlossstrasse") == "Schloßstraße"
    assert street_for_slug(postcode="45468", street_slug="alte-duisburger-strasse") is None
    assert street_for_slug(postcode="45481", street_slug="alte") is None
