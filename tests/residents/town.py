"""A small town for the address search: streets named and spelt the ways that make searching hard.

Used by the search's tests in tests/layers and tests/residents (each module has its ``town`` fixture).
"""

from __future__ import annotations

from django.contrib.gis.geos import Point
from pyproj import Transformer

from layers.models import SRID, Address
from tests.factories import CENTRE_X, CENTRE_Y, DistrictFactory, PlanAreaFactory, PlanVersionFactory, ProviderFactory

TO_WGS84 = Transformer.from_crs(SRID, 4326, always_xy=True)
# Where "Kettwiger Straße 2" stands: "use my location" there finds it.
KETTWIGER_2 = (CENTRE_X + 2000.0, CENTRE_Y + 1000.0)
SECRET_PROVIDER = "Geheimnetz GmbH"

# (street, postcode, house numbers with suffixes, first point, step along the street in metres)
STREETS = [
    ("Schloßstraße", "45468", [*range(1, 21), "12a", "12b"], (CENTRE_X, CENTRE_Y), (12.0, 0.0)),
    ("Schloßstraße", "45470", [1, 2, 3, 4, 5, 6], (CENTRE_X - 3000, CENTRE_Y), (0.0, 12.0)),
    ("Schloßberg", "45468", [1, 3, 5], (CENTRE_X + 400, CENTRE_Y + 400), (15.0, 0.0)),
    ("Alte Duisburger Straße", "45481", list(range(1, 11)), (CENTRE_X - 1000, CENTRE_Y - 2000), (10.0, 5.0)),
    ("Duisburger Straße", "45479", list(range(1, 6)), (CENTRE_X - 1500, CENTRE_Y - 2500), (10.0, 0.0)),
    ("Mülheimer Straße", "45468", list(range(1, 9)), (CENTRE_X + 800, CENTRE_Y - 300), (0.0, 10.0)),
    ("Kettwiger Straße", "45468", list(range(2, 31, 2)), KETTWIGER_2, (20.0, 0.0)),
    ("Goetheplatz", "45472", list(range(1, 6)), (CENTRE_X + 1500, CENTRE_Y + 1500), (8.0, 8.0)),
    ("Straße des 17. Juni", "45473", [1, 2, 3], (CENTRE_X - 500, CENTRE_Y + 2000), (10.0, 0.0)),
    ("Am Lindenhof", "45470", [1, 2, 3, 4], (CENTRE_X - 2500, CENTRE_Y + 500), (10.0, 0.0)),
]


def town_create() -> dict[str, int]:
    """The streets above with two districts; returns the ids of a few addresses by label."""
    old_town = DistrictFactory(name="Altstadt I", code="T-alt")
    saarn = DistrictFactory(name="Saarn", code="T-saarn")
    rows = []
    for street, postcode, numbers, (x, y), (dx, dy) in STREETS:
        for i, number in enumerate(numbers):
            text = str(number)
            digits = "".join(c for c in text if c.isdigit())
            rows.append(
                Address(
                    street=street,
                    house_number=int(digits),
                    house_number_suffix=text[len(digits) :],
                    postcode=postcode,
                    district=saarn if postcode in ("45481", "45479") else old_town,
                    geom=Point(x + i * dx, y + i * dy, srid=SRID),
                    homes=1 + i % 3,
                )
            )
    Address.objects.bulk_create(rows)
    ids = {f"{a.street} {a.house_label}, {a.postcode}": a.pk for a in Address.objects.all()}
    # A second provider's plan over the whole town, accepted but never published: no resident may see it.
    version = PlanVersionFactory(provider=ProviderFactory(name=SECRET_PROVIDER, slug="geheimnetz"), published_at=None)
    PlanAreaFactory(version=version)
    return ids


def wgs84(x: float, y: float) -> tuple[float, float]:
    """(lon, lat) of a point in EPSG:25832."""
    return TO_WGS84.transform(x, y)
