"""Importers for real data, so a city replaces the demo data: addresses, districts, streets and water.

Each service reads and validates the whole file first, collecting problems
per row (file, row/feature, field, what was expected); only a clean file is
written, in one transaction, so a failed import leaves the database as it was.
"""

from layers.importers.addresses import addresses_assign_districts, addresses_import
from layers.importers.base import ImportReport
from layers.importers.districts import DistrictMapping, districts_import
from layers.importers.readers import AddressMapping
from layers.importers.streets import StreetMapping, streets_assign_districts, streets_import
from layers.importers.water import WaterMapping, water_import

__all__ = [
    "AddressMapping",
    "DistrictMapping",
    "ImportReport",
    "StreetMapping",
    "WaterMapping",
    "addresses_assign_districts",
    "addresses_import",
    "districts_import",
    "streets_assign_districts",
    "streets_import",
    "water_import",
]
