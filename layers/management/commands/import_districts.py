"""Import districts (Stadtbezirke, Stadtteile, statistical districts) from any GDAL vector file."""

from pathlib import Path

from django.core.management.base import BaseCommand

from layers.importers import DistrictMapping, districts_import
from layers.management.commands._importing import add_common_arguments, run_import
from layers.models import District


class Command(BaseCommand):
    help = "Create or update districts (by code) from a polygon file; atomic; then reassign addresses to districts."

    def add_arguments(self, parser):
        add_common_arguments(parser)
        parser.add_argument("--level", required=True, choices=District.Level.values, help="Level of all districts.")
        parser.add_argument("--name-field", help="Field with the name (default: name, GEN, ...).")
        parser.add_argument("--code-field", help="Field with the unique code (default: code, schluessel, ...).")
        parser.add_argument("--replace-demo", action="store_true", help="Delete the demo districts in the same step.")
        parent = parser.add_mutually_exclusive_group()
        parent.add_argument("--parent-code-field", help="Field with the parent district's code.")
        parent.add_argument("--parent", metavar="CODE", help="Code of the parent of all imported districts.")

    def handle(self, *args, **options):
        mapping = DistrictMapping(
            name=options["name_field"], code=options["code_field"], parent_code=options["parent_code_field"]
        )
        run_import(
            self,
            verbosity=options["verbosity"],
            unit=" features",
            call=lambda progress: districts_import(
                path=Path(options["path"]),
                level=options["level"],
                mapping=mapping,
                parent=options["parent"],
                layer=options["layer"],
                crs=options["crs"],
                strict=options["strict"],
                replace_demo=options["replace_demo"],
                dry_run=options["dry_run"],
                progress=progress,
            ),
        )
