"""API tokens of provider members: made, revoked, and turned back into their user.

A token is ``gfp_`` plus 43 random URL-safe characters. Only its SHA-256 digest
is stored, so a database dump does not reveal working tokens; a token looked
up by digest needs no constant-time comparison.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from geoportal.errors import InvalidInputError, PermissionDeniedError
from rollout.models import Provider, ProviderToken
from rollout.roles import AnyUser, is_planner, member_provider_ids

PREFIX = "gfp_"
# last_used_at is written at most this often per token, not on every request.
TOUCH_INTERVAL_S = 60


def _member(user, provider: Provider) -> bool:
    """Tokens are for provider members only (planners work in the browser)."""
    return provider.pk in member_provider_ids(user)


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


@transaction.atomic
def provider_token_create(*, provider: Provider, user, name: str, by: AnyUser) -> tuple[ProviderToken, str]:
    """Make a token for ``user`` acting for ``provider``; returns it with the secret, which is not stored."""
    if by is not None and not (is_planner(by) or (by.pk == user.pk and _member(by, provider))):
        raise PermissionDeniedError("only the member themself, planners or administrators make tokens")
    if not _member(user, provider):
        raise InvalidInputError(f"{user} is not a member of {provider}", where="user")
    name = (name or "").strip()
    if not name:
        raise InvalidInputError("a token needs a name that says what it is for", where="name")
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ProviderToken.objects.create(
        provider=provider, user=user, name=name[:100], prefix=plaintext[:10], digest=_digest(plaintext)
    )
    return token, plaintext


@transaction.atomic
def provider_token_revoke(*, token: ProviderToken, by: AnyUser) -> ProviderToken:
    if by is not None and not (is_planner(by) or by.pk == token.user_id):
        raise PermissionDeniedError("only the token's owner, planners or administrators revoke tokens")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def provider_token_authenticate(*, plaintext: str) -> ProviderToken | None:
    """The valid token for a secret, with its user and provider loaded; None if unknown, revoked or orphaned.

    A token is only as good as its user's membership: a deactivated user or an ended
    membership disables it without anybody having to remember the token.
    """
    if not plaintext.startswith(PREFIX) or len(plaintext) > 200:
        return None
    token = (
        ProviderToken.objects.select_related("user", "provider")
        .filter(digest=_digest(plaintext), revoked_at__isnull=True)
        .first()
    )
    if token is None or not _member(token.user, token.provider):
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > TOUCH_INTERVAL_S:
        ProviderToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
