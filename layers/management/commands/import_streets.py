"""Import streets (one line geometry per name and postcode) from any GDAL vector file."""

from pathlib import Path

from django.core.management.base import BaseCommand

from layers.importers import StreetMapping, streets_import
from layers.management.commands._importing import add_common_arguments, run_import


class Command(BaseCommand):
    help = "Create or update streets (by name and postcode) from a line file; atomic; then assign their districts."

    def add_arguments(self, parser):
        add_common_arguments(parser)
        parser.add_argument("--name-field", help="Field with the street name (default: name, strassenname, ...).")
        parser.add_argument("--postcode-field", help="Field with the postcode (default: postcode, plz, ...).")
        parser.add_argument("--replace-demo", action="store_true", help="Delete the demo streets in the same step.")

    def handle(self, *args, **options):
        run_import(
            self,
            verbosity=options["verbosity"],
            unit=" features",
            call=lambda progress: streets_import(
                path=Path(options["path"]),
                mapping=StreetMapping(name=options["name_field"], postcode=options["postcode_field"]),
                layer=options["layer"],
                crs=options["crs"],
                strict=options["strict"],
                replace_demo=options["replace_demo"],
                dry_run=options["dry_run"],
                progress=progress,
            ),
        )
