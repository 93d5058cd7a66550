"""Import addresses from an HK-DE house-coordinate file (.csv/.txt) or any GDAL vector file."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from layers.importers import AddressMapping, addresses_import
from layers.management.commands._importing import add_common_arguments, run_import


class Command(BaseCommand):
    help = (
        "Import addresses (upsert on street, number, suffix, postcode) from a Hauskoordinaten (HK-DE) text file "
        "or a GeoPackage/Shapefile/GeoJSON/OSM file. Atomic: on any problem nothing is written."
    )

    def add_arguments(self, parser):
        add_common_arguments(parser)
        for key in ("street", "number", "suffix", "postcode", "homes", "id"):
            parser.add_argument(f"--{key}-field", help=f"Source field holding the {key} (default: usual names).")
        parser.add_argument("--encoding", help="Text encoding of a CSV (default: UTF-8, else cp1252).")
        parser.add_argument("--delimiter", help="CSV separator (default: ';' if the first line has one, else ',').")
        parser.add_argument("--replace-demo", action="store_true", help="Delete the demo addresses in the same step.")

    def handle(self, *args, **options):
        mapping = AddressMapping(
            **{key: options[f"{key}_field"] for key in ("street", "number", "suffix", "postcode", "homes", "id")}
        )
        run_import(
            self,
            verbosity=options["verbosity"],
            unit=" rows",
            call=lambda progress: addresses_import(
                path=Path(options["path"]),
                mapping=mapping,
                encoding=options["encoding"],
                delimiter=options["delimiter"],
                layer=options["layer"],
                crs=options["crs"],
                city=settings.CITY_NAME,
                replace_demo=options["replace_demo"],
                strict=options["strict"],
                dry_run=options["dry_run"],
                progress=progress,
            ),
        )
