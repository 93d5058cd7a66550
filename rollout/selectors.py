"""Every read of rollout data goes through here: this module alone decides what a user may see.

Pages, the OGC API, tiles and exports call these functions with the requesting
user. Unpublished plan versions are confidential: visible to the provider's
members and to city planners (and administrators) at once, to everybody else
only once published. The stored Availability table holds published data only,
so it is public; the planners' preview over unpublished versions is computed
on the fly (``availability_preview``) and never stored.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import OuterRef, Q, QuerySet, Subquery

from geoportal.errors import PermissionDeniedError
from rollout.models import Availability, PlanArea, PlanSubmission, PlanVersion, Provider
from rollout.roles import AnyUser, can_read_unpublished, is_planner, member_provider_ids


def plan_versions_visible(*, user: AnyUser) -> QuerySet[PlanVersion]:
    """All plan versions (every provider, every number) the user may read."""
    versions = PlanVersion.objects.select_related("provider")
    if is_planner(user):
        return versions
    own = member_provider_ids(user)
    return versions.filter(Q(published_at__isnull=False) | Q(provider_id__in=own))


def plan_versions_current(*, user: AnyUser) -> QuerySet[PlanVersion]:
    """Per provider, the newest version the user may read (for the public: the newest published one)."""
    visible = plan_versions_visible(user=user)
    newest = visible.filter(provider=OuterRef("provider")).order_by("-number").values("pk")[:1]
    return visible.filter(pk=Subquery(newest))


def plan_areas_visible(*, user: AnyUser, current_only: bool = True) -> QuerySet[PlanArea]:
    """Plan areas the user may read; by default only those of each provider's current visible version."""
    versions = plan_versions_current(user=user) if current_only else plan_versions_visible(user=user)
    return PlanArea.objects.filter(version__in=versions.values("pk")).select_related("version__provider")


def availability_visible(*, user: AnyUser) -> QuerySet[Availability]:
    """Availability per address and provider. The table holds published data only, hence the same for everyone."""
    return Availability.objects.select_related("provider", "address")


def submissions_visible(*, user: AnyUser) -> QuerySet[PlanSubmission]:
    """Submissions are never public: own provider's members, planners and administrators only."""
    submissions = PlanSubmission.objects.select_related("provider")
    if is_planner(user):
        return submissions
    return submissions.filter(provider_id__in=member_provider_ids(user))


def plan_as_of(*, provider: Provider, when: datetime, user: AnyUser) -> PlanVersion | None:
    """The provider's plan as it stood at ``when``, as far as the user may know it.

    Readers of unpublished data see the newest version accepted by then; the
    public sees the newest version published by then.
    """
    versions = plan_versions_visible(user=user).filter(provider=provider)
    if can_read_unpublished(user, provider):
        versions = versions.filter(accepted_at__lte=when)
    else:
        versions = versions.filter(published_at__lte=when)
    return versions.order_by("-number").first()


def provider_track_record(*, provider: Provider, user: AnyUser) -> dict:
    """Slipped dates and cancellations of a provider, computed from consecutive visible versions."""
    from rollout.diff import plan_diff, snapshot_of_version

    versions = list(plan_versions_visible(user=user).filter(provider=provider).order_by("number"))
    record = {"versions": len(versions), "slipped": [], "cancelled": []}
    previous = None
    for version in versions:
        snapshot = snapshot_of_version(version)
        if previous is not None:
            diff = plan_diff(old=previous, new=snapshot)
            for change in diff["date_moved"]:
                if change["new"] is None or (change["old"] is not None and change["new"] > change["old"]):
                    record["slipped"].append({"version": version.number, **change})
            for change in diff["stage_changed"]:
                if change["new"] == "cancelled":
                    record["cancelled"].append({"version": version.number, **change})
        previous = snapshot
    return record


def availability_preview(*, user: AnyUser, provider: Provider) -> list[dict]:
    """Availability of one provider as its newest version (published or not) would give it. Not stored."""
    if not can_read_unpublished(user, provider):
        raise PermissionDeniedError("only the provider's members and city planners see unpublished plans")
    from rollout.availability import availability_rows

    return availability_rows(provider_id=provider.pk, include_unpublished=True)
