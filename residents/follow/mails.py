"""The mails to subscribers, in their language, queued through geoportal.mail (sent by the task queue's worker).

Every mail carries its own unsubscribe link, in the text and in the headers List-Unsubscribe (RFC 2369) and
List-Unsubscribe-Post (RFC 8058: a mail client's one-click POST unsubscribes with no further step). Texts are
plain text with an HTML alternative; the HTML is autoescaped like every page (provider names are data).
"""

from __future__ import annotations

from datetime import datetime

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from geoportal.mail import mail_enqueue
from residents.follow.presentation import change_rows, summary_providers
from residents.models import Subscription
from residents.targets import absolute, feed_path, target_label, target_page
from rollout.models import AvailabilityChange


def unsubscribe_headers(url: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        # RFC 3834: made by a program, so vacation responders do not answer it.
        "Auto-Submitted": "auto-generated",
    }


def _links(subscription: Subscription, unsubscribe_token: str) -> dict[str, str]:
    """Absolute links of a mail, in the active language (the caller overrides it with the subscriber's)."""
    target = subscription.target
    return {
        "target_url": absolute(target_page(target)),
        "feed_url": absolute(feed_path(target)),
        "unsubscribe_url": absolute(reverse("follow:unsubscribe", kwargs={"token": unsubscribe_token})),
        "privacy_url": absolute(reverse("privacy")),
    }


def _send(*, subscription: Subscription, subject: str, template: str, context: dict) -> None:
    text = render_to_string(f"residents/mail/{template}.txt", context)
    html = render_to_string(f"residents/mail/{template}.html", context)
    mail_enqueue(
        to=[subscription.email],
        subject=subject,
        text=text,
        html=html,
        headers=unsubscribe_headers(context["unsubscribe_url"]),
    )


def confirmation_send(
    *, subscription: Subscription, confirm_token: str | None, unsubscribe_token: str, already: bool
) -> None:
    """The double opt-in mail: the link to confirm, or (``already`` confirmed) a note that nothing is needed."""
    with override(subscription.language):
        label = target_label(subscription.target)
        context = {
            "label": label,
            "already": already,
            **_links(subscription, unsubscribe_token),
        }
        if confirm_token:
            context["confirm_url"] = absolute(reverse("follow:confirm", kwargs={"token": confirm_token}))
        if already:
            subject = _("You already follow %(target)s") % {"target": label}
        else:
            subject = _("Please confirm: news about fibre for %(target)s") % {"target": label}
        _send(subscription=subscription, subject=subject, template="confirm", context=context)


def notification_send(
    *,
    subscription: Subscription,
    unsubscribe_token: str,
    published_at: datetime,
    changes: list[AvailabilityChange] | None = None,
    summary: dict | None = None,
) -> None:
    """The message about one change set: an address's ``changes``, or a district's ``summary`` (counts per
    provider and stage, example streets; residents.follow.selectors.district_summaries)."""
    with override(subscription.language):
        label = target_label(subscription.target)
        context = {
            "label": label,
            "published_at": published_at,
            "rows": change_rows(changes or []),
            "providers": summary_providers(summary),
            **_links(subscription, unsubscribe_token),
        }
        subject = _("Fibre: news for %(target)s") % {"target": label}
        _send(subscription=subscription, subject=subject, template="notification", context=context)
