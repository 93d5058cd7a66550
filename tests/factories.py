"""factory_boy factories for rows the tests need; geometries in EPSG:25832 inside the test city square."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.utils import timezone

from layers.models import SRID, Address, District, Facility
from rollout.models import PlanArea, PlanVersion, Provider, ProviderMembership
from rollout.roles import PLANNER_GROUP
from schools.models import School

# The test city: a 10 km square around Mülheim's centre (EPSG:25832).
CITY_BOUNDS = (345000, 5695000, 355000, 5705000)


def square(xmin: float, ymin: float, xmax: float, ymax: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((xmin, ymin, xmax, ymax)), srid=SRID)


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = "05117000"
    name = "Mülheim an der Ruhr"
    level = District.Level.CITY
    geom = factory.LazyFunction(lambda: square(*CITY_BOUNDS))


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    street = "Schloßstraße"
    house_number = factory.Sequence(lambda n: n + 1)
    postcode = "45468"
    geom = factory.LazyFunction(lambda: Point(350000, 5700000, srid=SRID))


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Provider {n}")
    slug = factory.Sequence(lambda n: f"provider-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")


def member_of(provider: Provider) -> object:
    user = UserFactory()
    ProviderMembership.objects.create(user=user, provider=provider)
    return user


def planner() -> object:
    user = UserFactory()
    user.groups.add(Group.objects.get_or_create(name=PLANNER_GROUP)[0])
    return user


class PlanVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanVersion

    provider = factory.SubFactory(ProviderFactory)
    number = factory.Sequence(lambda n: n + 1)
    accepted_at = factory.LazyFunction(timezone.now)


class PlanAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanArea

    version = factory.SubFactory(PlanVersionFactory)
    key = factory.Sequence(lambda n: f"area-{n}")
    geom = factory.LazyFunction(lambda: square(349000, 5699000, 351000, 5701000))
    stage = "under_construction"
    technology = "ftth"
    max_down_mbits = 1000
    max_up_mbits = 200


# Near Mülheim's town hall, inside CITY_BOUNDS.
CENTRE_X, CENTRE_Y = 350_000.0, 5_700_000.0


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    code = factory.Sequence(lambda n: f"T{n:04d}")
    name = factory.Sequence(lambda n: f"Testteil {n}")
    level = District.Level.QUARTER
    geom = factory.LazyFunction(lambda: square(CENTRE_X - 500, CENTRE_Y - 500, CENTRE_X + 500, CENTRE_Y + 500))


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    name = factory.Sequence(lambda n: f"Einrichtung {n}")
    category = Facility.Category.LIBRARY
    geom = factory.LazyFunction(lambda: Point(CENTRE_X, CENTRE_Y, srid=SRID))


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    school_number = factory.Sequence(lambda n: f"{900000 + n}")
    name = factory.Sequence(lambda n: f"Testschule {n}")
    school_type = "Grundschule"
    street = "Schulstraße 1"
    postcode = "45468"
    geom = factory.LazyFunction(lambda: Point(CENTRE_X, CENTRE_Y, srid=SRID))
