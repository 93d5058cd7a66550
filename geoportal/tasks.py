"""Jobs of the site as a whole: sending mail (geoportal/mail.py queues them)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from procrastinate.contrib.django import app

from geoportal.queue import RETRY


@app.task(queue="mail", retry=RETRY, name="geoportal.mail_send")
def mail_send(*, to: list[str], subject: str, text: str, html: str = "", headers: dict | None = None) -> None:
    """Send one message through the configured mail backend (SMTP in production, files under var/mail locally)."""
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to, headers=headers or {}
    )
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
