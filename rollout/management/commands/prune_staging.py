"""Drop the staged features of plan files that were not accepted, some time after the decision.

    manage.py prune_staging [--days N]

A file the city rejected, or one superseded by another accepted version, keeps its validated features in
the database for PLAN_STAGING_KEEP_DAYS days (default 90), so that its changes can still be shown on a map.
After that they only take space: a large plan keeps ~250 bytes per area. The file itself, its validation
report and its list of changes stay. Run it daily (a systemd timer or cron job, see README).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from geoportal.errors import GeoportalError
from rollout.services import submissions_staging_prune


class Command(BaseCommand):
    help = "Drop the staged features of rejected and superseded plan files decided more than N days ago."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Days after the decision to keep them (default {settings.PLAN_STAGING_KEEP_DAYS}:"
            " PLAN_STAGING_KEEP_DAYS).",
        )

    def handle(self, *args, days=None, **options):
        try:
            pruned = submissions_staging_prune(keep_days=days)
        except GeoportalError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"staged features of {pruned.submissions} submission(s) dropped ({filesizeformat(pruned.bytes)})"
        )
