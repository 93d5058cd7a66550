"""Mail leaves the site only through the task queue, never inside a web request.

``mail_enqueue`` defers one job per message through the caller's transaction (geoportal/queue.py): a message is
sent exactly when the change that caused it is committed, and an SMTP server that is down delays it (retries)
instead of failing the request.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from geoportal.errors import InvalidInputError


def mail_enqueue(*, to: list[str], subject: str, text: str, html: str = "", headers: dict | None = None) -> None:
    """Queue one message to ``to``; ``headers`` e.g. List-Unsubscribe (RFC 2369) and List-Unsubscribe-Post (8058)."""
    for address in to:
        try:
            validate_email(address)
        except ValidationError as error:
            raise InvalidInputError(f"not an e-mail address: {address!r}", where="to") from error
    if "\n" in subject or "\r" in subject:
        raise InvalidInputError("a subject is one line", where="subject")
    from geoportal.tasks import mail_send

    mail_send.defer(to=list(to), subject=subject, text=text, html=html, headers=dict(headers or {}))
