"""Reads of dig-once coordination, each deciding what the user may see.

- Roadworks, their owners and imports: the city's planners and administrators only (``rollout.roles.is_planner``).
- Matches: planners see every provider's; a provider's members see only the matches of their own provider's
  areas (its newest version, published or not), never another provider's plans. Which plan versions a user
  may read is asked of rollout.selectors (``plan_versions_current``), the one place that decides it.
- Everybody else: NotFoundError (404), so nobody learns what exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, QuerySet
from django.utils import timezone

from coordination.matching import CHANCE, CONFLICT, Match, matches_find
from coordination.models import MatchNotification, Roadworks, RoadworksImport, WorksOwner
from geoportal.errors import NotFoundError
from rollout import selectors as rollout_selectors
from rollout.models import PlanArea, Provider, ProviderMembership
from rollout.roles import AnyUser, is_planner, member_provider_ids

# The map of a match list draws at most this many works and areas; the list always shows every match.
MAP_LIMIT = 300


def may_coordinate(user: AnyUser) -> bool:
    """Planners and administrators manage roadworks and send notifications."""
    return is_planner(user)


def may_see_matches(user: AnyUser) -> bool:
    return is_planner(user) or bool(member_provider_ids(user))


def _require_planner(user: AnyUser) -> None:
    if not is_planner(user):
        raise NotFoundError("no such page")


def owners_visible(*, user: AnyUser) -> QuerySet[WorksOwner]:
    _require_planner(user)
    return WorksOwner.objects.annotate(works=Count("roadworks")).order_by("name")


def owner_get(*, pk: int, user: AnyUser) -> WorksOwner:
    owner = owners_visible(user=user).filter(pk=pk).first()
    if owner is None:
        raise NotFoundError(f"no owner {pk}")
    return owner


def roadworks_visible(*, user: AnyUser) -> QuerySet[Roadworks]:
    _require_planner(user)
    return Roadworks.objects.select_related("owner", "source_import")


def roadworks_get(*, pk: int, user: AnyUser) -> Roadworks:
    works = roadworks_visible(user=user).filter(pk=pk).first()
    if works is None:
        raise NotFoundError(f"no roadworks {pk}")
    return works


def imports_recent(*, user: AnyUser, limit: int = 20) -> QuerySet[RoadworksImport]:
    _require_planner(user)
    return RoadworksImport.objects.select_related("owner", "received_by").defer("report")[:limit]


def import_get(*, pk: int, user: AnyUser) -> RoadworksImport:
    _require_planner(user)
    found = RoadworksImport.objects.select_related("owner", "received_by").filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"no import {pk}")
    return found


def notifications_of(*, user: AnyUser, works: Roadworks | None = None, limit: int = 50) -> QuerySet:
    """Notifications sent, newest first (planners only): the record of what went to whom and when."""
    _require_planner(user)
    sent = MatchNotification.objects.select_related("sent_by")
    if works is not None:
        sent = sent.filter(roadworks=works)
    return sent[:limit]


@dataclass(frozen=True)
class MatchSettings:
    """N metres and M months of the co-laying chances (defaults from the settings, adjustable on the page)."""

    distance_m: int
    months: int

    @classmethod
    def default(cls) -> MatchSettings:
        return cls(distance_m=settings.COORDINATION_CHANCE_DISTANCE_M, months=settings.COORDINATION_CHANCE_MONTHS)


def providers_in_view(*, user: AnyUser) -> QuerySet[Provider]:
    """The providers whose matches the user sees (planners: all; members: their own; others: 404)."""
    if is_planner(user):
        return Provider.objects.all()
    own = member_provider_ids(user)
    if not own:
        raise NotFoundError("no such page")
    return Provider.objects.filter(pk__in=own)


def _versions_for(user: AnyUser, provider_ids: set[int] | None) -> list[int]:
    """The plan versions the matching reads: the newest each provider's readers may see (rollout.selectors),
    for a member only their own providers'."""
    versions = rollout_selectors.plan_versions_current(user=user)
    if not is_planner(user):
        versions = versions.filter(provider_id__in=member_provider_ids(user))
    if provider_ids is not None:
        versions = versions.filter(provider_id__in=provider_ids)
    return list(versions.values_list("pk", flat=True))


def matches_visible(
    *,
    user: AnyUser,
    kind: str,
    match_settings: MatchSettings | None = None,
    provider_ids: set[int] | None = None,
    owner_id: int | None = None,
    sector: str | None = None,
    works_id: int | None = None,
    area_id: int | None = None,
    today: date | None = None,
) -> list[Match]:
    """The conflicts or co-laying chances the user may see (NotFoundError for users who see none)."""
    providers_in_view(user=user)
    match_settings = match_settings or MatchSettings.default()
    return matches_find(
        kind=kind,
        versions=_versions_for(user, provider_ids),
        today=today or timezone.localdate(),
        distance_m=match_settings.distance_m if kind == CHANCE else 0,
        months=match_settings.months,
        owner_id=owner_id,
        sector=sector,
        works_id=works_id,
        area_id=area_id,
    )


def match_get(
    *, user: AnyUser, kind: str, works_id: int, area_id: int, match_settings: MatchSettings, today: date | None = None
) -> Match:
    """One match as it stands now (its plan version still the newest, the works unchanged); NotFoundError if it
    no longer is one."""
    found = matches_visible(
        user=user, kind=kind, match_settings=match_settings, works_id=works_id, area_id=area_id, today=today
    )
    if not found:
        raise NotFoundError("this match no longer exists")
    return found[0]


def match_shapes(*, matches: list[Match], limit: int = MAP_LIMIT) -> dict:
    """GeoJSON (CRS84) of the works and plan areas of ``matches`` for the map, in one statement; ``truncated``
    when there were more than ``limit`` of either (the list below the map names them all)."""
    works_ids = list(dict.fromkeys(m.works_id for m in matches))
    area_ids = list(dict.fromkeys(m.area_id for m in matches))
    truncated = len(works_ids) > limit or len(area_ids) > limit
    works_ids, area_ids = works_ids[:limit], area_ids[:limit]
    if not works_ids:
        return {"works": {}, "areas": {}, "truncated": False}
    area_table, through = PlanArea._meta.db_table, PlanArea.addresses.through._meta.db_table
    sql = f"""
        SELECT 'works', w.id, ST_AsGeoJSON(ST_Transform(w.geom, 4326), 6)
        FROM {Roadworks._meta.db_table} w WHERE w.id = ANY(%s)
        UNION ALL
        SELECT 'area', ar.id, ST_AsGeoJSON(ST_Transform(coalesce(ar.geom, (
            SELECT ST_Multi(ST_Union(ST_Buffer(a.geom, %s, 4))) FROM {through} t
            JOIN layers_address a ON a.id = t.address_id WHERE t.planarea_id = ar.id)), 4326), 6)
        FROM {area_table} ar WHERE ar.id = ANY(%s)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [works_ids, float(rollout_selectors.ADDRESS_LIST_RADIUS_M), area_ids])
        rows = cursor.fetchall()
    shapes: dict[str, dict[int, dict]] = {"works": {}, "area": {}}
    for what, pk, geojson in rows:
        if geojson:
            shapes[what][pk] = json.loads(geojson)
    return {"works": shapes["works"], "areas": shapes["area"], "truncated": truncated}


def _provider_recipients(provider_id: int) -> list[str]:
    users = get_user_model().objects.filter(
        is_active=True,
        pk__in=ProviderMembership.objects.filter(provider_id=provider_id).values("user_id"),
    )
    return sorted({u.email.strip().lower() for u in users if u.email and u.email.strip()})


def notification_recipients(*, match: Match) -> dict:
    """Who a notification about ``match`` reaches: the works' owner's contact and the provider's members (with
    an e-mail address); ``confidential``: the owner's mail leaves out the provider's unpublished plan."""
    owner = WorksOwner.objects.get(pk=match.owner_id)
    contact = owner.contact_email.strip().lower()
    return {
        "owner": [contact] if contact else [],
        "provider": _provider_recipients(match.provider_id),
        "confidential": not match.published,
    }


__all__ = [
    "CHANCE",
    "CONFLICT",
    "MAP_LIMIT",
    "Match",
    "MatchSettings",
    "import_get",
    "imports_recent",
    "match_get",
    "match_shapes",
    "matches_visible",
    "may_coordinate",
    "may_see_matches",
    "notification_recipients",
    "notifications_of",
    "owner_get",
    "owners_visible",
    "providers_in_view",
    "roadworks_get",
    "roadworks_visible",
]
