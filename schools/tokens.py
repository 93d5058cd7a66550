"""Measurement tokens of schools: made and revoked by planners, turned back into their school by the API.

As with providers' tokens (rollout/tokens.py): a token is ``gfs_`` plus 43 random URL-safe characters, only
its SHA-256 digest is stored (a database dump reveals no working token), the prefix is kept to recognise it,
and a token looked up by digest needs no constant-time comparison. A token belongs to one school: whatever it
sends is that school's measurement.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from geoportal.errors import InvalidInputError, PermissionDeniedError
from rollout.roles import AnyUser, account, is_planner
from schools.models import School, SchoolToken

PREFIX = "gfs_"
# last_used_at is written at most this often per token, not on every delivery.
TOUCH_INTERVAL_S = 60


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _planner_check(by: AnyUser, what: str) -> None:
    """``by=None`` is a management command (the shell's user is trusted); anyone else must be a planner."""
    if by is not None and not is_planner(by):
        raise PermissionDeniedError(f"only city planners and administrators {what}")


@transaction.atomic
def school_token_create(*, school: School, name: str, by: AnyUser) -> tuple[SchoolToken, str]:
    """Make a token for ``school``; returns it with the secret, which is not stored and shown only now."""
    _planner_check(by, "make measurement tokens")
    name = (name or "").strip()
    if not name:
        raise InvalidInputError("a token needs a name that says where it is used", where="name")
    if len(name) > 100:
        raise InvalidInputError("a token's name has at most 100 characters", where="name")
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = SchoolToken.objects.create(
        school=school, name=name, prefix=plaintext[:10], digest=_digest(plaintext), created_by=account(by)
    )
    return token, plaintext


@transaction.atomic
def school_token_revoke(*, token: SchoolToken, by: AnyUser) -> SchoolToken:
    """Stop a token from working (kept, with who revoked it when, for the record)."""
    _planner_check(by, "revoke measurement tokens")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = account(by)
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def school_token_authenticate(*, plaintext: str) -> SchoolToken | None:
    """The valid token for a secret, with its school loaded; None if unknown or revoked."""
    if not plaintext.startswith(PREFIX) or len(plaintext) > 200:
        return None
    token = (
        SchoolToken.objects.select_related("school").filter(digest=_digest(plaintext), revoked_at__isnull=True).first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > TOUCH_INTERVAL_S:
        SchoolToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
