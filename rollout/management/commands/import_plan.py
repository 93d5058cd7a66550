"""Hand in a provider's plan file from the command line; optionally accept and publish it.

    manage.py import_plan --provider SLUG FILE [--mapping JSON] [--accept] [--publish] [--user NAME]

Runs as the operator (no permission checks) unless --user names the acting account.
"""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geoportal.errors import GeoportalError
from rollout.models import PlanSubmission, Provider
from rollout.services import plan_version_publish, submission_accept, submission_create


class Command(BaseCommand):
    help = "Validate a provider's plan file and keep it as a submission; --accept/--publish make it a version."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--provider", required=True, help="Provider slug.")
        parser.add_argument("--mapping", help='Field mapping as JSON, e.g. {"technology": "technologi"}.')
        parser.add_argument("--accept", action="store_true", help="Accept the file as the next plan version.")
        parser.add_argument("--publish", action="store_true", help="Publish it (implies --accept).")
        parser.add_argument("--user", help="Act as this user (permissions apply) instead of the operator.")

    def handle(self, *args, file: Path, provider: str, mapping, accept, publish, user, **options):
        target = Provider.objects.filter(slug=provider).first()
        if target is None:
            raise CommandError(f"no provider with slug {provider!r}")
        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        by = self._user(user)
        steps = ["validate"] + (["accept"] if accept or publish else []) + (["publish"] if publish else [])
        try:
            with tqdm(total=len(steps), desc=file.name, disable=options["verbosity"] < 1) as progress:
                submission = self._submit(target, file, by, self._mapping(mapping))
                progress.update()
                self._summary(submission)
                if "accept" in steps:
                    version = submission_accept(submission=submission, by=by)
                    progress.update()
                    self.stdout.write(f"accepted as {version}")
                if "publish" in steps:
                    plan_version_publish(version=version, by=by)
                    progress.update()
                    self.stdout.write(f"published {version}; availability recomputed")
        except GeoportalError as exc:
            raise CommandError(str(exc)) from exc

    def _submit(self, provider: Provider, file: Path, by, mapping: dict | None) -> PlanSubmission:
        with file.open("rb") as handle:
            submission = submission_create(provider=provider, file=File(handle, name=file.name), by=by, mapping=mapping)
        if submission.state == PlanSubmission.State.INVALID:
            for problem in submission.report:
                self.stderr.write(self._line(problem))
            raise CommandError(f"{file.name} is invalid ({len(submission.report)} problems); nothing was imported")
        return submission

    def _summary(self, submission: PlanSubmission) -> None:
        for problem in submission.report:
            self.stdout.write(self._line(problem))
        diff = submission.diff
        self.stdout.write(
            f"submission {submission.pk}: {submission.feature_count} areas; "
            f"{len(diff['added'])} added, {len(diff['removed'])} removed, {len(diff['date_moved'])} moved in date, "
            f"{len(diff['stage_changed'])} changed stage"
        )

    @staticmethod
    def _line(problem: dict) -> str:
        where = f"row {problem['row']}, " if problem["row"] is not None else ""
        expected = f" (expected {problem['expected']})" if problem["expected"] else ""
        return f"{problem['severity']}: {where}{problem['field']}: {problem['message']}: {problem['value']!r}{expected}"

    @staticmethod
    def _mapping(text: str | None) -> dict | None:
        if not text:
            return None
        try:
            mapping = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--mapping is not JSON: {exc}") from exc
        if not isinstance(mapping, dict):
            raise CommandError("--mapping must be a JSON object")
        return mapping

    @staticmethod
    def _user(name: str | None):
        if name is None:
            return None
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise CommandError(f"no user {name!r}")
        return user
