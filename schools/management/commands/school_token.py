"""Make, list and revoke the measurement tokens of schools (the planners' token page does the same).

    manage.py school_token create --school SCHULNUMMER --name "what it is for"
    manage.py school_token list [--school SCHULNUMMER]
    manage.py school_token revoke PREFIX

The token is printed once; only its digest is stored.
"""

from django.core.management.base import BaseCommand, CommandError

from geoportal.errors import GeoportalError
from schools.models import School, SchoolToken
from schools.tokens import school_token_create, school_token_revoke


class Command(BaseCommand):
    help = "Make, list or revoke the measurement tokens of schools."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Make a token and print it once.")
        create.add_argument("--school", required=True, help="The school's number (Schulnummer).")
        create.add_argument("--name", required=True, help="Where the token is used.")
        listing = sub.add_parser("list", help="List tokens (never their secrets).")
        listing.add_argument("--school", help="Only this school's tokens.")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix (see list).")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except GeoportalError as error:
            raise CommandError(str(error)) from error

    def _create(self, *, school, name, **options):
        target = School.objects.filter(school_number=school).first()
        if target is None:
            raise CommandError(f"no school with number {school!r}")
        _, plaintext = school_token_create(school=target, name=name, by=None)
        self.stdout.write(plaintext)
        self.stderr.write("Keep this token now: it is not stored and cannot be shown again.")

    def _list(self, *, school=None, **options):
        tokens = SchoolToken.objects.select_related("school")
        if school:
            tokens = tokens.filter(school__school_number=school)
        for token in tokens:
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            self.stdout.write(f"{token.prefix}  {token.school.school_number}  {token.name!r}  used {used}  {state}")

    def _revoke(self, *, prefix, **options):
        matches = list(SchoolToken.objects.filter(prefix=prefix, revoked_at__isnull=True))
        if len(matches) != 1:
            raise CommandError(f"{len(matches)} active tokens begin with {prefix!r}: give the whole prefix from list")
        school_token_revoke(token=matches[0], by=None)
        self.stdout.write(f"revoked {prefix}")
