"""Make, list and revoke the API tokens with which provider members write plans (OGC API Part 4).

    manage.py provider_token create --provider SLUG --user NAME --name "what it is for"
    manage.py provider_token list [--provider SLUG]
    manage.py provider_token revoke PREFIX

The token is printed once; only its digest is stored.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from geoportal.errors import GeoportalError
from rollout.models import Provider, ProviderToken
from rollout.tokens import provider_token_create, provider_token_revoke


class Command(BaseCommand):
    help = "Make, list or revoke provider members' API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Make a token and print it once.")
        create.add_argument("--provider", required=True, help="Provider slug.")
        create.add_argument("--user", required=True, help="The member the token acts as.")
        create.add_argument("--name", required=True, help="What the token is for.")
        listing = sub.add_parser("list", help="List tokens (never their secrets).")
        listing.add_argument("--provider", help="Only this provider's tokens.")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix (see list).")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except GeoportalError as error:
            raise CommandError(str(error)) from error

    def _create(self, *, provider, user, name, **options):
        target = Provider.objects.filter(slug=provider).first()
        if target is None:
            raise CommandError(f"no provider with slug {provider!r}")
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"no user {user!r}")
        _, plaintext = provider_token_create(provider=target, user=account, name=name, by=None)
        self.stdout.write(plaintext)
        self.stderr.write("Keep this token now: it is not stored and cannot be shown again.")

    def _list(self, *, provider=None, **options):
        tokens = ProviderToken.objects.select_related("provider", "user")
        if provider:
            tokens = tokens.filter(provider__slug=provider)
        for token in tokens:
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            self.stdout.write(
                f"{token.prefix}  {token.provider.slug}  {token.user.username}  {token.name!r}  used {used}  {state}"
            )

    def _revoke(self, *, prefix, **options):
        matches = list(ProviderToken.objects.filter(prefix=prefix, revoked_at__isnull=True)[:2])
        if len(matches) != 1:
            raise CommandError(f"{len(matches) or 'no'} active token(s) with prefix {prefix!r}")
        provider_token_revoke(token=matches[0], by=None)
        self.stdout.write(f"revoked {prefix}")
