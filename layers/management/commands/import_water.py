"""Import rivers, lakes and canals (areas or lines) from any GDAL vector file."""

from pathlib import Path

from django.core.management.base import BaseCommand

from layers.importers import WaterMapping, water_import
from layers.management.commands._importing import add_common_arguments, run_import
from layers.models import Water


class Command(BaseCommand):
    help = "Replace the water bodies of an earlier import of the same file with the file's; atomic."

    def add_arguments(self, parser):
        add_common_arguments(parser)
        parser.add_argument("--name-field", help="Field with the name (default: name, gewaesser, ...).")
        parser.add_argument("--kind-field", help="Field with the kind (Fluss, See, Kanal, river, lake, ...).")
        parser.add_argument("--kind", choices=Water.Kind.values, help="One kind for every feature of the file.")
        parser.add_argument("--replace-demo", action="store_true", help="Delete demo water bodies in the same step.")

    def handle(self, *args, **options):
        run_import(
            self,
            verbosity=options["verbosity"],
            unit=" features",
            call=lambda progress: water_import(
                path=Path(options["path"]),
                mapping=WaterMapping(name=options["name_field"], kind=options["kind_field"]),
                kind=options["kind"],
                layer=options["layer"],
                crs=options["crs"],
                strict=options["strict"],
                replace_demo=options["replace_demo"],
                dry_run=options["dry_run"],
                progress=progress,
            ),
        )
