"""Import an owner's roadworks file from the command line (replaces the owner's earlier imported works).

    manage.py import_roadworks --owner NAME FILE [--mapping JSON] [--create-owner --sector SECTOR --email ADDRESS]

Runs as the operator (no permission checks). The same validation and report as the planners' page.
"""

import json
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from coordination.models import RoadworksImport, WorksOwner
from coordination.sectors import Sector
from coordination.services import roadworks_import, works_owner_create
from geoportal.errors import GeoportalError


class Command(BaseCommand):
    help = "Validate an owner's roadworks file; a valid one replaces the owner's earlier imported works."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--owner", required=True, help="Name of the owner of the works.")
        parser.add_argument("--mapping", help='Field mapping as JSON, e.g. {"start": "baubeginn"}.')
        parser.add_argument("--create-owner", action="store_true", help="Create the owner when it does not exist.")
        parser.add_argument("--sector", default=Sector.OTHER, choices=Sector.values, help="Sector of a new owner.")
        parser.add_argument("--email", default="", help="Contact e-mail of a new owner.")

    def handle(self, *args, file: Path, owner: str, mapping, create_owner, sector, email, **options):
        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        try:
            mapping = json.loads(mapping) if mapping else None
        except json.JSONDecodeError as exc:
            raise CommandError(f"--mapping is not JSON: {exc}") from exc
        try:
            target = WorksOwner.objects.filter(name=owner).first()
            if target is None:
                if not create_owner:
                    raise CommandError(f"no owner named {owner!r} (use --create-owner)")
                target = works_owner_create(name=owner, sector=sector, contact_email=email, by=None)
            with file.open("rb") as handle:
                record = roadworks_import(owner=target, file=File(handle, name=file.name), mapping=mapping, by=None)
        except GeoportalError as exc:
            raise CommandError(str(exc)) from exc
        for problem in record.report:
            where = f"row {problem['row']}, " if problem["row"] is not None else ""
            expected = f" (expected {problem['expected']})" if problem["expected"] else ""
            what = f"{problem['field']}: {problem['message']}: {problem['value']!r}"
            line = f"{problem['severity']}: {where}{what}{expected}"
            (self.stderr if problem["severity"] == "error" else self.stdout).write(line)
        if record.state == RoadworksImport.State.INVALID:
            raise CommandError(f"{file.name} is invalid; nothing was imported")
        self.stdout.write(
            self.style.SUCCESS(
                f"import {record.pk}: {record.created} new, {record.updated} updated, {record.removed} removed"
            )
        )
