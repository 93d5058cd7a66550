"""Constraints of the base-layer models hold in the database itself."""

import pytest
from django.db import IntegrityError

from layers.models import District
from tests.factories import AddressFactory, DistrictFactory


@pytest.mark.django_db
def test_the_same_address_cannot_be_stored_twice():
    AddressFactory(street="Schloßstraße", house_number=1, house_number_suffix="a", postcode="45468")

    with pytest.raises(IntegrityError):
        AddressFactory(street="Schloßstraße", house_number=1, house_number_suffix="a", postcode="45468")


@pytest.mark.django_db
def test_a_suffix_makes_a_different_address():
    AddressFactory(street="Schloßstraße", house_number=1, postcode="45468")
    other = AddressFactory(street="Schloßstraße", house_number=1, house_number_suffix="a", postcode="45468")

    assert str(other) == "Schloßstraße 1a, 45468 Mülheim an der Ruhr"


@pytest.mark.django_db
def test_the_city_level_cannot_have_a_parent():
    parent = DistrictFactory(level=District.Level.BOROUGH)

    with pytest.raises(IntegrityError):
        DistrictFactory(level=District.Level.CITY, parent=parent)


@pytest.mark.django_db
def test_geometries_are_stored_in_utm32():
    address = AddressFactory()
    address.refresh_from_db()

    assert address.geom.srid == 25832
    assert District._meta.get_field("geom").srid == 25832
