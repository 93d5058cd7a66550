"""Mails about reports: to the provider's members and the planners (in the site's language), to the resident (in
theirs). Queued through geoportal.mail; the HTML part is autoescaped, so a report's text stays text."""

from __future__ import annotations

import re

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from geoportal.mail import mail_enqueue
from residents.models import Report
from residents.targets import absolute

_SPACE = re.compile(r"\s+")


def one_line(text: str, limit: int = 80) -> str:
    """A resident's text fit for a subject line: one line, at most ``limit`` characters."""
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _send(*, to: list[str], subject: str, template: str, context: dict) -> None:
    for address in to:
        mail_enqueue(
            to=[address],
            subject=subject,
            text=render_to_string(f"residents/mail/{template}.txt", context),
            html=render_to_string(f"residents/mail/{template}.html", context),
            headers={"Auto-Submitted": "auto-generated"},
        )


def _staff_context(report: Report) -> dict:
    return {
        "report": report,
        "report_url": absolute(reverse("reports:detail", kwargs={"pk": report.pk})),
        "due": report.due_at,
    }


def report_routed_send(*, report: Report, to: list[str]) -> None:
    """A new report, to the provider's members (or, when the resident did not know the provider, the planners)."""
    with override(settings.LANGUAGE_CODE):
        subject = _("New report about %(address)s") % {"address": one_line(report.address_text)}
        _send(to=to, subject=subject, template="report_routed", context=_staff_context(report))


def report_overdue_send(*, report: Report, to: list[str]) -> None:
    with override(settings.LANGUAGE_CODE):
        subject = _("Overdue: report about %(address)s") % {"address": one_line(report.address_text)}
        _send(to=to, subject=subject, template="report_overdue", context=_staff_context(report))


def report_received_send(*, report: Report, token: str) -> None:
    """To the resident who left an e-mail address: the report arrived, and its private status link."""
    with override(report.language):
        context = {
            "report": report,
            "status_url": absolute(reverse("reports:status", kwargs={"token": token})),
            "privacy_url": absolute(reverse("privacy")),
        }
        subject = _("Your report about %(address)s") % {"address": one_line(report.address_text)}
        _send(to=[report.email], subject=subject, template="report_received", context=context)


def report_answered_send(*, report: Report) -> None:
    with override(report.language):
        context = {"report": report, "privacy_url": absolute(reverse("privacy"))}
        subject = _("Answer to your report about %(address)s") % {"address": one_line(report.address_text)}
        _send(to=[report.email], subject=subject, template="report_answered", context=context)
