"""What the import commands share: progress bar on stderr, summary, errors as CommandError."""

from __future__ import annotations

import sys
from collections.abc import Callable

from django.core.management.base import CommandError
from tqdm import tqdm

from geoportal.errors import GeoportalError
from layers.importers import ImportReport


def run_import(command, *, verbosity: int, unit: str, call: Callable[..., ImportReport]) -> ImportReport:
    """Call an importer with a tqdm progress bar on the command's stderr; print the summary to stdout."""
    stream = getattr(command.stderr, "_out", sys.stderr)
    with tqdm(file=stream, unit=unit, disable=verbosity == 0, leave=False) as bar:
        try:
            report = call(progress=bar.update)
        except GeoportalError as exc:
            raise CommandError(str(exc)) from exc
    for warning in report.warnings[:50]:
        command.stdout.write(command.style.WARNING(f"warning: {warning}"))
    if len(report.warnings) > 50:
        command.stdout.write(command.style.WARNING(f"... and {len(report.warnings) - 50} more warnings"))
    command.stdout.write(command.style.SUCCESS(report.summary()))
    return report


def add_common_arguments(parser) -> None:
    parser.add_argument("path", help="File to import.")
    parser.add_argument("--layer", help="Layer to read (default: the first; OSM: points and multipolygons).")
    parser.add_argument("--crs", help="CRS of the file when it declares none, e.g. EPSG:4326.")
    parser.add_argument("--strict", action="store_true", help="Fail when features lie outside the city.")
    parser.add_argument("--dry-run", action="store_true", help="Validate and count, then roll back.")
