"""Reads of reports: only the provider concerned, the city's planners and (by its private link) the resident.

Another provider's members get NotFoundError for a report that does not concern them, as for any other provider's
confidential rows (rollout/views.py): nobody learns what exists.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from geoportal.errors import NotFoundError, PermissionDeniedError
from layers.models import Address
from residents.models import Report
from residents.tokens import token_hash_or_none
from rollout.models import Availability, Provider
from rollout.roles import PLANNER_GROUP, AnyUser, is_planner, member_provider_ids


def providers_at_address(*, address: Address) -> QuerySet[Provider]:
    """Providers with (published) availability at the address: those a resident can report about there."""
    return Provider.objects.filter(pk__in=Availability.objects.filter(address=address).values("provider_id"))


def providers_on_street(*, postcode: str, street: str) -> QuerySet[Provider]:
    """Providers with (published) availability somewhere on the street: for a missing address there."""
    on_street = Availability.objects.filter(address__postcode=postcode, address__street=street)
    return Provider.objects.filter(pk__in=on_street.values("provider_id"))


def report_by_token(*, token: str) -> Report:
    """The report whose private status link carries ``token``; NotFoundError for anything else."""
    hashed = token_hash_or_none(token)
    report = Report.objects.select_related("provider").filter(status_hash=hashed).first() if hashed else None
    if report is None:
        raise NotFoundError("no report for this link")
    return report


def _reports() -> QuerySet[Report]:
    # Open ones first, the most overdue on top; then answered ones, newest first.
    return Report.objects.select_related("provider", "answered_by", "address").order_by(
        Case(When(status=Report.Status.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()),
        "due_at",
        "-created_at",
    )


def reports_visible(*, user: AnyUser) -> QuerySet[Report]:
    """Planners see every report, a provider's members those concerning their providers, others none."""
    if is_planner(user):
        return _reports()
    return _reports().filter(provider_id__in=member_provider_ids(user))


def reports_of_provider(*, provider: Provider, user: AnyUser) -> QuerySet[Report]:
    """The reports concerning one provider (the caller has checked the user works for it)."""
    return reports_visible(user=user).filter(provider=provider)


def reports_all(*, user: AnyUser) -> QuerySet[Report]:
    """Every report, for the planners' list."""
    if not is_planner(user):
        raise PermissionDeniedError("only city planners see all reports")
    return _reports()


def report_visible_get(*, pk: int, user: AnyUser) -> Report:
    report = reports_visible(user=user).filter(pk=pk).first()
    if report is None:
        raise NotFoundError(f"no report {pk}")
    return report


def report_may_answer(*, report: Report, user: AnyUser) -> bool:
    """The provider concerned answers; the city answers reports without a provider and may answer any."""
    return report.is_open and (is_planner(user) or report.provider_id in member_provider_ids(user))


def overdue(report: Report, *, now=None) -> bool:
    return report.is_open and report.due_at < (now or timezone.now())


def recipients_of_provider(*, provider: Provider) -> list[str]:
    """E-mail addresses of the provider's active members (those without one are not mailed)."""
    users = get_user_model().objects.filter(provider_memberships__provider=provider, is_active=True)
    return sorted(set(users.exclude(email="").values_list("email", flat=True)))


def recipients_planners() -> list[str]:
    """E-mail addresses of the city's active planners."""
    users = get_user_model().objects.filter(groups__name=PLANNER_GROUP, is_active=True)
    return sorted(set(users.exclude(email="").values_list("email", flat=True)))
