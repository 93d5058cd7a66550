"""factory_boy factories for rows the tests need; geometries in the storage CRS (EPSG:25832) inside Mülheim."""

import factory
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from layers.models import Address, District, Facility
from rollout.models import Provider
from schools.models import School

# A point near Mülheim's town hall in EPSG:25832.
CENTRE_X, CENTRE_Y = 353_500.0, 5_699_800.0


def square(x: float, y: float, size: float) -> MultiPolygon:
    """A size × size metre square with its lower-left corner at (x, y), as a MultiPolygon in EPSG:25832."""
    ring = ((x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y))
    return MultiPolygon(Polygon(ring), srid=25832)


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    code = factory.Sequence(lambda n: f"T{n:04d}")
    name = factory.Sequence(lambda n: f"Testteil {n}")
    level = District.Level.QUARTER
    geom = factory.LazyFunction(lambda: square(CENTRE_X - 500, CENTRE_Y - 500, 1000))


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    street = "Teststraße"
    house_number = factory.Sequence(lambda n: n + 1)
    postcode = "45468"
    geom = factory.Sequence(lambda n: Point(CENTRE_X + (n % 50) * 10, CENTRE_Y + (n // 50) * 10, srid=25832))
    homes = 2


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    name = factory.Sequence(lambda n: f"Einrichtung {n}")
    category = Facility.Category.LIBRARY
    geom = factory.LazyFunction(lambda: Point(CENTRE_X, CENTRE_Y, srid=25832))


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Testnetz {n}")
    slug = factory.Sequence(lambda n: f"testnetz-{n}")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    school_number = factory.Sequence(lambda n: f"{900000 + n}")
    name = factory.Sequence(lambda n: f"Testschule {n}")
    school_type = "Grundschule"
    street = "Schulstraße 1"
    postcode = "45468"
    geom = factory.LazyFunction(lambda: Point(CENTRE_X, CENTRE_Y, srid=25832))
