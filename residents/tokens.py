"""The secrets that residents' links carry (confirm, unsubscribe, a report's status page), and their hashes.

A link's secret is 32 random bytes (URL-safe base64, 43 characters): unguessable. The database keeps only its
SHA-256, so a copy of the database (a backup, a leak) opens no subscription and no report. A plain hash and not
a slow password hash: the secret is random, not chosen by a person, so there is nothing to try words against.
"""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def token_new() -> tuple[str, str]:
    """A fresh secret for a link and the hash to store."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def token_hash_or_none(token: str) -> str | None:
    """The hash of what a link carried, or None when it cannot be one of our secrets (no lookup needed)."""
    return token_hash(token) if TOKEN.match(token) else None
