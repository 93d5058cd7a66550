"""Writes of reports: a resident files one, the provider concerned (or the city) answers it, the queue's daily
jobs flag overdue ones to the planners and delete answered ones after a year.

A report concerns a provider with (published) availability at its address, or nobody in particular (the resident
did not know, or the address is missing from the register): then the city answers. The resident's e-mail address
is kept only until the answer is mailed; the report itself REPORT_KEEP_DAYS after its answer.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from geoportal.errors import InvalidInputError, PermissionDeniedError
from layers.models import Address
from residents.models import Report
from residents.reports import mails, selectors
from residents.targets import target_label
from residents.tokens import token_new
from rollout.models import Provider
from rollout.roles import AnyUser, account

logger = logging.getLogger(__name__)

# An answered report is deleted this many days after its answer.
REPORT_KEEP_DAYS = 365
TEXT_MAX = 2000


@transaction.atomic
def report_file(
    *,
    category: str,
    text: str,
    address: Address | None,
    address_text: str = "",
    provider: Provider | None,
    email: str = "",
    language: str,
    allowed_providers: list[Provider] | None = None,
) -> tuple[Report, str]:
    """File a report; returns it and the secret of its private status link (shown once, mailed if ``email``).

    ``provider`` must be one with availability at ``address`` (or on the street of a missing address:
    ``allowed_providers``); None sends the report to the city.
    """
    if category not in Report.Category.values:
        raise InvalidInputError(f"unknown category {category!r}", where="category")
    if address is None and not address_text.strip():
        raise InvalidInputError("name the address the report is about", where="address_text")
    if len(text) > TEXT_MAX:
        raise InvalidInputError(f"the text is longer than {TEXT_MAX} characters", where="text")
    if provider is not None:
        allowed = (
            list(selectors.providers_at_address(address=address)) if address is not None else allowed_providers or []
        )
        if provider.pk not in {p.pk for p in allowed}:
            raise InvalidInputError("this provider has no plans at this address", where="provider")
    now = timezone.now()
    token, hashed = token_new()
    report = Report.objects.create(
        category=category,
        text=text.strip(),
        address=address,
        address_text=target_label(address) if address is not None else address_text.strip(),
        provider=provider,
        email=email.strip(),
        language=language,
        status_hash=hashed,
        created_at=now,
        due_at=now + timedelta(days=settings.REPORT_RESPONSE_DAYS),
    )
    staff = (
        selectors.recipients_of_provider(provider=provider) if provider is not None else selectors.recipients_planners()
    )
    mails.report_routed_send(report=report, to=staff)
    if report.email:
        mails.report_received_send(report=report, token=token)
    return report, token


@transaction.atomic
def report_answer(*, report: Report, by: AnyUser, status: str, answer: str) -> Report:
    """The provider concerned (or the city) concedes or disputes the report; the resident is mailed the answer.

    Once answered a report stays answered: the resident has been told.
    """
    report = Report.objects.select_for_update(of=("self",)).select_related("provider").get(pk=report.pk)
    if not report.is_open:
        raise InvalidInputError("this report has been answered already", where="status")
    if not selectors.report_may_answer(report=report, user=by):
        raise PermissionDeniedError("only the provider concerned and the city's planners answer this report")
    if status not in (Report.Status.CONCEDED, Report.Status.DISPUTED):
        raise InvalidInputError("concede or dispute the report", where="status")
    if not answer.strip():
        raise InvalidInputError("say what will be fixed, or why the report is disputed", where="answer")
    if len(answer) > TEXT_MAX:
        raise InvalidInputError(f"the answer is longer than {TEXT_MAX} characters", where="answer")
    report.status = status
    report.answer = answer.strip()
    report.answered_at = timezone.now()
    report.answered_by = account(by)
    if report.email:
        mails.report_answered_send(report=report)
        # Needed for nothing else now: the answer is on its way (the queued job holds it until it is sent).
        report.email = ""
    report.save(update_fields=["status", "answer", "answered_at", "answered_by", "email"])
    return report


@transaction.atomic
def reports_overdue_flag(*, now=None) -> int:
    """Tell the planners, once per report, about open reports past their deadline; returns how many."""
    now = now or timezone.now()
    due = (
        Report.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("provider")
        .filter(status=Report.Status.OPEN, due_at__lt=now, overdue_notified_at__isnull=True)
        .order_by("due_at")
    )
    reports = list(due)
    if not reports:
        return 0
    planners = selectors.recipients_planners()
    for report in reports:
        mails.report_overdue_send(report=report, to=planners)
    Report.objects.filter(pk__in=[r.pk for r in reports]).update(overdue_notified_at=now)
    logger.info("%s overdue reports flagged to %s planners", len(reports), len(planners))
    return len(reports)


@transaction.atomic
def reports_prune(*, now=None) -> int:
    """Delete reports answered more than REPORT_KEEP_DAYS ago; returns how many."""
    now = now or timezone.now()
    old = Report.objects.exclude(status=Report.Status.OPEN).filter(
        answered_at__lt=now - timedelta(days=REPORT_KEEP_DAYS)
    )
    deleted, _by_model = old.delete()
    return deleted
